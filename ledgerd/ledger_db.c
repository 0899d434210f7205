/*
 * The ledger's Berkeley DB environment: open with recovery, the tables,
 * transactions, checkpoints, hot backup, and the mapping of database
 * errors to ledger errors.
 *
 * ledgerd is single-threaded and the only user of the environment, so
 * the environment is DB_PRIVATE (regions in heap memory, recovery from
 * the logs alone) and every transaction is DB_TXN_NOWAIT: a lock that
 * is not free at once could only be held by another of our own
 * transactions, and waiting for it would hang the process for good.
 * A lock file keeps a second ledgerd out of the directory.
 *
 * Transactions also carry the undo entries of the in-memory
 * reservations (ledger_resv.c): handed to the parent when a child
 * commits, undone when a transaction aborts or its commit fails,
 * forgotten when a top-level transaction commits.
 *
 * Ids (reservations, journal sequence numbers) are (epoch << 32 | n):
 * the epoch is read, incremented and durably committed at every open,
 * n counts up in memory, so ids increase across restarts without a
 * record that every operation would rewrite.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger_impl.h"
#include "log.h"

#define LEDGER_CACHE		(32 * 1024 * 1024)
#define LEDGER_LOG_BUF		(4 * 1024 * 1024)
#define LEDGER_LOG_MAX		(16 * 1024 * 1024)
/*
 * Page locks a top-level transaction may hold: a batch of tens of
 * thousands of requests on random accounts fits; each 10000 cost
 * about 1.2 MB of heap.
 */
#define LEDGER_LOCKS		50000
#define LEDGER_LOCKERS		4000
#define LEDGER_TXNS		1000	/* active, children included */

struct ledger_table {
	const char	*lt_file;
	uint32_t	 lt_pagesize;	/* 0: Berkeley DB's choice */
};

/* Indexed by enum ledger_dbid. */
static const struct ledger_table ledger_tables[LDB_MAX] = {
	{ "meta.db",		0 },
	{ "accounts.db",	8192 },
	{ "reservations.db",	0 },
	{ "journal.db",		0 },
	{ "jindex.db",		0 },
	{ "spent.db",		0 },
	{ "pending.db",		0 },
	{ "issued.db",		0 },
	{ "quotes.db",		16384 },	/* 2 KB invoices */
	{ "melthash.db",	0 },
	{ "proofs.db",		16384 },
	{ "counters.db",	0 },
	{ "refunds.db",		32768 },	/* 8 KB change tokens */
	{ "keysets.db",		0 },
	{ "totals.db",		0 },
};

static void	 ledger_bdb_err(const DB_ENV *, const char *, const char *);
static void	 ledger_bdb_event(DB_ENV *, u_int32_t, void *);
static int	 ledger_nospace(int);
static int	 ledger_lock(struct ledger *, const char *);
static int	 ledger_open_tables(struct ledger *);
static int	 ledger_epoch(struct ledger *);
static int	 ledger_meta_get(struct ledger_txn *, const char *,
		    uint32_t *);
static int	 ledger_meta_put(struct ledger_txn *, const char *, uint32_t);
static int	 ledger_epoch_bump(struct ledger *);
static void	 ledger_undo_end(struct ledger_txn *, int);
static int	 ledger_backup_open(DB_ENV *, const char *, const char *,
		    void **);
static int	 ledger_backup_write(DB_ENV *, u_int32_t, u_int32_t,
		    u_int32_t, u_int8_t *, void *);
static int	 ledger_backup_close(DB_ENV *, const char *, void *);

/* Berkeley DB's own messages: to our log, once each. */
static void
ledger_bdb_err(const DB_ENV *env, const char *pfx, const char *msg)
{
	log_warnx("ledger: %s", msg);
}

/* A panic: remember why, so that a full disk says so. */
static void
ledger_bdb_event(DB_ENV *env, u_int32_t event, void *info)
{
	struct ledger	*l = env->app_private;

	if (l == NULL)
		return;
	if (event == DB_EVENT_PANIC && l->l_panic == 0)
		l->l_panic = info != NULL ? *(int *)info : EIO;
}

static int
ledger_nospace(int e)
{
	return (e == ENOSPC || e == EDQUOT || e == EFBIG);
}

