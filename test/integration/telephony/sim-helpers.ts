// Starts an in-process simulator (the same code `ors sim` runs) with its control API.
import { TelephonySimulator } from '../../../runtime/sim/telephony-simulator.ts';
import { simControlApi } from '../../../runtime/sim/sim-control-api.ts';
import { SimConfigSchema } from '../../../runtime/sim/sim-config.ts';
import type { SimConfigInput } from '../../../runtime/sim/sim-config.ts';
import { testLogger } from '../../support/voice-test-cluster.ts';

// Test code reads JSON answers loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function startSim(input: SimConfigInput): Promise<{ sim: TelephonySimulator; url: string; httpUrl: string; api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }> }> {
  const config = SimConfigSchema.parse(input);
  const sim = new TelephonySimulator(config, testLogger().child({ component: 'sim' }));
  sim.handleHttp(simControlApi(sim, config.routingPoints.map((r) => r.dn)));
  const { url, httpUrl } = await sim.listen();
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${httpUrl}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
    return { status: res.status, body: await res.json() };
  };
  return { sim, url, httpUrl, api };
}
