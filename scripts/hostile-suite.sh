#!/usr/bin/env bash
# The hostile suite: every case under Tests/Fixtures/hostile/<NNN-name>/ is a Dockerfile (and
# maybe a context script, extra arguments, an expectation) written by an attacker. Each is built
# with a real swbuild-tui binary while canaries are planted on the host; a case is "safe" when
# the build never read, wrote, reached or left behind anything outside what it was given.
#
#   scripts/hostile-suite.sh [--binary PATH] [--only PATTERN] [--timeout SECONDS] [-v]
#
# Needs root (runc, overlayfs). Every build uses a fresh copy of a state root made once with
# `swbuild-tui image busybox --name busybox:test` under a temporary directory.
#
# A case folder holds:
#   Dockerfile     required (context.sh may replace it, e.g. by a symlink)
#   context.sh     optional, run with the context directory as cwd before the build; gets
#                  CANARY_DIR, CANARY_TOKEN, CANARY_PID (the process with the token in its
#                  command line), CONTEXT
#   args           optional, extra `build` arguments, one per line; $VARS are expanded from the
#                  driver's variables (SECRET_FILE, SSH_SOCK, CANARY_PORT, HTTP_PORT, CANARY_DIR, CONTEXT,
#                  CASE_DIR)
#   expect         optional: fail | ok | any (default any)
#   allow-token    optional: the canary token may appear (the case legitimately reaches it)
#   absent         optional: paths (one a line) that must not exist in the exported rootfs
#   present        optional: paths that must exist in the exported rootfs when the build succeeds
#   kill-after     optional: seconds after which the build gets SIGKILL; a second, trivial build
#                  with the same root then runs (a new build cleans up what a killed one left)
#   README         one line: what the case attacks and which root cause it covers
# Every other plain file in the folder is copied into the context.
#
# Attacks that write on the host write to names containing "swbuild-pwned".
# Output: one line per case (`safe  NAME` or `UNSAFE NAME: reasons`), then
# `hostile suite: N/M safe` and `P passed, F failed`. Exit 0 only when every case is safe.

set -u
set -o pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
CASES_DIR=$REPO/Tests/Fixtures/hostile
BINARY=.build/debug/swbuild-tui
ONLY=""
VERBOSE=0
TIMEOUT=60

usage() {
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
        --binary=*) BINARY=${1#--binary=}; shift ;;
        --only) ONLY=${2:?--only needs a pattern}; shift 2 ;;
        --only=*) ONLY=${1#--only=}; shift ;;
        --timeout) TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
        -v|--verbose) VERBOSE=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "hostile-suite: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

if [ "$(id -u)" -ne 0 ]; then
    echo "hostile-suite: must run as root (builds need runc and overlayfs)" >&2
    exit 2
fi

