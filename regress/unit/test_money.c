/*
 * money.c: every overflow edge of the checked msat arithmetic.
 */

#include <stdint.h>
#include <stdio.h>

#include "money.h"
#include "test.h"

int
main(void)
{
	uint64_t	 r;

	r = 7;
	T(money_add(&r, 1, 2) == 0 && r == 3, "add 1 + 2");
	T(money_add(&r, UINT64_MAX - 1, 1) == 0 && r == UINT64_MAX,
	    "add up to UINT64_MAX");
	r = 7;
	T(money_add(&r, UINT64_MAX, 1) == -1 && r == 7,
	    "add past UINT64_MAX fails, result untouched");
	T(money_add(&r, UINT64_MAX, UINT64_MAX) == -1, "add max + max fails");
	T(money_add(&r, 0, 0) == 0 && r == 0, "add 0 + 0");

	T(money_sub(&r, 5, 5) == 0 && r == 0, "sub to zero");
	r = 9;
	T(money_sub(&r, 5, 6) == -1 && r == 9,
	    "sub below zero fails, result untouched");
	T(money_sub(&r, 0, UINT64_MAX) == -1, "sub 0 - max fails");
	T(money_sub(&r, UINT64_MAX, UINT64_MAX) == 0 && r == 0,
	    "sub max - max");

	T(money_mul(&r, UINT64_MAX, 1) == 0 && r == UINT64_MAX, "mul max * 1");
	T(money_mul(&r, UINT64_MAX, 0) == 0 && r == 0, "mul max * 0");
	T(money_mul(&r, 1ULL << 32, 1ULL << 31) == 0 && r == 1ULL << 63,
	    "mul 2^32 * 2^31");
	r = 3;
	T(money_mul(&r, 1ULL << 32, 1ULL << 32) == -1 && r == 3,
	    "mul 2^32 * 2^32 fails");
	T(money_mul(&r, UINT64_MAX / 3 + 1, 3) == -1, "mul just past max fails");

	T(money_muldiv_up(&r, 10, 3, 4) == 0 && r == 8, "ceil(30/4) = 8");
	T(money_muldiv_up(&r, 10, 4, 4) == 0 && r == 10, "exact stays exact");
	T(money_muldiv_up(&r, 1, 1, 1000000) == 0 && r == 1,
	    "a fraction rounds up to 1");
	T(money_muldiv_up(&r, 0, 5, 7) == 0 && r == 0, "zero stays zero");
	T(money_muldiv_up(&r, 5, 5, 0) == -1, "division by zero fails");
	T(money_muldiv_up(&r, UINT64_MAX, UINT64_MAX, UINT64_MAX) == 0 &&
	    r == UINT64_MAX, "max*max/max fits through 128 bits");
	T(money_muldiv_up(&r, UINT64_MAX, 2, 2) == 0 && r == UINT64_MAX,
	    "max*2/2");
	T(money_muldiv_up(&r, UINT64_MAX, 3, 2) == -1, "max*3/2 fails");
	T(money_muldiv_up(&r, UINT64_MAX, UINT64_MAX, UINT64_MAX - 1) == -1,
	    "max*max/(max-1) fails after rounding");
	/* 2^64-1 = 3 * 5 * 17 * 257 * 641 * 65537 * 6700417 */
	T(money_muldiv_up(&r, UINT64_MAX - 1, 1, 2) == 0 &&
	    r == UINT64_MAX / 2, "(max-1)/2");
	T(money_muldiv_up(&r, UINT64_MAX, 1, 2) == 0 &&
	    r == UINT64_MAX / 2 + 1, "max/2 rounds up");

	T(money_muldiv_down(&r, 10, 3, 4) == 0 && r == 7, "floor(30/4) = 7");
	T(money_muldiv_down(&r, UINT64_MAX, 3, 2) == -1,
	    "floor(max*3/2) fails");
	T(money_muldiv_down(&r, 1, 1, 0) == -1, "floor division by zero fails");

	T(money_sat_to_msat(&r, 21) == 0 && r == 21000, "21 sat = 21000 msat");
	T(money_sat_to_msat(&r, UINT64_MAX / 1000) == 0 &&
	    r == UINT64_MAX / 1000 * 1000, "largest sat amount converts");
	T(money_sat_to_msat(&r, UINT64_MAX / 1000 + 1) == -1,
	    "one sat more overflows");
	T(money_msat_to_sat_up(1001) == 2 && money_msat_to_sat_up(1000) == 1 &&
	    money_msat_to_sat_up(0) == 0 && money_msat_to_sat_up(1) == 1,
	    "msat to sat rounds up");
	T(money_msat_to_sat_up(UINT64_MAX) == UINT64_MAX / 1000 + 1,
	    "msat to sat up at max does not wrap");
	T(money_msat_to_sat_down(1999) == 1, "msat to sat rounds down");
	return (test_done());
}
