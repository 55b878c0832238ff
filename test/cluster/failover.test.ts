/**
 * Three real `rostra serve` nodes on one PostgreSQL schema and one Redis, behind the shipped nginx edge.
 * A space's media runs on one node (B); two bots speak through another (A). Listeners play through the
 * edge and through every node and hear both tones. Then B is killed with SIGKILL: another node takes the
 * space over when B's lease runs out, the bots reconnect by themselves, the listeners still running
 * resume without a reload, every node gives the same live count, and the replay plays across the gap.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { SpeakerBot } from '../../src/bot/index.js';
import { RostraClient } from '../../src/client/index.js';
import { LiveListener, type ListenReport } from '../../src/listener/index.js';
import { EdgeNginx } from '../../src/testing/Nginx.js';
import { ServeProcess } from '../../src/testing/ServeProcess.js';
import { until as untilState } from '../../src/testing/until.js';

const dbUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const schema = `rostra_cluster_${randomBytes(5).toString('hex')}`;
const secret = randomBytes(32).toString('base64url');
const LEASE_MS = 2000;

// Failover takes a lease's life and a reconnect or two: a longer deadline than the default.
const until = <T>(what: string, fn: () => Promise<T | undefined> | T | undefined) =>
  untilState(what, fn, { timeoutMs: 60_000, everyMs: 100 });

let admin: pg.Client;
let dataDir: string;
const nodes: ServeProcess[] = [];
let edge: EdgeNginx;

before(async () => {
  admin = new pg.Client({ connectionString: dbUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  // One data directory for every node: in a cluster the recordings live on storage every node mounts.
  dataDir = mkdtempSync(join(tmpdir(), 'rostra-cluster-'));
  const env = {
    DATABASE_URL: `${dbUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    REDIS_URL: redisUrl,
    ROSTRA_SECRET: secret,
    ROSTRA_LEASE_MS: String(LEASE_MS),
  };
  // One at a time: the first migrates the schema.
  for (let i = 0; i < 3; i++) nodes.push(await ServeProcess.start(['--data', dataDir], env));
  edge = await EdgeNginx.start({ originPorts: nodes.map((n) => Number(new URL(n.baseUrl).port)), secret });
});

after(async () => {
  await edge?.stop();
  await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  rmSync(dataDir, { recursive: true, force: true });
});

function listen(url: string, seconds: number, signal?: AbortSignal) {
  const reports: { at: number; r: ListenReport }[] = [];
  const listener = new LiveListener({
    url,
    seconds,
    onProgress: (r) => reports.push({ at: Date.now(), r }),
    ...(signal ? { signal } : {}),
  });
  const done = listener.run().then(
    (r) => ({ ok: true as const, r }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  return { listener, reports, done };
}

const hears = (r: ListenReport, hz: number) => r.frequencies.some((f) => Math.abs(f - hz) <= 3);

test('kill -9 the owner of a live space: takeover, speakers back, listeners resume, one count, whole replay', async () => {
  const [a, b, c] = nodes as [ServeProcess, ServeProcess, ServeProcess];
  const edgeUrl = `http://127.0.0.1:${edge.port}`;
  const password = randomBytes(12).toString('base64url');
  const host = RostraClient.over(a.baseUrl);
  await host.signUp(`ch_${randomBytes(3).toString('hex')}`, password, 'Cluster Host');
  const guest = RostraClient.over(a.baseUrl);
  const { user: guestUser } = await guest.signUp(
    `cs_${randomBytes(3).toString('hex')}`,
    password,
    'Cluster Speaker',
  );
  const space = await host.call<{ id: string }>('POST', '/api/v1/spaces', {
    title: 'Failover',
    record: true,
  });
  const id = space.id;
  await host.call('POST', `/api/v1/spaces/${id}/users/${guestUser.id}/invite`);
  await guest.call('POST', `/api/v1/spaces/${id}/invitation`, { accept: true });
  await guest.call('POST', `/api/v1/spaces/${id}/users/${guestUser.id}/unmute`);

  // A first listener on B makes B the owner; the speakers then publish through A (proxied to B).
  const playlist = (base: string) => `${base}/live/${id}/index.m3u8`;
  const stopOld = new AbortController();
  const onB = listen(playlist(b.baseUrl), 120, stopOld.signal);
  await until('B runs the media', () => onB.reports.some((x) => x.r.parts > 0) || undefined);
  const whipUrl = `${a.baseUrl}/api/v1/spaces/${id}/whip`;
  const bots = [
    new SpeakerBot({
      whipUrl,
      token: host.token as string,
      audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -18 },
      listenHz: [440, 660],
    }),
    new SpeakerBot({
      whipUrl,
      token: guest.token as string,
      audio: { kind: 'tone', frequencyHz: 660, levelDbfs: -18 },
      listenHz: [440, 660],
    }),
  ];
  try {
    await Promise.all(bots.map((bot) => bot.start()));
    const heardEachOther = () =>
      bots[0]?.report().heard.some((t) => Math.abs(t.frequencyHz - 660) < 5) &&
      bots[1]?.report().heard.some((t) => Math.abs(t.frequencyHz - 440) < 5);
    await until('the speakers hear each other', () => heardEachOther() || undefined);

    // Listeners through the edge and through every node.
    const entries = { edge: edgeUrl, a: a.baseUrl, c: c.baseUrl };
    const running = Object.fromEntries(
      Object.entries(entries).map(([k, base]) => [k, listen(playlist(base), 120, stopOld.signal)]),
    );
    for (const [name, l] of Object.entries({ ...running, b: onB })) {
      await until(`listener ${name} hears both tones`, () => {
        const last = l.reports.at(-1)?.r;
        return (last && hears(last, 440) && hears(last, 660)) || undefined;
      });
    }

    // Every node reads the same count (presence is in Redis), within 1 %.
    const counts = async () =>
      Promise.all(
        nodes.map(
          async (n) =>
            (await n.json<{ listenerCount: number }>('GET', `/api/v1/spaces/${id}`)).body.listenerCount,
        ),
      );
    const agreed = await until('the nodes agree on the count', async () => {
      const cs = await counts();
      const max = Math.max(...cs);
      return max >= 4 && Math.min(...cs) >= max * 0.99 ? cs : undefined;
    });
    console.log(`cluster: live count per node before the failover ${agreed.join(', ')}`);

    // Kill the owner.
    const audioAtKill = Object.fromEntries(
      Object.entries(running).map(([k, l]) => [k, l.reports.at(-1)?.r.audioSeconds ?? 0]),
    );
    const killedAt = Date.now();
    assert.equal(await b.stop('SIGKILL'), 'SIGKILL');

    const resumedAt: Record<string, number> = {};
    await until('every listener still running resumes', () => {
      for (const [k, l] of Object.entries(running)) {
        const last = l.reports.at(-1);
        if (resumedAt[k] === undefined && last && last.r.audioSeconds > (audioAtKill[k] ?? 0) + 2)
          resumedAt[k] = last.at;
      }
      return Object.keys(resumedAt).length === Object.keys(running).length || undefined;
    });
    await until('both speakers reconnected', () => bots.every((bot) => bot.reconnects >= 1) || undefined);
    bots.forEach((bot) => bot.resetHearing());
    await until('the speakers hear each other again', () => heardEachOther() || undefined);
    const speakersBackMs = Date.now() - killedAt;
    const listenersBackMs = Math.max(...Object.values(resumedAt)) - killedAt;
    console.log(
      `cluster: owner killed; listeners resumed within ${listenersBackMs} ms, speakers back within ${speakersBackMs} ms (lease ${LEASE_MS} ms)`,
    );

    // New listeners after the takeover hear both speakers on the new owner's stage, through every way in.
    for (const base of [edgeUrl, a.baseUrl, c.baseUrl]) {
      const fresh = listen(playlist(base), 4);
      const res = await fresh.done;
      assert.ok(res.ok, `a listener through ${base}: ${res.ok ? '' : String(res.err)}`);
      assert.ok(hears(res.r, 440) && hears(res.r, 660), `through ${base}: ${res.r.frequencies.join(', ')}`);
    }
    const after = await until('the surviving nodes agree on the count', async () => {
      const cs = await Promise.all(
        [a, c].map(
          async (n) =>
            (await n.json<{ listenerCount: number }>('GET', `/api/v1/spaces/${id}`)).body.listenerCount,
        ),
      );
      return cs[0] === cs[1] && (cs[0] ?? 0) > 0 ? cs : undefined;
    });
    console.log(`cluster: live count on the surviving nodes ${after.join(', ')}`);
  } finally {
    stopOld.abort();
    await Promise.all(bots.map((bot) => bot.stop()));
  }
  await onB.done; // B's own listener lost its node with it: it ends either way, and must end

  // The replay: from any node, across the gap.
  await host.call('POST', `/api/v1/spaces/${id}/end`);
  const replay = await until('the replay is ready', async () => {
    const res = await c.json<{ durationSeconds: number; playlistUrl: string }>(
      'GET',
      `/api/v1/spaces/${id}/replay`,
    );
    return res.status === 200 ? res.body : undefined;
  });
  const replayUrl = new URL(replay.playlistUrl, a.baseUrl);
  let vod = await (await fetch(replayUrl)).text();
  // A multivariant playlist: read the Opus rendition's media playlist.
  const opus = /#EXT-X-STREAM-INF:[^\n]*CODECS="opus"[^\n]*\n([^\n]+)/.exec(vod)?.[1];
  if (opus !== undefined) vod = await (await fetch(new URL(opus, replayUrl))).text();
  assert.match(vod, /#EXT-X-DISCONTINUITY/, 'the takeover is marked in the replay');
  const played = await listen(`${a.baseUrl}/r/${id}`, replay.durationSeconds + 5).done;
  assert.ok(played.ok, played.ok ? '' : String(played.err));
  assert.ok(played.r.ended, 'the replay plays to its end');
  assert.ok(hears(played.r, 440) && hears(played.r, 660));
  assert.ok(
    played.r.audioSeconds >= replay.durationSeconds - 1,
    `${played.r.audioSeconds} s of ${replay.durationSeconds} s`,
  );
  console.log(`cluster: replay of ${replay.durationSeconds} s across the failover played whole`);
});
