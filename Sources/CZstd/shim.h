#ifndef SWBUILD_CZSTD_SHIM_H
#define SWBUILD_CZSTD_SHIM_H
/* libzstd (Debian's libzstd-dev): layer compression with the library's own worker threads. */
#include <zstd.h>
#endif
