/*
 * routstrd.conf(5): a yacc grammar with a hand-written lexer in the manner
 * of the OpenBSD daemons.  Macros (name = "value", $name, -D name=value),
 * include "file", quoted strings with escapes, \ line continuation and
 * # comments.  Every error is reported as file:line: message on stderr and
 * parsing goes on, so that one run shows all the errors of a file.
 */

%{
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "config.h"

#define MAXINCLUDE	16		/* files included within each other */
#define TOKEN_MAX	8192		/* longest word or quoted string */

#define DECIMAL_INVALID		1	/* parse_decimal() errors */
#define DECIMAL_PRECISION	2
#define DECIMAL_RANGE		3

/* Out-of-band values in the unget buffer, never returned by getc(). */
#define START_EXPAND	0x100		/* a macro's text starts */
#define DONE_EXPAND	0x101		/* ... and ends */
#define FAKE_EOL	0x102		/* the '\n' made up at end of file */

static TAILQ_HEAD(files, file)	 files = TAILQ_HEAD_INITIALIZER(files);
static struct file {
	TAILQ_ENTRY(file)	 entry;
	FILE			*stream;
	char			*name;
	int			*ungetbuf;
	size_t			 ungetpos;
	size_t			 ungetsize;
	int			 eof_reached;
	int			 lineno;
	int			 nlpending;	/* a '\n' was returned */
	int			 errors;
	int			 depth;
} *file, *topfile;

static struct file	*pushfile(const char *, int);
static int		 popfile(void);
int			 yyparse(void);
int			 yylex(void);
int			 yyerror(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
static int		 lex(void);
static int		 kw_cmp(const void *, const void *);
static int		 lookup(const char *);
static int		 igetc(void);
static int		 lgetc(int);
static void		 lungetc(int);
static int		 findeol(void);
static int		 word_char(int);
static int		 macro_char(int);
static int		 followed_by_equal(void);

static TAILQ_HEAD(symhead, sym)	 symhead = TAILQ_HEAD_INITIALIZER(symhead);
struct sym {
	TAILQ_ENTRY(sym)	 entry;
	int			 used;
	int			 persist;
	char			*nam;
	char			*val;
	char			*file;
	int			 lineno;
};
static int		 symset(const char *, const char *, int);
static char		*symget(const char *);
static int		 valid_macro_name(const char *);

/* A model whose upstream is looked up once the whole file is read. */
struct modelref {
	TAILQ_ENTRY(modelref)	 entry;
	struct model		*model;
	char			*file;
	int			 lineno;
};
static TAILQ_HEAD(, modelref)	 modelrefs = TAILQ_HEAD_INITIALIZER(modelrefs);

/* The options of the model statement being read, checked at its end. */
static struct {
	int		 opts;		/* MOPT_*: given */
	int		 dups;		/* MOPT_*: given twice */
	char		*request;
	char		*cache_read;
	char		*cache_write;
	char		*markup;
	int64_t		 context_length;
	int64_t		 max_completion;
} mopts;

#define MOPT_REQUEST		0x01
#define MOPT_CACHE_READ		0x02
#define MOPT_CACHE_WRITE	0x04
#define MOPT_CONTEXT		0x08
#define MOPT_MAX_COMPLETION	0x10
#define MOPT_MARKUP		0x20

static const char *const mopt_names[] = {
	"request", "cache read", "cache write", "context length",
	"max completion", "markup"
};

/* The options of the listen statement being read. */
static struct {
	int		 tls;
	int		 opts;		/* OPT_CERT, OPT_KEY: given */
	char		*cert;
	char		*key;
	int64_t		 mode;		/* -1: default */
	char		*group;
} lopts;

/* Statements that may appear once. */
enum {
	ONCE_PREFORK, ONCE_NAME, ONCE_ABOUT, ONCE_HTTP_URL, ONCE_ONION_URL,
	ONCE_CHILD_KEY_COST, ONCE_STATEDIR, ONCE_CHROOT, ONCE_CONTROL,
	ONCE_USER, ONCE_USER_PROXY, ONCE_USER_LEDGER, ONCE_USER_MINT,
	ONCE_USER_RELAY, ONCE_MAX_CONNECTIONS, ONCE_MAX_HEADER_SIZE,
	ONCE_MAX_HEADERS, ONCE_MAX_BODY_SIZE, ONCE_TIMEOUT_IDLE,
	ONCE_TIMEOUT_READ, ONCE_NOSTR_KEY, ONCE_MARKUP, ONCE_PRICE_REFRESH,
	ONCE_PRICE_MAX_AGE
};

/* Options of a block seen so far. */
#define OPT_URL		0x01
#define OPT_KEY		0x02
#define OPT_TYPE	0x04
#define OPT_TIMEOUT	0x08
#define OPT_LIGHTNING	0x10
#define OPT_DELAY	0x20
#define OPT_SEED	0x40
#define OPT_MACAROON	0x80
#define OPT_CERT	0x100
#define OPT_FEE		0x200

static const char *const user_stmt[PROC_MAX] = {
	[PROC_PROXY] = "user proxy",
	[PROC_LEDGER] = "user ledger",
	[PROC_MINT] = "user mint",
	[PROC_RELAY] = "user relay",
};

static struct routstrd_conf	*conf;
static struct mint		*curmint;
static struct upstream		*curup;
static int			 curopts;
static uint32_t			 seen;
static char			*user_all;
static uint32_t			 listener_id;
static int			 expanding;
static int			 lexerror;
static char			 lasttok[64];	/* for "syntax error" */

static char	*xstrdup(const char *);
static char	*numstr(int64_t);
static int	 once(int, const char *, int);
static void	 set_once(int, const char *, int, char **, char *);
static int	 check_nodename(const char *);
static int	 check_sockpath(const char *, const char *);
static int	 range(int64_t, int64_t, int64_t, const char *);
static int	 opt_once(int, const char *);
static int	 check_len(const char *, size_t, const char *);
static int	 check_text(const char *, size_t, const char *);
static int	 check_word(const char *, size_t, const char *);
static int	 check_path(const char *, int, const char *);
static int	 check_url(const char *, const char *, const char *,
		    const char *);
static int	 check_user(const char *, const char *);
static int64_t	 parse_num(const char *);
static int64_t	 parse_size(const char *);
static int	 parse_decimal(const char *, int, uint64_t *);
static void	 set_string(char **, char *);
static void	 lopts_clear(void);
static void	 listen_addr(struct listenerlist *, const struct sockaddr *,
		    socklen_t);
static void	 listen_tcp(char *, int64_t);
static void	 listen_unix(char *);
static int	 add_listener(struct listener *, const char *);
static void	 mint_local_begin(void);
static void	 mint_local_end(void);
static void	 mint_trusted(char *);
static void	 upstream_begin(char *);
static void	 upstream_end(void);
static void	 mopts_clear(void);
static void	 mopt(int, char **, char *);
static void	 model_add(char *, char *, char *, int, char *, char *);
static int	 price(const char *, const char *, int, const char *,
		    uint64_t *);
static int	 markup(const char *, const char *, uint64_t *);
static void	 price_source(char *, char *);
static void	 relay_add(char *);
static void	 include_file(char *);
static void	 end_checks(void);
static void	 parse_reset(void);

typedef struct {
	union {
		int64_t		 number;
		char		*string;
	} v;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED 1	/* for bison */

%}

%token	ABOUT ANTHROPIC AS BODY CERTIFICATE CHILD CHROOT COMPLETION
%token	CONNECTIONS CONTROL COST DELAY DIRECTORY ECHO FAKE FILENAME GROUP
%token	HEADER HEADERS HTTP IDLE INCLUDE KEY LEDGER LIGHTNING LISTEN LND
%token	LOCAL MACAROON MAX MINT MODE MODEL NAME NOSTR ON ONION OPENAI PORT
%token	PREFORK PRICE PROMPT PROXY READ RELAY REQUEST SEED SIZE SOCKET
%token	STATE TIMEOUT TLS TRUSTED TYPE UPSTREAM URL USD USER
%token	FEE INPUT
%token	AGE CACHE CONTEXT LENGTH MARKUP REFRESH SOURCE WRITE
%token	ERROR
%token	<v.string>	STRING
%token	<v.number>	NUMBER
%type	<v.string>	string upname modelas priceurl decimal
%type	<v.number>	num size usd proc uptype
%destructor { free($$); } <v.string>

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar main '\n'
		| grammar error '\n'		{ file->errors++; yyerrok; }
		;

string		: STRING
		| NUMBER			{ $$ = numstr($1); }
		;

num		: NUMBER
		| STRING {
			if (($$ = parse_num($1)) == -1)
				yyerror("\"%s\" is not a number", $1);
			free($1);
		}
		;

size		: NUMBER
		| STRING {
			if (($$ = parse_size($1)) == -1)
				yyerror("invalid size \"%s\"", $1);
			free($1);
		}
		;

decimal		: STRING
		| NUMBER			{ $$ = numstr($1); }
		;

optnl		: /* empty */
		| optnl '\n'
		;

optsep		: optnl
		| ',' optnl
		;

include		: INCLUDE string		{ include_file($2); }
		;

varset		: STRING '=' string {
			if (!valid_macro_name($1))
				yyerror("invalid macro name \"%s\"", $1);
			else if (symset($1, $3, 0) == -1)
				fatal("cannot store macro");
			free($1);
			free($3);
		}
		;

main		: listenon STRING PORT num tls	{ listen_tcp($2, $4); }
		| listenon SOCKET string sockopts	{ listen_unix($3); }
		| PREFORK num {
			if (once(ONCE_PREFORK, "prefork",
			    range($2, 1, PROC_INSTANCES_MAX, "prefork")) == 0)
				conf->c_prefork = $2;
		}
		| NAME string {
			set_once(ONCE_NAME, "name", check_nodename($2),
			    &conf->c_name, $2);
		}
		| ABOUT string {
			set_once(ONCE_ABOUT, "about",
			    check_text($2, IPC_ABOUT_MAX, "about"),
			    &conf->c_about, $2);
		}
		| HTTP URL string {
			set_once(ONCE_HTTP_URL, "http url",
			    check_url($3, "http", "https", "http url"),
			    &conf->c_http_url, $3);
		}
		| ONION URL string {
			set_once(ONCE_ONION_URL, "onion url",
			    check_url($3, "http", "https", "onion url"),
			    &conf->c_onion_url, $3);
		}
		| CHILD KEY COST num {
			if (once(ONCE_CHILD_KEY_COST, "child key cost",
			    $4 == -1 ? -1 : 0) == 0)
				conf->c_child_key_cost = $4;
		}
		| STATE DIRECTORY string {
			set_once(ONCE_STATEDIR, "state directory",
			    check_path($3, 1, "state directory"),
			    &conf->c_statedir, $3);
		}
		| CHROOT string {
			set_once(ONCE_CHROOT, "chroot",
			    check_path($2, 1, "chroot"), &conf->c_chroot, $2);
		}
		| CONTROL SOCKET string {
			set_once(ONCE_CONTROL, "control socket",
			    check_sockpath($3, "control socket"),
			    &conf->c_control, $3);
		}
		| USER string {
			set_once(ONCE_USER, "user", check_user($2, "user"),
			    &user_all, $2);
		}
		| USER proc string {
			set_once(ONCE_USER_PROXY + $2 - PROC_PROXY,
			    user_stmt[$2], check_user($3, "user"),
			    &conf->c_user[$2], $3);
		}
		| MAX CONNECTIONS num {
			if (once(ONCE_MAX_CONNECTIONS, "max connections",
			    range($3, 1, 100000, "max connections")) == 0)
				conf->c_max_connections = $3;
		}
		| MAX HEADER SIZE size {
			if (once(ONCE_MAX_HEADER_SIZE, "max header size",
			    range($4, 1024, 1024 * 1024,
			    "max header size")) == 0)
				conf->c_max_header_size = $4;
		}
		| MAX HEADERS num {
			if (once(ONCE_MAX_HEADERS, "max headers",
			    range($3, 1, 1000, "max headers")) == 0)
				conf->c_max_headers = $3;
		}
		| MAX BODY SIZE size {
			if (once(ONCE_MAX_BODY_SIZE, "max body size",
			    range($4, 1024, 1024 * 1024 * 1024,
			    "max body size")) == 0)
				conf->c_max_body_size = $4;
		}
		| TIMEOUT IDLE num {
			if (once(ONCE_TIMEOUT_IDLE, "timeout idle",
			    range($3, 1, 3600, "timeout idle")) == 0)
				conf->c_timeout_idle = $3;
		}
		| TIMEOUT READ num {
			if (once(ONCE_TIMEOUT_READ, "timeout read",
			    range($3, 1, 3600, "timeout read")) == 0)
				conf->c_timeout_read = $3;
		}
		| mintlocal '{' optnl mintopts '}'	{ mint_local_end(); }
		| mintlocal '{' error '}' {
			/* Resynchronise at the end of the block. */
			curmint = NULL;
			curopts = 0;
			yyerrok;
		}
		| MINT string TRUSTED		{ mint_trusted($2); }
		| uphead '{' optnl upopts '}'	{ upstream_end(); }
		| uphead '{' error '}' {
			curup = NULL;
			curopts = 0;
			yyerrok;
		}
		| modelhead string UPSTREAM upname modelas PRICE usd
		    PROMPT decimal COMPLETION decimal modelopts {
			model_add($2, $4, $5, $7, $9, $11);
		}
		| MARKUP decimal {
			uint64_t	 v;

			if (once(ONCE_MARKUP, "markup",
			    markup(NULL, $2, &v)) == 0)
				conf->c_markup = v;
			free($2);
		}
		| PRICE SOURCE string priceurl	{ price_source($3, $4); }
		| PRICE REFRESH num {
			if (once(ONCE_PRICE_REFRESH, "price refresh",
			    range($3, 1, 86400, "price refresh")) == 0)
				conf->c_price_refresh = $3;
		}
		| PRICE MAX AGE num {
			if (once(ONCE_PRICE_MAX_AGE, "price max age",
			    range($4, 1, 7 * 86400, "price max age")) == 0)
				conf->c_price_max_age = $4;
		}
		| RELAY string			{ relay_add($2); }
		| NOSTR KEY FILENAME string {
			set_once(ONCE_NOSTR_KEY, "nostr key file",
			    check_path($4, 0, "nostr key file"),
			    &conf->c_nostr_key, $4);
		}
		;

listenon	: LISTEN ON			{ lopts_clear(); }
		;

tls		: /* empty */
		| TLS tlsopts			{ lopts.tls = 1; }
		;

tlsopts		: /* empty */
		| tlsopts tlsopt
		;

tlsopt		: CERTIFICATE string {
			if (lopts.opts & OPT_CERT)
				yyerror("duplicate certificate");
			lopts.opts |= OPT_CERT;
			if (lopts.cert == NULL &&
			    check_path($2, 0, "certificate") == 0) {
				lopts.cert = $2;
				$2 = NULL;
			}
			free($2);
		}
		| KEY string {
			if (lopts.opts & OPT_KEY)
				yyerror("duplicate key");
			lopts.opts |= OPT_KEY;
			if (lopts.key == NULL && check_path($2, 0, "key") == 0) {
				lopts.key = $2;
				$2 = NULL;
			}
			free($2);
		}
		;

sockopts	: /* empty */
		| sockopts sockopt
		;

sockopt		: MODE num {
			char	 buf[32];
			char	*ep;
			long	 mode;

			if (lopts.mode != -1)
				yyerror("duplicate mode");
			else if ($2 >= 0) {
				/* The digits were read as decimal. */
				(void)snprintf(buf, sizeof(buf), "0%lld",
				    (long long)$2);
				errno = 0;
				mode = strtol(buf, &ep, 8);
				if (*ep != '\0' || errno != 0)
					yyerror("mode %s is not octal", buf);
				else if (mode > 0777)
					yyerror("mode %s out of range "
					    "(0..0777)", buf);
				else
					lopts.mode = mode;
			}
		}
		| GROUP string {
			if (lopts.group != NULL)
				yyerror("duplicate group");
			else if (check_user($2, "group") == 0) {
				lopts.group = $2;
				$2 = NULL;
			}
			free($2);
		}
		;

proc		: PROXY				{ $$ = PROC_PROXY; }
		| LEDGER			{ $$ = PROC_LEDGER; }
		| MINT				{ $$ = PROC_MINT; }
		| RELAY				{ $$ = PROC_RELAY; }
		;

mintlocal	: MINT LOCAL			{ mint_local_begin(); }
		;

mintopts	: /* empty */
		| mintopts mintopt optsep
		;

mintopt		: LIGHTNING FAKE {
			if (opt_once(OPT_LIGHTNING, "lightning") == 0)
				curmint->m_lightning = LIGHTNING_FAKE;
		}
		| LIGHTNING LND {
			if (opt_once(OPT_LIGHTNING, "lightning") == 0)
				curmint->m_lightning = LIGHTNING_LND;
		}
		| DELAY num {
			if (opt_once(OPT_DELAY, "delay") == 0 &&
			    range($2, 0, 3600, "delay") == 0)
				curmint->m_fake_delay = $2;
		}
		| INPUT FEE num {
			/* ppk: above 1000 an input costs more than 1 unit */
			if (opt_once(OPT_FEE, "input fee") == 0 &&
			    range($3, 0, MINT_FEE_PPK_MAX, "input fee") == 0)
				curmint->m_input_fee = $3;
		}
		| SEED FILENAME string {
			if (opt_once(OPT_SEED, "seed file") == 0 &&
			    check_path($3, 0, "seed file") == 0) {
				curmint->m_seed = $3;
				$3 = NULL;
			}
			free($3);
		}
		| URL string {
			if (opt_once(OPT_URL, "url") == 0 &&
			    check_url($2, "http", "https", "lnd url") == 0) {
				curmint->m_lnd_url = $2;
				$2 = NULL;
			}
			free($2);
		}
		| MACAROON FILENAME string {
			if (opt_once(OPT_MACAROON, "macaroon file") == 0 &&
			    check_path($3, 0, "macaroon file") == 0) {
				curmint->m_lnd_macaroon = $3;
				$3 = NULL;
			}
			free($3);
		}
		| CERTIFICATE string {
			if (opt_once(OPT_CERT, "certificate") == 0 &&
			    check_path($2, 0, "certificate") == 0) {
				curmint->m_lnd_cert = $2;
				$2 = NULL;
			}
			free($2);
		}
		;

uphead		: UPSTREAM upname		{ upstream_begin($2); }
		;

upname		: STRING
		| OPENAI			{ $$ = xstrdup("openai"); }
		| ANTHROPIC			{ $$ = xstrdup("anthropic"); }
		| ECHO				{ $$ = xstrdup("echo"); }
		;

upopts		: /* empty */
		| upopts upopt optsep
		;

upopt		: URL string {
			if (opt_once(OPT_URL, "url") == 0 &&
			    check_url($2, "http", "https", "upstream url") == 0) {
				curup->u_url = $2;
				$2 = NULL;
			}
			free($2);
		}
		| KEY FILENAME string {
			if (opt_once(OPT_KEY, "key file") == 0 &&
			    check_path($3, 0, "key file") == 0) {
				curup->u_keyfile = $3;
				$3 = NULL;
			}
			free($3);
		}
		| TYPE uptype {
			if (opt_once(OPT_TYPE, "type") == 0)
				curup->u_type = $2;
		}
		| TIMEOUT num {
			if (opt_once(OPT_TIMEOUT, "timeout") == 0 &&
			    range($2, 1, 86400, "upstream timeout") == 0)
				curup->u_timeout = $2;
		}
		;

uptype		: OPENAI			{ $$ = UPSTREAM_OPENAI; }
		| ANTHROPIC			{ $$ = UPSTREAM_ANTHROPIC; }
		| ECHO				{ $$ = UPSTREAM_ECHO; }
		;

modelas		: /* empty */			{ $$ = NULL; }
		| AS string			{ $$ = $2; }
		;

usd		: /* empty */			{ $$ = 0; }
		| USD				{ $$ = 1; }
		;

modelhead	: MODEL				{ mopts_clear(); }
		;

modelopts	: /* empty */
		| modelopts modelopt
		;

modelopt	: REQUEST decimal {
			mopt(MOPT_REQUEST, &mopts.request, $2);
		}
		| CACHE READ decimal {
			mopt(MOPT_CACHE_READ, &mopts.cache_read, $3);
		}
		| CACHE WRITE decimal {
			mopt(MOPT_CACHE_WRITE, &mopts.cache_write, $3);
		}
		| MARKUP decimal {
			mopt(MOPT_MARKUP, &mopts.markup, $2);
		}
		| CONTEXT LENGTH num {
			mopt(MOPT_CONTEXT, NULL, NULL);
			mopts.context_length = $3;
		}
		| MAX COMPLETION num {
			mopt(MOPT_MAX_COMPLETION, NULL, NULL);
			mopts.max_completion = $3;
		}
		;

priceurl	: /* empty */			{ $$ = NULL; }
		| URL string			{ $$ = $2; }
		;

%%

/* This has to be sorted always. */
static const struct keywords {
	const char	*k_name;
	int		 k_val;
} keywords[] = {
	{ "about",		ABOUT },
	{ "age",		AGE },
	{ "anthropic",		ANTHROPIC },
	{ "as",			AS },
	{ "body",		BODY },
	{ "cache",		CACHE },
	{ "certificate",	CERTIFICATE },
	{ "child",		CHILD },
	{ "chroot",		CHROOT },
	{ "completion",		COMPLETION },
	{ "connections",	CONNECTIONS },
	{ "context",		CONTEXT },
	{ "control",		CONTROL },
	{ "cost",		COST },
	{ "delay",		DELAY },
	{ "directory",		DIRECTORY },
	{ "echo",		ECHO },
	{ "fake",		FAKE },
	{ "fee",		FEE },
	{ "file",		FILENAME },
	{ "group",		GROUP },
	{ "header",		HEADER },
	{ "headers",		HEADERS },
	{ "http",		HTTP },
	{ "idle",		IDLE },
	{ "include",		INCLUDE },
	{ "input",		INPUT },
	{ "key",		KEY },
	{ "ledger",		LEDGER },
	{ "length",		LENGTH },
	{ "lightning",		LIGHTNING },
	{ "listen",		LISTEN },
	{ "lnd",		LND },
	{ "local",		LOCAL },
	{ "macaroon",		MACAROON },
	{ "markup",		MARKUP },
	{ "max",		MAX },
	{ "mint",		MINT },
	{ "mode",		MODE },
	{ "model",		MODEL },
	{ "name",		NAME },
	{ "nostr",		NOSTR },
	{ "on",			ON },
	{ "onion",		ONION },
	{ "openai",		OPENAI },
	{ "port",		PORT },
	{ "prefork",		PREFORK },
	{ "price",		PRICE },
	{ "prompt",		PROMPT },
	{ "proxy",		PROXY },
	{ "read",		READ },
	{ "refresh",		REFRESH },
	{ "relay",		RELAY },
	{ "request",		REQUEST },
	{ "seed",		SEED },
	{ "size",		SIZE },
	{ "socket",		SOCKET },
	{ "source",		SOURCE },
	{ "state",		STATE },
	{ "timeout",		TIMEOUT },
	{ "tls",		TLS },
	{ "trusted",		TRUSTED },
	{ "type",		TYPE },
	{ "upstream",		UPSTREAM },
	{ "url",		URL },
	{ "usd",		USD },
	{ "user",		USER },
	{ "write",		WRITE },
};

int
yyerror(const char *fmt, ...)
{
	va_list	 ap;

	/* The lexer said what is wrong with its ERROR token already. */
	if (lexerror) {
		lexerror = 0;
		if (strcmp(fmt, "syntax error") == 0)
			return (0);
	}
	file->errors++;
	fprintf(stderr, "%s:%d: ", file->name, file->lineno);
	if (strcmp(fmt, "syntax error") == 0) {
		fprintf(stderr, "syntax error at %s\n", lasttok);
		return (0);
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return (0);
}

static int
kw_cmp(const void *k, const void *e)
{
	return (strcmp(k, ((const struct keywords *)e)->k_name));
}

static int
lookup(const char *s)
{
	const struct keywords	*p;

	p = bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
	return (p != NULL ? p->k_val : STRING);
}

/* The next character: pushed back ones first, expansion marks noted. */
static int
igetc(void)
{
	int	 c;

	for (;;) {
		if (file->ungetpos > 0)
			c = file->ungetbuf[--file->ungetpos];
		else
			c = getc(file->stream);
		if (c == START_EXPAND)
			expanding = 1;
		else if (c == DONE_EXPAND)
			expanding = 0;
		else
			return (c);
	}
}

static int
lgetc(int quotec)
{
	int	 c, next;

	if (quotec)
		return (igetc());

	/* A backslash at the end of a line joins the next one. */
	while ((c = igetc()) == '\\') {
		next = igetc();
		if (next != '\n') {
			lungetc(next);
			break;
		}
		file->lineno++;
	}
	if (c == EOF && !file->eof_reached) {
		/* The last line need not end in a newline. */
		file->eof_reached = 1;
		return (FAKE_EOL);
	}
	return (c);
}

static void
lungetc(int c)
{
	int	*p;
	size_t	 n;

	if (c == EOF)
		return;
	if (file->ungetpos >= file->ungetsize) {
		n = file->ungetsize ? file->ungetsize * 2 : 64;
		if ((p = reallocarray(file->ungetbuf, n, sizeof(*p))) == NULL)
			fatal("%s", __func__);
		file->ungetbuf = p;
		file->ungetsize = n;
	}
	file->ungetbuf[file->ungetpos++] = c;
}

/* Skip the rest of the line after an error the lexer reported. */
static int
findeol(void)
{
	int	 c;

	while ((c = lgetc(0)) != '\n' && c != FAKE_EOL && c != EOF)
		;
	lungetc(c);
	lexerror = 1;
	return (ERROR);
}

static int
word_char(int c)
{
	/* Bytes of UTF-8 sequences are fine, the checks decide. */
	if (c >= 0x80 && c <= 0xff)
		return (1);
	if (c < 0 || c > 0x7f)
		return (0);
	if (isalnum(c))
		return (1);
	return (ispunct(c) && strchr("{},=#\"'$\\", c) == NULL);
}

static int
macro_char(int c)
{
	return (c >= 0 && c <= 0x7f && (isalnum(c) || c == '_'));
}

/* Whether the word just read is a macro name: "port = 8000". */
static int
followed_by_equal(void)
{
	int	 c, blank = 0;

	while ((c = lgetc(0)) == ' ' || c == '\t')
		blank = 1;
	lungetc(c);
	if (blank)
		lungetc(' ');
	return (c == '=');
}

static int
lex(void)
{
	char	 buf[TOKEN_MAX];
	char	*p;
	int	 quotec, next, c, token;
	const char *errstr;
	char	*val;

	lexerror = 0;
top:
	p = buf;
	while ((c = lgetc(0)) == ' ' || c == '\t')
		;
	if (c == '#')
		while ((c = lgetc(0)) != '\n' && c != FAKE_EOL && c != EOF)
			;
	/* The line number moves on when the next line is read. */
	if (file->nlpending && c != EOF && c != FAKE_EOL) {
		file->lineno++;
		file->nlpending = 0;
	}

	if (c == '$' && !expanding) {
		while ((c = lgetc(0)) != EOF && macro_char(c)) {
			if (p + 1 >= buf + sizeof(buf)) {
				yyerror("macro name too long");
				return (findeol());
			}
			*p++ = c;
		}
		*p = '\0';
		lungetc(c);
		if (p == buf) {
			yyerror("\"$\" without a macro name");
			return (findeol());
		}
		if ((val = symget(buf)) == NULL) {
			yyerror("macro \"%s\" not defined", buf);
			return (findeol());
		}
		lungetc(DONE_EXPAND);
		for (p = val + strlen(val); p > val; )
			lungetc((unsigned char)*--p);
		lungetc(START_EXPAND);
		goto top;
	}

	switch (c) {
	case '\'':
	case '"':
		quotec = c;
		for (;;) {
			c = lgetc(quotec);
			if (c == EOF || c == '\n' || c == FAKE_EOL) {
				yyerror("unterminated quoted string");
				lungetc(c);
				return (findeol());
			}
			if (c == quotec)
				break;
			if (c == '\\') {
				next = lgetc(quotec);
				if (next == '\n') {
					file->lineno++;
					continue;
				}
				if (next == quotec || next == '\\')
					c = next;
				else
					lungetc(next);
			}
			if (c == '\0' || c > 0xff) {
				yyerror("invalid character in quoted string");
				return (findeol());
			}
			if (p + 1 >= buf + sizeof(buf)) {
				yyerror("string too long");
				return (findeol());
			}
			*p++ = c;
		}
		*p = '\0';
		yylval.v.string = xstrdup(buf);
		return (STRING);
	case FAKE_EOL:
		return ('\n');
	case '\n':
		file->nlpending = 1;
		return ('\n');
	case EOF:
		if (file == topfile || popfile() == EOF)
			return (0);
		goto top;
	case '{':
	case '}':
	case ',':
	case '=':
		return (c);
	}

	if (!word_char(c)) {
		if (c > 0x20 && c < 0x7f)
			yyerror("unexpected character '%c'", c);
		else
			yyerror("unexpected character 0x%02x", c & 0xff);
		return (findeol());
	}

	do {
		if (p + 1 >= buf + sizeof(buf)) {
			yyerror("string too long");
			return (findeol());
		}
		*p++ = c;
	} while ((c = lgetc(0)) != EOF && word_char(c));
	lungetc(c);
	*p = '\0';

	if (strspn(buf, "0123456789") == strlen(buf)) {
		yylval.v.number = strtonum(buf, 0, INT64_MAX, &errstr);
		if (errstr != NULL) {
			yyerror("number %s is too large", buf);
			yylval.v.number = -1;	/* reported */
		}
		return (NUMBER);
	}
	if (followed_by_equal() || (token = lookup(buf)) == STRING) {
		yylval.v.string = xstrdup(buf);
		return (STRING);
	}
	return (token);
}

/* The next token, and what it looked like for a syntax error. */
int
yylex(void)
{
	size_t	 i;
	int	 token;

	switch ((token = lex())) {
	case 0:
		strlcpy(lasttok, "end of file", sizeof(lasttok));
		break;
	case '\n':
		strlcpy(lasttok, "end of line", sizeof(lasttok));
		break;
	case STRING:
		(void)snprintf(lasttok, sizeof(lasttok), "\"%.40s%s\"",
		    yylval.v.string, strlen(yylval.v.string) > 40 ? "..." : "");
		break;
	case NUMBER:
		(void)snprintf(lasttok, sizeof(lasttok), "%lld",
		    (long long)yylval.v.number);
		break;
	case ERROR:
		lasttok[0] = '\0';
		break;
	default:
		if (token < 0x100) {
			(void)snprintf(lasttok, sizeof(lasttok), "\"%c\"",
			    token);
			break;
		}
		for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (keywords[i].k_val == token)
				break;
		(void)snprintf(lasttok, sizeof(lasttok), "\"%s\"",
		    i < sizeof(keywords) / sizeof(keywords[0]) ?
		    keywords[i].k_name : "?");
		break;
	}
	return (token);
}

static struct file *
pushfile(const char *name, int secret)
{
	struct file	*nfile;
	struct stat	 st;
	const char	*reason;

	if ((nfile = calloc(1, sizeof(*nfile))) == NULL)
		fatal("%s", __func__);
	nfile->name = xstrdup(name);
	if ((nfile->stream = fopen(name, "r")) == NULL) {
		reason = strerror(errno);
		goto fail;
	}
	if (fstat(fileno(nfile->stream), &st) == -1) {
		reason = strerror(errno);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		reason = "is a directory";
		goto fail;
	}
	if (secret) {
		if (!S_ISREG(st.st_mode)) {
			reason = "not a regular file";
			goto fail;
		}
		if ((reason = file_secrecy_error(fileno(nfile->stream))) !=
		    NULL)
			goto fail;
	}
	/* An included file starts with the include line's newline. */
	nfile->lineno = TAILQ_EMPTY(&files) ? 1 : 0;
	nfile->depth = TAILQ_EMPTY(&files) ? 0 : file->depth + 1;
	TAILQ_INSERT_TAIL(&files, nfile, entry);
	return (nfile);

 fail:
	if (TAILQ_EMPTY(&files))
		fprintf(stderr, "%s: %s\n", name, reason);
	else
		yyerror("include \"%s\": %s", name, reason);
	if (nfile->stream != NULL)
		fclose(nfile->stream);
	free(nfile->name);
	free(nfile);
	return (NULL);
}

static int
popfile(void)
{
	struct file	*prev;

	if ((prev = TAILQ_PREV(file, files, entry)) != NULL)
		prev->errors += file->errors;
	TAILQ_REMOVE(&files, file, entry);
	fclose(file->stream);
	free(file->name);
	free(file->ungetbuf);
	free(file);
	file = prev;
	return (file != NULL ? 0 : EOF);
}

static void
include_file(char *name)
{
	struct file	*nfile;
	char		*path, *slash;
	size_t		 len;

	if (file->depth >= MAXINCLUDE) {
		yyerror("include \"%s\": nested too deeply", name);
		free(name);
		return;
	}
	/* A relative name is taken from the including file's directory. */
	if (name[0] != '/' && (slash = strrchr(file->name, '/')) != NULL) {
		len = (slash - file->name) + 1 + strlen(name) + 1;
		if ((path = malloc(len)) == NULL)
			fatal("%s", __func__);
		(void)snprintf(path, len, "%.*s/%s",
		    (int)(slash - file->name), file->name, name);
		free(name);
		name = path;
	}
	if ((nfile = pushfile(name, 1)) != NULL) {
		file = nfile;
		lungetc('\n');
	}
	free(name);
}

struct routstrd_conf *
parse_config(const char *filename)
{
	struct routstrd_conf	*parsed;
	struct sym		*sym, *next;
	int			 errors = 0;

	parse_reset();
	conf = config_new();
	if ((file = pushfile(filename, 0)) == NULL) {
		config_free(conf);
		conf = NULL;
		return (NULL);
	}
	topfile = file;

	if (yyparse() != 0)
		errors++;
	/* A parse that stopped early may leave included files open. */
	while (file != topfile)
		popfile();
	end_checks();
	errors += file->errors;
	popfile();
	topfile = NULL;

	/* Macros of the file go, those of the command line stay. */
	TAILQ_FOREACH_SAFE(sym, &symhead, entry, next) {
		if (log_getverbose() && !sym->used && sym->file != NULL)
			fprintf(stderr, "%s:%d: warning: macro \"%s\" not "
			    "used\n", sym->file, sym->lineno, sym->nam);
		sym->used = 0;
		if (!sym->persist) {
			TAILQ_REMOVE(&symhead, sym, entry);
			free(sym->nam);
			free(sym->val);
			free(sym->file);
			free(sym);
		}
	}

	parse_reset();
	parsed = conf;
	conf = NULL;
	if (errors) {
		config_free(parsed);
		return (NULL);
	}
	return (parsed);
}

/* Forget what a previous parse left behind, but not the -D macros. */
static void
parse_reset(void)
{
	struct modelref	*mr;

	while ((mr = TAILQ_FIRST(&modelrefs)) != NULL) {
		TAILQ_REMOVE(&modelrefs, mr, entry);
		free(mr->file);
		free(mr);
	}
	lopts_clear();
	mopts_clear();
	free(user_all);
	user_all = NULL;
	curmint = NULL;
	curup = NULL;
	curopts = 0;
	seen = 0;
	listener_id = 0;
	expanding = 0;
	lexerror = 0;
	lasttok[0] = '\0';
}

static void
end_checks(void)
{
	struct modelref	*mr;
	struct upstream	*u;
	int		 i;

	TAILQ_FOREACH(mr, &modelrefs, entry) {
		TAILQ_FOREACH(u, &conf->c_upstreams, u_entry)
			if (strcmp(u->u_name, mr->model->m_upstream) == 0)
				break;
		if (u == NULL) {
			topfile->errors++;
			fprintf(stderr, "%s:%d: model \"%s\": upstream \"%s\" "
			    "not defined\n", mr->file, mr->lineno,
			    mr->model->m_id, mr->model->m_upstream);
		}
	}
	if (TAILQ_EMPTY(&conf->c_listeners))
		yyerror("no listener configured");

	/* Without "price source", all of them. */
	for (i = 0; i < PRICE_SOURCES; i++)
		if (conf->c_price_url[i] != NULL)
			break;
	if (i == PRICE_SOURCES) {
		conf->c_price_url[PRICE_KRAKEN] = xstrdup(PRICE_URL_KRAKEN);
		conf->c_price_url[PRICE_COINBASE] =
		    xstrdup(PRICE_URL_COINBASE);
		conf->c_price_url[PRICE_BINANCE] = xstrdup(PRICE_URL_BINANCE);
	}
	if (conf->c_price_max_age < conf->c_price_refresh)
		yyerror("price max age %u is shorter than price refresh %u",
		    conf->c_price_max_age, conf->c_price_refresh);

	/* "user NAME" is for every process not named on its own. */
	if (user_all != NULL)
		for (i = PROC_PROXY; i < PROC_MAX; i++)
			if ((seen & (1U << (ONCE_USER_PROXY + i -
			    PROC_PROXY))) == 0) {
				free(conf->c_user[i]);
				conf->c_user[i] = xstrdup(user_all);
			}
}

int
cmdline_symset(char *s)
{
	const unsigned char	*p;
	char			*sym, *val;
	int			 ret;

	if ((val = strchr(s, '=')) == NULL)
		return (-1);
	/* The value is read as part of a line: no line breaks in it. */
	for (p = (const unsigned char *)val; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return (-1);
	if ((sym = strndup(s, val - s)) == NULL)
		fatal("%s", __func__);
	if (!valid_macro_name(sym)) {
		free(sym);
		return (-1);
	}
	ret = symset(sym, val + 1, 1);
	free(sym);
	return (ret);
}

static int
valid_macro_name(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++)
		if (!macro_char((unsigned char)*s))
			return (0);
	return (1);
}

/* A macro of the command line wins over one of the file. */
static int
symset(const char *nam, const char *val, int persist)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(nam, sym->nam) == 0)
			break;
	if (sym != NULL) {
		if (sym->persist && !persist)
			return (0);
		TAILQ_REMOVE(&symhead, sym, entry);
		free(sym->nam);
		free(sym->val);
		free(sym->file);
		free(sym);
	}
	if ((sym = calloc(1, sizeof(*sym))) == NULL)
		return (-1);
	if ((sym->nam = strdup(nam)) == NULL ||
	    (sym->val = strdup(val)) == NULL) {
		free(sym->nam);
		free(sym);
		return (-1);
	}
	if (!persist && file != NULL) {
		if ((sym->file = strdup(file->name)) == NULL) {
			free(sym->nam);
			free(sym->val);
			free(sym);
			return (-1);
		}
		sym->lineno = file->lineno;
	}
	sym->persist = persist;
	TAILQ_INSERT_TAIL(&symhead, sym, entry);
	return (0);
}

static char *
symget(const char *nam)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(nam, sym->nam) == 0) {
			sym->used = 1;
			return (sym->val);
		}
	return (NULL);
}

