#!/usr/bin/env python3
"""Differential test of `swbuild-tui debug parse --format json` against BuildKit's own parser.

PyPI's `dockerfile` package is BuildKit's Go parser compiled for Python. This script generates
Dockerfiles from a small grammar, mutates them byte by byte, parses each with both, and reports
every disagreement (instruction list, flags, values, lines, heredocs, or one failing and not the
other). Not part of the default test run:

    pip install dockerfile
    scripts/differential-parse.py [--count N] [--seed S] [--binary PATH]
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile

try:
    import dockerfile
except ImportError:
    sys.exit("the 'dockerfile' package is missing: pip install dockerfile")

KEYWORDS = ["FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
            "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
            "run", "Copy", "RUNN", "FOO"]
WORDS = ["a", "b c", "$HOME", "${X:-y}", "'q'", '"dq"', "x=y", "k=\"v w\"", "a\\ b", "/path/to", "--",
         "--flag", "<<EOF", "<<-EOT", "☃", "é", "\\", "`", "#", "&&", "[", "]", "=", "\"a\\\"b\"", "''"]
FLAGS = ["--from=x", "--chown=1:2", "--mount=type=cache,target=/c", "--network=none", "--link",
         "--platform=$BUILDPLATFORM", "--interval=5s", "--chmod=755", "--x=\"a b\"", "--q='z'", "--e=\\y"]
SPECIALS = ["\\", "\"", "'", "[", "]", "\n", " ", "\t", "#", "<<", "`", "=", ",", "\r\n", "\\\n", "{", "}", "$"]


# The PyPI package embeds an older BuildKit than the one swbuild follows (the conformance data's
# commit): there, `<< EOF` (white space after <<) is not a heredoc; in current BuildKit it is.
VERSION_SKEW = re.compile(r"<<-?[\s\\]")


def json_form(rng):
    items = [json.dumps(rng.choice(WORDS)) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.1:
        items.append(rng.choice(["1", "true", "null", "[\"n\"]", "{}"]))
    sep = rng.choice([",", ", ", " , ", ",\t"])
    return "[" + rng.choice(["", " "]) + sep.join(items) + rng.choice(["", " "]) + "]" + rng.choice(["", " trailing"])


def instruction(rng):
    kw = rng.choice(KEYWORDS)
    parts = [kw]
    for _ in range(rng.randint(0, 2)):
        parts.append(rng.choice(FLAGS))
    if rng.random() < 0.3 and kw.upper() in ("RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME", "HEALTHCHECK"):
        if kw.upper() == "HEALTHCHECK":
            parts.append("CMD")
        parts.append(json_form(rng))
    else:
        for _ in range(rng.randint(0, 4)):
            parts.append(rng.choice(WORDS))
    if kw.upper() == "ONBUILD":
        parts.insert(1, rng.choice(KEYWORDS))
    line = rng.choice([" ", "  ", "\t"]).join(parts)
    if rng.random() < 0.2:
        # continuation, possibly with comments and blank lines inside
        cut = rng.randint(0, len(line))
        extra = rng.choice(["", "# comment\n", "\n", "   \n"])
        line = line[:cut] + "\\" + rng.choice(["", " ", "\t"]) + "\n" + extra + rng.choice(["", "  "]) + line[cut:]
    heredocs = [w for w in parts if w.startswith("<<")]
    body = ""
    for h in heredocs:
        name = h.lstrip("<-")
        body += rng.choice(["echo hi\n", "\tindented\n", "", "$HOME\n"]) + ("\t" if h.startswith("<<-") else "") + name + "\n"
    return line + "\n" + body


def generate(rng):
    text = ""
    if rng.random() < 0.3:
        text += rng.choice(["# syntax=docker/dockerfile:1\n", "# escape=`\n", "#escape=\\\n", "# check=skip=all\n"])
    for _ in range(rng.randint(1, 8)):
        if rng.random() < 0.15:
            text += rng.choice(["# a comment\n", "\n", "   \n", "  # indented comment\n"])
        text += instruction(rng)
    return text


def mutate(rng, text):
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        pos = rng.randint(0, len(chars))
        if op < 0.5:
            chars.insert(pos, rng.choice(SPECIALS))
        elif op < 0.8 and chars:
            del chars[min(pos, len(chars) - 1)]
        elif chars:
            chars[min(pos, len(chars) - 1)] = rng.choice(SPECIALS)
    return "".join(chars)


def oracle(text):
    try:
        cmds = dockerfile.parse_string(text)
    except Exception as e:  # GoParseError and friends
        return ("error", str(e))
    out = []
    for c in cmds:
        out.append({
            "cmd": (c.cmd or "").lower(),
            "subCmd": c.sub_cmd.lower() if c.sub_cmd else None,
            "json": c.json,
            "flags": list(c.flags),
            "values": list(c.value),
            "startLine": c.start_line,
            "endLine": c.end_line,
            "heredocs": [{"name": h.name, "content": h.content} for h in c.heredocs],
        })
    return ("ok", out)


def ours(binary, path):
    r = subprocess.run([binary, "debug", "parse", "--format", "json", path], capture_output=True, timeout=10)
    if r.returncode != 0:
        return ("error", r.stderr.decode(errors="replace").strip())
    return ("ok", json.loads(r.stdout)["instructions"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "swbuild-tui"))
    ap.add_argument("--show", type=int, default=5, help="disagreements to print")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    agree = disagree = skipped = 0
    shown = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "Dockerfile")
        for i in range(args.count):
            text = generate(rng)
            if i % 2 == 1:
                text = mutate(rng, text)
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            if VERSION_SKEW.search(text):
                skipped += 1
                continue
            expected = oracle(text)
            actual = ours(args.binary, path)
            same = expected[0] == actual[0] and (expected[0] == "error" or expected[1] == actual[1])
            if same:
                agree += 1
            else:
                disagree += 1
                if shown < args.show:
                    shown += 1
                    print("--- disagreement on:\n" + repr(text))
                    print("buildkit:", expected)
                    print("swbuild: ", actual)
    total = agree + disagree
    print(f"{agree}/{total} Dockerfiles parsed identically ({100.0 * agree / max(total, 1):.2f}%); "
          f"{skipped} skipped for a known version difference")
    sys.exit(0 if disagree == 0 else 1)


if __name__ == "__main__":
    main()
