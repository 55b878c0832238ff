#!/usr/bin/env node
// Installs what the tests need that npm cannot: Debian packages, only when missing.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** binary that must exist → Debian package that provides it */
const needed = [
  { bin: '/usr/bin/ffmpeg', pkg: 'ffmpeg' },
  { bin: '/usr/bin/ffprobe', pkg: 'ffmpeg' },
  { bin: '/usr/bin/chromium', pkg: 'chromium' },
  { bin: '/usr/sbin/nginx', pkg: 'nginx' },
  { bin: '/usr/lib/nginx/modules/ngx_http_js_module.so', pkg: 'libnginx-mod-http-js' },
];

const missing = [...new Set(needed.filter((n) => !existsSync(n.bin)).map((n) => n.pkg))];
if (missing.length > 0) {
  console.log(`test-setup: installing ${missing.join(', ')} with apt-get`);
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  execSync(`${sudo}apt-get update -qq`, { stdio: 'inherit' });
  const r = spawnSync(
    'sh',
    ['-c', `${sudo}DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) {
    console.error(`test-setup: apt-get could not install ${missing.join(', ')}`);
    process.exit(1);
  }
}
// The browser tests drive the built app, exactly as `npm start` serves it.
const build = spawnSync('npm', ['run', '--silent', 'build:web'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('test-setup: the web app did not build');
  process.exit(1);
}
console.log('test-setup: ok');