/*
 * A Berkeley DB error as a ledger error, logged unless it is an
 * ordinary answer (not found, exists).
 */
int
ledger_err(struct ledger *l, const char *op, int e)
{
	switch (e) {
	case 0:
		return (LEDGER_OK);
	case DB_NOTFOUND:
		return (LEDGER_NOTFOUND);
	case DB_KEYEXIST:
		return (LEDGER_EXISTS);
	case DB_RUNRECOVERY:
		if (l != NULL && ledger_nospace(l->l_panic)) {
			log_warnx("%s: the disk is full; the ledger must be "
			    "reopened (restart ledgerd) once there is space",
			    op);
			return (LEDGER_NOSPACE);
		}
		log_warnx("%s: %s: the database environment failed, "
		    "ledgerd must restart to recover it", op, db_strerror(e));
		return (LEDGER_DBERR);
	default:
		if (ledger_nospace(e)) {
			log_warnx("%s: %s: the disk is full", op,
			    db_strerror(e));
			return (LEDGER_NOSPACE);
		}
		log_warnx("%s: %s", op, db_strerror(e));
		return (LEDGER_DBERR);
	}
}

static int
ledger_lock(struct ledger *l, const char *home)
{
	char	 path[PATH_MAX];
	int	 n;

	n = snprintf(path, sizeof(path), "%s/%s", home, LEDGER_LOCKFILE);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_warnx("ledger: %s: path too long", home);
		return (-1);
	}
	if ((l->l_lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) == -1) {
		log_warn("ledger: %s", path);
		return (-1);
	}
	if (flock(l->l_lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			log_warnx("ledger: %s is in use by another ledgerd",
			    home);
		else
			log_warn("ledger: flock %s", path);
		return (-1);
	}
	return (0);
}

int
ledger_open(struct ledger **lp, const char *home, int flags)
{
	struct ledger	*l;
	DB_ENV		*env;
	uint32_t	 eflags;
	int		 e;

	*lp = NULL;
	if (home == NULL || *home == '\0' || (flags & ~LEDGER_NOSYNC)) {
		log_warnx("%s: bad arguments", __func__);
		return (-1);
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warn("%s", __func__);
		return (-1);
	}
	l->l_flags = flags;
	l->l_lockfd = -1;
	ledger_resv_init(l);
	if (ledger_lock(l, home) == -1)
		goto fail;

	if ((e = db_env_create(&env, 0)) != 0) {
		log_warnx("ledger: db_env_create: %s", db_strerror(e));
		goto fail;
	}
	l->l_env = env;
	env->app_private = l;
	env->set_errcall(env, ledger_bdb_err);
	if ((e = env->set_event_notify(env, ledger_bdb_event)) != 0 ||
	    (e = env->set_cachesize(env, 0, LEDGER_CACHE, 1)) != 0 ||
	    (e = env->set_lg_bsize(env, LEDGER_LOG_BUF)) != 0 ||
	    (e = env->set_lg_max(env, LEDGER_LOG_MAX)) != 0 ||
	    (e = env->set_lk_max_locks(env, LEDGER_LOCKS)) != 0 ||
	    (e = env->set_lk_max_objects(env, LEDGER_LOCKS)) != 0 ||
	    (e = env->set_lk_max_lockers(env, LEDGER_LOCKERS)) != 0 ||
	    (e = env->set_lk_partitions(env, 1)) != 0 ||
	    (e = env->set_tx_max(env, LEDGER_TXNS)) != 0) {
		log_warnx("ledger: configure environment: %s",
		    db_strerror(e));
		goto fail;
	}
	eflags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG |
	    DB_INIT_MPOOL | DB_RECOVER | DB_PRIVATE;
	if ((e = env->open(env, home, eflags, 0600)) != 0) {
		if (ledger_nospace(e) || ledger_nospace(l->l_panic))
			log_warnx("ledger: cannot open %s: the disk is full; "
			    "make room, then start again", home);
		else
			log_warnx("ledger: cannot open or recover the database "
			    "in %s: %s; if it does not recover, restore the "
			    "directory from a backup (see ledgerd(8))", home,
			    db_strerror(e));
		goto fail;
	}
	if (ledger_open_tables(l) == -1 || ledger_epoch(l) == -1) {
		log_warnx("ledger: cannot open the tables in %s; if this "
		    "persists, restore the directory from a backup (see "
		    "ledgerd(8))", home);
		goto fail;
	}
	log_debug("ledger: %s open, epoch %u", home, l->l_epoch);
	l->l_ready = 1;
	*lp = l;
	return (0);

 fail:
	ledger_close(l);
	return (-1);
}

