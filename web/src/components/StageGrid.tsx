/** The stage: host, co-hosts and speakers, in that order. */
import type { StageMemberView } from '../api/types.js';
import { StageMember } from './StageMember.js';

const ORDER = { host: 0, cohost: 1, speaker: 2 } as const;

export function StageGrid(props: {
  stage: StageMemberView[];
  speaking: ReadonlySet<string>;
  meId: string | null;
  /** Returns the opener for a member when the viewer may act on them. */
  opener: (m: StageMemberView) => (() => void) | undefined;
}) {
  const sorted = [...props.stage].sort((a, b) => ORDER[a.role] - ORDER[b.role]);
  return (
    <section class="stage" aria-labelledby="stage-h">
      <h2 id="stage-h" class="visually-hidden">
        On stage
      </h2>
      <ul class="stage-grid" aria-label="Speakers">
        {sorted.map((m) => {
          const open = props.opener(m);
          return (
            <StageMember
              key={m.id}
              member={m}
              speaking={props.speaking.has(m.id)}
              isMe={m.id === props.meId}
              {...(open ? { onOpen: open } : {})}
            />
          );
        })}
      </ul>
    </section>
  );
}