# The default binary is relative to the repository; an explicit one to the current directory.
case "$BINARY" in
    /*) ;;
    .build/*) [ -e "$BINARY" ] || BINARY=$REPO/$BINARY; BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY") ;;
    *) BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY") ;;
esac
if [ ! -x "$BINARY" ]; then
    echo "hostile-suite: no executable binary at $BINARY (use --binary PATH)" >&2
    exit 2
fi
for tool in python3 runc timeout findmnt sha256sum find grep; do
    command -v "$tool" >/dev/null 2>&1 || { echo "hostile-suite: $tool is required" >&2; exit 2; }
done
PYTHON=$(command -v python3)
[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3

# One suite at a time (the canaries live at fixed paths).
exec 9<"${BASH_SOURCE[0]}"
if ! flock -n 9; then
    echo "hostile-suite: another hostile suite is running" >&2
    exit 2
fi

CANARY_DIR=/root/.swbuild-canary
CANARY_ETC=/etc/swbuild-canary.txt
PWNED_DIRS=(/ /tmp /root /etc /var/tmp /dev/shm /run /var)

find_pwned() {
    # Names containing swbuild-pwned on the host (depth 3), outside the suite's own directory.
    find "${PWNED_DIRS[@]}" -maxdepth 3 \
        \( -path /proc -o -path /sys -o -path "$WORK" \) -prune -o \
        -name '*swbuild-pwned*' -print 2>/dev/null | sort -u
}

# --- the suite's directory and the canaries -------------------------------------------------------

WORK=$(mktemp -d /tmp/swbuild-hostile.XXXXXX)
chmod 755 "$WORK"
PIDS=()
BUILD_PID=""
PLANTED=0

# shellcheck source=lib/driver.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/driver.sh"


# Processes whose command line names a path below $1 (`runc --root R/runc/...`, a network helper
# given a namespace path under R, ...): all started by a build of this suite.
procs_under() {
    pgrep -f -- "$(printf '%s/' "$1" | sed 's/[].[\*^$]/\\&/g')" 2>/dev/null
}

kill_runc_leftovers() {
    local pid
    kill_runc_containers "$1"
    for pid in $(procs_under "$1"); do kill -9 "$pid" 2>/dev/null; done
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "$BUILD_PID" ]; then kill -9 "$BUILD_PID" 2>/dev/null; wait "$BUILD_PID" 2>/dev/null; fi
    local p f r
    # SIGKILL: a suite started by a test runner may inherit a mask that blocks SIGTERM.
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    if [ -d "$WORK" ]; then
        for r in "$WORK"/cases/*/root "$WORK"/base-root; do [ -d "$r" ] && kill_runc_leftovers "$r"; done
    fi
    if [ "$PLANTED" = 1 ]; then
        # What an interrupted case may have left: its writes on the host, its secret in /dev/shm.
        for f in $(find_pwned); do rm -rf --one-file-system "$f"; done
        if [ -s "${SECRET_NEEDLES:-}" ]; then
            for f in $(shm_secrets); do rm -rf --one-file-system "$f"; done
        fi
    fi
    if [ -d "$WORK" ]; then
        if unmount_under "$WORK"; then
            rm -rf --one-file-system "$WORK"
        else
            echo "hostile-suite: mounts remain under $WORK; not removing it:" >&2
            mounts_under "$WORK" >&2
        fi
    fi
    if [ "$PLANTED" = 1 ]; then
        rm -rf --one-file-system "$CANARY_DIR"
        rm -f "$CANARY_ETC"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'echo "hostile-suite: interrupted" >&2; exit 130' INT TERM

PRE_PWNED=$(find_pwned)
if [ -n "$PRE_PWNED" ]; then
    echo "hostile-suite: remove these leftovers of an earlier attack first:" >&2
    echo "$PRE_PWNED" >&2
    exit 2
fi

TOKEN="CANARY-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
SECRET_TOKEN="SECRET-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
SECRET_FILE=$WORK/secret.txt
printf '%s\n' "$SECRET_TOKEN" > "$SECRET_FILE"
chmod 600 "$SECRET_FILE"

if [ -e "$CANARY_DIR" ] || [ -e "$CANARY_ETC" ]; then
    echo "hostile-suite: replacing canaries left by an earlier run" >&2
    rm -rf --one-file-system "$CANARY_DIR"; rm -f "$CANARY_ETC"
