import { logger } from '../log/Logger.js';

const log = logger('emitter');

/** A map from event name to listener signature. */
export type EventMap = { [event: string]: (...args: never[]) => void };

/**
 * A typed event emitter whose emit never throws: a listener that throws is logged and the rest still run.
 */
export class TypedEmitter<E extends EventMap> {
  #listeners = new Map<keyof E, Set<E[keyof E]>>();

  on<K extends keyof E>(event: K, listener: E[K]): this {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return this;
  }

  once<K extends keyof E>(event: K, listener: E[K]): this {
    const wrapper = ((...args: Parameters<E[K]>) => {
      this.off(event, wrapper);
      (listener as (...a: Parameters<E[K]>) => void)(...args);
    }) as E[K];
    return this.on(event, wrapper);
  }

  off<K extends keyof E>(event: K, listener: E[K]): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  /** Calls every listener of `event`; one that throws does not stop the others or the caller. */
  emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (...a: Parameters<E[K]>) => void)(...args);
      } catch (err) {
        log.error({ err, event: String(event) }, 'event listener threw');
      }
    }
  }

  listenerCount(event?: keyof E): number {
    if (event !== undefined) return this.#listeners.get(event)?.size ?? 0;
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }
}
