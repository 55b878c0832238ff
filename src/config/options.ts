/**
 * Every configuration option's flag, environment variable and help line, derived from the schema in
 * Config.ts, so adding an option there (with `.describe('…')`) is the whole change: `rostra serve`
 * accepts `--<name>` and `ROSTRA_<NAME>`, `rostra --help` lists it, and the README table is generated
 * from the same list (`npm run docs:config`). The names: a top-level or grouped key in kebab case
 * (`limits.bodyBytes` → `--body-bytes`), guard keys with a `guard-` prefix, and `ROSTRA_` + the flag in
 * upper snake case; a few older names are kept as they were (LEGACY_NAMES in Config.ts).
 */
import type { z } from 'zod';

export interface OptionNames {
  readonly flag?: string;
  readonly env?: string;
}

export interface ConfigOption {
  /** Dotted path in the configuration, e.g. `limits.bodyBytes`. */
  readonly path: string;
  readonly flag: string;
  readonly env: string;
  readonly help: string;
  /** The default as given on the command line, or '' when there is none. */
  readonly defaultText: string;
  /** What the value looks like, for the help: N, URL, LIST, on|off, … */
  readonly valueHint: string;
  /** A comma-separated list. */
  readonly list: boolean;
  /** The group's description, for top-level options ''. */
  readonly group: string;
}

/** Groups whose keys get the group name as a prefix (their keys would be ambiguous without it). */
const PREFIXED_GROUPS = new Set(['guard']);

export function kebab(key: string): string {
  return key
    .replace(/([a-z])([A-Z0-9])/g, '$1-$2')
    .replace(/([0-9])([A-Za-z])(?=[a-z]{2})/g, '$1-$2')
    .toLowerCase();
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  entries?: Record<string, string>;
  in?: z.ZodType;
}
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Strips default/optional wrappers: the value's own schema, and its default. */
function unwrap(schema: z.ZodType): { inner: z.ZodType; defaultValue: unknown } {
  let inner = schema;
  let defaultValue: unknown;
  for (;;) {
    const def = defOf(inner);
    if ((def.type === 'default' || def.type === 'prefault') && defaultValue === undefined)
      defaultValue = def.defaultValue;
    if (!def.innerType || !['default', 'prefault', 'optional', 'nullable'].includes(def.type)) break;
    inner = def.innerType;
  }
  return { inner, defaultValue };
}

function hintOf(inner: z.ZodType): { valueHint: string; list: boolean } {
  const def = defOf(inner);
  if (def.type === 'pipe' && def.in) return hintOf(def.in); // a value read, then transformed
  if (def.type === 'array') return { valueHint: 'A,B', list: true };
  if (def.type === 'number') return { valueHint: 'N', list: false };
  if (def.type === 'union') return { valueHint: 'on|off', list: false };
  if (def.type === 'enum') return { valueHint: Object.values(def.entries ?? {}).join('|'), list: false };
  const format = (inner as unknown as { format?: string | null }).format;
  return { valueHint: format === 'url' ? 'URL' : 'TEXT', list: false };
}

function textOf(v: unknown): string {
  if (v === undefined) return '';
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return String(v);
}

/** Lists the leaves of a configuration schema (objects of options, one level of groups). */
export function listOptions(
  schema: z.ZodObject,
  names: Readonly<Record<string, OptionNames>> = {},
): ConfigOption[] {
  const out: ConfigOption[] = [];
  const visit = (shape: Record<string, z.ZodType>, group: string | undefined, groupHelp: string) => {
    for (const [key, field] of Object.entries(shape)) {
      const path = group ? `${group}.${key}` : key;
      const { inner, defaultValue } = unwrap(field);
      if (!group && defOf(inner).type === 'object') {
        visit((inner as z.ZodObject).shape, key, field.description ?? key);
        continue;
      }
      const given = names[path] ?? {};
      const flag = given.flag ?? (group && PREFIXED_GROUPS.has(group) ? `${group}-` : '') + kebab(key);
      out.push({
        path,
        flag,
        env: given.env ?? `ROSTRA_${flag.toUpperCase().replace(/-/g, '_')}`,
        help: field.description ?? '',
        defaultText: textOf(defaultValue),
        ...hintOf(inner),
        group: groupHelp,
      });
    }
  };
  visit(schema.shape, undefined, '');
  const seen = new Map<string, string>();
  for (const o of out) {
    for (const name of [`--${o.flag}`, o.env]) {
      const other = seen.get(name);
      if (other) throw new TypeError(`config options ${other} and ${o.path} both want ${name}`);
      seen.set(name, o.path);
    }
  }
  return out;
}

/** The options as help text: one line with flag, variable and default, then the description. */
export function optionsHelp(options: readonly ConfigOption[], width = 100): string {
  const lines: string[] = [];
  let group: string | undefined;
  for (const o of options) {
    if (o.group !== group) {
      group = o.group;
      if (group) lines.push('', `  ${group}`);
    }
    const dflt = o.defaultText === '' ? '' : `  (default ${o.defaultText})`;
    lines.push(`  --${o.flag} ${o.valueHint}   ${o.env}${dflt}`);
    lines.push(...wrap(o.help, width - 6).map((l) => `      ${l}`));
  }
  return lines.join('\n');
}

/** The options as the README's Markdown table. */
export function optionsTable(options: readonly ConfigOption[]): string {
  const rows = options.map((o) => [
    `\`--${o.flag}\``,
    `\`${o.env}\``,
    o.defaultText === '' ? '' : `\`${o.defaultText}\``,
    o.help.replace(/[|<>]/g, (c) => `\\${c}`),
  ]);
  return [
    '| flag | variable | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}
