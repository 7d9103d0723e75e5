#ifndef SWBUILD_CZLIB_SHIM_H
#define SWBUILD_CZLIB_SHIM_H
#include <zlib.h>
/* Glibc's Swift module map leaves out <sys/xattr.h> and the <sys/sysmacros.h> macros; the image
   layer needs both next to zlib (layer extraction and export), so they ride along in this one
   system module rather than a second one. */
#include <sys/types.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>

/* deflateInit2/inflateInit2 are macros that pass the zlib version and struct size; Swift cannot
   import them, so they are wrapped here. windowBits 16+15 selects the gzip wrapper. */
static inline int swb_deflate_init_gzip(z_stream *s, int level) {
    return deflateInit2(s, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
}
/* Raw deflate (no wrapper): the blocks of a parallel gzip stream, joined under one header. */
static inline int swb_deflate_init_raw(z_stream *s, int level) {
    return deflateInit2(s, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
}
static inline int swb_inflate_init_gzip(z_stream *s) {
    return inflateInit2(s, 16 + MAX_WBITS);
}

static inline unsigned int swb_major(dev_t dev) { return major(dev); }
static inline unsigned int swb_minor(dev_t dev) { return minor(dev); }
static inline dev_t swb_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }

/* syncfs is only declared under _GNU_SOURCE; defining that here would give this module a
   different fd_set than Glibc's, so the prototype is declared directly. */
extern int syncfs(int fd);
static inline int swb_syncfs(int fd) { return syncfs(fd); }

/* Attach sockets: accept4, SO_PEERCRED's struct ucred and O_PATH are GNU extensions too, so they
   are reached through these wrappers rather than a _GNU_SOURCE build. */
#include <sys/socket.h>
extern int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
static inline int swb_accept_cloexec(int fd) { return accept4(fd, 0, 0, SOCK_CLOEXEC); }
struct swb_ucred { int pid; unsigned int uid; unsigned int gid; };
static inline int swb_peer_uid(int fd, unsigned int *uid) {
    struct swb_ucred cred;
    socklen_t length = sizeof cred;
    int r = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length);
    if (r == 0) *uid = cred.uid;
    return r;
}
static inline int swb_o_path(void) { return 010000000; }

#endif
