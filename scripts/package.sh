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
(cd src-tauri && ../ui/node_modules/.bin/tauri build "${flags[@]}" --bundles deb --ci)
deb=$(ls target/"$profile"/bundle/deb/*.deb)
echo "package: $deb"
