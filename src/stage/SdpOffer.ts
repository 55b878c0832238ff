/**
 * Validation of an untrusted WHIP SDP offer, before werift sees it.
 *
 * Policy: an offer must have exactly ONE m-line, and it must be audio. An offer that also carries video or a
 * data channel is refused with `invalid_sdp` (naming the extra m-lines) rather than answered with those
 * sections disabled: Rostra's stage is audio only, werift's handling of rejected sections is the least tested
 * path, and a client that sends its camera by mistake gets a clear error instead of silently losing it.
 * The audio m-line must offer opus/48000 (else `unsupported_codec`) and send (`sendrecv` or `sendonly`).
 * Anything else wrong is `invalid_sdp`; an offer over the size limit is `payload_too_large`.
 * `parseSdpOffer` throws only these three RostraError codes, whatever the input.
 */
import { RostraError } from '../errors/index.js';

export interface SdpOfferLimits {
  /** Largest offer in UTF-8 bytes. Default 16 KiB (browsers send 2–6 KiB). */
  readonly maxBytes: number;
  /** Most lines in the whole offer. Default 400. */
  readonly maxLines: number;
  /** Longest single line in characters. Default 1024. */
  readonly maxLineLength: number;
  /** Most m-lines looked at before refusing outright. Default 8. */
  readonly maxMediaSections: number;
  /** Most `a=candidate` lines. Default 32. */
  readonly maxCandidates: number;
  /** Most `a=` lines in one section. Default 200. */
  readonly maxAttributesPerSection: number;
  /** Most payload types on the audio m-line. Default 32. */
  readonly maxPayloadTypes: number;
}

export const DEFAULT_SDP_OFFER_LIMITS: SdpOfferLimits = {
  maxBytes: 16 * 1024,
  maxLines: 400,
  maxLineLength: 1024,
  maxMediaSections: 8,
  maxCandidates: 32,
  maxAttributesPerSection: 200,
  maxPayloadTypes: 32,
};

export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

export interface SdpFingerprint {
  readonly algorithm: string;
  readonly value: string;
}

/** What the stage learned from a valid offer. */
export interface SdpOffer {
  /** The offer, re-joined with CRLF line ends: what werift is given. */
  readonly sdp: string;
  readonly iceUfrag: string;
  readonly icePwd: string;
  readonly fingerprints: readonly SdpFingerprint[];
  readonly audio: {
    readonly mid: string | undefined;
    readonly direction: 'sendrecv' | 'sendonly';
    readonly opusPayloadType: number;
    readonly opusChannels: number;
    /** The RFC 6464 extension id, when offered. */
    readonly audioLevelExtensionId: number | undefined;
    readonly candidateCount: number;
  };
}

const FINGERPRINT_BYTES: Record<string, number> = {
  'sha-1': 20,
  'sha-224': 28,
  'sha-256': 32,
  'sha-384': 48,
  'sha-512': 64,
};
const ACCEPTED_PROTOS = new Set(['UDP/TLS/RTP/SAVPF', 'UDP/TLS/RTP/SAVP']);
const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const LINE = /^([a-z])=(.*)$/;
// Control characters other than tab are never valid in SDP.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function invalid(message: string): RostraError {
  return new RostraError('invalid_sdp', `Invalid SDP offer: ${message}.`);
}

interface Section {
  readonly kind: string | undefined;
  readonly mLine: string | undefined;
  readonly lineNo: number;
  readonly attributes: { name: string; value: string | undefined; lineNo: number }[];
}

/**
 * Validates and parses an untrusted SDP offer (string or UTF-8 bytes).
 * Throws RostraError `payload_too_large`, `invalid_sdp` or `unsupported_codec`, and nothing else.
 */
export function parseSdpOffer(input: unknown, limits: Partial<SdpOfferLimits> = {}): SdpOffer {
  const lim: SdpOfferLimits = { ...DEFAULT_SDP_OFFER_LIMITS, ...limits };
  try {
    return parse(decode(input, lim), lim);
  } catch (err) {
    if (err instanceof RostraError) throw err;
    // A bug of ours must not turn a bad offer into a 500: report it as an invalid offer.
    throw invalid('the offer could not be parsed');
  }
}

function decode(input: unknown, lim: SdpOfferLimits): string {
  let text: string;
  if (typeof input === 'string') {
    if (input.length > lim.maxBytes || Buffer.byteLength(input, 'utf8') > lim.maxBytes) throw tooLarge(lim);
    text = input;
  } else if (input instanceof Uint8Array) {
    if (input.byteLength > lim.maxBytes) throw tooLarge(lim);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw invalid('the offer is not valid UTF-8');
    }
  } else {
    throw invalid('the offer must be SDP text');
  }
  if (text.trim() === '') throw invalid('the offer is empty');
  return text;
}

function tooLarge(lim: SdpOfferLimits): RostraError {
  return new RostraError('payload_too_large', `The SDP offer is larger than ${lim.maxBytes} bytes.`);
}

