#!/usr/bin/env bash
# Builds on a real Docker engine through swbuild (`build --builder docker`): Debian's docker.io
# dockerd (BuildKit inside), started privately on a unix socket with no bridge, as the
# differential suite starts it. Each check prints `ok NAME` or `FAIL NAME: why`; the last line is
# `docker engine: N/M checks passed`. Exit 0 only when all pass.
#
#   scripts/docker-engine-suite.sh [--binary PATH] [--keep]
#
# Needs root, dockerd, /usr/bin/docker and skopeo (scripts/setup.sh installs them). Contexts it
# creates live in its own work directory (SWBUILD_CONFIG).
set -u
set -o pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BINARY=$REPO/.build/debug/swbuild-tui
KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
        --binary) BINARY=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        *) echo "usage: $0 [--binary PATH] [--keep]" >&2; exit 2 ;;
    esac
done
DOCKER=/usr/bin/docker
PYTHON=/usr/bin/python3
PREFIX=docker-engine
WORK=$(mktemp -d /tmp/swde-XXXX)
chmod 755 "$WORK"
ROOT=$WORK/r
# shellcheck source=lib/dockerd.sh
. "$REPO/scripts/lib/dockerd.sh"

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    [ -s "$WORK/ssh/sshd.pid" ] && kill "$(cat "$WORK/ssh/sshd.pid")" 2>/dev/null
    stop_dockerd
    if [ "$KEEP" = 1 ]; then echo "$PREFIX: kept $WORK" >&2; else rm -rf --one-file-system "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_dockerd || { echo "$PREFIX: dockerd did not start" >&2; exit 2; }
load_base "$BINARY" "$ROOT" || exit 2

passed=0
total=0
check() { # check NAME CONDITION-TEXT: records the result of the last test command
    total=$((total + 1))
    if [ "$2" = ok ]; then passed=$((passed + 1)); echo "ok $1"; else echo "FAIL $1: $2"; fi
}
sw() { "$BINARY" --root "$ROOT" "$@"; }

mkdir -p "$WORK/ctx" "$WORK/ctx/ignored"
cat > "$WORK/ctx/Dockerfile" <<'EOF'
FROM busybox:test AS base
ARG GREETING=hello
RUN echo "$GREETING from the engine" > /greeting.txt && cat /greeting.txt
COPY app.txt /app/
FROM base
LABEL stage=final
RUN ls /app && test ! -e /app/ignored
EOF
echo "payload" > "$WORK/ctx/app.txt"
echo "never sent" > "$WORK/ctx/ignored/secret.txt"
echo "ignored" > "$WORK/ctx/.dockerignore"

# 1. A build on the engine with plain progress: BuildKit's steps come back as swbuild's.
out=$(sw build --builder docker --docker-host "$DHOST" --network host --progress plain --build-arg GREETING=hi \
      -t engine/app:1 "$WORK/ctx" 2>&1); status=$?
# (BuildKit names the step with the build arg expanded.)
if [ $status = 0 ] && grep -q '\[base 2/3\] RUN echo "hi from the engine"' <<<"$out" && grep -qx "#5 [0-9.]* hi from the engine" <<<"$out"; then
    check plain-progress ok
else
    check plain-progress "exit $status: $(grep -E "RUN|from the engine" <<<"$out" | head -5)"
fi

# 2. The image is in the engine, tagged, with the label and without the ignored file.
if "$DOCKER" -H "$DHOST" image inspect engine/app:1 --format '{{.Config.Labels.stage}}' 2>/dev/null | grep -qx final; then
    check image-tagged-in-engine ok
else
    check image-tagged-in-engine "engine/app:1 missing or without its label"
fi

