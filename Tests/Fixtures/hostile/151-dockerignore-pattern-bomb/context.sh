#!/usr/bin/env bash
set -eu
mkdir -p $(printf 'd/%.0s' $(seq 1 40))
touch "$(printf 'd/%.0s' $(seq 1 40))f"
python3 - <<'PY'
with open(".dockerignore", "w") as f:
    f.write("/".join(["**"] * 60) + "/x\n")
    for i in range(1000):
        f.write("**/*a*b*c*d*e*f*g*h%d\n" % i)
PY
