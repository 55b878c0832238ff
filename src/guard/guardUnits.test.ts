/** The guard's small parts, each at its limit: limits over memory and Redis, hashing, addresses, the line. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { openBus, type Bus } from '../bus/index.js';
import { MemoryBus, MemoryHub } from '../bus/MemoryBus.js';
import { until } from '../testing/until.js';
import { isRostraError } from '../errors/index.js';
import { AdmissionQueue } from './AdmissionQueue.js';
import { ClientAddress, prefixOf } from './ClientAddress.js';
import { JunkMeter, Occupancy } from './Occupancy.js';
import { FixedPressureSource, Pressure } from './Pressure.js';
import { RateLimiter, type RateRule } from './RateLimiter.js';
import { SignInGuard } from './SignInGuard.js';
import { reservedSlots, WorkClass, WorkLimiter, type WorkTiming } from './WorkLimiter.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'a-test-secret-of-at-least-32-characters!';

// Each `open` is another node of one cluster: a shared hub in memory, one prefix on Redis.
const hub = new MemoryHub();
const redisPrefix = `rostra-guard-${randomBytes(4).toString('hex')}:`;
const buses: [string, () => Promise<Bus>][] = [
  ['memory', async () => new MemoryBus({ hub })],
  ['Redis', () => openBus({ redisUrl: REDIS_URL, prefix: redisPrefix })],
];

for (const [name, open] of buses) {
  describe(`guard limits on the ${name} bus`, () => {
    const opened: Bus[] = [];
    after(async () => {
      await Promise.all(opened.map((b) => b.close()));
    });
    const bus = async () => {
      const b = await open();
      opened.push(b);
      return b;
    };

    test('a rate rule trips at its limit with 429 rate_limited and Retry-After, then clears', async () => {
      const limiter = new RateLimiter((await bus()).counters);
      const rule: RateRule = {
        name: `t${randomBytes(3).toString('hex')}`,
        limit: 3,
        windowMs: 400,
        scope: 'address',
      };
      for (let i = 0; i < 3; i++) await limiter.take([rule, '198.51.100.1']);
      const err = await limiter.take([rule, '198.51.100.1']).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(isRostraError(err) && err.code === 'rate_limited', String(err));
      assert.equal(err.status, 429);
      assert.equal(err.retryAfter, 1, 'rounded up to a whole second');
      assert.deepEqual(err.details, { reason: 'rate_limited', limit: rule.name, scope: 'address' });
      await limiter.take([rule, '198.51.100.2']); // another address has its own count
      await until(async () =>
        limiter.take([rule, '198.51.100.1']).then(
          () => true,
          () => false,
        ),
      );
    });

    test('two nodes share one limit', async () => {
      const [a, b] = [new RateLimiter((await bus()).counters), new RateLimiter((await bus()).counters)];
      const rule: RateRule = {
        name: `s${randomBytes(3).toString('hex')}`,
        limit: 2,
        windowMs: 60_000,
        scope: 'account',
      };
      await a.take([rule, 'u1']);
      await b.take([rule, 'u1']);
      await assert.rejects(a.take([rule, 'u1']), (e) => isRostraError(e) && e.code === 'rate_limited');
      await assert.rejects(b.take([rule, 'u1']), (e) => isRostraError(e) && e.code === 'rate_limited');
    });

    test('sign-in: failures lock the (handle, address) pair and the address, never the handle elsewhere', async () => {
      const b = await bus();
      const guard = new SignInGuard(
        b.counters,
        { signInFailuresPerClient: 3, signInFailuresPerIp: 5 },
        SECRET,
      );
      const handle = `ada${randomBytes(3).toString('hex')}`;
      const [attacker, owner] = ['203.0.113.66', '198.51.100.20'];
      for (let i = 0; i < 3; i++) {
        await guard.assertMayTry(handle, attacker);
        await guard.failed(handle, attacker);
      }
      await assert.rejects(guard.assertMayTry(handle, attacker), (e) => {
        assert.ok(isRostraError(e));
        assert.equal(e.code, 'too_many_attempts');
        assert.ok((e.retryAfter ?? 0) > 0);
        return true;
      });
      await guard.assertMayTry(handle, owner); // the owner, elsewhere, is not locked out
      for (let i = 0; i < 2; i++) await guard.failed(`other${i}${handle}`, attacker);
      await assert.rejects(guard.assertMayTry(`fresh${handle}`, attacker), (e) => isRostraError(e));
      await guard.assertMayTry(`fresh${handle}`, owner);
    });
  });
}

describe('WorkLimiter', () => {
  test('runs at most `concurrency`, queues at most `queue`, refuses the rest with 503 server_busy', async () => {
    const limiter = new WorkLimiter({ concurrency: 2, queue: 1 });
    const gates: (() => void)[] = [];
    const job = () => new Promise<string>((resolve) => gates.push(() => resolve('done')));
    const running = [limiter.run(job), limiter.run(job), limiter.run(job)];
    assert.equal(limiter.running, 2);
    assert.equal(limiter.queued, 1);
    await assert.rejects(limiter.run(job), (e) => {
      assert.ok(isRostraError(e));
      assert.equal(e.code, 'server_busy');
      assert.equal(e.status, 503);
      assert.ok((e.retryAfter ?? 0) > 0);
      return true;
    });
    assert.equal(limiter.refused, 1);
    while (gates.length > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(await Promise.all(running), ['done', 'done', 'done']);
    assert.equal(limiter.running, 0);
    assert.equal(await limiter.run(async () => 'again'), 'again', 'it clears once the work is done');
  });

  test('a reserved slot: the later classes never hold every slot, so a clean sign-in starts at once', async () => {
    const limiter = new WorkLimiter({ concurrency: 2, queue: 8, reserved: 1 });
    const gates = new Map<string, () => void>();
    const started: string[] = [];
    const job = (name: string) => () =>
      new Promise<string>((resolve) => {
        started.push(name);
        gates.set(name, () => resolve(name));
      });
    const up1 = limiter.run(job('up1'), WorkClass.signUp);
    const up2 = limiter.run(job('up2'), WorkClass.signUp);
    const guess = limiter.run(job('guess'), WorkClass.signIn);
    assert.deepEqual(started, ['up1'], 'one slot is kept: the second sign-up and the guess wait');
    const clean = limiter.run(job('clean'), WorkClass.cleanSignIn);
    assert.deepEqual(started, ['up1', 'clean'], 'a clean sign-in takes the kept slot at once');
    const known = limiter.run(job('known'), WorkClass.knownDevice);
    assert.equal(limiter.queued, 3, 'every slot busy: the known device waits, first in line');
    gates.get('up1')?.();
    assert.equal(await up1, 'up1');
    assert.deepEqual(started, ['up1', 'clean', 'known']);
    gates.get('clean')?.();
    assert.equal(await clean, 'clean');
    assert.deepEqual(started, ['up1', 'clean', 'known', 'guess'], 'the later classes in their order');
    gates.get('known')?.();
    gates.get('guess')?.();
    assert.deepEqual(await Promise.all([known, guess]), ['known', 'guess']);
    await until('the last sign-up started', () => started.includes('up2'));
    gates.get('up2')?.();
    assert.equal(await up2, 'up2');
    assert.equal(limiter.running, 0);
    assert.throws(() => new WorkLimiter({ concurrency: 1, queue: 1, reserved: 1 }), TypeError);
  });

  test('kept slots: all but a third, so a known device and a clean sign-in both start beside the storm', async () => {
    assert.deepEqual([1, 2, 3, 4, 6, 8].map(reservedSlots), [0, 1, 2, 2, 4, 5]);
    const concurrency = 3; // the default (Config)
    const limiter = new WorkLimiter({ concurrency, queue: 8, reserved: reservedSlots(concurrency) });
    const gates: (() => void)[] = [];
    const started: string[] = [];
    const job = (name: string) => () =>
      new Promise<void>((resolve) => {
        started.push(name);
        gates.push(resolve);
      });
    const storm = [
      limiter.run(job('up'), WorkClass.signUp),
      limiter.run(job('guess'), WorkClass.signIn),
      limiter.run(job('up2'), WorkClass.signUp),
    ];
    assert.deepEqual(started, ['up'], 'the storm holds one slot');
    const real = [
      limiter.run(job('known'), WorkClass.knownDevice),
      limiter.run(job('clean'), WorkClass.cleanSignIn),
    ];
    assert.deepEqual(started, ['up', 'known', 'clean'], 'both people start at once');
    while (started.length < 5 || gates.length > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([...storm, ...real]);
    assert.equal(limiter.running, 0);
  });

  test('a clean caller takes the place of the newest other waiter when the queue is full', async () => {
    const limiter = new WorkLimiter({ concurrency: 1, queue: 2 });
    const gates: (() => void)[] = [];
    const order: string[] = [];
    const job = (name: string) => () =>
      new Promise<void>((resolve) =>
        gates.push(() => {
          order.push(name);
          resolve();
        }),
      );
    const first = limiter.run(job('first'));
    const guessA = limiter.run(job('guessA'));
    const guessB = limiter.run(job('guessB'));
    const real = limiter.run(job('real'), WorkClass.cleanSignIn);
    await assert.rejects(guessB, (e) => isRostraError(e) && e.code === 'server_busy');
    await assert.rejects(limiter.run(job('guessC')), (e) => isRostraError(e) && e.code === 'server_busy');
    while (gates.length > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([first, guessA, real]);
    assert.deepEqual(order, ['first', 'real', 'guessA'], 'the clean caller goes first');
  });

  test('classes: a known device, then clean sign-ins, then other sign-ins, then sign-ups; timing says the wait', async () => {
    const limiter = new WorkLimiter({ concurrency: 1, queue: 4 });
    const gates: (() => void)[] = [];
    const order: string[] = [];
    const job = (name: string) => () =>
      new Promise<void>((resolve) =>
        gates.push(() => {
          order.push(name);
          resolve();
        }),
      );
    const first = limiter.run(job('first'), WorkClass.signUp);
    const signUp = limiter.run(job('signUp'), WorkClass.signUp);
    const guess = limiter.run(job('guess'), WorkClass.signIn);
    const clean = limiter.run(job('clean'), WorkClass.cleanSignIn);
    const timing: WorkTiming = { waitMs: -1, runMs: -1 };
    const device = limiter.run(job('device'), WorkClass.knownDevice, timing);
    // The queue is full: a sign-in bumps the newest of the latest class (the sign-up), not the guess.
    const guess2 = limiter.run(job('guess2'), WorkClass.signIn);
    await assert.rejects(signUp, (e) => isRostraError(e) && e.code === 'server_busy');
    // And a sign-up finds no one later than itself to bump.
    await assert.rejects(limiter.run(job('signUp2'), WorkClass.signUp), (e) => isRostraError(e));
    while (gates.length > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([first, guess, clean, device, guess2]);
    assert.deepEqual(order, ['first', 'device', 'clean', 'guess', 'guess2']);
    assert.ok(timing.waitMs >= 0 && timing.runMs >= 0, JSON.stringify(timing));
  });

  test('demote: a clean waiter whose address turns busy goes back behind the others of its new class', async () => {
    const limiter = new WorkLimiter({ concurrency: 1, queue: 8 });
    const gates: (() => void)[] = [];
    const order: string[] = [];
    const job = (name: string) => () =>
      new Promise<void>((resolve) =>
        gates.push(() => {
          order.push(name);
          resolve();
        }),
      );
    const jobs = [
      limiter.run(job('first'), WorkClass.signIn),
      limiter.run(job('guess'), WorkClass.signIn, undefined, '203.0.113.1'),
      limiter.run(job('storm opening'), WorkClass.cleanSignIn, undefined, '203.0.113.9'),
      limiter.run(job('device'), WorkClass.knownDevice, undefined, '203.0.113.9'),
      limiter.run(job('real'), WorkClass.cleanSignIn, undefined, '198.51.100.1'),
    ];
    limiter.demote('203.0.113.9', WorkClass.cleanSignIn, WorkClass.signIn);
    while (gates.length > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(jobs);
    // The known device at the same address keeps its place; the demoted one keeps its arrival order.
    assert.deepEqual(order, ['first', 'device', 'real', 'guess', 'storm opening']);
  });

  test('a job that throws gives its place back', async () => {
    const limiter = new WorkLimiter({ concurrency: 1, queue: 0 });
    await assert.rejects(limiter.run(() => Promise.reject(new Error('boom (expected)'))));
    assert.equal(await limiter.run(async () => 1), 1);
  });
});

describe('client addresses', () => {
  test('prefixes: /24 for IPv4, /48 for IPv6, mapped IPv4 as IPv4', () => {
    assert.equal(prefixOf('203.0.113.77'), '203.0.113.0/24');
    assert.equal(prefixOf('::ffff:203.0.113.77'), '203.0.113.0/24');
    assert.equal(prefixOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1::/48');
    assert.equal(prefixOf('2001:db8::1'), '2001:db8:0::/48');
  });

  test('X-Forwarded-For is believed only from trusted proxies, hop by hop from the right', () => {
    const addr = new ClientAddress(['10.0.0.0/8']);
    const req = (remote: string, xff?: string) =>
      ({ socket: { remoteAddress: remote }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as never;
    assert.equal(addr.of(req('203.0.113.5', '1.2.3.4')), '203.0.113.5', 'a direct client cannot choose');
    assert.equal(addr.of(req('10.1.1.1', '1.2.3.4, 198.51.100.9')), '198.51.100.9');
    assert.equal(addr.of(req('10.1.1.1', '1.2.3.4, 10.2.2.2')), '1.2.3.4', 'trusted hops are skipped');
    assert.equal(addr.of(req('::ffff:10.1.1.1', 'junk')), '10.1.1.1', 'a bad hop stops the walk');
    assert.equal(new ClientAddress([]).of(req('10.1.1.1', '1.2.3.4')), '10.1.1.1');
  });
});

describe('the fair line', () => {
  test('places are spaced at the rate, signed, bound to space and address, and honoured from their time', () => {
    const q = new AdmissionQueue(SECRET, 10);
    const now = 1_000_000;
    const first = q.enqueue('space1', '198.51.100.1', now);
    const second = q.enqueue('space1', '198.51.100.2', now);
    assert.equal(first.kind, 'wait');
    assert.equal(second.kind, 'wait');
    if (first.kind !== 'wait' || second.kind !== 'wait') return;
    assert.equal(first.position, 1);
    assert.equal(second.position, 2);
    assert.equal(q.honours(first.pass, 'space1', '198.51.100.1', now), false, 'not before its time');
    assert.equal(q.honours(first.pass, 'space1', '198.51.100.1', now + 100), true);
    assert.equal(q.honours(first.pass, 'space2', '198.51.100.1', now + 100), false, 'another space');
    assert.equal(q.honours(first.pass, 'space1', '198.51.100.3', now + 100), false, 'another address');
    assert.equal(q.honours(`${first.pass}x`, 'space1', '198.51.100.1', now + 100), false, 'forged');
    assert.equal(q.honours(first.pass, 'space1', '198.51.100.1', now + 10 * 60_000), false, 'expired');
  });

  test('the line has an end: past two minutes of waiting, a plain refusal', () => {
    const q = new AdmissionQueue(SECRET, 1);
    let last = q.enqueue('s', 'ip', 0);
    for (let i = 0; i < 200 && last.kind === 'wait'; i++) last = q.enqueue('s', 'ip', 0);
    assert.equal(last.kind, 'full');
  });
});

describe('pressure', () => {
  test('a node that has just started is calm until pressure has lasted', () => {
    const source = new FixedPressureSource();
    source.reading = { eventLoopDelayMs: 500, heapFraction: 0.1, heldRequests: 0 };
    const p = new Pressure(source, { eventLoopDelayMs: 100, heapFraction: 0.8, heldRequests: 1000 }, 500, 3);
    try {
      assert.equal(p.sample(), 0, 'the first sample (start-up) alone sheds nobody');
      assert.equal(p.sample(), 0);
      assert.equal(p.sample(), 2, 'three in a row do');
    } finally {
      p.close();
    }
  });

  test('levels follow the worst measure: 1 at its limit, 2 at 1.5x; only pressure that lasts counts', () => {
    const source = new FixedPressureSource();
    const p = new Pressure(source, { eventLoopDelayMs: 100, heapFraction: 0.8, heldRequests: 1000 }, 500, 3);
    try {
      assert.equal(p.sample(), 0);
      source.reading = { eventLoopDelayMs: 100, heapFraction: 0.1, heldRequests: 0 };
      assert.equal(p.sample(), 0, 'one stalled moment (a burst) sheds nobody');
      assert.equal(p.sample(), 0);
      assert.equal(p.sample(), 1, 'three samples in a row do');
      source.reading = { eventLoopDelayMs: 10, heapFraction: 0.1, heldRequests: 1500 };
      assert.equal(p.use(source), 2);
      source.reading = { eventLoopDelayMs: 10, heapFraction: 0.1, heldRequests: 10 };
      assert.equal(p.sample(), 0, 'it clears as soon as the pressure goes');
    } finally {
      p.close();
    }
  });
});

describe('occupancy and junk', () => {
  test('held places are capped per address and per node; a release is idempotent', () => {
    const o = new Occupancy(2, 3);
    const a1 = o.enter('a');
    const a2 = o.enter('a');
    assert.ok(a1 && a2);
    assert.equal(o.enter('a'), undefined, 'per address');
    const b1 = o.enter('b');
    assert.ok(b1);
    assert.equal(o.enter('c'), undefined, 'per node');
    a1();
    a1();
    assert.equal(o.total, 2);
    assert.ok(o.enter('c'));
  });

  test('an address that sends junk is held back until its window ends', () => {
    const j = new JunkMeter(3, 1000);
    for (let i = 0; i < 3; i++) j.record('x', 100);
    assert.ok(j.blockedFor('x', 200) > 0);
    assert.equal(j.blockedFor('y', 200), 0);
    assert.equal(j.blockedFor('x', 1200), 0, 'a new window');
  });
});

describe('held requests', () => {
  test('a held request lets go when its client goes away, and the caps answer at once past them', async () => {
    const { EventEmitter } = await import('node:events');
    const { holdSlot } = await import('./HeldSlot.js');
    const guard = { held: new Occupancy(1, 10) } as unknown as Parameters<typeof holdSlot>[0];
    const response = Object.assign(new EventEmitter(), { writableFinished: false });
    const slot = holdSlot(guard, 'a', response as never);
    assert.ok(slot);
    assert.equal(holdSlot(guard, 'a', response as never), undefined, 'one held request per address here');
    response.emit('close'); // the client went away before the answer
    assert.equal(slot.gone, true);
    assert.equal(guard.held.total, 0);
    slot.done();
    assert.equal(guard.held.total, 0, 'done after close gives nothing back twice');
    const again = holdSlot(guard, 'a', response as never);
    assert.ok(again);
    again.done();
    assert.equal(again.gone, false, 'an answered request is not gone');
  });
});
