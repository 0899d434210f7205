/*
 * sandbox.c: the Linux substitute for pledge(2) and unveil(2).
 *
 * A child calls sandbox_drop() once it has its configuration, then
 * sandbox_confine() once it holds every fd it will ever open itself.
 *
 * sandbox_drop(): started as root, the child checks its chroot
 * directory (a directory owned by root or by the child's user, not
 * writable by group or others, as ntpd insists), chroots into it
 * through an open fd (no window between the check and the chroot),
 * then setgroups, setresgid, setresuid, and proves, as OpenSSH's
 * permanently_set_uid() does, that root cannot be regained.  Started
 * as anybody else, it says so once and goes on: the rest still works
 * without privileges.  Every child becomes non-dumpable and gets a
 * core size limit of 0, so that neither ptrace by the same user nor a
 * core file shows its memory (root can still read /proc/PID/mem).
 *
 * sandbox_confine(), in this order:
 * 1. RLIMIT_NPROC 0: no new processes or threads.  The limit counts
 *    every process of the real uid but is checked only in the calling
 *    process, and it is not enforced for root or CAP_SYS_RESOURCE;
 *    seccomp, which forbids fork, clone and execve, is the real wall.
 *    A process that needs threads one day must lift both.
 * 2. PR_SET_NO_NEW_PRIVS, which Landlock and seccomp need without
 *    CAP_SYS_ADMIN, and which makes setuid binaries inert.
 * 3. Landlock, as gmid does it: the ruleset handles every right the
 *    running kernel's ABI knows (a right that is not handled is
 *    allowed), masked down for older ABIs.  The ledger may create,
 *    read, write and remove files under its database directory and
 *    nothing else; proxy, mintd and relayd-client get no filesystem at
 *    all.  ABI >= 4: no TCP bind for anybody (the parent opens the
 *    listening sockets), TCP connect only for the three network
 *    processes (any port: upstreams, mints and relays live anywhere).
 *    ABI >= 6: signals and abstract UNIX sockets stay within the
 *    sandbox.  No Landlock in the kernel (ENOSYS, EOPNOTSUPP) is not an
 *    error: it is logged at debug level and seccomp still applies.
 * 4. seccomp-bpf: one allow-list per process, written by hand as
 *    OpenSSH does, rather than with libseccomp: the program is short,
 *    one can read exactly what is allowed, argument checks are a mask
 *    and a compare on the low 32 bits (every checked argument is an int
 *    or a flag word whose meaningful bits are all there), and the
 *    sandbox does not depend on one more library.  The architecture is
 *    checked first (and on x86_64 the x32 system call numbers are
 *    refused), then the system call number against the table below;
 *    anything else kills the whole process (SECCOMP_RET_KILL_PROCESS).
 *    At verbosity 2 and above the filter traps instead and a SIGSYS
 *    handler writes the number of the system call to stderr before the
 *    process dies of SIGSYS, so that an operator can see what a new
 *    libc wants.
 *
 * Argument checks: socket() by domain and type (AF_UNIX everywhere,
 * because glibc's syslog(3) reconnects to /dev/log; AF_INET and
 * AF_INET6 only in the network processes), mmap and mprotect never
 * with PROT_EXEC, kill and tgkill only aimed at this process, futex,
 * fcntl and ioctl only with the operations libevent, imsg, glibc and
 * Berkeley DB use.  prctl is not allowed at all.  What stays open, and
 * why: the stat family by path (glibc implements fstat with
 * newfstatat, and Landlock does not cover metadata, so a confined
 * process can learn whether a path exists, not what it holds), and
 * connect() to a pathname UNIX socket (Landlock up to ABI 7 does not
 * cover it); running as root, the chroot closes both.  Rights that
 * Landlock gains after ABI 7 are not handled here, hence allowed.
 *
 * Under AddressSanitizer, at the first of sandbox_drop() and
 * sandbox_confine(), while /proc is still there, the runtime is told
 * (__sanitizer_sandbox_on_notify caches /proc/self/maps for reports)
 * and the leak check runs, because the one at exit needs clone, ptrace
 * and /proc/PID/task.  The filter then also allows sigaltstack, and
 * lets the calls a report makes to find files and symbols (open,
 * openat in the network processes, readlink, stat) fail with EACCES
 * instead of killing, so that the report comes out whole.  Nothing
 * else differs.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* setresuid, O_PATH, F_OFD_SETLK */
#endif

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN	1
#endif
#endif

