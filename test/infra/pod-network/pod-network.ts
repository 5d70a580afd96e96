// The tests' pod network: a network namespace "world" per test run holding a bridge, and
// one network namespace per pod with a veth pair on that bridge and its own address. The
// servers of the world (etcd, kube-apiserver, Cassandra, load balancers) run in the world
// namespace on addresses of the bridge; the host (the vitest processes) reaches the world
// through one veth whose only route is the world's subnet, so every packet stays between
// namespaces this run created. Nothing is routed further: the world and the pods have no
// default route, so no traffic can leave.
//
// The world is created once (createPodNetwork, in vitest's globalSetup); test workers
// attach to it by its description (attachPodNetwork). Names of namespaces embed the world
// and the creating process, so a crashed run's leftovers are found and removed by the
// next one, and every namespace a process created is deleted when it exits.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { runTool, runToolOrThrow } from '../command-line-tool.ts';
import { partitionRuleset, type LinkFault } from './partition-rules.ts';
import type { Placement } from './placement.ts';

/** What a worker needs to attach to a world (JSON, passed through vitest's provide). */
export interface PodNetworkDescription {
  /** The world's network namespace (under /run/netns). */
  world: string;
  /** Second octet of the world's 10.<octet>.0.0/16. */
  octet: number;
  /** The host end's address: where connections from the vitest processes come from. */
  hostAddress: string;
}

