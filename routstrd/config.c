/*
 * The configuration outside the grammar: defaults, freeing, printing the
 * normalised configuration (routstrd -nv) and the secrecy check of files.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "config.h"

static char	*xstrdup(const char *);
static void	 print_str(FILE *, const char *);
static void	 print_decimal(FILE *, uint64_t, int);
static void	 print_listener(FILE *, struct listener *);
static void	 print_mint(FILE *, struct mint *);
static void	 print_upstream(FILE *, struct upstream *);
static void	 print_model(FILE *, struct model *);
static void	 print_pricing(FILE *, struct routstrd_conf *);

static const char *const user_kw[PROC_MAX] = {
	[PROC_PROXY] = "proxy",
	[PROC_LEDGER] = "ledger",
	[PROC_MINT] = "mint",
	[PROC_RELAY] = "relay",
};

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("%s", __func__);
	return (p);
}

struct routstrd_conf *
config_new(void)
{
	struct routstrd_conf	*conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		fatal("%s", __func__);
	conf->c_name = xstrdup("routstrd");
	conf->c_about = xstrdup("");
	conf->c_statedir = xstrdup(ROUTSTRD_STATEDIR);
	conf->c_chroot = xstrdup(ROUTSTRD_CHROOT);
	conf->c_control = xstrdup(ROUTSTRD_SOCKET);
	conf->c_user[PROC_PROXY] = xstrdup(ROUTSTRD_USER_PROXY);
	conf->c_user[PROC_LEDGER] = xstrdup(ROUTSTRD_USER_LEDGER);
	conf->c_user[PROC_MINT] = xstrdup(ROUTSTRD_USER_MINT);
	conf->c_user[PROC_RELAY] = xstrdup(ROUTSTRD_USER_RELAY);
	conf->c_prefork = 1;
	conf->c_child_key_cost = 0;
	conf->c_max_connections = HTTP_MAX_CONNECTIONS;
	conf->c_max_header_size = HTTP_MAX_HEADER_SIZE;
	conf->c_max_headers = HTTP_MAX_HEADERS;
	conf->c_max_body_size = HTTP_MAX_BODY_SIZE;
	conf->c_timeout_idle = HTTP_TIMEOUT_IDLE;
	conf->c_timeout_read = HTTP_TIMEOUT_READ;
	conf->c_markup = 0;
	conf->c_price_refresh = PRICE_REFRESH;
	conf->c_price_max_age = PRICE_MAX_AGE;
	TAILQ_INIT(&conf->c_listeners);
	TAILQ_INIT(&conf->c_mints);
	TAILQ_INIT(&conf->c_upstreams);
	TAILQ_INIT(&conf->c_models);
	TAILQ_INIT(&conf->c_relays);
	return (conf);
}

void
config_free(struct routstrd_conf *conf)
{
	struct listener	*l;
	struct mint	*m;
	struct upstream	*u;
	struct model	*mo;
	struct relay	*r;
	int		 i;

	if (conf == NULL)
		return;
	while ((l = TAILQ_FIRST(&conf->c_listeners)) != NULL) {
		TAILQ_REMOVE(&conf->c_listeners, l, l_entry);
		if (l->l_fd != -1)
			close(l->l_fd);
		free(l->l_path);
		free(l->l_group);
		free(l->l_tls_cert);
		free(l->l_tls_key);
		free(l);
	}
	while ((m = TAILQ_FIRST(&conf->c_mints)) != NULL) {
		TAILQ_REMOVE(&conf->c_mints, m, m_entry);
		free(m->m_url);
		free(m->m_lnd_url);
		free(m->m_lnd_macaroon);
		free(m->m_lnd_cert);
		free(m->m_seed);
		free(m);
	}
	while ((u = TAILQ_FIRST(&conf->c_upstreams)) != NULL) {
		TAILQ_REMOVE(&conf->c_upstreams, u, u_entry);
		free(u->u_name);
		free(u->u_url);
		free(u->u_keyfile);
		free(u);
	}
	while ((mo = TAILQ_FIRST(&conf->c_models)) != NULL) {
		TAILQ_REMOVE(&conf->c_models, mo, m_entry);
		free(mo->m_id);
		free(mo->m_upstream);
		free(mo->m_upstream_id);
		free(mo);
	}
	while ((r = TAILQ_FIRST(&conf->c_relays)) != NULL) {
		TAILQ_REMOVE(&conf->c_relays, r, r_entry);
		free(r->r_url);
		free(r);
	}
	free(conf->c_name);
	free(conf->c_about);
	free(conf->c_http_url);
	free(conf->c_onion_url);
	free(conf->c_statedir);
	free(conf->c_chroot);
	free(conf->c_control);
	free(conf->c_nostr_key);
	for (i = 0; i < PROC_MAX; i++)
		free(conf->c_user[i]);
	for (i = 0; i < PRICE_SOURCES; i++)
		free(conf->c_price_url[i]);
	free(conf);
}

/* A string in double quotes, such that the lexer reads it back as is. */
static void
print_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* A fixed-point amount with "scale" decimals, trailing zeros dropped. */
static void
print_decimal(FILE *fp, uint64_t v, int scale)
{
	uint64_t	 div = 1, frac;
	int		 i, digits = scale;

	for (i = 0; i < scale; i++)
		div *= 10;
	fprintf(fp, "%llu", (unsigned long long)(v / div));
	if ((frac = v % div) == 0)
		return;
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	fprintf(fp, ".%0*llu", digits, (unsigned long long)frac);
}

