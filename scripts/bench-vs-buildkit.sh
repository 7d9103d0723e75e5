#!/usr/bin/env bash
# swbuild side by side with a real BuildKit (the one inside Debian's docker.io dockerd 20.10, a
# private daemon this script starts and stops), from the same busybox base layer, on the
# workloads of the speed issue. The two run in turn; it prints each side's median and the median
# of the pair-by-pair ratios swbuild/BuildKit, the peak RSS of swbuild's large-context build, and
# the OCI export of the large image against single-core gzip (hyperfine).
#
#   scripts/bench-vs-buildkit.sh [--binary PATH] [--runs N] [--files N] [--mb N]
#
#   --binary PATH  the swbuild-tui to measure (default .build/release/swbuild-tui, else debug)
#   --runs N       runs per small workload (default 5; the large context gets max(N-2, 2))
#   --files N      files in the large context (default 10000)
#   --mb N         its size in MB, random bytes (default 640)
#
# Needs root, hyperfine, dockerd and /usr/bin/docker (scripts/setup.sh installs them). Not part of
# the test run: it measures, it does not judge.
set -u
set -o pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
BINARY=""
RUNS=5
FILES=10000
MB=640
DOCKER=/usr/bin/docker
PREFIX=bench-vs-buildkit
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) BINARY=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --files) FILES=$2; shift 2 ;;
        --mb) MB=$2; shift 2 ;;
        *) echo "$PREFIX: unknown argument $1" >&2; exit 2 ;;
    esac
