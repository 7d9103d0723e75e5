#!/usr/bin/env bash
set -eu
python3 - "$@" <<'PY'
import sys
def nested(f, opens, middle, closes_per, n, per_line=100):
    # opens[i % len(opens)] n times, then middle, then the closing braces, continued every per_line
    for i in range(n):
        f.write(opens[i % len(opens)])
        if i % per_line == per_line - 1: f.write("\\\n")
    f.write(middle)
    for i in range(n):
        f.write(closes_per)
        if i % 2000 == 1999 and i < n - 1: f.write("\\\n")
with open("Dockerfile", "w") as f:
    f.write("ARG A\nFROM ")
    nested(f, ["${A:-"], "busybox:test", "}", 50000)
    f.write("\nRUN true\n")
PY
