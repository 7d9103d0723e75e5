#!/usr/bin/env bash
# Regenerates screenshots/*.png from real builds of examples/demo shown by the real dashboard
# in tmux (runc, overlayfs, a real terminal): tmux capture-pane -e, then scripts/ansi2png.py.
# Needs root. Not part of the test run:   scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || scripts/setup.sh
# Debian's python3 (python3-pil and fonts come from setup), not another python3 first on PATH.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c "import PIL" 2>/dev/null || scripts/setup.sh
swift build --product swbuild-tui >/dev/null
bin=$PWD/.build/debug/swbuild-tui
root=$(mktemp -d /tmp/swbuild-shots.XXXXXX)
work=$(mktemp -d /tmp/swbuild-shots-ctx.XXXXXX)
# A tmux server of its own, kept up between shots by a session that only waits (a server that
# exits when its last session ends races the next new-session).
tm() { tmux -L swbuild-shots "$@"; }
tm new-session -d -s keep "sleep 100000"
cleanup() {
  tm kill-session -t shots 2>/dev/null || true
  sleep 2   # the build sees SIGHUP, cancels and unmounts
  tm kill-server 2>/dev/null || true
  rm -rf "$root" "$work"
}
trap cleanup EXIT
mkdir -p screenshots
"$bin" image busybox --root "$root" --name busybox:demo >/dev/null
cp -r examples/demo/. "$work/"
W=150 H=42

start() { # start CMD...: run a command in a fresh tmux session of W x H
  tm kill-session -t shots 2>/dev/null || true
  tm new-session -d -s shots -x "$W" -y "$H" "env LANG=C.UTF-8 TERM=xterm-256color $*; sleep 600"
}
shot() { # shot NAME: capture the pane with colours and render it
  tm capture-pane -t shots -e -p > "$work/$1.ansi"
  "$py" scripts/ansi2png.py "$work/$1.ansi" "screenshots/$1.png" --cols "$W" --rows "$H"
  echo "screenshots/$1.png"
}
keys() { tm send-keys -t shots "$@"; }

# 1. Parallel stages mid-build (first build: everything runs).
start "$bin" build --root "$root" --build-arg REPEAT=30 -t demo:latest "$work"
sleep 1.6
shot dashboard-parallel-stages

# 2. The log pane with a search, on the same build: open the running step's log, search "pass".
sleep 0.6
keys Enter; sleep 0.3
keys / p a s s Space 1 Enter; sleep 0.6
shot dashboard-log-search
sleep 5

# 3. The cache graph after a partial rebuild: only the letters stage changes.
start "$bin" build --root "$root" --build-arg REPEAT=14 -t demo:latest "$work"
sleep 1.2
keys c; sleep 0.6
shot dashboard-cache-graph
sleep 3

# 4. The timeline (Gantt) of a full rebuild.
start "$bin" build --root "$root" --no-cache --build-arg REPEAT=10 -t demo:latest "$work"
sleep 2.0
keys g; sleep 0.5
shot dashboard-timeline
sleep 2

# 5. A failed build: the failed step selected with the Dockerfile excerpt and its log.
printf '\nFROM base AS broken\nRUN echo "checking the greeting" && grep -q goodbye greeting.txt\n' >> "$work/Dockerfile"
start "$bin" build --root "$root" --target broken "$work"
sleep 2.5
shot dashboard-failed-build
sleep 2

