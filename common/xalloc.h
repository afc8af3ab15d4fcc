/* xalloc.h — allocation that cannot fail: on exhaustion the process ends (systemd restarts it,
 * and the SQLite queue loses nothing). */
#ifndef MXS_XALLOC_H
#define MXS_XALLOC_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
/* Grow *arr (of element size elt) so that it holds at least need elements. */
void xgrow(void **arr, size_t *cap, size_t need, size_t elt);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* What xstrdup(s) allocates, for caches' byte budgets; 0 for NULL. */
size_t xstrsize(const char *s);

#endif
