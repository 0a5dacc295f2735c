#!/usr/bin/env bash
# Cold start of the desktop app to its first painted frame, and the binary's size.
# The app measures itself: the UI reports its first paint, the app prints the time since the
# process started and quits (RTCLAB_EXIT_AFTER_FIRST_PAINT). Median of 7 runs.
set -euo pipefail
app="target/${RTCLAB_PROFILE:-release}/rtc-lab-desktop"
[ -x "$app" ] || { echo "build $app first (make bench does)"; exit 1; }
times=()
for i in $(seq 1 7); do
  start=$(date +%s%N)
  line=$(RTCLAB_EXIT_AFTER_FIRST_PAINT=1 timeout 60 "$app" | grep -m1 'first paint after')
  end=$(date +%s%N)
  ms=$(echo "$line" | sed -E 's/first paint after ([0-9.]+) ms/\1/')
  wall=$(( (end - start) / 1000000 ))
  echo "run $i: first paint after $ms ms (process start to exit: $wall ms)"
  times+=("$ms")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 4p)
echo "median first paint: $median ms over 7 runs (goal ≤ 1500 ms)"
echo "binary size: $(stat -c %s "$app") bytes as built (with line tables for profiling)"
stripped=$(mktemp)
strip -o "$stripped" "$app"
echo "binary size stripped (as shipped in packages): $(stat -c %s "$stripped") bytes ($(du -h "$stripped" | cut -f1))"
rm -f "$stripped"
