/** Runs `rostra serve` as a real child process (through tsx) for tests that restart or kill it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { RostraClient, type HttpMethod } from '../client/index.js';

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
        env: {
          ...process.env,
          NODE_ENV: 'production',
          ROSTRA_LOG_LEVEL: 'warn',
          // As in openTestNode: measured pressure on a busy test machine would shed the test's own requests.
          ROSTRA_GUARD_SHEDDING: 'off',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const proc = new ServeProcess(child, `http://127.0.0.1:${port}`);
    const until = Date.now() + 120_000; // a deadline for a busy machine, not a bound
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
    // A process already gone (exited, or killed by a signal) has fired 'exit' already: waiting would hang.
    if (this.child.exitCode !== null) return this.child.exitCode;
    if (this.child.signalCode !== null) return this.child.signalCode;
    const done = new Promise<number | string>((resolve) =>
      this.child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')),
    );
    this.child.kill(signal);
    return done;
  }

  /** The one API client (RostraClient), over real HTTP to this process. */
  client(token?: string): RostraClient {
    return RostraClient.over(this.baseUrl, token);
  }

  async json<T>(
    method: HttpMethod,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }> {
    const res = await this.client(token).request<T>(method, path, body);
    return { status: res.status, body: res.body };
  }
}