# 3. The build is in swbuild's history and replays from the record.
id=$(sw history ls --format json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
replay=$(sw replay --speed max --progress plain "$id" 2>&1)
if grep -q "hi from the engine" <<<"$replay" && sw history inspect "$id" | grep -q "succeeded"; then
    check history-and-replay ok
else
    check history-and-replay "$(tail -5 <<<"$replay")"
fi

# 4. A second build is served by the engine's cache, and says so.
out=$(sw build --builder docker --docker-host "$DHOST" --network host --progress plain --build-arg GREETING=hi \
      "$WORK/ctx" 2>&1)
if grep -q "CACHED" <<<"$out"; then check engine-cache ok; else check engine-cache "$(tail -5 <<<"$out")"; fi

# 5. rawjson progress is BuildKit's own format again.
out=$(sw build --builder docker --docker-host "$DHOST" --network host --progress rawjson "$WORK/ctx" 2>&1 >/dev/null | head -1)
if "$PYTHON" -c 'import json,sys; d=json.loads(sys.argv[1]); assert "vertexes" in d' "$out" 2>/dev/null; then
    check rawjson ok
else
    check rawjson "first line: $out"
fi

# 6. A failing step fails the build with the engine's message and exit 1.
mkdir -p "$WORK/bad"
printf 'FROM busybox:test\nRUN echo about to fail && exit 3\n' > "$WORK/bad/Dockerfile"
out=$(sw build --builder docker --docker-host "$DHOST" --network host --progress plain "$WORK/bad" 2>&1); status=$?
if [ $status = 1 ] && grep -q "exit code: 3" <<<"$out"; then check failure ok; else check failure "exit $status: $(tail -3 <<<"$out")"; fi

# 7. What the Engine API cannot take is refused by name, before anything is sent.
echo s3cr3t > "$WORK/secret"
out=$(sw build --builder docker --docker-host "$DHOST" --secret id=a,src="$WORK/secret" --progress plain "$WORK/ctx" 2>&1); status=$?
if [ $status != 0 ] && grep -q -- "--secret" <<<"$out"; then check secret-refused ok; else check secret-refused "exit $status: $out"; fi

# 8. An engine that is not there: one line, exit 1.
out=$(sw build --builder docker --docker-host unix://"$WORK/nothing.sock" --progress plain "$WORK/ctx" 2>&1); status=$?
if [ $status = 1 ] && grep -q "unreachable" <<<"$out"; then check unreachable ok; else check unreachable "exit $status: $out"; fi

# 9. Attach: a running engine build is watched through swbuild's attach socket.
mkdir -p "$WORK/slow"
printf 'FROM busybox:test\nRUN echo tick-one && sleep 3 && echo tick-two\n' > "$WORK/slow/Dockerfile"
sw build --builder docker --docker-host "$DHOST" --network host --no-cache --progress quiet "$WORK/slow" >/dev/null 2>&1 &
build_pid=$!
for _ in $(seq 100); do ls "$ROOT"/attach/*.sock >/dev/null 2>&1 && break; sleep 0.1; done
attached=$(timeout 30 "$BINARY" --root "$ROOT" attach --progress plain 2>&1)
wait $build_pid
if grep -q "tick-two" <<<"$attached"; then check attach ok; else check attach "$(tail -3 <<<"$attached")"; fi

# 10. A context names the engine: `-c NAME` (and SWBUILD_CONTEXT) build there without --builder.
export SWBUILD_CONFIG=$WORK/config
sw context create --docker "$DHOST" --description "the suite's dockerd" engine >/dev/null
out=$(sw -c engine build --network host --progress plain -t engine/ctx:1 "$WORK/ctx" 2>&1); status=$?
out2=$(SWBUILD_CONTEXT=engine "$BINARY" --root "$ROOT" build --network host --progress plain "$WORK/ctx" 2>&1); status2=$?
if [ $status = 0 ] && [ $status2 = 0 ] && "$DOCKER" -H "$DHOST" image inspect engine/ctx:1 >/dev/null 2>&1 \
   && sw context ls | grep -q "engine .*$DHOST"; then
    check context ok
else
    check context "exit $status/$status2: $(tail -2 <<<"$out") $(tail -2 <<<"$out2")"
fi

# 11. An engine over ssh, as `docker -H ssh://` reaches one: each connection is
#     `ssh HOST docker system dial-stdio` (a private sshd on 127.0.0.1; the remote docker client
#     is pointed at the suite's dockerd). Nothing is left behind: no ssh, no relay socket.
port=$(bash "$REPO/scripts/local-sshd.sh" "$WORK/ssh" | tail -1)
out=$(PATH="$WORK/ssh/bin:$PATH" SWBUILD_REMOTE_DOCKER_COMMAND="env DOCKER_HOST=$DHOST $DOCKER" \
      "$BINARY" --root "$ROOT" build --builder docker --docker-host "ssh://root@127.0.0.1:$port" --network host \
      --progress plain -t engine/ssh:1 "$WORK/ctx" 2>&1); status=$?
left=$(pgrep -f "dial-stdio" || true)
if [ $status = 0 ] && "$DOCKER" -H "$DHOST" image inspect engine/ssh:1 >/dev/null 2>&1 && [ -z "$left" ] \
   && ! ls -d "${TMPDIR:-/tmp}"/swbuild-dial-* >/dev/null 2>&1; then
    check engine-over-ssh ok
else
    check engine-over-ssh "exit $status, left: $left: $(tail -3 <<<"$out")"
fi

echo "docker engine: $passed/$total checks passed"
[ "$passed" = "$total" ]