static int
ledger_open_tables(struct ledger *l)
{
	DB_TXN		*txn;
	DB		*db;
	int		 e, i;

	if ((e = l->l_env->txn_begin(l->l_env, NULL, &txn, 0)) != 0) {
		log_warnx("ledger: txn_begin: %s", db_strerror(e));
		return (-1);
	}
	for (i = 0; i < LDB_MAX; i++) {
		if ((e = db_create(&db, l->l_env, 0)) != 0) {
			log_warnx("ledger: db_create: %s", db_strerror(e));
			goto fail;
		}
		l->l_db[i] = db;
		if (ledger_tables[i].lt_pagesize != 0 &&
		    (e = db->set_pagesize(db,
		    ledger_tables[i].lt_pagesize)) != 0) {
			log_warnx("ledger: %s: set_pagesize: %s",
			    ledger_tables[i].lt_file, db_strerror(e));
			goto fail;
		}
		if ((e = db->open(db, txn, ledger_tables[i].lt_file, NULL,
		    DB_BTREE, DB_CREATE, 0600)) != 0) {
			log_warnx("ledger: open %s: %s",
			    ledger_tables[i].lt_file, db_strerror(e));
			goto fail;
		}
	}
	if ((e = txn->commit(txn, DB_TXN_SYNC)) != 0) {
		log_warnx("ledger: open tables: commit: %s", db_strerror(e));
		return (-1);
	}
	return (0);

 fail:
	(void)txn->abort(txn);
	return (-1);
}

static int
ledger_meta_get(struct ledger_txn *t, const char *name, uint32_t *v)
{
	uint32_t	 rec[2];
	int		 r;

	r = ledger_getrec(t, LDB_META, name, strlen(name), rec, sizeof(rec));
	if (r == LEDGER_OK)
		*v = rec[1];
	return (r);
}

static int
ledger_meta_put(struct ledger_txn *t, const char *name, uint32_t v)
{
	uint32_t	 rec[2];

	rec[0] = LEDGER_REC_VERSION;
	rec[1] = v;
	return (ledger_put(t, LDB_META, name, strlen(name), rec, sizeof(rec),
	    0));
}

/* Check the format, and take the next epoch, durably. */
static int
ledger_epoch(struct ledger *l)
{
	struct ledger_txn	*t;
	uint32_t		 format, epoch = 0;
	int			 r;

	if (ledger_begin(l, NULL, &t) != 0)
		return (-1);
	r = ledger_meta_get(t, "format", &format);
	if (r == LEDGER_NOTFOUND) {
		format = LEDGER_FORMAT;
		r = ledger_meta_put(t, "format", format);
	}
	if (r != LEDGER_OK)
		goto fail;
	/* Format 1 had no totals per keyset: made from its records. */
	if (format == 1) {
		if (ledger_totals_build(t) != LEDGER_OK ||
		    ledger_meta_put(t, "format", LEDGER_FORMAT) != LEDGER_OK)
			goto fail;
		log_info("ledger: database format 1 upgraded to %u",
		    LEDGER_FORMAT);
		format = LEDGER_FORMAT;
	}
	if (format != LEDGER_FORMAT) {
		log_warnx("ledger: database format %u, this ledgerd knows %u",
		    format, LEDGER_FORMAT);
		goto fail;
	}
	r = ledger_meta_get(t, "epoch", &epoch);
	if (r != LEDGER_OK && r != LEDGER_NOTFOUND)
		goto fail;
	if (epoch == UINT32_MAX) {
		log_warnx("ledger: no epoch left");
		goto fail;
	}
	epoch++;
	if (ledger_meta_put(t, "epoch", epoch) != LEDGER_OK)
		goto fail;
	/* Durable whatever LEDGER_NOSYNC says: ids must never repeat. */
	r = t->t_txn->commit(t->t_txn, DB_TXN_SYNC);
	ledger_undo_end(t, r);		/* it has none */
	free(t);
	if (r != 0) {
		(void)ledger_err(l, "ledger: epoch commit", r);
		return (-1);
	}
	l->l_epoch = epoch;
	l->l_seq = 0;
	return (0);

 fail:
	ledger_abort(t);
	return (-1);
}

