/**
 * The OpenAPI document describes every route, with unique operation ids and the error catalogue. Its
 * error codes are checked against things it was not generated from: the catalogue's source text, and the
 * errors the server really answers on each route.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { RostraNode } from '../src/server/RostraNode.js';
import { openTestNode, TestClient, type ErrorBody } from '../src/testing/TestNode.js';

let node: RostraNode;
before(async () => {
  // No web app: `/` is the server-rendered landing page (the app's own tests cover the built one).
  node = await openTestNode({ webDist: null });
});
after(async () => {
  await node.close();
});

interface Doc {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { operationId: string; responses: Record<string, { description: string }>; requestBody?: unknown }
    >
  >;
  components: { schemas: { ErrorCode: { enum: string[] } } };
}

/** The catalogue as its source file spells it (`code: { status: NNN, ... }`), read as text, not imported. */
function catalogueFromSource(): Map<string, number> {
  const text = readFileSync(new URL('../src/errors/ErrorCode.ts', import.meta.url), 'utf8');
  const entries = [...text.matchAll(/^\s+([a-z_]+): \{ status: (\d{3}),/gm)].map(
    (m) => [m[1] as string, Number(m[2])] as const,
  );
  assert.equal(entries.length, (text.match(/status: \d{3}/g) ?? []).length, 'every entry was read');
  return new Map(entries);
}

/** Does the document list `code` (with the catalogue's status) among this operation's answers? */
function documents(op: Doc['paths'][string][string], code: string, status: number): boolean {
  const description = op.responses[String(status)]?.description ?? '';
  return description.split(/[:;]\s*/).some((part) => part.trim() === code);
}

/** The guard's door may answer on any route, before the route runs (docs/guard.md): not listed per operation. */
const ANY_ROUTE = new Set(['rate_limited', 'server_busy']);

test('GET /openapi.json describes every route with a unique operationId', async () => {
  const res = await new TestClient(node).get<Doc>('/openapi.json');
  assert.equal(res.status, 200);
  assert.equal(res.body.openapi, '3.1.0');
  const ops = Object.values(res.body.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
  assert.equal(new Set(ops).size, ops.length, 'operation ids are unique');
  for (const def of node.http.routes) {
    const path = def.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const op = res.body.paths[path]?.[def.method.toLowerCase()];
    assert.ok(op, `${def.method} ${def.url} is documented`);
    assert.ok(op.responses[String(def.response.status)], `${def.operationId} documents its success`);
    if (def.body) assert.ok(op.requestBody, `${def.operationId} documents its body`);
  }
});

test('the document lists the error catalogue of src/errors/ErrorCode.ts, each under its status', async () => {
  const doc = (await new TestClient(node).get<Doc>('/openapi.json')).body;
  const catalogue = catalogueFromSource();
  assert.ok(catalogue.size >= 30, `${catalogue.size} codes read`);
  assert.deepEqual(doc.components.schemas.ErrorCode.enum, [...catalogue.keys()]);
  for (const def of node.http.routes) {
    const op = doc.paths[def.url.replace(/:([A-Za-z]+)/g, '{$1}')]?.[def.method.toLowerCase()];
    assert.ok(op);
    for (const code of def.errors ?? []) {
      const status = catalogue.get(code);
      assert.ok(status !== undefined, `${def.operationId}: ${code} is in the catalogue`);
      assert.ok(documents(op, code, status), `${def.operationId} documents ${code} under ${status}`);
    }
  }
});

test('every coded error a route really answers is one the document lists for that route', async () => {
  // A node of its own: the probe leaves many live spaces behind.
  const probed = await openTestNode({ webDist: null });
  try {
    const doc = (await new TestClient(probed).get<Doc>('/openapi.json')).body;
    const catalogue = catalogueFromSource();
    const undocumented: string[] = [];
    let n = 0;
    for (const def of probed.http.routes) {
      const op = doc.paths[def.url.replace(/:([A-Za-z]+)/g, '{$1}')]?.[def.method.toLowerCase()];
      assert.ok(op);
      // A fresh owner per route (some routes spend the caller's session), each from its own address so
      // that the per-address sign-up limit is not what answers.
      const ip = `10.0.${++n}.1`;
      const signup = await new TestClient(probed, undefined, ip).post<{
        token: string;
        user: { id: string };
      }>('/api/v1/auth/signup', {
        handle: `probe_${n}`,
        password: 'correct horse battery',
        displayName: 'Probe',
      });
      assert.equal(signup.status, 201, signup.text);
      const owner = { handle: `probe_${n}`, id: signup.body.user.id };
      const ownerClient = new TestClient(probed, signup.body.token, ip);
      const own = (await ownerClient.post<{ id: string }>('/api/v1/spaces', { title: 'Probe' })).body.id;
      for (const [who, client] of [
        ['the owner', ownerClient],
        ['anonymous', new TestClient(probed, undefined, ip)],
        ['a bad token', new TestClient(probed, 'not.a.token', ip)],
      ] as const) {
        for (const id of [own, 'nosuchspace0']) {
          const url = def.url.replace(/:([A-Za-z]+)/g, (_m, name: string) =>
            name === 'id' ? id : name === 'handle' ? owner.handle : name === 'userId' ? owner.id : 'nosuch',
          );
          const res = await client.request(def.method, url, def.method === 'GET' ? undefined : {});
          if (res.status < 400) continue;
          const code = (res.body as ErrorBody | undefined)?.error?.code;
          assert.ok(code, `${def.operationId}: a ${res.status} without a coded body`);
          assert.equal(
            catalogue.get(code),
            res.status,
            `${def.operationId}: ${code} has its catalogue status`,
          );
          if (!ANY_ROUTE.has(code) && !documents(op, code, res.status))
            undocumented.push(
              `${def.method} ${def.url} (${who}, ${id === own ? 'its space' : 'unknown id'}): ${code}`,
            );
        }
      }
    }
    assert.deepEqual(undocumented, []);
  } finally {
    await probed.close();
  }
});

test('GET /metrics speaks the Prometheus text format and counts requests', async () => {
  const c = new TestClient(node);
  await c.get('/api/v1/spaces/nosuchspace0');
  const res = await c.get('/metrics');
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /text\/plain/);
  assert.match(res.text, /# TYPE rostra_http_requests_total counter/);
  assert.match(res.text, /rostra_errors_total\{code="space_not_found"\} 1/);
});

test('GET / shows a page that lists live spaces, escaped', async () => {
  const c = new TestClient(node);
  const signup = await c.post<{ token: string }>('/api/v1/auth/signup', {
    handle: 'landing',
    password: 'long enough pw',
    displayName: 'L',
  });
  await c.as(signup.body.token).post('/api/v1/spaces', { title: '<script>alert(1)</script> Night talk' });
  const res = await c.get('/');
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /text\/html/);
  assert.match(res.text, /&#60;script&#62;alert\(1\)&#60;\/script&#62; Night talk/);
  assert.doesNotMatch(res.text, /<script>/);
});
