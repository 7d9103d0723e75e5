#!/usr/bin/env bash
set -eu
python3 - <<'PY'
import tarfile
with tarfile.open("etc.tar", "w") as t:
    i = tarfile.TarInfo("etc"); i.type = tarfile.SYMTYPE; i.linkname = "/root/.swbuild-canary"; t.addfile(i)
    i = tarfile.TarInfo("m"); i.type = tarfile.DIRTYPE; i.mode = 0o1777; t.addfile(i)
PY
