/*
 * ledgerd: the one process that owns the money ledger.  Started by
 * routstrd(8), chrooted into its database directory.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"

static int		 ledger_conf(struct imsg *);
static void		 ledger_configured(void);
static const char	*ledger_rwdir(void);

static struct ipc_conf_ledger	 conf;
static int			 have_conf;

static const struct proc_child	 ledger_child = {
	.pc_procid = PROC_LEDGER,
	.pc_conf = ledger_conf,
	.pc_configured = ledger_configured,
	.pc_rwdir = ledger_rwdir,
};

int
main(int argc, char *argv[])
{
	proc_child_main(&ledger_child, argc, argv);
}

static int
ledger_conf(struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_CONF_LEDGER:
		if (have_conf ||
		    imsg_get_data(imsg, &conf, sizeof(conf)) == -1 ||
		    !ipc_str_ok(conf.cl_dbdir, sizeof(conf.cl_dbdir)) ||
		    conf.cl_dbdir[0] != '/')
			return (-1);
		have_conf = 1;
		return (0);
	default:
		return (-1);
	}
}

static void
ledger_configured(void)
{
	if (!have_conf)
		fatalx("no ledger configuration from the parent");
	log_debug("database directory %s", conf.cl_dbdir);
}

static const char *
ledger_rwdir(void)
{
	return (conf.cl_dbdir);
}
