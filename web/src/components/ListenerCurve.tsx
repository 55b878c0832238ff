/** The live audience over time as a small SVG line, with a table for screen readers. */
import { formatCount } from '../lib/format.js';

const W = 600;
const H = 160;

export function ListenerCurve({ points }: { points: { at: string; listeners: number }[] }) {
  if (points.length === 0)
    return <p class="muted">No samples yet: they come every few seconds while live.</p>;
  const t0 = Date.parse(points[0]?.at ?? '');
  const t1 = Date.parse(points[points.length - 1]?.at ?? '');
  const span = Math.max(1, t1 - t0);
  const max = Math.max(1, ...points.map((p) => p.listeners));
  const xy = points.map((p) => {
    const x = points.length === 1 ? W / 2 : ((Date.parse(p.at) - t0) / span) * W;
    const y = H - (p.listeners / max) * (H - 8) - 4;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const time = (iso: string) =>
    new Date(iso).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
  return (
    <figure class="curve">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Listeners over time, peak ${formatCount(max)}`}>
        <polyline points={xy.join(' ')} fill="none" stroke="var(--accent)" stroke-width="3" />
        {/* Dots while there are few samples (a single one draws no line). */}
        {xy.length <= 60 &&
          xy.map((p) => {
            const [x, y] = p.split(',');
            return <circle key={p} cx={x} cy={y} r="4" fill="var(--accent)" />;
          })}
      </svg>
      <figcaption class="muted curve-axis">
        <span>{time(points[0]?.at ?? '')}</span>
        <span>peak {formatCount(max)}</span>
        <span>{time(points[points.length - 1]?.at ?? '')}</span>
      </figcaption>
      <table class="visually-hidden">
        <caption>Listeners by time</caption>
        <tbody>
          {points.map((p) => (
            <tr key={p.at}>
              <th scope="row">{time(p.at)}</th>
              <td>{p.listeners}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
