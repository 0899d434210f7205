/*
 * The batches made durable off the event loop.
 *
 * A batch that moved money is committed without waiting for the disk
 * (its log records written to the kernel), then one asynchronous fdsync
 * of the log file (Linux AIO, IOCB_CMD_FDSYNC, done in a kernel worker;
 * its end signalled on an eventfd) is submitted.  The loop goes on
 * reading and committing the next batches while the disk works: they
 * share the next sync, one at a time.  A reply waits until all that was
 * committed before it is on disk (ledgerd.c holds them), so that it never
 * tells of money a crash could still take back; reservations, which a
 * restart releases anyway, are answered at once.  Where the kernel has
 * no AIO fdsync the sync is made at once, as before.
 */

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include <linux/aio_abi.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger.h"
#include "log.h"

static void	 sync_submit(void);
static void	 sync_event(int, short, void *);
static void	 sync_logfile(void);
static void	 sync_done(int);

static struct ledger	*sy_db;
static void		(*sy_cb)(uint64_t);
static aio_context_t	 sy_ctx;
static int		 sy_aio;	/* AIO fdsync works here */
static int		 sy_efd = -1;	/* the eventfd of its ends */
static int		 sy_logfd = -1;	/* the current log file */
static uint32_t		 sy_logfile;	/* its number */
static int		 sy_dirfd = -1;	/* the directory: new log files */
static struct event	 sy_ev;
static struct iocb	 sy_cb_io;
static uint64_t		 sy_committed;	/* generations handed out */
static uint64_t		 sy_durable;	/* on disk through this one */
static uint64_t		 sy_inflight;	/* the sync under way, or 0 */

void
ledger_sync_init(struct ledger *db, const char *home, void (*cb)(uint64_t))
{
	sy_db = db;
	sy_cb = cb;
	if ((sy_dirfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		fatal("%s: %s", __func__, home);
	sync_logfile();
	if ((sy_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    syscall(SYS_io_setup, 1, &sy_ctx) == -1) {
		log_warn("%s: no asynchronous sync; commits wait for the "
		    "disk", __func__);
		return;
	}
	sy_aio = 1;
	event_set(&sy_ev, sy_efd, EV_READ | EV_PERSIST, sync_event, NULL);
	event_add(&sy_ev, NULL);
}

/*
 * A batch was committed that must be on disk before its replies: the
 * generation they wait for.  now: a lone request, made durable at once
 * if no sync is under way: one wait for the disk, where the kernel
 * worker and its signal would add a wake-up or two.
 */
uint64_t
ledger_sync_request(int now)
{
	sy_committed++;
	if (sy_inflight != 0)
		return (sy_committed);
	if (now) {
		sync_logfile();
		if (fdatasync(sy_logfd) == -1)
			fatal("the ledger's log cannot be written to disk");
		sy_durable = sy_committed;
	} else
		sync_submit();
	return (sy_committed);
}

int
ledger_sync_async(void)
{
	return (sy_aio);
}

uint64_t
ledger_sync_durable(void)
{
	return (sy_durable);
}

/* What replies must wait for now: the last commit not on disk, or 0. */
uint64_t
ledger_sync_pending(void)
{
	return (sy_committed > sy_durable ? sy_committed : 0);
}

/* Everything on disk now, the loop waiting (the end of the process). */
void
ledger_sync_wait(void)
{
	struct io_event	 ev;

	if (sy_inflight != 0) {
		while (syscall(SYS_io_getevents, sy_ctx, 1, 1, &ev, NULL) != 1)
			if (errno != EINTR)
				fatal("%s: io_getevents", __func__);
		/* a failure is told once: a second sync would say 0 */
		if (ev.res != 0) {
			errno = -(int)ev.res;
			fatal("the ledger's log cannot be written to disk");
		}
		sy_durable = sy_inflight;
		sy_inflight = 0;
	}
	if (sy_committed > sy_durable) {
		sync_logfile();
		if (fdatasync(sy_logfd) == -1)
			fatal("the ledger's log cannot be written to disk");
		sy_durable = sy_committed;
	}
	sy_cb(sy_durable);
}

/*
 * The file Berkeley DB writes now.  When it moved to a new one, the old
 * one's last records and the new file's name are made durable first
 * (rare: every LEDGER_LOG_MAX bytes).
 */
static void
sync_logfile(void)
{
	char		 path[PATH_MAX];
	uint32_t	 n;
	int		 fd;

	if (ledger_log_current(sy_db, &n, path, sizeof(path)) != LEDGER_OK)
		fatalx("%s: the ledger's log file is not known", __func__);
	if (sy_logfd != -1 && n == sy_logfile)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		/* not made yet: nothing is in it, the old file has it all */
		if (errno == ENOENT && sy_logfd != -1) {
			if (fdatasync(sy_logfd) == -1)
				fatal("the ledger's log cannot be written to "
				    "disk");
			return;
		}
		fatal("%s: %s", __func__, path);
	}
	if (sy_logfd != -1) {
		if (fdatasync(sy_logfd) == -1)
			fatal("the ledger's log cannot be written to disk");
		(void)close(sy_logfd);
	}
	if (fsync(sy_dirfd) == -1)
		fatal("%s: the ledger's directory", __func__);
	sy_logfd = fd;
	sy_logfile = n;
}

static void
sync_submit(void)
{
	struct iocb	*cbs[1] = { &sy_cb_io };

	sync_logfile();
	sy_inflight = sy_committed;
	if (sy_aio) {
		memset(&sy_cb_io, 0, sizeof(sy_cb_io));
		sy_cb_io.aio_fildes = sy_logfd;
		sy_cb_io.aio_lio_opcode = IOCB_CMD_FDSYNC;
		sy_cb_io.aio_flags = IOCB_FLAG_RESFD;
		sy_cb_io.aio_resfd = sy_efd;
		if (syscall(SYS_io_submit, sy_ctx, 1, cbs) == 1)
			return;
		log_warn("%s: no asynchronous sync; commits wait for the "
		    "disk", __func__);
		sy_aio = 0;
		event_del(&sy_ev);
	}
	sync_done(fdatasync(sy_logfd) == -1 ? -errno : 0);
}

static void
sync_event(int fd, short event, void *arg)
{
	struct io_event	 ev;
	struct timespec	 zero = { 0, 0 };
	uint64_t	 n;

	if (read(sy_efd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		fatal("%s: eventfd", __func__);
	if (sy_inflight == 0 ||
	    syscall(SYS_io_getevents, sy_ctx, 1, 1, &ev, &zero) != 1)
		return;
	sync_done((int)ev.res);
}

static void
sync_done(int res)
{
	if (res != 0) {
		errno = -res;
		fatal("the ledger's log cannot be written to disk");
	}
	sy_durable = sy_inflight;
	sy_inflight = 0;
	/* what was committed meanwhile goes in the next */
	if (sy_committed > sy_durable)
		sync_submit();
	sy_cb(sy_durable);
}
