/*
 * slowsync.so: a slow disk for ledgerd, for the tests only (LD_PRELOAD).
 *
 * ledgerd makes its log durable with an asynchronous fdsync (Linux AIO,
 * IOCB_CMD_FDSYNC, its end told on an eventfd) and, for a lone request,
 * an inline fdatasync().  On a real disk both end before a test could
 * see a reply sent too early.  Here:
 *
 * - syscall(SYS_io_submit) of fsync/fdsync iocbs submits nothing: each
 *   is remembered, due SLOWSYNC_MS (default 700) after now;
 * - epoll_wait() (libevent's loop) signals the eventfd of one that is
 *   due, and otherwise waits no longer than until the next is due;
 * - syscall(SYS_io_getevents) on that context returns a completion only
 *   once it is due and was signalled (a blocking call waits for it), after
 *   a real fdatasync() of its file;
 * - fdatasync() called from the program itself (not from Berkeley DB)
 *   sleeps SLOWSYNC_MS first.
 *
 * Everything it does once ledgerd is sandboxed (write, fdatasync,
 * clock_gettime, clock_nanosleep, epoll_wait) is in ledgerd's seccomp
 * policy; no thread is made.  It tells what it does on stderr (ledgerd's
 * log), one "slowsync: ..." line each, for the tests to count.
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include <linux/aio_abi.h>

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLOWSYNC_DEFAULT_MS	700
#define SLOWSYNC_MAX		16	/* fake syncs under way at once */

struct fake {
	int		 f_used;
	int		 f_released;	/* its eventfd was signalled */
	aio_context_t	 f_ctx;
	int		 f_fd;
	int		 f_resfd;	/* -1: no IOCB_FLAG_RESFD */
	int		 f_data;	/* IOCB_CMD_FDSYNC: 1, FSYNC: 0 */
	uint64_t	 f_user;	/* aio_data */
	uint64_t	 f_obj;		/* the iocb */
	uint64_t	 f_due;		/* ns, CLOCK_MONOTONIC */
	uint64_t	 f_seq;		/* submission order */
};

static void	 slowsync_init(void) __attribute__((constructor));
static int	 phdr_cb(struct dl_phdr_info *, size_t, void *);
static uint64_t	 now_ns(void);
static void	 sleep_until(uint64_t);
static void	 say(const char *, ...) __attribute__((format(printf, 1, 2)));
static long	 fake_submit(aio_context_t, long, struct iocb **);
static long	 fake_getevents(aio_context_t, long, long, struct io_event *,
		    struct timespec *);
static int	 fake_pending(aio_context_t);
static void	 fake_release(struct fake *);
static struct fake *fake_done(aio_context_t, uint64_t);
static struct fake *fake_next(aio_context_t);

static long	(*real_syscall)(long, ...);
static int	(*real_epoll_wait)(int, struct epoll_event *, int, int);
static int	(*real_fdatasync)(int);

static uint64_t		 delay_ns = SLOWSYNC_DEFAULT_MS * 1000000ULL;
static struct fake	 fakes[SLOWSYNC_MAX];
static uint64_t		 seq;
static uintptr_t	 prog_lo, prog_hi;	/* the program's own code */

/* Before main(), hence before the sandbox: the environment, dlsym. */
static void
slowsync_init(void)
{
	const char	*s;
	char		*end;
	unsigned long	 ms;

	real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	real_epoll_wait = (int (*)(int, struct epoll_event *, int, int))
	    dlsym(RTLD_NEXT, "epoll_wait");
	real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	if (real_syscall == NULL || real_epoll_wait == NULL ||
	    real_fdatasync == NULL) {
		say("cannot find the real functions");
		_exit(127);
	}
	if ((s = getenv("SLOWSYNC_MS")) != NULL && *s != '\0') {
		errno = 0;
		ms = strtoul(s, &end, 10);
		if (errno != 0 || *end != '\0' || ms > 600000) {
			say("bad SLOWSYNC_MS %s", s);
			_exit(127);
		}
		delay_ns = ms * 1000000ULL;
	}
	(void)dl_iterate_phdr(phdr_cb, NULL);
	say("loaded, syncs take %llu ms",
	    (unsigned long long)(delay_ns / 1000000));
}

