#!/usr/bin/env bash
set -eu
python3 - <<'PY'
with open("Dockerfile", "w") as f:
    f.write("FROM scratch\n")
    for i in range(100000):
        f.write("LABEL l%d=%d\n" % (i % 50, i))
PY
