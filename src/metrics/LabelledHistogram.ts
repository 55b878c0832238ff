/**
 * A prom-client Histogram with one label whose `observe(labels, value)` is a Map lookup and a bucket scan.
 * prom-client validates and hashes the labels and looks the bucket up by its number turned into a string
 * on every call: ~3 µs measured, paid by every media request (its duration) and every held reload.
 * What is observed this way is kept here and added to prom-client's own output when the registry reads
 * it, in prom-client's format, so the exposition is the same. Everything else (`labels()`, `zero()`, a
 * `collect`) stays prom-client's; do not mix the two for one label value, or it shows twice.
 */
import {
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
  type ObserveDataWithExemplar,
} from 'prom-client';

interface Series<T extends string> {
  readonly labels: LabelValues<T>;
  /** Per bucket, not cumulative; the last slot counts values above every bound (+Inf). */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** prom-client's value shape (histogram.js): `le` apart, the series' labels shared by its lines. */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string | number>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

type Exported = { values: ExportedValue[] } & Record<string, unknown>;

export class LabelledHistogram<T extends string> extends Histogram<T> {
  readonly #name: string;
  readonly #label: T;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string | number, Series<T>>();
  /** prom-client's own `observe`, for the forms this class leaves to it. */
  readonly #promObserve: (...args: unknown[]) => void;

  constructor(config: HistogramConfiguration<T> & { labelNames: readonly [T]; buckets: number[] }) {
    super(config);
    // prom-client puts `observe` on each instance (its exemplar form or not), hiding any subclass's:
    // keep it for the other forms, and put this class's in its place.
    this.#promObserve = this.observe.bind(this) as (...args: unknown[]) => void;
    this.observe = LabelledHistogram.prototype.observe;
    this.#name = config.name;
    this.#label = config.labelNames[0];
    this.#bounds = [...config.buckets].sort((a, b) => a - b);
  }

  override observe(labels: LabelValues<T> | ObserveDataWithExemplar<T> | number, value?: number): void {
    // The one-argument forms (no labels, or exemplars), as prom-client has them.
    if (typeof labels === 'number' || value === undefined) return this.#promObserve(labels);
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const key = (labels as LabelValues<T>)[this.#label];
    if (key === undefined) throw new TypeError(`${this.#name}: the label ${this.#label} is missing`);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels: { [this.#label]: key } as LabelValues<T>, counts: [], sum: 0, count: 0 };
      series.counts.length = this.#bounds.length + 1;
      series.counts.fill(0);
      this.#series.set(key, series);
    }
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (series.counts[i] as number)++;
    series.sum += value;
    series.count++;
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor resets too, before this class's fields exist.
    if (#series in this) this.#series.clear();
  }

  /**
   * What the registry reads for the text exposition, and what prom-client's own `get()` (JSON) builds on
   * (it merges each line's shared labels into its labels).
   */
  async getForPromString(): Promise<Exported> {
    const base = (await (
      Histogram.prototype as unknown as { getForPromString: () => Promise<Exported> }
    ).getForPromString.call(this)) as Exported;
    base.values.push(...this.#exported());
    return base;
  }

  #exported(): ExportedValue[] {
    const out: ExportedValue[] = [];
    const bucket = `${this.#name}_bucket`;
    for (const s of this.#series.values()) {
      const sharedLabels = s.labels as Record<string, string | number>;
      let acc = 0;
      this.#bounds.forEach((le, i) => {
        acc += s.counts[i] as number;
        out.push({ labels: { le }, sharedLabels, value: acc, metricName: bucket, exemplar: null });
      });
      out.push(
        { labels: { le: '+Inf' }, sharedLabels, value: s.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels, value: s.sum, metricName: `${this.#name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels, value: s.count, metricName: `${this.#name}_count`, exemplar: undefined },
      );
    }
    return out;
  }
}
