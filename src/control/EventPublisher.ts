/** Puts control-plane events on the Bus, so every node's WebSocket hub can deliver them. */
import type { Bus } from '../bus/Bus.js';
import type { ServerEvent } from '../contract/protocol.js';
import { channels, type BusEnvelope } from '../domain/spaceEvents.js';

type Distribute<T> = T extends unknown ? Omit<T, 'v'> : never;
/** An event as services write it; the version is stamped here. */
export type EventBody = Distribute<ServerEvent>;

export class EventPublisher {
  readonly #bus: Bus;
  constructor(bus: Bus) {
    this.#bus = bus;
  }

  async toSpace(spaceId: string, event: EventBody, audience: BusEnvelope['audience'] = 'all'): Promise<void> {
    const envelope: BusEnvelope = { audience, event: { v: 1, ...event } as ServerEvent };
    await this.#bus.publish(channels.space(spaceId), envelope as unknown as Record<string, unknown>);
  }

  async toUser(userId: string, event: EventBody): Promise<void> {
    const envelope: BusEnvelope = { audience: 'all', event: { v: 1, ...event } as ServerEvent };
    await this.#bus.publish(channels.user(userId), envelope as unknown as Record<string, unknown>);
  }
}
