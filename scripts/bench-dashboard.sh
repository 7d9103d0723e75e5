#!/usr/bin/env bash
# Log-flood benchmark: a step printing LINES lines (400,000 by default), built with
# --progress=quiet and under the dashboard in a real terminal (tmux), alternating, RUNS times
# each; prints the median wall time of each and the dashboard's peak memory. Needs root. Not
# part of the default test run:
#   scripts/bench-dashboard.sh [RUNS] [LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
lines=${2:-400000}
swift build -c release --static-swift-stdlib --product swbuild-tui >/dev/null
bin=$PWD/.build/release/swbuild-tui
work=$(mktemp -d /tmp/swbuild-flood.XXXXXX)
trap 'tmux kill-session -t flood 2>/dev/null || true; sleep 1; rm -rf "$work"' EXIT
root=$work/root
"$bin" image busybox --root "$root" --name busybox:flood >/dev/null
mkdir -p "$work/ctx"
printf 'FROM busybox:flood\nRUN seq 1 %s\n' "$lines" > "$work/ctx/Dockerfile"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Quiet and dashboard runs alternate, so a change in the machine's load hits both alike.
quiet=()
dash=()
for i in $(seq 1 "$runs"); do
  s=$(date +%s.%N)
  "$bin" build --root "$root" --no-cache --progress quiet "$work/ctx" >/dev/null
  e=$(date +%s.%N)
  quiet+=("$(echo "$e - $s" | bc)")

  rm -f "$work/done" "$work/rss"
  tmux kill-session -t flood 2>/dev/null || true
  tmux new-session -d -s flood -x 160 -y 45 "env LANG=C.UTF-8 TERM=xterm-256color /usr/bin/time -f %M -o $work/rss sh -c 's=\$(date +%s.%N); $bin build --root $root --no-cache --progress tty --exit-on-finish $work/ctx >/dev/null 2>&1; e=\$(date +%s.%N); echo \"\$e - \$s\" | bc > $work/done'; sleep 30"
  while [ ! -s "$work/done" ]; do sleep 0.05; done
  dash+=("$(cat "$work/done")")
done

q=$(printf '%s\n' "${quiet[@]}" | median)
d=$(printf '%s\n' "${dash[@]}" | median)
echo "$lines log lines, $runs runs each, alternating (median wall time):"
echo "  --progress=quiet   ${q}s   (${quiet[*]})"
echo "  dashboard (tmux)   ${d}s   (${dash[*]})"
echo "  dashboard / quiet  $(echo "scale=3; $d / $q" | bc)"
echo "  dashboard peak RSS $(cat "$work/rss" 2>/dev/null || echo '?') KiB"
