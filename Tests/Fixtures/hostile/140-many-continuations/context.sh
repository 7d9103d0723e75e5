#!/usr/bin/env bash
set -eu
python3 - <<'PY'
with open("Dockerfile", "w") as f:
    f.write("FROM scratch\nENV A=1 \\\n" + " \\\n" * 300000 + "B=2\n")
PY