static char *
numstr(int64_t n)
{
	char	 buf[32];

	(void)snprintf(buf, sizeof(buf), "%lld", (long long)n);
	return (xstrdup(buf));
}

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("%s", __func__);
	return (p);
}

/*
 * A statement that may appear once: 0 if it is the first and its value
 * is valid (the caller's check ran first and said so), else -1.
 */
static int
once(int what, const char *name, int valid)
{
	if (seen & (1U << what)) {
		yyerror("duplicate \"%s\" statement", name);
		return (-1);
	}
	seen |= 1U << what;
	return (valid == 0 ? 0 : -1);
}

/* The same for a string, which is stored or freed. */
static void
set_once(int what, const char *name, int valid, char **dst, char *s)
{
	if (once(what, name, valid) == 0)
		set_string(dst, s);
	else
		free(s);
}

/* A value out of range; -1 is a value already reported as invalid. */
static int
range(int64_t v, int64_t lo, int64_t hi, const char *what)
{
	if (v == -1)
		return (-1);
	if (v < lo || v > hi) {
		yyerror("%s %lld out of range (%lld..%lld)", what,
		    (long long)v, (long long)lo, (long long)hi);
		return (-1);
	}
	return (0);
}

static int
opt_once(int opt, const char *name)
{
	if (curopts & opt) {
		if (curup != NULL)
			yyerror("upstream \"%s\": duplicate %s",
			    curup->u_name, name);
		else
			yyerror("mint local: duplicate %s", name);
		return (-1);
	}
	curopts |= opt;
	return (0);
}

