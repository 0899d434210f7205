/*
 * routstrd: the parent process.  Parses the configuration, opens the
 * listening sockets and the key files, starts the children, hands each
 * of them what it needs, and stops them all, in order, when told to or
 * when one of them dies.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "routstrd.h"

/* Seconds for every child to be ready: longer than a child's hello. */
#define READY_TIMEOUT	(IPC_START_TIMEOUT_MS / 1000 + 5)

struct parent		*parent;

static struct event	 ev_sigterm, ev_sigint, ev_sighup, ev_sigchld;
static struct event	 ev_ready, ev_lost;

static __dead void	 usage(void);
static void		 parent_sig(int, short, void *);
static void		 parent_ready_timeout(int, short, void *);
static void		 parent_lost_timeout(int, short, void *);


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
	struct timeval		 tv;
	const char		*conffile = ROUTSTRD_CONF;
	int			 ch, debug = 0, noaction = 0, verbose = 0;
	int			 i, n, proxy = 0;

	/* A child that shares this binary: the proxy. */
	for (i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "-P") == 0) {
			if (strcmp(argv[i + 1], "proxy") != 0)
				errx(1, "unknown process %s", argv[i + 1]);
			proxy = 1;
		}
	if (proxy)
		proxy_main(argc, argv);

	proc_title_init(argc, argv);
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

	if ((parent = calloc(1, sizeof(*parent))) == NULL)
		err(1, NULL);
	parent->p_conf = conf;
	parent->p_debug = debug;
	parent->p_verbose = verbose;
	parent->p_privdrop = geteuid() == 0;
	parent->p_started = time(NULL);
	if (asprintf(&parent->p_ledgerdir, "%s/ledger", conf->c_statedir) == -1)
		err(1, NULL);

	/* The children: prefork proxies, then one of each of the others. */
	n = conf->c_prefork + 3;
	if ((parent->p_children = calloc(n, sizeof(struct child))) == NULL)
		err(1, NULL);
	for (i = 0; i < conf->c_prefork; i++) {
		parent->p_children[i].c_procid = PROC_PROXY;
		parent->p_children[i].c_instance = i;
	}
	parent->p_children[i++].c_procid = PROC_LEDGER;
	parent->p_children[i++].c_procid = PROC_MINT;
	parent->p_children[i++].c_procid = PROC_RELAY;
	parent->p_nchildren = n;

	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit("parent");
	if (!parent->p_privdrop)
		log_info("not started as root: the children keep uid %u, "
		    "without chroot", (unsigned)getuid());

	/* First, so that a second routstrd stops before touching anything. */
	if (control_init(conf->c_control) == -1)
		exit(1);
	children_find_binaries(argv[0]);
	handout_prepare();

	/* Everything that can fail at start has: the shell sees it. */
	if (!debug && daemon(1, 0) == -1)
		fatal("daemon");

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	event_init();
	signal_set(&ev_sigterm, SIGTERM, parent_sig, NULL);
	signal_set(&ev_sigint, SIGINT, parent_sig, NULL);
	signal_set(&ev_sighup, SIGHUP, parent_sig, NULL);
	signal_set(&ev_sigchld, SIGCHLD, parent_sig, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sighup, NULL);
	signal_add(&ev_sigchld, NULL);
	resolve_init();

	children_start(argc, argv);
	handout_start();
	children_connect();
	handout_send();
	handout_close();
	control_listen();
	proc_title("routstrd: parent");

	evtimer_set(&ev_ready, parent_ready_timeout, NULL);
	tv.tv_sec = READY_TIMEOUT;
	tv.tv_usec = 0;
	evtimer_add(&ev_ready, &tv);
	evtimer_set(&ev_lost, parent_lost_timeout, NULL);

	event_dispatch();
	fatalx("event loop ended");
}

static void
parent_sig(int sig, short event, void *arg)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("%s: stopping", strsignal(sig));
		parent_shutdown(0);
		/* NOTREACHED */
	case SIGHUP:
		log_info("reload is not supported yet: restart routstrd");
		break;
	case SIGCHLD:
		children_reap();
		break;
	}
}

__dead void
parent_shutdown(int code)
{
	children_stop();
	control_cleanup(parent->p_conf->c_control);
	log_info("terminating");
	exit(code);
}

static void
parent_ready_timeout(int fd, short event, void *arg)
{
	char	 title[64];
	int	 i;

	for (i = 0; i < parent->p_nchildren; i++)
		if (!parent->p_children[i].c_ready)
			log_warnx("%s did not become ready",
			    child_title(&parent->p_children[i], title,
			    sizeof(title)));
	parent_shutdown(1);
}

/* A channel closed but no death was reaped: the child went rogue. */
static void
parent_lost_timeout(int fd, short event, void *arg)
{
	log_warnx("a child closed its channel but did not exit: stopping");
	parent_shutdown(1);
}

void
parent_child_closed(struct peer *p)
{
	struct child	*c = p->p_arg;
	struct timeval	 tv = { 1, 0 };

	c->c_peer = NULL;
	if (parent->p_shutdown)
		return;
	/* Give SIGCHLD a moment to say why. */
	if (!evtimer_pending(&ev_lost, NULL))
		evtimer_add(&ev_lost, &tv);
}

int
parent_dispatch_child(struct peer *p, struct imsg *imsg)
{
	struct child		*c = p->p_arg;
	struct ipc_status	 st;
	char			 title[64];
	int			 i;

	switch (imsg_get_type(imsg)) {
	case IMSG_READY:
		if (c->c_ready ||
		    imsg_get_data(imsg, &st, sizeof(st)) == -1 ||
		    st.s_procid != c->c_procid ||
		    st.s_instance != c->c_instance || st.s_pid != c->c_pid)
			return (-1);
		c->c_ready = 1;
		log_debug("%s (pid %d) is ready",
		    child_title(c, title, sizeof(title)), (int)c->c_pid);
		for (i = 0; i < parent->p_nchildren; i++)
			if (!parent->p_children[i].c_ready)
				return (0);
		evtimer_del(&ev_ready);
		log_info("startup complete: %d processes ready",
		    parent->p_nchildren);
		return (0);
	case IMSG_RESOLVE:
		return (resolve_start(c, imsg));
	default:
		return (-1);
	}
}
