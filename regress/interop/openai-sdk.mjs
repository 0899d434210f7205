// The official OpenAI Node SDK (npm openai, pinned in package.json and
// package-lock.json) pointed at the node, as a user of the SDK would:
// baseURL the node's /v1, a Cashu token or an sk- key as the API key,
// or a token per request in an X-Cashu header.  Prints TAP lines
// ("ok - ..."/"not ok - ...").  Run by t-openai.sh:
//
//	node openai-sdk.mjs URL MODEL KIND PROMPT COMPLETION KEYSATS KEYTOK
//	    SKTOK XSATS XTOK1 XTOK2 XTOK3 SMALLTOK
//
// The arguments and the environment (NONCE, SECRETS) are those of
// openai_sdk.py, which does the same with the Python SDK.

import { appendFileSync } from 'node:fs';
import OpenAI from 'openai';
import { Wallet } from '@cashu/cashu-ts';
import { VERSION } from 'openai/version';

const [URL, MODEL, KIND, pprice, cprice, keysats, KEYTOK, SKTOK, xsats,
    XTOK1, XTOK2, XTOK3, SMALLTOK] = process.argv.slice(2);
const PPRICE = BigInt(pprice), CPRICE = BigInt(cprice);
const KEYSATS = Number(keysats), XSATS = Number(xsats);
const NONCE = process.env.NONCE;
const BASE = URL + '/v1';
const LABEL = 'node/' + KIND;
const SYSTEM = 'You are terse.';
let failed = 0;

function ok(cond, what) {
	console.log((cond ? 'ok - ' : 'not ok - ') + LABEL + ': ' + what);
	if (!cond)
		failed++;
	return cond;
}

function note(s) {
	for (const l of String(s).split('\n'))
		console.log('#   ' + l);
}

function secret(s) {
	if (s)
		appendFileSync(process.env.SECRETS, s + '\n');
}

// Tokens as upstream_echo.c and upstream-mock.py count them.
function words(s) {
	const n = s.split(/[ \t\r\n]+/).filter((w) => w !== '').length;
	return n === 0 && s.length > 0 ? 1 : n;
}

