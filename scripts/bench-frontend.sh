#!/usr/bin/env bash
# Frontend benchmarks (release build, hyperfine):
#  1. parsing a 20,000-instruction Dockerfile: swbuild vs BuildKit's Go parser (PyPI `dockerfile`,
#     whole process each side; the Go side also pays for starting CPython), plus the Go parser's
#     in-process time alone for reference;
#  2. `debug context` on a 100,000-file tree with a 50-pattern .dockerignore.
# Not part of the default test run:   scripts/bench-frontend.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/swbuild-bench-frontend}
mkdir -p "$work"
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine
python3 -c "import dockerfile" 2>/dev/null || pip install -q dockerfile
swift build -c release --static-swift-stdlib --product swbuild-tui >/dev/null
bin=$PWD/.build/release/swbuild-tui

python3 - "$work/Dockerfile" <<'PY'
import random, sys
rng = random.Random(7)
lines = ["# syntax=docker/dockerfile:1", "ARG BASE=busybox"]
kinds = [
    lambda i: f"RUN --mount=type=cache,target=/cache/{i} echo step {i} && \\\n    ls -la /tmp/{i} | wc -l",
    lambda i: f"COPY --chown=1000:1000 src/{i}/ /app/{i}/",
    lambda i: f"ENV K{i}=v{i} P{i}=\"a b {i}\"",
    lambda i: f'CMD ["/bin/app", "--id", "{i}"]',
    lambda i: f"LABEL org.example.n{i}=\"{i}\"",
    lambda i: f"RUN <<EOF\necho heredoc {i}\nEOF",
    lambda i: f"WORKDIR /w/{i}",
    lambda i: f"ARG A{i}=${{BASE:-x}}",
]
n = 0
stage = 0
while n < 20000:
    if n % 500 == 0:
        lines.append(f"FROM ${{BASE}} AS s{stage}")
        stage += 1
        n += 1
        continue
    lines.append(rng.choice(kinds)(n))
    n += 1
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
echo "== parse: $(grep -c '' "$work/Dockerfile") lines, 20000 instructions"
"$bin" debug parse "$work/Dockerfile" | wc -l
hyperfine -N --warmup 3 --runs 20 --export-markdown "$work/parse.md" \
  -n swbuild "$bin debug parse $work/Dockerfile" \
  -n buildkit-go-parser "python3 -c 'import dockerfile,sys; dockerfile.parse_file(sys.argv[1])' $work/Dockerfile" \
  -n cpython-startup-only "python3 -c 'import dockerfile'"
python3 - "$work/Dockerfile" <<'PY'
import dockerfile, sys, timeit
t = min(timeit.repeat(lambda: dockerfile.parse_file(sys.argv[1]), number=1, repeat=10))
print(f"BuildKit's parser in process (no CPython start): {t*1000:.1f} ms")
PY

echo "== context: 100,000 files, 50 patterns"
ctx=$work/context
if [ ! -f "$ctx/.done" ]; then
  rm -rf "$ctx"
  python3 - "$ctx" <<'PY'
import os, sys
root = sys.argv[1]
exts = ["go", "js", "ts", "md", "log", "tmp", "json", "txt", "c", "h"]
n = 0
for a in range(50):
    for b in range(20):
        d = os.path.join(root, f"pkg{a}", f"mod{b}" if b % 5 else f"node_modules/dep{b}")
        os.makedirs(d, exist_ok=True)
        for c in range(100):
            with open(os.path.join(d, f"file{c}.{exts[c % len(exts)]}"), "w") as f:
                f.write("x" * (c % 7))
            n += 1
patterns = ["**/*.log", "**/*.tmp", "node_modules", "**/node_modules", "*.md", "!README.md", ".git", "build/",
            "dist", "coverage", "**/*.swp", "**/.DS_Store", "pkg1*/mod3", "!pkg1*/mod3/file1.go", "**/file9*.txt",
            "tmp", "*.bak", "**/*.orig", "vendor/**", "**/__pycache__", "*.pyc", ".env", "secrets/**", "**/*.pem",
            "docs/**/*.png", "!docs/keep.png", "out", "target", ".idea", ".vscode", "**/*.o", "**/*.a", "*.iml",
            "pkg4?/mod1?/file*.h", "logs/", "cache/**", "**/cache", "!**/cache/keep", "npm-debug.log*", "yarn-*.log",
            "**/*.tsbuildinfo", ".next", ".nuxt", "**/*.map", "Thumbs.db", "**/*.lock", "!go.sum", "*.test", "bin/", "obj/"]
assert len(patterns) == 50
open(os.path.join(root, ".dockerignore"), "w").write("\n".join(patterns) + "\n")
open(os.path.join(root, ".done"), "w").write(str(n))
PY
fi
"$bin" debug context "$ctx" 2>&1 >/dev/null
hyperfine -N --warmup 2 --runs 10 --export-markdown "$work/context.md" -n "debug context" "$bin debug context $ctx"
