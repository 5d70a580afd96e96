// `ors sim` with the two example voice strategies (5000 persisted, 5001 restarted on
// switchover) and a one-node `ors local` that follows it: the setup of the voice failover
// tests that drive the local cluster's processes through its control input.
import path from 'node:path';
import { simAddresses, simRequest, spawnOrs } from './ors-processes.ts';
import type { OrsProcess } from './ors-processes.ts';
import { waitFor } from './voice-test-cluster.ts';

const strategies = path.resolve(import.meta.dirname, '../../examples/strategies');

export interface VoiceLocalCluster {
  sim: OrsProcess;
  local: OrsProcess;
  /** The sim's control API. */
  httpUrl: string;
}

/** Starts both and waits for the two runtime processes to connect, one of them primary. `localArgs` go to `ors local` before its runtime flags. */
export async function startVoiceLocalCluster(dataDir: string, localArgs: string[] = []): Promise<VoiceLocalCluster> {
  const sim = spawnOrs([
    'sim', '--port', '0',
    '--routing-point', '5000=voice-treat-route-persisted.scxml',
    '--routing-point', '5001=voice-treat-route.scxml',
    '--log-level', 'warn',
  ]);
  const addresses = await simAddresses(sim);
  const local = spawnOrs(
    ['local', '--nodes', '1', '--port', '0', '--data-dir', dataDir, '--strategies-dir', strategies, ...localArgs, '--',
      '--telephony-url', addresses.telephonyUrl, '--restart-session-on-switchover', 'true', '--log-level', 'info'],
    { stdin: true },
  );
  await local.line(/front \(HAProxy\): (\S+)/, 60_000);
  const connections = async () => (await simRequest<{ role: string }[]>(addresses.controlUrl, 'GET', '/connections')).body;
  await waitFor(async () => (await connections()).length === 2, 60_000, 'both runtime processes to connect');
  await waitFor(async () => (await connections()).filter((c) => c.role === 'primary').length === 1, 30_000, 'a primary');
  return { sim, local, httpUrl: addresses.controlUrl };
}
