// Apache httpd 2.4 (the Debian package `make servers` installs) for tests: one instance
// per call, in the foreground, with its own ServerRoot, PidFile, runtime directory and
// logs in a temporary directory, listening on free loopback ports only.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { allAcceptConnections, freePort, retryOnPortClash } from './free-port.ts';
import { readLogTail, startManagedProcess, type ManagedProcess } from './managed-process.ts';
import { serverBinary } from './server-binaries.ts';
import { waitUntil } from './wait-until.ts';

/** Where Debian's apache2-bin puts the modules. */
const MODULES_DIR = '/usr/lib/apache2/modules';

/** The virtual hosts (and anything else), given the free ports allocated under the names asked for. */
export type ApacheSections = (ports: Record<string, number>) => string;

export interface ApacheHttpd {
  dir: string;
  configFile: string;
  ports: Record<string, number>;
  process: ManagedProcess;
  /** The error log (mod_proxy and health-check messages go there). */
  errorLog: string;
  stop(): Promise<void>;
}

/**
 * The whole httpd.conf: the modules a reverse proxy with balancers and health checks
 * needs, every file under `dir`, a Listen line per port, then `sections`.
 */
export function apacheConfig(options: { dir: string; ports: readonly number[]; modules: readonly string[]; sections: string }): string {
  return [
    `ServerRoot "${options.dir}"`,
    `PidFile "${path.join(options.dir, 'httpd.pid')}"`,
    `DefaultRuntimeDir "${options.dir}"`,
    `ErrorLog "${path.join(options.dir, 'error.log')}"`,
    'LogLevel warn proxy_hcheck:info',
    'ServerName 127.0.0.1',
    ...options.modules.map((m) => `LoadModule ${m}_module ${MODULES_DIR}/mod_${m}.so`),
    // Enough workers that a test's concurrent clients never queue behind each other.
    'StartServers 1',
    'ServerLimit 4',
    'ThreadsPerChild 64',
    'MaxRequestWorkers 256',
    'KeepAlive On',
    ...options.ports.map((port) => `Listen 127.0.0.1:${port}`),
    '',
    options.sections,
    '',
  ].join('\n');
}

/** The modules of the load-balancing guide's layout: proxy, balancer, byrequests, health checks. */
export const BALANCER_MODULES = [
  'mpm_event', 'authz_core', 'slotmem_shm', 'proxy', 'proxy_http', 'proxy_balancer',
  'lbmethod_byrequests', 'proxy_hcheck',
] as const;

/**
 * Starts httpd on free loopback ports: `portNames` are allocated and handed to `sections`.
 * The config is checked first (`-t`), so a mistake fails with httpd's own message.
 * Resolves once every port accepts connections.
 */
export function startApacheHttpd(
  portNames: readonly string[],
  sections: ApacheSections,
  options: { modules?: readonly string[]; /** Ports chosen by the caller (e.g. one its runtimes already redirect to). */ ports?: Record<string, number> } = {},
): Promise<ApacheHttpd> {
  return retryOnPortClash(() => startOnce(portNames, sections, options.modules ?? BALANCER_MODULES, options.ports ?? {}));
}

async function startOnce(
  portNames: readonly string[],
  sections: ApacheSections,
  modules: readonly string[],
  given: Record<string, number>,
): Promise<ApacheHttpd> {
  const binary = serverBinary('apache2');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-apache-'));
  const configFile = path.join(dir, 'httpd.conf');
  const ports: Record<string, number> = { ...given };
  for (const name of portNames) ports[name] ??= await freePort();
  await writeFile(configFile, apacheConfig({ dir, ports: Object.values(ports), modules, sections: sections(ports) }));

  const check = startManagedProcess('apache2 -t', binary, ['-t', '-f', configFile], { logFile: path.join(dir, 'check.log') });
  await waitUntil(async () => check.exit, { what: 'apache2 -t', timeoutMs: 15_000 });
  if (check.exit?.code !== 0) throw new Error(`apache2 -t refused ${configFile}:\n${check.logTail()}`);

  const errorLog = path.join(dir, 'error.log');
  const process = startManagedProcess('apache2', binary, ['-f', configFile, '-DFOREGROUND'], { logFile: path.join(dir, 'console.log') });
  const abortIf = () => {
    const exited = process.exitedError();
    return exited && new Error(`${exited.message}\nerror.log:\n${readLogTail(errorLog)}`);
  };
  try {
    await waitUntil(() => allAcceptConnections(Object.values(ports)), {
      what: `apache2 listening on ${Object.values(ports).join(', ')}`,
      timeoutMs: 15_000,
      abortIf,
    });
  } catch (error) {
    await process.stop();
    // httpd reports a port taken between freePort() and its bind in error.log only.
    if (/Address already in use/i.test(readLogTail(errorLog))) throw new Error(`apache2: address already in use`, { cause: error });
    throw error;
  }
  return { dir, configFile, ports, process, errorLog, stop: () => process.stop() };
}
