/** Runs `rostra serve` as a real child process (through tsx) for tests that restart or kill it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../cli/entry.ts', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class ServeProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  output = '';

  private constructor(child: ChildProcess, baseUrl: string) {
    this.child = child;
    this.baseUrl = baseUrl;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  /** Starts `rostra serve` with these flags on a free port and waits for /healthz. */
  static async start(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', ENTRY, 'serve', '--port', String(port), '--host', '127.0.0.1', ...args],
      {
        env: { ...process.env, NODE_ENV: 'production', ROSTRA_LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const proc = new ServeProcess(child, `http://127.0.0.1:${port}`);
    const until = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`rostra serve exited with ${child.exitCode}:\n${proc.output}`);
      try {
        if ((await fetch(`${proc.baseUrl}/healthz`)).ok) return proc;
      } catch {
        // not listening yet
      }
      if (Date.now() > until) {
        child.kill('SIGKILL');
        throw new Error(`rostra serve did not answer /healthz:\n${proc.output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends a signal and resolves with the exit code (or signal name). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const done = new Promise<number | string>((resolve) =>
      this.child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')),
    );
    this.child.kill(signal);
    return done;
  }

  async json<T>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }
}
