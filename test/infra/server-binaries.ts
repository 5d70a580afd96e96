import { accessSync, constants, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Where `make servers` (test/infra/*/install.sh) puts the real test servers. Each
// Go-built component's version is pinned once, in its wrapper go.mod; this reads it
// from there so the tests run exactly what the scripts built.

const infraDir = import.meta.dirname;

export const installCommand = 'make servers';

/** The cache root, as test/infra/cache-root.sh computes it. */
export function testCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.ORS_TEST_CACHE || path.join(env.HOME || os.homedir(), '.cache', 'ors-test');
}

/** The version a go.mod requires for `modulePath` (a `require` line or block entry). */
export function requiredModuleVersion(goMod: string, modulePath: string): string {
  const escaped = modulePath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = goMod.match(new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm'));
  if (!match) throw new Error(`go.mod does not require ${modulePath}`);
  return match[1];
}

const goBuiltComponents = {
  kubernetes: { module: 'k8s.io/kubernetes', binaries: ['kube-apiserver', 'kube-controller-manager', 'kubectl'] },
  etcd: { module: 'go.etcd.io/etcd/server/v3', binaries: ['etcd'] },
  helm: { module: 'helm.sh/helm/v3', binaries: ['helm'] },
  traefik: { module: 'github.com/traefik/traefik/v3', binaries: ['traefik'] },
  promtool: { module: 'github.com/prometheus/prometheus', binaries: ['promtool'] },
} as const;

type GoBuiltComponent = keyof typeof goBuiltComponents;
export type GoBuiltBinary = (typeof goBuiltComponents)[GoBuiltComponent]['binaries'][number];

/** The pinned version of a Go-built component (from test/infra/<component>/go.mod). */
export function componentVersion(component: GoBuiltComponent): string {
  const goMod = readFileSync(path.join(infraDir, component, 'go.mod'), 'utf8');
  return requiredModuleVersion(goMod, goBuiltComponents[component].module);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of a test server binary. A missing binary is a loud failure that
 * names the command which builds it: tests against real servers never skip.
 */
export function serverBinary(name: GoBuiltBinary | DebianBinary): string {
  if (name in debianBinaries) return debianBinary(name as DebianBinary);
  const [component] = Object.entries(goBuiltComponents).find(([, c]) =>
    (c.binaries as readonly string[]).includes(name),
  )!;
  const version = componentVersion(component as GoBuiltComponent);
  const file = path.join(testCacheRoot(), `${component}-${version}`, 'bin', name);
  if (!isExecutable(file)) {
    throw new Error(`${name} ${version} is not built (looked for ${file}); run \`${installCommand}\` first`);
  }
  return file;
}

/** Servers that come from Debian packages (test/infra/<component>/install.sh), by command. */
const debianBinaries = { haproxy: 'haproxy', apache2: 'apache2-bin', chromium: 'chromium' } as const;
type DebianBinary = keyof typeof debianBinaries;

function debianBinary(name: DebianBinary): string {
  // Debian installs them in /usr/sbin, which is not on every user's PATH.
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  throw new Error(`${name} is not installed; run \`${installCommand}\` first (it installs the Debian package ${debianBinaries[name]})`);
}
