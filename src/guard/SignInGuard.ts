/**
 * Sign-in limits that nobody else can trip for you: failures are counted per (handle, client) and per
 * address, never per handle alone, and a successful sign-in counts nothing. A stranger guessing at your
 * handle from elsewhere slows only themselves.
 *
 * A device that signed in to an account before carries a signed device cookie (OWASP's "device cookies"):
 * its sign-ins to that account go first for hashing, and its failures are counted per (handle, device),
 * not per address, so a storm of guesses from the same office or carrier NAT cannot lock it out.
 */
import { randomBytes } from 'node:crypto';
import { TokenSigner } from '../auth/SignedToken.js';
import type { Counters } from '../bus/Bus.js';
import { RostraError } from '../errors/index.js';
import { WorkClass, type WorkLimiter } from './WorkLimiter.js';

const WINDOW_MS = 15 * 60_000;
/** A device is remembered this long after its last successful sign-in. */
export const DEVICE_TTL_S = 180 * 24 * 3600;
export const DEVICE_COOKIE = 'rostra_device';

export interface SignInLimits {
  signInFailuresPerClient: number;
  signInFailuresPerIp: number;
}

interface DevicePayload {
  /** handle, lower case */
  h: string;
  /** device id */
  d: string;
  exp: number;
}

const isDevice = (v: unknown): v is DevicePayload =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as DevicePayload).h === 'string' &&
  typeof (v as DevicePayload).d === 'string' &&
  typeof (v as DevicePayload).exp === 'number';

/** Who is signing in, as far as the limits go. */
export interface SignInClient {
  ip: string;
  /** The device id from a valid device cookie for this handle. */
  device: string | undefined;
}

export class SignInGuard {
  readonly #counters: Counters;
  readonly #limits: SignInLimits;
  readonly #devices: TokenSigner<DevicePayload>;
  /** Sign-ins being hashed now, per address (this node): a storm's first guesses are not "clean". */
  readonly #inFlight = new Map<string, number>();

  readonly #hashing: WorkLimiter | undefined;

  /** `hashing`: the password-hashing queue, whose "clean" waiters from an address that turns busy go back. */
  constructor(counters: Counters, limits: SignInLimits, secret: string, hashing?: WorkLimiter) {
    this.#counters = counters;
    this.#limits = limits;
    this.#devices = new TokenSigner(secret, 'device');
    this.#hashing = hashing;
  }

  /** The client of a sign-in: its address, and its device if the cookie is valid for this handle. */
  client(handle: string, ip: string, deviceCookie: string | undefined, nowMs = Date.now()): SignInClient {
    const p =
      deviceCookie === undefined ? undefined : this.#devices.verify(deviceCookie, nowMs / 1000, isDevice);
    return { ip, device: p !== undefined && p.h === handle.toLowerCase() ? p.d : undefined };
  }

  /** A device cookie for after a successful sign-in (the same device id if it had one). */
  deviceCookie(handle: string, client: SignInClient, nowMs = Date.now()): string {
    return this.#devices.sign({
      h: handle.toLowerCase(),
      d: client.device ?? randomBytes(12).toString('base64url'),
      exp: Math.floor(nowMs / 1000) + DEVICE_TTL_S,
    });
  }

  /**
   * Before hashing: refuses a client whose failures are used up (429 `too_many_attempts`). Returns
   * whether the address has a clean record (no failures in the window): it goes first for hashing.
   */
  async assertMayTry(handle: string, who: SignInClient | string): Promise<{ clean: boolean }> {
    const client = typeof who === 'string' ? { ip: who, device: undefined } : who;
    const [pair, byIp] = await Promise.all([
      this.#counters.peek(pairKey(handle, client)),
      // A known device is not held back by what others at its address do.
      client.device === undefined
        ? this.#counters.peek(ipKey(client.ip))
        : Promise.resolve({ count: 0, resetInMs: 0 }),
    ]);
    const over = [
      pair.count >= this.#limits.signInFailuresPerClient ? pair.resetInMs : 0,
      byIp.count >= this.#limits.signInFailuresPerIp ? byIp.resetInMs : 0,
    ];
    const waitMs = Math.max(...over);
    if (waitMs > 0) {
      throw new RostraError('too_many_attempts', 'Too many failed sign-ins from here. Retry later.', {
        retryAfter: Math.max(1, Math.ceil(waitMs / 1000)),
        details: { reason: 'too_many_attempts' },
      });
    }
    return { clean: byIp.count === 0 && pair.count === 0 };
  }

  /**
   * Runs the password check in its class: a known device first (its own failures are limited per device);
   * then a clean address, only while no other sign-in from it is being checked (a second one sends the
   * first back: a storm's opening guess does not keep a head-of-line place); then the rest.
   */
  async checking<T>(
    client: SignInClient | string,
    clean: boolean,
    job: (cls: WorkClass) => Promise<T>,
  ): Promise<T> {
    const { ip, device } = typeof client === 'string' ? { ip: client, device: undefined } : client;
    const before = this.#inFlight.get(ip) ?? 0;
    this.#inFlight.set(ip, before + 1);
    // A second sign-in from the address while the first waits: the first was a storm's opening guess,
    // not a person with a clean record, and must not stay ahead of one.
    if (before > 0) this.#hashing?.demote(ip, WorkClass.cleanSignIn, WorkClass.signIn);
    try {
      const cls =
        device !== undefined
          ? WorkClass.knownDevice
          : clean && before === 0
            ? WorkClass.cleanSignIn
            : WorkClass.signIn;
      return await job(cls);
    } finally {
      const left = (this.#inFlight.get(ip) ?? 1) - 1;
      if (left <= 0) this.#inFlight.delete(ip);
      else this.#inFlight.set(ip, left);
    }
  }

  async failed(handle: string, who: SignInClient | string): Promise<void> {
    const client = typeof who === 'string' ? { ip: who, device: undefined } : who;
    await Promise.all([
      this.#counters.take(pairKey(handle, client), WINDOW_MS),
      ...(client.device === undefined ? [this.#counters.take(ipKey(client.ip), WINDOW_MS)] : []),
    ]);
  }
}

const pairKey = (handle: string, c: { ip: string; device: string | undefined }) =>
  `g:signin-fail:${handle.toLowerCase()}:${c.device === undefined ? c.ip : `d:${c.device}`}`;
const ipKey = (ip: string) => `g:signin-fail-ip:${ip}`;
