/**
 * Profile photos. An upload is checked by its first bytes (PNG, JPEG or WebP, whatever Content-Type said),
 * decoded and re-encoded to a 256×256 WebP by sharp (libvips), which drops every piece of metadata (EXIF,
 * GPS, ICC) and anything hidden after the image. What cannot be decoded is refused with `invalid_image`.
 * The result (a few KB) is kept in the Store, so any node serves it.
 *
 * sharp is loaded on the first upload, not at start: libvips costs ~20 MB of memory that a node which
 * never sees an upload should not pay.
 */
import { createHash } from 'node:crypto';
import type { Sharp, SharpOptions } from 'sharp';
import { avatarPath } from '../domain/types.js';
import { RostraError } from '../errors/index.js';
import { WorkLimiter } from '../guard/WorkLimiter.js';
import { logger } from '../log/Logger.js';
import type { Avatar } from '../store/Store.js';
import type { ControlContext } from './Context.js';

const log = logger('control.avatars');

/** The side of the stored square, px: sharp enough for a 96 px face at 2x, small in the Store. */
export const AVATAR_SIZE = 256;
export const AVATAR_TYPE = 'image/webp';
/** A decompression bomb (a tiny file that decodes to gigapixels) is refused before it is decoded. */
const MAX_INPUT_PIXELS = 50_000_000;
export const AVATAR_INPUT_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type AvatarInputType = (typeof AVATAR_INPUT_TYPES)[number];

type SharpFactory = (input: Uint8Array, options?: SharpOptions) => Sharp;
let sharpLoading: Promise<SharpFactory> | undefined;

function loadSharp(): Promise<SharpFactory> {
  sharpLoading ??= import('sharp').then(({ default: sharp }) => {
    // No cache of decoded images (each photo is decoded once), and one libvips thread per job: the
    // WorkLimiter below bounds how many jobs run, so a burst of uploads cannot take every core.
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  });
  return sharpLoading;
}

/** The type an image's first bytes say it is, or undefined for anything else. */
export function sniffImage(bytes: Uint8Array): AvatarInputType | undefined {
  const at = (i: number) => bytes[i] ?? -1;
  const ascii = (from: number, s: string) => [...s].every((c, i) => at(from + i) === c.charCodeAt(0));
  if ([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => at(i) === b)) return 'image/png';
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'image/jpeg';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'image/webp';
  return undefined;
}

export class Avatars {
  readonly #ctx: ControlContext;
  /** Decoding is the costly part: one at a time per node, a few waiting, the rest told to retry. */
  readonly #work = new WorkLimiter({ concurrency: 1, queue: 8, retryAfterS: 2 });

  constructor(ctx: ControlContext) {
    this.#ctx = ctx;
  }

  /** Re-encodes and stores a user's photo; returns its new URL. */
  async upload(userId: string, body: Uint8Array): Promise<{ avatarUrl: string }> {
    const sniffed = sniffImage(body);
    if (!sniffed) throw new RostraError('invalid_image', 'The file is not a PNG, JPEG or WebP image.');
    const image = await this.#work.run(() => reencode(body, sniffed));
    const version = createHash('sha256').update(image).digest('base64url').slice(0, 16);
    const avatar: Avatar = {
      userId,
      image,
      contentType: AVATAR_TYPE,
      version,
      updatedAt: this.#ctx.clock.now().toISOString(),
    };
    await this.#ctx.store.avatars.put(avatar);
    log.info({ userId, inBytes: body.length, outBytes: image.length }, 'avatar stored');
    return { avatarUrl: avatarPath(userId, version) };
  }

  async remove(userId: string): Promise<void> {
    if (!(await this.#ctx.store.avatars.remove(userId)))
      throw new RostraError('not_found', 'You have no photo to remove.');
  }

  async get(userId: string): Promise<Avatar> {
    const avatar = await this.#ctx.store.avatars.get(userId);
    if (!avatar) throw new RostraError('not_found', 'This user has no photo.');
    return avatar;
  }
}

async function reencode(body: Uint8Array, sniffed: AvatarInputType): Promise<Buffer> {
  const sharp = await loadSharp();
  try {
    // failOn 'error': a truncated or corrupt file is refused rather than half-decoded.
    const input = sharp(body, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', animated: false });
    const meta = await input.metadata();
    // The first bytes and the decoder must agree (a PNG header on a JPEG body is not a PNG).
    const format = meta.format === 'jpeg' ? 'image/jpeg' : `image/${meta.format}`;
    if (format !== sniffed) throw new RostraError('invalid_image', 'The image is not what its bytes say.');
    return await input
      .rotate() // applies the EXIF orientation before the metadata is dropped
      .resize(AVATAR_SIZE, AVATAR_SIZE, { fit: 'cover', position: 'attention' })
      .webp({ quality: 82, effort: 4 })
      .toBuffer();
  } catch (err) {
    if (err instanceof RostraError) throw err;
    // sharp's message names the decoder's complaint; the client gets the stable code and a plain sentence.
    log.info({ err: (err as Error).message }, 'avatar refused: could not decode');
    throw new RostraError('invalid_image', 'The image could not be read. Try another file.');
  }
}
