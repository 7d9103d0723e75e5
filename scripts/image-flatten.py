#!/usr/bin/env python3
"""Flatten a container image archive into a JSON description, or compare two descriptions.

    image-flatten.py ARCHIVE [--image REF] [-o OUT.json]
    image-flatten.py --diff A.json B.json [--names A,B] [--limit N]
    image-flatten.py --patch BASE.json PATCH.json [-o OUT.json]

ARCHIVE is an OCI image layout tar (index.json) or a docker archive (manifest.json), as written
by `docker save`, `skopeo copy ... docker-archive:` or `swbuild-tui build -o type=oci|docker`.
The layers are applied in order as an extractor would (containerd's applier semantics):
`.wh.NAME` removes NAME from the layers below, `.wh..wh..opq` hides everything the layers below
had in its directory, a non-directory replaces a directory with its subtree, a directory over a
directory only changes its metadata, and a hard link shares the inode (content and metadata) of
the path it names in the tree built so far. Parents a layer does not list are made as 0755 root
directories, as the extractor makes them.

The description (mtimes are ignored everywhere):

    {"config": {Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Labels, Volumes,
                StopSignal, Healthcheck, OnBuild, Shell},
     "files": {"path": {"type": "file|dir|symlink|char|block|fifo", "mode": "0755",
                        "uid": 0, "gid": 0,
                        "size": N, "sha256": "...",          (regular files)
                        "hardlink": "first/path/of/group",   (regular files with more than one name)
                        "target": "...",                     (symlinks)
                        "major": N, "minor": N,              (devices)
                        "xattrs": {"name": "hex"}}}}         (only when present)

A config field that is absent, null, an empty string or an empty map is written as null (docker
writes `""`, `{}` and `null` for the same thing); empty lists are kept (`ENTRYPOINT []` differs
from none).

--diff prints one line per differing path or config field and exits 1 when they differ.
--patch applies an expectation override: {"files": {"path": {...} | null}, "config": {...}}
(a null file entry removes the path; an entry with a "type" replaces or adds the path whole, one
without only changes the fields it names; config fields replace).

Python 3 standard library only; zstd layers are read through the `zstd` tool when present.
"""

import argparse
import gzip
import hashlib
import io
import json
import posixpath
import shutil
import stat
import subprocess
import sys
import tarfile

CONFIG_FIELDS = ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Labels",
                 "Volumes", "StopSignal", "Healthcheck", "OnBuild", "Shell"]

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


def die(msg):
    print("image-flatten: " + msg, file=sys.stderr)
    sys.exit(2)


# --- reading the outer archive ------------------------------------------------------------------

class Outer:
    """The archive's members by normalised name, symlinks inside it followed."""

    def __init__(self, path):
        try:
            self.tar = tarfile.open(path, "r:*")
        except (tarfile.TarError, OSError) as e:
            die("%s: not a readable tar: %s" % (path, e))
        self.members = {}
        for m in self.tar.getmembers():
            self.members[norm(m.name)] = m

    def has(self, name):
        return norm(name) in self.members

    def member(self, name, depth=0):
        name = norm(name)
        m = self.members.get(name)
        if m is None:
            die("archive has no member %r" % name)
        if m.issym() and depth < 20:
            return self.member(posixpath.normpath(posixpath.join(posixpath.dirname(name), m.linkname)), depth + 1)
        if m.islnk() and depth < 20:
            return self.member(m.linkname, depth + 1)
        return m

    def read(self, name):
        f = self.tar.extractfile(self.member(name))
        if f is None:
            die("archive member %r is not a file" % name)
        return f.read()

    def json(self, name):
        try:
            return json.loads(self.read(name))
        except ValueError as e:
            die("%s: bad JSON: %s" % (name, e))


def norm(name):
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    name = name.lstrip("/")
    return posixpath.normpath(name) if name else ""


def blob_name(digest):
    algo, _, hexpart = digest.partition(":")
    return "blobs/%s/%s" % (algo, hexpart)


