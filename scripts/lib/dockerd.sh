# A private dockerd (Debian's docker.io 20.10, BuildKit inside) for the scripts that compare
# swbuild with BuildKit: started with no bridge and no iptables, everything under $WORK, its own
# socket, stopped in order on every exit path, and a base image both builders share.
# Source it after setting WORK (a short directory: containerd's socket paths must fit), DOCKER
# (Debian's /usr/bin/docker), PYTHON and PREFIX (for messages); it sets DOCKERD, SOCK, DHOST.

DOCKERD=$(command -v dockerd || true)
SOCK=$WORK/s
DHOST=unix://$SOCK
DOCKERD_PID=""
KEY_JSON=/etc/docker/key.json
KEY_JSON_EXISTED=0; [ -e "$KEY_JSON" ] && KEY_JSON_EXISTED=1
ETC_DOCKER_EXISTED=0; [ -d /etc/docker ] && ETC_DOCKER_EXISTED=1
RUN_DOCKER_EXISTED=0; [ -d /run/docker ] && RUN_DOCKER_EXISTED=1  # dockerd makes /run/docker/plugins

# Processes whose command line names the work directory (our dockerd, its containerd, shims,
# runc): the directory is unique to this run, so nothing else matches.
work_pids() {
    pgrep -f -- "$WORK/" 2>/dev/null | grep -vx "$$" || true
}

# Starts dockerd in a session of its own (a Ctrl-C reaches the script, which stops it in order)
# and waits for it to answer; false, with its log on stderr, when it does not come up.
start_dockerd() {
    echo '{}' > "$WORK/daemon.json"
    mkdir -p "$WORK/dockercfg"
    export DOCKER_CONFIG=$WORK/dockercfg
    export DOCKER_BUILDKIT=1
    export BUILDKIT_PROGRESS=plain
    setsid "$DOCKERD" --config-file "$WORK/daemon.json" --iptables=false --ip-masq=false --bridge=none \
        --data-root "$WORK/d" --exec-root "$WORK/e" -H "$DHOST" --pidfile "$WORK/p" \
        >"$WORK/dockerd.log" 2>&1 </dev/null &
    DOCKERD_PID=$!
    local up=0
    for _ in $(seq 300); do
        if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then break; fi
        if "$DOCKER" -H "$DHOST" info >/dev/null 2>&1; then up=1; break; fi
        sleep 0.1
    done
    if [ "$up" != 1 ]; then
        echo "$PREFIX: dockerd did not come up; its log ends:" >&2
        tail -20 "$WORK/dockerd.log" >&2
        return 1
    fi
    [ -s "$WORK/p" ] && DOCKERD_PID=$(cat "$WORK/p")
    return 0
}

stop_dockerd() {
    local pid=$DOCKERD_PID p
    [ -z "$pid" ] && [ -s "$WORK/p" ] && pid=$(cat "$WORK/p" 2>/dev/null)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    DOCKERD_PID=""
    # containerd (dockerd's managed one) and shims normally exit with it; anything left goes.
    for _ in $(seq 30); do [ -z "$(work_pids)" ] && break; sleep 0.1; done
    for p in $(work_pids); do kill -TERM "$p" 2>/dev/null; done
    sleep 0.3
    for p in $(work_pids); do kill -KILL "$p" 2>/dev/null; done
    # What dockerd 20.10 leaves outside its directories.
    if [ "$KEY_JSON_EXISTED" = 0 ]; then
        rm -f "$KEY_JSON"
        [ "$ETC_DOCKER_EXISTED" = 0 ] && rmdir /etc/docker 2>/dev/null
    fi
    [ "$RUN_DOCKER_EXISTED" = 0 ] && rmdir /run/docker/plugins /run/docker 2>/dev/null
    return 0
}

# load_base BINARY ROOT: busybox:test made by swbuild under ROOT and loaded into dockerd, the same
# layer for both (checked by diffID); false with the reason on stderr otherwise. Sets BASE_LAYER.
load_base() {
    local binary=$1 root=$2
    if ! "$binary" image busybox --root "$root" --name busybox:test >"$WORK/base.log" 2>&1 ||
       ! "$binary" image save --root "$root" -o "$WORK/base.tar" busybox:test >>"$WORK/base.log" 2>&1; then
        echo "$PREFIX: making the base image with swbuild-tui failed:" >&2
        cat "$WORK/base.log" >&2
        return 1
    fi
    # `image save` writes an OCI layout tar; dockerd 20.10 loads docker archives only.
    if tar -tf "$WORK/base.tar" manifest.json >/dev/null 2>&1; then
        cp "$WORK/base.tar" "$WORK/base-docker.tar"
    elif ! skopeo copy -q "oci-archive:$WORK/base.tar" "docker-archive:$WORK/base-docker.tar:busybox:test" >>"$WORK/base.log" 2>&1; then
        echo "$PREFIX: skopeo could not convert the base image:" >&2
        cat "$WORK/base.log" >&2
        return 1
    fi
    if ! "$DOCKER" -H "$DHOST" load -i "$WORK/base-docker.tar" >>"$WORK/base.log" 2>&1; then
        echo "$PREFIX: docker load of the base image failed:" >&2
        cat "$WORK/base.log" >&2
        return 1
    fi
    local sw bk
    sw=$(skopeo inspect --config "oci-archive:$WORK/base.tar" 2>/dev/null | "$PYTHON" -c 'import json,sys; print(" ".join(json.load(sys.stdin)["rootfs"]["diff_ids"]))')
    bk=$("$DOCKER" -H "$DHOST" image inspect busybox:test --format '{{range .RootFS.Layers}}{{.}} {{end}}' 2>/dev/null | sed 's/ *$//')
    if [ -z "$sw" ] || [ "$sw" != "$bk" ]; then
        echo "$PREFIX: the two builders see different bases: swbuild $sw, dockerd $bk" >&2
        return 1
    fi
    BASE_LAYER=$sw
    return 0
}
