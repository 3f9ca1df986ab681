# Vitals: `make run` starts the daemon on ./config.json; `make test` runs every test.
SWIFT   ?= swift
CONFIG  ?= config.json
RELEASE := .build/release/vitals
# The Swift runtime linked in statically: ~4 MiB less RSS than shared Swift libraries,
# and the binary runs on machines without a toolchain (sqlite and libc stay shared).
RELEASE_FLAGS := -c release --static-swift-stdlib

.PHONY: deps build release run test conformance bench fuzz fuzz-ci tsan soak clean

deps:
	@./scripts/deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

run: release
	$(RELEASE) --config $(CONFIG)

test: deps
	@./scripts/test.sh

# Debian's prometheus package gives the real promtool and Prometheus the checks run.
conformance: release
	@./scripts/deps.sh prometheus
	@./scripts/conformance.sh

bench: deps
	@./scripts/deps.sh wrk
	$(SWIFT) build $(RELEASE_FLAGS)
	@./scripts/bench.sh

# libFuzzer harnesses under AddressSanitizer, FUZZ_SECONDS each (scripts/fuzz.sh).
FUZZ_SECONDS ?= 300
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz.sh

# The CI share: the seed corpus and its crash regressions replayed, then 15 s of new
# inputs per parser (8 s for the small /proc ones, which saturate in seconds): about 4
# minutes with the sanitizer build on two cores.
fuzz-ci: deps
	@FUZZ_SECONDS=15 FUZZ_PROC_SECONDS=8 ./scripts/fuzz.sh

# The test suite under ThreadSanitizer, in its own build folder so the plain debug build
# is kept. Any report fails the run (TSan's exit status); the summary line stays.
# Tests/tsan.supp says which reports are TSan's blind spot (contended Mutex) and why.
tsan: deps
	@TSAN_OPTIONS="suppressions=$(CURDIR)/Tests/tsan.supp $$TSAN_OPTIONS" ./scripts/test.sh --sanitize=thread --scratch-path .build/tsan

# The release daemon under an hour of load; fails when RSS or descriptors keep growing.
soak: deps
	@./scripts/deps.sh wrk
	$(SWIFT) build $(RELEASE_FLAGS)
	@./scripts/soak.sh

clean:
	rm -rf .build
