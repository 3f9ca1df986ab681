# Vitals: `make run` starts the daemon on ./config.json; `make test` runs every test.
SWIFT   ?= swift
CONFIG  ?= config.json
RELEASE := .build/release/vitals
# The Swift runtime linked in statically: ~4 MiB less RSS than shared Swift libraries,
# and the binary runs on machines without a toolchain (sqlite and libc stay shared; libz
# is loaded with dlopen on the first gzip answer).
RELEASE_FLAGS := -c release --static-swift-stdlib

# `make install` paths; DESTDIR stages into another root (packaging, tests).
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
UNITDIR    ?= /etc/systemd/system
DESTDIR    ?=

.PHONY: deps build release run test conformance bench fuzz fuzz-ci tsan soak clean install uninstall

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

# Debian's prometheus and prometheus-alertmanager packages give the real promtool,
# Prometheus and Alertmanager the checks run.
conformance: release
	@./scripts/deps.sh prometheus systemd prometheus-alertmanager
	@./scripts/conformance.sh

bench: deps
	@./scripts/deps.sh wrk
	$(SWIFT) build $(RELEASE_FLAGS)
	@./scripts/bench.sh

# The binary, the systemd unit (pointing at them), and a default config that is never
# overwritten: an edited /etc/vitals/config.json survives every reinstall.
install: release
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(SYSCONFDIR)/vitals"
	install -m 0755 $(RELEASE) "$(DESTDIR)$(PREFIX)/bin/vitals"
	sed -e 's#/usr/local/bin/vitals#$(PREFIX)/bin/vitals#' -e 's#/etc/vitals/config.json#$(SYSCONFDIR)/vitals/config.json#' \
	    deploy/vitals.service > "$(DESTDIR)$(UNITDIR)/vitals.service"
	chmod 0644 "$(DESTDIR)$(UNITDIR)/vitals.service"
	@if [ -e "$(DESTDIR)$(SYSCONFDIR)/vitals/config.json" ]; then \
	    echo "install: keeping the existing $(SYSCONFDIR)/vitals/config.json"; \
	else \
	    install -m 0644 deploy/config.json "$(DESTDIR)$(SYSCONFDIR)/vitals/config.json"; \
	fi
	@echo "install: done; now: systemctl daemon-reload && systemctl enable --now vitals"

# Removes what install put there except the config and the data (/var/lib/vitals).
uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/vitals" "$(DESTDIR)$(UNITDIR)/vitals.service"
	@echo "uninstall: kept $(SYSCONFDIR)/vitals/config.json and the data directory; remove them by hand if wanted"

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