/* Strings must fit the IPC buffers of size max, NUL included. */
static int
check_len(const char *s, size_t max, const char *what)
{
	size_t	 len = strlen(s);

	if (len >= max) {
		yyerror("%s too long (%zu bytes, at most %zu)", what, len,
		    max - 1);
		return (-1);
	}
	return (0);
}

/* Free text: no control characters. */
static int
check_text(const char *s, size_t max, const char *what)
{
	const unsigned char	*p;

	if (check_len(s, max, what) == -1)
		return (-1);
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			yyerror("%s contains control characters", what);
			return (-1);
		}
	if (!utf8_valid(s)) {
		yyerror("%s is not valid UTF-8", what);
		return (-1);
	}
	return (0);
}

/* Identifiers: no spaces, no control characters, not empty. */
static int
check_word(const char *s, size_t max, const char *what)
{
	const unsigned char	*p;

	if (check_len(s, max, what) == -1)
		return (-1);
	if (*s == '\0') {
		yyerror("%s is empty", what);
		return (-1);
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f) {
			yyerror("%s \"%s\" contains spaces or control "
			    "characters", what, s);
			return (-1);
		}
	if (!utf8_valid(s)) {
		yyerror("%s is not valid UTF-8", what);
		return (-1);
	}
	return (0);
}

