#!/usr/bin/env bash
# The BuildKit differential: every case under Tests/Fixtures/differential/<NNN-name>/ is built
# twice from the same context and the same base image, once by swbuild-tui and once by a real
# BuildKit (the one inside Debian's docker.io dockerd 20.10, BuildKit v0.8), and the two images
# are flattened by one independent reader (scripts/image-flatten.py) and compared: every path's
# type, mode, owner, size, content, link target, hard-link group and device numbers, and the
# image config (Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Labels, Volumes,
# StopSignal, Healthcheck, OnBuild, Shell). Mtimes are ignored.
#
#   scripts/buildkit-differential.sh [--binary PATH] [--only PATTERN] [-v] [--keep]
#
#   --binary PATH   the swbuild-tui to test (default .build/debug/swbuild-tui)
#   --only PATTERN  run only the cases whose folder name matches the grep -E PATTERN
#   -v              print the whole difference and both build logs of a failing case
#   --keep          keep the work directory (contexts, archives, JSON, logs) and say where
#
# Needs root, dockerd and /usr/bin/docker (Debian's docker.io), skopeo, python3 and runc; it
# installs nothing. It starts its own dockerd (no bridge, no iptables, data and exec roots under
# a temporary directory, its own socket) and stops it on every exit path.
#
# A case folder holds:
#   Dockerfile        required
#   README            one line: what the case checks
#   context.sh        optional, run by sh in the fresh context directory (cwd) before the builds;
#                     makes what a repository cannot hold (links, FIFOs, archives, odd names).
#                     Gets CONTEXT and CASE_DIR.
#   args              optional, extra `build` arguments for both builders, one argument a line;
#                     $CONTEXT, $CASE_DIR, $SECRET_FILE (a file holding "s3cr3t-value") and
#                     $SSH_SOCK (a unix socket for --ssh) expand
#   parent/           optional, a context (with its Dockerfile) built first by both builders and
#                     tagged diffparent/NNN (NNN: the case number), for ONBUILD and inheritance
#   expect-fail       optional: both builds must fail (their images are not compared)
#   skip              optional, one line: why the case cannot run against dockerd 20.10
#   modern            optional: modern BuildKit (moby/buildkit master) behaves differently from
#                     v0.8 here and swbuild follows modern BuildKit; the file names the source
#                     file and the behaviour. With expect-modern.json (an override applied to
#                     BuildKit's flattened result: {"files": {"path": {...}|null}, "config":
#                     {...}}) swbuild must match the overridden result; without it, a difference
#                     is reported as `modern NAME: ...` and not counted as a failure.
# Everything else in the folder (files, dot files, subdirectories) is copied into the context.
#
# Output: one line per case, `agree NAME`, `modern NAME: ...`, `DIFFER NAME: <short diff>` or
# `skip NAME: reason`, then `differential: N/M agree (K skipped)` and `A passed, D failed,
# S skipped`. Exit 0 only when every case that ran agrees (or differs only as modern BuildKit
# does); 2 when the harness itself cannot run.

set -u
set -o pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
CASES_DIR=$REPO/Tests/Fixtures/differential
FLATTEN=$SCRIPT_DIR/image-flatten.py
BINARY=.build/debug/swbuild-tui
ONLY=""
VERBOSE=0
KEEP=0
TIMEOUT=120
DOCKER=/usr/bin/docker

usage() {
    sed -n '2,45p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
        --binary=*) BINARY=${1#--binary=}; shift ;;
        --only) ONLY=${2:?--only needs a pattern}; shift 2 ;;
        --only=*) ONLY=${1#--only=}; shift ;;
        -v|--verbose) VERBOSE=1; shift ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "buildkit-differential: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

fatal() {
    echo "buildkit-differential: $*" >&2
    exit 2
}

[ "${EUID:-$(id -u)}" -eq 0 ] || fatal "must run as root (dockerd, runc and overlayfs need it)"

case "$BINARY" in
    /*) ;;
    .build/*) [ -e "$BINARY" ] || BINARY=$REPO/$BINARY; BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY") ;;
    *) BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY") ;;
esac
[ -x "$BINARY" ] || fatal "no executable swbuild-tui at $BINARY (use --binary PATH)"

DOCKERD=$(command -v dockerd || true)
[ -n "$DOCKERD" ] || fatal "dockerd is missing: install Debian's docker.io (apt-get install -y docker.io)"
[ -x "$DOCKER" ] || fatal "$DOCKER is missing: install Debian's docker.io (apt-get install -y docker.io); a docker client elsewhere on PATH is not used (newer ones want buildx)"
for tool in skopeo python3 runc findmnt timeout; do
    command -v "$tool" >/dev/null 2>&1 || fatal "$tool is required"
done
[ -d "$CASES_DIR" ] || fatal "no cases at $CASES_DIR"
PYTHON=$(command -v python3)
[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3

CASES=()
for d in "$CASES_DIR"/*/; do
    d=${d%/}
    [ -f "$d/Dockerfile" ] || [ -f "$d/skip" ] || continue
    if [ -n "$ONLY" ] && ! basename "$d" | grep -qE -- "$ONLY"; then continue; fi
    CASES+=("$d")
