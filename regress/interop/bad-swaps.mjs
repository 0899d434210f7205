// Every invalid swap gets its NUT error, and a bad request changes
// nothing: the proofs stay spendable.  Prints TAP lines.
//
//	node bad-swaps.mjs URL TOKEN1 TOKEN2

import { getDecodedToken } from '@cashu/cashu-ts';
import { secp256k1 } from '@noble/curves/secp256k1.js';

const [url, token1, token2] = process.argv.slice(2);

function ok(cond, what) {
	console.log((cond ? 'ok - ' : 'not ok - ') + what);
	if (!cond)
		process.exitCode = 1;
}

function amount(a) {
	return typeof a === 'object' && a !== null && 'toNumber' in a ?
	    a.toNumber() : Number(a);
}

function point() {
	return Buffer.from(secp256k1.getPublicKey(
	    secp256k1.utils.randomSecretKey(), true)).toString('hex');
}

const ks = (await (await fetch(url + '/v1/keysets')).json()).keysets;
const kid = ks.find(k => k.active).id;
function decode(t) {
	return getDecodedToken(t, ks.map(k => k.id)).proofs.map(p => ({
	    amount: amount(p.amount), id: p.id, secret: p.secret, C: p.C }));
}
const ins = decode(token1);		// 3 sat: 1 + 2
const ins2 = decode(token2);		// 3 sat: 1 + 2

function outs(total) {
	const o = [];
	for (let b = 0; (1 << b) <= total; b++)
		if (total & (1 << b))
			o.push({ amount: 1 << b, id: kid, B_: point() });
	return o;
}

async function post(path, body) {
	const r = await fetch(url + path, { method: 'POST',
	    body: typeof body === 'string' ? body : JSON.stringify(body),
	    headers: { 'content-type': 'application/json' } });
	let j = null;
	try { j = await r.json(); } catch (e) { }
	return { status: r.status, body: j };
}

async function expect(what, path, body, code) {
	const r = await post(path, body);
	ok(r.status === 400 && r.body && r.body.code === code &&
	    typeof r.body.detail === 'string', what + ': 400, code ' + code +
	    ' (got ' + r.status + ' ' + JSON.stringify(r.body) + ')');
}

const total = ins.reduce((s, p) => s + p.amount, 0);
await expect('an unknown keyset in the outputs', '/v1/swap',
    { inputs: ins, outputs: [{ amount: total, id: '00' + 'ab'.repeat(7),
    B_: point() }] }, 12001);
await expect('an unknown keyset in the inputs', '/v1/swap',
    { inputs: [{ ...ins[0], id: '00' + 'cd'.repeat(7) }],
    outputs: outs(ins[0].amount) }, 12001);
await expect('a proof with a wrong C', '/v1/swap',
    { inputs: [{ ...ins[0], C: point() }], outputs: outs(ins[0].amount) },
    10001);
await expect('a proof claiming another amount', '/v1/swap',
    { inputs: [{ ...ins[0], amount: ins[0].amount * 2 }],
    outputs: outs(ins[0].amount * 2) }, 10001);
await expect('the same proof twice', '/v1/swap',
    { inputs: [ins[0], ins[0]], outputs: outs(2 * ins[0].amount) }, 11007);
const o = outs(total);
await expect('the same output twice', '/v1/swap',
    { inputs: ins, outputs: [o[0], o[0]].concat(o.slice(1)) }, 11008);
await expect('outputs worth more than the inputs', '/v1/swap',
    { inputs: ins, outputs: outs(total + 1) }, 11005);
await expect('outputs worth less than the inputs', '/v1/swap',
    { inputs: ins, outputs: outs(total - 1) }, 11005);
await expect('an output amount that is not a power of two', '/v1/swap',
    { inputs: ins, outputs: [{ amount: total, id: kid, B_: point() }] },
    total === 3 ? 11005 : 11005);
await expect('a blinded message that is not a point', '/v1/swap',
    { inputs: ins, outputs: [{ ...o[0], B_: '02' + '00'.repeat(32) }]
    .concat(o.slice(1)) }, 10001);
await expect('a NUT-10 secret (spending conditions)', '/v1/swap',
    { inputs: [{ ...ins[0], secret: '["P2PK",{"nonce":"00","data":"02"}]' }],
    outputs: outs(ins[0].amount) }, 10001);
await expect('a proof with a witness', '/v1/swap',
    { inputs: [{ ...ins[0], witness: '{"signatures":[]}' }],
    outputs: outs(ins[0].amount) }, 10001);
await expect('no inputs', '/v1/swap', { inputs: [], outputs: o }, 10000);
await expect('no outputs', '/v1/swap', { inputs: ins, outputs: [] },
    10000);
await expect('257 inputs', '/v1/swap', { inputs: Array(257).fill(ins[0]),
    outputs: o }, 11014);
await expect('257 outputs', '/v1/swap', { inputs: ins,
    outputs: Array(257).fill(o[0]) }, 11015);
await expect('a negative amount', '/v1/swap',
    { inputs: [{ ...ins[0], amount: -1 }], outputs: o }, 10000);
await expect('C that is not hex', '/v1/swap',
    { inputs: [{ ...ins[0], C: 'zz' + ins[0].C.slice(2) }], outputs: o },
    10000);
await expect('a body that is not JSON', '/v1/swap', '{"inputs": [', 10000);
await expect('a JSON array body', '/v1/swap', '[1, 2]', 10000);
await expect('a key given twice', '/v1/swap',
    '{"inputs": [], "inputs": []}', 10000);
await expect('checkstate of a Y that is not a point', '/v1/checkstate',
    { Ys: ['02' + '00'.repeat(32)] }, 10001);

// None of that spent anything: the proofs still swap, once.
const good = await post('/v1/swap', { inputs: ins, outputs: o });
ok(good.status === 200 && good.body.signatures.length === o.length,
    'after all that, the proofs swap (' + good.status + ')');
const sig = good.body.signatures || [];
ok(sig.every((s, i) => s.amount === o[i].amount && s.id === kid &&
    typeof s.C_ === 'string' && s.dleq && s.dleq.e && s.dleq.s),
    'signatures in the order of the outputs, with DLEQ proofs');
await expect('outputs signed before, with other proofs', '/v1/swap',
    { inputs: ins2, outputs: o }, 11003);
// and those other proofs are still good
const again = await post('/v1/swap', { inputs: ins2, outputs: outs(total) });
ok(again.status === 200, 'a refused swap left its proofs spendable');
const rs = await post('/v1/restore', { outputs: o.concat(outs(1)) });
ok(rs.status === 200 && rs.body.outputs.length === o.length &&
    rs.body.signatures.length === o.length &&
    rs.body.signatures.every((s, i) => s.C_ === sig[i].C_),
    'restore gives back the signatures of known outputs only');
