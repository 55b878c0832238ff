/**
 * Serves the built web app (web/dist, made by `npm start`'s build) with its client-side routes. Hashed
 * assets are immutable; index.html is revalidated so a deploy shows at once. Without a build (some
 * tests), `/` falls back to the server-rendered landing page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Paths the app routes in the browser; the server answers each with index.html. */
export const APP_ROUTES = ['/', '/signin', '/signup', '/new', '/s/:id', '/r/:id'] as const;

export function hasWebBuild(dir = WEB_DIST): boolean {
  return existsSync(`${dir}index.html`);
}

export async function registerWebApp(app: FastifyInstance, dir = WEB_DIST): Promise<void> {
  const index = readFileSync(`${dir}index.html`);
  await app.register(fastifyStatic, {
    root: `${dir}assets`,
    prefix: '/assets/',
    immutable: true,
    maxAge: '365d',
    index: false,
    wildcard: true,
  });
  for (const route of APP_ROUTES) {
    app.get(route, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index),
    );
  }
  // Files at the top of dist (icons, manifest) by name; nothing else.
  for (const name of ['favicon.svg', 'manifest.webmanifest', 'robots.txt']) {
    if (!existsSync(`${dir}${name}`)) continue;
    const body = readFileSync(`${dir}${name}`);
    const type = name.endsWith('.svg')
      ? 'image/svg+xml'
      : name.endsWith('.webmanifest')
        ? 'application/manifest+json'
        : 'text/plain';
    app.get(`/${name}`, async (_request, reply) =>
      reply.type(type).header('cache-control', 'public, max-age=3600').send(body),
    );
  }
}
