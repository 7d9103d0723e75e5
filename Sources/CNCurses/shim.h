#ifndef SWBUILD_CNCURSES_SHIM_H
#define SWBUILD_CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

/* Macros that Swift cannot import, wrapped as functions. */
static inline int swb_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int swb_getmaxx(WINDOW *w) { return getmaxx(w); }
static inline int swb_color_pair(int n) { return COLOR_PAIR(n); }
static inline WINDOW *swb_stdscr(void) { return stdscr; }
static inline int swb_key_resize(void) { return KEY_RESIZE; }
static inline int swb_key_mouse(void) { return KEY_MOUSE; }
static inline int swb_key_btab(void) { return KEY_BTAB; }
static inline int swb_key_code_yes(void) { return KEY_CODE_YES; }
static inline int swb_err(void) { return ERR; }
static inline int swb_ok(void) { return OK; }
static inline int swb_has_colors(void) { return has_colors(); }
static inline int swb_mvaddnwstr(int y, int x, const wchar_t *s, int n) { return mvaddnwstr(y, x, s, n); }
static inline int swb_attrset(int attrs) { return attrset(attrs); }
static inline int swb_a_bold(void) { return A_BOLD; }
static inline int swb_a_reverse(void) { return A_REVERSE; }
static inline int swb_a_dim(void) { return A_DIM; }
static inline int swb_a_underline(void) { return A_UNDERLINE; }
static inline mmask_t swb_button1_clicked(void) { return BUTTON1_CLICKED; }
static inline mmask_t swb_button4_pressed(void) { return BUTTON4_PRESSED; }
static inline mmask_t swb_button5_pressed(void) { return BUTTON5_PRESSED; }

#endif
