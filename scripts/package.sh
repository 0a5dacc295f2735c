#!/usr/bin/env bash
# Builds the desktop app's Debian package with the Tauri CLI (npm `@tauri-apps/cli`, locked
# in ui/package-lock.json). The UI must be built first (`make ui`).
#   scripts/package.sh           release package: target/release/bundle/deb/*.deb
#   scripts/package.sh --debug   debug package, quicker to build (the tests use it)
# Only the .deb is built here: Tauri's AppImage bundler downloads linuxdeploy while it runs
# (see the README for building an AppImage on a machine that can).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
flags=()
if [ "${1:-}" = "--debug" ]; then
  profile=debug
  flags=(--debug)
fi
rm -f target/"$profile"/bundle/deb/*.deb
# The binary is built like `make build` builds it (the same packages, so the same features
# and no second compile; `make test` passes its BUILD_SCOPE), then the Tauri CLI bundles it.
if [ "$profile" = debug ]; then
  # shellcheck disable=SC2086 # BUILD_SCOPE is a list of cargo arguments
  cargo build ${BUILD_SCOPE:--p rtclab-cli -p rtclab-desktop}
else
  cargo build --release -p rtclab-cli -p rtclab-desktop
fi
(cd src-tauri && CI=true ../ui/node_modules/.bin/tauri bundle "${flags[@]}" --bundles deb)
deb=$(ls target/"$profile"/bundle/deb/*.deb)
echo "package: $deb"
