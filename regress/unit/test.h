/*
 * The unit tests' one helper: T(cond, "what") prints "ok N - what" or
 * "not ok N - what (file:line: cond)"; test_done() returns the exit status.
 * regress/run counts these lines.
 */

#ifndef TEST_H
#define TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int	test_count;
static int	test_failures;

static inline int __attribute__((__format__ (printf, 5, 6)))
test_report(int ok, const char *file, int line, const char *expr,
    const char *fmt, ...)
{
	va_list	ap;

	test_count++;
	printf("%sok %d - ", ok ? "" : "not ", test_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok) {
		test_failures++;
		printf(" (%s:%d: %s)", file, line, expr);
	}
	printf("\n");
	fflush(stdout);
	return (ok);
}

#define T(cond, ...)	test_report(!!(cond), __FILE__, __LINE__, #cond, \
			    __VA_ARGS__)

static inline int
test_done(void)
{
	return (test_failures ? 1 : 0);
}

#endif /* TEST_H */
