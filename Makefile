# Sable. `make demo` runs the main job; `make test` is what CI runs.
GO      ?= go
JS      := tools/js
JS_DONE := $(JS)/node_modules/.installed

.PHONY: build demo test lint js browser bench clean

build:
	$(GO) build -o bin/sable ./cmd/sable

demo:
	$(GO) run ./cmd/sable demo

# The JavaScript tools (snarkjs, solc) check our exports independently.
js: $(JS_DONE)
$(JS_DONE): $(JS)/package.json $(JS)/package-lock.json
	npm ci --prefix $(JS) --no-audit --no-fund
	touch $@

# The dashboard's browser test drives headless Chromium (Debian's package).
browser:
	sh .ci/install-chromium.sh

test: lint js browser
	SABLE_REQUIRE_JS=1 SABLE_REQUIRE_BROWSER=1 $(GO) test -timeout 15m ./...

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) run ./cmd/sable bench --results bench/results.md

clean:
	rm -rf bin $(JS)/node_modules
