/** Up to `max` topics as removable chips; Enter or comma adds one. */
import { useState } from 'preact/hooks';
import { Icon } from './Icon.js';

export function TopicsInput(props: { value: string[]; onChange: (t: string[]) => void; max: number }) {
  const { value, onChange, max } = props;
  const [draft, setDraft] = useState('');
  const add = () => {
    const t = draft.trim().replace(/,+$/, '').slice(0, 30);
    if (t !== '' && value.length < max && !value.includes(t)) onChange([...value, t]);
    setDraft('');
  };
  return (
    <div class="field">
      <label for="topic-input">
        Topics <span class="muted">(up to {max})</span>
      </label>
      {value.length > 0 && (
        <ul class="chips" aria-label="Chosen topics">
          {value.map((t) => (
            <li key={t} class="chip">
              {t}
              <button
                type="button"
                class="chip-x"
                aria-label={`Remove topic ${t}`}
                onClick={() => onChange(value.filter((x) => x !== t))}
              >
                <Icon name="close" size={14} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <input
        id="topic-input"
        value={draft}
        maxLength={30}
        disabled={value.length >= max}
        placeholder={value.length >= max ? 'That’s three' : 'Type a topic, press Enter'}
        onInput={(e) => setDraft(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === ',') {
            e.preventDefault();
            add();
          }
        }}
        onBlur={add}
      />
    </div>
  );
}