/*
 * The in-memory counter ran out (2^32 ids in one run): take a new
 * epoch in a transaction of its own, which nothing else touches.
 */
static int
ledger_epoch_bump(struct ledger *l)
{
	uint32_t	 old = l->l_epoch;

	if (ledger_epoch(l) == -1)
		return (-1);
	log_info("ledger: epoch %u used up, now %u", old, l->l_epoch);
	return (0);
}

int
ledger_nextid(struct ledger *l, uint64_t *id)
{
	if (l->l_seq == UINT32_MAX && ledger_epoch_bump(l) == -1)
		return (LEDGER_DBERR);
	l->l_seq++;
	*id = (uint64_t)l->l_epoch << 32 | l->l_seq;
	return (LEDGER_OK);
}

/*
 * A checkpoint first, so that the next start has little to recover; if
 * it fails (a full disk, a broken environment), the tables are closed
 * without flushing: the log has everything committed.
 */
void
ledger_close(struct ledger *l)
{
	uint32_t	 flags = 0;
	int		 e, i;

	if (l == NULL)
		return;
	if (!l->l_ready || l->l_panic != 0 ||
	    l->l_env->txn_checkpoint(l->l_env, 0, 0, 0) != 0)
		flags = DB_NOSYNC;
	for (i = 0; i < LDB_MAX; i++) {
		if (l->l_db[i] != NULL &&
		    (e = l->l_db[i]->close(l->l_db[i], flags)) != 0)
			log_warnx("ledger: close %s: %s",
			    ledger_tables[i].lt_file, db_strerror(e));
	}
	if (l->l_env != NULL && (e = l->l_env->close(l->l_env, 0)) != 0)
		log_warnx("ledger: close environment: %s", db_strerror(e));
	if (l->l_lockfd != -1)
		close(l->l_lockfd);
	ledger_resv_free(l);
	free(l);
}

int
ledger_begin(struct ledger *l, struct ledger_txn *parent,
    struct ledger_txn **tp)
{
	struct ledger_txn	*t;
	int			 e;

	*tp = NULL;
	if (parent != NULL)
		l = parent->t_l;
	if (l == NULL)
		return (LEDGER_INVALID);
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		log_warn("%s", __func__);
		return (LEDGER_DBERR);
	}
	t->t_l = l;
	t->t_parent = parent;
	ledger_undo_init(t);
	if ((e = l->l_env->txn_begin(l->l_env,
	    parent != NULL ? parent->t_txn : NULL, &t->t_txn,
	    DB_TXN_NOWAIT)) != 0) {
		free(t);
		return (ledger_err(l, "ledger: txn_begin", e));
	}
	*tp = t;
	return (LEDGER_OK);
}

/*
 * The in-memory changes of t follow the outcome of its commit (e, a
 * Berkeley DB error): Berkeley DB aborts a transaction whose commit
 * fails.
 */
static void
ledger_undo_end(struct ledger_txn *t, int e)
{
	if (e == 0)
		ledger_undo_commit(t);
	else
		ledger_undo_abort(t);
}

/*
 * Commit; durable when top-level (unless LEDGER_NOSYNC).  Whatever the
 * outcome, the transaction is gone.
 */
int
ledger_commit(struct ledger_txn *t)
{
	struct ledger	*l;
	uint32_t	 flags = 0;
	int		 e;

	if (t == NULL)
		return (LEDGER_INVALID);
	l = t->t_l;
	if (t->t_parent == NULL)
		flags = (l->l_flags & LEDGER_NOSYNC) ?
		    DB_TXN_WRITE_NOSYNC : DB_TXN_SYNC;
	e = t->t_txn->commit(t->t_txn, flags);
	ledger_undo_end(t, e);
	free(t);
	return (ledger_err(l, "ledger: commit", e));
}

int
ledger_commit_nosync(struct ledger_txn *t)
{
	struct ledger	*l;
	int		 e;

	if (t == NULL)
		return (LEDGER_INVALID);
	l = t->t_l;
	e = t->t_txn->commit(t->t_txn, DB_TXN_WRITE_NOSYNC);
	ledger_undo_end(t, e);
	free(t);
	return (ledger_err(l, "ledger: commit", e));
}