done
[ "${#CASES[@]}" -gt 0 ] || fatal "no case matches ${ONLY:-anything}"

# --- the work directory and the daemon ---------------------------------------------------------------

# Short paths: containerd's sockets live under the exec root (a unix socket path has 108 bytes).
WORK=$(mktemp -d /tmp/swbd-XXXX) || fatal "mktemp failed"
chmod 755 "$WORK"
ROOT=$WORK/r
BUILD_PIDS=()
PREFIX=buildkit-differential
# shellcheck source=lib/dockerd.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/dockerd.sh"

# shellcheck source=lib/driver.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/driver.sh"


cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local p
    # The builds of the current case: their timeout processes pass TERM on to the builders.
    for p in "${BUILD_PIDS[@]}"; do pkill -TERM -P "$p" 2>/dev/null; done
    [ "${#BUILD_PIDS[@]}" -gt 0 ] && sleep 1
    for p in "${BUILD_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    stop_dockerd
    kill_runc_containers "$ROOT"
    if unmount_under "$WORK"; then
        if [ "$KEEP" = 1 ]; then
            echo "buildkit-differential: kept $WORK" >&2
        else
            rm -rf --one-file-system "$WORK"
        fi
    else
        echo "buildkit-differential: mounts remain under $WORK; not removing it:" >&2
        mounts_under "$WORK" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'echo "buildkit-differential: interrupted" >&2; exit 130' INT TERM

if [ -S /run/containerd/containerd.sock ]; then
    echo "buildkit-differential: note: a system containerd runs (/run/containerd/containerd.sock); dockerd 20.10 will use it instead of its own" >&2
fi

T0=$(date +%s.%N)
start_dockerd || exit 2
DOCKERD_VERSION=$("$DOCKER" -H "$DHOST" version --format '{{.Server.Version}}' 2>/dev/null)
T_UP=$(date +%s.%N)

# --- the common base image -------------------------------------------------------------------------

load_base "$BINARY" "$ROOT" || exit 2
SW_BASE=$BASE_LAYER
echo "base busybox:test: layer $SW_BASE in both (dockerd $DOCKERD_VERSION, up in $(awk -v a="$T_UP" -v b="$T0" 'BEGIN { printf "%.1f", a - b }') s)"

SECRET_FILE=$WORK/secret.txt
printf 's3cr3t-value\n' > "$SECRET_FILE"
chmod 600 "$SECRET_FILE"
# A unix socket for `--ssh default=$SSH_SOCK` (bound, never answering: cases only look at it).
SSH_SOCK=$WORK/ssh.sock
"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SSH_SOCK" ||
    fatal "could not make $SSH_SOCK"

# --- one case --------------------------------------------------------------------------------------

expand_vars() {
    # Replaces $NAME and ${NAME} by the driver's value of NAME (only the names listed).
    expand_listed_vars "SECRET_FILE SSH_SOCK CONTEXT CASE_DIR" "$1"
}

META_FILES=" README context.sh args skip modern expect-modern.json expect-fail "

