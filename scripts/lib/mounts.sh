# Shell helpers shared by the test drivers (hostile suite, BuildKit differential): mounts and
# runtime containers left under a directory. Source it; it defines functions only.

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
