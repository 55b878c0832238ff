/** A labelled on/off switch (role="switch"), with an optional hint under the label. */
export function Switch(props: {
  label: string;
  hint?: string;
  checked: boolean;
  onChange: (on: boolean) => void;
}) {
  const { label, hint, checked, onChange } = props;
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      class="switch-row"
      onClick={() => onChange(!checked)}
    >
      <span class="switch-text">
        <span class="switch-label">{label}</span>
        {hint !== undefined && <span class="hint">{hint}</span>}
      </span>
      <span class="switch" aria-hidden="true">
        <span class="switch-knob" />
      </span>
    </button>
  );
}
