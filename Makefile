# Sable. `make demo` runs the main job; `make test` is what CI runs.
GO      ?= go
JS      := tools/js
JS_DONE := $(JS)/node_modules/.installed

.PHONY: build demo test lint js browser bench chaos fuzz clean

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

# The chaos run (internal/chaos): validators and bank CLIs SIGKILLed while
# the banks pay for CHAOS_DURATION, then every check; it writes the "## Chaos"
# section of bench/results.md (make bench keeps it). CHAOS_SEED=N reruns a
# schedule. A short run is part of make test (TestShortChaosRun).
CHAOS_DURATION ?= 10m
CHAOS_SEED ?= 0
chaos:
	$(GO) build -o bin/sable ./cmd/sable
	bin/sable bench chaos --duration $(CHAOS_DURATION) --seed $(CHAOS_SEED) --results bench/results.md

# Every fuzz target in turn for FUZZTIME each (go test's -fuzztime: 60s,
# 1m30s or 100000x), then the executions of each and their total. A target
# that fails leaves its input in <pkg>/testdata/fuzz/<Target>/ and its log
# in bin/fuzz/; the others still run, and the run fails at the end.
FUZZTIME ?= 60s
FUZZ_TARGETS := \
	./zkp:FuzzDecodeCommitment ./zkp:FuzzDecodeProof ./zkp:FuzzParseBundle \
	./zkp:FuzzReadVerifyingKey ./zkp:FuzzReadProvingKey \
	./he:FuzzCiphertextUnmarshal ./he:FuzzKeyUnmarshal ./he:FuzzCiphertextOps \
	./ledger:FuzzParseGenesis ./ledger/party:FuzzWalletRecords \
	./ledger/state:FuzzDecodeTx ./ledger/state:FuzzCheckTx

fuzz:
	@mkdir -p bin/fuzz; rm -f bin/fuzz/summary; total=0; failed=; \
	for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; log=bin/fuzz/$$name.log; \
		echo "== $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg > $$log 2>&1; rc=$$?; \
		n=$$(grep -o 'execs: [0-9]*' $$log | tail -1 | tr -dc 0-9); n=$${n:-0}; \
		total=$$((total + n)); printf '%-26s %-14s %12d execs\n' $$name $$pkg $$n >> bin/fuzz/summary; \
		if [ $$rc -ne 0 ]; then tail -20 $$log; echo "$$name FAILED (log: $$log)"; failed="$$failed $$name"; fi; \
	done; \
	cat bin/fuzz/summary; printf '%-41s %12d execs\n' total $$total; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi; echo "no target failed"

clean:
	rm -rf bin $(JS)/node_modules