void
ledger_abort(struct ledger_txn *t)
{
	int	 e;

	if (t == NULL)
		return;
	if ((e = t->t_txn->abort(t->t_txn)) != 0)
		(void)ledger_err(t->t_l, "ledger: abort", e);
	ledger_undo_abort(t);
	free(t);
}

/* The inner transaction of one operation, on the caller's stack. */
int
ledger_sub_begin(struct ledger_txn *parent, struct ledger_txn *sub)
{
	struct ledger	*l = parent->t_l;
	int		 e;

	memset(sub, 0, sizeof(*sub));
	sub->t_l = l;
	sub->t_parent = parent;
	ledger_undo_init(sub);
	if ((e = l->l_env->txn_begin(l->l_env, parent->t_txn, &sub->t_txn,
	    DB_TXN_NOWAIT)) != 0)
		return (ledger_err(l, "ledger: txn_begin", e));
	return (LEDGER_OK);
}

/* Commit the inner transaction into its parent if r is 0, else abort. */
int
ledger_sub_end(struct ledger_txn *sub, int r)
{
	int	 e;

	if (r == LEDGER_OK) {
		e = sub->t_txn->commit(sub->t_txn, 0);
		ledger_undo_end(sub, e);
		if (e != 0)
			r = ledger_err(sub->t_l, "ledger: commit", e);
	} else {
		if ((e = sub->t_txn->abort(sub->t_txn)) != 0)
			(void)ledger_err(sub->t_l, "ledger: abort", e);
		ledger_undo_abort(sub);
	}
	sub->t_txn = NULL;
	return (r);
}

/* Get a record into buf; *len its size.  A larger one is an error. */
int
ledger_get(struct ledger_txn *t, int id, const void *k, size_t klen,
    void *buf, size_t size, size_t *len)
{
	DB	*db = t->t_l->l_db[id];
	DBT	 key, data;
	int	 e;

	memset(&key, 0, sizeof(key));
	memset(&data, 0, sizeof(data));
	key.data = (void *)k;
	key.size = klen;
	data.data = buf;
	data.ulen = size;
	data.flags = DB_DBT_USERMEM;
	e = db->get(db, t->t_txn, &key, &data, 0);
	if (e == DB_BUFFER_SMALL) {
		log_warnx("ledger: %s: a record of %u bytes, at most %zu "
		    "expected: damaged", ledger_tables[id].lt_file, data.size,
		    size);
		return (LEDGER_DBERR);
	}
	if (e != 0)
		return (ledger_err(t->t_l, ledger_tables[id].lt_file, e));
	if (len != NULL)
		*len = data.size;
	return (LEDGER_OK);
}

/* A fixed-size record whose first word is the record version. */
int
ledger_getrec(struct ledger_txn *t, int id, const void *k, size_t klen,
    void *rec, size_t size)
{
	uint32_t	 version;
	size_t		 len;
	int		 r;

	if ((r = ledger_get(t, id, k, klen, rec, size, &len)) != LEDGER_OK)
		return (r);
	memcpy(&version, rec, sizeof(version));
	if (len != size || version != LEDGER_REC_VERSION) {
		log_warnx("ledger: %s: a record of %zu bytes, version %u "
		    "(expected %zu, %u): damaged or from another version",
		    ledger_tables[id].lt_file, len, version, size,
		    LEDGER_REC_VERSION);
		return (LEDGER_DBERR);
	}
	return (LEDGER_OK);
}

int
ledger_put(struct ledger_txn *t, int id, const void *k, size_t klen,
    const void *d, size_t dlen, uint32_t flags)
{
	DB	*db = t->t_l->l_db[id];
	DBT	 key, data;
	int	 e;

	memset(&key, 0, sizeof(key));
	memset(&data, 0, sizeof(data));
	key.data = (void *)k;
	key.size = klen;
	data.data = (void *)d;
	data.size = dlen;
	e = db->put(db, t->t_txn, &key, &data, flags);
	return (ledger_err(t->t_l, ledger_tables[id].lt_file, e));
}

