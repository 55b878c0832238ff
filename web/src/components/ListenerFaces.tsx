/**
 * The audience as faces, under the stage: signed-in listeners with their photo or coloured initials, and
 * "+N others" for everyone else (anonymous listeners, and those past the sample). The sample comes from
 * GET …/faces (the same for everyone, cached by the server and any HTTP cache); it is fetched again when
 * the live count changes, at most every few seconds.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ListenerFaces as Faces } from '../api/types.js';
import { api } from '../lib/api.js';
import { plural } from '../lib/format.js';
import { Avatar } from './Avatar.js';

const MIN_INTERVAL_MS = 4000;
/** People come and go without the count moving: look again now and then anyway. */
const REFRESH_MS = 20_000;

export function ListenerFaces(props: { spaceId: string; count: number; onOpen?: () => void }) {
  const { spaceId, count } = props;
  const [faces, setFaces] = useState<Faces | null>(null);
  const last = useRef(0);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    let stopped = false;
    const wait = Math.max(0, last.current + MIN_INTERVAL_MS - Date.now());
    const timer = setTimeout(() => {
      last.current = Date.now();
      api
        .faces(spaceId)
        .then((f) => !stopped && setFaces(f))
        .catch((err: unknown) => console.warn('faces: not refreshed', err));
    }, wait);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [spaceId, count, tick]);

  if (!faces || (faces.faces.length === 0 && faces.others === 0)) return null;
  const label = `Listening: ${faces.faces.map((f) => f.displayName).join(', ')}${
    faces.others > 0
      ? `${faces.faces.length > 0 ? ' and ' : ''}${plural(faces.others, 'other', 'others')}`
      : ''
  }`;
  return (
    <section class="listener-faces" aria-label="Listeners">
      <ul class="listener-faces-grid" aria-label={label}>
        {faces.faces.map((f) => (
          <li key={f.id} class="listener-face" data-user={f.handle} title={f.displayName}>
            <Avatar id={f.id} name={f.displayName} src={f.avatarUrl} size="md" />
            <span class="listener-face-name" aria-hidden="true">
              {f.displayName}
            </span>
          </li>
        ))}
      </ul>
      {faces.others > 0 &&
        (props.onOpen ? (
          <button type="button" class="listener-others btn btn-ghost btn-sm" onClick={props.onOpen}>
            +{plural(faces.others, 'other', 'others')}
          </button>
        ) : (
          <p class="listener-others muted">+{plural(faces.others, 'other', 'others')}</p>
        ))}
    </section>
  );
}
