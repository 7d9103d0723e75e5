#!/usr/bin/env bash
# Engine benchmarks, side by side with buildah from Debian (release build, hyperfine, as root):
#  1. a fully cached rebuild of a 24-step multi-stage Dockerfile (swbuild vs buildah --layers);
#  2. a cold build of 15 RUN steps on busybox (swbuild vs buildah --isolation chroot --layers
#     --no-cache), with the per-step overhead;
#  3. loading a 10,000-file, 640 MB context: first load vs sha256sum over the same files, and an
#     unchanged second load (stat cache).
# Not part of the default test run:   scripts/bench-engine.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/swbuild-bench-engine}
mkdir -p "$work"
export DEBIAN_FRONTEND=noninteractive
for tool in hyperfine buildah; do command -v $tool >/dev/null || apt-get install -y -qq $tool >/dev/null; done
swift build -c release --static-swift-stdlib --product swbuild-tui >/dev/null
bin=$PWD/.build/release/swbuild-tui
root=$work/root
rm -rf "$root"
"$bin" image busybox --root "$root" --name busybox:bench >/dev/null
# The same base image for buildah, from the OCI archive swbuild writes.
"$bin" image save --root "$root" -o "$work/busybox.oci.tar" busybox:bench
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
buildah rmi -f localhost/busybox:bench >/dev/null 2>&1 || true
buildah pull -q "oci-archive:$work/busybox.oci.tar" >/dev/null
buildah tag "$(buildah images -q | head -1)" localhost/busybox:bench

# 1. Fully cached rebuild, 24 steps over 4 stages.
ctx=$work/cached; rm -rf "$ctx"; mkdir -p "$ctx"
for i in $(seq 1 20); do echo "file $i" > "$ctx/f$i.txt"; done
{
  echo "FROM busybox:bench AS base"
  echo "WORKDIR /app"
  for i in 1 2 3 4; do echo "COPY f$i.txt ./"; done
  for s in a b; do
    echo "FROM base AS $s"
    for i in 1 2 3 4 5; do echo "RUN echo $s$i > /$s$i.txt"; done
  done
  echo "FROM base"
  for s in a b; do for i in 1 2 3; do echo "COPY --from=$s /$s$i.txt /out/"; done; done
  echo "RUN ls /out > /out/index"
} > "$ctx/Dockerfile"
sed 's#busybox:bench#localhost/busybox:bench#' "$ctx/Dockerfile" > "$ctx/Dockerfile.buildah"
echo "== fully cached rebuild: $(grep -cE '^(RUN|COPY|WORKDIR)' "$ctx/Dockerfile") steps"
"$bin" build --root "$root" --progress quiet -t cached:1 "$ctx" >/dev/null
buildah build --layers -q -f "$ctx/Dockerfile.buildah" -t cached:1 "$ctx" >/dev/null
hyperfine -N --warmup 1 --runs 10 --export-markdown "$work/cached.md" \
  -n swbuild "$bin build --root $root --progress quiet -t cached:1 $ctx" \
  -n "buildah --layers" "buildah build --layers -q -f $ctx/Dockerfile.buildah -t cached:1 $ctx"

# 2. Cold build of 15 RUN steps.
cold=$work/cold; rm -rf "$cold"; mkdir -p "$cold"
{ echo "FROM busybox:bench"; for i in $(seq 1 15); do echo "RUN echo step $i > /s$i"; done; } > "$cold/Dockerfile"
sed 's#busybox:bench#localhost/busybox:bench#' "$cold/Dockerfile" > "$cold/Dockerfile.buildah"
echo "== cold build of 15 RUN steps"
hyperfine -N --warmup 1 --runs 5 --export-markdown "$work/cold.md" \
  -n swbuild "$bin build --root $root --progress quiet --no-cache $cold" \
  -n "buildah chroot --layers --no-cache" "buildah build --isolation chroot --layers --no-cache -q -f $cold/Dockerfile.buildah $cold"

# 3. Context load: 10,000 files, 640 MB.
big=$work/context
if [ ! -f "$big/.done" ]; then
  rm -rf "$big"; mkdir -p "$big"
  python3 - "$big" <<'PY'
import os, sys
root = sys.argv[1]
chunk = os.urandom(1 << 16)
for i in range(10000):
    d = os.path.join(root, f"d{i % 100}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i}.bin"), "wb") as f:
        f.write(chunk * 1)  # 64 KiB each: 655 MB in all
open(os.path.join(root, ".done"), "w").write("ok")
PY
fi
printf 'FROM scratch\nCOPY . /ctx\n' > "$work/Dockerfile.context"
echo "== context load: $(find "$big" -type f | wc -l) files, $(du -sh "$big" | cut -f1)"
hyperfine -N --runs 3 --export-markdown "$work/context.md" \
  --prepare "rm -rf $root/statcache" -n "first load (no stat cache)" "$bin debug context-load --root $root $big" \
  -n "sha256sum over the same files" "sh -c 'find $big -type f -print0 | xargs -0 sha256sum > /dev/null'"
"$bin" debug context-load --root "$root" "$big" >/dev/null
hyperfine -N --warmup 1 --runs 10 -n "unchanged second load (whole command)" "$bin debug context-load --root $root $big"
# The load itself, as a build times its context step (without process start and argument
# parsing): median of the times the command reports.
loads() { for i in $(seq 1 "$2"); do [ "$1" = first ] && rm -rf "$root/statcache"; "$bin" debug context-load --root "$root" "$big" | sed 's/.* in \([0-9.]*\) s$/\1/'; done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
first=$(loads first 5)
"$bin" debug context-load --root "$root" "$big" >/dev/null
second=$(loads second 15)
echo "context load in process (median): first ${first}s, unchanged second ${second}s, ratio $(echo "scale=1; $first / $second" | bc)x"
