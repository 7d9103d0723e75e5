#!/usr/bin/env bash
# Remote builds over ssh against the same build done locally, and the incremental context.
#   1. examples/demo, --no-cache, built locally and with -H ssh://root@127.0.0.1 (a private sshd,
#      scripts/local-sshd.sh), RUNS times each, alternating: the median wall times and the
#      median of the pair-by-pair ratios (remote / local).
#   2. A 640 MiB context (64 files of 10 MiB, plus a small one) built remotely three times: the
#      first sends everything, the second (unchanged) and the third (one small file changed)
#      what the remote lacks; the bytes sent and the wall time of each.
# Needs root. Not part of the default test run:
#   scripts/bench-remote.sh [RUNS]
# SWBUILD_TUI names a binary to use instead of building the release one.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
. scripts/lib/bench.sh
bin=$(bench_binary) || exit 2
WORK=$(mktemp -d /tmp/swbr-XXXX)
chmod 755 "$WORK"
port=$(scripts/local-sshd.sh "$WORK/sshd" | tail -1) || { echo "bench-remote: sshd did not start" >&2; exit 2; }
# The shared ssh connection the builds keep goes too, then the sshd.
trap '"$WORK/sshd/bin/ssh" -o ControlPath=/tmp/swbuild-ssh-$(id -u)/%C -p "$port" -l root -O exit 127.0.0.1 2>/dev/null
      kill "$(cat "$WORK/sshd/sshd.pid")"; rm -rf --one-file-system "$WORK"' EXIT
export PATH="$WORK/sshd/bin:$PATH" SWBUILD_REMOTE_COMMAND="SWBUILD_ROOT=$WORK/remote $bin"
host="ssh://root@127.0.0.1:$port"
for root in "$WORK/local" "$WORK/remote" "$WORK/client"; do
  "$bin" image busybox --root "$root" --name busybox:demo >/dev/null || exit 2
done

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
local_t=(); remote_t=(); ratios=()
for i in $(seq 0 "$runs"); do   # run 0 warms up and is not counted
  s=$(now); "$bin" --root "$WORK/local" build --no-cache --progress quiet examples/demo >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }; e=$(now)
  l=$(echo "$e - $s" | bc)
  s=$(now); "$bin" --root "$WORK/client" -H "$host" build --no-cache --progress quiet examples/demo >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }; e=$(now)
  r=$(echo "$e - $s" | bc)
  [ "$i" = 0 ] && continue
  local_t+=("$l"); remote_t+=("$r"); ratios+=("$(echo "scale=4; $r / $l" | bc)")
done
printf 'demo, --no-cache, %s runs each, alternating\n' "$runs"
printf '  local:             %.2f s median\n' "$(printf '%s\n' "${local_t[@]}" | median)"
printf '  over ssh:          %.2f s median\n' "$(printf '%s\n' "${remote_t[@]}" | median)"
printf '  ratio (median of pairs, remote/local): %.2f\n' "$(printf '%s\n' "${ratios[@]}" | median)"

mkdir -p "$WORK/big"
for i in $(seq -w 1 64); do head -c 10485760 /dev/urandom > "$WORK/big/blob-$i.bin"; done
echo "small file" > "$WORK/big/small.txt"
printf 'FROM busybox:demo\nCOPY small.txt /\n' > "$WORK/big/Dockerfile"
echo "640 MiB context (64 x 10 MiB + a small file), built over ssh"
for label in "first build" "unchanged" "one small file changed"; do
  [ "$label" = "one small file changed" ] && echo "changed!!!" > "$WORK/big/small.txt"
  s=$(now); "$bin" --root "$WORK/client" -H "$host" build --progress plain "$WORK/big" >/dev/null 2>"$WORK/out" || { cat "$WORK/out" >&2; exit 1; }; e=$(now)
  sent=$(grep -o 'sent [0-9]* files, [^)]*)' "$WORK/out" | head -1)
  printf '  %-24s %s; %.2f s\n' "$label:" "$sent" "$(echo "$e - $s" | bc)"
done
