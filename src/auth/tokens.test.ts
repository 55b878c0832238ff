import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { test } from 'node:test';
import { ListenerTickets } from './ListenerTickets.js';
import { hashPassword, verifyPassword } from './Passwords.js';
import { TokenSigner } from './SignedToken.js';

const SECRET = 'a-test-secret-that-is-long-enough-000';
const isP = (v: unknown): v is { exp: number; x: string } => typeof v === 'object' && v !== null && 'x' in v;

test('TokenSigner.verify accepts its own token until it expires', () => {
  const s = new TokenSigner<{ exp: number; x: string }>(SECRET, 'session');
  const t = s.sign({ exp: 100, x: 'hi' });
  assert.deepEqual(s.verify(t, 99, isP), { exp: 100, x: 'hi' });
  assert.equal(s.verify(t, 100, isP), undefined);
});

test('TokenSigner.verify refuses forged, foreign-purpose and malformed tokens without throwing', () => {
  const session = new TokenSigner<{ exp: number; x: string }>(SECRET, 'session');
  const ticket = new TokenSigner<{ exp: number; x: string }>(SECRET, 'ticket');
  const t = session.sign({ exp: 100, x: 'hi' });
  assert.equal(ticket.verify(t, 0, isP), undefined, 'a session token is not a ticket');
  const [body, mac] = t.split('.') as [string, string];
  const evil = Buffer.from(JSON.stringify({ exp: 1e12, x: 'admin' })).toString('base64url');
  for (const bad of [
    `${evil}.${mac}`,
    `${body}.`,
    `.${mac}`,
    `${body}.${mac}.x`,
    '',
    'x'.repeat(2000),
    42,
    null,
    undefined,
    {},
  ]) {
    assert.equal(session.verify(bad, 0, isP), undefined, String(bad).slice(0, 20));
  }
  assert.throws(() => new TokenSigner('short', 'session'), TypeError);
});

test('TokenSigner.verify refuses a MAC that cannot be its own before any HMAC; a well-formed forgery is still checked', (t) => {
  const s = new TokenSigner<{ exp: number; x: string }>(SECRET, 'ticket');
  const good = s.sign({ exp: 100, x: 'hi' });
  const [body, mac] = good.split('.') as [string, string];
  // Counts the HMACs SignedToken makes (its named import follows the builtin's export once synced).
  const hmac = t.mock.method(crypto, 'createHmac');
  syncBuiltinESMExports();
  t.after(() => {
    hmac.mock.restore();
    syncBuiltinESMExports();
  });
  const last = mac.slice(-1);
  for (const bad of [
    'forged0.6180339887498949', // the flood bench's junk
    `${body}.${mac}=`, // padded: not as sign writes it
    `${body}.${mac.slice(1)}`,
    `${body}.${mac}A`,
    `${body}.${mac.slice(0, 10)}+${mac.slice(11)}`, // base64, not base64url
    `${body}.${mac.slice(0, 10)}.${mac.slice(11)}`,
    `${body}.${mac.slice(0, -1)}${last === 'B' ? 'C' : 'B'}`, // 32 bytes have no bits there
  ]) {
    assert.equal(s.verify(bad, 0, isP), undefined, bad);
  }
  assert.equal(hmac.mock.callCount(), 0, 'no HMAC for a MAC of another shape');
  const forged = `${body}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
  assert.equal(s.verify(forged, 0, isP), undefined);
  assert.equal(hmac.mock.callCount(), 1, 'a forgery of the right shape is checked');
  assert.deepEqual(s.verify(good, 99, isP), { exp: 100, x: 'hi' });
  assert.equal(hmac.mock.callCount(), 2);
});

test('every token TokenSigner writes has the shape it checks', () => {
  const s = new TokenSigner<{ exp: number; x: string }>(SECRET, 'session');
  for (let i = 0; i < 500; i++) {
    const payload = { exp: 1_000 + i, x: crypto.randomBytes(i % 40).toString('base64') };
    assert.deepEqual(s.verify(s.sign(payload), 0, isP), payload);
  }
});

test('ListenerTickets.check gives back the listener only for the right space and before expiry', () => {
  const tickets = new ListenerTickets(SECRET, 60);
  const now = new Date(1_700_000_000_000);
  const { token } = tickets.issue('space1', 'a:xyz', undefined, now);
  assert.deepEqual(tickets.check(token, 'space1', now)?.listenerId, 'a:xyz');
  assert.equal(tickets.check(token, 'space2', now), undefined);
  assert.equal(tickets.check(token, 'space1', new Date(now.getTime() + 61_000)), undefined);
  assert.match(ListenerTickets.listenerIdFor(undefined), /^a:/);
  assert.equal(ListenerTickets.listenerIdFor('u1'), 'u:u1');
});

test('verifyPassword accepts the password and refuses others and malformed hashes', async () => {
  const params = { N: 1024, r: 8, p: 1 };
  const hash = await hashPassword('correct horse', params);
  assert.match(hash, /^scrypt\$1024\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse', hash), true);
  assert.equal(await verifyPassword('correct horsE', hash), false);
  assert.equal(await verifyPassword('x', 'md5$abc'), false);
  assert.equal(await verifyPassword('x', 'scrypt$a$b$c$d$e'), false);
});
