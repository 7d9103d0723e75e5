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

#endif