static void
print_listener(FILE *fp, struct listener *l)
{
	char	 host[NI_MAXHOST];
	int	 error;

	if (l->l_type == LISTEN_UNIX) {
		fprintf(fp, "listen on socket ");
		print_str(fp, l->l_path);
		fprintf(fp, " mode %04o", (unsigned int)l->l_mode);
		if (l->l_group != NULL) {
			fprintf(fp, " group ");
			print_str(fp, l->l_group);
		}
		fputc('\n', fp);
		return;
	}
	if ((error = getnameinfo((struct sockaddr *)&l->l_ss, l->l_sslen,
	    host, sizeof(host), NULL, 0, NI_NUMERICHOST)) != 0)
		strlcpy(host, "?", sizeof(host));
	fprintf(fp, "listen on %s port %d", host,
	    l->l_ss.ss_family == AF_INET6 ?
	    ntohs(((struct sockaddr_in6 *)&l->l_ss)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&l->l_ss)->sin_port));
	if (l->l_tls) {
		fprintf(fp, " tls certificate ");
		print_str(fp, l->l_tls_cert);
		fprintf(fp, " key ");
		print_str(fp, l->l_tls_key);
	}
	fputc('\n', fp);
}

static void
print_mint(FILE *fp, struct mint *m)
{
	if (!m->m_local) {
		fprintf(fp, "mint ");
		print_str(fp, m->m_url);
		fprintf(fp, " trusted\n");
		return;
	}
	fprintf(fp, "mint local {\n");
	if (m->m_lightning == LIGHTNING_LND) {
		fprintf(fp, "\tlightning lnd\n\turl ");
		print_str(fp, m->m_lnd_url);
		fprintf(fp, "\n\tmacaroon file ");
		print_str(fp, m->m_lnd_macaroon);
		fputc('\n', fp);
		if (m->m_lnd_cert != NULL) {
			fprintf(fp, "\tcertificate ");
			print_str(fp, m->m_lnd_cert);
			fputc('\n', fp);
		}
	} else
		fprintf(fp, "\tlightning fake\n\tdelay %u\n", m->m_fake_delay);
	fprintf(fp, "\tinput fee %u\n", m->m_input_fee);
	if (m->m_seed != NULL) {
		fprintf(fp, "\tseed file ");
		print_str(fp, m->m_seed);
		fputc('\n', fp);
	}
	fprintf(fp, "}\n");
}

static void
print_upstream(FILE *fp, struct upstream *u)
{
	const char	*type;

	switch (u->u_type) {
	case UPSTREAM_ANTHROPIC:
		type = "anthropic";
		break;
	case UPSTREAM_ECHO:
		type = "echo";
		break;
	default:
		type = "openai";
		break;
	}
	fprintf(fp, "upstream ");
	print_str(fp, u->u_name);
	fprintf(fp, " {\n\ttype %s\n", type);
	if (u->u_url != NULL) {
		fprintf(fp, "\turl ");
		print_str(fp, u->u_url);
		fputc('\n', fp);
	}
	if (u->u_keyfile != NULL) {
		fprintf(fp, "\tkey file ");
		print_str(fp, u->u_keyfile);
		fputc('\n', fp);
	}
	fprintf(fp, "\ttimeout %u\n}\n", u->u_timeout);
}

static void
print_model(FILE *fp, struct model *m)
{
	int	 scale = m->m_usd ? 6 : 3;

	fprintf(fp, "model ");
	print_str(fp, m->m_id);
	fprintf(fp, " upstream ");
	print_str(fp, m->m_upstream);
	if (m->m_upstream_id != NULL) {
		fprintf(fp, " as ");
		print_str(fp, m->m_upstream_id);
	}
	fprintf(fp, " price%s prompt ", m->m_usd ? " usd" : "");
	print_decimal(fp, m->m_prompt, scale);
	fprintf(fp, " completion ");
	print_decimal(fp, m->m_completion, scale);
	fprintf(fp, " request ");
	print_decimal(fp, m->m_request, scale);
	/* By default a cache costs what the prompt does. */
	if (m->m_cache_read != m->m_prompt) {
		fprintf(fp, " cache read ");
		print_decimal(fp, m->m_cache_read, scale);
	}
	if (m->m_cache_write != m->m_prompt) {
		fprintf(fp, " cache write ");
		print_decimal(fp, m->m_cache_write, scale);
	}
	if (m->m_context_length != 0)
		fprintf(fp, " context length %llu",
		    (unsigned long long)m->m_context_length);
	if (m->m_max_completion != 0)
		fprintf(fp, " max completion %llu",
		    (unsigned long long)m->m_max_completion);
	if (m->m_markup != -1) {
		fprintf(fp, " markup ");
		print_decimal(fp, m->m_markup, 2);
	}
	fputc('\n', fp);
}