// A plain request to the node: [status, JSON body or null].
async function http(method, path, body, headers) {
	const r = await fetch(URL + path, {
		method,
		headers: { 'Content-Type': 'application/json', ...headers },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await r.text();
	try {
		return [r.status, JSON.parse(text)];
	} catch {
		return [r.status, null];
	}
}

async function balance(key) {
	const [st, j] = await http('GET', '/v1/balance/info', undefined,
	    { Authorization: 'Bearer ' + key });
	if (st !== 200 || j === null) {
		note('balance/info: ' + st + ' ' + JSON.stringify(j));
		return null;
	}
	return j.balance;
}

// POST /v1/balance/create with a token: [sk- key, msats] or nulls.
async function create(token) {
	const [st, j] = await http('POST', '/v1/balance/create',
	    { initial_balance_token: token });
	if (st !== 200 || j === null) {
		note('balance/create: ' + st + ' ' + JSON.stringify(j));
		return [null, null];
	}
	secret(j.api_key);
	return [j.api_key, j.balance];
}

// No retries: a payment must not be sent twice behind the test's back.
function client(key, headers) {
	return new OpenAI({ baseURL: BASE, apiKey: key, maxRetries: 0,
	    timeout: 60000, defaultHeaders: headers });
}

function ceildiv(a, b) {
	return (a + b - 1n) / b;
}

// The cost in msat of pt prompt and ct completion tokens, as
// pricing_cost() splits it: the sum rounded up, the output rounded
// down, the input the rest.
function expectedCost(pt, ct) {
	const p = BigInt(pt) * PPRICE, c = BigInt(ct) * CPRICE;
	const total = ceildiv(p + c, 1000n), out = c / 1000n;
	return [Number(total), Number(total - out), Number(out)];
}

// usage reports pt and ct tokens and Routstr's cost fields, exactly the
// tokens at the model's prices: its total_msats, or null.
// The Responses API's input_tokens and output_tokens count as prompt and
// completion tokens.
function checkUsage(what, usage, pt, ct) {
	if (usage && 'input_tokens' in usage && !('prompt_tokens' in usage))
		usage = { ...usage, prompt_tokens: usage.input_tokens,
		    completion_tokens: usage.output_tokens };
	const cost = usage ? usage.cost : undefined;
	if (!ok(cost && Number.isInteger(cost.total_msats),
	    what + ': usage.cost.total_msats is there')) {
		note(JSON.stringify(usage));
		return null;
	}
	const total = cost.total_msats;
	if (ct === null)
		ok(usage.prompt_tokens === pt, `${what}: usage counts ${pt} `
		    + `prompt tokens (got ${usage.prompt_tokens})`);
	else
		ok(usage.prompt_tokens === pt && usage.completion_tokens === ct,
		    `${what}: usage counts ${pt} prompt and ${ct} completion `
		    + `tokens (got ${usage.prompt_tokens}, `
		    + `${usage.completion_tokens})`);
	const want = expectedCost(pt, ct ?? 0);
	const got = [total, cost.input_msats, cost.output_msats];
	if (!ok(got.every((x, i) => x === want[i]) &&
	    (cost.base_msats ?? 0) === 0,
	    `${what}: the cost is the tokens at the model's prices, ${total} `
	    + `msat (input ${cost.input_msats} + output ${cost.output_msats})`))
		note(`want ${want[0]} msat (input ${want[1]} + output `
		    + `${want[2]})`);
	ok(usage.cost_sats !== undefined, what + ': usage.cost_sats is there');
	return total;
}

function messages(text) {
	return [{ role: 'system', content: SYSTEM },
	    { role: 'user', content: text }];
}

// What the upstream answers and its completion tokens.
function answerOf(text) {
	const a = KIND === 'mock' ? 'mock: hello from the mock' :
	    'echo: ' + text;
	return [a, words(a)];
}

async function attempt(what, f) {
	try {
		return await f();
	} catch (e) {
		ok(false, what + ': ' + (e && e.message ? e.message : e));
		return null;
	}
}

async function balanceDown(what, key, bal, total) {
	const after = await balance(key);
	ok(after !== null && bal !== null && after === bal - total,
	    `${what}: the balance went down by exactly the cost: `
	    + `${bal} - ${total} = ${after}`);
	return after;
}

async function chat(c, who, key, bal) {
	const text = `Say hello to quokka${NONCE} please`;
	const pt = words(SYSTEM) + words(text);
	const [want, ct] = answerOf(text);
	const what = who + ': chat';
	const res = await attempt(what, () => c.chat.completions.create(
	    { model: MODEL, messages: messages(text) }).withResponse());
	if (res === null)
		return null;
	const { data: r, response } = res;
	const got = r.choices?.[0]?.message?.content;
	ok(response.status === 200 && got === want,
	    `${what}: the answer is ${JSON.stringify(want)}`);
	if (got !== want)
		note(JSON.stringify(got));
	ok(r.model === MODEL, `${what}: model ${JSON.stringify(r.model)} `
	    + '(as asked)');
	const total = checkUsage(what, r.usage, pt, ct);
	if (total === null)
		return null;
	const h = response.headers.get('x-routstr-cost-msats');
	ok(h === String(total),
	    `${what}: X-Routstr-Cost-Msats says the same (${h})`);
	ok(response.headers.get('x-routstr-request-id') !== null,
	    what + ': x-routstr-request-id is there');
	const after = await balanceDown(what, key, bal, total);
	ok(r.usage.remaining_balance_msats === after,
	    what + ': usage.remaining_balance_msats is the balance left');
	return [after, total];
}

async function chatCut(c, who, key, bal) {
	const text = `Count one two three four five six quokka${NONCE}`;
	const pt = words(SYSTEM) + words(text);
	const what = who + ': chat with max_tokens 3';
	const r = await attempt(what, () => c.chat.completions.create(
	    { model: MODEL, messages: messages(text), max_tokens: 3 }));
	if (r === null)
		return null;
	let ct = words('mock: hello from the mock');
	if (KIND === 'echo') {
		ok(r.choices?.[0]?.finish_reason === 'length' &&
		    r.choices[0].message.content === 'echo: Count one',
		    what + ': cut to 3 tokens (finish_reason length)');
		ct = 3;
	}
	const total = checkUsage(what, r.usage, pt, ct);
	if (total === null)
		return null;
	return [await balanceDown(what, key, bal, total), total];
}

async function stream(c, who, key, bal) {
	const text = `Stream me something about quokka${NONCE} today`;
	const pt = words(SYSTEM) + words(text);
	const [want, ct] = answerOf(text);
	const what = who + ': streaming chat';
	const s = await attempt(what, () => c.chat.completions.create(
	    { model: MODEL, messages: messages(text), stream: true }));
	if (s === null)
		return null;
	const chunks = await attempt(what + ': reading the chunks',
	    async () => {
		const a = [];
		for await (const ch of s)
			a.push(ch);
		return a;
	    });
	if (chunks === null)
		return null;
	const pieces = chunks.filter((ch) => ch.choices?.[0]?.delta?.content);
	const content = pieces.map((ch) => ch.choices[0].delta.content)
	    .join('');
	ok(content === want && pieces.length >= 2,
	    `${what}: the answer arrives in ${pieces.length} content chunks, `
	    + JSON.stringify(content));
	const withUsage = chunks.map((ch, i) => ch.usage ? i : -1)
	    .filter((i) => i >= 0);
	if (!ok(withUsage.length === 1 && withUsage[0] === chunks.length - 1,
	    `${what}: one chunk has usage, the last of ${chunks.length}`)) {
		note('chunks with usage: ' + JSON.stringify(withUsage));
		return null;
	}
	ok(chunks.every((ch) => ch.model === MODEL),
	    `${what}: every chunk names model ${JSON.stringify(MODEL)}`);
	const total = checkUsage(what + ', final chunk',
	    chunks[chunks.length - 1].usage, pt, ct);
	if (total === null)
		return null;
	return [await balanceDown(what, key, bal, total), total];
}

function embeddingParams(text) {
	// The SDK asks for base64 unless told; the mock only answers floats.
	const p = { model: MODEL, input: text };
	if (KIND === 'mock')
		p.encoding_format = 'float';
	return p;
}

function goodVector(v) {
	if (!Array.isArray(v))
		return false;
	if (KIND === 'mock')
		return v.length === 2 && v[0] === 0.5 && v[1] === -0.5;
	const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
	return v.length === 8 && Math.abs(norm - 1) < 1e-4;
}

async function embeddings(c, who, key, bal) {
	const text = `quokka${NONCE} embeds these five words`;
	const what = who + ': embeddings';
	const res = await attempt(what, () => c.embeddings.create(
	    embeddingParams(text)).withResponse());
	if (res === null)
		return null;
	const { data: r, response } = res;
	const v = r.data?.[0]?.embedding;
	ok(goodVector(v), `${what}: a vector (${Array.isArray(v) ?
	    v.length + ' numbers' : JSON.stringify(v)})`);
	const total = checkUsage(what, r.usage, words(text), null);
	if (total === null)
		return null;
	ok(response.headers.get('x-routstr-cost-msats') === String(total),
	    what + ': X-Routstr-Cost-Msats says the same');
	return [await balanceDown(what, key, bal, total), total];
}

// The legacy completions API.
async function completions(c, who, key, bal) {
	const text = `Complete this for quokka${NONCE}`;
	const [want, ct] = answerOf(text);
	const what = who + ': completions';
	const res = await attempt(what, () => c.completions.create(
	    { model: MODEL, prompt: text }).withResponse());
	if (res === null)
		return null;
	const { data: r, response } = res;
	ok(r.choices?.[0]?.text === want,
	    `${what}: the answer is ${JSON.stringify(want)}`);
	const total = checkUsage(what, r.usage, words(text), ct);
	if (total === null)
		return null;
	ok(response.headers.get('x-routstr-cost-msats') === String(total),
	    what + ': X-Routstr-Cost-Msats says the same');
	return [await balanceDown(what, key, bal, total), total];
}

// The Responses API.
async function responses(c, who, key, bal) {
	const text = `Respond about quokka${NONCE} kindly`;
	const [want, ct] = answerOf(text);
	const what = who + ': responses';
	const res = await attempt(what, () => c.responses.create(
	    { model: MODEL, input: text }).withResponse());
	if (res === null)
		return null;
	const { data: r, response } = res;
	ok(r.output_text === want && r.model === MODEL,
	    `${what}: output_text is ${JSON.stringify(want)}, model `
	    + JSON.stringify(r.model));
	const total = checkUsage(what, r.usage, words(text), ct);
	if (total === null)
		return null;
	ok(response.headers.get('x-routstr-cost-msats') === String(total),
	    what + ': X-Routstr-Cost-Msats says the same');
	return [await balanceDown(what, key, bal, total), total];
}

// The Responses API streamed: the events, and the usage of
// response.completed billed at the model's prices.
async function responsesStream(c, who, key, bal) {
	const text = `Stream a response on quokka${NONCE} please`;
	const pt = words(text);
	const [want, ct] = answerOf(text);
	const what = who + ': streaming responses';
	const s = await attempt(what, () => c.responses.create(
	    { model: MODEL, input: text, stream: true }));
	if (s === null)
		return null;
	const events = await attempt(what + ': reading the events',
	    async () => {
		const a = [];
		for await (const e of s)
			a.push(e);
		return a;
	    });
	if (events === null)
		return null;
	const deltas = events.filter((e) =>
	    e.type === 'response.output_text.delta').map((e) => e.delta);
	ok(deltas.join('') === want && deltas.length >= 2,
	    `${what}: the answer arrives in ${deltas.length} deltas, `
	    + JSON.stringify(deltas.join('')));
	const done = events.filter((e) => e.type === 'response.completed');
	if (!ok(done.length === 1 && done[0].response.usage,
	    what + ': response.completed has the usage'))
		return null;
	const u = done[0].response.usage;
	ok(u.input_tokens === pt && u.output_tokens === ct,
	    `${what}: usage counts ${pt} input and ${ct} output tokens`);
	const total = expectedCost(pt, ct)[0];
	return [await balanceDown(what, key, bal, total), total];
}

async function bearer(who, key, bal) {
	const c = client(key);
	const start = bal;
	let spent = 0, n = 0;
	const calls = [chat, chatCut, stream, embeddings, completions,
	    responses, responsesStream];
	for (const f of calls) {
		const r = await f(c, who, key, bal);
		if (r === null) {
			// the next checks need an exact balance
			bal = await balance(key);
			continue;
		}
		bal = r[0];
		spent += r[1];
		n++;
	}
	const [st, j] = await http('GET', '/v1/balance/info', undefined,
	    { Authorization: 'Bearer ' + key });
	ok(n === calls.length && st === 200 && j !== null &&
	    j.balance === start - spent && j.reserved === 0,
	    `${who}: after the ${calls.length} calls the balance is down by `
	    + `the sum of their costs, ${spent} msat, nothing left reserved`);
}

function amount(a) {
	return typeof a === 'object' && a !== null && 'toNumber' in a ?
	    a.toNumber() : Number(a);
}

// The change token redeems at the mint and is worth the token less the
// cost rounded up to whole sats: it funds a balance, or cashu-ts, a
// wallet no one here wrote, receives it (a swap).
async function changeValue(what, change, cost, cashuts) {
	const want = XSATS - Math.ceil(cost / 1000);
	if (!ok(typeof change === 'string' && change.startsWith('cashuB'),
	    what + ': the change comes back in the X-Cashu header'))
		return;
	secret(change);
	if (cashuts) {
		const got = await attempt(what +
		    ': cashu-ts receives the change', async () => {
			const w = new Wallet(URL, { unit: 'sat' });
			await w.loadMint();
			const proofs = await w.receive(change);
			return proofs.reduce((s, p) => s + amount(p.amount), 0);
		    });
		if (got !== null)
			ok(got === want, `${what}: cashu-ts receives the `
			    + `change (a swap at the mint), ${got} sat = `
			    + `${XSATS} - ceil(${cost} / 1000)`);
		return;
	}
	const [, msats] = await create(change);
	ok(msats === want * 1000, `${what}: the change redeems at the mint, `
	    + `${msats} msat = ${XSATS} - ceil(${cost} / 1000) sat`);
}

async function refused(what, f, check) {
	try {
		await f();
		ok(false, what + ': refused');
	} catch (e) {
		if (!(e instanceof OpenAI.APIError)) {
			ok(false, what + ': ' + e);
			return;
		}
		check(e);
	}
}

async function xcashu(skkey) {
	const who = 'X-Cashu';
	const skbal = await balance(skkey);
	// The sk- key as the API key too: X-Cashu must win, the key's
	// balance stay as it is.
	const c = client(skkey);
	let text = `Pay per request for quokka${NONCE} now`;
	let pt = words(SYSTEM) + words(text);
	let [want, ct] = answerOf(text);
	let what = who + ' in request headers: chat';
	let res = await attempt(what, () => c.chat.completions.create(
	    { model: MODEL, messages: messages(text) },
	    { headers: { 'X-Cashu': XTOK1 } }).withResponse());
	let change1 = null, cost1 = 0;
	if (res !== null) {
		const { data: r, response } = res;
		ok(r.choices?.[0]?.message?.content === want,
		    `${what}: the answer is ${JSON.stringify(want)}`);
		const total = checkUsage(what, r.usage, pt, ct);
		ok(total !== null && response.headers.get(
		    'x-routstr-cost-msats') === String(total),
		    what + ': X-Routstr-Cost-Msats says the same');
		change1 = response.headers.get('x-cashu');
		if (total !== null) {
			cost1 = total;
			await changeValue(what, change1, total, false);
		}
	}

	what = who + ': the same token again';
	await refused(what, () => c.chat.completions.create(
	    { model: MODEL, messages: messages(text) },
	    { headers: { 'X-Cashu': XTOK1 } }), (e) => ok(e.status === 400 &&
	    e.code === 'cashu_token_already_spent',
	    `${what}: BadRequestError 400 cashu_token_already_spent `
	    + `(${e.status} ${e.code})`));

	what = who + ': POST /v1/balance/refund with the original token';
	const [st, j] = await http('POST', '/v1/balance/refund', undefined,
	    { 'X-Cashu': XTOK1 });
	ok(st === 200 && j !== null && change1 !== null &&
	    j.token === change1 &&
	    String(j.sats) === String(XSATS - Math.ceil(cost1 / 1000)),
	    `${what}: the same change again (${st}, ${j?.sats} sats)`);

	what = who + ' in defaultHeaders: streaming chat';
	const c2 = client(skkey, { 'X-Cashu': XTOK2 });
	text = `Stream and pay for quokka${NONCE} here`;
	pt = words(SYSTEM) + words(text);
	[want, ct] = answerOf(text);
	res = await attempt(what, () => c2.chat.completions.create(
	    { model: MODEL, messages: messages(text), stream: true })
	    .withResponse());
	if (res !== null) {
		const { data: s, response } = res;
		const type = response.headers.get('content-type') ?? '';
		ok(type.startsWith('text/event-stream'),
		    `${what}: text/event-stream (${type})`);
		const chunks = await attempt(what + ': reading the chunks',
		    async () => {
			const a = [];
			for await (const ch of s)
				a.push(ch);
			return a;
		    });
		if (chunks !== null && chunks.length > 0) {
			const content = chunks.map((ch) =>
			    ch.choices?.[0]?.delta?.content ?? '').join('');
			ok(content === want,
			    `${what}: the answer is ${JSON.stringify(want)}`);
			const last = chunks[chunks.length - 1];
			let total = null;
			if (ok(last.usage, what + ': the last chunk has usage'))
				total = checkUsage(what + ', final chunk',
				    last.usage, pt, ct);
			if (total !== null)
				await changeValue(what, response.headers
				    .get('x-cashu'), total, true);
		}
	}

	what = who + ': embeddings';
	const c3 = client(skkey, { 'X-Cashu': XTOK3 });
	text = `quokka${NONCE} pays for an embedding`;
	res = await attempt(what, () => c3.embeddings.create(
	    embeddingParams(text)).withResponse());
	if (res !== null) {
		const { data: r, response } = res;
		ok(goodVector(r.data?.[0]?.embedding), what + ': a vector');
		const total = checkUsage(what, r.usage, words(text), null);
		if (total !== null)
			await changeValue(what, response.headers.get('x-cashu'),
			    total, false);
	}

	what = who + ' with a 1 sat token';
	// Routstr Core's 402 body has no "error" member: the SDK only
	// sees the status.
	await refused(what, () => c.chat.completions.create(
	    { model: MODEL, messages: messages(text) },
	    { headers: { 'X-Cashu': SMALLTOK } }), (e) => ok(e.status === 402,
	    `${what}: APIError 402 (${e.status})`));
	const [, msats] = await create(SMALLTOK);
	ok(msats === 1000, what + ': the token was not spent (it funds a '
	    + 'balance afterwards)');

	ok(await balance(skkey) === skbal,
	    who + ': the sk- key given as well was not charged');
}

async function errors(skkey) {
	const c = client(skkey);
	let what = 'an unknown model';
	await refused(what, () => c.chat.completions.create(
	    { model: 'no-such-model', messages: messages('hi') }),
	    (e) => ok(e instanceof OpenAI.BadRequestError && e.status === 400
	    && e.type === 'invalid_model',
	    `${what}: BadRequestError 400 invalid_model (${e.type})`));
	what = 'an unknown sk- key';
	await refused(what, () => client('sk-' + '0'.repeat(64))
	    .chat.completions.create({ model: MODEL,
	    messages: messages('hi') }),
	    (e) => ok(e instanceof OpenAI.AuthenticationError &&
	    e.status === 401 && e.code === 'invalid_api_key',
	    `${what}: AuthenticationError 401 invalid_api_key (${e.code})`));
}

async function main() {
	ok(VERSION === (process.env.OPENAI_NODE_VERSION ?? VERSION),
	    'the SDK is openai ' + VERSION);
	// /v1/models is public: any key will do.
	const models = await attempt('models.list()', async () => {
		const ids = [];
		for await (const m of client('none').models.list())
			ids.push(m.id);
		return ids;
	});
	if (models !== null)
		ok(models.includes(MODEL), `models.list() has "${MODEL}"`);

	// A Cashu token as the API key: redeemed at the first request.
	await bearer('a Cashu token as the key', KEYTOK, KEYSATS * 1000);

	const [key, msats] = await create(SKTOK);
	if (!ok(key !== null && key.startsWith('sk-') &&
	    msats === KEYSATS * 1000,
	    `POST /v1/balance/create: an sk- key with ${msats} msat`))
		return;
	await bearer('an sk- key', key, msats);
	await xcashu(key);
	await errors(key);
}

try {
	await main();
} catch (e) {
	// never end without a "not ok"
	ok(false, 'the driver stopped: ' + (e && e.message ? e.message : e));
	if (e && e.stack)
		note(e.stack);
}
// Let stdout drain (it is a pipe under the test runner).
process.exitCode = failed ? 1 : 0;
