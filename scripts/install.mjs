// npm install hook: make sure the build's system packages are present, then compile the addon.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const packagesScript = join(root, 'scripts', 'system-packages.sh');

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function opusFound() {
  const probe = spawnSync('pkg-config', ['--exists', 'opus', 'libopusenc', 'speexdsp']);
  return !probe.error && probe.status === 0;
}

if (!opusFound()) {
  const isDebian = existsSync('/etc/debian_version');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isDebian && isRoot) {
    if (run('bash', [packagesScript, 'install', 'build']) !== 0) process.exit(1);
  } else {
    console.error('confmix: libopus, libopusenc, speexdsp or pkg-config is missing: install them (Debian/Ubuntu: sudo apt-get install -y libopus-dev libopusenc-dev libspeexdsp-dev pkg-config)');
    process.exit(1);
  }
}

// cmake-js sits in our own node_modules in a checkout, and beside us when a project installs us.
let cmakeJsCli = null;
try {
  cmakeJsCli = join(dirname(createRequire(import.meta.url).resolve('cmake-js/package.json')), 'bin', 'cmake-js');
} catch {
  // Not resolvable: npx finds it on the PATH of the install.
}
const status = cmakeJsCli && existsSync(cmakeJsCli)
  ? run(process.execPath, [cmakeJsCli, 'compile'])
  : run('npx', ['--no-install', 'cmake-js', 'compile']);
process.exit(status);
