import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RostraError } from '../errors/index.js';
import { CHROME_AUDIO_OFFER } from './fixtures/offers.js';
import { SpeakerPeer } from './SpeakerPeer.js';
import type { SpeakerCloseReason } from './StageTypes.js';

const LOOPBACK = { announcedIps: ['127.0.0.1'], listenIps: { udp4: '127.0.0.1' } } as const;

function closedReason(peer: SpeakerPeer): Promise<SpeakerCloseReason> {
  return new Promise((resolve) => peer.on('closed', resolve));
}

test('SpeakerPeer.answer answers a Chromium offer ICE-lite, Opus only, audio level, announced IP only', async () => {
  const udp = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
  const udpBefore = udp();
  const peer = new SpeakerPeer('u1', LOOPBACK);
  const answer = await peer.answer(CHROME_AUDIO_OFFER);
  try {
    // One socket for the one host candidate; the offer's mDNS candidate opened no multicast socket.
    assert.equal(udp() - udpBefore, 1);
    assert.match(answer, /^a=ice-lite\r$/m);
    const candidates = answer.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
    assert.equal(candidates.length, 1);
    assert.match(candidates[0] ?? '', / udp \d+ 127\.0\.0\.1 \d+ typ host/);
    assert.match(answer, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 111\r$/m);
    assert.deepEqual(answer.match(/^a=rtpmap:.*$/gm), ['a=rtpmap:111 opus/48000/2']);
    assert.match(answer, /^a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r$/m);
    assert.match(answer, /^a=sendrecv\r$/m);
    assert.match(answer, /^a=end-of-candidates\r$/m);
    assert.equal(peer.state, 'connecting');
    assert.equal(peer.activeTimers(), 1, 'the connect timer is armed');
    assert.equal(peer.send(new Uint8Array([1]), 0), false, 'nothing is sent before DTLS connects');
  } finally {
    const reason = closedReason(peer);
    const first = peer.close('left');
    assert.equal(peer.close('removed'), first, 'close is idempotent');
    assert.equal(await reason, 'left');
    await first;
  }
  assert.equal(peer.state, 'closed');
  assert.equal(peer.closeReason, 'left');
  assert.equal(peer.activeTimers(), 0);
  assert.equal(peer.activeListeners(), 0);
});

test('SpeakerPeer.answer rejects a bad offer with invalid_sdp and closes the peer', async () => {
  const peer = new SpeakerPeer('u1', LOOPBACK);
  const reason = closedReason(peer);
  await assert.rejects(
    peer.answer('v=0\r\nnonsense'),
    (e: unknown) => e instanceof RostraError && e.code === 'invalid_sdp',
  );
  assert.equal(await reason, 'answer_failed');
  assert.equal(peer.activeTimers() + peer.activeListeners(), 0);
  await assert.rejects(
    peer.answer(CHROME_AUDIO_OFFER),
    (e: unknown) => e instanceof RostraError && e.code === 'invalid_state',
  );
});

test('SpeakerPeer closes itself with connect_timeout when the client never connects', async () => {
  const peer = new SpeakerPeer('u1', { ...LOOPBACK, connectTimeoutMs: 30 });
  const reason = closedReason(peer);
  await peer.answer(CHROME_AUDIO_OFFER); // its candidates are unreachable, and ICE-lite never sends checks
  assert.equal(await reason, 'connect_timeout');
  assert.equal(peer.activeTimers() + peer.activeListeners(), 0);
  await peer.close();
});

test('SpeakerPeer.setMuted reflects the mute state', async () => {
  const peer = new SpeakerPeer('u1', LOOPBACK);
  peer.setMuted(true);
  assert.equal(peer.muted, true);
  peer.setMuted(false);
  assert.equal(peer.muted, false);
  await peer.close();
});

test('SpeakerPeer rejects contradictory options at construction', () => {
  assert.throws(() => new SpeakerPeer('u', { announcedIps: [] }), TypeError);
  assert.throws(() => new SpeakerPeer('u', { announcedIps: ['example.org'] }), TypeError);
  assert.throws(
    () => new SpeakerPeer('u', { announcedIps: ['127.0.0.1'], listenIps: { udp4: '::1' } }),
    TypeError,
  );
  assert.throws(
    () => new SpeakerPeer('u', { announcedIps: ['127.0.0.1'], portRange: [5000, 4000] }),
    TypeError,
  );
  assert.throws(() => new SpeakerPeer('u', { announcedIps: ['127.0.0.1'], connectTimeoutMs: 0 }), TypeError);
});
