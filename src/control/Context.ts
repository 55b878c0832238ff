/** What every control-plane service is built from. */
import type { Bus } from '../bus/Bus.js';
import type { Config } from '../config/Config.js';
import type { Store } from '../store/Store.js';
import type { ListenerTickets } from '../auth/ListenerTickets.js';
import type { SessionTokens } from '../auth/SessionTokens.js';
import type { Clock } from './Clock.js';
import type { EventPublisher } from './EventPublisher.js';
import type { Guard } from '../guard/Guard.js';

export interface ControlContext {
  readonly config: Config;
  readonly store: Store;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly sessions: SessionTokens;
  readonly tickets: ListenerTickets;
  readonly events: EventPublisher;
  /** Rate limits, sign-in limits, bounded hashing, pressure, revocations (src/guard). */
  readonly guard: Guard;
}

/** Who makes a request: a signed-in user, or nobody (anonymous). */
export type Caller = { userId: string; sessionId: string } | undefined;
