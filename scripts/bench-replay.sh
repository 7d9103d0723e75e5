#!/usr/bin/env bash
# Replay benchmark: generates (deterministically) a 300,000-line BuildKit rawjson stream and a
# 1,000,000-event swbuild build record in a temp directory, then times with hyperfine:
#   - Python merely parsing the rawjson (json.loads of every line, base64 decode of every log)
#     against `swbuild-tui replay FILE --speed max --progress plain` (decode + plain printer);
#   - `swbuild-tui replay RECORD --speed max --progress plain` on the record (Python's json.loads
#     of every line alongside, for scale).
# Not part of the default test run:
#   scripts/bench-replay.sh [RUNS]
# SWBUILD_ROOT, when set, is passed as --root; SWBUILD_TUI names a binary to use instead of
# building one; SWBUILD_BENCH_KEEP=1 keeps the generated files.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
. scripts/lib/bench.sh
bin=$(bench_binary) || exit 2
work=$(mktemp -d /tmp/swbuild-replay.XXXXXX)
if [ "${SWBUILD_BENCH_KEEP:-0}" = 1 ]; then echo "files kept in $work"; else trap 'rm -rf "$work"' EXIT; fi
root_args=()
if [ -n "${SWBUILD_ROOT:-}" ]; then root_args=(--root "$SWBUILD_ROOT"); fi

python3 - "$work" <<'PY'
import base64, hashlib, json, random, sys, time

work = sys.argv[1]
rng = random.Random(20261129)
T0 = 1_796_000_000 * 1_000_000_000  # nanoseconds since 1970

