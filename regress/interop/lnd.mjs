// cashu-ts mints and melts through the node's mint with the LND backend,
// against regress/lnd-mock.py: a mint quote paid on LND, a melt paid by
// LND with its fee taken from the reserve and the rest as change, a
// payment LND fails (the inputs come free), and a payment that stays in
// flight: the melt answers PENDING, and once LND settles it, asking
// for the quote finds it PAID.  Prints TAP.
//
//	node lnd.mjs MINT-URL MOCK-URL MACAROON-HEX
//
// The mock is HTTPS with LND's kind of self-signed certificate: the
// caller names it in NODE_EXTRA_CA_CERTS.

import { Wallet, MintQuoteState, MeltQuoteState, CheckStateEnum }
    from '@cashu/cashu-ts';

const [url, mock, macaroon, phase, state] = process.argv.slice(2);
const sleep = (ms) => new Promise(r => setTimeout(r, ms));
let failed = 0;

function ok(cond, what) {
	console.log((cond ? 'ok - ' : 'not ok - ') + 'lnd: ' + what);
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

async function knobs(k) {
	const r = await fetch(mock + '/mock/knobs', { method: 'POST',
	    body: JSON.stringify(k) });
	if (!r.ok)
		throw new Error('mock knobs: ' + r.status);
}

// An invoice of someone else's, from LND's own API (as a payee would).
async function invoice(sat, memo) {
	const r = await fetch(mock + '/v1/invoices', { method: 'POST',
	    headers: { 'Grpc-Metadata-macaroon': macaroon },
	    body: JSON.stringify({ value: String(sat), memo: memo }) });
	const j = await r.json();
	return { request: j.payment_request,
	    hash: Buffer.from(j.r_hash, 'base64').toString('hex') };
}

if (phase === 'restart-1')
	await restart1();
else if (phase === 'restart-2')
	await restart2();
else
	await main();
process.exitCode = failed ? 1 : 0;

// A melt in flight when the node stops: PENDING before, and after the
// restart the mint asks LND about it (its inputs come from the ledger).
async function restart1() {
	const w = new Wallet(url, { unit: 'sat' });
	await w.loadMint();
	await knobs({ settle_after: 0, pay: 'inflight' });
	const q = await w.createMintQuoteBolt11(64);
	await w.checkMintQuoteBolt11(q.quote);
	const proofs = await attempt('mint 64 sat',
	    () => w.mintProofsBolt11(64, q.quote));
	if (proofs === undefined)
		return;
	const inv = await invoice(40, 'across a restart');
	const mq = await w.createMeltQuoteBolt11(inv.request);
	const r = await w.send(n(mq.amount) + n(mq.fee_reserve), proofs,
	    { includeFees: true });
	let res;
	try {
		res = await w.meltProofsBolt11(mq, r.send);
	} catch (e) {
		res = { error: e };
	}
	ok(res.quote && res.quote.state === MeltQuoteState.PENDING,
	    'a melt in flight before the restart: PENDING');
	const fs = await import('node:fs');
	fs.writeFileSync(state, JSON.stringify({ quote: mq.quote,
	    hash: inv.hash, send: r.send }));
}

async function restart2() {
	const fs = await import('node:fs');
	const st = JSON.parse(fs.readFileSync(state));
	const w = new Wallet(url, { unit: 'sat' });
	await w.loadMint();
	let s = (await w.checkMeltQuoteBolt11(st.quote)).state;
	ok(s === MeltQuoteState.PENDING,
	    'after the restart, still PENDING while LND pays (' + s + ')');
	await fetch(mock + '/mock/finish/' + st.hash, { method: 'POST',
	    body: JSON.stringify({ status: 'SUCCEEDED' }) });
	for (let i = 0; i < 50; i++) {
		s = (await w.checkMeltQuoteBolt11(st.quote)).state;
		if (s !== MeltQuoteState.PENDING)
			break;
		await sleep(200);
	}
	ok(s === MeltQuoteState.PAID,
	    'once LND is done, the recovered melt is PAID (' + s + ')');
	const ps = await w.checkProofsStates(st.send);
	ok(ps.every(p => p.state === CheckStateEnum.SPENT),
	    'and its inputs, found in the ledger, SPENT');
}

async function main() {
	const w = new Wallet(url, { unit: 'sat' });
	if (await attempt('load the mint', async () => {
		await w.loadMint();
		return true;
	}) === undefined)
		return;

	// NUT-04 on LND: the invoice is LND's, paid when LND says SETTLED.
	await knobs({ settle_after: null });
	const q = await attempt('a mint quote for 200 sat',
	    () => w.createMintQuoteBolt11(200));
	if (q === undefined)
		return;
	ok(q.state === MintQuoteState.UNPAID && /^lnbcrt2u1/.test(q.request),
	    'an UNPAID quote with LND\'s invoice (lnbcrt2u...)');
	const s0 = await w.checkMintQuoteBolt11(q.quote);
	ok(s0.state === MintQuoteState.UNPAID,
	    'still UNPAID while LND has not seen the payment');
	await knobs({ settle_after: 0 });
	const s1 = await w.checkMintQuoteBolt11(q.quote);
	ok(s1.state === MintQuoteState.PAID, 'PAID once LND says SETTLED');
	const proofs = await attempt('mint 200 sat',
	    () => w.mintProofsBolt11(200, q.quote));
	if (proofs === undefined)
		return;
	ok(sum(proofs) === 200, 'minted 200 sat');

	// NUT-05: LND pays with a 1-sat fee; the rest of the reserve returns.
	await knobs({ pay: 'succeed', delay: 0.1, fee_msat: 1000 });
	const inv = await invoice(50, 'a payee');
	const mq = await attempt('a melt quote',
	    () => w.createMeltQuoteBolt11(inv.request));
	if (mq === undefined)
		return;
	ok(n(mq.amount) === 50 && n(mq.fee_reserve) === 2,
	    'the melt quote: 50 sat, reserve 2 sat (' + n(mq.fee_reserve) +
	    ')');
	let { keep, send } = await w.send(n(mq.amount) + n(mq.fee_reserve),
	    proofs, { includeFees: true });
	const res = await attempt('melt', () => w.meltProofsBolt11(mq, send));
	if (res !== undefined) {
		ok(res.quote.state === MeltQuoteState.PAID,
		    'the melt is PAID (' + res.quote.state + ')');
		ok(typeof res.quote.payment_preimage === 'string' &&
		    res.quote.payment_preimage.length === 64,
		    'with LND\'s preimage');
		ok(sum(res.change || []) === 1,
		    'change: the reserve less LND\'s 1-sat fee (' +
		    sum(res.change || []) + ')');
		keep = keep.concat(res.change || []);
	}

	// LND fails the payment: the inputs are free again.
	await knobs({ pay: 'fail' });
	const inv2 = await invoice(20, 'no route');
	const fq = await attempt('a melt quote for a payment that will fail',
	    () => w.createMeltQuoteBolt11(inv2.request));
	if (fq !== undefined) {
		const r = await w.send(n(fq.amount) + n(fq.fee_reserve), keep,
		    { includeFees: true });
		keep = r.keep;
		try {
			await w.meltProofsBolt11(fq, r.send);
			ok(false, 'the melt of a failing payment fails');
		} catch (e) {
			ok(e.code === 20004 || /fail/i.test(e.message),
			    'the melt fails (' + e.code + ' ' + e.message +
			    ')');
		}
		const st = await w.checkProofsStates(r.send);
		ok(st.every(s => s.state === CheckStateEnum.UNSPENT),
		    'its inputs are UNSPENT again');
		const fs = await w.checkMeltQuoteBolt11(fq.quote);
		ok(fs.state === MeltQuoteState.UNPAID, 'the quote is UNPAID');
		keep = keep.concat(r.send);
	}

	// In flight: PENDING now, PAID once LND is done.
	await knobs({ pay: 'inflight' });
	const inv3 = await invoice(30, 'slow route');
	const pq = await attempt('a melt quote for a slow payment',
	    () => w.createMeltQuoteBolt11(inv3.request));
	if (pq === undefined)
		return;
	const r3 = await w.send(n(pq.amount) + n(pq.fee_reserve), keep,
	    { includeFees: true });
	const t0 = Date.now();
	let pending;
	try {
		pending = await w.meltProofsBolt11(pq, r3.send);
	} catch (e) {
		pending = { error: e };
	}
	ok(pending.quote && pending.quote.state === MeltQuoteState.PENDING,
	    'the melt answers PENDING while LND pays (' +
	    (pending.quote ? pending.quote.state : pending.error.message) +
	    ', ' + Math.round((Date.now() - t0) / 1000) + ' s)');
	const st3 = await w.checkProofsStates(r3.send);
	ok(st3.every(s => s.state === CheckStateEnum.PENDING),
	    'its inputs are PENDING');
	await fetch(mock + '/mock/finish/' + inv3.hash, { method: 'POST',
	    body: JSON.stringify({ status: 'SUCCEEDED' }) });
	let state;
	for (let i = 0; i < 50; i++) {
		state = (await w.checkMeltQuoteBolt11(pq.quote)).state;
		if (state !== MeltQuoteState.PENDING)
			break;
		await sleep(200);
	}
	ok(state === MeltQuoteState.PAID,
	    'after LND settles, the quote is PAID (' + state + ')');
	const st4 = await w.checkProofsStates(r3.send);
	ok(st4.every(s => s.state === CheckStateEnum.SPENT),
	    'and its inputs SPENT');
}
