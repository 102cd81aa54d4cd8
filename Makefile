# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/tools/node_modules/.bin:$(PATH)

LISTEN ?= 127.0.0.1:8080
DATA ?= data

.PHONY: run test help lint setup web server build test-rust test-postgres test-web test-e2e size bench clean

## run: install what is missing, build the web app and the server, start with demo data
run: build
	@echo "Starting Relive with demo data (Ctrl-C stops it)..."
	./target/release/relive --demo --listen $(LISTEN) --db $(DATA)/relive.db --media-dir $(DATA)/media --images-dir $(DATA)/images --dist dist

## test: lint, then every test (Rust unit + integration, the server's again on PostgreSQL,
## end-to-end in real browsers)
test: setup web
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-rust CARGO_TEST_FLAGS=--quiet
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-e2e

## help: this list (from the `## name: what` comments above each target)
help:
	@awk '/^## [a-z0-9-]+:/ { sub(/^## /, ""); i = index($$0, ":"); printf "  \033[1m%-13s\033[0m%s\n", substr($$0, 1, i - 1), substr($$0, i + 1); next } \
	     /^## / { sub(/^## /, ""); printf "  %-13s %s\n", "", $$0 }' $(MAKEFILE_LIST)

## lint: rustfmt check, then clippy with warnings as errors: the workspace natively, and the
## web app and its worker on wasm32 as trunk builds them
lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	cargo clippy -p relive-web --lib --bins --target wasm32-unknown-unknown --quiet -- -D warnings

## setup: install what is missing (Debian packages, trunk, wasm-bindgen, npm tools)
setup:
	@scripts/setup.sh

## web: build the web app into dist/ (release, precompressed) and print its size
web: setup
	@scripts/build-web.sh

## server: build the server (release)
server: setup
	cargo build --release -p relive-server

build: web server

## test-rust: the Rust unit and integration tests only (on SQLite). The server is tested on
## its own (`-p`), as test-postgres and test-e2e build it: a `--workspace` build unifies the
## web app's dependency features into the server's and would compile it all a second time
test-rust:
	cargo test --workspace --exclude relive-server $(CARGO_TEST_FLAGS)
	cargo test -p relive-server $(CARGO_TEST_FLAGS)

## test-postgres: the server's unit and integration tests again, on PostgreSQL: a throwaway
## cluster in a temporary folder (scripts/with-postgres.sh), a database per test; same build
test-postgres:
	scripts/with-postgres.sh env RELIVE_TEST_DB=postgres RELIVE_REQUIRE_PG=1 cargo test -p relive-server --quiet

## test-e2e: the real server (debug build) and the built web app in headless Chromium and Firefox
test-e2e:
	cargo build --quiet -p relive-server
	cd e2e && node --test --test-concurrency=1 tests/

## size: the brotli size of what the first page load downloads
size:
	@scripts/web-size.sh

## bench: figures, printed and never asserted (bench/README.md): makes the test media once
## (FLV, MPEG-TS, HLS), native remux throughput (criterion: FLV, and MPEG-TS once media/
## has its bench), a 3-hour recording's poster and storyboard (CPU seconds per hour of
## video and peak memory, server/README.md; the file is made once), then in headless
## Chromium: remux throughput, ours (WASM, and the app's workers) vs mpegts.js (FLV)
## and hls.js (TS), code sizes; then the players against the
## real server (debug build) and the web app as built in dist/ (`make web`): first frame
## from navigation and from play(), seek latency, FLV vs mpegts.js and HLS vs hls.js
bench: setup
	@bench/make-media.sh
	cargo bench -p relive-media --bench remux
	@if grep -q '^name = "ts"' media/Cargo.toml; then cargo bench -p relive-media --bench ts; fi
	cargo bench -p relive-media --bench mp4
	cargo run --release --quiet -p relive-server --example images_bench
	@[ bench/node_modules/.package-lock.json -nt bench/package-lock.json ] || npm ci --prefix bench --no-audit --no-fund --loglevel=error
	node bench/browser-bench.mjs
	cargo build --quiet -p relive-server
	node bench/player-bench.mjs

## bench-server: the server under load (bench/README.md, "Server"): release build, wrk over
## loopback on replay lists (first and deep pages), durable Tencent callbacks, resident memory.
## Seeds 1,000,000 replays once into bench/.cache/server/. Not part of `make test`.
.PHONY: bench-server
bench-server:
	@bench/server/run.sh

## fuzz: a media parser under libFuzzer for FUZZ_SECONDS (media/fuzz/README.md): FUZZ_TARGET
## remux (FLV, the default), ts (MPEG-TS) or mp4 (progressive MP4); stable Rust, so no sanitizer (-s none); lowest
## priority, one process. Not part of `make test`.
FUZZ_SECONDS ?= 600
FUZZ_TARGET ?= remux
FUZZ_ARGS ?=
.PHONY: fuzz
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	@mkdir -p media/fuzz/corpus/$(FUZZ_TARGET)
	cd media && nice -n 19 cargo fuzz run -s none $(FUZZ_TARGET) fuzz/corpus/$(FUZZ_TARGET) fuzz/seeds/$(FUZZ_TARGET) -- \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $(FUZZ_ARGS)

## fuzz-hooks: cargo fuzz over every hook format's parsing (server/fuzz/)
fuzz-hooks:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	@mkdir -p server/fuzz/corpus/hooks
	cd server && nice -n 19 cargo fuzz run -s none hooks fuzz/corpus/hooks fuzz/seeds/hooks -- \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $(FUZZ_ARGS)

## clean: remove build output (target/, dist/)
clean:
	cargo clean
	rm -rf dist
