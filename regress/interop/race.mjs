// A hundred swaps of the same proofs at once, each with outputs of its
// own: exactly one may win, the others must fail with 11001 (spent) or
// 11002 (pending).  Prints TAP lines.
//
//	node race.mjs URL TOKEN [N]

import { getDecodedToken } from '@cashu/cashu-ts';
import { secp256k1 } from '@noble/curves/secp256k1.js';

const [url, token, nstr] = process.argv.slice(2);
const n = Number(nstr || 100);

function ok(cond, what) {
	console.log((cond ? 'ok - ' : 'not ok - ') + what);
	if (!cond)
		process.exitCode = 1;
}

function amount(a) {
	return typeof a === 'object' && a !== null && 'toNumber' in a ?
	    a.toNumber() : Number(a);
}

const ks = await (await fetch(url + '/v1/keysets')).json();
const active = ks.keysets.find(k => k.active);
const proofs = getDecodedToken(token, ks.keysets.map(k => k.id)).proofs;
const inputs = proofs.map(p => ({ amount: amount(p.amount), id: p.id,
    secret: p.secret, C: p.C }));
const total = inputs.reduce((s, p) => s + p.amount, 0);

// Outputs: the same amounts, at points no one knows the discrete log of
// (the mint does not care: it signs what it is given).
function outputs() {
	const out = [];
	for (let b = 0; (1 << b) <= total; b++)
		if (total & (1 << b))
			out.push({ amount: 1 << b, id: active.id,
			    B_: Buffer.from(secp256k1.getPublicKey(
			    secp256k1.utils.randomSecretKey(), true))
			    .toString('hex') });
	return out;
}

const bodies = [];
for (let i = 0; i < n; i++)
	bodies.push(JSON.stringify({ inputs, outputs: outputs() }));
const results = await Promise.all(bodies.map(async (body) => {
	const r = await fetch(url + '/v1/swap', { method: 'POST', body,
	    headers: { 'content-type': 'application/json' } });
	return { status: r.status, body: await r.json() };
}));
const won = results.filter(r => r.status === 200);
const lost = results.filter(r => r.status === 400 &&
    (r.body.code === 11001 || r.body.code === 11002));
ok(won.length === 1, n + ' concurrent swaps of the same proofs: exactly '
    + 'one wins (' + won.length + ')');
ok(lost.length === n - 1, 'the ' + (n - 1) + ' others fail as spent or '
    + 'pending (' + lost.length + ')');
ok(won.length === 1 && won[0].body.signatures.length ===
    JSON.parse(bodies[0]).outputs.length, 'the winner got its signatures');
