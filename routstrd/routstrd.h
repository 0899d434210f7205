/*
 * The parent process of routstrd and the proxy child that shares its
 * binary.
 */

#ifndef ROUTSTRD_H
#define ROUTSTRD_H

#include <sys/types.h>

#include "config.h"
#include "proc.h"

/* One child process as the parent sees it. */
struct child {
	int			 c_procid;
	int			 c_instance;
	pid_t			 c_pid;
	struct peer		*c_peer;
	int			 c_ready;
	int			 c_exited;
	int			 c_status;	/* from waitpid(2) */
	uid_t			 c_uid;
	gid_t			 c_gid;
	const char		*c_user;
	const char		*c_chroot;
	char			*c_path;	/* binary to execute */
};

struct parent {
	struct routstrd_conf	*p_conf;
	struct child		*p_children;
	int			 p_nchildren;
	int			 p_privdrop;	/* started as root */
	int			 p_debug;
	int			 p_verbose;
	int			 p_shutdown;
	time_t			 p_started;
	char			*p_ledgerdir;
};

extern struct parent	*parent;

/* routstrd.c */
int		 parent_dispatch_child(struct peer *, struct imsg *);
__dead void	 parent_shutdown(int);
void		 parent_child_closed(struct peer *);

/* children.c */
void		 children_find_binaries(const char *);
void		 children_start(int, char **);
void		 children_connect(void);
void		 children_reap(void);
void		 children_stop(void);
struct child	*child_by_pid(pid_t);
const char	*child_title(struct child *, char *, size_t);

/* handout.c */
void		 handout_prepare(void);
void		 handout_start(void);
void		 handout_send(void);
void		 handout_close(void);
const char	*listener_name(struct listener *);

#define CONTROL_PEER		(-1)	/* p_procid of a control client */

/* control.c */
int		 control_init(const char *);
void		 control_listen(void);
void		 control_cleanup(const char *);
void		 control_child_died(struct child *);
int		 control_local_mint(void);

/* control_ledger.c */
void		 control_ledger_check(struct peer *, uint32_t);
void		 control_ledger_backup(struct peer *, uint32_t, struct imsg *);
void		 control_mint_show(struct peer *, uint32_t);

/* resolve.c */
void		 resolve_init(void);
int		 resolve_start(struct child *, struct imsg *);

/* proxy.c */
__dead void	 proxy_main(int, char **);

#endif /* ROUTSTRD_H */
