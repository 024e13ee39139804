#!/bin/sh
# Installs Debian's chromium for the dashboard's browser test (monitor/).
# Idempotent: does nothing when chromium is already on PATH.
set -eu
if command -v chromium >/dev/null 2>&1; then
	exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
	SUDO="sudo"
fi
$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
command -v chromium >/dev/null