# 6. Replaying the first build, paused half-way: the scrubber shows the position and step marks.
first=$("$bin" history ls --root "$root" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
start "$bin" replay --root "$root" --speed 2 "$first"
sleep 1.5
keys Space; sleep 0.5
shot dashboard-replay

# 7. The home screen: no build running, the builds above in the history, and the demo to build.
printf '#!/bin/sh\ncd "%s" && exec "%s" --root "%s"\n' "$work" "$bin" "$root" > "$work/.home.sh"
chmod +x "$work/.home.sh"
start "$work/.home.sh"
sleep 1.5
shot home

# 8. A step that printed 12,000 lines, scrolled to its top: the lines the dashboard no longer
#    keeps are read back from the build record.
mkdir -p "$work/flood"
printf 'FROM busybox:demo\nRUN seq 1 12000 | sed "s/^/line /" && exit 1\n' > "$work/flood/Dockerfile"
#    tmux's own terminal type here, so the Home key tmux sends is the one the terminfo names.
tm kill-session -t shots 2>/dev/null || true
tm new-session -d -s shots -x "$W" -y "$H" "env LANG=C.UTF-8 TERM=tmux-256color $bin build --root $root $work/flood; sleep 600"
sleep 3
keys Tab; sleep 0.3
keys Home; sleep 1
shot dashboard-log-readback

# 9. A build FROM a registry image, to be pushed back: a real docker-registry on 127.0.0.1, the
#    base image resolved and pulled into an empty root, the next step running.
source scripts/lib/registry.sh
registries_start "$work/regs" >/dev/null
trap 'registries_stop "$work/regs"; cleanup' EXIT
source "$work/regs/ports.env"
"$bin" image tag --root "$root" busybox:demo "$PLAIN/library/busybox:demo"
"$bin" image push --root "$root" -q "$PLAIN/library/busybox:demo" >/dev/null
mkdir -p "$work/registry"
printf 'FROM %s/library/busybox:demo\nRUN echo "built from the registry" && sleep 4\nCOPY Dockerfile /Dockerfile\n' "$PLAIN" > "$work/registry/Dockerfile"
start "$bin" build --root "$root.registry" -t "$PLAIN/team/app:1" --push "$work/registry"
sleep 1.5
shot dashboard-registry-build
sleep 4
rm -rf "$root.registry"

# 10. The layer explorer on a step whose layer deletes what an earlier one wrote: its files
#     (added, changed, removed), then the image's wasted space with the lines responsible.
mkdir -p "$work/waste"
cat > "$work/waste/Dockerfile" <<'DOCKERFILE'
FROM busybox:demo
RUN mkdir -p /opt/app /var/cache/apk && dd if=/dev/urandom of=/var/cache/apk/index.tar bs=1024 count=3072 2>/dev/null \
 && echo 'v1' > /opt/app/version && seq 1 2000 > /opt/app/data.txt
RUN rm -rf /var/cache/apk && echo 'v2' > /opt/app/version && ln -s /opt/app/version /VERSION
COPY Dockerfile /opt/app/
DOCKERFILE
"$bin" build --root "$root" --progress quiet -t waste:demo "$work/waste" >/dev/null
waste=$("$bin" history ls --root "$root" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
start "$bin" replay --root "$root" --speed max "$waste"
sleep 1.5
keys L; sleep 0.2; keys j; sleep 0.2; keys j; sleep 0.2; keys l; sleep 0.8
shot dashboard-layer-explorer
keys w; sleep 0.5
shot dashboard-layer-wasted

# 11. The source view of a build with build-check warnings: each line's status, duration and
#     cache result, the warning markers, and the names under the cursor explained.
mkdir -p "$work/checks"
cat > "$work/checks/Dockerfile" <<'DOCKERFILE'
ARG GREETING=hello
FROM busybox:demo as Base
MAINTAINER someone@example.com
ENV MODE prod
RUN echo "$GREETING from $MODE" > /greeting.txt
FROM Base
COPY Dockerfile /src/
CMD cat /greeting.txt
DOCKERFILE
"$bin" build --root "$root" --progress quiet "$work/checks" >/dev/null
checks=$("$bin" history ls --root "$root" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
start "$bin" replay --root "$root" --speed max "$checks"
sleep 1.5
keys s; sleep 0.3; keys k; sleep 0.2; keys k; sleep 0.5
shot dashboard-source-view

# 12. Two builds compared from the home screen: the demo rebuilt with another build arg and a
#     changed context file; c marks the older build, c on the newer one opens the comparison.
mkdir -p "$work/compare"
cp -r examples/demo/. "$work/compare/"
"$bin" build --root "$root" --progress quiet --build-arg REPEAT=10 -t demo:latest "$work/compare" >/dev/null
echo "changed" >> "$work/compare/greeting.txt"
"$bin" build --root "$root" --progress quiet --build-arg REPEAT=12 -t demo:latest "$work/compare" >/dev/null
start "$work/.home.sh"
sleep 1.5
keys j; sleep 0.2; keys c; sleep 0.2; keys k; sleep 0.2; keys c; sleep 0.8
shot home-compare-builds

# 13. A build on another machine over ssh (a private sshd on 127.0.0.1, the remote a state root
#     of its own): the context step, then the remote's stages running live in this dashboard.
port=$(scripts/local-sshd.sh "$work/sshd" | tail -1)
trap '"$work/sshd/bin/ssh" -o ControlPath=/tmp/swbuild-ssh-$(id -u)/%C -p "$port" -l root -O exit 127.0.0.1 2>/dev/null
      kill "$(cat "$work/sshd/sshd.pid")" 2>/dev/null; registries_stop "$work/regs"; cleanup; rm -rf "$root.remote"' EXIT
"$bin" image busybox --root "$root.remote" --name busybox:demo >/dev/null
cat > "$work/.remote.sh" <<SCRIPT
#!/bin/sh
export PATH="$work/sshd/bin:\$PATH" SWBUILD_REMOTE_COMMAND="SWBUILD_ROOT=$root.remote $bin"
exec "$bin" --root "$root" -H ssh://root@127.0.0.1:$port build --no-cache --build-arg REPEAT=30 -t demo:remote "$work/compare"
SCRIPT
chmod +x "$work/.remote.sh"
start "$work/.remote.sh"
sleep 2.5
shot dashboard-remote-build
sleep 4

# 14. The home screen with two contexts: this machine's builds, those of the ssh context (the
#     remote build above ran there, listed once, where it ran) and a context that does not answer.
mkdir -p "$work/config"
SWBUILD_CONFIG="$work/config" "$bin" context create --host "ssh://root@127.0.0.1:$port" far >/dev/null
SWBUILD_CONFIG="$work/config" "$bin" context create --host ssh://root@127.0.0.1:1 down >/dev/null
cat > "$work/.fleet.sh" <<SCRIPT
#!/bin/sh
export PATH="$work/sshd/bin:\$PATH" SWBUILD_REMOTE_COMMAND="SWBUILD_ROOT=$root.remote $bin" SWBUILD_CONFIG="$work/config"
cd "$work" && exec "$bin" --root "$root"
SCRIPT
chmod +x "$work/.fleet.sh"
start "$work/.fleet.sh"
sleep 4
shot home-fleet

# 15. A build on a Docker engine's BuildKit (Debian's dockerd, started privately under a short
#     directory), live in the dashboard.
WORK=$(mktemp -d /tmp/swbs-XXXX) DOCKER=/usr/bin/docker PYTHON=/usr/bin/python3 PREFIX=screenshots
source scripts/lib/dockerd.sh
trap 'tm kill-session -t shots 2>/dev/null; stop_dockerd; rm -rf --one-file-system "$WORK"
      "$work/sshd/bin/ssh" -o ControlPath=/tmp/swbuild-ssh-$(id -u)/%C -p "$port" -l root -O exit 127.0.0.1 2>/dev/null
      kill "$(cat "$work/sshd/sshd.pid")" 2>/dev/null; registries_stop "$work/regs"; cleanup; rm -rf "$root.remote"' EXIT
start_dockerd
load_base "$bin" "$WORK/r"
mkdir -p "$work/engine"
{
  echo "FROM busybox:test"
  echo 'RUN for i in $(seq 1 12); do echo "engine step, line $i"; sleep 0.3; done'
  echo 'RUN echo "second step" && sleep 2'
} > "$work/engine/Dockerfile"
start "$bin" --root "$root" build --builder docker --docker-host "$DHOST" --network host -t engine:demo "$work/engine"
sleep 2.6
shot dashboard-docker-engine
sleep 4
