/*
 * Process titles ("routstrd: parent", "ledgerd: ledger") as ps(1) and
 * /proc/PID/cmdline show them.  Linux has no setproctitle(3): the title
 * is written over the argv and environment strings, which are copied
 * away first.  The kernel shows the area up to its first NUL once the
 * last byte of the original argv is not a NUL, so it gets a space.
 * (libbsd's version leaves a '.' visible on current kernels.)
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

static char	*title_start;	/* argv[0] as the kernel gave it */
static char	*title_argend;	/* end of the argv strings */
static char	*title_end;	/* end of the environment strings too */

/* Before anything keeps a pointer into argv: getopt's optarg included. */
void
proc_title_init(int argc, char **argv)
{
	extern char	**environ;
	extern char	*__progname;
	char		**env, *end, *p;
	int		 i, n;

	if (argc < 1 || argv[0] == NULL || title_start != NULL)
		return;
	end = argv[0];
	for (i = 0; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	title_argend = end;
	for (n = 0; environ[n] != NULL; n++)
		;
	for (i = 0; i < n && environ[i] == end; i++)
		end = environ[i] + strlen(environ[i]) + 1;
	title_end = end;
	title_start = argv[0];

	/* Everything that pointed into the area gets a copy. */
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		fatal(NULL);
	for (i = 0; i < n; i++)
		if ((env[i] = strdup(environ[i])) == NULL)
			fatal(NULL);
	environ = env;
	for (i = 0; i < argc; i++)
		if ((argv[i] = strdup(argv[i])) == NULL)
			fatal(NULL);
	p = strrchr(argv[0], '/');
	__progname = p != NULL ? p + 1 : argv[0];
	program_invocation_name = argv[0];
}

void
proc_title(const char *fmt, ...)
{
	char	 buf[256];
	size_t	 len, size;
	va_list	 ap;

	if (title_start == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);

	size = title_end - title_start;
	if ((len = strlen(buf)) > size - 1)
		len = size - 1;
	memcpy(title_start, buf, len);
	memset(title_start + len, '\0', size - len);
	if (title_start + len + 1 < title_argend)
		title_argend[-1] = ' ';
}
