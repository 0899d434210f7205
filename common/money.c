/*
 * Checked msat arithmetic.  The products go through 128 bits so that
 * a * b / d is exact whenever the final result fits in 64 bits.
 */

#include <stdint.h>

#include "money.h"

int
money_add(uint64_t *res, uint64_t a, uint64_t b)
{
	uint64_t	 r;

	if (__builtin_add_overflow(a, b, &r))
		return (-1);
	*res = r;
	return (0);
}

int
money_sub(uint64_t *res, uint64_t a, uint64_t b)
{
	if (b > a)
		return (-1);
	*res = a - b;
	return (0);
}

int
money_mul(uint64_t *res, uint64_t a, uint64_t b)
{
	uint64_t	 r;

	if (__builtin_mul_overflow(a, b, &r))
		return (-1);
	*res = r;
	return (0);
}

/* ceil(a * b / d) */
int
money_muldiv_up(uint64_t *res, uint64_t a, uint64_t b, uint64_t d)
{
	unsigned __int128	 p, q;

	if (d == 0)
		return (-1);
	p = (unsigned __int128)a * b;
	q = p / d;
	if (p % d != 0)
		q++;
	if (q > UINT64_MAX)
		return (-1);
	*res = (uint64_t)q;
	return (0);
}

/* floor(a * b / d) */
int
money_muldiv_down(uint64_t *res, uint64_t a, uint64_t b, uint64_t d)
{
	unsigned __int128	 q;

	if (d == 0)
		return (-1);
	q = (unsigned __int128)a * b / d;
	if (q > UINT64_MAX)
		return (-1);
	*res = (uint64_t)q;
	return (0);
}

int
money_sat_to_msat(uint64_t *res, uint64_t sat)
{
	return (money_mul(res, sat, MSAT_PER_SAT));
}

/* What a whole-sat payment of msat must be: rounded up, cannot overflow. */
uint64_t
money_msat_to_sat_up(uint64_t msat)
{
	return (msat / MSAT_PER_SAT + (msat % MSAT_PER_SAT != 0));
}

uint64_t
money_msat_to_sat_down(uint64_t msat)
{
	return (msat / MSAT_PER_SAT);
}
