import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RostraError } from '../errors/index.js';
import { CHROME_AUDIO_OFFER, VIDEO_SECTION, editOffer } from './fixtures/offers.js';
import { parseSdpOffer } from './SdpOffer.js';

function rejects(input: unknown, code: string, pattern: RegExp): void {
  assert.throws(
    () => parseSdpOffer(input),
    (err: unknown) => err instanceof RostraError && err.code === code && pattern.test(err.message),
  );
}

test('parseSdpOffer accepts a Chromium audio offer and reports opus, audio level and ICE', () => {
  const offer = parseSdpOffer(CHROME_AUDIO_OFFER);
  assert.equal(offer.audio.opusPayloadType, 111);
  assert.equal(offer.audio.opusChannels, 2);
  assert.equal(offer.audio.audioLevelExtensionId, 1);
  assert.equal(offer.audio.direction, 'sendrecv');
  assert.equal(offer.audio.mid, '0');
  assert.equal(offer.audio.candidateCount, 2);
  assert.equal(offer.iceUfrag, '4ZcD');
  assert.equal(offer.fingerprints[0]?.algorithm, 'sha-256');
  assert.equal(offer.sdp, CHROME_AUDIO_OFFER);
});

test('parseSdpOffer accepts LF line ends and bytes, and normalizes to CRLF', () => {
  const lf = CHROME_AUDIO_OFFER.replaceAll('\r\n', '\n');
  assert.equal(parseSdpOffer(lf).sdp, CHROME_AUDIO_OFFER);
  assert.equal(parseSdpOffer(Buffer.from(CHROME_AUDIO_OFFER)).sdp, CHROME_AUDIO_OFFER);
});

test('parseSdpOffer accepts sendonly and session-level ICE credentials', () => {
  const sendonly = editOffer((l) => (l === 'a=sendrecv' ? 'a=sendonly' : l));
  assert.equal(parseSdpOffer(sendonly).audio.direction, 'sendonly');
  const sessionIce = editOffer((l) =>
    l === 't=0 0'
      ? [l, 'a=ice-ufrag:4ZcD', 'a=ice-pwd:2/1muCWoOi3uLifh0NuRHlCk']
      : l.startsWith('a=ice-')
        ? undefined
        : l,
  );
  assert.equal(parseSdpOffer(sessionIce).icePwd, '2/1muCWoOi3uLifh0NuRHlCk');
});

test('parseSdpOffer rejects a video or data m-line, naming it', () => {
  rejects(`${CHROME_AUDIO_OFFER}${VIDEO_SECTION}\r\n`, 'invalid_sdp', /remove the video m-line/);
  const data = `${CHROME_AUDIO_OFFER}m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n`;
  rejects(data, 'invalid_sdp', /application/);
  const videoOnly = editOffer((l) => (l.startsWith('m=audio') ? 'm=video 9 UDP/TLS/RTP/SAVPF 111' : l));
  rejects(videoOnly, 'invalid_sdp', /one audio m-line/);
});

test('parseSdpOffer rejects an offer without opus as unsupported_codec', () => {
  const noOpus = editOffer((l) =>
    l.startsWith('m=audio')
      ? 'm=audio 9 UDP/TLS/RTP/SAVPF 0 8'
      : l.includes(':111 ') || l.includes(':63 ')
        ? undefined
        : l,
  );
  rejects(noOpus, 'unsupported_codec', /PCMU, PCMA/);
  const opusNotListed = editOffer((l) => (l.startsWith('m=audio') ? 'm=audio 9 UDP/TLS/RTP/SAVPF 0' : l));
  rejects(opusNotListed, 'unsupported_codec', /PCMU/);
});

test('parseSdpOffer rejects missing ICE credentials and fingerprints', () => {
  rejects(
    editOffer((l) => (l.startsWith('a=ice-ufrag') ? undefined : l)),
    'invalid_sdp',
    /ice-ufrag/,
  );
  rejects(
    editOffer((l) => (l.startsWith('a=ice-pwd') ? undefined : l)),
    'invalid_sdp',
    /ice-pwd/,
  );
  rejects(
    editOffer((l) => (l.startsWith('a=ice-pwd') ? 'a=ice-pwd:short' : l)),
    'invalid_sdp',
    /ice-pwd/,
  );
  rejects(
    editOffer((l) => (l.startsWith('a=fingerprint') ? undefined : l)),
    'invalid_sdp',
    /fingerprint/,
  );
  rejects(
    editOffer((l) => (l.startsWith('a=fingerprint') ? 'a=fingerprint:sha-256 AB:CD' : l)),
    'invalid_sdp',
    /32 hex bytes/,
  );
  rejects(
    editOffer((l) => (l.startsWith('a=fingerprint') ? 'a=fingerprint:md5 AB:CD' : l)),
    'invalid_sdp',
    /md5/,
  );
});

