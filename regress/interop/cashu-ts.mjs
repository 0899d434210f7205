// cashu-ts (npm @cashu/cashu-ts, pinned in package.json) against the
// node's own mint.  Prints TAP lines ("ok - ..."/"not ok - ...").
//
//	node cashu-ts.mjs URL TOKEN1 TOKEN2
//
// TOKEN1 and TOKEN2 are test tokens of 21 and 64 sat from
// "routstrctl mint token".

import { Wallet, getEncodedToken, getDecodedToken, CheckStateEnum }
    from '@cashu/cashu-ts';

const [url, token1, token2] = process.argv.slice(2);
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

async function attempt(what, f) {
	try {
		return await f();
	} catch (e) {
		ok(false, what + ': ' + (e && e.message ? e.message : e));
		return undefined;
	}
}

const alice = new Wallet(url, { unit: 'sat' });
await main();
// Let stdout drain (it is a pipe under the test runner).
process.exitCode = failed ? 1 : 0;

async function main() {
if (await attempt('cashu-ts loads the mint (info, keysets, keys; it '
    + 'recomputes every keyset id)', async () => {
	await alice.loadMint();
	return true;
    }) === undefined)
	return;
ok(true, 'cashu-ts loads the mint and accepts its keyset ids');

const proofs = await attempt('receive a test token (a swap)',
    () => alice.receive(token1));
if (proofs !== undefined) {
	ok(sum(proofs) === 21, 'received 21 sat, got ' + sum(proofs));

	// The same token again: spent.
	try {
		await alice.receive(token1);
		ok(false, 'receiving the same token twice fails');
	} catch (e) {
		ok(e.code === 11001, 'receiving the same token twice fails '
		    + 'with 11001 (got ' + e.code + ': ' + e.message + ')');
	}

	// NUT-07: the token's proofs went into the swap, the new ones not.
	const old = getDecodedToken(token1,
	    (await alice.mint.getKeySets()).keysets.map(k => k.id)).proofs;
	const st = await attempt('check states', () =>
	    alice.checkProofsStates(old.concat(proofs)));
	if (st !== undefined) {
		ok(st.length === old.length + proofs.length,
		    'a state for each proof asked about');
		ok(st.slice(0, old.length).every(s =>
		    s.state === CheckStateEnum.SPENT),
		    'the token\'s proofs are SPENT');
		ok(st.slice(old.length).every(s =>
		    s.state === CheckStateEnum.UNSPENT),
		    'the swapped ones are UNSPENT');
	}

	const sent = await attempt('send 13 sat',
	    () => alice.send(13, proofs, { includeFees: true }));
	if (sent !== undefined) {
		ok(sum(sent.send) === 13 && sum(sent.keep) === 8,
		    'send 13 of 21 (a swap): 13 to send, 8 kept');
		// Bob receives the 5 as a token.
		const bob = new Wallet(url, { unit: 'sat' });
		await bob.loadMint();
		const t = getEncodedToken({ mint: url, proofs: sent.send,
		    unit: 'sat' });
		const got = await attempt('bob receives the token',
		    () => bob.receive(t));
		if (got !== undefined)
			ok(sum(got) === 13, 'bob has 13 sat');
	}
}

// Deterministic secrets (NUT-13), then restore them (NUT-09).
const seed = crypto.getRandomValues(new Uint8Array(64));
const carol = new Wallet(url, { unit: 'sat', bip39seed: seed });
await carol.loadMint();
const det = await attempt('receive into deterministic outputs',
    () => carol.receive(token2, undefined, { type: 'deterministic',
    counter: 1 }));
if (det !== undefined) {
	ok(sum(det) === 64, 'carol has 64 sat from deterministic outputs');
	const dave = new Wallet(url, { unit: 'sat', bip39seed: seed });
	await dave.loadMint();
	const r = await attempt('restore from the same seed',
	    () => dave.restore(0, 20));
	if (r !== undefined) {
		const secrets = new Set(det.map(p => p.secret));
		ok(r.proofs.length === det.length &&
		    r.proofs.every(p => secrets.has(p.secret)),
		    'restore finds the same proofs (' + r.proofs.length +
		    ' of ' + det.length + ')');
	}
}
}
