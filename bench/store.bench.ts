// Persisted session snapshots per second and p99 write latency of the Cassandra session
// store on the single-node test Cassandra, next to the file store (the embedded default)
// in the same run. Same workload for both: 200 sessions, each saved again and again with a
// rising version (a session reaching a stable point), 32 saves in flight, ~2 KB snapshots.
// Every Cassandra save is a lightweight transaction (Paxos) fenced by the lease epoch.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { summarize } from '../runtime/sim/latency-summary.ts';
import { CassandraSessionStore } from '../runtime/store/cassandra-store.ts';
import { FileSessionStore } from '../runtime/store/file-session-store.ts';
import type { SessionStore, StoredSession } from '../runtime/store/session-store.ts';
import { CassandraServer } from '../test/infra/cassandra.ts';
import type { BenchFigure, BenchSuite } from './figure.ts';

const SESSIONS = 200;
const IN_FLIGHT = 32;
const WARMUP_SAVES = 400;
const MEASURED_SAVES = 4000;

function snapshotOf(session: number, version: number): unknown {
  return {
    configuration: ['routing', 'waitingForAgent'],
    datamodel: {
      session,
      version,
      caller: { ani: '5551234567', dnis: '8005550100', language: 'en' },
      history: Array.from({ length: 24 }, (_, i) => ({ step: i, target: `queue-${i % 5}`, at: 1_700_000_000_000 + i })),
    },
  };
}

interface Measured {
  perSecond: number;
  p99Ms: number;
  p50Ms: number;
}

async function drive(store: SessionStore, saves: number, firstVersion: number): Promise<Measured> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  async function worker(): Promise<void> {
    while (next < saves) {
      const i = next++;
      const sessionIndex = i % SESSIONS;
      const session: StoredSession = {
        sessionId: `bench-session-${sessionIndex}`,
        nodeId: 'node-0',
        epoch: 1,
        version: firstVersion + Math.floor(i / SESSIONS),
        savedAt: Date.now(),
        interactionId: `call-${sessionIndex}`,
        src: 'file:///strategies/route.scxml',
        snapshot: snapshotOf(sessionIndex, i),
      };
      const t0 = performance.now();
      await store.save(session);
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - started) / 1000;
  const latency = summarize(latencies);
  return {
    perSecond: saves / seconds,
    p99Ms: latency.p99 ?? NaN,
    p50Ms: latency.p50 ?? NaN,
  };
}

async function measure(store: SessionStore): Promise<Measured> {
  await store.open();
  try {
    await drive(store, WARMUP_SAVES, 1);
    return await drive(store, MEASURED_SAVES, 1 + Math.ceil(WARMUP_SAVES / SESSIONS));
  } finally {
    await store.close();
  }
}

const suite: BenchSuite = {
  title: 'Session store: Cassandra (single node) vs file store',
  async run(): Promise<BenchFigure[]> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-store-bench-'));
    const server = new CassandraServer();
    try {
      const file = await measure(new FileSessionStore({ directory: dir }));
      const endpoint = await server.start();
      const cassandra = await measure(
        new CassandraSessionStore({
          contactPoints: [endpoint.contactPoint],
          localDataCenter: endpoint.localDataCenter,
          keyspace: 'ors_bench',
          replication: { class: 'NetworkTopologyStrategy', dataCenters: { [endpoint.localDataCenter]: 1 } },
        }),
      );
      const workload = `${SESSIONS} sessions, ${IN_FLIGHT} in flight, ${MEASURED_SAVES} saves`;
      return [
        {
          name: `Cassandra store: persisted snapshots/s (${workload})`,
          value: cassandra.perSecond,
          unit: 'snapshots/s',
          better: 'higher',
          baseline: { name: 'file store, same workload', value: file.perSecond },
        },
        {
          name: 'Cassandra store: p99 save latency',
          value: cassandra.p99Ms,
          unit: 'ms',
          better: 'lower',
          baseline: { name: 'file store p99', value: file.p99Ms },
        },
        {
          name: 'Cassandra store: p50 save latency',
          value: cassandra.p50Ms,
          unit: 'ms',
          better: 'lower',
          baseline: { name: 'file store p50', value: file.p50Ms },
        },
      ];
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
export default suite;