#ifdef SANDBOX_ASAN
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif

/*
 * Landlock: the kernel headers of the build machine may be older than
 * the running kernel, so the newer rights are spelt out here.
 */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset	444
#define __NR_landlock_add_rule		445
#define __NR_landlock_restrict_self	446
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER	(1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP	(1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP	(1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET	(1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL			(1ULL << 1)
#endif

/* ABI 1 rights, then one more per ABI */
#define LL_FS_ABI1	((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1)

/* What the ledger may do under its database directory. */
#define LL_FS_LEDGER	(LANDLOCK_ACCESS_FS_READ_FILE | \
			 LANDLOCK_ACCESS_FS_WRITE_FILE | \
			 LANDLOCK_ACCESS_FS_READ_DIR | \
			 LANDLOCK_ACCESS_FS_REMOVE_DIR | \
			 LANDLOCK_ACCESS_FS_REMOVE_FILE | \
			 LANDLOCK_ACCESS_FS_MAKE_DIR | \
			 LANDLOCK_ACCESS_FS_MAKE_REG | \
			 LANDLOCK_ACCESS_FS_REFER | \
			 LANDLOCK_ACCESS_FS_TRUNCATE)

/* struct landlock_ruleset_attr as of ABI 6 */
struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;	/* ABI >= 4 */
	uint64_t	scoped;			/* ABI >= 6 */
};

/*
 * seccomp: the architecture this file knows.  Argument words are read
 * as their low 32 bits, which are first on a little-endian machine.
 */
#if defined(__x86_64__)
#define SC_ARCH		AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SC_ARCH		AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define SC_ARCH		AUDIT_ARCH_RISCV64
#endif

#if defined(__x86_64__) && !defined(__X32_SYSCALL_BIT)
#define __X32_SYSCALL_BIT	0x40000000
#endif
#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS	0x80000000U
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC	1
#endif

/* System calls that only some architectures have. */
#define SC_NONE		(-1)
#ifndef __NR_open
#define __NR_open	SC_NONE
#endif
#ifndef __NR_access
#define __NR_access	SC_NONE
#endif
#ifndef __NR_faccessat2
#define __NR_faccessat2	SC_NONE
#endif
#ifndef __NR_unlink
#define __NR_unlink	SC_NONE
#endif
#ifndef __NR_rename
#define __NR_rename	SC_NONE
#endif
#ifndef __NR_renameat
#define __NR_renameat	SC_NONE
#endif
#ifndef __NR_mkdir
#define __NR_mkdir	SC_NONE
#endif
#ifndef __NR_rmdir
#define __NR_rmdir	SC_NONE
#endif
#ifndef __NR_stat
#define __NR_stat	SC_NONE
#endif
#ifndef __NR_lstat
#define __NR_lstat	SC_NONE
#endif
#ifndef __NR_readlink
#define __NR_readlink	SC_NONE
#endif
#ifndef __NR_poll
#define __NR_poll	SC_NONE
#endif
#ifndef __NR_epoll_wait
#define __NR_epoll_wait	SC_NONE
#endif
#ifndef __NR_epoll_pwait2
#define __NR_epoll_pwait2	SC_NONE
#endif
#ifndef __NR_accept
#define __NR_accept	SC_NONE
#endif
#ifndef __NR_time
#define __NR_time	SC_NONE
#endif
#ifndef __NR_statx
#define __NR_statx	SC_NONE
#endif

#define P(id)		(1 << (id))
#define SB_PROXY	P(PROC_PROXY)
#define SB_LEDGER	P(PROC_LEDGER)
#define SB_MINT		P(PROC_MINT)
#define SB_RELAY	P(PROC_RELAY)
#define SB_NET		(SB_PROXY | SB_MINT | SB_RELAY)
#define SB_ALL		(SB_NET | SB_LEDGER)

#define SC_EQ		0	/* (arg & mask) == val */
#define SC_SELF		1	/* arg == getpid() */
#define SC_MASKED(c)	((c)->op == SC_EQ && (c)->mask != ALL_BITS)

struct sc_cond {
	int		 arg;
	int		 op;
	uint32_t	 mask;
	uint32_t	 val;
};

struct sc_rule {
	int		 nr;
	int		 procs;		/* SB_* */
	int		 err;		/* 0: allow, else fail with errno */
	int		 ncond;		/* every condition must hold */
	struct sc_cond	 cond[2];
};

#define ALLOW(n, p)		{ .nr = n, .procs = p }
#define ALLOW_ARG(n, p, a, m, v) \
	{ .nr = n, .procs = p, .ncond = 1, .cond = { \
	    { .arg = a, .op = SC_EQ, .mask = m, .val = v } } }
#define ALLOW_ARG2(n, p, a, m, v, b, mb, vb) \
	{ .nr = n, .procs = p, .ncond = 2, .cond = { \
	    { .arg = a, .op = SC_EQ, .mask = m, .val = v }, \
	    { .arg = b, .op = SC_EQ, .mask = mb, .val = vb } } }
#define ALLOW_SELF(n, p, a) \
	{ .nr = n, .procs = p, .ncond = 1, .cond = { \
	    { .arg = a, .op = SC_SELF } } }
#define DENY(n, p, e)		{ .nr = n, .procs = p, .err = e }

#define ALL_BITS	0xffffffffU
#define FUTEX_OPS	((uint32_t)~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define SOCK_TYPES	0xfU	/* the type without SOCK_NONBLOCK etc. */

/* The most frequent calls come first: the filter is a linear scan. */
static const struct sc_rule sc_rules[] = {
	/* the event loop and imsg */
	ALLOW(__NR_epoll_wait, SB_ALL),
	ALLOW(__NR_epoll_pwait, SB_ALL),
	ALLOW(__NR_epoll_pwait2, SB_ALL),
	ALLOW(__NR_read, SB_ALL),
	ALLOW(__NR_write, SB_ALL),
	ALLOW(__NR_recvmsg, SB_ALL),
	ALLOW(__NR_sendmsg, SB_ALL),
	ALLOW(__NR_readv, SB_ALL),
	ALLOW(__NR_writev, SB_ALL),
	ALLOW(__NR_epoll_ctl, SB_ALL),
	ALLOW(__NR_clock_gettime, SB_ALL),
	ALLOW(__NR_gettimeofday, SB_ALL),
	ALLOW(__NR_time, SB_ALL),
	ALLOW(__NR_close, SB_ALL),
	ALLOW(__NR_epoll_create1, SB_ALL),
	ALLOW(__NR_timerfd_settime, SB_ALL),	/* EVENT_PRECISE_TIMER */
	ALLOW(__NR_timerfd_gettime, SB_ALL),
	ALLOW(__NR_poll, SB_ALL),		/* EVENT_NOEPOLL, libcurl */
	ALLOW(__NR_ppoll, SB_ALL),

	/* memory */
	ALLOW_ARG(__NR_mmap, SB_ALL, 2, PROT_EXEC, 0),
	ALLOW(__NR_munmap, SB_ALL),
	ALLOW_ARG(__NR_mprotect, SB_ALL, 2, PROT_EXEC, 0),
	ALLOW(__NR_mremap, SB_ALL),
	ALLOW(__NR_madvise, SB_ALL),
	ALLOW(__NR_brk, SB_ALL),
	ALLOW_ARG(__NR_futex, SB_ALL, 1, FUTEX_OPS, FUTEX_WAIT),
	ALLOW_ARG(__NR_futex, SB_ALL, 1, FUTEX_OPS, FUTEX_WAKE),
	ALLOW_ARG(__NR_futex, SB_ALL, 1, FUTEX_OPS, FUTEX_WAIT_BITSET),
	ALLOW_ARG(__NR_futex, SB_ALL, 1, FUTEX_OPS, FUTEX_WAKE_BITSET),
	ALLOW_ARG(__NR_futex, SB_ALL, 1, FUTEX_OPS, FUTEX_REQUEUE),
	ALLOW_ARG(__NR_futex, SB_ALL, 1, FUTEX_OPS, FUTEX_CMP_REQUEUE),
	ALLOW_ARG(__NR_futex, SB_ALL, 1, FUTEX_OPS, FUTEX_WAKE_OP),

	/* the network processes */
	ALLOW(__NR_sendto, SB_ALL),		/* syslog(3) too */
	ALLOW(__NR_recvfrom, SB_NET),
	ALLOW(__NR_accept4, SB_PROXY),
	ALLOW(__NR_accept, SB_PROXY),
	ALLOW(__NR_connect, SB_ALL),		/* Landlock: ledger no TCP */
	ALLOW_ARG2(__NR_socket, SB_ALL, 0, ALL_BITS, AF_UNIX,
	    1, SOCK_TYPES, SOCK_DGRAM),
	ALLOW_ARG2(__NR_socket, SB_ALL, 0, ALL_BITS, AF_UNIX,
	    1, SOCK_TYPES, SOCK_STREAM),
	ALLOW_ARG2(__NR_socket, SB_NET, 0, ALL_BITS, AF_INET,
	    1, SOCK_TYPES, SOCK_STREAM),
	ALLOW_ARG2(__NR_socket, SB_NET, 0, ALL_BITS, AF_INET,
	    1, SOCK_TYPES, SOCK_DGRAM),
	ALLOW_ARG2(__NR_socket, SB_NET, 0, ALL_BITS, AF_INET6,
	    1, SOCK_TYPES, SOCK_STREAM),
	ALLOW_ARG2(__NR_socket, SB_NET, 0, ALL_BITS, AF_INET6,
	    1, SOCK_TYPES, SOCK_DGRAM),
	ALLOW_ARG(__NR_socketpair, SB_NET, 0, ALL_BITS, AF_UNIX),
	ALLOW(__NR_getsockname, SB_NET),
	ALLOW(__NR_getpeername, SB_NET),
	ALLOW(__NR_pipe2, SB_NET),
	ALLOW(__NR_eventfd2, SB_NET),
	ALLOW(__NR_getsockopt, SB_ALL),
	ALLOW(__NR_setsockopt, SB_ALL),
	ALLOW(__NR_shutdown, SB_ALL),

	/* the ledger's Berkeley DB environment */
	ALLOW(__NR_pread64, SB_LEDGER),
	ALLOW(__NR_pwrite64, SB_LEDGER),
	ALLOW(__NR_openat, SB_LEDGER),
	ALLOW(__NR_open, SB_LEDGER),
	ALLOW(__NR_fsync, SB_LEDGER),
	ALLOW(__NR_fdatasync, SB_LEDGER),
	ALLOW(__NR_io_setup, SB_LEDGER),	/* ledger_sync.c */
	ALLOW(__NR_io_submit, SB_LEDGER),
	ALLOW(__NR_io_getevents, SB_LEDGER),
	ALLOW(__NR_eventfd2, SB_LEDGER),
	ALLOW(__NR_msync, SB_LEDGER),
	ALLOW(__NR_ftruncate, SB_LEDGER),
	ALLOW(__NR_fallocate, SB_LEDGER),
	ALLOW(__NR_unlink, SB_LEDGER),
	ALLOW(__NR_unlinkat, SB_LEDGER),
	ALLOW(__NR_rename, SB_LEDGER),
	ALLOW(__NR_renameat, SB_LEDGER),
	ALLOW(__NR_renameat2, SB_LEDGER),
	ALLOW(__NR_mkdir, SB_LEDGER),
	ALLOW(__NR_mkdirat, SB_LEDGER),
	ALLOW(__NR_rmdir, SB_LEDGER),
	ALLOW(__NR_getdents64, SB_LEDGER),
	ALLOW(__NR_getcwd, SB_LEDGER),
	ALLOW(__NR_access, SB_LEDGER),
	ALLOW(__NR_faccessat, SB_LEDGER),
	ALLOW(__NR_faccessat2, SB_LEDGER),
	ALLOW(__NR_flock, SB_LEDGER),
	ALLOW(__NR_statfs, SB_LEDGER),
	ALLOW(__NR_fstatfs, SB_LEDGER),
	ALLOW(__NR_fadvise64, SB_LEDGER),
	ALLOW_ARG(__NR_fcntl, SB_LEDGER, 1, ALL_BITS, F_GETLK),
	ALLOW_ARG(__NR_fcntl, SB_LEDGER, 1, ALL_BITS, F_SETLK),
	ALLOW_ARG(__NR_fcntl, SB_LEDGER, 1, ALL_BITS, F_SETLKW),
	ALLOW_ARG(__NR_fcntl, SB_LEDGER, 1, ALL_BITS, F_OFD_GETLK),
	ALLOW_ARG(__NR_fcntl, SB_LEDGER, 1, ALL_BITS, F_OFD_SETLK),
	ALLOW_ARG(__NR_fcntl, SB_LEDGER, 1, ALL_BITS, F_OFD_SETLKW),

	/* files already open, and the process itself */
	ALLOW_ARG(__NR_fcntl, SB_ALL, 1, ALL_BITS, F_GETFD),
	ALLOW_ARG(__NR_fcntl, SB_ALL, 1, ALL_BITS, F_SETFD),
	ALLOW_ARG(__NR_fcntl, SB_ALL, 1, ALL_BITS, F_GETFL),
	ALLOW_ARG(__NR_fcntl, SB_ALL, 1, ALL_BITS, F_SETFL),
	ALLOW_ARG(__NR_ioctl, SB_ALL, 1, ALL_BITS, FIONREAD),
	ALLOW_ARG(__NR_ioctl, SB_ALL, 1, ALL_BITS, FIONBIO),
	ALLOW_ARG(__NR_ioctl, SB_ALL, 1, ALL_BITS, TCGETS),
	ALLOW(__NR_fstat, SB_ALL),
	ALLOW(__NR_newfstatat, SB_ALL),
	ALLOW(__NR_statx, SB_ALL),
	ALLOW(__NR_lseek, SB_ALL),
	ALLOW(__NR_getrandom, SB_ALL),
	ALLOW(__NR_getpid, SB_ALL),
	ALLOW(__NR_gettid, SB_ALL),
	ALLOW(__NR_getppid, SB_ALL),
	ALLOW(__NR_getuid, SB_ALL),
	ALLOW(__NR_geteuid, SB_ALL),
	ALLOW(__NR_getgid, SB_ALL),
	ALLOW(__NR_getegid, SB_ALL),
	ALLOW(__NR_getresuid, SB_ALL),
	ALLOW(__NR_getresgid, SB_ALL),
	ALLOW(__NR_uname, SB_ALL),
	ALLOW(__NR_sched_yield, SB_ALL),
	ALLOW(__NR_sched_getaffinity, SB_ALL),	/* get_nprocs(3) */
	ALLOW(__NR_sysinfo, SB_ALL),		/* get_phys_pages(3) */
	ALLOW(__NR_clock_getres, SB_ALL),
	ALLOW(__NR_nanosleep, SB_ALL),
	ALLOW(__NR_clock_nanosleep, SB_ALL),
	ALLOW(__NR_rt_sigaction, SB_ALL),
	ALLOW(__NR_rt_sigprocmask, SB_ALL),
	ALLOW(__NR_rt_sigreturn, SB_ALL),
	ALLOW_SELF(__NR_kill, SB_ALL, 0),
	ALLOW_SELF(__NR_tgkill, SB_ALL, 0),
	ALLOW(__NR_restart_syscall, SB_ALL),
	ALLOW(__NR_exit, SB_ALL),
	ALLOW(__NR_exit_group, SB_ALL),

#ifdef SANDBOX_ASAN
	/* ASan's signal handling switches stacks */
	ALLOW(__NR_sigaltstack, SB_ALL),
	/* an ASan report reads files: let it fail instead of dying */
	DENY(__NR_openat, SB_NET, EACCES),
	DENY(__NR_open, SB_NET, EACCES),
	DENY(__NR_readlink, SB_ALL, EACCES),
	DENY(__NR_readlinkat, SB_ALL, EACCES),
	DENY(__NR_stat, SB_ALL, EACCES),	/* LLVM's, looking for */
	DENY(__NR_lstat, SB_ALL, EACCES),	/* llvm-symbolizer */
#endif
};

/* Room for the largest program: a header, 9 per rule, the default. */
#define SC_RULEMAX	(3 + 3 * 2)
#define SC_MAXPROG	(8 + SC_RULEMAX * \
			    (sizeof(sc_rules) / sizeof(sc_rules[0])))

static void	sandbox_chroot(const struct ipc_conf_start *);
static void	sandbox_setid(uid_t, gid_t);
static void	sandbox_landlock(int, const char *);
static uint64_t	sandbox_landlock_fs(int);
static void	sandbox_seccomp(int);
static void	sc_put(struct sock_filter *, size_t *, uint16_t, uint32_t,
		    size_t, size_t);
static void	sc_rules_emit(struct sock_filter *, size_t *, int, uint32_t);
static void	sandbox_sigsys(int, siginfo_t *, void *);
static const char *sandbox_procname(int);
static void	sandbox_asan(void);

static const char	*sigsys_procname = "sandbox";
static int		 landlock_abi = -1;

static const char *
sandbox_procname(int procid)
{
	switch (procid) {
	case PROC_PROXY:
		return ("proxy");
	case PROC_LEDGER:
		return ("ledgerd");
	case PROC_MINT:
		return ("mintd");
	case PROC_RELAY:
		return ("relayd-client");
	}
	return (NULL);
}

void
sandbox_drop(int procid, const struct ipc_conf_start *cs)
{
	struct rlimit	 rl;
	const char	*name;

	if ((name = sandbox_procname(procid)) == NULL)
		fatalx("%s: no sandbox for process %d", __func__, procid);

	sandbox_asan();
	if (cs->cs_privdrop) {
		sandbox_chroot(cs);
		sandbox_setid(cs->cs_uid, cs->cs_gid);
		log_debug("%s: chrooted to %s, running as uid %u gid %u",
		    name, cs->cs_chroot, (unsigned int)cs->cs_uid,
		    (unsigned int)cs->cs_gid);
	} else if (geteuid() == 0)
		log_info("%s: privilege drop disabled: chroot and user "
		    "switch skipped", name);
	else
		log_info("%s: not started as root: chroot and user switch "
		    "skipped", name);

	/* After setresuid: a change of credentials resets this flag. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("%s: prctl(PR_SET_DUMPABLE)", name);
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("%s: setrlimit(RLIMIT_CORE)", name);
}

/*
 * Under AddressSanitizer: while /proc is still there, let the runtime
 * cache what its reports need, and check for leaks now, because the
 * check at exit needs clone, ptrace and /proc/PID/task.
 */
static void
sandbox_asan(void)
{
#ifdef SANDBOX_ASAN
	static int	 done;

	if (done)
		return;
	done = 1;
	__sanitizer_sandbox_on_notify(NULL);
	__lsan_do_leak_check();
#endif
}

/*
 * Check the directory through an open fd and chroot into that very
 * directory, so that nothing can be swapped in between.
 */
static void
sandbox_chroot(const struct ipc_conf_start *cs)
{
	struct stat	 sb;
	const char	*dir = cs->cs_chroot;
	int		 fd;

	if (memchr(dir, '\0', sizeof(cs->cs_chroot)) == NULL || *dir == '\0')
		fatalx("no chroot directory");
	if (*dir != '/')
		fatalx("chroot directory %s: not an absolute path", dir);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("chroot directory %s", dir);
	if (fstat(fd, &sb) == -1)
		fatal("chroot directory %s: fstat", dir);
	if (!S_ISDIR(sb.st_mode))
		fatalx("chroot directory %s: not a directory", dir);
	if (sb.st_uid != 0 && sb.st_uid != cs->cs_uid)
		fatalx("bad chroot directory %s: owned by uid %u, not root "
		    "or %u", dir, (unsigned int)sb.st_uid,
		    (unsigned int)cs->cs_uid);
	if (sb.st_mode & (S_IWGRP | S_IWOTH))
		fatalx("bad chroot directory %s permissions: %o "
		    "(writable by group or others)", dir,
		    (unsigned int)(sb.st_mode & 07777));
	if (fchdir(fd) == -1)
		fatal("chroot directory %s: fchdir", dir);
	if (chroot(".") == -1)
		fatal("chroot %s", dir);
	if (chdir("/") == -1)
		fatal("chdir(\"/\") in %s", dir);
	close(fd);
}

static void
sandbox_setid(uid_t uid, gid_t gid)
{
	uid_t	 ru, eu, su;
	gid_t	 rg, eg, sg, groups[2];

	if (uid == 0 || gid == 0)
		fatalx("refusing to run a child as uid %u gid %u",
		    (unsigned int)uid, (unsigned int)gid);

	if (setgroups(1, &gid) == -1 ||
	    setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		fatal("cannot drop privileges");

	/* As OpenSSH's permanently_set_uid(): root must be out of reach. */
	if (setgid(0) != -1 || setegid(0) != -1)
		fatalx("was able to regain gid 0");
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("was able to regain uid 0");
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		fatal("getresuid");
	if (ru != uid || eu != uid || su != uid ||
	    getuid() != uid || geteuid() != uid)
		fatalx("uid is not %u after the switch", (unsigned int)uid);
	if (rg != gid || eg != gid || sg != gid ||
	    getgid() != gid || getegid() != gid)
		fatalx("gid is not %u after the switch", (unsigned int)gid);
	if (getgroups(2, groups) != 1 || groups[0] != gid)
		fatalx("supplementary groups are not just %u",
		    (unsigned int)gid);
}

void
sandbox_confine(int procid, const char *rwdir)
{
	struct rlimit	 rl;
	const char	*name;

	if ((name = sandbox_procname(procid)) == NULL)
		fatalx("%s: no sandbox for process %d", __func__, procid);
	if (procid == PROC_LEDGER && (rwdir == NULL || *rwdir == '\0'))
		fatalx("%s: the ledger needs its directory", __func__);

	sandbox_asan();
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_NPROC, &rl) == -1)
		fatal("%s: setrlimit(RLIMIT_NPROC)", name);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("%s: prctl(PR_SET_NO_NEW_PRIVS)", name);
	sandbox_landlock(procid, rwdir);
	sandbox_seccomp(procid);
	log_debug("%s: sandbox in force (landlock abi %d, seccomp %s)",
	    name, sandbox_landlock_abi(),
	    log_getverbose() >= 2 ? "trap" : "kill");
}

int
sandbox_landlock_abi(void)
{
	int	 abi;

	if (landlock_abi != -1)
		return (landlock_abi);
	abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi == -1) {
		if (errno != ENOSYS && errno != EOPNOTSUPP)
			log_warn("landlock_create_ruleset(VERSION)");
		abi = 0;
	}
	landlock_abi = abi;
	return (abi);
}

