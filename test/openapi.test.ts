/** The OpenAPI document describes every route, with unique operation ids and the error catalogue. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCodes } from '../src/errors/index.js';
import type { RostraNode } from '../src/server/RostraNode.js';
import { openTestNode, TestClient } from '../src/testing/TestNode.js';

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
    Record<string, { operationId: string; responses: Record<string, unknown>; requestBody?: unknown }>
  >;
  components: { schemas: { ErrorCode: { enum: string[] } } };
}

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
  assert.deepEqual(res.body.components.schemas.ErrorCode.enum, Object.keys(ErrorCodes));
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
