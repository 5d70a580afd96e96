// Watches every pod's /heartbeat (on its own address, not through the Ingress) every
// 100 ms and records, per node, which pods answer 200 and with which epoch. Two pods of
// one node answering 200 in the same round is the split brain fencing must prevent.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessNode } from '../process-node/process-node.ts';

export interface DoublePrimary {
  at: string;
  node: string;
  pods: string[];
  epochs: number[];
}

function heartbeat(address: string, port: number): Promise<{ status: number; epoch?: number } | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ host: address, port, path: '/heartbeat', timeout: 300, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        let epoch: number | undefined;
        try {
          epoch = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { epoch?: number }).epoch;
        } catch {
          epoch = undefined;
        }
        resolve({ status: response.statusCode ?? 0, epoch });
      });
      response.on('error', () => resolve(undefined));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

export class ServingPrimaryMonitor {
  readonly doublePrimaries: DoublePrimary[] = [];
  rounds = 0;
  /** Highest epoch seen serving, per node: an older epoch serving later is also a violation. */
  readonly staleEpochServing: DoublePrimary[] = [];
  private readonly highest = new Map<string, number>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(processNode: ProcessNode, cluster: string, httpPort: number) {
    this.loop = (async () => {
      while (this.running) {
        const runners = processNode.allRunners().filter((r) => r.pid !== undefined);
        const answers = await Promise.all(runners.map(async (r) => ({ runner: r, answer: await heartbeat(r.podIP, httpPort) })));
        const serving = new Map<string, { pod: string; epoch: number }[]>();
        for (const { runner, answer } of answers) {
          const node = new RegExp(`^${cluster}-(node-\\d+)-\\d+$`).exec(runner.name)?.[1];
          if (!node || answer?.status !== 200) continue;
          serving.set(node, [...(serving.get(node) ?? []), { pod: runner.name, epoch: answer.epoch ?? -1 }]);
        }
        const at = new Date().toISOString();
        for (const [node, pods] of serving) {
          if (pods.length > 1) this.doublePrimaries.push({ at, node, pods: pods.map((p) => p.pod), epochs: pods.map((p) => p.epoch) });
          for (const p of pods) {
            const highest = this.highest.get(node) ?? 0;
            if (p.epoch < highest) this.staleEpochServing.push({ at, node, pods: [p.pod], epochs: [p.epoch, highest] });
            else this.highest.set(node, p.epoch);
          }
        }
        this.rounds++;
        await sleep(100);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
