/**
 * How the control and media planes hand wire events to each other across nodes: the Bus channel names and
 * the envelope that says who on a channel should get an event. Below the API, so the planes never import it.
 */
import type { ServerEvent } from '../contract/protocol.js';

/** Bus channels carrying events between nodes. */
export const channels = {
  space: (id: string) => `space:${id}`,
  user: (id: string) => `user:${id}`,
} as const;

/**
 * An event on the Bus with who on a space channel should get it: everyone, only the space's moderators
 * (host and co-hosts), or one user.
 */
export interface BusEnvelope {
  audience: 'all' | 'moderators';
  event: ServerEvent;
}
