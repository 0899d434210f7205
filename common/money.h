/*
 * Checked arithmetic on unsigned 64-bit amounts (msat).  Every function
 * returns 0 and stores the result, or returns -1 and leaves *res alone
 * when the result does not fit: money never wraps.
 */

#ifndef MONEY_H
#define MONEY_H

#include <stdint.h>

#define MSAT_PER_SAT	1000ULL

int	money_add(uint64_t *, uint64_t, uint64_t);
int	money_sub(uint64_t *, uint64_t, uint64_t);
int	money_mul(uint64_t *, uint64_t, uint64_t);
int	money_muldiv_up(uint64_t *, uint64_t, uint64_t, uint64_t);
int	money_muldiv_down(uint64_t *, uint64_t, uint64_t, uint64_t);
int	money_sat_to_msat(uint64_t *, uint64_t);
uint64_t money_msat_to_sat_up(uint64_t);
uint64_t money_msat_to_sat_down(uint64_t);

#endif /* MONEY_H */
