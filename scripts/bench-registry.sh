#!/usr/bin/env bash
# Pull and push of a 100 MB single-layer image on 127.0.0.1, swbuild side by side with
# `skopeo copy` of the same image, against Debian's docker-registry (plain HTTP). Prints medians
# (hyperfine) and the ratios, and the requests a cached rebuild from a registry base makes.
#   scripts/bench-registry.sh [--binary PATH] [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$PWD/.build/release/swbuild-tui
runs=5
while [ $# -gt 0 ]; do
  case $1 in
    --binary) binary=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
source scripts/lib/registry.sh
work=$(mktemp -d /tmp/swbuild-bench-registry.XXXXXX)
trap 'registries_stop "$work/regs"; rm -rf "$work"' EXIT
registries_start "$work/regs"
source "$work/regs/ports.env"
export SWBUILD_ROOT=$work/seed
unset SWBUILD_REGISTRY_CONFIG SWBUILD_HOST
# 100 MiB of random bytes in one file: one layer that gzip cannot shrink.
mkdir -p "$work/rootfs"
head -c $((100 << 20)) /dev/urandom > "$work/rootfs/blob"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
"$binary" image import --name "$PLAIN/bench/big:1" "$work/rootfs.tar" >/dev/null
"$binary" image push "$PLAIN/bench/big:1" >/dev/null
skopeo copy -q --src-tls-verify=false "docker://$PLAIN/bench/big:1" "oci:$work/src-oci:1"
"$binary" image tag "$PLAIN/bench/big:1" "$PLAIN/bench/pushed:1"
repos=$work/regs/plain/data/docker/registry/v2/repositories
echo "machine: $(nproc) cores; image: $(du -sh "$work/src-oci" | cut -f1) in one layer"
hyperfine --runs "$runs" --export-json "$work/pull.json" \
  --prepare "rm -rf $work/pull-root $work/pull-oci" \
  -n "swbuild image pull" "SWBUILD_ROOT=$work/pull-root $binary image pull -q $PLAIN/bench/big:1" \
  -n "skopeo copy (pull)" "skopeo copy -q --src-tls-verify=false docker://$PLAIN/bench/big:1 oci:$work/pull-oci:1" >&2
hyperfine --runs "$runs" --export-json "$work/push.json" \
  --prepare "rm -rf $repos/bench/pushed /var/lib/containers/cache/blob-info-cache-v1.boltdb $work/seed/registry/sources.json" \
  -n "swbuild image push" "SWBUILD_ROOT=$work/seed $binary image push -q $PLAIN/bench/pushed:1" \
  -n "skopeo copy (push)" "skopeo copy -q --dest-tls-verify=false oci:$work/src-oci:1 docker://$PLAIN/bench/pushed:1" >&2
python3 - "$work/pull.json" "$work/push.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    results = json.load(open(path))["results"]
    ours, theirs = results[0], results[1]
    print(f"{ours['command']}: median {ours['median']*1000:.0f} ms; {theirs['command']}: median {theirs['median']*1000:.0f} ms; ratio {ours['median']/theirs['median']:.2f}")
PY
echo "(both pushes upload every byte: the repository, skopeo's blob-info cache and swbuild's blob sources are cleared before each run)"
# A cached rebuild from a registry base: no request within the tag's TTL.
mkdir -p "$work/ctx"
printf 'FROM %s/bench/big:1\nCOPY Dockerfile /\n' "$PLAIN" > "$work/ctx/Dockerfile"
SWBUILD_ROOT=$work/build "$binary" build --progress=quiet "$work/ctx" >/dev/null
before=$(grep -c 'HTTP/1.1' "$work/regs/plain/log")
SWBUILD_ROOT=$work/build "$binary" build --progress=quiet "$work/ctx" >/dev/null
after=$(grep -c 'HTTP/1.1' "$work/regs/plain/log")
echo "cached rebuild from a registry base: $((after - before)) registry requests"
