/*
 * What the parent opens for the children and hands out to them: users
 * and chroot directories, the state directory, the listening sockets and
 * the files with keys.  Each child gets only its own part of the
 * configuration, as fixed structures and fds, so that no child needs a
 * filesystem.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "routstrd.h"

#define LISTEN_BACKLOG	511
#define MINT_SEED_LEN	64	/* bytes of a seed made here */

/* Files the parent opened for the children, by what they are. */
struct keyfiles {
	int	 k_nostr;
	int	 k_seed;
	int	 k_macaroon;	/* LND's */
	int	 k_lndcert;
	int	*k_upstream;		/* one per upstream, -1 if none */
	int	*k_tls_cert;		/* one per listener, -1 if none */
	int	*k_tls_key;
};

static struct keyfiles	 keys;

static void	 prepare_users(void);
static void	 prepare_statedir(void);
static void	 open_listener(struct listener *);
static int	 open_secret(const char *, const char *);
static int	 open_public(const char *, const char *);
static int	 open_seed(struct mint *);
static int	 dupfd(int);
static void	 send_start(struct child *);
static void	 send_proxy(struct child *);
static void	 send_ledger(struct child *);
static void	 send_mint(struct child *);
static void	 send_relay(struct child *);
static void	 compose(struct child *, uint32_t, int, const void *, size_t);
static void	 copy_str(char *, size_t, const char *, const char *);

void
handout_prepare(void)
{
	struct routstrd_conf	*conf = parent->p_conf;
	struct listener		*l;
	struct upstream		*u;
	struct mint		*m, nomint;
	int			 n, i, local = 0, wallet = 0;

	prepare_users();
	prepare_statedir();

	TAILQ_FOREACH(l, &conf->c_listeners, l_entry)
		open_listener(l);

	n = 0;
	TAILQ_FOREACH(l, &conf->c_listeners, l_entry)
		n++;
	if ((keys.k_tls_cert = calloc(n, sizeof(int))) == NULL ||
	    (keys.k_tls_key = calloc(n, sizeof(int))) == NULL)
		fatal(NULL);
	i = 0;
	TAILQ_FOREACH(l, &conf->c_listeners, l_entry) {
		keys.k_tls_cert[i] = keys.k_tls_key[i] = -1;
		if (l->l_tls) {
			keys.k_tls_cert[i] = open_public(l->l_tls_cert,
			    "TLS certificate");
			keys.k_tls_key[i] = open_secret(l->l_tls_key,
			    "TLS key");
		}
		i++;
	}

	n = 0;
	TAILQ_FOREACH(u, &conf->c_upstreams, u_entry)
		n++;
	if ((keys.k_upstream = calloc(n + 1, sizeof(int))) == NULL)
		fatal(NULL);
	i = 0;
	TAILQ_FOREACH(u, &conf->c_upstreams, u_entry) {
		keys.k_upstream[i] = -1;
		if (u->u_keyfile != NULL)
			keys.k_upstream[i] = open_secret(u->u_keyfile,
			    "upstream key");
		i++;
	}

	keys.k_nostr = keys.k_seed = keys.k_macaroon = keys.k_lndcert = -1;
	if (conf->c_nostr_key != NULL)
		keys.k_nostr = open_secret(conf->c_nostr_key, "nostr key");
	TAILQ_FOREACH(m, &conf->c_mints, m_entry) {
		if (!m->m_local) {
			wallet = 1;
			continue;
		}
		local = 1;
		keys.k_seed = open_seed(m);
		/* The macaroon spends the node's funds: a secret. */
		if (m->m_lnd_macaroon != NULL)
			keys.k_macaroon = open_secret(m->m_lnd_macaroon,
			    "lnd macaroon");
		if (m->m_lnd_cert != NULL)
			keys.k_lndcert = open_public(m->m_lnd_cert,
			    "lnd certificate");
	}
	/* The wallet's keys come from the same seed, mint or no mint. */
	if (wallet && !local) {
		memset(&nomint, 0, sizeof(nomint));
		keys.k_seed = open_seed(&nomint);
	}
}

/*
 * The mint's seed: every key of the mint comes from it.  Without a
 * "seed file" it lives in the state directory and is made at the first
 * start; a configured one that is missing is an error, not a new seed.
 */