/* LEDGER_OK if the key is there, LEDGER_NOTFOUND if not. */
int
ledger_exists(struct ledger_txn *t, int id, const void *k, size_t klen)
{
	DB	*db = t->t_l->l_db[id];
	DBT	 key;
	int	 e;

	memset(&key, 0, sizeof(key));
	key.data = (void *)k;
	key.size = klen;
	e = db->exists(db, t->t_txn, &key, 0);
	return (ledger_err(t->t_l, ledger_tables[id].lt_file, e));
}

int
ledger_del(struct ledger_txn *t, int id, const void *k, size_t klen)
{
	DB	*db = t->t_l->l_db[id];
	DBT	 key;
	int	 e;

	memset(&key, 0, sizeof(key));
	key.data = (void *)k;
	key.size = klen;
	e = db->del(db, t->t_txn, &key, 0);
	return (ledger_err(t->t_l, ledger_tables[id].lt_file, e));
}

int
ledger_cursor(struct ledger_txn *t, int id, DBC **c)
{
	DB	*db = t->t_l->l_db[id];
	int	 e;

	if ((e = db->cursor(db, t->t_txn, c, 0)) != 0)
		return (ledger_err(t->t_l, ledger_tables[id].lt_file, e));
	return (LEDGER_OK);
}

/* Close a cursor; r is the result so far, which a failure replaces. */
int
ledger_cursor_close(struct ledger *l, DBC *c, int r)
{
	int	 e;

	if (c == NULL)
		return (r);
	if ((e = c->close(c)) != 0 && r == LEDGER_OK)
		r = ledger_err(l, "ledger: cursor close", e);
	return (r);
}

/*
 * One cursor step into our buffers.  k holds the key to look for
 * (DB_SET_RANGE) of *klen bytes and gets the key found; d NULL: the
 * key alone.
 */
int
ledger_cget(struct ledger *l, DBC *c, void *k, size_t ksize, size_t *klen,
    void *d, size_t dsize, size_t *dlen, uint32_t flags)
{
	DBT	 key, data;
	int	 e;

	memset(&key, 0, sizeof(key));
	memset(&data, 0, sizeof(data));
	key.data = k;
	key.ulen = ksize;
	key.size = klen != NULL ? *klen : 0;
	key.flags = DB_DBT_USERMEM;
	if (d != NULL) {
		data.data = d;
		data.ulen = dsize;
		data.flags = DB_DBT_USERMEM;
	} else
		data.flags = DB_DBT_USERMEM | DB_DBT_PARTIAL;
	e = c->get(c, &key, &data, flags);
	if (e == DB_BUFFER_SMALL) {
		log_warnx("ledger: %s: a key or record larger than expected "
		    "(%u, %u bytes): damaged", c->dbp->fname, key.size,
		    data.size);
		return (LEDGER_DBERR);
	}
	if (e != 0)
		return (ledger_err(l, c->dbp->fname, e));
	if (klen != NULL)
		*klen = key.size;
	if (dlen != NULL)
		*dlen = d != NULL ? data.size : 0;
	return (LEDGER_OK);
}

/* A record read by a cursor: its size and version. */
int
ledger_rec_check(int id, const void *rec, size_t len, size_t size)
{
	uint32_t	 version = 0;

	if (len >= sizeof(version))
		memcpy(&version, rec, sizeof(version));
	if (len != size || version != LEDGER_REC_VERSION) {
		log_warnx("ledger: %s: a record of %zu bytes, version %u "
		    "(expected %zu, %u): damaged or from another version",
		    ledger_tables[id].lt_file, len, version, size,
		    LEDGER_REC_VERSION);
		return (LEDGER_DBERR);
	}
	return (LEDGER_OK);
}

void
ledger_be64enc(uint8_t *p, uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--) {
		p[i] = v & 0xff;
		v >>= 8;
	}
}

uint64_t
ledger_be64dec(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (v);
}

/* The first bytes of a key in hex, to name it in a log line. */
const char *
ledger_hexkey(const uint8_t *k, size_t klen, char *buf, size_t size)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < klen && 2 * i + 2 < size; i++) {
		buf[2 * i] = hex[k[i] >> 4];
		buf[2 * i + 1] = hex[k[i] & 0xf];
	}
	buf[2 * i] = '\0';
	return (buf);
}

