/** The app's one event stream ("one connection per client"), following the session's token. */
import { EventStream } from '../api/EventStream.js';
import { getSession, onSession } from './session.js';

export const events = new EventStream();
events.setToken(getSession()?.token);
onSession((s) => events.setToken(s?.token));
