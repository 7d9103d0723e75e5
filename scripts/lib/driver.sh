# Shell helpers shared by the test drivers (hostile suite, BuildKit differential): mounts,
# runc containers left under a state root, and the variables of a case's `args` file. Source it; it defines functions only.

mounts_under() {
    # Mount points at or below $1, deepest first.
    findmnt -rn -o TARGET 2>/dev/null | awk -v p="$1" 'index($0, p "/") == 1 || $0 == p' | sort -r
}

unmount_under() {
    # Unmounts everything at or below $1 (lazily when busy); true when nothing is left.
    local m
    for _ in 1 2 3 4 5; do
        for m in $(mounts_under "$1"); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
        [ -z "$(mounts_under "$1")" ] && return 0
        sleep 0.2
    done
    [ -z "$(mounts_under "$1")" ]
}

# expand_listed_vars "NAME1 NAME2 ..." LINE: LINE with $NAME and ${NAME} replaced by the caller's
# value of each listed NAME; any other $WORD stays as written. For a case's `args` file.
expand_listed_vars() {
    local allowed=" $1 " line=$2 out="" name value
    while [[ $line =~ ^([^\$]*)\$(\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))(.*)$ ]]; do
        name=${BASH_REMATCH[3]}${BASH_REMATCH[4]}
        if [[ $allowed == *" $name "* ]]; then value=${!name}; else value="\$$name"; fi
        out+=${BASH_REMATCH[1]}$value
        line=${BASH_REMATCH[5]}
    done
    printf '%s' "$out$line"
}

# crun_cmd ARGS...: crun, which refuses hybrid cgroup hosts, in a mount namespace of its own
# without the v2 tree (as swbuild runs it); the host's mounts are untouched.
crun_cmd() {
    unshare --mount --propagation private -- sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"' crun "$@"
}

# runc_leftovers ROOT: the containers runc or crun still knows under swbuild's state root ROOT (a
# build killed mid-step), as "STATEDIR ID" lines.
runc_leftovers() {
    local d id
    [ -d "$1/runc" ] || return 0
    for d in "$1"/runc/*/; do
        [ -d "$d" ] || continue
        for id in $(runc --root "$d" list -q 2>/dev/null); do echo "${d%/} $id"; done
        if command -v crun >/dev/null 2>&1; then
            for id in $(crun_cmd --root "$d" list -q 2>/dev/null); do
                [ -f "$d/$id/status" ] && echo "${d%/} $id"
            done
        fi
    done
}

# kill_runc_containers ROOT: kills and deletes those containers, with the runtime that made each.
kill_runc_containers() {
    local d id
    while read -r d id; do
        [ -n "$id" ] || continue
        if [ -f "$d/$id/status" ]; then
            crun_cmd --root "$d" kill "$id" KILL >/dev/null 2>&1
            sleep 0.2
            crun_cmd --root "$d" delete --force "$id" >/dev/null 2>&1
        else
            runc --root "$d" kill --all "$id" KILL >/dev/null 2>&1
            sleep 0.2
            runc --root "$d" delete --force "$id" >/dev/null 2>&1
        fi
    done < <(runc_leftovers "$1")
}