/* The first object is the program: where its code is. */
static int
phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t	 lo, hi;
	int		 i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_LOAD)
			continue;
		lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
		hi = lo + info->dlpi_phdr[i].p_memsz;
		if (prog_lo == 0 || lo < prog_lo)
			prog_lo = lo;
		if (hi > prog_hi)
			prog_hi = hi;
	}
	return (1);
}

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
}

static void
sleep_until(uint64_t t)
{
	struct timespec	 ts;

	ts.tv_sec = t / 1000000000ULL;
	ts.tv_nsec = t % 1000000000ULL;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
}

static void
say(const char *fmt, ...)
{
	char	 buf[256];
	va_list	 ap;
	int	 n, saved = errno;

	memcpy(buf, "slowsync: ", 10);
	va_start(ap, fmt);
	n = vsnprintf(buf + 10, sizeof(buf) - 11, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(buf) - 12)
		n = sizeof(buf) - 12;
	buf[10 + n] = '\n';
	(void)write(STDERR_FILENO, buf, 10 + n + 1);
	errno = saved;
}

/* syscall(2) takes up to six arguments: all are passed on. */
long
syscall(long nr, ...)
{
	va_list	 ap;
	long	 a[6];
	int	 i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_io_submit) {
		long	 r;

		if ((r = fake_submit((aio_context_t)a[0], a[1],
		    (struct iocb **)a[2])) != -2)
			return (r);
	} else if (nr == SYS_io_getevents &&
	    fake_pending((aio_context_t)a[0]))
		return (fake_getevents((aio_context_t)a[0], a[1], a[2],
		    (struct io_event *)a[3], (struct timespec *)a[4]));
	return (real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
}

/* Fsyncs only are held back; -2: not ours, submit them for real. */
static long
fake_submit(aio_context_t ctx, long n, struct iocb **cbs)
{
	struct iocb	*cb;
	long		 i, j, nfree;

	if (n <= 0 || cbs == NULL)
		return (-2);
	for (i = 0, nfree = 0; i < SLOWSYNC_MAX; i++)
		if (!fakes[i].f_used)
			nfree++;
	for (i = 0; i < n; i++) {
		cb = cbs[i];
		if (cb->aio_lio_opcode != IOCB_CMD_FDSYNC &&
		    cb->aio_lio_opcode != IOCB_CMD_FSYNC)
			return (-2);
	}
	if (n > nfree) {
		errno = EAGAIN;
		return (-1);
	}
	for (i = 0, j = 0; i < n; i++) {
		cb = cbs[i];
		while (fakes[j].f_used)
			j++;
		memset(&fakes[j], 0, sizeof(fakes[j]));
		fakes[j].f_used = 1;
		fakes[j].f_ctx = ctx;
		fakes[j].f_fd = cb->aio_fildes;
		fakes[j].f_resfd = (cb->aio_flags & IOCB_FLAG_RESFD) ?
		    (int)cb->aio_resfd : -1;
		fakes[j].f_data = cb->aio_lio_opcode == IOCB_CMD_FDSYNC;
		fakes[j].f_user = cb->aio_data;
		fakes[j].f_obj = (uint64_t)(uintptr_t)cb;
		fakes[j].f_due = now_ns() + delay_ns;
		fakes[j].f_seq = ++seq;
		say("fdsync %llu of fd %d held for %llu ms",
		    (unsigned long long)seq, cb->aio_fildes,
		    (unsigned long long)(delay_ns / 1000000));
	}
	return (n);
}

static int
fake_pending(aio_context_t ctx)
{
	int	 i;

	for (i = 0; i < SLOWSYNC_MAX; i++)
		if (fakes[i].f_used && fakes[i].f_ctx == ctx)
			return (1);
	return (0);
}

/* Its end, as the kernel tells it: a count added to the eventfd. */
static void
fake_release(struct fake *f)
{
	uint64_t	 one = 1;

	if (f->f_released)
		return;
	f->f_released = 1;
	if (f->f_resfd != -1 &&
	    write(f->f_resfd, &one, sizeof(one)) != sizeof(one))
		say("cannot signal eventfd %d: %s", f->f_resfd,
		    strerror(errno));
}

