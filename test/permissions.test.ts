/**
 * The permissions matrix: every action is tried by every kind of user, each on a freshly arranged space,
 * and must be either allowed or refused with the expected code.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RostraNode } from '../src/server/RostraNode.js';
import {
  openTestNode,
  signUp,
  TestClient,
  type ApiResponse,
  type ErrorBody,
  type TestUser,
} from '../src/testing/TestNode.js';

type Actor = 'host' | 'cohost' | 'speaker' | 'listener' | 'anonymous' | 'removed' | 'blocked';
const ACTORS: Actor[] = ['host', 'cohost', 'speaker', 'listener', 'anonymous', 'removed', 'blocked'];

interface Scene {
  spaceId: string;
  /** A second speaker that moderation actions aim at. */
  speaker2: TestUser;
  /** A listener with a pending request to speak. */
  requester: TestUser;
  /** A plain listener to invite, promote or remove. */
  target: TestUser;
  cohost: TestUser;
  /** The actor's ticket (for anonymous reactions). */
  ticket: string | undefined;
}

/** 'ok' = allowed (2xx); otherwise the error code expected. */
type Expect = 'ok' | string;
type Row = Record<Actor, Expect>;

const hostOnly = (ok: Expect = 'ok'): Row => ({
  host: ok,
  cohost: 'not_host',
  speaker: 'not_host',
  listener: 'not_host',
  anonymous: 'unauthenticated',
  removed: 'not_host',
  blocked: 'not_host',
});
const moderators: Row = {
  host: 'ok',
  cohost: 'ok',
  speaker: 'not_moderator',
  listener: 'not_moderator',
  anonymous: 'unauthenticated',
  removed: 'not_moderator',
  blocked: 'not_moderator',
};
const onStageOnly: Row = {
  host: 'ok',
  cohost: 'ok',
  speaker: 'ok',
  listener: 'not_on_stage',
  anonymous: 'unauthenticated',
  removed: 'not_on_stage',
  blocked: 'not_on_stage',
};
const audience: Row = {
  host: 'ok',
  cohost: 'ok',
  speaker: 'ok',
  listener: 'ok',
  anonymous: 'ok',
  removed: 'removed_from_space',
  blocked: 'blocked_by_host',
};

interface Action {
  name: string;
  /** The space is scheduled (not started) for this action. */
  scheduled?: boolean;
  /** The space is in its backstage (scheduled, then opened, its stage and audience arranged) for this action. */
  backstage?: boolean;
  expect: Row;
  run: (c: TestClient, s: Scene) => Promise<ApiResponse>;
}

