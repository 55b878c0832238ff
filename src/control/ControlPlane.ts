/** Builds the control-plane services over one Store and one Bus, and closes them in order. */
import { ListenerTickets } from '../auth/ListenerTickets.js';
import type { PasswordParams } from '../auth/Passwords.js';
import { SessionTokens } from '../auth/SessionTokens.js';
import type { Bus } from '../bus/Bus.js';
import type { Config } from '../config/Config.js';
import type { Store } from '../store/Store.js';
import { Guard } from '../guard/Guard.js';
import { Access } from './Access.js';
import { Accounts } from './Accounts.js';
import { Audience } from './Audience.js';
import { Avatars } from './Avatars.js';
import { ListenerFaces } from './ListenerFaces.js';
import { systemClock, type Clock } from './Clock.js';
import type { ControlContext } from './Context.js';
import { EventPublisher } from './EventPublisher.js';
import { Reactions } from './Reactions.js';
import { Pins } from './Pins.js';
import { Spaces } from './Spaces.js';
import { StageRoster } from './StageRoster.js';

export interface ControlPlaneOptions {
  config: Config;
  store: Store;
  bus: Bus;
  clock?: Clock;
  /** Cheaper scrypt for tests; production keeps the default. */
  passwordParams?: PasswordParams;
}

export class ControlPlane {
  readonly ctx: ControlContext;
  readonly access: Access;
  readonly accounts: Accounts;
  readonly audience: Audience;
  readonly spaces: Spaces;
  readonly stage: StageRoster;
  readonly reactions: Reactions;
  readonly pins: Pins;
  readonly avatars: Avatars;
  readonly faces: ListenerFaces;
  #closed = false;

  private constructor(opts: ControlPlaneOptions) {
    const { config, store, bus } = opts;
    const guard = new Guard({ config, bus });
    this.ctx = {
      config,
      store,
      bus,
      clock: opts.clock ?? systemClock,
      sessions: new SessionTokens({
        secret: config.secret,
        store,
        bus,
        ttlDays: config.timing.sessionTtlDays,
      }),
      // A removed user's tickets stop at once on every node (the guard's revocations, a map lookup).
      tickets: new ListenerTickets(config.secret, config.timing.ticketTtlSeconds, (spaceId, userId) =>
        guard.revocations.has(spaceId, userId),
      ),
      events: new EventPublisher(bus),
      guard,
    };
    this.access = new Access(this.ctx);
    this.accounts = new Accounts(this.ctx, opts.passwordParams);
    this.audience = new Audience(this.ctx, this.access);
    this.spaces = new Spaces(this.ctx, this.access, this.audience);
    this.stage = new StageRoster(this.ctx, this.access, this.spaces, this.audience);
    this.reactions = new Reactions(this.ctx, this.access);
    this.pins = new Pins(this.ctx, this.access, this.spaces);
    this.avatars = new Avatars(this.ctx);
    this.faces = new ListenerFaces(this.ctx, this.audience);
  }

  static async start(opts: ControlPlaneOptions): Promise<ControlPlane> {
    const plane = new ControlPlane(opts);
    await plane.ctx.sessions.start();
    await plane.ctx.guard.start();
    return plane;
  }

  /** Idempotent. Does not close the Store or the Bus: whoever opened them closes them. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.reactions.close();
    await this.ctx.sessions.close();
    await this.ctx.guard.close();
  }
}
