#!/usr/bin/env bash
# Sets up the machine, builds swbuild and runs the main job on the bundled example.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release
bin=.build/release/swbuild-tui
echo "== stages of examples/demo"
"$bin" debug stages -f examples/demo/Dockerfile --format text examples/demo
echo "== build graph of examples/demo (--target app)"
"$bin" debug dump-llb -f examples/demo/Dockerfile --target app examples/demo