const sp = (s: Scene) => `/api/v1/spaces/${s.spaceId}`;
const ACTIONS: Action[] = [
  {
    name: 'start a scheduled space',
    scheduled: true,
    expect: hostOnly(),
    run: (c, s) => c.post(`${sp(s)}/start`),
  },
  {
    name: 'cancel a scheduled space',
    scheduled: true,
    expect: hostOnly(),
    run: (c, s) => c.post(`${sp(s)}/cancel`),
  },
  {
    name: 'open the backstage',
    scheduled: true,
    expect: hostOnly(),
    run: (c, s) => c.post(`${sp(s)}/backstage`),
  },
  {
    name: 'go live from the backstage',
    backstage: true,
    expect: moderators,
    run: (c, s) => c.post(`${sp(s)}/start`),
  },
  { name: 'end the space', expect: hostOnly(), run: (c, s) => c.post(`${sp(s)}/end`) },
  {
    name: 'add a co-host',
    expect: hostOnly(),
    run: (c, s) => c.post(`${sp(s)}/users/${s.target.id}/cohost`),
  },
  {
    name: 'remove a co-host',
    expect: hostOnly(),
    run: (c, s) => c.post(`${sp(s)}/users/${s.cohost.id}/uncohost`),
  },
  {
    name: 'invite a listener to speak',
    expect: moderators,
    run: (c, s) => c.post(`${sp(s)}/users/${s.target.id}/invite`),
  },
  {
    name: 'accept a request to speak',
    expect: moderators,
    run: (c, s) => c.post(`${sp(s)}/requests/${s.requester.id}`, { accept: true }),
  },
  {
    name: 'decline a request to speak',
    expect: moderators,
    run: (c, s) => c.post(`${sp(s)}/requests/${s.requester.id}`, { accept: false }),
  },
  { name: 'list requests to speak', expect: moderators, run: (c, s) => c.get(`${sp(s)}/requests`) },
  {
    name: 'mute a speaker',
    expect: moderators,
    run: (c, s) => c.post(`${sp(s)}/users/${s.speaker2.id}/mute`),
  },
  { name: 'mute all', expect: moderators, run: (c, s) => c.post(`${sp(s)}/mute-all`) },
  {
    name: "take a speaker's mic",
    expect: moderators,
    run: (c, s) => c.post(`${sp(s)}/users/${s.speaker2.id}/take-mic`),
  },
  {
    name: 'remove a user',
    expect: moderators,
    run: (c, s) => c.post(`${sp(s)}/users/${s.target.id}/remove`),
  },
  {
    name: 'request to speak',
    expect: {
      host: 'already_exists',
      cohost: 'already_exists',
      speaker: 'already_exists',
      listener: 'ok',
      anonymous: 'unauthenticated',
      removed: 'removed_from_space',
      blocked: 'blocked_by_host',
    },
    run: (c, s) => c.post(`${sp(s)}/requests`),
  },
  {
    name: 'cancel own request',
    expect: {
      host: 'ok',
      cohost: 'ok',
      speaker: 'ok',
      listener: 'ok',
      anonymous: 'unauthenticated',
      removed: 'ok',
      blocked: 'ok',
    },
    run: (c, s) => c.delete(`${sp(s)}/requests`),
  },
  {
    name: 'leave the stage',
    expect: { ...onStageOnly, host: 'forbidden' },
    run: (c, s) => c.post(`${sp(s)}/leave-stage`),
  },
  {
    name: 'unmute self',
    expect: onStageOnly,
    run: (c, s) => c.post(`${sp(s)}/users/${selfId(c, s)}/unmute`),
  },
  { name: 'mute self', expect: onStageOnly, run: (c, s) => c.post(`${sp(s)}/users/${selfId(c, s)}/mute`) },
  {
    name: 'react',
    expect: audience,
    run: (c, s) =>
      c.post(`${sp(s)}/reactions`, { emoji: '🔥', ...(c.token === undefined ? { ticket: s.ticket } : {}) }),
  },
  { name: 'listen', expect: audience, run: (c, s) => c.post(`${sp(s)}/listen`, {}) },
  {
    name: 'say interested',
    scheduled: true,
    expect: {
      host: 'ok',
      cohost: 'ok',
      speaker: 'ok',
      listener: 'ok',
      anonymous: 'unauthenticated',
      removed: 'ok',
      blocked: 'blocked_by_host',
    },
    run: (c, s) => c.put(`${sp(s)}/interest`),
  },
];

// Users are made once; each scenario arranges them on a new space.
let node: RostraNode;
let anon: TestClient;
const users = {} as Record<
  Exclude<Actor, 'anonymous'> | 'speaker2' | 'requester' | 'target' | 'cohost2',
  TestUser
>;
const idByToken = new Map<string, string>();

function selfId(c: TestClient, s: Scene): string {
  return c.token !== undefined ? (idByToken.get(c.token) ?? 'nobody') : s.target.id; // anonymous has no self
}

async function ok(res: Promise<ApiResponse>, what: string): Promise<ApiResponse> {
  const r = await res;
  assert.ok(r.status < 300, `${what}: ${r.status} ${r.text}`);
  return r;
}

async function arrange(actor: Actor, scheduled: boolean, backstage = false): Promise<Scene> {
  const host = users.host.client;
  const body =
    scheduled || backstage
      ? { title: 'Matrix', scheduledFor: new Date(Date.now() + 3_600_000).toISOString() }
      : { title: 'Matrix' };
  const created = await ok(host.post('/api/v1/spaces', body), 'create');
  const spaceId = (created.body as { id: string }).id;
  // A backstage's stage and waiting room are arranged like a live space's.
  if (backstage) await ok(host.post(`/api/v1/spaces/${spaceId}/backstage`), 'backstage');
  const scene: Scene = {
    spaceId,
    speaker2: users.speaker2,
    requester: users.requester,
    target: users.target,
    cohost: users.cohost,
    ticket: undefined,
  };
  if (!scheduled) {
    const s = `/api/v1/spaces/${spaceId}`;
    await ok(host.post(`${s}/users/${users.cohost.id}/cohost`), 'cohost');
    for (const sp of [users.speaker, users.speaker2]) {
      await ok(host.post(`${s}/users/${sp.id}/invite`), 'invite');
      await ok(sp.client.post(`${s}/invitation`, { accept: true }), 'accept invitation');
    }
    for (const l of [users.listener, users.requester, users.target, users.removed])
      await ok(l.client.post(`${s}/listen`, {}), 'listen');
    await ok(users.requester.client.post(`${s}/requests`), 'request');
    await ok(host.post(`${s}/users/${users.removed.id}/remove`), 'remove');
    if (actor === 'anonymous')
      scene.ticket = (
        (await ok(anon.post(`${s}/listen`, {}), 'anon listen')).body as { ticket: string }
      ).ticket;
  }
  return scene;
}