/* Every filesystem right this ABI knows. */
static uint64_t
sandbox_landlock_fs(int abi)
{
	uint64_t	 fs = LL_FS_ABI1;

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return (fs);
}

static void
sandbox_landlock(int procid, const char *rwdir)
{
	struct ll_ruleset_attr			 ra;
	struct landlock_path_beneath_attr	 pb;
	size_t					 rasize;
	int					 abi, rfd;

	if ((abi = sandbox_landlock_abi()) == 0) {
		log_debug("landlock: not supported by this kernel, "
		    "no filesystem rules");
		return;
	}

	memset(&ra, 0, sizeof(ra));
	ra.handled_access_fs = sandbox_landlock_fs(abi);
	rasize = offsetof(struct ll_ruleset_attr, handled_access_net);
	if (abi >= 4) {
		ra.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP;
		if (procid == PROC_LEDGER)
			ra.handled_access_net |=
			    LANDLOCK_ACCESS_NET_CONNECT_TCP;
		rasize = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		ra.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET |
		    LANDLOCK_SCOPE_SIGNAL;
		rasize = sizeof(ra);
	}

	rfd = syscall(__NR_landlock_create_ruleset, &ra, rasize, 0);
	if (rfd == -1)
		fatal("landlock_create_ruleset");

	if (procid == PROC_LEDGER) {
		memset(&pb, 0, sizeof(pb));
		pb.allowed_access = LL_FS_LEDGER & ra.handled_access_fs;
		pb.parent_fd = open(rwdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (pb.parent_fd == -1)
			fatal("landlock: %s", rwdir);
		if (syscall(__NR_landlock_add_rule, rfd,
		    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) == -1)
			fatal("landlock_add_rule %s", rwdir);
		close(pb.parent_fd);
	}

	if (syscall(__NR_landlock_restrict_self, rfd, 0) == -1)
		fatal("landlock_restrict_self");
	close(rfd);
}

/* Append one instruction. */
static void
sc_put(struct sock_filter *prog, size_t *n, uint16_t code, uint32_t k,
    size_t jt, size_t jf)
{
	if (*n >= SC_MAXPROG || jt > UINT8_MAX || jf > UINT8_MAX)
		fatalx("seccomp: filter too long");
	prog[*n].code = code;
	prog[*n].jt = jt;
	prog[*n].jf = jf;
	prog[*n].k = k;
	(*n)++;
}

/*
 * The rules of one process.  A holds the system call number before and
 * after each rule.  A rule with conditions is
 *
 *	jeq nr, 0, reload
 *	ld arg; [and mask;] jeq val, 0, reload		for each condition
 *	ret action
 * reload:
 *	ld nr
 */
static void
sc_rules_emit(struct sock_filter *prog, size_t *n, int procid, uint32_t self)
{
	const struct sc_rule	*r;
	const struct sc_cond	*c;
	size_t			 i, len, start;
	uint32_t		 ret;
	int			 j, masked;

	for (i = 0; i < sizeof(sc_rules) / sizeof(sc_rules[0]); i++) {
		r = &sc_rules[i];
		if (r->nr == SC_NONE || (r->procs & P(procid)) == 0)
			continue;
		ret = r->err ? SECCOMP_RET_ERRNO | (r->err & SECCOMP_RET_DATA) :
		    SECCOMP_RET_ALLOW;
		if (r->ncond == 0) {
			sc_put(prog, n, BPF_JMP | BPF_JEQ | BPF_K, r->nr, 0, 1);
			sc_put(prog, n, BPF_RET | BPF_K, ret, 0, 0);
			continue;
		}

		len = 3;
		for (j = 0; j < r->ncond; j++)
			len += SC_MASKED(&r->cond[j]) ? 3 : 2;
		start = *n;
		/* from instruction k, reload is start + len - 1 - k - 1 */
		sc_put(prog, n, BPF_JMP | BPF_JEQ | BPF_K, r->nr, 0, len - 2);
		for (j = 0; j < r->ncond; j++) {
			c = &r->cond[j];
			masked = SC_MASKED(c);
			sc_put(prog, n, BPF_LD | BPF_W | BPF_ABS,
			    offsetof(struct seccomp_data, args[c->arg]), 0, 0);
			if (masked)
				sc_put(prog, n, BPF_ALU | BPF_AND | BPF_K,
				    c->mask, 0, 0);
			sc_put(prog, n, BPF_JMP | BPF_JEQ | BPF_K,
			    c->op == SC_SELF ? self : c->val,
			    0, start + len - 2 - *n);
		}
		sc_put(prog, n, BPF_RET | BPF_K, ret, 0, 0);
		sc_put(prog, n, BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr), 0, 0);
	}
}

