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
  /** The last heartbeat or join got no answer from the server (or a gateway error): the connection is lost. */
  offline: boolean;
  /** Gives the seat away (to the mini player): no leave when this page goes. */
  release: () => { ticket: string; admission: Admission } | null;
}

/** While the server does not answer, try this often, so the page recovers soon after it is back. */
const OFFLINE_RETRY_MS = 2000;

/** No answer, or a proxy's answer for a server that is down. */
function unreachable(err: unknown): boolean {
  return isApiError(err) && (err.status === 0 || err.status === 502 || err.status === 504);
}

/** `wanted` false releases the seat (a speaker on WebRTC is not a listener). */
export function useListenerTicket(
  spaceId: string,
  wanted: boolean,
  onEnded: () => void,
  /** A seat handed back by the mini player: kept, not joined anew (the same listener, counted once). */
  handed?: { ticket: string; admission: Admission },
): ListenerTicket {
  const [state, setState] = useState<TicketState>({ status: 'idle' });
  const handedRef = useRef(handed);
  const [offline, setOffline] = useState(false);
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
      // A planned refusal, or too many requests from this network (the guard): both say when to retry.
      if (isApiError(err, 'space_unavailable') || isApiError(err, 'rate_limited')) {
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
        setOffline(false);
        if (!stopped) later(every * 1000, () => void beat(every));
      } catch (err) {
        if (stopped) return;
        if (unreachable(err)) {
          setOffline(true);
          later(OFFLINE_RETRY_MS, () => void beat(every));
          return;
        }
        setOffline(false);
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
          setOffline(false);
          setState({ status: 'admitted', admission });
          later(admission.heartbeatSeconds * 1000, () => void beat(admission.heartbeatSeconds));
        },
        (err: unknown) => {
          if (stopped || fail(err)) return;
          console.warn('listen failed; retrying', describeError(err));
          if (unreachable(err)) setOffline(true);
          later(unreachable(err) ? OFFLINE_RETRY_MS : 3000, join);
        },
      );
    }

    const leave = () => {
      const t = ticketRef.current;
      ticketRef.current = undefined;
      if (t !== undefined) void api.leave(spaceId, t).catch((e: unknown) => console.warn('leave failed', e));
    };
    addEventListener('pagehide', leave);
    const back = handedRef.current;
    handedRef.current = undefined;
    if (back) {
      ticketRef.current = back.ticket;
      setState({ status: 'admitted', admission: back.admission });
      later(back.admission.heartbeatSeconds * 1000, () => void beat(back.admission.heartbeatSeconds));
    } else join();
    return () => {
      stopped = true;
      clearTimeout(timer);
      removeEventListener('pagehide', leave);
      leave();
      setState({ status: 'idle' });
      setOffline(false);
    };
  }, [spaceId, wanted, attempt]);

  const retryNow = useCallback(() => setAttempt((n) => n + 1), []);
  const ticket = useCallback(() => ticketRef.current, []);
  const release = useCallback(() => {
    const t = ticketRef.current;
    if (t === undefined || state.status !== 'admitted') return null;
    ticketRef.current = undefined;
    return { ticket: t, admission: state.admission };
  }, [state]);
  return { state, ticket, retryNow, offline, release };
}