fi
PLANTED=1
mkdir -m 700 "$CANARY_DIR"
printf '%s\n' "$TOKEN" > "$CANARY_DIR/secret.txt"
printf '%s\n' "$TOKEN" > "$CANARY_ETC"
# A passwd/group pair: an image whose /etc/passwd links here would see user swbcanary (uid 31337).
printf 'root:x:0:0:root:/root:/bin/sh\nswbcanary:x:31337:31337:%s:/:/bin/sh\n' "$TOKEN" > "$CANARY_DIR/passwd"
printf 'root:x:0:\nswbcanarygrp:x:31338:swbcanary\n' > "$CANARY_DIR/group"
# An ignore file: a context whose .dockerignore links here would lose swbuild-ignore-marker.
printf 'swbuild-ignore-marker\n' > "$CANARY_DIR/ignore"
mkdir "$WORK/tarsrc"
printf '%s\n' "$TOKEN" > "$WORK/tarsrc/swbuild-canary-from-host-tar.txt"
tar -C "$WORK/tarsrc" -cf "$CANARY_DIR/host.tar" swbuild-canary-from-host-tar.txt
rm -rf "$WORK/tarsrc"
chmod 600 "$CANARY_DIR"/* "$CANARY_ETC"
CANARY_FILES=("$CANARY_DIR/secret.txt" "$CANARY_ETC" "$CANARY_DIR/host.tar" "$CANARY_DIR/passwd" "$CANARY_DIR/group" "$CANARY_DIR/ignore")

canary_state() {
    local f
    for f in "${CANARY_FILES[@]}"; do
        printf '%s %s %s\n' "$f" "$(stat -c '%a %u %g %F' "$f" 2>/dev/null)" "$(sha256sum < "$f" 2>/dev/null | cut -d' ' -f1)"
    done
    printf '%s %s\n' "$CANARY_DIR" "$(stat -c '%a %u %g %F' "$CANARY_DIR" 2>/dev/null)"
    ls -A "$CANARY_DIR" 2>/dev/null | tr '\n' ' '
    echo
}
CANARY_STATE=$(canary_state)

# A process whose command line holds the token (found only by reading the host's /proc).
"$PYTHON" -c 'import time
while True: time.sleep(3600)' "$TOKEN" </dev/null >/dev/null 2>&1 9<&- &
CANARY_PID=$!
PIDS+=("$CANARY_PID")

# Loopback servers: one answers every connection with the token; one answers any HTTP GET with
# "pwned" (for ADD URL cases). Each writes its port to a file.
HOSTILE_TOKEN=$TOKEN "$PYTHON" - "$WORK/canary.port" <<'PY' >/dev/null 2>&1 9<&- &
import os, socket, sys
token = os.environ["HOSTILE_TOKEN"].encode() + b"\n"
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    try:
        c, _ = s.accept()
    except InterruptedError:
        continue
    try:
        c.settimeout(2)
        c.sendall(token)
    except OSError:
        pass
    finally:
        c.close()
PY
PIDS+=("$!")

"$PYTHON" - "$WORK/http.port" <<'PY' >/dev/null 2>&1 9<&- &
import os, sys, http.server, socketserver
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"pwned\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_HEAD = do_GET
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
srv = S(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
PY
PIDS+=("$!")
CANARY_SERVER_PID=${PIDS[1]}
HTTP_SERVER_PID=${PIDS[2]}
for _ in $(seq 100); do
    [ -s "$WORK/canary.port" ] && [ -s "$WORK/http.port" ] && break
    sleep 0.05
done
if [ ! -s "$WORK/canary.port" ] || [ ! -s "$WORK/http.port" ]; then
    echo "hostile-suite: the loopback servers did not start" >&2
    exit 2
fi
CANARY_PORT=$(cat "$WORK/canary.port")
HTTP_PORT=$(cat "$WORK/http.port")

# A unix socket for `--ssh default=$SSH_SOCK` (nothing listens: cases only mount it).
SSH_SOCK=$WORK/ssh.sock
"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SSH_SOCK"

# The token must come back from the canary server, or network cases prove nothing.
if ! "$PYTHON" - "$CANARY_PORT" "$TOKEN" <<'PY' >/dev/null 2>&1; then
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk: break
    data += chunk
sys.exit(0 if sys.argv[2].encode() in data else 1)
PY
    echo "hostile-suite: the canary server does not answer with the token" >&2
    exit 2
fi

# --- the base state root ---------------------------------------------------------------------------

BASE_ROOT=$WORK/base-root
if ! "$BINARY" image busybox --root "$BASE_ROOT" --name busybox:test >"$WORK/image.log" 2>&1; then
    echo "hostile-suite: swbuild-tui image busybox failed:" >&2
    cat "$WORK/image.log" >&2
    exit 2
fi

# --- checks ----------------------------------------------------------------------------------------

# A string and its base64 forms at the three alignments (build records keep logs in base64).
needles_of() {
    "$PYTHON" - "$1" <<'PY'
import base64, sys
t = sys.argv[1].encode()
print(t.decode())
for k in range(3):
    data = b"\0" * k + t
    enc = base64.b64encode(data).decode()
    print(enc[(4 if k else 0):4 * (len(data) // 3)])
PY
}

# Files (regular, on the same file system: never through a mount) under $2... holding the
# string in file $1 (one needle a line).
files_with() {
    local needles=$1; shift
    local d
    for d in "$@"; do
        [ -e "$d" ] || continue
        find "$d" -xdev -type f -print0 2>/dev/null | xargs -0 -r grep -l -a -F -f "$needles" -- 2>/dev/null
    done
}

TOKEN_NEEDLES=$WORK/token.needles
SECRET_NEEDLES=$WORK/secret.needles
needles_of "$TOKEN" > "$TOKEN_NEEDLES"
needles_of "$SECRET_TOKEN" > "$SECRET_NEEDLES"

TMP_IGNORE='^(swbuild-.*|TemporaryDirectory\..*|_.*\.lock|bash_tool_.*|bash_jobs\..*|swift-.*|tmp\..*|cc.*|clang-.*|sh-thd.*|\.X11-unix|\.ICE-unix|\.font-unix|\.XIM-unix|\.Test-unix|lldb.*|pip-.*|pymp-.*)$'
ROOT_IGNORE='^(\.cache|\.swiftpm|\.local|\.config|\.bash_history|\.python_history|\.lesshst|\.viminfo|\.wget-hsts|\.swift|\.ssh|\.npm)$'
WORK_NAME=$(basename "$WORK")

# Top-level entries of / and /root.
top_entries() {
    ls -A / 2>/dev/null | sed 's|^|/|'
    ls -A /root 2>/dev/null | grep -Ev "$ROOT_IGNORE" | sed 's|^|/root/|'
}

# Top-level entries of /tmp. /tmp is shared with everything else running on the machine
# (compilers, other test suites), so only directories, symlinks, sockets, fifos and empty files
# count (what a mount point or a stub created on the host looks like), never names of the usual
# temporary files; and a new one is blamed on the case only when the case names it (the attacker
# picks the names an escape creates); others are shown with -v.
tmp_entries() {
    find /tmp -mindepth 1 -maxdepth 1 \( -type f -size +0 \) -prune -o -printf '%f\n' 2>/dev/null |
        grep -Ev "$TMP_IGNORE" | grep -vxF "$WORK_NAME"
}

# Secret directories in /dev/shm that hold this suite's secret (other builds may run meanwhile).
shm_secrets() {
    local d
    for d in /dev/shm/swbuild-secret*; do
        [ -e "$d" ] || continue
        if [ -d "$d" ]; then
            find "$d" -xdev -type f -print0 2>/dev/null | xargs -0 -r grep -q -a -F -f "$SECRET_NEEDLES" -- 2>/dev/null && echo "$d"
        else
            grep -q -a -F -f "$SECRET_NEEDLES" -- "$d" 2>/dev/null && echo "$d"
        fi
    done
}

expand_vars() {
    # Replaces $NAME and ${NAME} by the driver's value of NAME (only the names listed).
    expand_listed_vars "SECRET_FILE SSH_SOCK CANARY_PORT HTTP_PORT CANARY_DIR CONTEXT CASE_DIR" "$1"
}

CRASH_PATTERN='Fatal error|Segmentation fault|stack overflow|Stack overflow|SIGSEGV|SIGILL|SIGBUS|Illegal instruction|Trace/breakpoint trap|Current stack trace|Aborted \(core dumped\)|core dumped'

run_build() {
    # run_build ROOT CONTEXT OUT LOG [ARGS...]: the build, in the foreground, with the timeout.
    local root=$1 context=$2 out=$3 log=$4; shift 4
    # In a subshell whose stderr is the log: the shell's own "Segmentation fault" lands there.
    (
        timeout -k 5 "$TIMEOUT" "$BINARY" build --root "$root" --progress plain \
            --build-arg "CANARY_PORT=$CANARY_PORT" --build-arg "HTTP_PORT=$HTTP_PORT" \
            "$@" -o "type=local,dest=$out" "$context" >"$log" 2>&1 </dev/null 9<&-
        exit $?
    ) 2>>"$log"
}

SAFE=0
UNSAFE=0
UNSAFE_LIST=()

run_case() {
    local case_dir=$1
    local name; name=$(basename "$case_dir")
    local cw=$WORK/cases/$name
    local CONTEXT=$cw/ctx out=$cw/out R=$cw/root log=$cw/build.log
    local CASE_DIR=$case_dir
    local reasons=()
    mkdir -p "$cw" "$CONTEXT"
    cp -a "$BASE_ROOT" "$R"

    # The context: the folder's plain files, then context.sh.
    local f base
    for f in "$case_dir"/* "$case_dir"/.[!.]*; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        base=$(basename "$f")
        case "$base" in README|args|expect|context.sh|allow-token|absent|present|kill-after) continue ;; esac
        cp -a "$f" "$CONTEXT/"
    done

    local before_top before_tmp before_shm
    before_top=$(top_entries)
    before_tmp=$(tmp_entries)
    before_shm=$(shm_secrets)

    if [ -f "$case_dir/context.sh" ]; then
        if ! (cd "$CONTEXT" && CANARY_DIR=$CANARY_DIR CANARY_TOKEN=$TOKEN CANARY_PID=$CANARY_PID CONTEXT=$CONTEXT bash "$case_dir/context.sh") >"$cw/context.log" 2>&1; then
            reasons+=("context.sh failed: $(tail -n 1 "$cw/context.log")")
        fi
    fi

    local args=() line
    if [ -f "$case_dir/args" ]; then
        while IFS= read -r line || [ -n "$line" ]; do
            [ -z "$line" ] && continue
            args+=("$(expand_vars "$line")")
        done < "$case_dir/args"
    fi
    local expect=any
    [ -f "$case_dir/expect" ] && expect=$(tr -d ' \t\r\n' < "$case_dir/expect")

    local status
    if [ -f "$case_dir/kill-after" ]; then
        local delay; delay=$(tr -d ' \t\r\n' < "$case_dir/kill-after")
        "$BINARY" build --root "$R" --progress plain \
            --build-arg "CANARY_PORT=$CANARY_PORT" --build-arg "HTTP_PORT=$HTTP_PORT" \
            "${args[@]}" -o "type=local,dest=$out" "$CONTEXT" >"$log" 2>&1 </dev/null 9<&- &
        BUILD_PID=$!
        sleep "$delay"
        if kill -0 "$BUILD_PID" 2>/dev/null; then
            kill -9 "$BUILD_PID" 2>/dev/null
        else
            reasons+=("the build ended before the kill (make it run longer)")
        fi
        wait "$BUILD_PID" 2>/dev/null
        BUILD_PID=""
        sleep 1
        # A second build with the same root: it must clean what the killed one left.
        mkdir -p "$cw/ctx2"
        printf 'FROM busybox:test\nRUN true\n' > "$cw/ctx2/Dockerfile"
        echo "---- second build ----" >> "$log"
        run_build "$R" "$cw/ctx2" "$cw/out2" "$cw/build2.log"
        status=$?
        cat "$cw/build2.log" >> "$log"
    else
        run_build "$R" "$CONTEXT" "$out" "$log" "${args[@]}"
        status=$?
    fi

    # Exit status: a crash or a hang is never safe; then what the case expects.
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        reasons+=("timed out after ${TIMEOUT}s")
    elif [ "$status" -ge 128 ]; then
        reasons+=("crashed: exit status $status (signal $((status - 128)))")
    fi
    if grep -qE "$CRASH_PATTERN" "$log" 2>/dev/null; then
        reasons+=("crash message: $(grep -m1 -oE "$CRASH_PATTERN" "$log")")
    fi
    case "$expect" in
        fail) [ "$status" -eq 0 ] && reasons+=("expected the build to fail, it succeeded") ;;
        ok) [ "$status" -ne 0 ] && [ "$status" -lt 124 ] && reasons+=("expected the build to succeed, it failed ($status): $(grep -m1 -E 'error|ERROR' "$log" | cut -c1-160)") ;;
    esac

    # Leftovers: mounts, containers, secret directories.
    local left
    left=$(mounts_under "$WORK" | head -n 5 | tr '\n' ' ')
    if [ -n "$left" ]; then
        reasons+=("mounts left behind: $left")
        unmount_under "$WORK" || reasons+=("cannot unmount leftovers")
    fi
    left=$(findmnt -rn -o TARGET 2>/dev/null | grep -F swbuild-pwned | head -n 3 | tr '\n' ' ')
    [ -n "$left" ] && reasons+=("mount on the host: $left")
    left=$(runc_leftovers "$R" | awk '{print $2}' | tr '\n' ' ')
    if [ -n "$left" ]; then
        reasons+=("runc containers left behind: $left")
    fi
    left=$(for pid in $(procs_under "$R"); do ps -o comm= -p "$pid"; done | sort | uniq -c | awk '{printf "%s%s ", $2, ($1 > 1 ? " x" $1 : "")}')
    [ -n "$left" ] && reasons+=("processes left behind: $left")
    kill_runc_leftovers "$R"
    unmount_under "$WORK" >/dev/null 2>&1
    local after_shm new_shm
    after_shm=$(shm_secrets)
    new_shm=$(comm -13 <(echo "$before_shm" | sort) <(echo "$after_shm" | sort) | grep -v '^$')
    if [ -n "$new_shm" ]; then
        reasons+=("secret directories left in /dev/shm: $(echo "$new_shm" | tr '\n' ' ')")
        echo "$new_shm" | while read -r f; do [ -n "$f" ] && rm -rf --one-file-system "$f"; done
    fi

    # The canary token: never in the output, the exported rootfs or the state root.
    if [ ! -f "$case_dir/allow-token" ]; then
        grep -qaF -f "$TOKEN_NEEDLES" "$log" && reasons+=("token in the build output")
        left=$(files_with "$TOKEN_NEEDLES" "$out" "$cw/out2" | head -n 3 | sed "s|^$cw/||" | tr '\n' ' ')
        [ -n "$left" ] && reasons+=("token in the output rootfs: $left")
        left=$(files_with "$TOKEN_NEEDLES" "$R" | head -n 3 | sed "s|^$cw/||" | tr '\n' ' ')
        [ -n "$left" ] && reasons+=("token in the state root: $left")
    fi
    # The secret: never in the output, the rootfs, the state root, nor left on the host.
    grep -qaF -f "$SECRET_NEEDLES" "$log" && reasons+=("secret in the build output")
    left=$(files_with "$SECRET_NEEDLES" "$out" "$R" | head -n 3 | sed "s|^$cw/||" | tr '\n' ' ')
    [ -n "$left" ] && reasons+=("secret in the rootfs or state root: $left")
    left=$( { files_with "$SECRET_NEEDLES" /dev/shm /run
              find /tmp -maxdepth 2 -path "$WORK" -prune -o -type f -size -20M -print0 2>/dev/null |
                  xargs -0 -r grep -l -a -F -f "$SECRET_NEEDLES" -- 2>/dev/null; } | head -n 3 | tr '\n' ' ')
    [ -n "$left" ] && reasons+=("secret left on the host: $left")

    # Writes on the host.
    local pwned
    pwned=$(find_pwned)
    if [ -n "$pwned" ]; then
        reasons+=("wrote on the host: $(echo "$pwned" | head -n 4 | tr '\n' ' ')")
        echo "$pwned" | while read -r f; do
            [ -n "$f" ] || continue
            findmnt -rn -o TARGET | grep -qxF "$f" && umount -l "$f" 2>/dev/null
            rm -rf --one-file-system "$f"
        done
    fi
    local after_top new_top
    after_top=$(top_entries)
    new_top=$(comm -13 <(echo "$before_top" | sort) <(echo "$after_top" | sort) | grep -v '^$')
    [ -n "$new_top" ] && reasons+=("new entries on the host: $(echo "$new_top" | head -n 4 | tr '\n' ' ')")
    local new_tmp named=() others=() entry
    new_tmp=$(comm -13 <(echo "$before_tmp" | sort) <(tmp_entries | sort) | grep -v '^$')
    for entry in $new_tmp; do
        if grep -rqsF -- "$entry" "$case_dir" "$CONTEXT" 2>/dev/null; then named+=("/tmp/$entry"); else others+=("/tmp/$entry"); fi
    done
    [ ${#named[@]} -gt 0 ] && reasons+=("new entries in /tmp named by the case: ${named[*]}")

    # The canaries.
    local state; state=$(canary_state)
    if [ "$state" != "$CANARY_STATE" ]; then
        reasons+=("canary changed: $(diff <(echo "$CANARY_STATE") <(echo "$state") | grep '^>' | head -n 2 | cut -c3- | tr '\n' ' ')")
    fi
    kill -0 "$CANARY_PID" 2>/dev/null || reasons+=("the canary process was killed")
    kill -0 "$CANARY_SERVER_PID" 2>/dev/null || reasons+=("the canary server was killed")
    kill -0 "$HTTP_SERVER_PID" 2>/dev/null || reasons+=("the http server was killed")

    # Paths the case says must not exist in the exported rootfs.
    if [ -f "$case_dir/absent" ]; then
        while IFS= read -r line || [ -n "$line" ]; do
            [ -z "$line" ] && continue
            if [ -e "$out/$line" ] || [ -L "$out/$line" ]; then reasons+=("$line exists in the output"); fi
        done < "$case_dir/absent"
    fi
    if [ -f "$case_dir/present" ] && [ "$status" -eq 0 ]; then
        while IFS= read -r line || [ -n "$line" ]; do
            [ -z "$line" ] && continue
            if [ ! -e "$out/$line" ] && [ ! -L "$out/$line" ]; then reasons+=("$line is missing from the output"); fi
        done < "$case_dir/present"
    fi

    if [ ${#reasons[@]} -eq 0 ]; then
        SAFE=$((SAFE + 1))
        printf 'safe  %s\n' "$name"
    else
        UNSAFE=$((UNSAFE + 1))
        local joined; joined=$(printf '%s; ' "${reasons[@]}"); joined=${joined%; }
        UNSAFE_LIST+=("$name")
        printf 'UNSAFE %s: %s\n' "$name" "$joined"
    fi
    if [ "$VERBOSE" = 1 ]; then
        [ ${#others[@]} -gt 0 ] && echo "    note: new in /tmp meanwhile (not named by the case): ${others[*]}"
        echo "    exit status $status (expect $expect); last lines of the build:"
        tail -n 12 "$log" | sed "s/$TOKEN/<TOKEN>/g; s/$SECRET_TOKEN/<SECRET>/g" | cut -c1-200 | sed 's/^/    | /'
    fi

    # The case's directory goes (never through a mount).
    if unmount_under "$cw"; then
        rm -rf --one-file-system "$cw"
    else
        echo "hostile-suite: mounts remain under $cw; keeping it" >&2
    fi
}

# --- run -------------------------------------------------------------------------------------------

CASES=()
for d in "$CASES_DIR"/*/; do
    d=${d%/}
    [ -f "$d/Dockerfile" ] || continue
    if [ -n "$ONLY" ] && ! basename "$d" | grep -qE -- "$ONLY"; then continue; fi
    CASES+=("$d")
done
if [ ${#CASES[@]} -eq 0 ]; then
    echo "hostile-suite: no case matches" >&2
    exit 2
fi

echo "hostile suite: ${#CASES[@]} cases, binary $BINARY"
mkdir -p "$WORK/cases"
for d in "${CASES[@]}"; do
    run_case "$d"
done

TOTAL=${#CASES[@]}
echo "hostile suite: $SAFE/$TOTAL safe"
echo "$SAFE passed, $UNSAFE failed"
[ "$UNSAFE" -eq 0 ]
