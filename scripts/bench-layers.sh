#!/usr/bin/env bash
# Layer explorer benchmark: an image of 100,000 files (a base layer of 100,000 small files and a
# layer above that rewrites 5,000 and deletes a directory of 1,000), imported into a fresh root;
# then hyperfine times `swbuild-tui layers IMAGE --format table` (file lists read, every change
# classified, efficiency computed) and, beside it, `tar -tvf` merely listing the same layers.
# Needs root. Not part of the default test run:   scripts/bench-layers.sh [RUNS]
# SWBUILD_TUI names a binary to use instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
bin=${SWBUILD_TUI:-}
if [ -z "$bin" ]; then
  swift build -c release --static-swift-stdlib --product swbuild-tui >/dev/null
  bin=$PWD/.build/release/swbuild-tui
fi
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
top = [(f"usr/share/pkg{d}", None) for d in range(5)]
top += [(f"usr/share/pkg{d}/file{f}.txt", b"y" * 64) for d in range(5) for f in range(1000)]
top += [("usr/share", None), ("usr/share/.wh.pkg99", b"")]
layer(f"{work}/top.tar", top)
PY
"$bin" image import --root "$root" --name big:base "$work/base.tar" >/dev/null
# The second layer goes on through a build that copies nothing but unpacks the archive with ADD.
mkdir -p "$work/ctx"
cp "$work/top.tar" "$work/ctx/"
printf 'FROM big:base\nADD top.tar /\n' > "$work/ctx/Dockerfile"
"$bin" build --root "$root" --progress quiet -t big:top "$work/ctx" >/dev/null
"$bin" layers --root "$root" --format table big:top | head -8
hyperfine --warmup 2 --runs "$runs" \
  -n "swbuild-tui layers (100,000 files)" "$bin layers --root $root --format table big:top" \
  -n "tar -tvf of the two layers" "tar -tvf $work/base.tar >/dev/null; tar -tvf $work/top.tar >/dev/null"
