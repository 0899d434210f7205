// cashu-ts mints and melts through the node's mint with fake Lightning:
// NUT-04 quotes and minting, NUT-20 locked quotes, NUT-05 melting with
// NUT-08 change, and a failed payment that frees its inputs.  Prints TAP.
//
//	node lightning.mjs URL

import { Wallet, MintQuoteState, MeltQuoteState, CheckStateEnum }
    from '@cashu/cashu-ts';
import { secp256k1, schnorr } from '@noble/curves/secp256k1.js';

const url = process.argv[2];
const sleep = (ms) => new Promise(r => setTimeout(r, ms));
let failed = 0;

function ok(cond, what) {
	console.log((cond ? 'ok - ' : 'not ok - ') + what);
	if (!cond)
		failed++;
}

const n = (a) => typeof a === 'object' && a !== null && 'toNumber' in a ?
    a.toNumber() : Number(a);
const sum = (ps) => ps.reduce((s, p) => s + n(p.amount), 0);

async function attempt(what, f) {
	try {
		return await f();
	} catch (e) {
		ok(false, what + ': ' + (e && e.message ? e.message : e) +
		    (e && e.code ? ' (code ' + e.code + ')' : ''));
		return undefined;
	}
}

async function paid(w, q) {
	for (let i = 0; i < 50; i++) {
		const s = await w.checkMintQuoteBolt11(q.quote);
		if (s.state === MintQuoteState.PAID)
			return true;
		await sleep(200);
	}
	return false;
}

await main();
process.exitCode = failed ? 1 : 0;

async function main() {
	const w = new Wallet(url, { unit: 'sat' });
	if (await attempt('load the mint', async () => {
		await w.loadMint();
		return true;
	}) === undefined)
		return;

	// NUT-04
	const q = await attempt('a mint quote for 100 sat',
	    () => w.createMintQuoteBolt11(100));
	if (q === undefined)
		return;
	ok(q.state === MintQuoteState.UNPAID && /^lnbc1u1/.test(q.request),
	    'an UNPAID quote with a 100-sat invoice (lnbc1u...)');
	try {
		await w.mintProofsBolt11(100, q.quote);
		ok(false, 'minting an unpaid quote fails');
	} catch (e) {
		ok(e.code === 20001, 'minting an unpaid quote fails with 20001 '
		    + '(' + e.code + ')');
	}
	ok(await paid(w, q), 'the fake invoice pays itself: PAID');
	const proofs = await attempt('mint 100 sat',
	    () => w.mintProofsBolt11(100, q.quote));
	if (proofs === undefined)
		return;
	ok(sum(proofs) === 100, 'minted 100 sat');
	const st = await w.checkMintQuoteBolt11(q.quote);
	ok(st.state === MintQuoteState.ISSUED, 'the quote is ISSUED');
	try {
		await w.mintProofsBolt11(100, q.quote);
		ok(false, 'minting it again fails');
	} catch (e) {
		ok(e.code === 20002, 'minting it again fails with 20002 (' +
		    e.code + ')');
	}

	// NUT-20: a quote locked to a key; minting needs its signature.
	const sk = secp256k1.utils.randomSecretKey();
	const pk = Buffer.from(secp256k1.getPublicKey(sk, true)).toString('hex');
	const lq = await attempt('a locked mint quote (NUT-20)',
	    () => w.createLockedMintQuote(21, pk));
	if (lq !== undefined) {
		ok(lq.pubkey === pk, 'the quote echoes its pubkey');
		await paid(w, lq);
		try {
			await w.mintProofsBolt11(21, lq.quote);
			ok(false, 'minting a locked quote without its key fails');
		} catch (e) {
			ok(e.code === 20008, 'minting a locked quote without '
			    + 'its key fails with 20008 (' + e.code + ')');
		}
		const lp = await attempt('mint the locked quote with its key',
		    () => w.mintProofsBolt11(21, lq.quote,
		    { privkey: Buffer.from(sk).toString('hex') }));
		if (lp !== undefined)
			ok(sum(lp) === 21, 'minted 21 sat with the key');
	}

	// NUT-05: pay an invoice (another mint quote's), with change.
	const target = await w.createMintQuoteBolt11(10);
	const mq = await attempt('a melt quote',
	    () => w.createMeltQuoteBolt11(target.request));
	if (mq === undefined)
		return;
	ok(n(mq.amount) === 10 && n(mq.fee_reserve) >= 1 &&
	    mq.state === MeltQuoteState.UNPAID,
	    'the melt quote: 10 sat, a fee reserve, UNPAID');
	const { keep, send } = await w.send(n(mq.amount) + n(mq.fee_reserve),
	    proofs, { includeFees: true });
	const res = await attempt('melt',
	    () => w.meltProofsBolt11(mq, send));
	if (res !== undefined) {
		ok(res.quote.state === MeltQuoteState.PAID,
		    'the melt is PAID (' + res.quote.state + ')');
		ok(typeof res.quote.payment_preimage === 'string' &&
		    res.quote.payment_preimage.length === 64,
		    'with the payment preimage');
		const change = sum(res.change || []);
		ok(change === n(mq.fee_reserve),
		    'the unused fee reserve comes back as change (' + change +
		    ' of ' + n(mq.fee_reserve) + ')');
		const s2 = await w.checkProofsStates(send);
		ok(s2.every(s => s.state === CheckStateEnum.SPENT),
		    'the melted proofs are SPENT');
		try {
			await w.meltProofsBolt11(mq, keep);
			ok(false, 'melting the same quote again fails');
		} catch (e) {
			ok(e.code === 20006 || e.code === 11005,
			    'melting the same quote again fails (' + e.code +
			    ')');
		}
	}

	// A payment that fails gives the inputs back.
	const bad = await w.createMintQuoteBolt11(5, 'fake:fail');
	const fq = await attempt('a melt quote for an invoice that will fail',
	    () => w.createMeltQuoteBolt11(bad.request));
	if (fq !== undefined) {
		const { send: s3 } = await w.send(n(fq.amount) +
		    n(fq.fee_reserve), keep, { includeFees: true });
		try {
			await w.meltProofsBolt11(fq, s3);
			ok(false, 'a failing payment is reported');
		} catch (e) {
			ok(e.code === 20004, 'a failing payment gives 20004 (' +
			    e.code + ')');
		}
		const s4 = await w.checkProofsStates(s3);
		ok(s4.every(s => s.state === CheckStateEnum.UNSPENT),
		    'and its inputs are UNSPENT again');
	}
}