def oci_image(outer, ref):
    index = outer.json("index.json")
    manifest = pick_manifest(outer, index, ref)
    config = outer.json(blob_name(manifest["config"]["digest"]))
    layers = [outer.read(blob_name(l["digest"])) for l in manifest.get("layers") or []]
    return config, layers


def pick_manifest(outer, index, ref, depth=0):
    descs = index.get("manifests") or []
    if not descs:
        die("index.json lists no manifests")
    chosen = None
    if ref:
        for d in descs:
            ann = d.get("annotations") or {}
            if ref in (ann.get("org.opencontainers.image.ref.name"), ann.get("io.containerd.image.name")):
                chosen = d
                break
        if chosen is None and depth == 0:
            die("no manifest named %r in index.json" % ref)
    if chosen is None:
        # Prefer linux/amd64 in a multi-platform index, else the first one.
        for d in descs:
            p = d.get("platform") or {}
            if p.get("os") == "linux" and p.get("architecture") == "amd64":
                chosen = d
                break
        chosen = chosen or descs[0]
    doc = outer.json(blob_name(chosen["digest"]))
    if "manifests" in doc and depth < 4:
        return pick_manifest(outer, doc, None, depth + 1)
    return doc


def docker_image(outer, ref):
    manifest = outer.json("manifest.json")
    if not manifest:
        die("manifest.json is empty")
    entry = manifest[0]
    if ref:
        for e in manifest:
            if ref in (e.get("RepoTags") or []):
                entry = e
                break
        else:
            die("no image tagged %r in manifest.json" % ref)
    config = outer.json(entry["Config"])
    layers = [outer.read(l) for l in entry.get("Layers") or []]
    return config, layers


def decompress(data):
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        tool = shutil.which("zstd")
        if not tool:
            die("a zstd layer needs the zstd tool")
        return subprocess.run([tool, "-dc"], input=data, stdout=subprocess.PIPE, check=True).stdout
    return data  # uncompressed (bzip2/xz are not image layer types; tarfile would take them too)


# --- applying layers ---------------------------------------------------------------------------

class Inode:
    __slots__ = ("kind", "mode", "uid", "gid", "size", "sha256", "target", "major", "minor", "xattrs", "id")
    counter = 0

    def __init__(self):
        Inode.counter += 1
        self.id = Inode.counter


def inode_from(member, data):
    n = Inode()
    if member.isreg():
        n.kind = "file"
    elif member.isdir():
        n.kind = "dir"
    elif member.issym():
        n.kind = "symlink"
    elif member.ischr():
        n.kind = "char"
    elif member.isblk():
        n.kind = "block"
    elif member.isfifo():
        n.kind = "fifo"
    else:
        n.kind = "unknown(%r)" % member.type
    n.mode = member.mode & 0o7777
    n.uid = member.uid
    n.gid = member.gid
    n.size = member.size if n.kind == "file" else None
    n.sha256 = hashlib.sha256(data).hexdigest() if n.kind == "file" else None
    n.target = member.linkname if n.kind == "symlink" else None
    n.major = member.devmajor if n.kind in ("char", "block") else None
    n.minor = member.devminor if n.kind in ("char", "block") else None
    xattrs = {}
    for k, v in (member.pax_headers or {}).items():
        if k.startswith("SCHILY.xattr."):
            raw = v.encode("utf-8", "surrogateescape") if isinstance(v, str) else v
            xattrs[k[len("SCHILY.xattr."):]] = raw.hex()
    n.xattrs = xattrs or None
    return n


def implicit_dir():
    n = Inode()
    n.kind, n.mode, n.uid, n.gid = "dir", 0o755, 0, 0
    n.size = n.sha256 = n.target = n.major = n.minor = n.xattrs = None
    return n