def rfc3339(ns, digits=9):
    s, frac = divmod(ns, 1_000_000_000)
    t = time.gmtime(s)
    text = "%04d-%02d-%02dT%02d:%02d:%02d" % t[:6]
    if digits == 6:
        return text + ".%06dZ" % (frac // 1000)
    f = ("%09d" % frac).rstrip("0")
    return text + ("." + f if f else "") + "Z"

def digest(i):
    return "sha256:" + hashlib.sha256(b"vertex %d" % i).hexdigest()

stages = ["base", "deps", "build", "test", "release"]
vertices = []
for i in range(48):
    stage = stages[i % len(stages)]
    vertices.append((digest(i), "[%s %d/10] RUN make -C src/%d all && echo \"done\" <%d>" % (stage, i % 10 + 1, i, i)))
words = ["compiling", "linking", "module", "warning:", "src/main.c", "ok", "PASS", "vendor/lib", "-O2", "done",
         "downloading", "extracting", "sha256", "layer", "cache", "ümlaut", "→", "progress"]

def log_text():
    n = rng.randint(1, 3)
    return "".join(" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) + "\n" for _ in range(n)).encode()

def dump(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)

# BuildKit rawjson: vertices announced, started, logs (most lines), statuses, completed.
with open(work + "/rawjson.jsonl", "w", encoding="utf-8") as out:
    t = T0
    lines = 0
    active = []
    started = {}
    nxt = 0
    prev = None
    while lines < 300_000:
        t += rng.randint(20_000, 900_000)
        if (not active or (len(active) < 6 and rng.random() < 0.002)) and nxt < len(vertices):
            d, name = vertices[nxt]
            v = {"digest": d, "name": name}
            if prev:
                v["inputs"] = [prev]
            out.write(dump({"vertexes": [v]}) + "\n")
            v["started"] = rfc3339(t)
            out.write(dump({"vertexes": [v]}) + "\n")
            lines += 2
            started[d] = v
            active.append(d)
            prev = d
            nxt += 1
            continue
        d = rng.choice(active)
        r = rng.random()
        if r < 0.03:
            status = {"id": "transferring context:", "vertex": d, "total": 1 << 24,
                      "current": rng.randint(0, 1 << 24), "timestamp": rfc3339(t), "started": started[d]["started"]}
            out.write(dump({"statuses": [status]}) + "\n")
        elif r < 0.0312 and len(active) > 1:
            v = dict(started[d])
            v["completed"] = rfc3339(t)
            out.write(dump({"vertexes": [v]}) + "\n")
            active.remove(d)
            if nxt >= len(vertices) and not active:
                break
        else:
            log = {"vertex": d, "stream": rng.choice([1, 1, 1, 2]), "data": base64.b64encode(log_text()).decode(),
                   "timestamp": rfc3339(t)}
            out.write(dump({"logs": [log]}) + "\n")
        lines += 1
    for d in active:
        v = dict(started[d])
        v["completed"] = rfc3339(t)
        out.write(dump({"vertexes": [v]}) + "\n")

# swbuild build record, flat line format (see BuildRecord): 1,000,000 events, mostly logs.
def rec(t, kind, **fields):
    head = '{"time":"%s","type":"%s"' % (rfc3339(t, 6), kind)
    body = dump(fields)
    return head + ("," + body[1:] if len(body) > 2 else "}") + "\n"

with open(work + "/record.jsonl", "w", encoding="utf-8") as out:
    t = T0
    out.write(rec(t, "buildStarted", buildID="bench", contextPath="/src", dockerfilePath="/src/Dockerfile",
                  dockerfileText="FROM busybox\nRUN make\n", buildArgs={"A": "1"}, tags=["bench:latest"],
                  platform="linux/amd64", noCache=False))
    out.write(rec(t, "plan", vertices=[{"digest": d, "name": n, "inputs": [], "stage": "build"} for d, n in vertices]))
    events = 2
    per = (1_000_000 - 2 - 2 * len(vertices) - 1) // len(vertices)
    for i, (d, _) in enumerate(vertices):
        t += 1_000_000
        out.write(rec(t, "vertexStarted", digest=d))
        for j in range(per):
            t += rng.randint(1_000, 400_000)
            if j % 50 == 49:
                out.write(rec(t, "progress", digest=d, id="exporting layers", current=j, total=per, completed=False))
            else:
                out.write(rec(t, "log", digest=d, stream=1, data=base64.b64encode(log_text()).decode()))
        out.write(rec(t, "vertexCompleted", digest=d, status="done", duration=1.5))
        events += per + 2
    while events < 999_999:
        out.write(rec(t, "log", digest=vertices[-1][0], stream=2, data=base64.b64encode(b"tail\n").decode()))
        events += 1
    out.write(rec(t, "buildFinished", status="succeeded", duration=123.25, steps=len(vertices), cachedSteps=0,
                  outputs=["image bench:latest"]))
PY

rawjson=$work/rawjson.jsonl
record=$work/record.jsonl
echo "rawjson: $(wc -l < "$rawjson") lines, $(du -h "$rawjson" | cut -f1); record: $(wc -l < "$record") lines, $(du -h "$record" | cut -f1)"

cat > "$work/parse-rawjson.py" <<'PY'
import base64, json, sys
n = 0
for line in open(sys.argv[1], "rb"):
    for log in json.loads(line).get("logs") or ():
        n += len(base64.b64decode(log["data"]))
PY
cat > "$work/parse-record.py" <<'PY'
import json, sys
for line in open(sys.argv[1], "rb"):
    json.loads(line)
PY

replay="$bin replay ${root_args[*]:-}"
hyperfine --warmup 1 --runs "$runs" \
  -n "python json.loads + b64decode (rawjson)" "python3 $work/parse-rawjson.py $rawjson" \
  -n "swbuild-tui replay rawjson --progress plain" "$replay $rawjson --speed max --progress plain"

hyperfine --warmup 1 --runs "$runs" \
  -n "python json.loads (record)" "python3 $work/parse-record.py $record" \
  -n "swbuild-tui replay record --progress plain" "$replay $record --speed max --progress plain"

# The dashboard on the record, in a real terminal (tmux): time to the first frame, then to a
# seek to the end (G) and back to the start (g). Polls the screen every few milliseconds.
if command -v tmux >/dev/null; then
  session=swb-bench-$$
  now_ms() { date +%s%3N; }
  wait_screen() {  # wait_screen TEXT: until the pane shows TEXT (30 s at most)
    local deadline=$(( $(now_ms) + 30000 ))
    until tmux capture-pane -p -t "$session" 2>/dev/null | grep -qF -- "$1"; do
      [ "$(now_ms)" -gt "$deadline" ] && { echo "timed out waiting for: $1" >&2; return 1; }
      sleep 0.005
    done
  }
  for run in 1 2 3; do
    start=$(now_ms)
    tmux new-session -d -s "$session" -x 160 -y 48 "LANG=C.UTF-8 $replay $record; sleep 60"
    wait_screen "PLAYING" || wait_screen "LOADING"
    first=$(( $(now_ms) - start ))
    sleep 2   # let the player index the record (checkpoints)
    t=$(now_ms); tmux send-keys -t "$session" G; wait_screen "ENDED"; to_end=$(( $(now_ms) - t ))
    t=$(now_ms); tmux send-keys -t "$session" g; wait_screen "PLAYING"; to_start=$(( $(now_ms) - t ))
    echo "dashboard run $run: first frame ${first} ms, seek to end ${to_end} ms, seek to start ${to_start} ms (screen polling included)"
    tmux kill-session -t "$session"
  done
fi
