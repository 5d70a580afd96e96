import dgram from 'node:dgram';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../../infra/command-line-tool.ts';
import { startManagedProcess, type ManagedProcess } from '../../infra/managed-process.ts';
import { createPodNetwork, type Pod, type PodNetwork } from '../../infra/pod-network/pod-network.ts';
import { waitUntil } from '../../infra/wait-until.ts';

// The pod network on the real kernel: a world namespace with a bridge, pods in their own
// namespaces with their own addresses, the host reaching them through its veth, and
// link faults (partitions, loss) that drop packets inside one pod's namespace only.

const node = path.resolve(import.meta.dirname, '../../../node_modules/.bin/node');

// A pod's "container": HTTP on :8080 answering who it is and fetching from others on
// request (/fetch?url=...), and a UDP counter on :9000 for the loss test.
const serverScript = `
const http = require('node:http');
const dgram = require('node:dgram');
const [address, name] = process.argv.slice(1);
let datagrams = 0;
dgram.createSocket('udp4').on('message', () => datagrams++).bind(9000, address);
http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/udp') return res.end(String(datagrams));
  if (url.pathname === '/fetch') {
    try {
      const answer = await fetch(url.searchParams.get('url'), { signal: AbortSignal.timeout(1500) });
      return res.end('ok ' + (await answer.text()));
    } catch (error) {
      return res.end('failed ' + (error.cause?.code ?? error.name));
    }
  }
  res.end(name);
}).listen(8080, address);
`;

async function get(url: string, timeoutMs = 1500): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return `failed ${cause?.code ?? (error as Error).name}`;
  }
}

