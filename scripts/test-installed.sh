#!/usr/bin/env bash
# The installed programs work outside the checkout, with nothing of it around:
#  1. the .deb (built by `scripts/package.sh --debug`) is unpacked into a scratch root with
#     dpkg-deb; its desktop binary is started from /tmp under Xvfb and driven through
#     WebDriver: the course lists its lessons and a WebSocket run shows events;
#  2. `cargo install --path crates/cli` into a scratch root; `rtc-lab serve`, started in /tmp,
#     serves the UI and the course.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
scratch=$(mktemp -d /tmp/rtc-lab-installed-XXXXXX)
serve_pid=""
trap '[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$scratch"' EXIT

fail() { echo "test-installed: $*" >&2; exit 1; }

# 1. The desktop package.
deb=$(ls target/debug/bundle/deb/*.deb 2>/dev/null | head -1) || true
[ -n "$deb" ] || fail "no .deb under target/debug/bundle/deb; run scripts/package.sh --debug first"
dpkg-deb -x "$deb" "$scratch/root"
desktop="$scratch/root/usr/bin/rtc-lab-desktop"
contents=$(dpkg-deb -c "$deb")
[ -x "$desktop" ] || fail "the package has no usr/bin/rtc-lab-desktop: $contents"
grep -q 'usr/share/applications/.*\.desktop' <<<"$contents" || fail "the package has no .desktop entry: $contents"
mkdir -p "$scratch/shots"
RTCLAB_DESKTOP_BIN="$desktop" RTCLAB_E2E_CWD=/tmp RTCLAB_SCREENSHOTS="$scratch/shots" \
  scripts/with-xvfb.sh node ui/e2e/desktop.e2e.mjs
echo "test-installed: the .deb's desktop app runs from /tmp and finds its course"

# 2. The command-line tool, installed by cargo (debug, reusing this checkout's build).
CARGO_TARGET_DIR="$repo/target" cargo install --quiet --locked --debug --path crates/cli --root "$scratch/cargo"
cli="$scratch/cargo/bin/rtc-lab"
cd /tmp
env -u RTCLAB_UI_DIR -u RTCLAB_LESSONS_DIR RTCLAB_DATA_DIR="$scratch/data" "$cli" serve >"$scratch/serve.out" 2>"$scratch/serve.err" &
serve_pid=$!
for _ in $(seq 1 100); do
  [ -s "$scratch/serve.out" ] && break
  sleep 0.1
done
url=$(head -1 "$scratch/serve.out")
[ -n "$url" ] || fail "rtc-lab serve printed no URL: $(cat "$scratch/serve.err")"
origin=${url%%/?token=*}
token=${url##*token=}
page=$(curl -fsS "$origin/")
grep -q '<title>RTC Lab</title>' <<<"$page" || fail "the installed rtc-lab serve does not serve the UI: $page"
asset=$(grep -o 'src="\.\?/assets/[^"]*\.js"' <<<"$page" | head -1 | sed 's/src="\.\?//; s/"$//') || true
[ -n "$asset" ] || fail "the UI page names no script: $page"
curl -fsS -o /dev/null "$origin$asset" || fail "the UI's script $asset is not served"
lessons=$(curl -fsS -X POST -H "Authorization: Bearer $token" "$origin/api/course" |
  node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{const c=JSON.parse(t);console.log(c.lessons.length+" "+c.problems.length)})')
[ "${lessons%% *}" -ge 12 ] || fail "the installed course has ${lessons%% *} lessons"
[ "${lessons##* }" = 0 ] || fail "the installed course reports ${lessons##* } problem(s)"
echo "test-installed: the cargo-installed rtc-lab serves the UI and ${lessons%% *} lessons from /tmp"
