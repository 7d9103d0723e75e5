#!/usr/bin/env bash
# The dashboard on a Docker-engine build against `docker build --quiet` (docker 20.10's spelling
# of --progress=quiet) of the same Dockerfile on the same engine (Debian's dockerd, started privately): a build of RUN steps that
# print, --no-cache, the two alternating RUNS times (median wall time, and the median of the
# pair-by-pair ratios). Also `swbuild-tui build --builder docker --progress quiet`, for the cost
# of the client itself. Needs root. Not part of the default test run:
#   scripts/bench-docker-engine.sh [RUNS]
# SWBUILD_TUI names a binary to use instead of building the release one.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
. scripts/lib/bench.sh
bin=$(bench_binary) || exit 2
DOCKER=/usr/bin/docker
PYTHON=/usr/bin/python3
PREFIX=bench-docker-engine
WORK=$(mktemp -d /tmp/swbe-XXXX)
chmod 755 "$WORK"
ROOT=$WORK/r
. scripts/lib/dockerd.sh
trap 'tmux kill-session -t engine 2>/dev/null; stop_dockerd; rm -rf --one-file-system "$WORK"' EXIT
start_dockerd || exit 2
load_base "$bin" "$ROOT" || exit 2
mkdir -p "$WORK/ctx"
{
  echo "FROM busybox:test"
  for i in $(seq 1 8); do echo "RUN seq 1 2000 | sed 's/^/step $i line /' && sleep 0.2"; done
} > "$WORK/ctx/Dockerfile"

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
docker_q=(); dash=(); sw_q=(); ratios=()
for i in $(seq 0 "$runs"); do   # run 0 warms up and is not counted
  s=$(now); "$DOCKER" -H "$DHOST" build --network host --no-cache --quiet "$WORK/ctx" >/dev/null 2>"$WORK/docker.err" || { cat "$WORK/docker.err" >&2; exit 1; }; e=$(now)
  dq=$(echo "$e - $s" | bc)
  rm -f "$WORK/done"
  tmux kill-session -t engine 2>/dev/null
  tmux new-session -d -s engine -x 160 -y 45 "env LANG=C.UTF-8 TERM=xterm-256color sh -c 's=\$(date +%s.%N); $bin --root $ROOT build --builder docker --docker-host $DHOST --network host --no-cache --progress tty --exit-on-finish $WORK/ctx >/dev/null 2>&1; e=\$(date +%s.%N); echo \"\$e - \$s\" | bc > $WORK/done'; sleep 60"
  while [ ! -s "$WORK/done" ]; do sleep 0.05; done
  d=$(cat "$WORK/done")
  s=$(now); "$bin" --root "$ROOT" build --builder docker --docker-host "$DHOST" --network host --no-cache --progress quiet "$WORK/ctx" >/dev/null 2>&1; e=$(now)
  sq=$(echo "$e - $s" | bc)
  [ "$i" = 0 ] && continue
  docker_q+=("$dq"); dash+=("$d"); sw_q+=("$sq"); ratios+=("$(echo "scale=4; $d / $dq" | bc)")
done
echo "8 RUN steps of 2,000 lines each on dockerd's BuildKit, --no-cache, $runs runs each, alternating (median wall time):"
echo "  docker build --quiet                     $(printf '%s\n' "${docker_q[@]}" | median)s   (${docker_q[*]})"
echo "  swbuild-tui dashboard (tmux)             $(printf '%s\n' "${dash[@]}" | median)s   (${dash[*]})"
echo "  swbuild-tui --progress quiet             $(printf '%s\n' "${sw_q[@]}" | median)s   (${sw_q[*]})"
echo "  dashboard / docker quiet (median of pair ratios)  $(printf '%s\n' "${ratios[@]}" | median)"