function splitLines(text: string, lim: SdpOfferLimits): string[] {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length > lim.maxLines) throw invalid(`more than ${lim.maxLines} lines`);
  lines.forEach((line, i) => {
    if (line.length > lim.maxLineLength) throw invalid(`line ${i + 1} is longer than ${lim.maxLineLength}`);
    if (CONTROL.test(line)) throw invalid(`line ${i + 1} contains a control character`);
    if (!LINE.test(line)) throw invalid(`line ${i + 1} is not of the form "<letter>=<value>"`);
  });
  if (lines[0] !== 'v=0') throw invalid('the first line must be "v=0"');
  return lines;
}

function sectionsOf(lines: string[], lim: SdpOfferLimits): Section[] {
  const sections: Section[] = [{ kind: undefined, mLine: undefined, lineNo: 1, attributes: [] }];
  lines.forEach((line, i) => {
    const type = line[0];
    const value = line.slice(2);
    if (type === 'm') {
      if (sections.length > lim.maxMediaSections) throw invalid(`more than ${lim.maxMediaSections} m-lines`);
      sections.push({ kind: value.split(' ')[0], mLine: value, lineNo: i + 1, attributes: [] });
      return;
    }
    const current = sections[sections.length - 1];
    if (!current || type !== 'a') return;
    if (current.attributes.length >= lim.maxAttributesPerSection) {
      throw invalid(`more than ${lim.maxAttributesPerSection} attributes in one section`);
    }
    const colon = value.indexOf(':');
    const name = colon < 0 ? value : value.slice(0, colon);
    current.attributes.push({ name, value: colon < 0 ? undefined : value.slice(colon + 1), lineNo: i + 1 });
  });
  return sections;
}

function parse(text: string, lim: SdpOfferLimits): SdpOffer {
  const lines = splitLines(text, lim);
  const sessionTypes = new Set<string>();
  for (const line of lines) {
    if (line.startsWith('m=')) break;
    sessionTypes.add(line[0] ?? '');
  }
  for (const required of ['o', 's', 't']) {
    if (!sessionTypes.has(required)) throw invalid(`the session has no "${required}=" line`);
  }
  const sections = sectionsOf(lines, lim);
  const [session, ...media] = sections;
  if (!session || media.length === 0) throw invalid('the offer has no m-line');
  const kinds = media.map((m) => m.kind ?? '?');
  const audioCount = kinds.filter((k) => k === 'audio').length;
  if (media.length !== 1 || audioCount !== 1) {
    const extra = kinds.filter((k) => k !== 'audio');
    throw invalid(
      audioCount === 0
        ? `it must have one audio m-line, and it has only ${kinds.join(', ')}`
        : audioCount > 1
          ? 'it must have exactly one audio m-line'
          : `only one audio m-line is accepted; remove the ${extra.join(', ')} m-line(s)`,
    );
  }
  const audio = media[0] as Section;
  const iceLite = session.attributes.some((a) => a.name === 'ice-lite');
  if (iceLite) throw invalid('the client is ICE-lite, and so is the server: one side must be full ICE');

  const payloadTypes = parseMLine(audio, lim);
  const attr = (name: string): string | undefined =>
    single(audio, name) ?? single(session, name) ?? undefined;
  const iceUfrag = attr('ice-ufrag');
  const icePwd = attr('ice-pwd');
  if (iceUfrag === undefined) throw invalid('no a=ice-ufrag');
  if (icePwd === undefined) throw invalid('no a=ice-pwd');
  if (iceUfrag.length < 4 || iceUfrag.length > 256 || !ICE_CHARS.test(iceUfrag)) {
    throw invalid('a=ice-ufrag must be 4 to 256 ICE characters');
  }
  if (icePwd.length < 22 || icePwd.length > 256 || !ICE_CHARS.test(icePwd)) {
    throw invalid('a=ice-pwd must be 22 to 256 ICE characters');
  }
  const fingerprints = parseFingerprints(
    audio.attributes.some((a) => a.name === 'fingerprint') ? audio : session,
  );
  const setup = attr('setup');
  if (setup !== undefined && !['actpass', 'active', 'passive'].includes(setup)) {
    throw invalid(`a=setup:${setup} is not acceptable (expected actpass)`);
  }
  const candidateCount = countCandidates(sections, lim);
  const direction = parseDirection(audio);
  const opus = findOpus(audio, payloadTypes);
  return {
    sdp: `${lines.join('\r\n')}\r\n`,
    iceUfrag,
    icePwd,
    fingerprints,
    audio: {
      mid: single(audio, 'mid'),
      direction,
      opusPayloadType: opus.pt,
      opusChannels: opus.channels,
      audioLevelExtensionId: findAudioLevelExtension(audio),
      candidateCount,
    },
  };
}

/** The value of an attribute that may appear at most once in a section. */
function single(section: Section, name: string): string | undefined {
  const found = section.attributes.filter((a) => a.name === name);
  if (found.length > 1) throw invalid(`a=${name} appears more than once in one section`);
  const first = found[0];
  if (first && (first.value === undefined || first.value.trim() === '')) throw invalid(`a=${name} is empty`);
  return first?.value?.trim();
}