static int
check_path(const char *s, int absolute, const char *what)
{
	if (check_text(s, IPC_PATH_MAX, what) == -1)
		return (-1);
	if (*s == '\0') {
		yyerror("%s is empty", what);
		return (-1);
	}
	if (absolute && *s != '/') {
		yyerror("%s \"%s\" is not an absolute path", what, s);
		return (-1);
	}
	return (0);
}

static int
check_nodename(const char *s)
{
	if (check_text(s, IPC_NAME_MAX, "name") == -1)
		return (-1);
	if (*s == '\0') {
		yyerror("name is empty");
		return (-1);
	}
	return (0);
}

/* A path that must fit a sockaddr_un. */
static int
check_sockpath(const char *s, const char *what)
{
	if (check_path(s, 0, what) == -1 ||
	    check_len(s, sizeof(((struct sockaddr_un *)0)->sun_path),
	    what) == -1)
		return (-1);
	return (0);
}

/* scheme://host[...] with one of two schemes, printable ASCII only. */
static int
check_url(const char *s, const char *scheme1, const char *scheme2,
    const char *what)
{
	const unsigned char	*p;
	const char		*host;
	size_t			 len;

	if (check_len(s, IPC_URL_MAX, what) == -1)
		return (-1);
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f) {
			yyerror("%s \"%s\" contains spaces, control or "
			    "non-ASCII characters", what, s);
			return (-1);
		}
	host = NULL;
	len = strlen(scheme1);
	if (strncasecmp(s, scheme1, len) == 0 && strncmp(s + len, "://", 3) == 0)
		host = s + len + 3;
	len = strlen(scheme2);
	if (strncasecmp(s, scheme2, len) == 0 && strncmp(s + len, "://", 3) == 0)
		host = s + len + 3;
	if (host == NULL) {
		yyerror("%s \"%s\": scheme must be %s or %s", what, s,
		    scheme1, scheme2);
		return (-1);
	}
	if (*host == '\0' || strchr("/?#", *host) != NULL) {
		yyerror("%s \"%s\" has no host", what, s);
		return (-1);
	}
	return (0);
}

