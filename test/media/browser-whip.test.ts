/** A real browser on stage: Debian's Chromium publishes a tone through WHIP, and a bot speaker hears it. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { SpeakerBot } from '../../src/bot/index.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { launchChromium, toneWav } from '../../src/testing/Browser.js';
import { openTestNode, signUp } from '../../src/testing/TestNode.js';

let node: RostraNode;
let browser: Browser;
let bot: SpeakerBot;

before(async () => {
  node = await openTestNode({ webDist: null });
  await node.listen();
  browser = await launchChromium({ fakeAudioWav: toneWav(523) });
});
after(async () => {
  await bot?.stop();
  await browser?.close();
  await node.close();
});

test('Chromium publishes its microphone through WHIP; the host bot hears its 523 Hz tone', async () => {
  const base = `http://127.0.0.1:${node.http.port}`;
  const host = await signUp(node, 'host');
  const guest = await signUp(node, 'browser');
  const spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Browser' })).body.id;
  await host.client.post(`/api/v1/spaces/${spaceId}/users/${guest.id}/invite`);
  await guest.client.post(`/api/v1/spaces/${spaceId}/invitation`, { accept: true });
  await guest.client.post(`/api/v1/spaces/${spaceId}/users/${guest.id}/unmute`);
  bot = new SpeakerBot({
    connectTimeoutMs: 60_000, // a deadline for a busy machine
    whipUrl: `${base}/api/v1/spaces/${spaceId}/whip`,
    token: host.token,
    audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -20 },
    listenHz: [440, 523],
  });
  await bot.start();

  const page = await browser.newPage();
  await page.goto(`${base}/healthz`); // any page of the same origin
  const status = await page.evaluate(
    async ({ url, token }) => {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
      const pc = new RTCPeerConnection();
      const [track] = stream.getAudioTracks();
      if (!track) throw new Error('no microphone track');
      pc.addTransceiver(track, { direction: 'sendrecv' });
      await pc.setLocalDescription(await pc.createOffer());
      // Offer once gathering ends or a first candidate is known (the server is ICE-lite: one reachable
      // candidate is enough); waiting on the event, not a fixed time, with a generous cap.
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        if (pc.localDescription?.sdp.includes('a=candidate')) return resolve();
        pc.addEventListener(
          'icegatheringstatechange',
          () => pc.iceGatheringState === 'complete' && resolve(),
        );
        pc.addEventListener('icecandidate', (e) => e.candidate && resolve());
        setTimeout(resolve, 30_000);
      });
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
        body: pc.localDescription?.sdp ?? '',
      });
      if (res.status !== 201) return { status: res.status, body: await res.text() };
      const answer = await res.text();
      (window as unknown as { answer: string }).answer = answer;
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      (window as unknown as { pc: RTCPeerConnection }).pc = pc;
      return { status: res.status, body: '' };
    },
    { url: `${base}/api/v1/spaces/${spaceId}/whip`, token: guest.token },
  );
  assert.equal(status.status, 201, status.body);
  const until = Date.now() + 60_000; // a deadline for a busy machine, not a bound
  while (!bot.report().heard.some((t) => t.frequencyHz === 523)) {
    if (Date.now() > until) {
      const pcState = await page.evaluate(() => {
        const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
        return {
          answer: (window as unknown as { answer: string }).answer
            .split('\r\n')
            .filter((l) => /setup|fingerprint|ice-lite|candidate/.test(l)),
          offer: pc.localDescription?.sdp.split('\r\n').filter((l) => /setup|fingerprint/.test(l)),
          conn: pc.connectionState,
          ice: pc.iceConnectionState,
          local: pc.localDescription?.sdp.split('\r\n').filter((l) => l.startsWith('a=candidate')),
        };
      });
      const peer = node.media.get(spaceId)?.stage.peer(guest.id);
      throw new Error(
        `the bot never heard 523 Hz: ${JSON.stringify(bot.report().heard)} page ${JSON.stringify(pcState)} server ${peer?.state} ${JSON.stringify(peer?.stats())} muted ${node.media.get(spaceId)?.stage.isMuted(guest.id)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(
    bot.report().heard.some((t) => t.frequencyHz === 440),
    false,
    'the host does not hear themself',
  );
  await page.close();
});