function parseMLine(audio: Section, lim: SdpOfferLimits): number[] {
  const parts = (audio.mLine ?? '').split(' ');
  const [, port, proto, ...fmts] = parts;
  if (port === undefined || !/^\d{1,5}(\/\d{1,2})?$/.test(port)) {
    throw invalid(`the audio m-line (line ${audio.lineNo}) has no valid port`);
  }
  if (Number.parseInt(port, 10) === 0) throw invalid('the audio m-line is disabled (port 0)');
  if (proto === undefined || !ACCEPTED_PROTOS.has(proto)) {
    throw invalid(`the audio m-line must use UDP/TLS/RTP/SAVPF, not ${proto ?? 'nothing'}`);
  }
  if (fmts.length === 0) throw invalid('the audio m-line lists no payload type');
  if (fmts.length > lim.maxPayloadTypes) throw invalid(`more than ${lim.maxPayloadTypes} payload types`);
  return fmts.map((f) => {
    if (!/^\d{1,3}$/.test(f) || Number(f) > 127) throw invalid(`"${f}" is not an RTP payload type`);
    return Number(f);
  });
}

function parseFingerprints(section: Section): SdpFingerprint[] {
  const found = section.attributes.filter((a) => a.name === 'fingerprint');
  if (found.length === 0) throw invalid('no a=fingerprint (DTLS certificate fingerprint)');
  if (found.length > 4) throw invalid('more than 4 a=fingerprint lines');
  return found.map((a) => {
    const [algorithm = '', value = '', ...rest] = (a.value ?? '').trim().split(/\s+/);
    const bytes = FINGERPRINT_BYTES[algorithm.toLowerCase()];
    if (bytes === undefined) throw invalid(`a=fingerprint hash "${algorithm}" is not supported`);
    const hex = value.split(':');
    if (rest.length > 0 || hex.length !== bytes || !hex.every((h) => /^[0-9A-Fa-f]{2}$/.test(h))) {
      throw invalid(`a=fingerprint (line ${a.lineNo}) is not ${bytes} hex bytes`);
    }
    return { algorithm: algorithm.toLowerCase(), value: value.toUpperCase() };
  });
}

function countCandidates(sections: Section[], lim: SdpOfferLimits): number {
  let count = 0;
  for (const section of sections) {
    for (const a of section.attributes) {
      if (a.name !== 'candidate') continue;
      count += 1;
      if (count > lim.maxCandidates) throw invalid(`more than ${lim.maxCandidates} candidates`);
      const f = (a.value ?? '').split(' ');
      const ok =
        f.length >= 8 &&
        /^\d+$/.test(f[1] ?? '') &&
        /^\d+$/.test(f[3] ?? '') &&
        /^\d{1,5}$/.test(f[5] ?? '') &&
        f[6] === 'typ' &&
        (f[4] ?? '') !== '';
      if (!ok) throw invalid(`a=candidate on line ${a.lineNo} is malformed`);
    }
  }
  return count;
}

function parseDirection(audio: Section): 'sendrecv' | 'sendonly' {
  const found = audio.attributes.filter((a) => DIRECTIONS.has(a.name));
  if (found.length > 1) throw invalid('the audio m-line has more than one direction');
  const direction = found[0]?.name ?? 'sendrecv';
  if (direction !== 'sendrecv' && direction !== 'sendonly') {
    throw invalid(`the audio m-line is ${direction}: a speaker must send (sendrecv or sendonly)`);
  }
  return direction;
}

function findOpus(audio: Section, payloadTypes: number[]): { pt: number; channels: number } {
  const names: string[] = [];
  for (const a of audio.attributes) {
    if (a.name !== 'rtpmap') continue;
    const m = /^(\d{1,3}) ([A-Za-z0-9_.-]+)\/(\d+)(?:\/(\d+))?$/.exec((a.value ?? '').trim());
    if (!m) throw invalid(`a=rtpmap on line ${a.lineNo} is malformed`);
    const pt = Number(m[1]);
    const name = m[2] ?? '';
    if (!payloadTypes.includes(pt)) continue;
    names.push(name);
    if (name.toLowerCase() === 'opus' && m[3] === '48000') {
      const channels = m[4] === undefined ? 1 : Number(m[4]);
      if (channels !== 1 && channels !== 2) throw invalid('opus must have 1 or 2 channels');
      return { pt, channels };
    }
  }
  throw new RostraError(
    'unsupported_codec',
    `Only Opus audio is accepted; the offer has ${names.length > 0 ? names.join(', ') : 'no rtpmap'}.`,
  );
}

function findAudioLevelExtension(audio: Section): number | undefined {
  for (const a of audio.attributes) {
    if (a.name !== 'extmap') continue;
    const m = /^(\d{1,3})(?:\/[a-z]+)? (\S+)/.exec((a.value ?? '').trim());
    if (!m) throw invalid(`a=extmap on line ${a.lineNo} is malformed`);
    const id = Number(m[1]);
    if (id < 1 || id > 255) throw invalid(`a=extmap id ${id} is out of range`);
    if (m[2] === AUDIO_LEVEL_URI) return id;
  }
  return undefined;
}
