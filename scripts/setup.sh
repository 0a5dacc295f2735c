#!/usr/bin/env bash
# Installs what RTC Lab needs on a Debian or Ubuntu machine — only what is missing — so that
# `make run` and `make test` work on a fresh machine. Safe to run again.
#   build: compilers, WebKitGTK for the desktop window, Node.js for the UI
#   tests: Xvfb and WebKitWebDriver (the real desktop window), Chromium (the browser build)
#   the scaling lab: redis-server (started on demand, on a loopback port, never as a service)
set -euo pipefail

apt_packages=(
  build-essential pkg-config curl ca-certificates
  libwebkit2gtk-4.1-dev
  xvfb webkit2gtk-driver chromium imagemagick
  redis-server
)
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The UI's build tools (Vite 8) need Node.js 20.19 or newer.
node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19)?"yes":"no")')
if [ "$node_ok" != "yes" ]; then
  echo "setup: Node.js $(node --version) is too old; RTC Lab's UI needs Node.js 20.19 or newer." >&2
  echo "       Install a current Node.js (https://nodejs.org or your distribution's backports) and run make again." >&2
  exit 1
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing the Rust toolchain (rustup)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi

# npm packages, exactly as locked, when the lock changed since the last install.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund)
fi
