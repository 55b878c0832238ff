/**
 * Load from `wrk` (Debian's C HTTP benchmarker), pinned to core 1: a Node generator tops out near 14k
 * requests/s on one core, below what a server core can answer, so it would measure itself.
 * Installs wrk with apt-get when it is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function ensureWrk(): void {
  if (existsSync('/usr/bin/wrk')) return;
  console.log('bench: installing wrk with apt-get');
  execFileSync(
    'sh',
    ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk'],
    { stdio: 'inherit' },
  );
}

export interface WrkResult {
  /** 2xx answers per second. */
  perSecond: number;
  /** Requests answered, whatever their status. */
  requests: number;
  non2xx: number;
  errors: number;
}

/**
 * POSTs JSON bodies for `seconds`. With `tickets`, each request sends `{"ticket": <next ticket>}`; else
 * `body` as is.
 */
export function wrkPost(
  url: string,
  opts: { seconds: number; connections: number; body?: string; tickets?: readonly string[] },
): WrkResult {
  ensureWrk();
  const dir = mkdtempSync(join(tmpdir(), 'rostra-wrk-'));
  const ticketsFile = join(dir, 'tickets.txt');
  if (opts.tickets) writeFileSync(ticketsFile, opts.tickets.join('\n') + '\n');
  const script = join(dir, 'post.lua');
  writeFileSync(
    script,
    `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
${
  opts.tickets
    ? `local tickets = {}
for line in io.lines("${ticketsFile}") do tickets[#tickets + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, '{"ticket":"' .. tickets[(i % #tickets) + 1] .. '"}')
end`
    : `wrk.body = ${JSON.stringify(opts.body ?? '{}')}`
}
`,
  );
  const pin = existsSync('/usr/bin/taskset') ? ['taskset', '-c', '1'] : [];
  const r = spawnSync(
    pin[0] ?? 'wrk',
    [
      ...pin.slice(1),
      ...(pin.length ? ['wrk'] : []),
      '-t1',
      `-c${opts.connections}`,
      `-d${opts.seconds}s`,
      '-s',
      script,
      url,
    ],
    { encoding: 'utf8' },
  );
  const out = r.stdout + r.stderr;
  const total = /(\d+) requests in ([\d.]+)(m?s)/.exec(out);
  if (!total) throw new Error(`wrk gave no figure:\n${out}`);
  const seconds = Number(total[2]) / (total[3] === 'ms' ? 1000 : 1);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  // Only answered 2xx requests count: a refusal is not a ticket.
  return { perSecond: (Number(total[1]) - non2xx) / seconds, requests: Number(total[1]), non2xx, errors };
}
