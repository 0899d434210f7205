/*
 * test_ledger_sync: commits made durable off the event loop
 * (ledger_sync.c).  A sync asked for is not done at once and its end
 * comes through the event loop; commits made meanwhile share the next
 * sync; a lone request is synced at once; generations only grow; the
 * wait at the end leaves nothing pending; and what was committed is
 * there after the ledger is opened again.
 */

#include <sys/types.h>

#include <event.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger.h"
#include "log.h"
#include "test.h"

static void	 synced(uint64_t);
static void	 commit_one(struct ledger *, unsigned int);
static int	 loop_until(uint64_t);
static void	 give_up(int, short, void *);

static uint64_t	 calls[64];
static size_t	 ncalls;
static int	 timed_out;

static void
synced(uint64_t gen)
{
	if (ncalls < sizeof(calls) / sizeof(calls[0]))
		calls[ncalls] = gen;
	ncalls++;
}

/* One account created and committed without waiting for the disk. */
static void
commit_one(struct ledger *l, unsigned int n)
{
	struct ledger_account	 a;
	struct ledger_txn	*t;
	uint8_t			 reqid[LEDGER_REQID_LEN];

	memset(&a, 0, sizeof(a));
	memset(a.la_key, (int)n, sizeof(a.la_key));
	a.la_balance = 1000 * n;
	(void)strlcpy(a.la_unit, "msat", sizeof(a.la_unit));
	(void)strlcpy(a.la_mint, "https://mint.example", sizeof(a.la_mint));
	memset(reqid, (int)n, sizeof(reqid));
	if (ledger_begin(l, NULL, &t) != LEDGER_OK ||
	    ledger_account_create(t, &a, reqid) != LEDGER_OK ||
	    ledger_commit_nosync(t) != LEDGER_OK) {
		printf("# cannot commit account %u\n", n);
		exit(1);
	}
}

static void
give_up(int fd, short ev, void *arg)
{
	timed_out = 1;
}

/* Run the loop until durable through gen (at most 10 s): 0, else -1. */
static int
loop_until(uint64_t gen)
{
	struct event	 ev;
	struct timeval	 tv = { 10, 0 };

	timed_out = 0;
	evtimer_set(&ev, give_up, NULL);
	evtimer_add(&ev, &tv);
	while (ledger_sync_durable() < gen && !timed_out)
		event_loop(EVLOOP_ONCE);
	evtimer_del(&ev);
	return (ledger_sync_durable() >= gen ? 0 : -1);
}

int
main(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_account	 a;
	char			 dir[PATH_MAX], cmd[PATH_MAX + 16];
	const char		*tmp;
	uint64_t		 g1, g2, g3, g4;
	unsigned int		 i;
	uint8_t			 key[LEDGER_KEY_LEN];
	int			 ok;

	log_init(1, 0);
	event_init();
	tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	(void)snprintf(dir, sizeof(dir), "%s/test_ledger_sync.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL || ledger_open(&l, dir, 0) != 0) {
		printf("# cannot make a ledger in %s\n", dir);
		return (1);
	}
	ledger_sync_init(l, dir, synced);
	T(ledger_sync_pending() == 0 && ledger_sync_durable() == 0 &&
	    ncalls == 0, "nothing pending at first");

	if (ledger_sync_async()) {
		commit_one(l, 1);
		g1 = ledger_sync_request(0);
		T(g1 == 1 && ledger_sync_durable() == 0 &&
		    ledger_sync_pending() == 1 && ncalls == 0,
		    "a sync asked for: under way, not done at once");
		commit_one(l, 2);
		commit_one(l, 3);
		g2 = ledger_sync_request(0);
		T(g2 == 2 && ledger_sync_durable() == 0 &&
		    ledger_sync_pending() == 2,
		    "commits while it runs: wait for the next");
		T(loop_until(g2) == 0, "both end through the event loop");
		T(ncalls == 2 && calls[0] == 1 && calls[1] == 2,
		    "the first sync, then one for all that came meanwhile");
		T(ledger_sync_pending() == 0, "then nothing pending");
	} else
		printf("# no asynchronous fdsync here: every sync waits\n");

	commit_one(l, 4);
	i = (unsigned int)ncalls;
	g3 = ledger_sync_request(1);
	T(g3 > 0 && ledger_sync_durable() == g3 &&
	    ledger_sync_pending() == 0,
	    "a lone request with nothing under way: durable at once");
	T(ncalls == i || (ncalls == i + 1 && calls[i] == g3),
	    "... told at most once");

	commit_one(l, 5);
	g4 = ledger_sync_request(0);
	T(g4 == g3 + 1, "generations only grow");
	ledger_sync_wait();
	T(ledger_sync_durable() == g4 && ledger_sync_pending() == 0 &&
	    ncalls > 0 && calls[(ncalls - 1) % 64] == g4,
	    "the wait at the end: everything durable, and told");

	ledger_close(l);
	ok = ledger_open(&l, dir, 0) == 0;
	for (i = 1; ok && i <= 5; i++) {
		memset(key, (int)i, sizeof(key));
		t = NULL;
		ok = ledger_begin(l, NULL, &t) == LEDGER_OK &&
		    ledger_account_get(t, key, &a) == LEDGER_OK &&
		    a.la_balance == 1000 * i;
		if (t != NULL)
			ledger_abort(t);
	}
	T(ok, "every account committed is there after a reopen");
	ledger_close(l);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return (test_done());
}
