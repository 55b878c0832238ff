import assert from 'node:assert/strict';
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
