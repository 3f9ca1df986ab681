# Vitals: `make run` starts the daemon on ./config.json; `make test` runs every test.
SWIFT   ?= swift
CONFIG  ?= config.json
RELEASE := .build/release/vitals

.PHONY: deps build release run test conformance bench clean

deps:
	@./scripts/deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	$(RELEASE) --config $(CONFIG)

test: deps
	$(SWIFT) test

conformance: release
	@./scripts/conformance.sh

bench: deps
	@./scripts/deps.sh wrk
	$(SWIFT) build -c release
	@./scripts/bench.sh

clean:
	rm -rf .build
