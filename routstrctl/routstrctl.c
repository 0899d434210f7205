/*
 * routstrctl: the operator's control tool.  Talks imsg to routstrd's
 * control socket.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "config.h"
#include "money.h"

static __dead void	 usage(void);
static int		 show_status(struct imsg *);
static int		 show_result(struct imsg *);
static int		 show_ledger_check(struct imsg *);
static int		 show_mint(struct imsg *);
static int		 proc_by_name(const char *);
static void		 print_uptime(char *, size_t, time_t);

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-s socket] command [argument ...]\n"
	    "commands:\n"
	    "\tshow status\n"
	    "\tlog brief | verbose | debug\n"
	    "\tcheck sandbox proxy | ledger | mint | relay\n"
	    "\tmint show\n"
	    "\tmint rotate [unit]\n"
	    "\tmint token sat\n"
	    "\tledger check\n"
	    "\tledger backup directory\n", __progname);
	exit(1);
}

static int
proc_by_name(const char *name)
{
	int	 i;

	for (i = PROC_PARENT + 1; i < PROC_MAX; i++)
		if (strcmp(name, proc_name(i)) == 0)
			return (i);
	return (-1);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct imsgbuf		 ibuf;
	struct imsg		 imsg;
	const char		*sockname = ROUTSTRD_SOCKET;
	int			 ch, fd, done = 0, v, (*show)(struct imsg *);
	ssize_t			 n = 0;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		switch (ch) {
		case 's':
			sockname = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sockname, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "socket name too long");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "connect: %s", sockname);
	if (imsgbuf_init(&ibuf, fd) == -1 ||
	    imsgbuf_set_maxsize(&ibuf, IPC_MAXSIZE) == -1)
		err(1, NULL);

	if (argc == 2 && strcmp(argv[0], "show") == 0 &&
	    strcmp(argv[1], "status") == 0) {
		imsg_compose(&ibuf, IMSG_CTL_SHOW_STATUS, 1, 0, -1, NULL, 0);
		printf("%-10s %8s %6s %9s  %s\n", "PROCESS", "PID", "UID",
		    "UPTIME", "STATE");
		show = show_status;
	} else if (argc == 2 && strcmp(argv[0], "log") == 0) {
		if (strcmp(argv[1], "brief") == 0)
			v = 0;
		else if (strcmp(argv[1], "verbose") == 0)
			v = 1;
		else if (strcmp(argv[1], "debug") == 0)
			v = 2;
		else
			usage();
		imsg_compose(&ibuf, IMSG_CTL_VERBOSE, 1, 0, -1, &v, sizeof(v));
		show = show_result;
	} else if (argc == 3 && strcmp(argv[0], "mint") == 0 &&
	    strcmp(argv[1], "token") == 0) {
		const char	*errstr;
		uint64_t	 sat;

		sat = strtonum(argv[2], 1, 1000000, &errstr);
		if (errstr != NULL)
			errx(1, "amount %s: %s (1 to 1000000 sat)", argv[2],
			    errstr);
		imsg_compose(&ibuf, IMSG_CTL_MINT_TOKEN, 1, 0, -1, &sat,
		    sizeof(sat));
		show = show_result;
	} else if (argc == 2 && strcmp(argv[0], "mint") == 0 &&
	    strcmp(argv[1], "show") == 0) {
		imsg_compose(&ibuf, IMSG_CTL_MINT_SHOW, 1, 0, -1, NULL, 0);
		show = show_mint;
	} else if ((argc == 2 || argc == 3) && strcmp(argv[0], "mint") == 0 &&
	    strcmp(argv[1], "rotate") == 0) {
		char	 unit[IPC_UNIT_MAX];

		memset(unit, 0, sizeof(unit));
		if (strlcpy(unit, argc == 3 ? argv[2] : "sat", sizeof(unit)) >=
		    sizeof(unit) || unit[0] == '\0')
			errx(1, "unit %s: too long", argv[2]);
		imsg_compose(&ibuf, IMSG_CTL_MINT_ROTATE, 1, 0, -1, unit,
		    sizeof(unit));
		show = show_result;
	} else if (argc == 2 && strcmp(argv[0], "ledger") == 0 &&
	    strcmp(argv[1], "check") == 0) {
		imsg_compose(&ibuf, IMSG_CTL_LEDGER_CHECK, 1, 0, -1, NULL, 0);
		show = show_ledger_check;
	} else if (argc == 3 && strcmp(argv[0], "ledger") == 0 &&
	    strcmp(argv[1], "backup") == 0) {
		char	 cwd[PATH_MAX], path[PATH_MAX];

		if (argv[2][0] == '/')
			n = snprintf(path, sizeof(path), "%s", argv[2]);
		else if (getcwd(cwd, sizeof(cwd)) == NULL)
			err(1, "getcwd");
		else
			n = snprintf(path, sizeof(path), "%s/%s", cwd, argv[2]);
		if (n < 0 || (size_t)n >= sizeof(path))
			errx(1, "path too long");
		imsg_compose(&ibuf, IMSG_CTL_LEDGER_BACKUP, 1, 0, -1, path,
		    strlen(path) + 1);
		show = show_result;
	} else if (argc == 3 && strcmp(argv[0], "check") == 0 &&
	    strcmp(argv[1], "sandbox") == 0) {
		if ((v = proc_by_name(argv[2])) == -1)
			usage();
		imsg_compose(&ibuf, IMSG_CTL_SANDBOX_CHECK, 1, 0, -1, &v,
		    sizeof(v));
		show = show_result;
	} else
		usage();

	if (imsgbuf_flush(&ibuf) == -1)
		err(1, "write");
	while (!done) {
		if ((n = imsgbuf_read(&ibuf)) == -1)
			err(1, "read");
		if (n == 0)
			errx(1, "routstrd closed the connection");
		for (;;) {
			if ((n = imsg_get(&ibuf, &imsg)) == -1)
				errx(1, "bad message from routstrd");
			if (n == 0)
				break;
			done = show(&imsg);
			imsg_free(&imsg);
			if (done)
				break;
		}
	}
	imsgbuf_clear(&ibuf);
	close(fd);
	return (done == 2 ? 1 : 0);
}

static void
print_uptime(char *buf, size_t len, time_t started)
{
	time_t	 t = time(NULL) - started;

	if (started <= 0 || t < 0)
		(void)strlcpy(buf, "-", len);
	else if (t < 60)
		(void)snprintf(buf, len, "%llds", (long long)t);
	else if (t < 3600)
		(void)snprintf(buf, len, "%lldm%02llds", (long long)t / 60,
		    (long long)t % 60);
	else if (t < 86400)
		(void)snprintf(buf, len, "%lldh%02lldm", (long long)t / 3600,
		    (long long)t % 3600 / 60);
	else
		(void)snprintf(buf, len, "%lldd%02lldh", (long long)t / 86400,
		    (long long)t % 86400 / 3600);
}

/* 0: more to come, 1: done. */
static int
show_status(struct imsg *imsg)
{
	struct ipc_status	 st;
	char			 up[32], uid[16];

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_STATUS:
		if (imsg_get_data(imsg, &st, sizeof(st)) == -1 ||
		    !ipc_str_ok(st.s_title, sizeof(st.s_title)) ||
		    !ipc_str_ok(st.s_state, sizeof(st.s_state)))
			errx(1, "bad status message");
		print_uptime(up, sizeof(up), st.s_started);
		if (st.s_uid < 0)
			(void)strlcpy(uid, "-", sizeof(uid));
		else
			(void)snprintf(uid, sizeof(uid), "%d", st.s_uid);
		printf("%-10s %8d %6s %9s  %s\n", st.s_title, st.s_pid, uid,
		    up, st.s_state);
		return (0);
	case IMSG_CTL_END:
		return (1);
	default:
		errx(1, "unexpected message %s",
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

/* 1: success, 2: failure.  The text may be a token: printed as is. */
static int
show_result(struct imsg *imsg)
{
	static char	 msg[IPC_MAXSIZE];
	size_t		 len = imsg_get_len(imsg);

	msg[0] = '\0';
	if (len > 0 && (len > sizeof(msg) ||
	    imsg_get_strbuf(imsg, msg, len) == -1))
		(void)strlcpy(msg, "(unreadable reason)", sizeof(msg));
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_OK:
		printf("%s\n", msg[0] != '\0' ? msg : "ok");
		return (1);
	case IMSG_CTL_FAIL:
		fprintf(stderr, "failed: %s\n", msg[0] != '\0' ? msg :
		    "unknown reason");
		return (2);
	default:
		errx(1, "unexpected message %s",
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

/* 0: more to come, 1: done and the ledger is sound, 2: problems. */
static int
show_ledger_check(struct imsg *imsg)
{
	static uint64_t		 problems;
	struct ipc_ledger_report rp;
	char			 line[IPC_PATH_MAX];
	size_t			 len = imsg_get_len(imsg);
	uint32_t		 i;

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_LEDGER_PROBLEM:
		if (len == 0 || len > sizeof(line) ||
		    imsg_get_strbuf(imsg, line, len) == -1 ||
		    !ipc_str_ok(line, sizeof(line)))
			errx(1, "bad problem message");
		printf("problem: %s\n", line);
		return (0);
	case IMSG_CTL_LEDGER_REPORT:
		if (imsg_get_data(imsg, &rp, sizeof(rp)) == -1 ||
		    rp.rp_ntotals > 32)
			errx(1, "bad report message");
		printf("accounts %llu, open reservations %llu, "
		    "journal entries %llu\n",
		    (unsigned long long)rp.rp_accounts,
		    (unsigned long long)rp.rp_reservations,
		    (unsigned long long)rp.rp_journal);
		printf("spent proofs %llu, pending %llu, issued outputs "
		    "%llu\n", (unsigned long long)rp.rp_spent,
		    (unsigned long long)rp.rp_pending,
		    (unsigned long long)rp.rp_issued);
		if (rp.rp_ntotals > 0)
			printf("liabilities to users:\n");
		for (i = 0; i < rp.rp_ntotals; i++) {
			if (!ipc_str_ok(rp.rp_totals[i].t_mint,
			    sizeof(rp.rp_totals[i].t_mint)) ||
			    !ipc_str_ok(rp.rp_totals[i].t_unit,
			    sizeof(rp.rp_totals[i].t_unit)))
				errx(1, "bad report message");
			printf("  %s %s: %llu msat in %llu accounts, %llu "
			    "reserved\n", rp.rp_totals[i].t_mint[0] != '\0' ?
			    rp.rp_totals[i].t_mint : "(no mint)",
			    rp.rp_totals[i].t_unit,
			    (unsigned long long)rp.rp_totals[i].t_balance,
			    (unsigned long long)rp.rp_totals[i].t_accounts,
			    (unsigned long long)rp.rp_totals[i].t_reserved);
		}
		problems = rp.rp_problems;
		printf("problems: %llu\n", (unsigned long long)problems);
		return (0);
	case IMSG_CTL_END:
		return (problems > 0 ? 2 : 1);
	case IMSG_CTL_FAIL:
		return (show_result(imsg));
	default:
		errx(1, "unexpected message %s",
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

/*
 * routstrctl mint show: a line per keyset, then a total per unit that
 * has more than one.  0: more to come, 1: done, 2: a failure or totals
 * that contradict each other.
 */
#define SHOW_UNITS	8

static int
show_mint(struct imsg *imsg)
{
	static struct {
		char		 u_unit[IPC_UNIT_MAX];
		uint64_t	 u_issued, u_redeemed;
		int		 u_n, u_bad;
	}			 units[SHOW_UNITS];
	static int		 nunits, header, bad;
	struct ipc_keyset_total	 it;
	char			 id[2 * IPC_KEYSET_MAX + 1];
	char			 out[32], fee[16];
	uint64_t		 outstanding;
	uint32_t		 i;
	int			 u;

	if (!header && (imsg_get_type(imsg) == IMSG_CTL_MINT_KEYSET ||
	    imsg_get_type(imsg) == IMSG_CTL_END)) {
		printf("%-66s %-5s %-6s %5s %12s %12s %12s\n", "KEYSET",
		    "UNIT", "ACTIVE", "FEE", "ISSUED", "REDEEMED",
		    "OUTSTANDING");
		header = 1;
	}
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_MINT_KEYSET:
		if (imsg_get_data(imsg, &it, sizeof(it)) == -1 ||
		    it.it_idlen == 0 || it.it_idlen > IPC_KEYSET_MAX ||
		    !ipc_str_ok(it.it_unit, sizeof(it.it_unit)))
			errx(1, "bad keyset message");
		for (i = 0; i < it.it_idlen; i++)
			(void)snprintf(id + 2 * i, sizeof(id) - 2 * i, "%02x",
			    it.it_id[i]);
		if (money_sub(&outstanding, it.it_issued, it.it_redeemed) ==
		    -1) {
			(void)strlcpy(out, "-", sizeof(out));
			warnx("keyset %s redeemed more than it issued: see "
			    "routstrctl ledger check", id);
			bad = 1;
		} else
			(void)snprintf(out, sizeof(out), "%llu",
			    (unsigned long long)outstanding);
		(void)snprintf(fee, sizeof(fee), "%llu",
		    (unsigned long long)it.it_fee_ppk);
		printf("%-66s %-5s %-6s %5s %12llu %12llu %12s\n", id,
		    it.it_unit, it.it_active ? "yes" : "no", fee,
		    (unsigned long long)it.it_issued,
		    (unsigned long long)it.it_redeemed, out);
		for (u = 0; u < nunits; u++)
			if (strcmp(units[u].u_unit, it.it_unit) == 0)
				break;
		if (u == nunits && nunits < SHOW_UNITS) {
			(void)strlcpy(units[u].u_unit, it.it_unit,
			    sizeof(units[u].u_unit));
			nunits++;
		}
		if (u < nunits) {
			units[u].u_n++;
			if (money_add(&units[u].u_issued, units[u].u_issued,
			    it.it_issued) == -1 ||
			    money_add(&units[u].u_redeemed,
			    units[u].u_redeemed, it.it_redeemed) == -1)
				units[u].u_bad = 1;
		}
		return (0);
	case IMSG_CTL_END:
		for (u = 0; u < nunits; u++) {
			if (units[u].u_n < 2)
				continue;
			if (units[u].u_bad || money_sub(&outstanding,
			    units[u].u_issued, units[u].u_redeemed) == -1) {
				printf("%-66s %-5s %-6s %5s %12s %12s %12s\n",
				    "total", units[u].u_unit, "", "", "-", "-",
				    "-");
				bad = 1;
				continue;
			}
			printf("%-66s %-5s %-6s %5s %12llu %12llu %12llu\n",
			    "total", units[u].u_unit, "", "",
			    (unsigned long long)units[u].u_issued,
			    (unsigned long long)units[u].u_redeemed,
			    (unsigned long long)outstanding);
		}
		return (bad ? 2 : 1);
	case IMSG_CTL_FAIL:
		return (show_result(imsg));
	default:
		errx(1, "unexpected message %s",
		    imsg_type_name(imsg_get_type(imsg)));
	}
}