class Tree:
    def __init__(self):
        self.nodes = {}  # path -> Inode ("" is the root, never reported)

    def remove_subtree(self, path):
        self.nodes.pop(path, None)
        prefix = path + "/"
        for p in [p for p in self.nodes if p.startswith(prefix)]:
            del self.nodes[p]

    def clear_children(self, path):
        prefix = path + "/" if path else ""
        for p in [p for p in self.nodes if p.startswith(prefix) and p != path]:
            del self.nodes[p]

    def ensure_parents(self, path):
        parent = posixpath.dirname(path)
        chain = []
        while parent and parent not in self.nodes:
            chain.append(parent)
            parent = posixpath.dirname(parent)
        for p in reversed(chain):
            self.nodes[p] = implicit_dir()
        # A parent that is not a directory (a file or a link) would make extraction fail or
        # follow a link; record it as a directory over it, as the layer says.
        parent = posixpath.dirname(path)
        while parent:
            n = self.nodes.get(parent)
            if n is not None and n.kind != "dir":
                self.remove_subtree(parent)
                self.nodes[parent] = implicit_dir()
            parent = posixpath.dirname(parent)

    def apply(self, layer_bytes, index):
        raw = decompress(layer_bytes)
        try:
            tar = tarfile.open(fileobj=io.BytesIO(raw), mode="r:")
        except tarfile.TarError as e:
            die("layer %d: not a tar: %s" % (index, e))
        entries = []
        whiteouts = []
        opaques = []
        for m in tar:
            name = norm(m.name)
            if name in ("", "."):
                continue
            base = posixpath.basename(name)
            parent = posixpath.dirname(name)
            if base == OPAQUE:
                opaques.append(parent)
                continue
            if base.startswith(WHITEOUT):
                whiteouts.append(posixpath.join(parent, base[len(WHITEOUT):]))
                continue
            data = b""
            if m.isreg():
                f = tar.extractfile(m)
                data = f.read() if f else b""
            entries.append((name, m, data))
        # Whiteouts hide what the layers below had; entries of this layer are added after.
        for p in opaques:
            self.clear_children(p)
        for p in whiteouts:
            self.remove_subtree(p)
        for name, m, data in entries:
            self.ensure_parents(name)
            old = self.nodes.get(name)
            if m.islnk():
                target = norm(m.linkname)
                tnode = self.nodes.get(target)
                if tnode is None:
                    die("layer %d: hard link %s to missing %s" % (index, name, target))
                if old is not None and old.kind == "dir":
                    self.remove_subtree(name)
                self.nodes[name] = tnode
                continue
            node = inode_from(m, data)
            if node.kind == "dir":
                if old is not None and old.kind != "dir":
                    self.remove_subtree(name)
                self.nodes[name] = node
            else:
                if old is not None and old.kind == "dir":
                    self.remove_subtree(name)
                self.nodes[name] = node

    def describe(self):
        groups = {}
        for p, n in self.nodes.items():
            if n.kind == "file":
                groups.setdefault(n.id, []).append(p)
        files = {}
        for p in sorted(self.nodes):
            if p == "":
                continue
            n = self.nodes[p]
            d = {"type": n.kind, "mode": "%04o" % n.mode, "uid": n.uid, "gid": n.gid}
            if n.kind == "file":
                d["size"] = n.size
                d["sha256"] = n.sha256
                g = groups[n.id]
                if len(g) > 1:
                    d["hardlink"] = min(g)
            if n.kind == "symlink":
                d["target"] = n.target
            if n.kind in ("char", "block"):
                d["major"] = n.major
                d["minor"] = n.minor
            if n.xattrs:
                d["xattrs"] = n.xattrs
            files[p] = d
        return files


def flatten(path, ref=None):
    outer = Outer(path)
    if outer.has("manifest.json"):
        config, layers = docker_image(outer, ref)
        fmt = "docker"
    elif outer.has("index.json"):
        config, layers = oci_image(outer, ref)
        fmt = "oci"
    else:
        die("%s: neither a docker archive (manifest.json) nor an OCI layout (index.json)" % path)
    tree = Tree()
    for i, layer in enumerate(layers):
        tree.apply(layer, i)
    cfg = config.get("config") or config.get("Config") or {}
    conf = {}
    for k in CONFIG_FIELDS:
        v = cfg.get(k)
        if v == "" or (isinstance(v, dict) and not v):
            v = None
        conf[k] = v
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    return {"format": fmt, "layers": len(layers), "diff_ids": diff_ids,
            "config": conf, "files": tree.describe()}