int64_t
ledger_now(void)
{
	return ((int64_t)time(NULL));
}

/* Checkpoint, then remove the log files recovery no longer needs. */
int
ledger_checkpoint(struct ledger *l)
{
	int	 e;

	if ((e = l->l_env->txn_checkpoint(l->l_env, 0, 0, 0)) != 0)
		return (ledger_err(l, "ledger: checkpoint", e));
	if ((e = l->l_env->log_archive(l->l_env, NULL, DB_ARCH_REMOVE)) != 0)
		return (ledger_err(l, "ledger: log removal", e));
	return (LEDGER_OK);
}

int
ledger_log_current(struct ledger *l, uint32_t *file, char *path, size_t len)
{
	DB_LOG_STAT	*st;
	DB_LSN		 lsn;
	int		 e;

	if ((e = l->l_env->log_stat(l->l_env, &st, 0)) != 0)
		return (ledger_err(l, "ledger: log_stat", e));
	memset(&lsn, 0, sizeof(lsn));
	lsn.file = st->st_cur_file;
	free(st);
	if ((e = l->l_env->log_file(l->l_env, &lsn, path, len)) != 0)
		return (ledger_err(l, "ledger: log_file", e));
	*file = lsn.file;
	return (LEDGER_OK);
}

/*
 * Hot backup through Berkeley DB's own DB_ENV->backup(): after a
 * checkpoint, it copies every database file page by page in step with
 * the buffer pool (no torn pages), then every log file, each through
 * our callbacks.  Normal recovery of the copy (ledger_open) replays the
 * log from that checkpoint and gives the state of the last transaction
 * committed before the copy of the logs: consistent, whatever was
 * committed while the files were being read.
 */
static int
ledger_backup_open(DB_ENV *env, const char *name, const char *target,
    void **handle)
{
	struct ledger	*l = env->app_private;

	*handle = NULL;
	if (strchr(name, '/') != NULL ||
	    l->l_backup->lb_open(name, l->l_backup->lb_arg) != 0) {
		l->l_backup_err = 1;
		return (EIO);
	}
	*handle = l;
	return (0);
}

static int
ledger_backup_write(DB_ENV *env, u_int32_t gigs, u_int32_t off,
    u_int32_t size, u_int8_t *buf, void *handle)
{
	struct ledger	*l = env->app_private;
	uint64_t	 pos;

	pos = (uint64_t)gigs * 1024 * 1024 * 1024 + off;
	if (handle == NULL ||
	    l->l_backup->lb_write(pos, buf, size, l->l_backup->lb_arg) != 0) {
		l->l_backup_err = 1;
		return (EIO);
	}
	return (0);
}

/* Called after a failed open too: only close what was opened. */
static int
ledger_backup_close(DB_ENV *env, const char *name, void *handle)
{
	struct ledger	*l = env->app_private;

	if (handle == NULL)
		return (0);
	if (l->l_backup->lb_close(name, l->l_backup->lb_arg) != 0) {
		/* Berkeley DB may drop this return value: remember it. */
		l->l_backup_err = 1;
		return (EIO);
	}
	return (0);
}

int
ledger_backup(struct ledger *l, const struct ledger_backup_cb *cb)
{
	DB_ENV	*env = l->l_env;
	int	 e, r;

	if (cb == NULL || cb->lb_open == NULL || cb->lb_write == NULL ||
	    cb->lb_close == NULL)
		return (LEDGER_INVALID);
	if ((e = env->txn_checkpoint(env, 0, 0, DB_FORCE)) != 0)
		return (ledger_err(l, "ledger: backup checkpoint", e));
	if ((e = env->set_backup_callbacks(env, ledger_backup_open,
	    ledger_backup_write, ledger_backup_close)) != 0)
		return (ledger_err(l, "ledger: backup callbacks", e));
	l->l_backup = cb;
	l->l_backup_err = 0;
	/* The target is only handed to our callbacks; no DB_CREATE. */
	e = env->backup(env, ".", 0);
	l->l_backup = NULL;
	if (e != 0)
		r = ledger_err(l, "ledger: backup", e);
	else if (l->l_backup_err) {
		log_warnx("ledger: backup: the copy could not be written");
		r = LEDGER_DBERR;
	} else
		r = LEDGER_OK;
	return (r);
}
