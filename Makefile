# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/tools/node_modules/.bin:$(PATH)

LISTEN ?= 127.0.0.1:8080
DATA ?= data

.PHONY: run test setup web server build test-rust test-web test-e2e size bench clean

## run: install what is missing, build the web app and the server, start with demo data
run: build
	@echo "Starting Relive with demo data (Ctrl-C stops it)..."
	./target/release/relive --demo --listen $(LISTEN) --db $(DATA)/relive.db --media-dir $(DATA)/media --dist dist

## test: every test (Rust unit + integration, browser components, end-to-end in Chromium)
test: setup web
	cargo test --workspace --quiet
	$(MAKE) --no-print-directory test-e2e

setup:
	@scripts/setup.sh

web: setup
	@scripts/build-web.sh

server: setup
	cargo build --release -p relive-server

build: web server

test-rust:
	cargo test --workspace

## test-e2e: the real server (debug build) and the built web app in headless Chromium
test-e2e:
	cargo build --quiet -p relive-server
	cd e2e && node --test --test-concurrency=1 tests/

size:
	@scripts/web-size.sh

## bench: figures, printed and never asserted (bench/README.md): makes the test FLVs once,
## native remux throughput (criterion), then ours (WASM) vs mpegts.js in headless Chromium:
## remux throughput, then the players (time to first frame, seek latency) against the
## real server (debug build) and the web app as built in dist/ (`make web`)
bench: setup
	@bench/make-media.sh
	cargo bench -p relive-media --bench remux
	@[ bench/node_modules/.package-lock.json -nt bench/package-lock.json ] || npm ci --prefix bench --no-audit --no-fund --loglevel=error
	node bench/browser-bench.mjs
	cargo build --quiet -p relive-server
	node bench/player-bench.mjs

## bench-server: the server under load (bench/README.md, "Server"): release build, wrk over
## loopback: replay lists (first and deep pages), durable Tencent callbacks, resident memory.
## Seeds 1,000,000 replays once into bench/.cache/server/. Not part of `make test`.
.PHONY: bench-server
bench-server:
	@bench/server/run.sh

## fuzz: the FLV parser under libFuzzer for FUZZ_SECONDS (media/fuzz/README.md); stable Rust,
## so no sanitizer (-s none); lowest priority, one process. Not part of `make test`.
FUZZ_SECONDS ?= 600
FUZZ_ARGS ?=
.PHONY: fuzz
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	@mkdir -p media/fuzz/corpus/remux
	cd flv && nice -n 19 cargo fuzz run -s none remux fuzz/corpus/remux fuzz/seeds/remux -- \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $(FUZZ_ARGS)

## fuzz-hooks: cargo fuzz over every hook format's parsing (server/fuzz/)
fuzz-hooks:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	@mkdir -p server/fuzz/corpus/hooks
	cd server && nice -n 19 cargo fuzz run -s none hooks fuzz/corpus/hooks fuzz/seeds/hooks -- \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $(FUZZ_ARGS)

clean:
	cargo clean
	rm -rf dist
