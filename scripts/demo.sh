#!/usr/bin/env bash
# Sets up the machine, builds swbuild, makes the busybox base image and builds the bundled
# example (examples/demo) with real runc and overlayfs, then runs nothing else: the image is in
# the local store as demo:latest and written as an OCI archive to /tmp/swbuild-demo.oci.tar.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --static-swift-stdlib --product swbuild-tui
bin=.build/release/swbuild-tui
export SWBUILD_ROOT=${SWBUILD_ROOT:-/var/lib/swbuild}
"$bin" image busybox --name busybox:demo
"$bin" build -t demo:latest -o type=oci,dest=/tmp/swbuild-demo.oci.tar examples/demo
"$bin" history inspect "$("$bin" history ls --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