static void
sandbox_seccomp(int procid)
{
#ifndef SC_ARCH
	fatalx("seccomp: no filter for this architecture");
#else
	static struct sock_filter	 prog[SC_MAXPROG];
	struct sock_fprog		 fprog;
	struct sigaction		 sa;
	uint32_t			 fail;
	size_t				 n = 0;

	/* Wrong architecture: kill, whatever the verbosity. */
	sc_put(prog, &n, BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch), 0, 0);
	sc_put(prog, &n, BPF_JMP | BPF_JEQ | BPF_K, SC_ARCH, 1, 0);
	sc_put(prog, &n, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	sc_put(prog, &n, BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, nr), 0, 0);
#ifdef __x86_64__
	/* The x32 ABI shares AUDIT_ARCH_X86_64: refuse its numbers. */
	sc_put(prog, &n, BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1);
	sc_put(prog, &n, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
#endif
	sc_rules_emit(prog, &n, procid, (uint32_t)getpid());

	fail = SECCOMP_RET_KILL_PROCESS;
	if (log_getverbose() >= 2) {
		sigsys_procname = sandbox_procname(procid);
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sandbox_sigsys;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSYS, &sa, NULL) == -1)
			fatal("sigaction(SIGSYS)");
		fail = SECCOMP_RET_TRAP;
	}
	sc_put(prog, &n, BPF_RET | BPF_K, fail, 0, 0);

	memset(&fprog, 0, sizeof(fprog));
	fprog.len = n;
	fprog.filter = prog;
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_TSYNC, &fprog) != 0) {
		if (errno != ENOSYS)
			fatal("seccomp(SECCOMP_SET_MODE_FILTER)");
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) == -1)
			fatal("prctl(PR_SET_SECCOMP)");
	}
