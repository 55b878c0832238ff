// Listener ticket check at the edge (nginx njs): the same HMAC the origin checks, with no lookup, so a
// cached playlist or part is never served to someone without a valid ticket for that space.
// The key is HMAC-SHA256(ROSTRA_SECRET, "rostra/ticket/v1"), as in src/auth/SignedToken.ts; nginx gets the
// secret from the `$rostra_secret` variable (set it in the server block, from a file only root can read).
const crypto = require('crypto');

function fromB64url(s) {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function ticketOf(r) {
  if (r.args.ticket) return r.args.ticket;
  const cookie = r.headersIn.Cookie || '';
  const m = /(?:^|;\s*)rostra_ticket=([^;]+)/.exec(cookie);
  return m ? m[1] : '';
}

function check(r) {
  const token = ticketOf(r);
  if (!token || token.length > 1024) return '0';
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return '0';
  const body = token.slice(0, dot);
  const key = crypto.createHmac('sha256', r.variables.rostra_secret).update('rostra/ticket/v1').digest();
  const expected = crypto.createHmac('sha256', key).update(body).digest('base64url');
  if (expected !== token.slice(dot + 1)) return '0';
  let payload;
  try {
    payload = JSON.parse(fromB64url(body).toString());
  } catch (e) {
    return '0';
  }
  const space = /^\/live\/([A-Za-z0-9_-]+)\//.exec(r.uri);
  if (!space || payload.s !== space[1]) return '0';
  if (!(payload.exp > Date.now() / 1000)) return '0';
  return '1';
}

// The ticket itself, for the subrequest that fetches a part ahead (rostra.conf).
function ticket(r) {
  return ticketOf(r);
}

export default { check, ticket };
