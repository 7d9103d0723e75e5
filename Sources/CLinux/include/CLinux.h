#ifndef SWBUILD_CLINUX_SHIM_H
#define SWBUILD_CLINUX_SHIM_H
/* Linux interfaces newer than glibc's wrappers (openat2, mount_setattr) or behind _GNU_SOURCE
   (unshare), reached by system call number. Keeping paths from untrusted input inside their root
   rests on these, so they live in one small module of their own. */
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/ioctl.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

/* 1 when the constructor in early.c moved this process into a private mount namespace. */
int swb_in_private_mount_namespace(void);

struct swb_open_how { uint64_t flags; uint64_t mode; uint64_t resolve; };
#define SWB_RESOLVE_NO_XDEV 0x01
#define SWB_RESOLVE_NO_MAGICLINKS 0x02
#define SWB_RESOLVE_NO_SYMLINKS 0x04
#define SWB_RESOLVE_BENEATH 0x08
#define SWB_RESOLVE_IN_ROOT 0x10

/* Opens `path` below `dirfd` as if `dirfd` were the root directory: absolute symlinks and `..`
   stay inside it, magic links (/proc/self/fd/N) are refused. `flags` may add O_PATH/O_NOFOLLOW. */
static inline int swb_openat_in_root(int dirfd, const char *path, int flags, unsigned int mode) {
    struct swb_open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = SWB_RESOLVE_IN_ROOT | SWB_RESOLVE_NO_MAGICLINKS;
    long r;
    do { r = syscall(SYS_openat2, dirfd, path, &how, sizeof how); } while (r < 0 && errno == EAGAIN);
    return (int)r;
}

/* copy_file_range(2) from the current offsets of both descriptors (the kernel copies, or shares
   extents where the file system can); glibc declares it only under _GNU_SOURCE. */
static inline long swb_copy_file_range(int in, int out, size_t length) {
    return syscall(SYS_copy_file_range, in, NULL, out, NULL, length, 0);
}

/* pipe2(O_CLOEXEC): both ends close-on-exec from the start, so a process spawned by another
   thread in between never inherits them. */
static inline int swb_pipe_cloexec(int fds[2]) { return (int)syscall(SYS_pipe2, fds, O_CLOEXEC); }

/* glibc 2.34+ (declared only under _GNU_SOURCE): close every descriptor from `from` up in the
   spawned child, so it inherits nothing but what it was handed. */
#include <spawn.h>
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
static inline int swb_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

struct swb_mount_attr { uint64_t attr_set; uint64_t attr_clr; uint64_t propagation; uint64_t userns_fd; };
#define SWB_MOUNT_ATTR_RDONLY 0x00000001
#define SWB_AT_RECURSIVE 0x8000

/* Makes the mount at `path` and every mount below it read-only (a plain MS_REMOUNT|MS_RDONLY
   leaves submounts writable). */
static inline int swb_make_readonly_recursive(const char *path) {
    struct swb_mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = SWB_MOUNT_ATTR_RDONLY;
    return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, SWB_AT_RECURSIVE, &attr, sizeof attr);
}

/* Gives the calling process a mount namespace of its own whose mounts never propagate back to the
   host's: what a build mounts (overlays, the secrets tmpfs) dies with the process. Must be called
   while the process has one thread. */
#ifndef CLONE_NEWNS
#define CLONE_NEWNS 0x00020000
#endif
static inline int swb_private_mount_namespace(void) {
    if (syscall(SYS_unshare, CLONE_NEWNS) != 0) return -1;
    return mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL);
}
/* The width in columns of the terminal on fd (TIOCGWINSZ, a variadic ioctl Swift cannot call), or 0. */
static inline int swb_terminal_columns(int fd) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) != 0) return 0;
    return (int)size.ws_col;
}

#endif
