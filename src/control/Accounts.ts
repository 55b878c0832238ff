/** Sign-up, sign-in, sign-out, profiles and blocks. */
import {
  hashPassword,
  verifyPassword,
  type PasswordParams,
  DEFAULT_PASSWORD_PARAMS,
} from '../auth/Passwords.js';
import { RostraError } from '../errors/index.js';
import type { User } from '../domain/types.js';
import { newId } from '../util/ids.js';
import type { ControlContext } from './Context.js';
import { logger } from '../log/Logger.js';

const log = logger('control.accounts');

/** Sign-in attempts allowed per window, counted on every node through the Bus. */
export const SIGN_IN_LIMITS = { perHandle: 10, perIp: 50, windowMs: 15 * 60_000 } as const;

// A real hash of a random password: unknown handles cost the same scrypt as known ones (no user enumeration
// by timing).
let decoyHash: Promise<string> | undefined;

export class Accounts {
  readonly #ctx: ControlContext;
  readonly #params: PasswordParams;

  constructor(ctx: ControlContext, params: PasswordParams = DEFAULT_PASSWORD_PARAMS) {
    this.#ctx = ctx;
    this.#params = params;
  }

  async signUp(input: {
    handle: string;
    password: string;
    displayName: string;
  }): Promise<{ user: User; token: string; expiresAt: string }> {
    const passwordHash = await hashPassword(input.password, this.#params);
    const created = await this.#ctx.store.users.create({
      id: newId(),
      handle: input.handle,
      displayName: input.displayName,
      passwordHash,
    });
    if (!created.ok) throw new RostraError('handle_taken');
    const session = await this.#ctx.sessions.issue(created.user.id, this.#ctx.clock.now());
    log.info({ userId: created.user.id }, 'signed up');
    return { user: created.user, ...session };
  }

  async signIn(
    input: { handle: string; password: string },
    ip: string,
  ): Promise<{ user: User; token: string; expiresAt: string }> {
    // Count before hashing, so a flood of guesses is turned away without burning scrypt.
    const { counters } = this.#ctx.bus;
    const [byHandle, byIp] = await Promise.all([
      counters.hit(`signin:h:${input.handle.toLowerCase()}`, SIGN_IN_LIMITS.windowMs),
      counters.hit(`signin:ip:${ip}`, SIGN_IN_LIMITS.windowMs),
    ]);
    if (byHandle > SIGN_IN_LIMITS.perHandle || byIp > SIGN_IN_LIMITS.perIp) {
      throw new RostraError('too_many_attempts', undefined, {
        retryAfter: Math.ceil(SIGN_IN_LIMITS.windowMs / 1000),
      });
    }
    const user = await this.#ctx.store.users.byHandle(input.handle);
    decoyHash ??= hashPassword(newId(), this.#params);
    const ok = await verifyPassword(input.password, user?.passwordHash ?? (await decoyHash));
    if (!user || !ok) throw new RostraError('invalid_credentials');
    const session = await this.#ctx.sessions.issue(user.id, this.#ctx.clock.now());
    const { passwordHash: _secret, ...publicUser } = user;
    return { user: publicUser, ...session };
  }

  async signOut(sessionId: string): Promise<void> {
    await this.#ctx.sessions.revoke(sessionId, this.#ctx.clock.now());
  }

  async user(userId: string): Promise<User> {
    const user = await this.#ctx.store.users.byId(userId);
    if (!user) throw new RostraError('user_not_found');
    return user;
  }

  async userByHandle(handle: string): Promise<User> {
    const user = await this.#ctx.store.users.byHandle(handle);
    if (!user) throw new RostraError('user_not_found');
    const { passwordHash: _secret, ...publicUser } = user;
    return publicUser;
  }

  async block(blockerId: string, blockedId: string): Promise<void> {
    if (blockerId === blockedId) throw new RostraError('bad_request', 'You cannot block yourself.');
    await this.user(blockedId);
    await this.#ctx.store.blocks.add(blockerId, blockedId);
  }

  async unblock(blockerId: string, blockedId: string): Promise<void> {
    await this.#ctx.store.blocks.remove(blockerId, blockedId);
  }

  async blocked(blockerId: string): Promise<User[]> {
    const ids = await this.#ctx.store.blocks.listBlocked(blockerId);
    return this.#ctx.store.users.byIds(ids);
  }
}
