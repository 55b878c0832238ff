/**
 * The typed HTTP client: one method per route the app uses. It sends the session token, parses the
 * coded error body, and knows nothing about components.
 */
import { ApiError } from './ApiError.js';
import type {
  Admission,
  ErrorBody,
  ListenerFaces,
  ListenerPage,
  NewSpace,
  PinList,
  PinView,
  ReactionEmoji,
  RecentReplayList,
  SpaceAnalytics,
  Replay,
  Session,
  SpaceList,
  SpaceView,
  SpeakRequest,
  TicketRenewal,
  User,
  UserAction,
} from './types.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiClientOptions {
  /** Where the API lives; default the page's origin. */
  baseUrl?: string;
  /** The session token to send, read at each call (it changes on sign-in and sign-out). */
  token?: () => string | undefined;
  /** Called when the server says the token is no longer valid. */
  onInvalidToken?: () => void;
}

export class ApiClient {
  readonly #base: string;
  readonly #token: () => string | undefined;
  readonly #onInvalidToken: () => void;

  constructor(opts: ApiClientOptions = {}) {
    this.#base = opts.baseUrl ?? location.origin;
    this.#token = opts.token ?? (() => undefined);
    this.#onInvalidToken = opts.onInvalidToken ?? (() => undefined);
  }

