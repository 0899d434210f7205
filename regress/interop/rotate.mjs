// cashu-ts after a keyset rotation to a keyset with an input fee: a
// token of the old keyset is still received (its proofs redeemed, new
// ones signed by the new keyset), a token of the new one too, its fee
// paid; a swap that does not pay the fee fails with 11005 (inputs do
// not balance outputs and fees), and one that pays it succeeds.  Prints
// TAP lines.
//
//	node rotate.mjs URL OLDTOKEN NEWTOKEN OLDID NEWID
//
// OLDTOKEN: 21 sat of the old keyset (no fee), NEWTOKEN: 3 sat (1 + 2)
// of the new one (100 ppk).

import { Wallet, getDecodedToken, CheckStateEnum } from '@cashu/cashu-ts';
import { secp256k1 } from '@noble/curves/secp256k1.js';

const [url, oldToken, newToken, oldId, newId] = process.argv.slice(2);
let failed = 0;

function ok(cond, what) {
	console.log((cond ? 'ok - ' : 'not ok - ') + what);
	if (!cond)
		failed++;
}

function n(a) {
	return typeof a === 'object' && a !== null && 'toNumber' in a ?
	    a.toNumber() : Number(a);
}

function sum(proofs) {
	return proofs.reduce((s, p) => s + n(p.amount), 0);
}

function plain(proofs) {
	return proofs.map(p => ({ amount: n(p.amount), id: p.id,
	    secret: p.secret, C: p.C }));
}

function point() {
	return Buffer.from(secp256k1.getPublicKey(
	    secp256k1.utils.randomSecretKey(), true)).toString('hex');
}

async function attempt(what, f) {
	try {
		return await f();
	} catch (e) {
		ok(false, what + ': ' + (e && e.message ? e.message : e));
		return undefined;
	}
}

async function post(path, body) {
	const r = await fetch(url + path, { method: 'POST',
	    body: JSON.stringify(body),
	    headers: { 'content-type': 'application/json' } });
	let j = null;
	try { j = await r.json(); } catch (e) { }
	return { status: r.status, body: j };
}

const w = new Wallet(url, { unit: 'sat' });
await main();
process.exitCode = failed ? 1 : 0;

async function main() {
if (await attempt('cashu-ts loads the rotated mint (it recomputes the '
    + 'ids, the fee of the new one included)', async () => {
	await w.loadMint();
	return true;
    }) === undefined)
	return;
ok(true, 'cashu-ts loads the rotated mint and accepts both keyset ids');
const ks = (await w.mint.getKeySets()).keysets;
const byId = Object.fromEntries(ks.map(k => [k.id, k]));
ok(byId[oldId] && byId[oldId].active === false &&
    n(byId[oldId].input_fee_ppk || 0) === 0,
    'the old keyset: inactive, no fee');
ok(byId[newId] && byId[newId].active === true &&
    n(byId[newId].input_fee_ppk) === 100, 'the new keyset: active, 100 ppk');

// A token of the old keyset, after the rotation.
const old = getDecodedToken(oldToken, ks.map(k => k.id)).proofs;
ok(old.length > 0 && old.every(p => p.id === oldId),
    'the old token is of the old keyset');
// /v1/keys serves active keysets only: the wallet asks for the old one
// by id to check the token's DLEQ proofs, and verifies its id again.
ok(await attempt('fetch the old keyset\'s keys', async () => {
	await w.keyChain.ensureKeysetKeys(oldId);
	return true;
}) === true, 'cashu-ts fetches the inactive keyset (/v1/keys/{id}) and '
    + 'verifies its id');
const got = await attempt('receive the old token', () => w.receive(oldToken));
if (got !== undefined) {
	ok(sum(got) === 21, 'received 21 sat for it (its inputs pay no fee), '
	    + 'got ' + sum(got));
	ok(got.every(p => p.id === newId),
	    'signed by the new keyset only');
	const st = await attempt('check states',
	    () => w.checkProofsStates(old));
	if (st !== undefined)
		ok(st.every(s => s.state === CheckStateEnum.SPENT),
		    'the old proofs are spent');
}

// A token of the new keyset: its 2 inputs cost ceil(200 / 1000) = 1 sat.
const mine = await attempt('receive the new token, paying its fee',
    () => w.receive(newToken));
if (mine === undefined)
	return;
ok(sum(mine) === 2, 'received 3 - 1 = 2 sat, got ' + sum(mine));

// The fee by hand: without it the swap is unbalanced.
const ins = plain(mine);
const fee = Math.ceil(ins.length * 100 / 1000);
const outs = a => [{ amount: a, id: newId, B_: point() }];
let r = await post('/v1/swap', { inputs: ins, outputs: outs(2) });
ok(r.status === 400 && r.body && r.body.code === 11005,
    'a swap of 2 sat into 2 without the fee: 400, code 11005 (got '
    + r.status + ' ' + JSON.stringify(r.body) + ')');
r = await post('/v1/swap', { inputs: ins, outputs: outs(2 - fee) });
ok(r.status === 200 && r.body && r.body.signatures &&
    r.body.signatures.length === 1 && r.body.signatures[0].id === newId,
    'the same swap into ' + (2 - fee) + ' with the fee: signed (got '
    + r.status + ')');
}
