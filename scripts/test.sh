#!/usr/bin/env bash
# Sets up the machine and runs every test: unit tests, conformance suites and end-to-end tests of
# the built binary. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build
swift test --parallel 2>&1 | tee .build/test.log | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting)'
