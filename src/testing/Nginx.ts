/**
 * Runs Debian's nginx with the shipped edge config (deploy/nginx/rostra.conf) in a temporary prefix,
 * pointed at a Rostra origin on loopback: the same file an operator installs, with its paths and ports
 * moved. Used by the edge tests and the benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ServeProcess.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/nginx/', import.meta.url));

export class EdgeNginx {
  readonly port: number;
  readonly #dir: string;
  readonly #child: ChildProcess;

  private constructor(port: number, dir: string, child: ChildProcess) {
    this.port = port;
    this.#dir = dir;
    this.#child = child;
  }

  /** `originPort`: one origin; `originPorts`: the nodes of a cluster (the upstream gets one line each). */
  static async start(opts: {
    originPort?: number;
    originPorts?: readonly number[];
    secret: string;
    extraHttp?: string;
  }): Promise<EdgeNginx> {
    const ports = opts.originPorts ?? (opts.originPort !== undefined ? [opts.originPort] : []);
    if (ports.length === 0) throw new TypeError('EdgeNginx: give originPort or originPorts');
    const dir = mkdtempSync(join(tmpdir(), 'rostra-nginx-'));
    // nginx's workers drop to an unprivileged user: they must be able to write the cache and temp dirs.
    chmodSync(dir, 0o755);
    for (const sub of ['cache', 'body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
      mkdirSync(join(dir, sub));
      chmodSync(join(dir, sub), 0o777);
    }
    const port = await freePort();
    const shipped = readFileSync(join(DEPLOY, 'rostra.conf'), 'utf8');
    const conf = shipped
      .replace('/var/cache/nginx/rostra', join(dir, 'cache'))
      .replace('js_path /etc/nginx/rostra;', `js_path ${DEPLOY};`)
      .replace(
        'server 127.0.0.1:8080 max_fails=1 fail_timeout=5s;',
        ports.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join('\n    '),
      )
      .replace('listen 8081;', `listen 127.0.0.1:${port};`)
      .replace('include /etc/nginx/rostra/secret.conf;', `set $rostra_secret "${opts.secret}";`)
      .replaceAll('include /etc/nginx/rostra/live.conf;', `include ${join(DEPLOY, 'live.conf')};`);
    if (conf === shipped) throw new Error('deploy/nginx/rostra.conf changed shape: update EdgeNginx');
    writeFileSync(join(dir, 'rostra.conf'), conf);
    writeFileSync(
      join(dir, 'nginx.conf'),
      `load_module /usr/lib/nginx/modules/ngx_http_js_module.so;
worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  ${opts.extraHttp ?? ''}
  include ${join(dir, 'rostra.conf')};
}
`,
    );
    const child = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const edge = new EdgeNginx(port, dir, child);
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) break;
      try {
        await fetch(`http://127.0.0.1:${port}/healthz`);
        return edge;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    child.kill('SIGKILL');
    const log = (() => {
      try {
        return readFileSync(join(dir, 'error.log'), 'utf8');
      } catch {
        return '';
      }
    })();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`nginx did not start: ${stderr}\n${log}`);
  }

  get errorLog(): string {
    return readFileSync(join(this.#dir, 'error.log'), 'utf8');
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null) {
      const done = new Promise((r) => this.#child.once('exit', r));
      this.#child.kill('SIGQUIT');
      await done;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
