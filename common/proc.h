/*
 * proc.c: the process framework shared by the parent and the children.
 * A peer is one imsg channel on the event loop; a request is a message
 * that expects a reply echoing its id (imsg peerid) within a timeout.
 */

#ifndef PROC_H
#define PROC_H

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdint.h>
#include <time.h>

#include "imsg.h"
#include "ipc.h"

#define PROC_PARENT_SOCK_FILENO	3
#define PEER_QUEUE_MAX		1024	/* replies queued before we stop reading */
#define PROC_PRIORITIES		3	/* libevent priorities in a child */

struct peer;
struct imsg;

struct peer {
	TAILQ_ENTRY(peer)	 p_entry;
	struct imsgbuf		 p_ibuf;
	struct event		 p_ev;
	short			 p_events;
	int			 p_procid;
	int			 p_instance;
	int			 p_dead;
	int			 p_busy;	/* in its own dispatch */
	int			 p_paused;	/* not read until resumed */
	int			 p_malformed;	/* closed for a bad message */
	int			 p_greeted;	/* its hello was answered */
	int			 p_hello;	/* channel proven */
	pid_t			 p_pid;		/* parent: the child's pid */
	/* returns -1 when the message is malformed: the channel closes */
	int			(*p_dispatch)(struct peer *, struct imsg *);
	void			(*p_closed)(struct peer *);
	void			*p_arg;
};
TAILQ_HEAD(peerlist, peer);

/* What a child tells proc_child_main() about itself. */
struct proc_child {
	int	  pc_procid;
	/* IMSG_CONF_* other than START and END, from the parent */
	int	(*pc_conf)(struct imsg *);
	/* IMSG_CONF_END: configured, still privileged, before the sandbox */
	void	(*pc_configured)(void);
	/* the directory the sandbox leaves writable, or NULL */
	const char *(*pc_rwdir)(void);
	/* after the sandbox, before the hello exchange */
	void	(*pc_sandboxed)(void);
	/*
	 * Every channel of the mesh is proven.  Return 0 to be reported
	 * ready now, 1 to call proc_ready() later (after more start-up).
	 */
	int	(*pc_ready)(void);
	/* a message from a peer child that proc.c does not handle itself */
	int	(*pc_dispatch)(struct peer *, struct imsg *);
	/* the same from the parent, once configured (routstrctl requests) */
	int	(*pc_dispatch_parent)(struct peer *, struct imsg *);
	/* SIGTERM: stop accepting work, flush, then call proc_exit() */
	void	(*pc_shutdown)(void);
	/* text for the status reply ("ready", "ready, 3 connections") */
	void	(*pc_state)(char *, size_t);
};

/* proc.c */
struct peer	*peer_new(int, int, int,
		    int (*)(struct peer *, struct imsg *));
void		 peer_close(struct peer *);
void		 peer_event_add(struct peer *);
void		 peer_pause(struct peer *, int);
int		 peer_compose(struct peer *, uint32_t, uint32_t, int,
		    const void *, size_t);
int		 peer_flush(struct peer *);
struct peer	*peer_find(int, int);
struct peerlist	*peer_list(void);

uint32_t	 proc_request(struct peer *, uint32_t, const void *, size_t,
		    int, void (*)(struct imsg *, void *), void *);
void		 proc_request_cancel(uint32_t);
int		 proc_reply(struct peer *, struct imsg *);

__dead void	 proc_child_main(const struct proc_child *, int, char **);
__dead void	 proc_exit(int);
void		 proc_ready(void);
int		 proc_child_instance(void);
const struct ipc_conf_start *proc_child_conf(void);
struct peer	*proc_parent(void);
void		 proc_status(struct ipc_status *, const char *);

/* proctitle.c */
void		 proc_title_init(int, char **);
void		 proc_title(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));

#endif /* PROC_H */