function clientOf(actor: Actor): TestClient {
  return actor === 'anonymous' ? anon : users[actor].client;
}

before(async () => {
  // The matrix re-joins the same few accounts far faster than any person: lift the per-account join
  // limit (the guard's own tests check it, test/guard/).
  node = await openTestNode({ config: { guard: { joinsPerAccount: 1_000_000 } } });
  anon = new TestClient(node);
  for (const name of [
    'host',
    'cohost',
    'speaker',
    'listener',
    'removed',
    'blocked',
    'speaker2',
    'requester',
    'target',
    'cohost2',
  ] as const) {
    users[name] = await signUp(node, name);
    idByToken.set(users[name].token, users[name].id);
  }
  await ok(users.host.client.put(`/api/v1/me/blocks/${users.blocked.id}`), 'block');
});

after(async () => {
  await node.close();
});

describe('permissions matrix', () => {
  for (const action of ACTIONS) {
    for (const actor of ACTORS) {
      const expected = action.expect[actor];
      test(`${action.name} by ${actor} → ${expected}`, async () => {
        const scene = await arrange(actor, action.scheduled === true, action.backstage === true);
        const res = await action.run(clientOf(actor), scene);
        if (expected === 'ok') {
          assert.ok(res.status >= 200 && res.status < 300, `expected success, got ${res.status} ${res.text}`);
        } else {
          assert.ok(res.status >= 400 && res.status < 500, `expected a 4xx, got ${res.status} ${res.text}`);
          assert.equal((res.body as ErrorBody).error.code, expected, res.text);
          if (expected !== 'unauthenticated' && expected !== 'already_exists')
            assert.equal(res.status, 403, res.text);
        }
      });
    }
  }
});

describe('stage limits', () => {
  test('a 3rd co-host is refused with cohost_limit', async () => {
    const host = users.host.client;
    const id = ((await ok(host.post('/api/v1/spaces', { title: 'Limits' }), 'create')).body as { id: string })
      .id;
    await ok(host.post(`/api/v1/spaces/${id}/users/${users.cohost.id}/cohost`), 'cohost 1');
    await ok(host.post(`/api/v1/spaces/${id}/users/${users.cohost2.id}/cohost`), 'cohost 2');
    const third = await host.post<ErrorBody>(`/api/v1/spaces/${id}/users/${users.target.id}/cohost`);
    assert.equal(third.status, 409);
    assert.equal(third.body.error.code, 'cohost_limit');
  });

  test('an 11th speaker is refused with speaker_limit, by invitation and by request', async () => {
    const host = users.host.client;
    const id = (
      (await ok(host.post('/api/v1/spaces', { title: 'Full stage' }), 'create')).body as { id: string }
    ).id;
    for (let i = 0; i < 10; i++) {
      const u = await signUp(node, `spk${i}`);
      await ok(host.post(`/api/v1/spaces/${id}/users/${u.id}/invite`), 'invite');
      await ok(u.client.post(`/api/v1/spaces/${id}/invitation`, { accept: true }), 'accept');
    }
    const eleventh = await signUp(node, 'eleventh');
    await ok(host.post(`/api/v1/spaces/${id}/users/${eleventh.id}/invite`), 'invite 11th');
    const refused = await eleventh.client.post<ErrorBody>(`/api/v1/spaces/${id}/invitation`, {
      accept: true,
    });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'speaker_limit');

    const asker = await signUp(node, 'asker');
    await ok(asker.client.post(`/api/v1/spaces/${id}/requests`), 'request');
    const byRequest = await host.post<ErrorBody>(`/api/v1/spaces/${id}/requests/${asker.id}`, {
      accept: true,
    });
    assert.equal(byRequest.body.error.code, 'speaker_limit');

    const space = await anon.get<{ stage: { role: string }[] }>(`/api/v1/spaces/${id}`);
    assert.equal(space.body.stage.filter((m) => m.role === 'speaker').length, 10);
  });

  test('a space that needs an account refuses anonymous listeners with sign_in_required', async () => {
    const host = users.host.client;
    const id = (
      (await ok(host.post('/api/v1/spaces', { title: 'Members', anonymousListening: false }), 'create'))
        .body as { id: string }
    ).id;
    const res = await anon.post<ErrorBody>(`/api/v1/spaces/${id}/listen`, {});
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'sign_in_required');
    await ok(users.listener.client.post(`/api/v1/spaces/${id}/listen`, {}), 'signed-in listen');
  });
});
