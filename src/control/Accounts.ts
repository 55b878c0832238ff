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
import { WorkClass, type WorkTiming } from '../guard/WorkLimiter.js';

const log = logger('control.accounts');

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
    // Password hashing is bounded (the guard): a sign-up flood gets 503s, not a queue of minutes.
    // Sign-ups wait behind sign-ins: a new account can wait a moment, a person signing in should not.
    const passwordHash = await this.#ctx.guard.scrypt.run(
      () => hashPassword(input.password, this.#params),
      WorkClass.signUp,
    );
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

  /**
   * `opts.device`: the device cookie, if any (a device that signed in to this account before goes first
   * and is not held back by others at its address); `opts.timing` is filled in with the hashing queue's
   * wait. The result's `device` is the cookie to set.
   */
  async signIn(
    input: { handle: string; password: string },
    ip: string,
    opts: { device?: string | undefined; timing?: WorkTiming } = {},
  ): Promise<{ user: User; token: string; expiresAt: string; device: string }> {
    // Failures are counted per (handle, client) and per address, checked before hashing: a flood of
    // guesses is turned away without burning scrypt, and a stranger elsewhere cannot lock this user out.
    const { guard } = this.#ctx;
    const client = guard.signIn.client(input.handle, ip, opts.device);
    const { clean } = await guard.signIn.assertMayTry(input.handle, client);
    const user = await this.#ctx.store.users.byHandle(input.handle);
    decoyHash ??= hashPassword(newId(), this.#params);
    const stored = user?.passwordHash ?? (await decoyHash);
    const ok = await guard.signIn.checking(client, clean, (cls) =>
      guard.scrypt.run(() => verifyPassword(input.password, stored), cls, opts.timing, ip),
    );
    if (!user || !ok) {
      await guard.signIn.failed(input.handle, client);
      throw new RostraError('invalid_credentials');
    }
    const session = await this.#ctx.sessions.issue(user.id, this.#ctx.clock.now());
    const { passwordHash: _secret, ...publicUser } = user;
    return { user: publicUser, ...session, device: guard.signIn.deviceCookie(input.handle, client) };
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
