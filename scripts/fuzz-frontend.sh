#!/usr/bin/env bash
# Fuzzes the parser, the expander and the .dockerignore matcher with random and mutated input
# (a million inputs each by default), in a release build. Fails on a crash or a hang.
# Not part of the default test run:   scripts/fuzz-frontend.sh [COUNT] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
seed=${2:-$RANDOM}
swift build -c release --static-swift-stdlib --product swbuild-tui >/dev/null
for target in parser expander ignore; do
  .build/release/swbuild-tui debug fuzz --target "$target" --count "$count" --seed "$seed" \
    --corpus Tests/Fixtures/conformance 2>/dev/null || { echo "FAILED: $target (seed $seed)"; exit 1; }
done