/* User and group names: what useradd(8) accepts, less a trailing '$'. */
static int
check_user(const char *s, const char *what)
{
	const char	*p;

	if (check_len(s, IPC_NAME_MAX, what) == -1)
		return (-1);
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("_.-", *p) == NULL)
			break;
	if (*s == '\0' || *s == '-' || *p != '\0') {
		yyerror("invalid %s name \"%s\"", what, s);
		return (-1);
	}
	return (0);
}

static int64_t
parse_num(const char *s)
{
	const char	*errstr;
	int64_t		 v;

	if (*s == '\0' || strspn(s, "0123456789") != strlen(s))
		return (-1);
	v = strtonum(s, 0, INT64_MAX, &errstr);
	return (errstr == NULL ? v : -1);
}

/* Bytes, or with a K, M or G suffix (1024-based). */
static int64_t
parse_size(const char *s)
{
	char		*num;
	int64_t		 v, mult = 1;
	size_t		 len = strlen(s);

	if (len < 2)
		return (-1);
	switch (s[len - 1]) {
	case 'K':
	case 'k':
		mult = 1024;
		break;
	case 'M':
	case 'm':
		mult = 1024 * 1024;
		break;
	case 'G':
	case 'g':
		mult = 1024 * 1024 * 1024;
		break;
	default:
		return (-1);
	}
	if ((num = strndup(s, len - 1)) == NULL)
		fatal("%s", __func__);
	v = parse_num(num);
	free(num);
	if (v == -1 || v > INT64_MAX / mult)
		return (-1);
	return (v * mult);
}

