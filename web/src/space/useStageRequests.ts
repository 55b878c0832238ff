/** Requests to speak (mine, and the queue moderators answer) and invitations to me. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { SpeakRequest, UserView } from '../api/types.js';
import { api } from '../lib/api.js';
import { events } from '../lib/events.js';
import { toast } from '../lib/toast.js';

export interface StageRequests {
  /** Pending requests, oldest first (moderators only). */
  queue: SpeakRequest[];
  /** I asked and nobody has answered yet. */
  asked: boolean;
  setAsked: (on: boolean) => void;
  /** Who invited me, while the invitation stands. */
  invitedBy: UserView | null;
  clearInvitation: () => void;
  dropFromQueue: (userId: string) => void;
}

export function useStageRequests(spaceId: string, meId: string | null, moderator: boolean): StageRequests {
  const [queue, setQueue] = useState<SpeakRequest[]>([]);
  const [asked, setAsked] = useState(false);
  const [invitedBy, setInvitedBy] = useState<UserView | null>(null);

  useEffect(() => {
    if (!moderator) {
      setQueue([]);
      return;
    }
    let stale = false;
    const load = () =>
      api.requests(spaceId).then(
        (r) => !stale && setQueue(r.requests),
        (err: unknown) => console.warn('requests: could not load', err),
      );
    void load();
    const offs = [
      events.on('request.added', (e) => {
        if (e.spaceId !== spaceId) return;
        setQueue((q) =>
          q.some((r) => r.user.id === e.user.id)
            ? q
            : [...q, { user: e.user, createdAt: new Date().toISOString() }],
        );
      }),
      events.onStatus((s, reconnected) => {
        if (s === 'open' && reconnected) void load();
      }),
    ];
    return () => {
      stale = true;
      for (const off of offs) off();
    };
  }, [spaceId, moderator]);

  useEffect(() => {
    const offs = [
      events.on('request.removed', (e) => {
        if (e.spaceId !== spaceId) return;
        setQueue((q) => q.filter((r) => r.user.id !== e.userId));
        if (e.userId === meId) {
          setAsked(false);
          if (e.outcome === 'declined') toast('Your request to speak was declined.');
        }
      }),
      events.on('invitation', (e) => {
        if (e.spaceId === spaceId) setInvitedBy(e.by);
      }),
      events.on('invitation.removed', (e) => {
        if (e.spaceId === spaceId && e.userId === meId) setInvitedBy(null);
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [spaceId, meId]);

  const clearInvitation = useCallback(() => setInvitedBy(null), []);
  const dropFromQueue = useCallback(
    (userId: string) => setQueue((q) => q.filter((r) => r.user.id !== userId)),
    [],
  );
  return { queue, asked, setAsked, invitedBy, clearInvitation, dropFromQueue };
}
