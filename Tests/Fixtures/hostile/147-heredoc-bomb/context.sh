#!/usr/bin/env bash
set -eu
python3 - <<'PY'
with open("Dockerfile", "w") as f:
    n = 2000
    f.write("FROM busybox:test\nRUN " + " ".join("<<E%d" % i for i in range(n)) + "\n")
    for i in range(n):
        f.write("true\nE%d\n" % i)
    f.write("COPY <<BIG /big\n" + "line\n" * 200000 + "BIG\n")
PY
