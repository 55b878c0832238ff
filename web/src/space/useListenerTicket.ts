/**
 * The listener's seat: ask to listen, heartbeat every heartbeatSeconds (which renews the ticket and its
 * cookie), leave when done. A planned refusal (503 space_unavailable) is kept with its retry time and
 * retried automatically when it comes.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { isApiError, describeError } from '../api/ApiError.js';
import type { Admission } from '../api/types.js';
import { api } from '../lib/api.js';

export interface Unavailable {
  reason: string;
  message: string;
  /** Epoch ms of the next automatic try. */
  retryAt: number;
}

export type TicketState =
  | { status: 'idle' }
  | { status: 'joining' }
  | { status: 'admitted'; admission: Admission }
  | { status: 'unavailable'; unavailable: Unavailable }
  | { status: 'refused'; code: string; message: string };

export interface ListenerTicket {
  state: TicketState;
  /** The current ticket, for anonymous reactions. */
  ticket: () => string | undefined;
  retryNow: () => void;
}

/** `wanted` false releases the seat (a speaker on WebRTC is not a listener). */
export function useListenerTicket(spaceId: string, wanted: boolean, onEnded: () => void): ListenerTicket {
  const [state, setState] = useState<TicketState>({ status: 'idle' });
  const ticketRef = useRef<string | undefined>(undefined);
  const onEndedRef = useRef(onEnded);
  onEndedRef.current = onEnded;
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!wanted) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const later = (ms: number, f: () => void) => {
      clearTimeout(timer);
      timer = setTimeout(f, ms);
    };

    const fail = (err: unknown): boolean => {
      if (isApiError(err, 'space_ended') || isApiError(err, 'invalid_state')) {
        onEndedRef.current();
        setState({ status: 'idle' });
        return true;
      }
      if (isApiError(err, 'space_unavailable')) {
        const retryAfter = Math.max(1, err.retryAfter ?? 15);
        const reason = typeof err.details.reason === 'string' ? err.details.reason : 'unavailable';
        setState({
          status: 'unavailable',
          unavailable: { reason, message: err.message, retryAt: Date.now() + retryAfter * 1000 },
        });
        later(retryAfter * 1000, join);
        return true;
      }
      if (
        isApiError(err, 'sign_in_required') ||
        isApiError(err, 'removed_from_space') ||
        isApiError(err, 'blocked_by_host')
      ) {
        const e = err as { code: string; message: string };
        setState({ status: 'refused', code: e.code, message: e.message });
        return true;
      }
      return false;
    };

    const beat = async (every: number) => {
      const t = ticketRef.current;
      if (stopped || t === undefined) return;
      try {
        ticketRef.current = (await api.heartbeat(spaceId, t)).ticket;
        if (!stopped) later(every * 1000, () => void beat(every));
      } catch (err) {
        if (stopped) return;
        if (isApiError(err, 'invalid_ticket')) join();
        else if (!fail(err)) later(every * 1000, () => void beat(every));
      }
    };

    function join(): void {
      if (stopped) return;
      setState((s) => (s.status === 'admitted' ? s : { status: 'joining' }));
      api.listen(spaceId, ticketRef.current).then(
        (admission) => {
          if (stopped) {
            void api.leave(spaceId, admission.ticket).catch((e: unknown) => console.warn('leave failed', e));
            return;
          }
          ticketRef.current = admission.ticket;
          setState({ status: 'admitted', admission });
          later(admission.heartbeatSeconds * 1000, () => void beat(admission.heartbeatSeconds));
        },
        (err: unknown) => {
          if (stopped || fail(err)) return;
          console.warn('listen failed; retrying', describeError(err));
          later(3000, join);
        },
      );
    }

    const leave = () => {
      const t = ticketRef.current;
      ticketRef.current = undefined;
      if (t !== undefined) void api.leave(spaceId, t).catch((e: unknown) => console.warn('leave failed', e));
    };
    addEventListener('pagehide', leave);
    join();
    return () => {
      stopped = true;
      clearTimeout(timer);
      removeEventListener('pagehide', leave);
      leave();
      setState({ status: 'idle' });
    };
  }, [spaceId, wanted, attempt]);

  const retryNow = useCallback(() => setAttempt((n) => n + 1), []);
  const ticket = useCallback(() => ticketRef.current, []);
  return { state, ticket, retryNow };
}
