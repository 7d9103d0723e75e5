#!/usr/bin/env bash
set -eu
python3 - <<'PY'
with open("Dockerfile", "w") as f:
    f.write("FROM scratch\nLABEL big=")
    for i in range(175):
        f.write("a" * 60000 + "\\\n")
    f.write("end\n")
PY
