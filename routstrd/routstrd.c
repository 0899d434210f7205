/*
 * routstrd: the parent process.  Parses the configuration, opens the
 * listening sockets and the key files, starts the children and hands
 * each of them what it needs.
 */

#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "config.h"

static __dead void	usage(void);

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-dnv] [-D macro=value] [-f file]\n",
	    __progname);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct routstrd_conf	*conf;
	const char		*conffile = ROUTSTRD_CONF;
	int			 ch, debug = 0, noaction = 0, verbose = 0;

	log_init(1, LOG_DAEMON);	/* log to stderr until daemonized */

	while ((ch = getopt(argc, argv, "dD:f:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'D':
			if (cmdline_symset(optarg) < 0)
				errx(1, "could not parse macro definition %s",
				    optarg);
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc > 0)
		usage();

	log_setverbose(verbose);
	if ((conf = parse_config(conffile)) == NULL)
		exit(1);
	if (noaction) {
		if (verbose)
			config_print(stdout, conf);
		fprintf(stderr, "configuration OK\n");
		config_free(conf);
		exit(0);
	}
	(void)debug;
	errx(1, "not yet");
}
