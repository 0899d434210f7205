// A write storm against the mint, for the crash test: every proof of the
// given tokens is swapped on its own, many at a time, until the suite is
// killed.  Each swap is written to the log as it is sent and again when
// it is answered, so that what was answered "done" is known.
//
//	node storm.mjs URL TOKENFILE LOG
//
// and after a restart, the check:
//
//	node storm.mjs --check URL LOG
//
// Every swap answered 200 must be whole after recovery (its proof
// spent, its output restorable); every other one whole or absent
// (spent and restorable, or unspent and not restorable), never half.

import { readFileSync, appendFileSync } from 'node:fs';
import { getDecodedToken, hashToCurve } from '@cashu/cashu-ts';
import { secp256k1 } from '@noble/curves/secp256k1.js';

const amount = (a) => typeof a === 'object' && a !== null && 'toNumber' in a ?
    a.toNumber() : Number(a);
const hex = (b) => Buffer.from(b).toString('hex');

async function post(url, path, body) {
	const r = await fetch(url + path, { method: 'POST',
	    body: JSON.stringify(body),
	    headers: { 'content-type': 'application/json' },
	    signal: AbortSignal.timeout(10000) });
	return { status: r.status, body: await r.json() };
}

if (process.argv[2] === '--check') {
	const [url, log] = process.argv.slice(3);
	const swaps = new Map();
	for (const line of readFileSync(log, 'utf8').split('\n')) {
		if (!line)
			continue;
		const e = JSON.parse(line);
		if (e.sent)
			swaps.set(e.Y, { ...e, done: false });
		else if (e.done && swaps.has(e.Y))
			swaps.get(e.Y).done = true;
	}
	const all = [...swaps.values()];
	let bad = 0, whole = 0, absent = 0, answered = 0;
	for (let i = 0; i < all.length; i += 100) {
		const part = all.slice(i, i + 100);
		const st = await post(url, '/v1/checkstate',
		    { Ys: part.map(s => s.Y) });
		const rs = await post(url, '/v1/restore',
		    { outputs: part.map(s => s.output) });
		const restored = new Set(rs.body.outputs.map(o => o.B_));
		part.forEach((s, j) => {
			const spent = st.body.states[j].state === 'SPENT';
			const out = restored.has(s.output.B_);
			if (s.done)
				answered++;
			if (spent && out)
				whole++;
			else if (!spent && !out && !s.done)
				absent++;
			else {
				bad++;
				console.log('# swap ' + j + ': answered ' + s.done +
				    ', spent ' + spent + ', output ' + out);
			}
		});
	}
	console.log((bad === 0 ? 'ok' : 'not ok') + ' - after recovery: ' +
	    all.length + ' swaps sent, ' + answered + ' answered; ' + whole +
	    ' whole, ' + absent + ' absent, ' + bad + ' half-applied or lost');
	process.exitCode = bad ? 1 : 0;
} else {
	const [url, tokenfile, log] = process.argv.slice(2);
	const ks = (await (await fetch(url + '/v1/keysets')).json()).keysets;
	const kid = ks.find(k => k.active).id;
	const proofs = [];
	for (const t of readFileSync(tokenfile, 'utf8').split('\n'))
		if (t)
			proofs.push(...getDecodedToken(t, ks.map(k => k.id))
			    .proofs);
	let next = 0;
	async function worker() {
		while (next < proofs.length) {
			const p = proofs[next++];
			const input = { amount: amount(p.amount), id: p.id,
			    secret: p.secret, C: p.C };
			const output = { amount: input.amount, id: kid,
			    B_: hex(secp256k1.getPublicKey(
			    secp256k1.utils.randomSecretKey(), true)) };
			const Y = hashToCurve(new TextEncoder().encode(p.secret))
			    .toHex(true);
			appendFileSync(log, JSON.stringify({ sent: 1, Y,
			    output }) + '\n');
			try {
				const r = await post(url, '/v1/swap',
				    { inputs: [input], outputs: [output] });
				if (r.status === 200)
					appendFileSync(log, JSON.stringify({
					    done: 1, Y }) + '\n');
			} catch (e) {
				return;		/* the suite is gone */
			}
		}
	}
	await Promise.all(Array.from({ length: 32 }, worker));
}
