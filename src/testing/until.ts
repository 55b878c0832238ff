/**
 * Waits for a state, not for a time: polls `probe` until it gives a value other than `undefined` or
 * `false`, and returns that value. The deadline is for a stuck test on a busy machine, not a bound on how
 * fast things must be (house rule: no wall-clock bounds in tests), so it is generous by default.
 *
 *   await until(() => renewals >= 10);
 *   const part = await until('a part on the new owner', async () => (await fetchPart()) ?? undefined);
 */
export interface UntilOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Between probes (default 25 ms). */
  everyMs?: number;
}

type Probe<T> = () => T | undefined | false | Promise<T | undefined | false>;

export async function until<T>(probe: Probe<T>, opts?: UntilOptions | number): Promise<T>;
/** `what` names the state in the error; a function is read at the deadline (to show the last reading). */
export async function until<T>(
  what: string | (() => string),
  probe: Probe<T>,
  opts?: UntilOptions | number,
): Promise<T>;
export async function until<T>(
  a: string | (() => string) | Probe<T>,
  b?: Probe<T> | UntilOptions | number,
  c?: UntilOptions | number,
): Promise<T> {
  const named = typeof b === 'function';
  const what = named ? (a as string | (() => string)) : 'condition';
  const probe = (named ? b : a) as Probe<T>;
  const raw = named ? c : (b as UntilOptions | number | undefined);
  const opts: UntilOptions = typeof raw === 'number' ? { timeoutMs: raw } : (raw ?? {});
  const end = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`not in time: ${typeof what === 'string' ? what : what()}`);
    await sleep(opts.everyMs ?? 25);
  }
}

/** A pause between polls or attempts in tests and tools; never a way to wait for a state. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
