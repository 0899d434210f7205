/*
 * mintd: the key holder.  The mint's keys, the wallet and the node's
 * Nostr secret key live here and nowhere else.
 */

#ifndef MINTD_H
#define MINTD_H

#include "ipc.h"

/* nostr_key.c */
int	 nostr_key_load(int);
void	 nostr_key_identity(struct ipc_identity *);

#endif /* MINTD_H */
