#!/usr/bin/env bash
set -eu
python3 - <<'PY'
with open("Dockerfile", "w") as f:
    f.write("FROM scratch\n# " + "c" * (10 * 1024 * 1024) + "\nLABEL big=" + "a" * (10 * 1024 * 1024) + "\n")
PY
