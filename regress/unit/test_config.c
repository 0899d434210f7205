/*
 * The values parse_config() stores, which -nv only shows printed back:
 * prices in msat or micro-USD per million tokens, sizes, defaults.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ipc.h"
#include "log.h"
#include "test.h"

static char	 path[] = "/tmp/test_config.XXXXXX";

static struct routstrd_conf *
parse(const char *text)
{
	FILE	*fp;
	int	 fd;

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		return (NULL);
	fputs(text, fp);
	fclose(fp);
	return (parse_config(path));
}

static struct model *
model(struct routstrd_conf *c, const char *id)
{
	struct model	*m;

	TAILQ_FOREACH(m, &c->c_models, m_entry)
		if (strcmp(m->m_id, id) == 0)
			return (m);
	return (NULL);
}

int
main(void)
{
	struct routstrd_conf	*c;
	struct listener		*l;
	struct model		*m;
	struct upstream		*u;

	log_init(1, 0);
	c = parse("listen on 127.0.0.1 port 8000\n");
	if (T(c != NULL, "a minimal configuration parses")) {
		T(strcmp(c->c_statedir, ROUTSTRD_STATEDIR) == 0 &&
		    strcmp(c->c_control, ROUTSTRD_SOCKET) == 0 &&
		    strcmp(c->c_chroot, ROUTSTRD_CHROOT) == 0,
		    "default paths");
		T(c->c_prefork == 1, "prefork defaults to 1");
		T(strcmp(c->c_user[PROC_PROXY], ROUTSTRD_USER_PROXY) == 0 &&
		    strcmp(c->c_user[PROC_LEDGER], ROUTSTRD_USER_LEDGER) == 0 &&
		    strcmp(c->c_user[PROC_MINT], ROUTSTRD_USER_MINT) == 0 &&
		    strcmp(c->c_user[PROC_RELAY], ROUTSTRD_USER_RELAY) == 0,
		    "a user of its own per process");
		T(c->c_max_body_size == HTTP_MAX_BODY_SIZE &&
		    c->c_max_header_size == HTTP_MAX_HEADER_SIZE &&
		    c->c_max_headers == HTTP_MAX_HEADERS &&
		    c->c_max_connections == HTTP_MAX_CONNECTIONS &&
		    c->c_timeout_idle == HTTP_TIMEOUT_IDLE &&
		    c->c_timeout_read == HTTP_TIMEOUT_READ, "default limits");
		l = TAILQ_FIRST(&c->c_listeners);
		T(l != NULL && l->l_type == LISTEN_TCP &&
		    l->l_ss.ss_family == AF_INET &&
		    ntohs(((struct sockaddr_in *)&l->l_ss)->sin_port) == 8000 &&
		    !l->l_tls, "one TCP listener on port 8000");
		config_free(c);
	}
	unlink(path);
	strlcpy(path, "/tmp/test_config.XXXXXX", sizeof(path));

	c = parse("listen on ::1 port 1\n"
	    "listen on socket \"/tmp/x.sock\" mode 0600\n"
	    "user mint \"m\"\nuser \"all\"\n"
	    "max body size 2M\nmax header size 8K\n"
	    "upstream u { type echo }\n"
	    "upstream o { url \"https://example.org/v1\" timeout 7 }\n"
	    "model \"a\" upstream u price prompt 0.15 completion 0.6\n"
	    "model \"b\" upstream o as \"b-2\" price usd prompt 0.000001 "
	    "completion 15.5 request 0.01\n"
	    "model \"f\" upstream u price prompt 18446744073709551.615 "
	    "completion 0\n");
	if (T(c != NULL, "a fuller configuration parses")) {
		T(c->c_max_body_size == 2 * 1024 * 1024 &&
		    c->c_max_header_size == 8 * 1024, "K and M suffixes");
		T(strcmp(c->c_user[PROC_MINT], "m") == 0 &&
		    strcmp(c->c_user[PROC_LEDGER], "all") == 0,
		    "user PROC wins over user, whatever the order");
		l = TAILQ_FIRST(&c->c_listeners);
		T(l != NULL && l->l_ss.ss_family == AF_INET6, "IPv6 listener");
		l = l != NULL ? TAILQ_NEXT(l, l_entry) : NULL;
		T(l != NULL && l->l_type == LISTEN_UNIX &&
		    strcmp(l->l_path, "/tmp/x.sock") == 0 && l->l_mode == 0600,
		    "UNIX listener with its mode");
		m = model(c, "a");
		T(m != NULL && !m->m_usd && m->m_prompt == 150 &&
		    m->m_completion == 600 && m->m_request == 0,
		    "0.15 and 0.6 sat per Mtok are 150 and 600 msat");
		m = model(c, "b");
		T(m != NULL && m->m_usd && m->m_prompt == 1 &&
		    m->m_completion == 15500000 && m->m_request == 10000,
		    "USD prices in micro-USD");
		T(m != NULL && m->m_upstream_id != NULL &&
		    strcmp(m->m_upstream_id, "b-2") == 0 &&
		    strcmp(m->m_upstream, "o") == 0, "model as ID upstream");
		m = model(c, "f");
		T(m != NULL && m->m_prompt == UINT64_MAX,
		    "the largest price is UINT64_MAX msat");
		u = TAILQ_FIRST(&c->c_upstreams);
		T(u != NULL && u->u_type == UPSTREAM_ECHO && u->u_url == NULL,
		    "echo upstream");
		u = u != NULL ? TAILQ_NEXT(u, u_entry) : NULL;
		T(u != NULL && u->u_type == UPSTREAM_OPENAI &&
		    u->u_timeout == 7, "upstreams default to openai");
		config_free(c);
	}
	unlink(path);
	strlcpy(path, "/tmp/test_config.XXXXXX", sizeof(path));

	fclose(stderr);		/* the errors themselves are in regress/config */
	c = parse("listen on 127.0.0.1 port 8000\nupstream u { type echo }\n"
	    "model \"f\" upstream u price prompt 18446744073709551.616 "
	    "completion 0\n");
	T(c == NULL, "one msat more than UINT64_MAX is refused");
	unlink(path);
	strlcpy(path, "/tmp/test_config.XXXXXX", sizeof(path));
	c = parse("listen on 127.0.0.1 port 8000\nupstream u { type echo }\n"
	    "model \"f\" upstream u price prompt 0.0001 completion 0\n");
	T(c == NULL, "a fraction of a msat is refused");
	unlink(path);
	return (test_done());
}