make_context() {
    # make_context CASE_DIR DEST: the case's plain files, then context.sh in DEST.
    local case_dir=$1 dest=$2 f base
    mkdir -p "$dest"
    for f in "$case_dir"/* "$case_dir"/.[!.]*; do
        [ -e "$f" ] || continue
        base=$(basename "$f")
        case "$META_FILES" in *" $base "*) continue ;; esac
        [ -d "$f" ] && [ "$base" = parent ] && continue
        cp -pR "$f" "$dest/$base"
    done
    if [ -f "$case_dir/context.sh" ]; then
        (cd "$dest" && CONTEXT=$dest CASE_DIR=$case_dir sh -e "$case_dir/context.sh") >"$dest.context.log" 2>&1 ||
            return 1
    fi
    return 0
}

sw_build() {
    # sw_build LOG ARGS...: swbuild-tui build with the timeout; status of the build.
    local log=$1; shift
    timeout -k 5 "$TIMEOUT" "$BINARY" build --root "$ROOT" --progress plain "$@" >"$log" 2>&1 </dev/null
}

bk_build() {
    local log=$1; shift
    timeout -k 5 "$TIMEOUT" "$DOCKER" -H "$DHOST" build --progress plain --network=host "$@" >"$log" 2>&1 </dev/null
}

AGREE=0
DIFFER=0
SKIPPED=0
MODERN=0
TOTAL=0
SW_TIME=0
BK_TIME=0
RESULTS=()

report_fail() {
    # report_fail NAME REASON [DETAIL_FILE]
    echo "DIFFER $1: $2"
    DIFFER=$((DIFFER + 1))
    if [ "$VERBOSE" = 1 ] && [ -n "${3:-}" ] && [ -s "$3" ]; then sed 's/^/    /' "$3"; fi
}

show_logs() {
    [ "$VERBOSE" = 1 ] || return 0
    local l
    for l in "$@"; do
        [ -f "$l" ] || continue
        echo "    --- $(basename "$l")"
        tail -25 "$l" | sed 's/^/    /'
    done
}

first_error() {
    # The first line of a build log that says what failed (BuildKit: "#N ERROR: ..." or
    # "failed to solve ..."; swbuild: "error: ..."), cut short.
    grep -m1 -E 'ERROR|^error|failed to solve|failed to create|[Ee]rror:' "$1" 2>/dev/null | cut -c1-200
}

elapsed() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN { printf "%.3f", a - b }'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }

run_case() {
    local case_dir=$1 name num cw ctx args=() line st_sw st_bk t0 t1
    name=$(basename "$case_dir")
    num=${name%%-*}
    if [ -f "$case_dir/skip" ]; then
        echo "skip $name: $(head -n1 "$case_dir/skip")"
        SKIPPED=$((SKIPPED + 1))
        return
    fi
    TOTAL=$((TOTAL + 1))
    cw=$WORK/cases/$name
    mkdir -p "$cw"
    ctx=$cw/ctx
    CASE_DIR=$case_dir
    CONTEXT=$ctx
    if ! make_context "$case_dir" "$ctx"; then
        report_fail "$name" "context.sh failed: $(tail -n1 "$ctx.context.log")"
        return
    fi
    if [ -f "$case_dir/args" ]; then
        while IFS= read -r line || [ -n "$line" ]; do
            [ -n "$line" ] || continue
            case "$line" in \#*) continue ;; esac
            args+=("$(expand_vars "$line")")
        done <"$case_dir/args"
    fi

    # A parent image for both builders, tagged diffparent/NNN.
    if [ -d "$case_dir/parent" ]; then
        local pctx=$cw/parent
        if ! make_context "$case_dir/parent" "$pctx"; then
            report_fail "$name" "parent context.sh failed"
            return
        fi
        sw_build "$cw/sw-parent.log" -t "diffparent/$num" "$pctx" & local p1=$!
        bk_build "$cw/bk-parent.log" -t "diffparent/$num" "$pctx" & local p2=$!
        BUILD_PIDS=("$p1" "$p2")
        wait "$p1"; st_sw=$?
        wait "$p2"; st_bk=$?
        BUILD_PIDS=()
        if [ "$st_sw" != 0 ] || [ "$st_bk" != 0 ]; then
            report_fail "$name" "parent image: swbuild exit $st_sw, buildkit exit $st_bk"
            show_logs "$cw/sw-parent.log" "$cw/bk-parent.log"
            return
        fi
    fi

    t0=$(date +%s.%N)
    ( sw_build "$cw/sw.log" "${args[@]}" -o "type=oci,dest=$cw/sw.tar" "$ctx"; echo $? >"$cw/sw.rc"
      echo "$(elapsed "$t0")" >"$cw/sw.time" ) & local p1=$!
    ( bk_build "$cw/bk.log" "${args[@]}" -t "diff/$num" "$ctx"; st=$?
      if [ "$st" = 0 ]; then
          "$DOCKER" -H "$DHOST" save -o "$cw/bk.tar" "diff/$num" >>"$cw/bk.log" 2>&1 || st=99
      fi
      echo "$st" >"$cw/bk.rc"; echo "$(elapsed "$t0")" >"$cw/bk.time" ) & local p2=$!
    BUILD_PIDS=("$p1" "$p2")
    wait "$p1"; wait "$p2"
    BUILD_PIDS=()
    st_sw=$(cat "$cw/sw.rc" 2>/dev/null || echo 255)
    st_bk=$(cat "$cw/bk.rc" 2>/dev/null || echo 255)
    SW_TIME=$(add "$SW_TIME" "$(cat "$cw/sw.time")")
    BK_TIME=$(add "$BK_TIME" "$(cat "$cw/bk.time")")
    [ "$st_bk" = 99 ] && { report_fail "$name" "docker save failed"; show_logs "$cw/bk.log"; return; }

    local expect_fail=0
    [ -f "$case_dir/expect-fail" ] && expect_fail=1
    if [ "$st_sw" != 0 ] && [ "$st_bk" != 0 ]; then
        if [ "$expect_fail" = 1 ]; then
            echo "agree $name"
            AGREE=$((AGREE + 1))
        else
            report_fail "$name" "both builds failed (swbuild exit $st_sw, buildkit exit $st_bk) and the case expects success: $(first_error "$cw/bk.log")"
            show_logs "$cw/sw.log" "$cw/bk.log"
        fi
        return
    fi
    if [ "$st_sw" != 0 ] || [ "$st_bk" != 0 ]; then
        local why
        if [ "$st_sw" != 0 ]; then
            why="swbuild failed (exit $st_sw), buildkit succeeded: $(first_error "$cw/sw.log")"
        else
            why="buildkit failed (exit $st_bk), swbuild succeeded: $(first_error "$cw/bk.log")"
        fi
        report_fail "$name" "$why"
        show_logs "$cw/sw.log" "$cw/bk.log"
        return
    fi
    if [ "$expect_fail" = 1 ]; then
        report_fail "$name" "both builds succeeded and the case expects failure"
        return
    fi

    "$PYTHON" "$FLATTEN" "$cw/sw.tar" -o "$cw/sw.json" 2>"$cw/flatten.log" & p1=$!
    "$PYTHON" "$FLATTEN" "$cw/bk.tar" -o "$cw/bk.json" 2>>"$cw/flatten.log" & p2=$!
    wait "$p1"; local f1=$?
    wait "$p2"; local f2=$?
    if [ "$f1" != 0 ] || [ "$f2" != 0 ]; then
        report_fail "$name" "image-flatten failed: $(head -n1 "$cw/flatten.log")"
        return
    fi

    local expected=$cw/bk.json names="swbuild,buildkit"
    if [ -f "$case_dir/modern" ] && [ -f "$case_dir/expect-modern.json" ]; then
        expected=$cw/modern.json
        names="swbuild,modern-buildkit"
        if ! "$PYTHON" "$FLATTEN" --patch "$cw/bk.json" "$case_dir/expect-modern.json" -o "$expected" 2>"$cw/flatten.log"; then
            report_fail "$name" "expect-modern.json: $(head -n1 "$cw/flatten.log")"
            return
        fi
    fi
    "$PYTHON" "$FLATTEN" --diff "$cw/sw.json" "$expected" --names "$names" >"$cw/diff.txt" 2>&1
    local dst=$?
    if [ "$dst" = 0 ]; then
        if [ "$expected" = "$cw/bk.json" ]; then
            echo "agree $name"
            AGREE=$((AGREE + 1))
        elif "$PYTHON" "$FLATTEN" --diff "$cw/sw.json" "$cw/bk.json" >/dev/null 2>&1; then
            # The override changed nothing BuildKit v0.8 did not already do.
            echo "agree $name"
            AGREE=$((AGREE + 1))
        else
            echo "modern $name: matches modern BuildKit, not v0.8 ($(head -n1 "$case_dir/modern" | cut -d' ' -f1-2))"
            MODERN=$((MODERN + 1))
        fi
        return
    fi
    if [ "$dst" != 1 ]; then
        report_fail "$name" "image-flatten --diff failed: $(head -n1 "$cw/diff.txt")"
        return
    fi
    local n summary
    n=$(wc -l <"$cw/diff.txt")
    summary=$(head -n 3 "$cw/diff.txt" | paste -sd ';' | sed 's/;/; /g')
    [ "$n" -gt 3 ] && summary="$summary; ... ($n differences)"
    if [ -f "$case_dir/modern" ] && [ ! -f "$case_dir/expect-modern.json" ]; then
        echo "modern $name: differs from BuildKit v0.8 as modern BuildKit does ($(head -n1 "$case_dir/modern" | cut -d' ' -f1-2)): $summary"
        MODERN=$((MODERN + 1))
        [ "$VERBOSE" = 1 ] && sed 's/^/    /' "$cw/diff.txt"
        return
    fi
    report_fail "$name" "$summary" "$cw/diff.txt"
}

T_CASES=$(date +%s.%N)
for d in "${CASES[@]}"; do
    run_case "$d"
done
T_END=$(date +%s.%N)

PASSED=$((AGREE + MODERN))
[ "$MODERN" -gt 0 ] && echo "modern: $MODERN of the agreeing cases match modern BuildKit where v0.8 differs (see each case's modern file)"
echo "differential: $PASSED/$TOTAL agree ($SKIPPED skipped)"
printf 'time: %.0f s in all; cases %.0f s (build time summed: swbuild %.0f s, dockerd build+save %.0f s)\n' \
    "$(elapsed "$T0")" "$(awk -v a="$T_END" -v b="$T_CASES" 'BEGIN { printf "%.3f", a - b }')" "$SW_TIME" "$BK_TIME"
echo "$PASSED passed, $DIFFER failed, $SKIPPED skipped"
[ "$DIFFER" -eq 0 ]
