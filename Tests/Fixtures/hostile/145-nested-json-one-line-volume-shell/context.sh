#!/usr/bin/env bash
set -eu
python3 - <<'PY'
n = 20000
with open("Dockerfile", "w") as f:
    f.write("FROM scratch\nVOLUME " + "[" * n + "]" * n + "\nSHELL " + '[{"a":' * (n // 6) + "1" + "}]" * (n // 6) + "\n")
PY
