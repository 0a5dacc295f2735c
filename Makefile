# RTC Lab — `make run` and `make test` do everything, on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo
OUT ?= out

.PHONY: setup build run test test-rust lint bench clean bindings bindings-check

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build -p rtclab-lab

# The main demo: the four techniques under one workload, with charts and a saved trace.
run: build
	$(CARGO) run -q -p rtclab-lab -- compare --clients 20 --rate 2 --duration 5s --poll-interval 250ms \
		--plots $(OUT)/plots --trace $(OUT)/trace.jsonl
	@echo
	@echo "Charts: $(OUT)/plots/*.svg (open them in a browser)."
	@echo "Replay the captured traffic: $(CARGO) run -q -p rtclab-lab -- trace $(OUT)/trace.jsonl --experiment sse --limit 40"

test: setup lint test-rust bindings-check

# TypeScript types for the UI, generated from Rust by ts-rs (the tests write them).
bindings:
	$(CARGO) test -q --workspace --lib export_bindings

# Fails when the committed bindings differ from what the Rust types generate.
bindings-check: bindings
	@git diff --exit-code -- ui/src/bindings || { echo "ui/src/bindings is out of date: run 'make bindings' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- ui/src/bindings)" || { git status --short -- ui/src/bindings; echo "ui/src/bindings has files that are not committed: run 'make bindings' and commit"; exit 1; }

test-rust:
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		$(CARGO) nextest run --workspace --no-fail-fast; \
	else \
		$(CARGO) test --workspace --no-fail-fast; \
	fi

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Release-build benchmarks; figures go into docs/benchmarks.md by hand.
bench: setup
	$(CARGO) run --release -p rtclab-lab -- bench recorder
	$(CARGO) run --release -p rtclab-lab -- bench tap
	$(CARGO) run --release -p rtclab-lab -- compare --clients 100 --rate 10 --duration 10s

clean:
	$(CARGO) clean
	rm -rf $(OUT)
