# RTC Lab — `make run` and `make test` do everything, on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo
OUT ?= out
# What `make build` compiles: the two programs. `make test` compiles every target of the
# workspace in that one step instead, so the programs its end-to-end tests start and the test
# binaries share one resolution of dependency features (dev-dependencies such as proptest turn
# on a few more) and no dependency is compiled twice.
BUILD_SCOPE ?= -p rtclab-cli -p rtclab-desktop
test: BUILD_SCOPE = --workspace --all-targets

.PHONY: setup ui build run demo test test-rust test-ui test-browser test-desktop test-package package lint bench clean bindings bindings-check

setup:
	@scripts/setup.sh

ui: setup
	cd ui && npm run build

build: ui
	$(CARGO) build $(BUILD_SCOPE)

# Opens the desktop app; with no display, serves the same UI to a browser instead.
run: build
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		./target/debug/rtc-lab-desktop; \
	else \
		echo "No display found: serving the UI to your browser instead (Ctrl-C stops it)."; \
		./target/debug/rtc-lab serve; \
	fi

# The command-line demo: the four techniques compared, with charts and a saved trace.
demo: setup
	$(CARGO) run -q -p rtclab-cli -- compare --clients 20 --rate 2 --duration 5s --poll-interval 250ms \
		--plots $(OUT)/plots --trace $(OUT)/trace.jsonl

test: build lint test-rust bindings-check test-ui test-browser test-desktop test-package

test-ui:
	cd ui && npm test
	cd ui && npm run check

# The UI in headless Chromium against `rtc-lab serve` (screenshots land in docs/screenshots).
test-browser:
	cd ui && node e2e/browser.e2e.mjs
	cd ui && node e2e/course.e2e.mjs
	cd ui && node e2e/natlab.e2e.mjs
	cd ui && node e2e/cluster.e2e.mjs
	cd ui && node e2e/practice.e2e.mjs
	cd ui && node e2e/calls.e2e.mjs

# The real desktop window under Xvfb, driven through WebKitWebDriver.
test-desktop:
	scripts/with-xvfb.sh node ui/e2e/desktop.e2e.mjs

# The desktop app's Debian package (release): target/release/bundle/deb/.
package: ui
	scripts/package.sh

# The installed programs run outside the checkout: a debug .deb unpacked into a scratch root
# and a `cargo install`ed rtc-lab, each started from /tmp.
test-package: build
	BUILD_SCOPE="$(BUILD_SCOPE)" scripts/package.sh --debug
	scripts/test-installed.sh

# TypeScript for the UI, generated from Rust (the tests write them): the types (ts-rs) and
# the client of every operation (ui/src/ipc/operations.ts).
# (The whole workspace, so the build is shared with the tests; the desktop crate needs the UI built.)
bindings: ui
	$(CARGO) test -q --workspace --lib export_bindings

# Fails when the committed bindings differ from what the Rust types generate.
bindings-check: bindings
	@git diff --exit-code -- ui/src/bindings ui/src/ipc/operations.ts || { echo "ui/src/bindings or ui/src/ipc/operations.ts is out of date: run 'make bindings' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- ui/src/bindings ui/src/ipc/operations.ts)" || { git status --short -- ui/src/bindings ui/src/ipc/operations.ts; echo "generated files are not committed: run 'make bindings' and commit"; exit 1; }

test-rust:
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		$(CARGO) nextest run --workspace --no-fail-fast; \
	else \
		$(CARGO) test --workspace --no-fail-fast --lib --bins --tests; \
	fi
	@echo "doc tests (nextest does not run them): the operation table refuses an operation without a handler"
	$(CARGO) test -q --doc -p rtclab-app

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Release-build benchmarks; figures go into docs/benchmarks.md by hand.
bench: ui
	$(CARGO) build --release -p rtclab-cli -p rtclab-desktop
	./target/release/rtc-lab bench recorder
	./target/release/rtc-lab bench tap
	./target/release/rtc-lab bench nat
	./target/release/rtc-lab bench webrtc
	./target/release/rtc-lab bench call
	./target/release/rtc-lab compare --clients 100 --rate 10 --duration 10s
	cd ui && RTCLAB_PROFILE=release node e2e/bench-timeline.mjs
	cd ui && RTCLAB_PROFILE=release node e2e/bench-ingest.mjs
	RTCLAB_PROFILE=release scripts/with-xvfb.sh scripts/bench-cold-start.sh

clean:
	$(CARGO) clean
	rm -rf $(OUT)