static void
print_pricing(FILE *fp, struct routstrd_conf *conf)
{
	static const char *const names[PRICE_SOURCES] = PRICE_SOURCE_NAMES;
	int			 i;

	fprintf(fp, "markup ");
	print_decimal(fp, conf->c_markup, 2);
	fprintf(fp, "\nprice refresh %u\n", conf->c_price_refresh);
	fprintf(fp, "price max age %u\n", conf->c_price_max_age);
	for (i = 0; i < PRICE_SOURCES; i++) {
		if (conf->c_price_url[i] == NULL)
			continue;
		fprintf(fp, "price source %s url ", names[i]);
		print_str(fp, conf->c_price_url[i]);
		fputc('\n', fp);
	}
}

void
config_print(FILE *fp, struct routstrd_conf *conf)
{
	struct listener	*l;
	struct mint	*m;
	struct upstream	*u;
	struct model	*mo;
	struct relay	*r;
	int		 i;

	fprintf(fp, "name ");
	print_str(fp, conf->c_name);
	fprintf(fp, "\nabout ");
	print_str(fp, conf->c_about);
	fputc('\n', fp);
	if (conf->c_http_url != NULL) {
		fprintf(fp, "http url ");
		print_str(fp, conf->c_http_url);
		fputc('\n', fp);
	}
	if (conf->c_onion_url != NULL) {
		fprintf(fp, "onion url ");
		print_str(fp, conf->c_onion_url);
		fputc('\n', fp);
	}
	fprintf(fp, "prefork %d\n", conf->c_prefork);
	fprintf(fp, "child key cost %llu\n",
	    (unsigned long long)conf->c_child_key_cost);
	fprintf(fp, "state directory ");
	print_str(fp, conf->c_statedir);
	fprintf(fp, "\nchroot ");
	print_str(fp, conf->c_chroot);
	fprintf(fp, "\ncontrol socket ");
	print_str(fp, conf->c_control);
	fputc('\n', fp);
	for (i = PROC_PROXY; i < PROC_MAX; i++) {
		fprintf(fp, "user %s ", user_kw[i]);
		print_str(fp, conf->c_user[i]);
		fputc('\n', fp);
	}
	fprintf(fp, "max connections %u\n", conf->c_max_connections);
	fprintf(fp, "max header size %u\n", conf->c_max_header_size);
	fprintf(fp, "max headers %u\n", conf->c_max_headers);
	fprintf(fp, "max body size %llu\n",
	    (unsigned long long)conf->c_max_body_size);
	fprintf(fp, "timeout idle %u\n", conf->c_timeout_idle);
	fprintf(fp, "timeout read %u\n", conf->c_timeout_read);
	if (conf->c_nostr_key != NULL) {
		fprintf(fp, "nostr key file ");
		print_str(fp, conf->c_nostr_key);
		fputc('\n', fp);
	}

	if (!TAILQ_EMPTY(&conf->c_listeners))
		fputc('\n', fp);
	TAILQ_FOREACH(l, &conf->c_listeners, l_entry)
		print_listener(fp, l);
	if (!TAILQ_EMPTY(&conf->c_mints))
		fputc('\n', fp);
	TAILQ_FOREACH(m, &conf->c_mints, m_entry)
		print_mint(fp, m);
	TAILQ_FOREACH(u, &conf->c_upstreams, u_entry) {
		fputc('\n', fp);
		print_upstream(fp, u);
	}
	fputc('\n', fp);
	print_pricing(fp, conf);
	if (!TAILQ_EMPTY(&conf->c_models))
		fputc('\n', fp);
	TAILQ_FOREACH(mo, &conf->c_models, m_entry)
		print_model(fp, mo);
	if (!TAILQ_EMPTY(&conf->c_relays))
		fputc('\n', fp);
	TAILQ_FOREACH(r, &conf->c_relays, r_entry) {
		fprintf(fp, "relay ");
		print_str(fp, r->r_url);
		fputc('\n', fp);
	}
}

/*
 * Why a file that may hold secrets must not be used, or NULL: it must
 * belong to root or to us, and no one else may write it, nor read it
 * unless through its group.
 */
const char *
file_secrecy_error(int fd)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1)
		return (strerror(errno));
	if (st.st_uid != 0 && st.st_uid != getuid())
		return ("owner not root or current user");
	if (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO))
		return ("group writable or world read/writable");
	return (NULL);
}

int
check_file_secrecy(int fd, const char *fname)
{
	const char	*reason;

	if ((reason = file_secrecy_error(fd)) != NULL) {
		log_warnx("%s: %s", fname, reason);
		return (-1);
	}
	return (0);
}