/* The oldest fake of ctx, due and signalled; or NULL. */
static struct fake *
fake_done(aio_context_t ctx, uint64_t now)
{
	struct fake	*f, *best = NULL;
	int		 i;

	for (i = 0; i < SLOWSYNC_MAX; i++) {
		f = &fakes[i];
		if (!f->f_used || f->f_ctx != ctx || !f->f_released ||
		    f->f_due > now)
			continue;
		if (best == NULL || f->f_seq < best->f_seq)
			best = f;
	}
	return (best);
}

/* The soonest due of ctx. */
static struct fake *
fake_next(aio_context_t ctx)
{
	struct fake	*f, *best = NULL;
	int		 i;

	for (i = 0; i < SLOWSYNC_MAX; i++) {
		f = &fakes[i];
		if (f->f_used && f->f_ctx == ctx &&
		    (best == NULL || f->f_due < best->f_due))
			best = f;
	}
	return (best);
}

static long
fake_getevents(aio_context_t ctx, long min_nr, long nr, struct io_event *ev,
    struct timespec *timeout)
{
	struct fake	*f;
	uint64_t	 now, t, until = 0;
	long		 got = 0;
	int		 r, waited = 0;

	if (nr <= 0 || min_nr < 0 || min_nr > nr) {
		errno = EINVAL;
		return (-1);
	}
	if (timeout != NULL)
		until = now_ns() + (uint64_t)timeout->tv_sec * 1000000000ULL +
		    timeout->tv_nsec;
	for (;;) {
		now = now_ns();
		while (got < nr && (f = fake_done(ctx, now)) != NULL) {
			r = f->f_data ? real_fdatasync(f->f_fd) :
			    fsync(f->f_fd);
			memset(&ev[got], 0, sizeof(ev[got]));
			ev[got].data = f->f_user;
			ev[got].obj = f->f_obj;
			ev[got].res = r == -1 ? -errno : 0;
			say("fdsync %llu of fd %d done%s",
			    (unsigned long long)f->f_seq, f->f_fd,
			    waited ? " after a wait" : "");
			f->f_used = 0;
			got++;
		}
		if (got >= min_nr || (timeout != NULL && now >= until) ||
		    (f = fake_next(ctx)) == NULL)
			return (got);
		/* Wait for the next one, within the timeout. */
		t = timeout != NULL && until < f->f_due ? until : f->f_due;
		if (t > now) {
			sleep_until(t);
			waited = 1;
		}
		/* done while we waited: as the kernel would, tell it */
		if (f->f_due <= now_ns())
			fake_release(f);
	}
}

/*
 * libevent waits here: a fake sync that is due is told on its eventfd
 * first, and the wait ends when the next one is due.
 */
int
epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	uint64_t	 now, next = 0, left;
	int		 i;

	now = now_ns();
	for (i = 0; i < SLOWSYNC_MAX; i++) {
		if (!fakes[i].f_used || fakes[i].f_released)
			continue;
		if (fakes[i].f_due <= now)
			fake_release(&fakes[i]);
		else if (next == 0 || fakes[i].f_due < next)
			next = fakes[i].f_due;
	}
	if (next != 0) {
		/* rounded up: at the end of the wait it is due */
		left = (next - now + 999999) / 1000000;
		if (timeout < 0 || (uint64_t)timeout > left)
			timeout = (int)left;
	}
	return (real_epoll_wait(epfd, events, maxevents, timeout));
}

/* The inline sync of a lone request: slow too. */
int
fdatasync(int fd)
{
	uintptr_t	 ra = (uintptr_t)__builtin_return_address(0);

	if (ra >= prog_lo && ra < prog_hi) {
		say("fdatasync of fd %d slowed by %llu ms", fd,
		    (unsigned long long)(delay_ns / 1000000));
		sleep_until(now_ns() + delay_ns);
	}
	return (real_fdatasync(fd));
}
