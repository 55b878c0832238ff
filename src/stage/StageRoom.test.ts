import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RostraError } from '../errors/index.js';
import { CHROME_AUDIO_OFFER } from './fixtures/offers.js';
import { StageRoom } from './StageRoom.js';

const OPTIONS = { announcedIps: ['127.0.0.1'], listenIps: { udp4: '127.0.0.1' } } as const;

const code = (c: string) => (e: unknown) => e instanceof RostraError && e.code === c;

test('StageRoom.addSpeaker replaces the previous session of the same user', async () => {
  const room = new StageRoom('s', OPTIONS);
  const first = await room.addSpeaker('u1', CHROME_AUDIO_OFFER);
  const firstPeer = room.peer('u1');
  const second = await room.addSpeaker('u1', CHROME_AUDIO_OFFER);
  assert.notEqual(first.sessionId, second.sessionId);
  assert.equal(firstPeer?.closeReason, 'replaced');
  assert.equal(room.peer('u1')?.id, second.sessionId);
  assert.equal(room.counters().peers, 1);
  assert.equal(room.removeSpeaker('u1', 'left', first.sessionId), false, 'a stale DELETE does nothing');
  assert.equal(room.removeSpeaker('u1', 'left', second.sessionId), true);
  assert.equal(room.peer('u1'), undefined);
  await room.close();
});

test('StageRoom.addSpeaker keeps the old session when the new offer is bad', async () => {
  const room = new StageRoom('s', OPTIONS);
  const first = await room.addSpeaker('u1', CHROME_AUDIO_OFFER);
  await assert.rejects(room.addSpeaker('u1', 'v=0\r\n'), code('invalid_sdp'));
  assert.equal(room.peer('u1')?.id, first.sessionId);
  await room.close();
});

test('StageRoom.addSpeaker refuses beyond maxSpeakers with speaker_limit', async () => {
  const room = new StageRoom('s', { ...OPTIONS, maxSpeakers: 1 });
  await room.addSpeaker('u1', CHROME_AUDIO_OFFER);
  await assert.rejects(room.addSpeaker('u2', CHROME_AUDIO_OFFER), code('speaker_limit'));
  await room.addSpeaker('u1', CHROME_AUDIO_OFFER); // a replacement is not one more
  await room.close();
});

test('StageRoom.mute applies to the current and to later sessions of the user until unmute', async () => {
  const room = new StageRoom('s', OPTIONS);
  room.mute('u1');
  await room.addSpeaker('u1', CHROME_AUDIO_OFFER);
  assert.equal(room.peer('u1')?.muted, true);
  room.unmute('u1');
  assert.equal(room.peer('u1')?.muted, false);
  assert.equal(room.isMuted('u1'), false);
  await room.close();
});

test('StageRoom.close closes every peer, is idempotent, and refuses new speakers with space_ended', async () => {
  const room = new StageRoom('s', OPTIONS);
  await room.addSpeaker('u1', CHROME_AUDIO_OFFER);
  const pending = room.addSpeaker('u2', CHROME_AUDIO_OFFER);
  const peer = room.peer('u1');
  room.on('packet', () => undefined);
  const closing = room.close();
  assert.equal(room.close(), closing);
  await closing;
  await assert.rejects(pending, code('space_ended'));
  assert.equal(peer?.closeReason, 'room_closed');
  assert.deepEqual(room.counters(), { peers: 0, connectedPeers: 0, timers: 0, listeners: 0 });
  assert.equal(room.listenerCount(), 0);
  assert.deepEqual(room.speakers(), []);
  await assert.rejects(room.addSpeaker('u3', CHROME_AUDIO_OFFER), code('space_ended'));
  room.sendToSpeaker('u1', new Uint8Array([1]), 0); // a no-op, not a throw
});