/*
 * "12.345" with at most "scale" decimals, as an integer of 10^-scale.
 * Returns 0, DECIMAL_INVALID, DECIMAL_PRECISION or DECIMAL_RANGE.
 */
static int
parse_decimal(const char *s, int scale, uint64_t *res)
{
	uint64_t	 v = 0, d;
	int		 i, decimals = -1;

	if (!isdigit((unsigned char)*s))
		return (DECIMAL_INVALID);
	for (; *s != '\0'; s++) {
		if (*s == '.' && decimals == -1) {
			decimals = 0;
			if (!isdigit((unsigned char)s[1]))
				return (DECIMAL_INVALID);
			continue;
		}
		if (!isdigit((unsigned char)*s))
			return (DECIMAL_INVALID);
		if (decimals != -1 && ++decimals > scale)
			return (DECIMAL_PRECISION);
		d = *s - '0';
		if (v > (UINT64_MAX - d) / 10)
			return (DECIMAL_RANGE);
		v = v * 10 + d;
	}
	for (i = decimals == -1 ? 0 : decimals; i < scale; i++) {
		if (v > UINT64_MAX / 10)
			return (DECIMAL_RANGE);
		v *= 10;
	}
	*res = v;
	return (0);
}

static void
set_string(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

static void
lopts_clear(void)
{
	free(lopts.cert);
	free(lopts.key);
	free(lopts.group);
	memset(&lopts, 0, sizeof(lopts));
	lopts.mode = -1;
}

static int
add_listener(struct listener *nl, const char *name)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &conf->c_listeners, l_entry) {
		if (l->l_type != nl->l_type)
			continue;
		if (nl->l_type == LISTEN_UNIX ?
		    strcmp(l->l_path, nl->l_path) == 0 :
		    (l->l_sslen == nl->l_sslen &&
		    memcmp(&l->l_ss, &nl->l_ss, l->l_sslen) == 0)) {
			yyerror("listener %s already defined", name);
			return (-1);
		}
	}
	nl->l_id = ++listener_id;
	nl->l_fd = -1;
	TAILQ_INSERT_TAIL(&conf->c_listeners, nl, l_entry);
	return (0);
}