  /** An absolute URL on the API's origin for a path (or a URL the server gave, kept on this origin). */
  url(pathOrUrl: string): string {
    const u = new URL(pathOrUrl, this.#base);
    return new URL(u.pathname + u.search, this.#base).toString();
  }

  get token(): string | undefined {
    return this.#token();
  }

  async request<T>(method: Method, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers);
    const token = this.#token();
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
    if (body !== undefined) headers.set('content-type', 'application/json');
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        ...init,
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw ApiError.network(err);
    }
    if (!res.ok) throw await errorFrom(res, this.#onInvalidToken);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  // ---- accounts ----
  signUp(handle: string, password: string, displayName: string): Promise<Session> {
    return this.request('POST', '/api/v1/auth/signup', { handle, password, displayName });
  }
  signIn(handle: string, password: string): Promise<Session> {
    return this.request('POST', '/api/v1/auth/signin', { handle, password });
  }
  signOut(): Promise<void> {
    return this.request('POST', '/api/v1/auth/signout');
  }
  me(): Promise<User> {
    return this.request('GET', '/api/v1/me');
  }

  // ---- spaces ----
  createSpace(input: NewSpace): Promise<SpaceView> {
    return this.request('POST', '/api/v1/spaces', input);
  }
  listSpaces(state: 'live' | 'scheduled' | 'backstage', limit = 20): Promise<SpaceList> {
    return this.request('GET', `/api/v1/spaces?state=${state}&limit=${limit}`);
  }
  space(id: string): Promise<SpaceView> {
    // The view is cacheable for everyone; `no-cache` revalidates so a page reload shows fresh state.
    return this.request('GET', `/api/v1/spaces/${enc(id)}`, undefined, { cache: 'no-cache' });
  }
  transition(id: string, verb: 'backstage' | 'start' | 'end' | 'cancel'): Promise<SpaceView> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/${verb}`);
  }
  setInterest(id: string, on: boolean): Promise<void> {
    return this.request(on ? 'PUT' : 'DELETE', `/api/v1/spaces/${enc(id)}/interest`);
  }

  // ---- listening ----
  listen(id: string, ticket?: string): Promise<Admission> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/listen`, ticket !== undefined ? { ticket } : {});
  }
  heartbeat(id: string, ticket: string): Promise<TicketRenewal> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/heartbeat`, { ticket });
  }
  /** `keepalive` lets it finish while the page unloads. */
  leave(id: string, ticket: string): Promise<void> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/leave`, { ticket }, { keepalive: true });
  }
  listeners(id: string, limit: number, cursor?: string): Promise<ListenerPage> {
    const c = cursor !== undefined ? `&cursor=${encodeURIComponent(cursor)}` : '';
    return this.request('GET', `/api/v1/spaces/${enc(id)}/listeners?limit=${limit}${c}`);
  }
  react(id: string, emoji: ReactionEmoji, ticket?: string): Promise<void> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/reactions`, {
      emoji,
      ...(ticket !== undefined && this.#token() === undefined ? { ticket } : {}),
    });
  }

  // ---- stage ----
  requestToSpeak(id: string): Promise<void> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/requests`);
  }
  cancelRequest(id: string): Promise<void> {
    return this.request('DELETE', `/api/v1/spaces/${enc(id)}/requests`);
  }
  requests(id: string): Promise<{ requests: SpeakRequest[] }> {
    return this.request('GET', `/api/v1/spaces/${enc(id)}/requests`);
  }
  answerRequest(id: string, userId: string, accept: boolean): Promise<void> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/requests/${enc(userId)}`, { accept });
  }
  answerInvitation(id: string, accept: boolean): Promise<void> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/invitation`, { accept });
  }
  userAction(id: string, userId: string, action: UserAction): Promise<void> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/users/${enc(userId)}/${action}`);
  }
  muteAll(id: string): Promise<void> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/mute-all`);
  }
  leaveStage(id: string): Promise<void> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/leave-stage`);
  }

  // ---- avatars and faces ----
  /** Uploads a photo as it is (the server checks, re-encodes or refuses it); returns its new URL. */
  async setAvatar(file: Blob): Promise<{ avatarUrl: string }> {
    const headers = new Headers({ 'content-type': file.type });
    const token = this.#token();
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
    let res: Response;
    try {
      res = await fetch(this.url('/api/v1/me/avatar'), { method: 'PUT', headers, body: file });
    } catch (err) {
      throw ApiError.network(err);
    }
    if (!res.ok) throw await errorFrom(res, this.#onInvalidToken);
    return (await res.json()) as { avatarUrl: string };
  }
  removeAvatar(): Promise<void> {
    return this.request('DELETE', '/api/v1/me/avatar');
  }
  faces(id: string): Promise<ListenerFaces> {
    // Revalidated: the browser must not answer with a stale sample after the count moved.
    return this.request('GET', `/api/v1/spaces/${enc(id)}/faces`, undefined, { cache: 'no-cache' });
  }

  // ---- replay ----
  trimReplay(id: string, startSeconds: number): Promise<Replay> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/replay/trim`, { startSeconds });
  }
  replay(id: string): Promise<Replay> {
    return this.request('GET', `/api/v1/spaces/${enc(id)}/replay`, undefined, { cache: 'no-cache' });
  }
  countPlay(id: string): Promise<void> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/replay/plays`);
  }
  analytics(id: string): Promise<SpaceAnalytics> {
    return this.request('GET', `/api/v1/spaces/${enc(id)}/analytics`);
  }
  recentReplays(limit = 12): Promise<RecentReplayList> {
    return this.request('GET', `/api/v1/replays?limit=${limit}`);
  }

  // ---- pinned posts ----
  pins(id: string): Promise<PinList> {
    return this.request('GET', `/api/v1/spaces/${enc(id)}/pins`, undefined, { cache: 'no-cache' });
  }
  pin(id: string, title: string, url: string): Promise<PinView> {
    return this.request('POST', `/api/v1/spaces/${enc(id)}/pins`, { title, url });
  }
  unpin(id: string, pinId: string): Promise<void> {
    return this.request('DELETE', `/api/v1/spaces/${enc(id)}/pins/${enc(pinId)}`);
  }

  /** The WHIP endpoint for publishing into a space's stage. */
  whipUrl(id: string): string {
    return this.url(`/api/v1/spaces/${enc(id)}/whip`);
  }
}

const enc = encodeURIComponent;

/** Reads the coded error body; a body that is not ours becomes `http_<status>`. */
export async function errorFrom(
  res: Response,
  onInvalidToken: () => void = () => undefined,
): Promise<ApiError> {
  const header = Number(res.headers.get('retry-after'));
  let body: ErrorBody | undefined;
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    body = undefined; // not JSON (a proxy's page, an empty 404): described by the status below
  }
  const e = body?.error;
  if (e?.code === 'invalid_token') onInvalidToken();
  const retryAfter = e?.retryAfter ?? (Number.isFinite(header) && header > 0 ? header : undefined);
  return new ApiError(
    res.status,
    e?.code ?? `http_${res.status}`,
    e?.message ?? `The server answered ${res.status}.`,
    retryAfter,
    e?.details ?? {},
  );
}
