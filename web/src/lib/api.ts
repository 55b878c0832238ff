/** The app's one API client, bound to the session. */
import { ApiClient } from '../api/ApiClient.js';
import { getSession, setSession } from './session.js';

export const api = new ApiClient({
  token: () => getSession()?.token,
  onInvalidToken: () => setSession(null),
});