# --- comparing -------------------------------------------------------------------------------------

def short(v, limit=80):
    s = json.dumps(v, sort_keys=True, ensure_ascii=False)
    return s if len(s) <= limit else s[:limit - 3] + "..."


def file_delta(a, b):
    """The fields of two file entries that differ, as 'field a→b' words."""
    out = []
    for k in ["type", "mode", "uid", "gid", "size", "sha256", "hardlink", "target", "major", "minor", "xattrs"]:
        va, vb = a.get(k), b.get(k)
        if va != vb:
            if k == "sha256":
                out.append("content differs")
            else:
                out.append("%s %s vs %s" % (k, short(va, 60), short(vb, 60)))
    return out


def diff(a, b, names=("A", "B")):
    lines = []
    for k in CONFIG_FIELDS:
        va, vb = a["config"].get(k), b["config"].get(k)
        if va != vb:
            lines.append("config.%s: %s: %s; %s: %s" % (k, names[0], short(va), names[1], short(vb)))
    fa, fb = a["files"], b["files"]
    for p in sorted(set(fa) | set(fb)):
        ea, eb = fa.get(p), fb.get(p)
        if ea == eb:
            continue
        if ea is None:
            lines.append("/%s: only in %s (%s)" % (p, names[1], describe_entry(eb)))
        elif eb is None:
            lines.append("/%s: only in %s (%s)" % (p, names[0], describe_entry(ea)))
        else:
            lines.append("/%s: %s (%s vs %s)" % (p, ", ".join(file_delta(ea, eb)), names[0], names[1]))
    return lines


def describe_entry(e):
    s = "%s %s %d:%d" % (e["type"], e["mode"], e["uid"], e["gid"])
    if e["type"] == "file":
        s += " %d bytes" % e["size"]
    if "target" in e:
        s += " -> " + e["target"]
    if "hardlink" in e:
        s += " linked with /" + e["hardlink"]
    if "major" in e:
        s += " %d,%d" % (e["major"], e["minor"])
    return s


def patch(base, p):
    out = json.loads(json.dumps(base))
    for k, v in (p.get("config") or {}).items():
        out["config"][k] = v
    for path, v in (p.get("files") or {}).items():
        path = norm(path)
        if v is None:
            out["files"].pop(path, None)
        elif path in out["files"] and not v.get("type"):
            out["files"][path].update(v)  # some fields of an existing entry
        else:
            out["files"][path] = v
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("archive", nargs="?")
    ap.add_argument("--image", help="the image in the archive (a tag or ref name); default: the first")
    ap.add_argument("-o", "--output")
    ap.add_argument("--diff", nargs=2, metavar=("A", "B"))
    ap.add_argument("--names", default="A,B")
    ap.add_argument("--limit", type=int, default=0, help="with --diff: print at most N lines")
    ap.add_argument("--patch", nargs=2, metavar=("BASE", "PATCH"))
    args = ap.parse_args()
    sys.stdout.reconfigure(errors="backslashreplace")

    def emit(doc):
        text = json.dumps(doc, indent=1, sort_keys=True)
        if args.output:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        else:
            sys.stdout.write(text + "\n")

    if args.diff:
        docs = []
        for p in args.diff:
            with open(p, encoding="utf-8") as f:
                docs.append(json.load(f))
        lines = diff(docs[0], docs[1], tuple(args.names.split(",", 1)))
        shown = lines if args.limit <= 0 else lines[:args.limit]
        for line in shown:
            print(line)
        if len(shown) < len(lines):
            print("... and %d more" % (len(lines) - len(shown)))
        sys.exit(1 if lines else 0)
    if args.patch:
        with open(args.patch[0], encoding="utf-8") as f:
            base = json.load(f)
        with open(args.patch[1], encoding="utf-8") as f:
            p = json.load(f)
        emit(patch(base, p))
        return
    if not args.archive:
        ap.error("an archive, --diff or --patch is required")
    emit(flatten(args.archive, args.image))


if __name__ == "__main__":
    main()
