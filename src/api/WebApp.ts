/**
 * Serves the built web app (web/dist, made by `npm start`'s build) with its client-side routes. Hashed
 * assets are immutable; index.html is revalidated so a deploy shows at once. Without a build (some
 * tests), `/` falls back to the server-rendered landing page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RostraError } from '../errors/index.js';
import { withPreview, type LinkPreview } from './LinkPreview.js';

export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Paths the app routes in the browser; the server answers each with index.html. */
export const APP_ROUTES = [
  '/',
  '/signin',
  '/signup',
  '/new',
  '/s/:id',
  '/r/:id',
  '/s/:id/analytics',
  '/c/:id',
] as const;

export function hasWebBuild(dir = WEB_DIST): boolean {
  return existsSync(`${dir}index.html`);
}

/** Finds the link preview of a space's page or replay page (LinkPreview.ts); undefined: the plain app. */
export type PreviewSource = (
  id: string,
  page: 'space' | 'replay' | 'clip',
) => Promise<LinkPreview | undefined>;

export async function registerWebApp(
  app: FastifyInstance,
  dir = WEB_DIST,
  previews?: PreviewSource,
): Promise<void> {
  const index = readFileSync(`${dir}index.html`);
  const indexText = index.toString('utf8');
  await app.register(fastifyStatic, {
    root: `${dir}assets`,
    prefix: '/assets/',
    immutable: true,
    maxAge: '365d',
    index: false,
    wildcard: true,
  });
  for (const route of APP_ROUTES) {
    const page =
      route === '/s/:id' ? 'space' : route === '/r/:id' ? 'replay' : route === '/c/:id' ? 'clip' : undefined;
    app.get<{ Params: { id?: string } }>(route, async (request, reply) => {
      void reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache');
      const id = request.params.id;
      // A shared link's card is drawn by crawlers that run no script: the server writes its tags.
      const preview = page && previews && id !== undefined ? await previews(id, page) : undefined;
      return reply.send(preview ? withPreview(indexText, preview) : index);
    });
  }
  // Any other page a browser asks for gets the app, whose router shows its own not-found page (404);
  // machine paths and non-browsers keep the coded JSON error.
  app.get('/*', async (request, reply) => {
    if (!wantsAppPage(request)) throw new RostraError('route_not_found');
    return reply.code(404).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
  });
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

const MACHINE_PATHS = /^\/(api|live|replay|assets|embed|metrics|openapi\.json|healthz)(\/|$)/;

/** A browser navigating to a page (not an API client, not a media or asset request). */
function wantsAppPage(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0] ?? '/';
  return !MACHINE_PATHS.test(path) && (request.headers.accept ?? '').includes('text/html');
}
