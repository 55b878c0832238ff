/**
 * Checks a response against the schema its route documents in /openapi.json. Test nodes turn this on, so a
 * handler that sends a field the document does not name, leaves one out or changes its type fails the
 * test that called it, and the document cannot drift from what the server sends.
 */
import type { ZodType } from 'zod';

/** Where `value` (as it goes on the wire) leaves `schema`: one line per difference; empty when it fits. */
export function responseDrift(schema: ZodType, value: unknown): string[] {
  const wire: unknown = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  const result = schema.safeParse(wire);
  if (!result.success) {
    return result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  // zod drops the keys an object schema does not name; any key dropped is one the document is missing.
  const extra: string[] = [];
  undocumented(wire, result.data, '', extra);
  return extra;
}

function undocumented(sent: unknown, kept: unknown, path: string, out: string[]): void {
  if (Array.isArray(sent) && Array.isArray(kept)) {
    sent.forEach((item, i) => undocumented(item, kept[i], `${path}${path ? '.' : ''}${i}`, out));
    return;
  }
  if (!isObject(sent) || !isObject(kept)) return;
  for (const key of Object.keys(sent)) {
    const at = `${path}${path ? '.' : ''}${key}`;
    if (!(key in kept)) out.push(`${at}: not in the documented schema`);
    else undocumented(sent[key], kept[key], at, out);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
