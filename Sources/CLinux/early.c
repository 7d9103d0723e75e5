// Runs before main, while the process still has a single thread: the only moment a process can
// move itself into a mount namespace of its own. A build (`swbuild-tui ... build ...`, as root)
// gets a private mount namespace here, so its mounts die with it, without re-executing itself.
// `swb_in_private_mount_namespace()` tells the Swift side (MountNamespace) that it is done.
// The environment is left alone here: a statically linked Swift runtime finds argv next to the
// initial `environ`, which a setenv this early would move.
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mount.h>

static int swb_is_build_invocation(void) {
    char buffer[8192];
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) return 0;
    buffer[n] = 0;
    // argv[0] must be swbuild-tui: the test bundle links this module too and is left alone.
    const char *argv0 = buffer;
    const char *base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    if (strcmp(base, "swbuild-tui") != 0) return 0;
    for (const char *p = buffer + strlen(buffer) + 1; p < buffer + n; p += strlen(p) + 1) {
        if (strcmp(p, "build") == 0) return 1;
    }
    return 0;
}

static int swb_entered_private_mount_namespace = 0;

int swb_in_private_mount_namespace(void) { return swb_entered_private_mount_namespace; }

__attribute__((constructor)) static void swb_enter_private_mount_namespace(void) {
    if (geteuid() != 0) return;
    const char *marker = getenv("SWBUILD_MOUNT_NAMESPACE");
    if (marker && strcmp(marker, "private") == 0) return;
    if (!swb_is_build_invocation()) return;
    if (unshare(CLONE_NEWNS) != 0) return;
    if (mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) return;
    swb_entered_private_mount_namespace = 1;
}