#endif
}

/*
 * Verbose mode: say which system call was refused, then die of SIGSYS
 * as the filter would have done.  Only async-signal-safe calls here,
 * and only calls the filter allows.
 */
static void
sandbox_sigsys(int sig, siginfo_t *si, void *ctx)
{
	struct sigaction	 sa;
	sigset_t		 set;
	char			 buf[128], num[16];
	const char		*s;
	size_t			 n = 0, k = 0;
	unsigned int		 nr;

	nr = (unsigned int)si->si_syscall;
	do {
		num[k++] = '0' + nr % 10;
		nr /= 10;
	} while (nr != 0 && k < sizeof(num));

	for (s = sigsys_procname; *s != '\0' && n < 64; s++)
		buf[n++] = *s;
	for (s = ": sandbox: forbidden system call "; *s != '\0'; s++)
		buf[n++] = *s;
	while (k > 0)
		buf[n++] = num[--k];
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) != (ssize_t)n) {
		/* nowhere else to say it */
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGSYS, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(SIGSYS);
	_exit(128 + SIGSYS);
}

/*
 * A packet socket: no child's filter allows it.  Under the filter this
 * does not return.
 */
int
sandbox_selftest(void)
{
	int	 fd;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd != -1)
		close(fd);
	return (-1);
}
