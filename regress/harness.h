/*
 * Test and bench harness: run one child binary of the suite with this
 * program as its parent (fd 3) and as its peers, and talk imsg to it.
 */

#ifndef HARNESS_H
#define HARNESS_H

#include <sys/types.h>

#include <limits.h>
#include <stdint.h>

#include "imsg.h"
#include "ipc.h"

#define HARNESS_WAIT_MS		10000
#define HARNESS_PEERS_MAX	(PROC_INSTANCES_MAX + 3)

struct harness_peer {
	struct imsgbuf	 hp_ibuf;
	int		 hp_procid;
	int		 hp_instance;
	int		 hp_fd;
};

struct harness {
	pid_t			 h_pid;
	int			 h_procid;
	struct imsgbuf		 h_parent;	/* we play the parent */
	struct harness_peer	 h_peers[HARNESS_PEERS_MAX];
	int			 h_npeers;
	char			 h_log[PATH_MAX];
	uint32_t		 h_nextid;
};

/* The top of the source tree: $TOP or ".". */
const char	*harness_top(void);
/* Start bin (relative to the top) as procid, logging to log. */
int	 harness_spawn(struct harness *, const char *, int, const char *);
/* The same, with "NAME=value" strings (NULL-terminated) in its environment. */
int	 harness_spawn_env(struct harness *, const char *, int, const char *,
	    char *const *);
/* Give it peers: instances[procid] of each (0 for itself is ignored). */
int	 harness_start(struct harness *, const int *, const char *);
/* Send one message (flushed). */
int	 harness_send(struct imsgbuf *, uint32_t, uint32_t, int, const void *,
	    size_t);
/* The next message, or -1 on EOF, error or timeout (ms). */
int	 harness_recv(struct imsgbuf *, struct imsg *, int);
void	 harness_free_msg(struct imsg *);
/* Complete the hello of every peer and wait for READY: 0 or -1. */
int	 harness_ready(struct harness *);
struct harness_peer *harness_peer(struct harness *, int, int);
/* Exit status, or -1 if still alive after ms (then it is killed). */
int	 harness_reap(struct harness *, int);
int	 harness_log_has(struct harness *, const char *);
void	 harness_close(struct harness *);

#endif /* HARNESS_H */
