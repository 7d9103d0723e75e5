#!/usr/bin/env bash
# Layer explorer benchmark: an image of 100,000 files (busybox, a layer of 100,000 small files,
# and a layer above that rewrites 5,000 and deletes a directory of 1,000) built in a fresh root;
# then hyperfine times `swbuild-tui layers IMAGE --format table` (file lists read, every change
# classified, efficiency computed) and, beside it, `tar -tvf` merely listing the same layers.
# Needs root. Not part of the default test run:   scripts/bench-layers.sh [RUNS]
# SWBUILD_TUI names a binary to use instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
. scripts/lib/bench.sh
bin=$(bench_binary) || exit 2
work=$(mktemp -d /tmp/swbuild-layers.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
python3 - "$work" <<'PY'
import io, sys, tarfile
work = sys.argv[1]
def layer(path, entries):
    with tarfile.open(path, "w") as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
base = []
for d in range(100):
    base.append((f"usr/share/pkg{d}", None))
    for f in range(1000):
        base.append((f"usr/share/pkg{d}/file{f}.txt", b"x" * (f % 97)))
layer(f"{work}/base.tar", base)
PY
# busybox, the 100,000 files (ADD unpacks the archive), then a RUN that rewrites 5,000 of them and
# deletes a directory of 1,000.
"$bin" image busybox --root "$root" --name busybox:bench >/dev/null
mkdir -p "$work/ctx"
mv "$work/base.tar" "$work/ctx/"
cat > "$work/ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox:bench
ADD base.tar /
RUN for d in 0 1 2 3 4; do i=0; while [ $i -lt 1000 ]; do echo rewritten > /usr/share/pkg$d/file$i.txt; i=$((i+1)); done; done \
 && rm -rf /usr/share/pkg99
DOCKERFILE
"$bin" build --root "$root" --progress quiet -t big:top "$work/ctx" >/dev/null
"$bin" layers --root "$root" --format table big:top | head -8
hyperfine --warmup 2 --runs "$runs" \
  -n "swbuild-tui layers (100,000 files)" "$bin layers --root $root --format table big:top" \
  -n "tar -tvf of the 100,000-file archive" "tar -tvf $work/ctx/base.tar >/dev/null"