describe('pod network (network namespaces, bridge, veth pairs, nftables faults)', () => {
  let network: PodNetwork;
  let a: Pod;
  let b: Pod;
  let worldServer: { address: string; process: ManagedProcess };
  const processes: ManagedProcess[] = [];

  const start = async (pod: { command(c: readonly string[]): string[]; address: string }, name: string) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-pod-network-'));
    const [command, ...args] = pod.command([node, '-e', serverScript, pod.address, name]);
    const process = startManagedProcess(name, command, args, { logFile: path.join(dir, `${name}.log`) });
    processes.push(process);
    await waitUntil(async () => ((await get(`http://${pod.address}:8080/`)) === name ? true : undefined), {
      what: `${name} on ${pod.address}:8080`,
      timeoutMs: 20_000,
      abortIf: () => process.exitedError(),
    });
    return process;
  };

  beforeAll(async () => {
    network = await createPodNetwork();
    a = await network.addPod('a');
    b = await network.addPod('b');
    const address = await network.addWorldAddress();
    await start(a, 'a');
    await start(b, 'b');
    worldServer = { address, process: await start({ address, command: (c) => network.world.command(c) }, 'world') };
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop(2000)));
    await network?.destroy();
  });

  it('gives each pod its own address, loopback up, reachable from the host, the world and the other pod', async () => {
    expect(a.address).not.toBe(b.address);
    expect(a.address.startsWith(network.subnet.split('.0.0/')[0])).toBe(true);
    expect(await a.exec(['ip', '-br', 'addr', 'show', 'lo'])).toMatch(/UNKNOWN\s+127\.0\.0\.1\/8/);
    expect(await a.exec(['ip', '-o', '-4', 'addr', 'show', 'eth0'])).toContain(`${a.address}/16`);
    expect(await get(`http://${a.address}:8080/`)).toBe('a');
    expect(await get(`http://${a.address}:8080/fetch?url=http://${b.address}:8080/`)).toBe('ok b');
    expect(await get(`http://${b.address}:8080/fetch?url=http://${worldServer.address}:8080/`)).toBe('ok world');
    // The connection really comes from the pod's address (no NAT, no twin mapping).
    expect(await a.exec(['ip', 'route'])).not.toMatch(/default/);
  });

  it('lets no traffic out of the namespaces: a pod has no route beyond the pod network', async () => {
    expect(await get(`http://${a.address}:8080/fetch?url=http://192.0.2.1:80/`)).toBe('failed ENETUNREACH');
    expect(await network.world.exec(['ip', 'route'])).not.toMatch(/default/);
  });

  it('cuts a pod from one peer (both ways) and heals', async () => {
    await a.setFaults([{ kind: 'cut', peers: [{ address: b.address }] }]);
    expect(await get(`http://${a.address}:8080/fetch?url=http://${b.address}:8080/`)).toBe('failed TimeoutError');
    expect(await get(`http://${b.address}:8080/fetch?url=http://${a.address}:8080/`)).toBe('failed TimeoutError');
    // Everyone else still reaches both.
    expect(await get(`http://${a.address}:8080/`)).toBe('a');
    expect(await get(`http://${a.address}:8080/fetch?url=http://${worldServer.address}:8080/`)).toBe('ok world');
    await a.setFaults([]);
    expect(await get(`http://${a.address}:8080/fetch?url=http://${b.address}:8080/`)).toBe('ok b');
  });

  it('cuts a pod from one server port of the world (the API server) and nothing else', async () => {
    await b.setFaults([{ kind: 'cut', peers: [{ address: worldServer.address, port: 8080 }] }]);
    expect(await get(`http://${b.address}:8080/fetch?url=http://${worldServer.address}:8080/`)).toBe('failed TimeoutError');
    expect(await get(`http://${b.address}:8080/fetch?url=http://${a.address}:8080/`)).toBe('ok a');
    expect(b.faults).toHaveLength(1);
    await b.setFaults([]);
    expect(await get(`http://${b.address}:8080/fetch?url=http://${worldServer.address}:8080/`)).toBe('ok world');
  });

  it('cuts a pod one way only: its packets leave, answers never come back', async () => {
    await a.setFaults([{ kind: 'cut', peers: [{ address: b.address }], direction: 'inbound' }]);
    expect(await get(`http://${a.address}:8080/fetch?url=http://${b.address}:8080/`)).toBe('failed TimeoutError');
    await a.setFaults([]);
  });

  it('isolates a pod from everything but loopback (and the addresses it keeps), then heals', async () => {
    await a.setFaults([{ kind: 'isolate' }]);
    expect(await get(`http://${a.address}:8080/`)).toBe('failed TimeoutError');
    expect(await get(`http://${b.address}:8080/fetch?url=http://${a.address}:8080/`)).toBe('failed TimeoutError');
    // Inside the pod, loopback still works.
    expect(await a.exec([node, '-e', `fetch('http://${a.address}:8080/').then(r => r.text()).then(console.log)`])).toBe('a\n');
    await a.setFaults([{ kind: 'isolate', except: [network.description.hostAddress] }]);
    expect(await get(`http://${a.address}:8080/`)).toBe('a');
    expect(await get(`http://${b.address}:8080/fetch?url=http://${a.address}:8080/`)).toBe('failed TimeoutError');
    await a.setFaults([]);
    expect(await get(`http://${b.address}:8080/fetch?url=http://${a.address}:8080/`)).toBe('ok a');
  });

  it('drops a random share of packets (loss) and none once healed', async () => {
    const send = async (count: number) => {
      const socket = dgram.createSocket('udp4');
      for (let i = 0; i < count; i++) {
        await new Promise<void>((resolve, reject) => socket.send(`d${i}`, 9000, b.address, (error) => (error ? reject(error) : resolve())));
      }
      socket.close();
    };
    const counted = async () => Number(await get(`http://${b.address}:8080/udp`));
    const before = await counted();
    await b.setFaults([{ kind: 'loss', percent: 50 }]);
    await send(400);
    await b.setFaults([]);
    const lossy = (await counted()) - before;
    // 400 datagrams at 50 % loss: the received count is binomial(400, 0.5), 200 ± 10.
    expect(lossy).toBeGreaterThan(140);
    expect(lossy).toBeLessThan(260);
    await send(100);
    await waitUntil(async () => ((await counted()) - before - lossy === 100 ? true : undefined), { what: '100 of 100 datagrams', timeoutMs: 5000 });
  });

  it('refuses a fault it cannot express instead of applying half of it', async () => {
    await expect(a.setFaults([{ kind: 'cut', peers: [{ address: '10.0.0.1; flush ruleset' }] }])).rejects.toThrow(/not an IPv4 address/);
    await expect(a.setFaults([{ kind: 'loss', percent: 0.5 }])).rejects.toThrow(/whole percentage/);
    expect(await get(`http://${a.address}:8080/fetch?url=http://${b.address}:8080/`)).toBe('ok b');
  });

  it('keeps the MAC behind the world\'s addresses while pods come and go (no stale ARP entries)', async () => {
    const bridgeMac = async () => (await network.world.exec(['ip', '-br', 'link', 'show', 'br0'])).split(/\s+/)[2];
    const before = await bridgeMac();
    const pods = [await network.addPod('x'), await network.addPod('y')];
    expect(await bridgeMac()).toBe(before);
    for (const pod of pods) await pod.remove();
    expect(await bridgeMac()).toBe(before);
    expect(await get(`http://${b.address}:8080/fetch?url=http://${worldServer.address}:8080/`)).toBe('ok world');
  });

  it('removes every namespace and veth it created', async () => {
    const extra = await network.addPod('extra');
    expect((await runTool('ip', ['netns', 'list'])).stdout).toContain(extra.name);
    await extra.remove();
    expect((await runTool('ip', ['netns', 'list'])).stdout).not.toContain(extra.name);
    expect(await network.world.exec(['ip', '-br', 'link'])).not.toContain(`p${extra.name.split('-').slice(-2).join('-')}`);
  });
});

describe('pod network clean-up', () => {
  it('leaves no namespace and no host veth behind after destroy()', async () => {
    const network = await createPodNetwork();
    const pod = await network.addPod('p');
    const { world } = network.description;
    await network.destroy();
    const namespaces = (await runTool('ip', ['netns', 'list'])).stdout;
    expect(namespaces).not.toContain(world);
    expect(namespaces).not.toContain(pod.name);
    expect((await runTool('ip', ['-br', 'link'])).stdout).not.toMatch(new RegExp(`^${world.split('-')[0]}h[@ ]`, 'm'));
  });
});
