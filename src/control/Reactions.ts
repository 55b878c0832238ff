/**
 * Reactions from the fixed emoji set. Each user is rate-limited through the Bus (so the limit holds across
 * nodes), and each node sends what it got as one batch per space every quarter second: a crowd of a
 * million reacting makes a few Bus messages per second per node, not a million.
 */
import { RostraError } from '../errors/index.js';
import { REACTION_EMOJI, type ReactionEmoji } from '../contract/reactions.js';
import type { Space } from '../domain/types.js';
import { logger } from '../log/Logger.js';
import { Access } from './Access.js';
import type { ControlContext } from './Context.js';

const log = logger('control.reactions');
const FLUSH_MS = 250;
/** Names shown with a batch, so a few reactions float with a face; the rest only count. */
const RECENT_PER_BATCH = 10;
const WINDOW_MS = 10_000;

interface Batch {
  counts: Partial<Record<ReactionEmoji, number>>;
  recent: { userId: string | null; emoji: ReactionEmoji }[];
}

export function isReactionEmoji(value: string): value is ReactionEmoji {
  return (REACTION_EMOJI as readonly string[]).includes(value);
}

export class Reactions {
  readonly #ctx: ControlContext;
  readonly #access: Access;
  readonly #batches = new Map<string, Batch>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(ctx: ControlContext, access: Access) {
    this.#ctx = ctx;
    this.#access = access;
  }

  /**
   * `who` is the user id, or for an anonymous listener the listener id from their ticket.
   */
  async react(
    space: Space,
    who: { userId?: string; listenerId: string },
    emoji: ReactionEmoji,
  ): Promise<void> {
    Access.requireState(space, 'live');
    if (who.userId !== undefined) await this.#access.assertWelcome(space, who.userId);
    const hits = await this.#ctx.bus.counters.hit(`react:${space.id}:${who.listenerId}`, WINDOW_MS);
    if (hits > this.#ctx.config.limits.reactionsPer10s) {
      throw new RostraError('rate_limited', 'Too many reactions. Take a breath.', {
        retryAfter: WINDOW_MS / 1000,
      });
    }
    let batch = this.#batches.get(space.id);
    if (!batch) {
      batch = { counts: {}, recent: [] };
      this.#batches.set(space.id, batch);
    }
    batch.counts[emoji] = (batch.counts[emoji] ?? 0) + 1;
    if (batch.recent.length < RECENT_PER_BATCH) batch.recent.push({ userId: who.userId ?? null, emoji });
    this.#schedule();
  }

  /** Sends every pending batch now. */
  async flush(): Promise<void> {
    const batches = [...this.#batches];
    this.#batches.clear();
    await Promise.all(
      batches.map(([spaceId, b]) =>
        this.#ctx.events.toSpace(spaceId, { type: 'reactions', spaceId, counts: b.counts, recent: b.recent }),
      ),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  #schedule(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch((err: unknown) => log.warn({ err }, 'could not send reactions'));
    }, FLUSH_MS);
    this.#timer.unref();
  }
}
