#!/usr/bin/env bash
set -eu
python3 - <<'PY'
n = 20000
with open("Dockerfile", "w") as f:
    f.write("FROM scratch\nCOPY " + "[" * n + "]" * n + "\n")
PY
