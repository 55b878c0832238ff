/**
 * One `rostra serve` (embedded database, in-memory bus) killed with SIGKILL mid-space and started again:
 * the live stream's numbering continues after what was published before the kill, so no part or segment
 * URL ever names two different contents (they are cacheable for a year).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ServeProcess } from '../../src/testing/ServeProcess.js';

async function playlist(server: ServeProcess, id: string, ticket: string): Promise<string> {
  const res = await fetch(`${server.baseUrl}/live/${id}/audio.m3u8?ticket=${ticket}`);
  assert.equal(res.status, 200);
  return res.text();
}

const lastPart = (text: string) => {
  const parts = [...text.matchAll(/URI="part(\d+)\.(\d+)\.m4s/g)].map((m) => [Number(m[1]), Number(m[2])]);
  return parts.at(-1) as [number, number];
};

test('kill -9 and restart: the media sequence continues, and an old part URL never names new audio', async () => {
  const data = mkdtempSync(join(tmpdir(), 'rostra-restart-msn-'));
  const flags = ['--data', data, '--part-ms', '500', '--segment-seconds', '2'];
  let server = await ServeProcess.start(flags);
  try {
    const host = await server.json<{ token: string }>('POST', '/api/v1/auth/signup', {
      handle: 'msnhost',
      password: 'correct horse battery',
      displayName: 'H',
    });
    const id = (
      await server.json<{ id: string }>('POST', '/api/v1/spaces', { title: 'MSN' }, host.body.token)
    ).body.id;
    const ticket = (await server.json<{ ticket: string }>('POST', `/api/v1/spaces/${id}/listen`, {})).body
      .ticket;
    // The first media of the space starts at MSN 0; wait for a few segments.
    let text = await playlist(server, id, ticket);
    assert.match(text, /#EXT-X-MEDIA-SEQUENCE:0\n/);
    const deadline = Date.now() + 60_000;
    while (lastPart(text)?.[0] === undefined || (lastPart(text)[0] ?? 0) < 2) {
      if (Date.now() > deadline) throw new Error('no parts in time');
      const [msn, part] = lastPart(text) ?? [0, -1];
      const next = await fetch(
        `${server.baseUrl}/live/${id}/audio.m3u8?ticket=${ticket}&_HLS_msn=${msn}&_HLS_part=${part + 1}`,
      );
      text = await next.text();
    }
    const [beforeMsn] = lastPart(text);
    const oldPart = `part${beforeMsn}.0.m4s`;
    const oldBytes = Buffer.from(
      await (await fetch(`${server.baseUrl}/live/${id}/${oldPart}?ticket=${ticket}`)).arrayBuffer(),
    );
    assert.ok(oldBytes.length > 0);
    await server.stop('SIGKILL');

    server = await ServeProcess.start(flags);
    const after = await playlist(server, id, ticket);
    const first = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(after)?.[1]);
    // The server may have cut up to a segment more between our read and the kill: still strictly after.
    assert.ok(first > beforeMsn + 1, `MSN ${first} after the restart, ${beforeMsn} before the kill`);
    const again = await fetch(`${server.baseUrl}/live/${id}/${oldPart}?ticket=${ticket}`);
    assert.equal(again.status, 404, 'the old part is gone, never replaced by other audio');
  } finally {
    await server.stop('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  }
});
