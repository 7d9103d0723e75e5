#!/usr/bin/env bash
set -eu
python3 - <<'PY'
with open("Dockerfile", "w") as f:
    for i in range(10000):
        f.write("FROM scratch AS s%d\n" % i)
    f.write("FROM scratch\nENV A=1\n")
PY