done
fatal() { echo "$PREFIX: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || fatal "must run as root"
if [ -z "$BINARY" ]; then
    BINARY=$REPO/.build/release/swbuild-tui
    [ -x "$BINARY" ] || BINARY=$REPO/.build/debug/swbuild-tui
fi
[ -x "$BINARY" ] || fatal "no swbuild-tui at $BINARY (swift build -c release --static-swift-stdlib)"
for tool in hyperfine skopeo python3 dockerd "$DOCKER"; do command -v "$tool" >/dev/null 2>&1 || fatal "$tool is required"; done
PYTHON=/usr/bin/python3; [ -x "$PYTHON" ] || PYTHON=$(command -v python3)

WORK=$(mktemp -d /tmp/swbb-XXXX) || fatal "mktemp failed"
chmod 755 "$WORK"
# shellcheck source=lib/driver.sh
. "$SCRIPT_DIR/lib/driver.sh"
# shellcheck source=lib/dockerd.sh
. "$SCRIPT_DIR/lib/dockerd.sh"
cleanup() {
    trap - EXIT INT TERM
    stop_dockerd
    unmount_under "$WORK" && rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_dockerd || exit 2
BASE_ROOT=$WORK/base-root
load_base "$BINARY" "$BASE_ROOT" || exit 2
SW="$BINARY --root $WORK/r"
cp -a "$BASE_ROOT" "$WORK/r"
BK="$DOCKER -H $DHOST build --network=host -q"

# --- the workloads' contexts -----------------------------------------------------------------------
mkdir -p "$WORK/cached" "$WORK/runs" "$WORK/big/data"
{   # 24 steps over 3 stages
    for s in a b c; do
        echo "FROM busybox:test AS $s"
        for i in 1 2 3 4; do echo "RUN echo $s$i > /$s$i"; echo "COPY f$i /$s/f$i"; done
    done
    echo "FROM a"
    echo "COPY --from=b /b1 /b1"
    echo "COPY --from=c /c1 /c1"
} > "$WORK/cached/Dockerfile"
for i in 1 2 3 4; do echo "$i" > "$WORK/cached/f$i"; done
{ echo "FROM busybox:test"; for i in $(seq 15); do echo "RUN echo step $i > /s$i"; done; } > "$WORK/runs/Dockerfile"
printf 'FROM busybox:test\nCOPY data/ /data/\n' > "$WORK/big/Dockerfile"
"$PYTHON" - "$WORK/big/data" "$FILES" "$MB" <<'PY'
import os, sys
d, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = mb * 1024 * 1024 // n
for i in range(n):
    sub = os.path.join(d, f"d{i // 500:03d}")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f{i:05d}.bin"), "wb") as f:
        f.write(os.urandom(size))
PY

# --- measuring -------------------------------------------------------------------------------------
ROWS=()
# pair NAME RUNS PREPARE_SW PREPARE_BK SW_CMD BK_CMD: runs swbuild and BuildKit in turn (A B A B ...,
# each after its own preparation, a warm-up pair first) and prints both medians and the median of
# the pair-by-pair ratios: a machine whose speed drifts (shared cores) moves both sides of a pair.
pair() {
    local row
    row=$("$PYTHON" - "$@" <<'PY'
import shlex, statistics, subprocess, sys, time
name, runs, prep_sw, prep_bk, sw, bk = sys.argv[1], int(sys.argv[2]), *sys.argv[3:7]
def run(command, prepare):
    subprocess.run(prepare, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.monotonic()
    done = subprocess.run(shlex.split(command), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.monotonic() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
        sys.exit(f"{name}: {command.split()[0]} failed ({done.returncode})")
    return elapsed
run(sw, prep_sw); run(bk, prep_bk)
a, b = [], []
for _ in range(runs):
    a.append(run(sw, prep_sw))
    b.append(run(bk, prep_bk))
ratio = statistics.median(x / y for x, y in zip(a, b))
def ms(x): return f"{x * 1000:,.0f} ms"
print(f"| {name} | {ms(statistics.median(a))} ({ms(min(a))}–{ms(max(a))}) | "
      f"{ms(statistics.median(b))} ({ms(min(b))}–{ms(max(b))}) | {ratio:.2f} |")
PY
) || fatal "$1: a run failed"
    ROWS+=("$row")
    echo "$row"
}

echo "bench-vs-buildkit: $(nproc) cores, swbuild $BINARY, dockerd $("$DOCKER" -H "$DHOST" version --format '{{.Server.Version}}')"
echo "| workload | swbuild median (min–max) | BuildKit median (min–max) | ratio (median of pairs) |"
echo "|---|---|---|---|"
# Warm both caches for the cached rebuild.
$SW build --progress quiet -t bench/cached "$WORK/cached" >/dev/null 2>&1 || fatal "swbuild cannot build the cached workload"
$BK -t bench/cached "$WORK/cached" >/dev/null 2>&1 || fatal "BuildKit cannot build the cached workload"
pair "fully cached rebuild, 24 steps over 3 stages, image to the store" "$RUNS" true true \
    "$SW build --progress quiet -t bench/cached $WORK/cached" "$BK -t bench/cached $WORK/cached"
pair "15 RUN steps, --no-cache" "$RUNS" true true \
    "$SW build --progress quiet --no-cache -t bench/runs $WORK/runs" "$BK --no-cache -t bench/runs $WORK/runs"
BIG_RUNS=$(( RUNS > 4 ? RUNS - 2 : 2 ))
pair "first build, $FILES files / $MB MB (COPY data/ /data/)" "$BIG_RUNS" \
    "bash -c 'rm -rf $WORK/r && cp -a $BASE_ROOT $WORK/r'" \
    "bash -c '$DOCKER -H $DHOST rmi -f bench/big >/dev/null 2>&1; $DOCKER -H $DHOST builder prune -af >/dev/null'" \
    "$SW build --progress quiet -t bench/big $WORK/big" "$BK -t bench/big $WORK/big"
pair "the same, unchanged rebuild" "$RUNS" true true \
    "$SW build --progress quiet -t bench/big $WORK/big" "$BK -t bench/big $WORK/big"
rm -rf "$WORK/r" && cp -a "$BASE_ROOT" "$WORK/r"
peak=$(/usr/bin/time -f %M $SW build --progress quiet -t bench/big "$WORK/big" 2>&1 >/dev/null | tail -1)
echo "peak RSS of swbuild's first large build: $(( peak / 1024 )) MiB"

# --- exporting the large image as an OCI archive: every core compresses ---------------------------
# swbuild compresses a layer only when an output asks for a blob. Timed here: the export of the
# 640 MB image (steps all cached, layer not yet compressed), against single-core `gzip -6` (zlib's
# level, which the export used before) of the same uncompressed layer.
EXPORT_RUNS=$(( RUNS > 4 ? RUNS - 2 : 2 ))
fresh_big="bash -c 'rm -rf $WORK/r && cp -a $BASE_ROOT $WORK/r && $SW build --progress quiet -t bench/big $WORK/big >/dev/null 2>&1'"
hyperfine -N --style none -r "$EXPORT_RUNS" --prepare "$fresh_big" --export-json "$WORK/ex.json" \
    "env SOURCE_DATE_EPOCH=0 $SW build --progress quiet -t bench/big -o type=oci,dest=$WORK/big-a.tar $WORK/big" >/dev/null 2>"$WORK/h.err" ||
    { cat "$WORK/h.err" >&2; fatal "the OCI export failed"; }
SOURCE_DATE_EPOCH=0 $SW build --progress quiet -t bench/big -o type=oci,dest="$WORK/big-u.tar",compression=uncompressed "$WORK/big" >/dev/null 2>&1 ||
    fatal "the uncompressed OCI export failed"
mkdir -p "$WORK/u" && tar -xf "$WORK/big-u.tar" -C "$WORK/u"
layer=$(ls -S "$WORK"/u/blobs/sha256/* | head -1)
hyperfine -N --style none -r "$EXPORT_RUNS" --export-json "$WORK/gz.json" "gzip -6 -c -n $layer" >/dev/null 2>"$WORK/h.err" ||
    { cat "$WORK/h.err" >&2; fatal "gzip failed"; }
"$PYTHON" - "$WORK/ex.json" "$WORK/gz.json" "$MB" <<'PY'
import json, sys
def median(p): return json.load(open(p))["results"][0]["median"]
sw, gz = median(sys.argv[1]), median(sys.argv[2])
print(f"| -o type=oci of the {sys.argv[3]} MB image (compression included) | {sw * 1000:,.0f} ms | gzip -6 alone, one core: {gz * 1000:,.0f} ms | {sw / gz:.2f} |")
PY
# The same image exported from a second fresh root, and after the blob is cached: one digest.
eval "$fresh_big"
SOURCE_DATE_EPOCH=0 $SW build --progress quiet -t bench/big -o type=oci,dest="$WORK/big-b.tar" "$WORK/big" >/dev/null 2>&1 || fatal "the second export failed"
SOURCE_DATE_EPOCH=0 $SW build --progress quiet -t bench/big -o type=oci,dest="$WORK/big-c.tar" "$WORK/big" >/dev/null 2>&1 || fatal "the third export failed"
digests=$(for t in a b c; do skopeo inspect --raw "oci-archive:$WORK/big-$t.tar" | sha256sum | cut -c1-64; done | sort -u)
[ "$(echo "$digests" | wc -l)" = 1 ] || fatal "the exports differ: $digests"
echo "one manifest digest for three exports (two fresh roots, one cached blob): sha256:$digests"
ref=$("$PYTHON" -c 'import json,sys,tarfile; t=tarfile.open(sys.argv[1]); i=json.load(t.extractfile("index.json")); print(i["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$WORK/big-a.tar")
mkdir -p "$WORK/layout" && tar -xf "$WORK/big-a.tar" -C "$WORK/layout"
umoci unpack --image "$WORK/layout:$ref" "$WORK/unpacked" >/dev/null 2>&1 || fatal "umoci cannot unpack the export"
echo "umoci unpacks it: $(find "$WORK/unpacked/rootfs/data" -type f | wc -l) files; skopeo reads it"