test('parseSdpOffer rejects bad structure with a message saying what is wrong', () => {
  rejects('', 'invalid_sdp', /empty/);
  rejects(42, 'invalid_sdp', /SDP text/);
  rejects(null, 'invalid_sdp', /SDP text/);
  rejects(Buffer.from([0xff, 0xfe, 0x00]), 'invalid_sdp', /UTF-8/);
  rejects(CHROME_AUDIO_OFFER.replace('v=0', 'v=1'), 'invalid_sdp', /first line/);
  rejects(CHROME_AUDIO_OFFER.replace('s=-\r\n', ''), 'invalid_sdp', /"s="/);
  rejects(CHROME_AUDIO_OFFER.replace('a=mid:0', 'a=mid:0\u0001'), 'invalid_sdp', /control character/);
  rejects(CHROME_AUDIO_OFFER.replace('a=mid:0', 'garbage'), 'invalid_sdp', /line 18/);
  rejects(
    editOffer((l) => (l === 't=0 0' ? [l, 'a=ice-lite'] : l)),
    'invalid_sdp',
    /ICE-lite/,
  );
  rejects(
    editOffer((l) => (l === 'a=sendrecv' ? 'a=recvonly' : l)),
    'invalid_sdp',
    /recvonly/,
  );
  rejects(
    editOffer((l) => (l === 'a=sendrecv' ? [l, 'a=sendonly'] : l)),
    'invalid_sdp',
    /direction/,
  );
  rejects(
    editOffer((l) => (l.startsWith('m=audio') ? 'm=audio 0 UDP/TLS/RTP/SAVPF 111' : l)),
    'invalid_sdp',
    /port 0/,
  );
  rejects(
    editOffer((l) => (l.startsWith('m=audio') ? 'm=audio 9 RTP/AVP 111' : l)),
    'invalid_sdp',
    /SAVPF/,
  );
  rejects(
    editOffer((l) => (l.startsWith('m=audio') ? 'm=audio 9 UDP/TLS/RTP/SAVPF 1111' : l)),
    'invalid_sdp',
    /1111/,
  );
  rejects(
    editOffer((l) => (l === 'a=setup:actpass' ? 'a=setup:holdconn' : l)),
    'invalid_sdp',
    /holdconn/,
  );
  rejects(
    editOffer((l) => (l.startsWith('a=candidate:1467') ? 'a=candidate:x' : l)),
    'invalid_sdp',
    /candidate/,
  );
});

test('parseSdpOffer enforces size and count limits', () => {
  const big = CHROME_AUDIO_OFFER + `a=x-pad:${'x'.repeat(1000)}\r\n`.repeat(17);
  rejects(big, 'payload_too_large', /16384 bytes/);
  rejects(Buffer.from(big), 'payload_too_large', /16384 bytes/);
  const candidate = 'a=candidate:1 1 udp 2122260223 192.0.2.10 5000 typ host';
  const many = editOffer((l) => (l === 'a=mid:0' ? [l, ...Array<string>(33).fill(candidate)] : l));
  rejects(many, 'invalid_sdp', /more than 32 candidates/);
  const attrs = editOffer((l) => (l === 'a=mid:0' ? [l, ...Array<string>(200).fill('a=x-y')] : l));
  rejects(attrs, 'invalid_sdp', /more than 200 attributes/);
  const lines = editOffer((l) => (l === 't=0 0' ? [l, ...Array<string>(400).fill('b=AS:1')] : l));
  rejects(lines, 'invalid_sdp', /more than 400 lines/);
  rejects(CHROME_AUDIO_OFFER.replace('a=mid:0', `a=mid:${'0'.repeat(1100)}`), 'invalid_sdp', /longer than/);
});

/** mulberry32: a small seeded PRNG, so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('parseSdpOffer fuzz: random bytes, truncations and mutations only ever throw the three SDP codes', () => {
  const rnd = prng(0x5eed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const allowed = new Set(['invalid_sdp', 'unsupported_codec', 'payload_too_large']);
  const tokens = [
    '0',
    '-1',
    '99999999999',
    ':',
    ' ',
    '/',
    'a=',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    '\r\n',
    '\n',
    '\u0000',
    'é',
    '🎤',
  ];
  const lines = CHROME_AUDIO_OFFER.split('\r\n');
  const cases: unknown[] = [undefined, {}, [], Symbol('x'), new Uint8Array(0), '\r\n\r\n'];
  for (let i = 0; i < 400; i++) cases.push(Buffer.from(Array.from({ length: int(300) }, () => int(256))));
  for (let i = 0; i < 300; i++) cases.push(CHROME_AUDIO_OFFER.slice(0, int(CHROME_AUDIO_OFFER.length)));
  for (let i = 0; i < 1500; i++) {
    const mutated = [...lines];
    for (let m = 1 + int(4); m > 0; m--) {
      const at = int(mutated.length);
      const line = mutated[at] ?? '';
      switch (int(6)) {
        case 0:
          mutated.splice(at, 1);
          break;
        case 1:
          mutated.splice(at, 0, line);
          break;
        case 2: {
          const p = int(line.length + 1);
          mutated[at] = line.slice(0, p) + (tokens[int(tokens.length)] ?? '') + line.slice(p);
          break;
        }
        case 3:
          mutated[at] = line.replace(/\d+/, () => String(int(2 ** 31)));
          break;
        case 4:
          mutated[at] = line.slice(0, int(line.length + 1));
          break;
        default:
          mutated.splice(at, 0, mutated[int(mutated.length)] ?? '');
      }
    }
    cases.push(i % 2 === 0 ? mutated.join('\r\n') : Buffer.from(mutated.join('\n')));
  }
  let accepted = 0;
  for (const input of cases) {
    try {
      parseSdpOffer(input);
      accepted += 1;
    } catch (err) {
      assert.ok(err instanceof RostraError, `threw a non-RostraError: ${String(err)}`);
      assert.ok(allowed.has(err.code), `threw ${err.code}`);
      assert.equal(err.status === 400 || err.status === 413, true);
      // The catch-all for our own parser bugs must never be what answered.
      assert.doesNotMatch(err.message, /could not be parsed/);
    }
  }
  // Some mutations are harmless (e.g. a duplicated rtpmap): the fuzz must exercise both outcomes.
  assert.ok(accepted > 0 && accepted < cases.length);
});
