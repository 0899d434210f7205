/*
 * sandbox.c: confine a child once it has its configuration and its fds.
 * In order: chroot and switch to the process's own user (when started
 * as root), PR_SET_NO_NEW_PRIVS, Landlock (filesystem), seccomp-bpf
 * (system calls).  Anything outside the allow-list kills the process.
 */

#ifndef SANDBOX_H
#define SANDBOX_H

struct ipc_conf_start;

/* procid: PROC_PROXY, PROC_LEDGER, PROC_MINT or PROC_RELAY (ipc.h). */
void	sandbox_drop(int, const struct ipc_conf_start *);
void	sandbox_confine(int, const char *);
int	sandbox_selftest(void);
int	sandbox_landlock_abi(void);

#endif /* SANDBOX_H */
