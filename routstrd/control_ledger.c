/*
 * routstrctl ledger check, ledger backup and mint show: the parent asks
 * the ledger and passes its answers on.  For a backup the ledger sends
 * the files and the parent writes them where the operator asked: the
 * ledger has no filesystem outside its own directory.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "routstrd.h"

#define LEDGER_CTL_TIMEOUT_MS	(5 * 60 * 1000)	/* between two answers */
#define BACKUP_NAME_MAX		128

struct ledger_ctl {
	int		 lc_conn;	/* control client */
	uint32_t	 lc_id;		/* its request id */
	int		 lc_dirfd;	/* backup: the target directory */
	int		 lc_fd;		/* backup: the file being written */
	char		 lc_name[BACKUP_NAME_MAX];
	int		 lc_failed;
	uint32_t	 lc_reqid;	/* our request to the ledger */
};

static struct peer	*ledger_peer(void);
static void		 ledger_ctl_done(struct imsg *, void *);
static void		 ctl_fail(struct ledger_ctl *, const char *);
static int		 backup_name_ok(const char *);
static void		 lc_free(struct ledger_ctl *);
static int		 dir_empty(int);

static int
dir_empty(int dirfd)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, empty = 1;

	if ((fd = dup(dirfd)) == -1 || (d = fdopendir(fd)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return (empty);
}

static struct peer *
ledger_peer(void)
{
	int	 i;

	for (i = 0; i < parent->p_nchildren; i++)
		if (parent->p_children[i].c_procid == PROC_LEDGER)
			return (parent->p_children[i].c_peer);
	return (NULL);
}

static void
lc_free(struct ledger_ctl *lc)
{
	if (lc->lc_fd != -1)
		close(lc->lc_fd);
	if (lc->lc_dirfd != -1)
		close(lc->lc_dirfd);
	free(lc);
}

static void
ctl_fail(struct ledger_ctl *lc, const char *msg)
{
	struct peer	*p;

	if ((p = peer_find(CONTROL_PEER, lc->lc_conn)) != NULL)
		peer_compose(p, IMSG_CTL_FAIL, lc->lc_id, -1, msg,
		    strlen(msg) + 1);
}

void
control_ledger_check(struct peer *p, uint32_t id)
{
	struct ledger_ctl	*lc;
	struct peer		*lp;

	if ((lp = ledger_peer()) == NULL) {
		peer_compose(p, IMSG_CTL_FAIL, id, -1, "no ledger",
		    sizeof("no ledger"));
		return;
	}
	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		fatal(NULL);
	lc->lc_conn = p->p_instance;
	lc->lc_id = id;
	lc->lc_dirfd = lc->lc_fd = -1;
	if ((lc->lc_reqid = proc_request(lp, IMSG_CTL_LEDGER_CHECK, NULL, 0,
	    LEDGER_CTL_TIMEOUT_MS, ledger_ctl_done, lc)) == 0) {
		ctl_fail(lc, "cannot ask the ledger");
		lc_free(lc);
	}
}

/* The mint's keysets and their totals: the ledger keeps both. */
void
control_mint_show(struct peer *p, uint32_t id)
{
	struct ledger_ctl	*lc;
	struct peer		*lp;

	if (!control_local_mint()) {
		peer_compose(p, IMSG_CTL_FAIL, id, -1, "this node runs no mint",
		    sizeof("this node runs no mint"));
		return;
	}
	if ((lp = ledger_peer()) == NULL) {
		peer_compose(p, IMSG_CTL_FAIL, id, -1, "no ledger",
		    sizeof("no ledger"));
		return;
	}
	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		fatal(NULL);
	lc->lc_conn = p->p_instance;
	lc->lc_id = id;
	lc->lc_dirfd = lc->lc_fd = -1;
	if ((lc->lc_reqid = proc_request(lp, IMSG_CTL_MINT_SHOW, NULL, 0,
	    LEDGER_CTL_TIMEOUT_MS, ledger_ctl_done, lc)) == 0) {
		ctl_fail(lc, "cannot ask the ledger");
		lc_free(lc);
	}
}

/*
 * The target: an absolute path to an empty directory, made if missing.
 * Only root or routstrd's own user gets this far (control_accept()).
 */
void
control_ledger_backup(struct peer *p, uint32_t id, struct imsg *imsg)
{
	struct ledger_ctl	*lc;
	struct peer		*lp;
	char			 path[IPC_PATH_MAX];
	size_t			 len = imsg_get_len(imsg);
	int			 dirfd;

	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		fatal(NULL);
	lc->lc_conn = p->p_instance;
	lc->lc_id = id;
	lc->lc_dirfd = lc->lc_fd = -1;

	if (len == 0 || len > sizeof(path) ||
	    imsg_get_strbuf(imsg, path, len) == -1 ||
	    !ipc_str_ok(path, sizeof(path)) || path[0] != '/') {
		ctl_fail(lc, "the backup directory must be an absolute path");
		goto fail;
	}
	if ((lp = ledger_peer()) == NULL) {
		ctl_fail(lc, "no ledger");
		goto fail;
	}
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		ctl_fail(lc, strerror(errno));
		goto fail;
	}
	if ((dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		ctl_fail(lc, strerror(errno));
		goto fail;
	}
	lc->lc_dirfd = dirfd;
	/* Never mix a backup with other files. */
	if (!dir_empty(dirfd)) {
		ctl_fail(lc, "the backup directory is not empty");
		goto fail;
	}
	log_info("ledger backup to %s requested", path);
	if ((lc->lc_reqid = proc_request(lp, IMSG_CTL_LEDGER_BACKUP, NULL, 0,
	    LEDGER_CTL_TIMEOUT_MS, ledger_ctl_done, lc)) == 0) {
		ctl_fail(lc, "cannot ask the ledger");
		goto fail;
	}
	return;
 fail:
	lc_free(lc);
}

/* A file name from the ledger: no path, nothing hidden or odd. */
static int
backup_name_ok(const char *name)
{
	size_t	 n = strlen(name);

	return (n > 0 && n < BACKUP_NAME_MAX && name[0] != '.' &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n);
}

/*
 * Each answer of the ledger.  A malformed one is the ledger's fault:
 * the channel closes (and the suite stops), the client hears of it.
 */
static void
ledger_ctl_done(struct imsg *imsg, void *arg)
{
	struct ledger_ctl	*lc = arg;
	struct ipc_backup_data	 bd;
	struct peer		*p;
	struct ibuf		 ib;
	char			 buf[IPC_PATH_MAX];
	size_t			 len;
	uint32_t		 type;
	ssize_t			 n;

	if (imsg == NULL) {
		ctl_fail(lc, "no answer from the ledger");
		lc_free(lc);
		return;
	}
	type = imsg_get_type(imsg);
	len = imsg_get_len(imsg);
	p = peer_find(CONTROL_PEER, lc->lc_conn);

	switch (type) {
	case IMSG_CTL_LEDGER_PROBLEM:
		if (len == 0 || len > sizeof(buf) ||
		    imsg_get_strbuf(imsg, buf, len) == -1)
			break;
		if (p != NULL)
			peer_compose(p, type, lc->lc_id, -1, buf, len);
		return;
	case IMSG_CTL_MINT_KEYSET:
		if (len != sizeof(struct ipc_keyset_total))
			break;
		if (p != NULL && imsg_get_ibuf(imsg, &ib) == 0)
			peer_compose(p, type, lc->lc_id, -1, ibuf_data(&ib),
			    ibuf_size(&ib));
		return;
	case IMSG_CTL_LEDGER_REPORT:
		if (len != sizeof(struct ipc_ledger_report))
			break;
		if (p != NULL && imsg_get_ibuf(imsg, &ib) == 0)
			peer_compose(p, type, lc->lc_id, -1, ibuf_data(&ib),
			    ibuf_size(&ib));
		return;
	case IMSG_LEDGER_BACKUP_FILE:
		if (lc->lc_dirfd == -1 || lc->lc_fd != -1 || len == 0 ||
		    len > sizeof(lc->lc_name) ||
		    imsg_get_strbuf(imsg, lc->lc_name, len) == -1 ||
		    !backup_name_ok(lc->lc_name))
			break;
		if (!lc->lc_failed && (lc->lc_fd = openat(lc->lc_dirfd,
		    lc->lc_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600)) == -1) {
			log_warn("ledger backup: %s", lc->lc_name);
			lc->lc_failed = 1;
		}
		return;
	case IMSG_LEDGER_BACKUP_DATA:
		if (lc->lc_dirfd == -1 || len <= sizeof(bd) ||
		    imsg_get_buf(imsg, &bd, sizeof(bd)) == -1 ||
		    imsg_get_ibuf(imsg, &ib) == -1)
			break;
		if (lc->lc_fd != -1 && !lc->lc_failed) {
			n = pwrite(lc->lc_fd, ibuf_data(&ib), ibuf_size(&ib),
			    bd.bd_offset);
			if (n == -1 || (size_t)n != ibuf_size(&ib)) {
				log_warn("ledger backup: write %s",
				    lc->lc_name);
				lc->lc_failed = 1;
			}
		}
		return;
	case IMSG_LEDGER_BACKUP_CLOSE:
		if (lc->lc_dirfd == -1 || len != 0)
			break;
		if (lc->lc_fd != -1) {
			if (fsync(lc->lc_fd) == -1) {
				log_warn("ledger backup: fsync %s",
				    lc->lc_name);
				lc->lc_failed = 1;
			}
			close(lc->lc_fd);
			lc->lc_fd = -1;
		}
		return;
	case IMSG_CTL_END:
	case IMSG_CTL_OK:
	case IMSG_CTL_FAIL:
		if (lc->lc_dirfd != -1 && fsync(lc->lc_dirfd) == -1)
			lc->lc_failed = 1;
		if (type != IMSG_CTL_FAIL && lc->lc_failed)
			ctl_fail(lc, "writing the backup failed (see the log)");
		else if (p != NULL) {
			if (len > sizeof(buf) || (len > 0 &&
			    imsg_get_strbuf(imsg, buf, len) == -1))
				len = 0;
			peer_compose(p, type, lc->lc_id, -1, len ? buf : NULL,
			    len);
		}
		lc_free(lc);
		return;
	}
	log_warnx("malformed %s from the ledger", imsg_type_name(type));
	ctl_fail(lc, "malformed answer from the ledger");
	proc_request_cancel(lc->lc_reqid);	/* if more was coming */
	lc_free(lc);
	/* A ledger that says nonsense is not trusted further. */
	if ((p = ledger_peer()) != NULL) {
		p->p_malformed = 1;
		peer_close(p);
	}
}