/* One TCP listener per address, the TLS options of the statement copied. */
static void
listen_addr(struct listenerlist *list, const struct sockaddr *sa,
    socklen_t salen)
{
	struct listener	*l;

	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    salen > sizeof(l->l_ss))
		return;
	/* A name may resolve to one address twice: keep one. */
	TAILQ_FOREACH(l, list, l_entry)
		if (l->l_sslen == salen && memcmp(&l->l_ss, sa, salen) == 0)
			return;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("%s", __func__);
	l->l_type = LISTEN_TCP;
	memcpy(&l->l_ss, sa, salen);
	l->l_sslen = salen;
	l->l_fd = -1;
	if ((l->l_tls = lopts.tls)) {
		l->l_tls_cert = lopts.cert ? xstrdup(lopts.cert) : NULL;
		l->l_tls_key = lopts.key ? xstrdup(lopts.key) : NULL;
	}
	TAILQ_INSERT_TAIL(list, l, l_entry);
}

static void
listen_tcp(char *host, int64_t port)
{
	struct listenerlist	 list = TAILQ_HEAD_INITIALIZER(list);
	struct addrinfo		 hints, *res, *ai;
	struct listener		*l;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	char			 portstr[8], name[NI_MAXHOST + 16];
	int			 error;

	if (lopts.tls && !(lopts.opts & OPT_CERT))
		yyerror("tls listener without a certificate");
	if (lopts.tls && !(lopts.opts & OPT_KEY))
		yyerror("tls listener without a key");
	if (range(port, 1, 65535, "port") == -1)
		goto done;
	(void)snprintf(portstr, sizeof(portstr), "%lld", (long long)port);

	if (strcmp(host, "*") == 0) {
		/* Both families, in an order that does not depend on libc. */
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		sin.sin_port = htons(port);
		listen_addr(&list, (struct sockaddr *)&sin, sizeof(sin));
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_any;
		sin6.sin6_port = htons(port);
		listen_addr(&list, (struct sockaddr *)&sin6, sizeof(sin6));
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		if ((error = getaddrinfo(host, portstr, &hints, &res)) != 0) {
			yyerror("cannot resolve \"%s\": %s", host,
			    gai_strerror(error));
			goto done;
		}
		for (ai = res; ai != NULL; ai = ai->ai_next)
			listen_addr(&list, ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(res);
	}

	while ((l = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, l, l_entry);
		if (getnameinfo((struct sockaddr *)&l->l_ss, l->l_sslen, name,
		    NI_MAXHOST, NULL, 0, NI_NUMERICHOST) != 0)
			strlcpy(name, host, NI_MAXHOST);
		strlcat(name, " port ", sizeof(name));
		strlcat(name, portstr, sizeof(name));
		if (add_listener(l, name) == -1) {
			free(l->l_tls_cert);
			free(l->l_tls_key);
			free(l);
		}
	}
 done:
	free(host);
	lopts_clear();
}

static void
listen_unix(char *path)
{
	struct listener	*l;
	char		 name[IPC_PATH_MAX + 16];

	if (check_sockpath(path, "socket") == -1)
		goto done;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("%s", __func__);
	l->l_type = LISTEN_UNIX;
	l->l_path = path;
	path = NULL;
	l->l_mode = lopts.mode == -1 ? 0660 : lopts.mode;
	l->l_group = lopts.group;
	lopts.group = NULL;
	(void)snprintf(name, sizeof(name), "socket \"%s\"", l->l_path);
	if (add_listener(l, name) == -1) {
		free(l->l_path);
		free(l->l_group);
		free(l);
	}
 done:
	free(path);
	lopts_clear();
}

static void
mint_local_begin(void)
{
	struct mint	*m;

	TAILQ_FOREACH(m, &conf->c_mints, m_entry)
		if (m->m_local) {
			yyerror("mint local already defined");
			break;
		}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("%s", __func__);
	m->m_local = 1;
	m->m_fake_delay = FAKE_INVOICE_DELAY;
	TAILQ_INSERT_TAIL(&conf->c_mints, m, m_entry);
	curmint = m;
	curup = NULL;
	curopts = 0;
}

static void
mint_local_end(void)
{
	struct mint	*m = curmint;

	if (m->m_lightning == 0)
		yyerror("mint local: no lightning backend");
	else if (m->m_lightning == LIGHTNING_FAKE) {
		if (curopts & OPT_URL)
			yyerror("mint local: url is for lightning lnd");
		if (curopts & OPT_MACAROON)
			yyerror("mint local: macaroon file is for lightning "
			    "lnd");
		if (curopts & OPT_CERT)
			yyerror("mint local: certificate is for lightning lnd");
	} else {
		if (curopts & OPT_DELAY)
			yyerror("mint local: delay is for lightning fake");
		if (!(curopts & OPT_URL))
			yyerror("mint local: lightning lnd needs a url");
		if (!(curopts & OPT_MACAROON))
			yyerror("mint local: lightning lnd needs a macaroon "
			    "file");
	}
	curmint = NULL;
	curopts = 0;
}

static void
mint_trusted(char *url)
{
	struct mint	*m;

	if (check_url(url, "http", "https", "mint url") == -1) {
		free(url);
		return;
	}
	TAILQ_FOREACH(m, &conf->c_mints, m_entry)
		if (!m->m_local && strcmp(m->m_url, url) == 0) {
			yyerror("mint \"%s\" already defined", url);
			free(url);
			return;
		}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("%s", __func__);
	m->m_url = url;
	TAILQ_INSERT_TAIL(&conf->c_mints, m, m_entry);
}

static void
upstream_begin(char *name)
{
	struct upstream	*u;
	const char	*p;

	if (check_word(name, IPC_NAME_MAX, "upstream name") == 0) {
		for (p = name; *p != '\0'; p++)
			if (!isalnum((unsigned char)*p) &&
			    strchr("_.-", *p) == NULL) {
				yyerror("invalid upstream name \"%s\"", name);
				break;
			}
	}
	TAILQ_FOREACH(u, &conf->c_upstreams, u_entry)
		if (strcmp(u->u_name, name) == 0) {
			yyerror("upstream \"%s\" already defined", name);
			break;
		}
	if ((u = calloc(1, sizeof(*u))) == NULL)
		fatal("%s", __func__);
	u->u_name = name;
	u->u_type = UPSTREAM_OPENAI;
	u->u_timeout = UPSTREAM_TIMEOUT;
	TAILQ_INSERT_TAIL(&conf->c_upstreams, u, u_entry);
	curup = u;
	curmint = NULL;
	curopts = 0;
}

static void
upstream_end(void)
{
	struct upstream	*u = curup;

	if (u->u_type == UPSTREAM_ECHO) {
		if (u->u_url != NULL)
			yyerror("upstream \"%s\": type echo takes no url",
			    u->u_name);
		if (u->u_keyfile != NULL)
			yyerror("upstream \"%s\": type echo takes no key file",
			    u->u_name);
	} else if (u->u_url == NULL && !(curopts & OPT_URL))
		yyerror("upstream \"%s\": type %s needs a url", u->u_name,
		    u->u_type == UPSTREAM_ANTHROPIC ? "anthropic" : "openai");
	curup = NULL;
	curopts = 0;
}

static int
price(const char *id, const char *what, int usd, const char *s,
    uint64_t *res)
{
	int	 scale = usd ? 6 : 3;

	switch (parse_decimal(s, scale, res)) {
	case 0:
		return (0);
	case DECIMAL_PRECISION:
		yyerror("model \"%s\": %s price %s has more than %d decimals",
		    id, what, s, scale);
		break;
	case DECIMAL_RANGE:
		yyerror("model \"%s\": %s price %s is too large", id, what, s);
		break;
	default:
		yyerror("model \"%s\": invalid %s price \"%s\"", id, what, s);
		break;
	}
	return (-1);
}

/* Percent with at most 2 decimals, as hundredths of a percent. */
static int
markup(const char *id, const char *s, uint64_t *res)
{
	char	 what[IPC_MODEL_MAX + 16];

	if (id != NULL)
		(void)snprintf(what, sizeof(what), "model \"%s\": markup", id);
	else
		(void)strlcpy(what, "markup", sizeof(what));
	switch (parse_decimal(s, 2, res)) {
	case 0:
		if (*res <= MARKUP_MAX)
			return (0);
		/* FALLTHROUGH */
	case DECIMAL_RANGE:
		yyerror("%s %s%% out of range (0..%d%%)", what, s,
		    MARKUP_MAX / 100);
		break;
	case DECIMAL_PRECISION:
		yyerror("%s %s has more than 2 decimals", what, s);
		break;
	default:
		yyerror("%s: invalid percentage \"%s\"", what, s);
		break;
	}
	return (-1);
}

static void
mopts_clear(void)
{
	free(mopts.request);
	free(mopts.cache_read);
	free(mopts.cache_write);
	free(mopts.markup);
	memset(&mopts, 0, sizeof(mopts));
}

/* An option of the model line: the first one of each kind is kept. */
static void
mopt(int opt, char **dst, char *value)
{
	if (mopts.opts & opt) {
		mopts.dups |= opt;
		free(value);
		return;
	}
	mopts.opts |= opt;
	if (dst != NULL)
		*dst = value;
}

static void
model_add(char *id, char *upstream, char *as, int usd, char *prompt,
    char *completion)
{
	struct model	*m;
	struct modelref	*mr;
	char		 what[IPC_MODEL_MAX + 32];
	uint64_t	 v;
	size_t		 i;
	int		 bad = 0;

	if (check_word(id, IPC_MODEL_MAX, "model id") == -1)
		bad = 1;
	if (as != NULL && check_word(as, IPC_MODEL_MAX, "model id") == -1)
		bad = 1;
	/* One model on several upstreams: its candidates for failover. */
	TAILQ_FOREACH(m, &conf->c_models, m_entry)
		if (strcmp(m->m_id, id) == 0 &&
		    strcmp(m->m_upstream, upstream) == 0) {
			yyerror("model \"%s\" already defined on upstream "
			    "\"%s\"", id, upstream);
			bad = 1;
			break;
		}
	for (i = 0; i < sizeof(mopt_names) / sizeof(mopt_names[0]); i++)
		if (mopts.dups & (1 << i)) {
			yyerror("model \"%s\": duplicate %s", id,
			    mopt_names[i]);
			bad = 1;
		}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("%s", __func__);
	m->m_usd = usd;
	m->m_markup = -1;
	if (price(id, "prompt", usd, prompt, &m->m_prompt) == -1)
		bad = 1;
	if (price(id, "completion", usd, completion, &m->m_completion) == -1)
		bad = 1;
	if (mopts.request != NULL &&
	    price(id, "request", usd, mopts.request, &m->m_request) == -1)
		bad = 1;
	/* A cache is billed as the prompt unless said otherwise. */
	m->m_cache_read = m->m_cache_write = m->m_prompt;
	if (mopts.cache_read != NULL && price(id, "cache read", usd,
	    mopts.cache_read, &m->m_cache_read) == -1)
		bad = 1;
	if (mopts.cache_write != NULL && price(id, "cache write", usd,
	    mopts.cache_write, &m->m_cache_write) == -1)
		bad = 1;
	if (mopts.markup != NULL) {
		if (markup(id, mopts.markup, &v) == -1)
			bad = 1;
		else
			m->m_markup = v;
	}
	if (mopts.opts & MOPT_CONTEXT) {
		(void)snprintf(what, sizeof(what), "model \"%s\": context "
		    "length", id);
		if (range(mopts.context_length, 1, CONTEXT_MAX, what) == -1)
			bad = 1;
		else
			m->m_context_length = mopts.context_length;
	}
	if (mopts.opts & MOPT_MAX_COMPLETION) {
		(void)snprintf(what, sizeof(what), "model \"%s\": max "
		    "completion", id);
		if (range(mopts.max_completion, 1, CONTEXT_MAX, what) == -1)
			bad = 1;
		else
			m->m_max_completion = mopts.max_completion;
	}
	if (m->m_context_length != 0 &&
	    m->m_max_completion > m->m_context_length) {
		yyerror("model \"%s\": max completion %llu exceeds context "
		    "length %llu", id, (unsigned long long)m->m_max_completion,
		    (unsigned long long)m->m_context_length);
		bad = 1;
	}
	free(prompt);
	free(completion);
	mopts_clear();
	m->m_id = id;
	m->m_upstream = upstream;
	m->m_upstream_id = as;
	if (bad) {
		free(m->m_id);
		free(m->m_upstream);
		free(m->m_upstream_id);
		free(m);
		return;
	}
	TAILQ_INSERT_TAIL(&conf->c_models, m, m_entry);

	if ((mr = calloc(1, sizeof(*mr))) == NULL)
		fatal("%s", __func__);
	mr->model = m;
	mr->file = xstrdup(file->name);
	mr->lineno = file->lineno;
	TAILQ_INSERT_TAIL(&modelrefs, mr, entry);
}

/* "price source NAME [url URL]": the public URL unless told another. */
static void
price_source(char *name, char *url)
{
	static const char *const names[PRICE_SOURCES] = PRICE_SOURCE_NAMES;
	static const char *const urls[PRICE_SOURCES] = {
		PRICE_URL_KRAKEN, PRICE_URL_COINBASE, PRICE_URL_BINANCE
	};
	int	 i;

	for (i = 0; i < PRICE_SOURCES; i++)
		if (strcmp(name, names[i]) == 0)
			break;
	if (i == PRICE_SOURCES)
		yyerror("unknown price source \"%s\" (kraken, coinbase or "
		    "binance)", name);
	else if (conf->c_price_url[i] != NULL)
		yyerror("price source %s already defined", name);
	else if (url == NULL)
		conf->c_price_url[i] = xstrdup(urls[i]);
	else if (check_url(url, "http", "https", "price source url") == 0) {
		conf->c_price_url[i] = url;
		url = NULL;
	}
	free(name);
	free(url);
}

static void
relay_add(char *url)
{
	struct relay	*r;

	if (check_url(url, "ws", "wss", "relay url") == -1) {
		free(url);
		return;
	}
	TAILQ_FOREACH(r, &conf->c_relays, r_entry)
		if (strcmp(r->r_url, url) == 0) {
			yyerror("relay \"%s\" already defined", url);
			free(url);
			return;
		}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("%s", __func__);
	r->r_url = url;
	TAILQ_INSERT_TAIL(&conf->c_relays, r, r_entry);
}