static int
open_seed(struct mint *m)
{
	struct routstrd_conf	*conf = parent->p_conf;
	unsigned char		 seed[MINT_SEED_LEN];
	char			 path[PATH_MAX];
	ssize_t			 n;
	int			 fd;

	if (m->m_seed != NULL)
		return (open_secret(m->m_seed, "mint seed"));
	if (snprintf(path, sizeof(path), "%s/mint.seed", conf->c_statedir) >=
	    (int)sizeof(path))
		fatalx("state directory path too long");
	if (access(path, F_OK) == 0)
		return (open_secret(path, "mint seed"));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		fatal("create the mint seed %s", path);
	arc4random_buf(seed, sizeof(seed));
	n = write(fd, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	if (n != (ssize_t)sizeof(seed) || fsync(fd) == -1 || close(fd) == -1)
		fatal("write the mint seed %s", path);
	log_warnx("created a new mint seed in %s: back it up, the mint's "
	    "ecash cannot be checked without it", path);
	return (open_secret(path, "mint seed"));
}

/*
 * Started as root, each child runs as its own user, chrooted: the
 * ledger into its database directory, the others into an empty one.
 */
static void
prepare_users(void)
{
	struct routstrd_conf	*conf = parent->p_conf;
	struct child		*c;
	struct passwd		*pw;
	int			 i;

	for (i = 0; i < parent->p_nchildren; i++) {
		c = &parent->p_children[i];
		c->c_user = conf->c_user[c->c_procid];
		c->c_chroot = c->c_procid == PROC_LEDGER ?
		    parent->p_ledgerdir : conf->c_chroot;
		if (!parent->p_privdrop) {
			c->c_uid = getuid();
			c->c_gid = getgid();
			continue;
		}
		if ((pw = getpwnam(c->c_user)) == NULL)
			fatalx("user %s (for the %s process) does not exist; "
			    "create it with \"make users\" or: useradd -r -M "
			    "-d %s -s /usr/sbin/nologin %s", c->c_user,
			    proc_name(c->c_procid), conf->c_chroot, c->c_user);
		if (pw->pw_uid == 0)
			fatalx("user %s must not be root", c->c_user);
		c->c_uid = pw->pw_uid;
		c->c_gid = pw->pw_gid;
	}
	if (parent->p_privdrop && access(conf->c_chroot, X_OK) == -1)
		fatal("chroot directory %s (create it: mkdir -m 0755 %s)",
		    conf->c_chroot, conf->c_chroot);
}

static void
prepare_statedir(void)
{
	struct routstrd_conf	*conf = parent->p_conf;
	struct child		*ledger = NULL;
	struct stat		 st;
	int			 i;

	for (i = 0; i < parent->p_nchildren; i++)
		if (parent->p_children[i].c_procid == PROC_LEDGER)
			ledger = &parent->p_children[i];

	if (mkdir(conf->c_statedir, 0755) == -1 && errno != EEXIST)
		fatal("state directory %s", conf->c_statedir);
	if (mkdir(parent->p_ledgerdir, 0700) == -1 && errno != EEXIST)
		fatal("ledger directory %s", parent->p_ledgerdir);
	if (lstat(parent->p_ledgerdir, &st) == -1)
		fatal("%s", parent->p_ledgerdir);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s is not a directory", parent->p_ledgerdir);
	if (ledger != NULL && (st.st_uid != ledger->c_uid ||
	    (st.st_mode & 077) != 0)) {
		if (!parent->p_privdrop && st.st_uid != ledger->c_uid)
			fatalx("%s belongs to uid %u, not to us",
			    parent->p_ledgerdir, (unsigned)st.st_uid);
		if (chown(parent->p_ledgerdir, ledger->c_uid,
		    ledger->c_gid) == -1 ||
		    chmod(parent->p_ledgerdir, 0700) == -1)
			fatal("%s", parent->p_ledgerdir);
	}
}

static void
open_listener(struct listener *l)
{
	struct sockaddr_un	 sun;
	struct group		*gr;
	mode_t			 old;
	int			 fd, on = 1;

	if (l->l_type == LISTEN_UNIX) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlcpy(sun.sun_path, l->l_path, sizeof(sun.sun_path)) >=
		    sizeof(sun.sun_path))
			fatalx("socket path too long: %s", l->l_path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1)
			fatal("socket");
		/* A stale socket goes; a live one means a second daemon. */
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
		    (errno != ECONNREFUSED && errno != ENOENT))
			fatalx("%s is in use by another process", l->l_path);
		close(fd);
		if (unlink(l->l_path) == -1 && errno != ENOENT)
			fatal("unlink %s", l->l_path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1)
			fatal("socket");
		old = umask(S_IXUSR | S_IXGRP | S_IRWXO);
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			fatal("bind %s", l->l_path);
		umask(old);
		if (chmod(l->l_path, l->l_mode) == -1)
			fatal("chmod %s", l->l_path);
		if (l->l_group != NULL) {
			if ((gr = getgrnam(l->l_group)) == NULL)
				fatalx("group %s does not exist", l->l_group);
			if (chown(l->l_path, -1, gr->gr_gid) == -1)
				fatal("chown %s", l->l_path);
		}
	} else {
		if ((fd = socket(l->l_ss.ss_family, SOCK_STREAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
			fatal("socket");
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == -1)
			fatal("setsockopt SO_REUSEADDR");
		if (l->l_ss.ss_family == AF_INET6 && setsockopt(fd,
		    IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
			fatal("setsockopt IPV6_V6ONLY");
		if (bind(fd, (struct sockaddr *)&l->l_ss, l->l_sslen) == -1)
			fatal("bind %s", listener_name(l));
	}
	if (listen(fd, LISTEN_BACKLOG) == -1)
		fatal("listen %s", listener_name(l));
	l->l_fd = fd;
	log_info("listening on %s%s", listener_name(l),
	    l->l_tls ? " (tls)" : "");
}

const char *
listener_name(struct listener *l)
{
	static char	 buf[IPC_PATH_MAX];
	char		 host[INET6_ADDRSTRLEN];
	in_port_t	 port;

	if (l->l_type == LISTEN_UNIX)
		return (l->l_path);
	if (l->l_ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&l->l_ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		(void)snprintf(buf, sizeof(buf), "[%s]:%u", host, port);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&l->l_ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		(void)snprintf(buf, sizeof(buf), "%s:%u", host, port);
	}
	return (buf);
}

/* A file that holds a secret: refused if others could read it. */
static int
open_secret(const char *path, const char *what)
{
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		fatal("%s %s", what, path);
	if (check_file_secrecy(fd, path) == -1)
		fatalx("%s %s: refusing a file that others can read or "
		    "write (chmod 0600 it)", what, path);
	return (fd);
}

static int
open_public(const char *path, const char *what)
{
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		fatal("%s %s", what, path);
	return (fd);
}

static int
dupfd(int fd)
{
	int	 nfd;

	if (fd == -1)
		return (-1);
	if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		fatal("dup");
	return (nfd);
}

static void
compose(struct child *c, uint32_t type, int fd, const void *data, size_t len)
{
	if (peer_compose(c->c_peer, type, 0, fd, data, len) == -1 ||
	    peer_flush(c->c_peer) == -1)
		fatal("send %s to %s", imsg_type_name(type),
		    proc_name(c->c_procid));
}

/* The parser checked every length; a truncation here is a bug. */
static void
copy_str(char *dst, size_t len, const char *src, const char *what)
{
	if (src == NULL)
		src = "";
	if (strlcpy(dst, src, len) >= len)
		fatalx("%s too long", what);
}

/* First of all, what every child needs to check what follows. */
void
handout_start(void)
{
	int	 i;

	for (i = 0; i < parent->p_nchildren; i++)
		send_start(&parent->p_children[i]);
}

void
handout_send(void)
{
	struct child	*c;
	int		 i;

	for (i = 0; i < parent->p_nchildren; i++) {
		c = &parent->p_children[i];
		switch (c->c_procid) {
		case PROC_PROXY:
			send_proxy(c);
			break;
		case PROC_LEDGER:
			send_ledger(c);
			break;
		case PROC_MINT:
			send_mint(c);
			break;
		case PROC_RELAY:
			send_relay(c);
			break;
		}
		compose(c, IMSG_CONF_END, -1, NULL, 0);
	}

}

/*
 * The children have their copies now: the parent keeps no key file and
 * no listening socket (nothing would accept on it while the suite stops).
 */
void
handout_close(void)
{
	struct routstrd_conf	*conf = parent->p_conf;
	struct listener		*l;
	struct upstream		*u;
	int			 i;

	i = 0;
	TAILQ_FOREACH(l, &conf->c_listeners, l_entry) {
		if (l->l_fd != -1)
			close(l->l_fd);
		l->l_fd = -1;
		if (keys.k_tls_cert[i] != -1)
			close(keys.k_tls_cert[i]);
		if (keys.k_tls_key[i] != -1)
			close(keys.k_tls_key[i]);
		keys.k_tls_cert[i] = keys.k_tls_key[i] = -1;
		i++;
	}
	i = 0;
	TAILQ_FOREACH(u, &conf->c_upstreams, u_entry) {
		if (keys.k_upstream[i] != -1)
			close(keys.k_upstream[i]);
		keys.k_upstream[i++] = -1;
	}
	if (keys.k_nostr != -1)
		close(keys.k_nostr);
	if (keys.k_seed != -1)
		close(keys.k_seed);
	if (keys.k_macaroon != -1)
		close(keys.k_macaroon);
	if (keys.k_lndcert != -1)
		close(keys.k_lndcert);
	keys.k_nostr = keys.k_seed = keys.k_macaroon = keys.k_lndcert = -1;
}

static void
send_start(struct child *c)
{
	struct ipc_conf_start	 cs;
	int			 i;

	memset(&cs, 0, sizeof(cs));
	cs.cs_verbose = parent->p_verbose;
	for (i = 0; i < parent->p_nchildren; i++)
		cs.cs_instances[parent->p_children[i].c_procid]++;
	cs.cs_privdrop = parent->p_privdrop;
	cs.cs_uid = c->c_uid;
	cs.cs_gid = c->c_gid;
	copy_str(cs.cs_chroot, sizeof(cs.cs_chroot), c->c_chroot, "chroot");
	copy_str(cs.cs_user, sizeof(cs.cs_user), c->c_user, "user");
	compose(c, IMSG_CONF_START, -1, &cs, sizeof(cs));
}

static void
send_proxy(struct child *c)
{
	struct routstrd_conf		*conf = parent->p_conf;
	struct ipc_conf_proxy		 cp;
	struct ipc_conf_listener	 cl;
	struct ipc_conf_ref		 cr;
	struct ipc_conf_url		 cu;
	struct ipc_conf_upstream	 up;
	struct ipc_conf_model		 cm;
	struct listener			*l;
	struct upstream			*u;
	struct model			*m;
	struct mint			*mi;
	int				 i;

	memset(&cp, 0, sizeof(cp));
	copy_str(cp.cp_name, sizeof(cp.cp_name), conf->c_name, "name");
	copy_str(cp.cp_about, sizeof(cp.cp_about), conf->c_about, "about");
	copy_str(cp.cp_http_url, sizeof(cp.cp_http_url), conf->c_http_url,
	    "http url");
	copy_str(cp.cp_onion_url, sizeof(cp.cp_onion_url), conf->c_onion_url,
	    "onion url");
	cp.cp_child_key_cost = conf->c_child_key_cost;
	cp.cp_max_connections = conf->c_max_connections;
	cp.cp_max_header_size = conf->c_max_header_size;
	cp.cp_max_headers = conf->c_max_headers;
	cp.cp_max_body_size = conf->c_max_body_size;
	cp.cp_timeout_idle = conf->c_timeout_idle;
	cp.cp_timeout_read = conf->c_timeout_read;
	cp.cp_price_refresh = conf->c_price_refresh;
	cp.cp_price_max_age = conf->c_price_max_age;
	for (i = 0; i < PRICE_SOURCES; i++)
		copy_str(cp.cp_price_url[i], sizeof(cp.cp_price_url[i]),
		    conf->c_price_url[i], "price source url");
	compose(c, IMSG_CONF_PROXY, -1, &cp, sizeof(cp));

	i = 0;
	TAILQ_FOREACH(l, &conf->c_listeners, l_entry) {
		memset(&cl, 0, sizeof(cl));
		cl.cl_id = l->l_id;
		cl.cl_type = l->l_type;
		cl.cl_tls = l->l_tls;
		copy_str(cl.cl_name, sizeof(cl.cl_name), listener_name(l),
		    "listener");
		compose(c, IMSG_CONF_LISTENER, dupfd(l->l_fd), &cl,
		    sizeof(cl));
		if (l->l_tls) {
			cr.cr_id = l->l_id;
			compose(c, IMSG_CONF_TLS_CERT,
			    dupfd(keys.k_tls_cert[i]), &cr, sizeof(cr));
			compose(c, IMSG_CONF_TLS_KEY,
			    dupfd(keys.k_tls_key[i]), &cr, sizeof(cr));
		}
		i++;
	}

	/* /v1/info lists the mints whose tokens the node takes. */
	TAILQ_FOREACH(mi, &conf->c_mints, m_entry) {
		memset(&cu, 0, sizeof(cu));
		if (mi->m_local)
			copy_str(cu.cu_url, sizeof(cu.cu_url),
			    conf->c_http_url, "mint url");
		else
			copy_str(cu.cu_url, sizeof(cu.cu_url), mi->m_url,
			    "mint url");
		if (cu.cu_url[0] != '\0')
			compose(c, IMSG_CONF_INFO_MINT, -1, &cu, sizeof(cu));
	}

	i = 0;
	TAILQ_FOREACH(u, &conf->c_upstreams, u_entry) {
		memset(&up, 0, sizeof(up));
		copy_str(up.cu_name, sizeof(up.cu_name), u->u_name,
		    "upstream name");
		copy_str(up.cu_url, sizeof(up.cu_url), u->u_url,
		    "upstream url");
		up.cu_type = u->u_type;
		up.cu_timeout = u->u_timeout;
		up.cu_haskey = keys.k_upstream[i] != -1;
		compose(c, IMSG_CONF_UPSTREAM, dupfd(keys.k_upstream[i]), &up,
		    sizeof(up));
		i++;
	}

	TAILQ_FOREACH(m, &conf->c_models, m_entry) {
		memset(&cm, 0, sizeof(cm));
		copy_str(cm.cm_id, sizeof(cm.cm_id), m->m_id, "model");
		copy_str(cm.cm_upstream, sizeof(cm.cm_upstream),
		    m->m_upstream, "model upstream");
		copy_str(cm.cm_upstream_id, sizeof(cm.cm_upstream_id),
		    m->m_upstream_id != NULL ? m->m_upstream_id : m->m_id,
		    "model upstream id");
		cm.cm_usd = m->m_usd;
		cm.cm_prompt = m->m_prompt;
		cm.cm_completion = m->m_completion;
		cm.cm_request = m->m_request;
		cm.cm_cache_read = m->m_cache_read;
		cm.cm_cache_write = m->m_cache_write;
		cm.cm_context_length = m->m_context_length;
		cm.cm_max_completion = m->m_max_completion;
		cm.cm_markup = m->m_markup != -1 ? m->m_markup : conf->c_markup;
		compose(c, IMSG_CONF_MODEL, -1, &cm, sizeof(cm));
	}
}

static void
send_ledger(struct child *c)
{
	struct ipc_conf_ledger	 cl;

	memset(&cl, 0, sizeof(cl));
	/* After the chroot, the database directory is the root. */
	copy_str(cl.cl_dbdir, sizeof(cl.cl_dbdir),
	    parent->p_privdrop ? "/" : parent->p_ledgerdir, "ledger dir");
	compose(c, IMSG_CONF_LEDGER, -1, &cl, sizeof(cl));
}

static void
send_mint(struct child *c)
{
	struct routstrd_conf	*conf = parent->p_conf;
	struct ipc_conf_mint	 cm;
	struct ipc_conf_url	 cu;
	struct mint		*m;
	int			 local = 0;

	TAILQ_FOREACH(m, &conf->c_mints, m_entry) {
		if (m->m_local) {
			local = 1;
			memset(&cm, 0, sizeof(cm));
			cm.cm_local = 1;
			cm.cm_lightning = m->m_lightning;
			cm.cm_fake_delay = m->m_fake_delay;
			copy_str(cm.cm_lnd_url, sizeof(cm.cm_lnd_url),
			    m->m_lnd_url, "lnd url");
			cm.cm_hasseed = keys.k_seed != -1;
			cm.cm_input_fee_ppk = m->m_input_fee;
			compose(c, IMSG_CONF_MINT, dupfd(keys.k_seed), &cm,
			    sizeof(cm));
			if (keys.k_macaroon != -1)
				compose(c, IMSG_CONF_LND_MACAROON,
				    dupfd(keys.k_macaroon), NULL, 0);
			if (keys.k_lndcert != -1)
				compose(c, IMSG_CONF_LND_CERT,
				    dupfd(keys.k_lndcert), NULL, 0);
		} else {
			memset(&cu, 0, sizeof(cu));
			copy_str(cu.cu_url, sizeof(cu.cu_url), m->m_url,
			    "mint url");
			compose(c, IMSG_CONF_TRUSTED_MINT, -1, &cu, sizeof(cu));
		}
	}
	if (!local && keys.k_seed != -1) {
		/* No mint: the seed alone, for the wallet. */
		memset(&cm, 0, sizeof(cm));
		cm.cm_hasseed = 1;
		compose(c, IMSG_CONF_MINT, dupfd(keys.k_seed), &cm, sizeof(cm));
	}
	if (keys.k_nostr != -1)
		compose(c, IMSG_CONF_NOSTR_KEY, dupfd(keys.k_nostr), NULL, 0);
}

static void
send_relay(struct child *c)
{
	struct routstrd_conf	*conf = parent->p_conf;
	struct ipc_conf_url	 cu;
	struct relay		*r;

	TAILQ_FOREACH(r, &conf->c_relays, r_entry) {
		memset(&cu, 0, sizeof(cu));
		copy_str(cu.cu_url, sizeof(cu.cu_url), r->r_url, "relay url");
		compose(c, IMSG_CONF_RELAY, -1, &cu, sizeof(cu));
	}
}