/** A network namespace of the world: a pod's, or the world itself. */
export interface NetworkNamespace {
  /** The namespace's name under /run/netns. */
  readonly name: string;
  /** Its address on the pod network. */
  readonly address: string;
  /** argv that runs `command` in this namespace (nsenter execs it: the pid is the command's). */
  command(command: readonly string[]): string[];
  /** Runs a command in the namespace to completion; throws on a non-zero exit. */
  exec(command: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
}

export interface Pod extends NetworkNamespace {
  /** What the pod is, for messages (e.g. the Kubernetes pod's name). */
  readonly label: string;
  /** Replaces the pod's link faults (partitions, loss) with `faults`; [] heals it. */
  setFaults(faults: readonly LinkFault[]): Promise<void>;
  readonly faults: readonly LinkFault[];
  /** Deletes the namespace and both ends of its veth; idempotent. */
  remove(): Promise<void>;
}

export interface PodNetwork {
  readonly description: PodNetworkDescription;
  /** The world namespace; servers started with world.command() listen on its addresses. */
  readonly world: NetworkNamespace;
  /** "10.<octet>.0.0/16" */
  readonly subnet: string;
  /**
   * One more address on the world's bridge for a server of the world (etcd, Cassandra, a
   * load balancer), so each server is cut or reached by its own address.
   */
  addWorldAddress(): Promise<string>;
  /** A new world address and the world's command wrapper: where to start a server of the world. */
  placeInWorld(): Promise<Placement>;
  /** A new pod namespace with its own address, loopback up, its veth on the bridge. */
  addPod(label: string): Promise<Pod>;
  /** The pods this process created and has not removed. */
  pods(): Pod[];
  /** Deletes the pods this process created (and, for the creator, the world). */
  destroy(): Promise<void>;
}

const NETNS_DIR = '/run/netns';
const BRIDGE = 'br0';
const PREFIX = 'orsw';

const ip = (args: readonly string[]) => runToolOrThrow('ip', args, { timeoutMs: 30_000 });
const nsenter = (namespace: string, command: readonly string[]) => ['nsenter', `--net=${NETNS_DIR}/${namespace}`, '--', ...command];

function namespaceHandle(name: string, address: string): NetworkNamespace {
  return {
    name,
    address,
    command: (command) => nsenter(name, command),
    async exec(command, options = {}) {
      const [tool, ...args] = nsenter(name, command);
      return runToolOrThrow(tool, args, { input: options.input, timeoutMs: options.timeoutMs ?? 30_000 });
    },
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function namespaces(): string[] {
  return existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR) : [];
}

/** Namespaces are named orsw<octet>-<pid of the creator>[-<pod>]. */
function creatorOf(name: string): number | undefined {
  const match = /^orsw\d+-(\d+)/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * Deletes the namespaces of runs whose process is gone (a crashed or killed run); their
 * veths go with them, the host end of a world's veth included.
 */
async function removeLeftovers(): Promise<void> {
  for (const name of namespaces()) {
    const pid = creatorOf(name);
    if (pid !== undefined && !processAlive(pid)) await runTool('ip', ['netns', 'delete', name]);
  }
  // A host end goes with its world's namespace (its peer is there from the start); one
  // left anyway (its creator died mid-set-up) has the dead creator's pid as its alias.
  const links = await runTool('ip', ['-o', 'link', 'show', 'type', 'veth']);
  for (const match of links.stdout.matchAll(/^\d+: (orsw\d+h)[@:].*\balias (\d+)/gm)) {
    if (!processAlive(Number(match[2]))) await runTool('ip', ['link', 'delete', match[1]]);
  }
}

/** Namespaces this process created: deleted on exit even when nobody called destroy(). */
const created = new Set<string>();
let exitHookInstalled = false;
function deleteOnExit(name: string): void {
  created.add(name);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const namespace of created) {
      try {
        execFileSync('ip', ['netns', 'delete', namespace], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  });
}

async function deleteNamespace(name: string): Promise<void> {
  await runTool('ip', ['netns', 'delete', name]);
  created.delete(name);
}

/** `ip netns add`, which fails when the name exists: the atomic claim of a name. */
async function claimNamespace(name: string): Promise<boolean> {
  const result = await runTool('ip', ['netns', 'add', name]);
  if (result.code === 0) {
    deleteOnExit(name);
    return true;
  }
  if (/exists/i.test(result.stderr)) return false;
  throw new Error(`ip netns add ${name}: ${result.stderr.trim()}`);
}

function hostRoutes(): Promise<string> {
  return runToolOrThrow('ip', ['-4', 'route', 'show', 'table', 'all']);
}

/**
 * Creates this run's world: the namespace, its bridge with the gateway address
 * 10.<octet>.0.1, and the host's veth into it (10.<octet>.255.254). The octet is one no
 * other world (another test run on this machine) and no host route uses.
 */
export async function createPodNetwork(): Promise<PodNetwork> {
  await removeLeftovers();
  const used = await hostRoutes();
  for (let attempt = 0; attempt < 40; attempt++) {
    // 10.96.0.0/12 is the service CIDR; 10.244 is what clusters use: stay clear of both.
    const octet = randomInt(120, 240);
    if (new RegExp(`(^|\\s)10\\.${octet}\\.`, 'm').test(used)) continue;
    const world = `${PREFIX}${octet}-${process.pid}`;
    if (namespaces().some((n) => n.startsWith(`${PREFIX}${octet}-`))) continue;
    if (!(await claimNamespace(world))) continue;
    // The host end's name (orsw<octet>h) is the claim on the octet among concurrent runs:
    // a second run that picked it fails here and tries another. Its alias names the
    // creator, for the clean-up of a crashed run.
    const hostEnd = `${PREFIX}${octet}h`;
    const claim = await runTool('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'host0', 'netns', world]);
    if (claim.code !== 0) {
      await deleteNamespace(world);
      continue;
    }
    try {
      await ip(['link', 'set', hostEnd, 'alias', String(process.pid)]);
      const hostAddress = `10.${octet}.255.254`;
      const inWorld = (args: string[]) => ip(['-n', world, ...args]);
      await inWorld(['link', 'set', 'lo', 'up']);
      // A bridge takes the lowest MAC of its ports unless it has one set: every pod added
      // or removed would change the MAC behind the world's addresses, and every neighbour
      // would keep sending to the old one until its ARP entry went stale (~30 s without
      // the API server, Cassandra, the Ingress). A fixed, locally administered MAC.
      await inWorld(['link', 'add', BRIDGE, 'address', `02:00:0a:${octet.toString(16).padStart(2, '0')}:00:01`, 'type', 'bridge']);
      await inWorld(['addr', 'add', `10.${octet}.0.1/16`, 'dev', BRIDGE]);
      await inWorld(['link', 'set', BRIDGE, 'up']);
      await inWorld(['link', 'set', 'host0', 'master', BRIDGE, 'up']);
      await ip(['addr', 'add', `${hostAddress}/16`, 'dev', hostEnd]);
      await ip(['link', 'set', hostEnd, 'up']);
      return attach({ world, octet, hostAddress }, { hostEnd });
    } catch (error) {
      await runTool('ip', ['link', 'delete', hostEnd]);
      await deleteNamespace(world);
      throw error;
    }
  }
  throw new Error('no free 10.x.0.0/16 for the pod network after 40 attempts');
}

/** Attaches to a world created by another process of this run (a vitest worker). */
export function attachPodNetwork(description: PodNetworkDescription): PodNetwork {
  if (!namespaces().includes(description.world)) {
    throw new Error(`pod network ${description.world} does not exist (was it created by this run's globalSetup?)`);
  }
  return attach(description, undefined);
}

function attach(description: PodNetworkDescription, owner: { hostEnd: string } | undefined): PodNetwork {
  const { world, octet } = description;
  const worldHandle = namespaceHandle(world, `10.${octet}.0.1`);
  const pods = new Map<string, Pod>();

  /** Claims `10.<octet>.<hi>.<lo>` by creating a namespace or an address named after it. */
  const pickAddress = (low: number, high: number) => {
    const n = randomInt(low, high);
    return { hi: Math.floor(n / 254), lo: (n % 254) + 1 };
  };

  async function addWorldAddress(): Promise<string> {
    for (let attempt = 0; attempt < 50; attempt++) {
      // 10.<octet>.0.2 - 10.<octet>.0.254: the world's servers.
      const address = `10.${octet}.0.${randomInt(2, 255)}`;
      const result = await runTool('ip', ['-n', world, 'addr', 'add', `${address}/32`, 'dev', BRIDGE]);
      if (result.code === 0) return address;
      // Taken already (iproute2 says "File exists" or, newer, "Address already assigned"): another pick.
      if (!/exists|already assigned/i.test(result.stderr)) throw new Error(`ip addr add ${address}: ${result.stderr.trim()}`);
    }
    throw new Error(`no free world address in 10.${octet}.0.0/24`);
  }

  async function addPod(label: string): Promise<Pod> {
    for (let attempt = 0; attempt < 50; attempt++) {
      // 10.<octet>.1.1 - 10.<octet>.254.254: pods.
      const { hi, lo } = pickAddress(254, 254 * 255);
      const address = `10.${octet}.${hi}.${lo}`;
      const name = `${world}-${hi}-${lo}`;
      if (!(await claimNamespace(name))) continue;
      // veth names are per namespace: the world's end is named after the address.
      const worldEnd = `p${hi}-${lo}`;
      try {
        await ip(['-n', world, 'link', 'add', worldEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
        await ip(['-n', world, 'link', 'set', worldEnd, 'master', BRIDGE, 'up']);
        await ip(['-n', name, 'link', 'set', 'lo', 'up']);
        await ip(['-n', name, 'addr', 'add', `${address}/16`, 'dev', 'eth0']);
        await ip(['-n', name, 'link', 'set', 'eth0', 'up']);
      } catch (error) {
        await deleteNamespace(name);
        throw error;
      }
      const handle = namespaceHandle(name, address);
      let faults: readonly LinkFault[] = [];
      const pod: Pod = {
        ...handle,
        label,
        get faults() {
          return faults;
        },
        async setFaults(next) {
          // One table owned by the harness, replaced atomically (delete + add in one nft run).
          await handle.exec(['nft', '-f', '-'], { input: partitionRuleset(next) });
          faults = [...next];
        },
        async remove() {
          pods.delete(name);
          // Deleting the world's end first: a namespace's veths are destroyed only when the
          // kernel frees the namespace, after `ip netns del` has returned.
          await ip(['-n', world, 'link', 'del', worldEnd]).catch(() => undefined);
          await deleteNamespace(name);
        },
      };
      pods.set(name, pod);
      return pod;
    }
    throw new Error(`no free pod address in 10.${octet}.0.0/16`);
  }

  return {
    description,
    world: worldHandle,
    subnet: `10.${octet}.0.0/16`,
    addWorldAddress,
    async placeInWorld() {
      return { address: await addWorldAddress(), command: worldHandle.command };
    },
    addPod,
    pods: () => [...pods.values()],
    async destroy() {
      await Promise.all([...pods.values()].map((p) => p.remove()));
      if (!owner) return;
      // Pods of workers that did not clean up, then the world (its veths go with it).
      for (const name of namespaces()) if (name.startsWith(`${world}-`)) await deleteNamespace(name);
      await deleteNamespace(world);
      await runTool('ip', ['link', 'delete', owner.hostEnd]);
    },
  };
}
