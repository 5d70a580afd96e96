// vitest global setup for the integration project: gives the run a folder where the first
// test file that needs Cassandra starts one shared server (shared-cassandra.ts), and stops
// that server when the run ends. Runs that need no Cassandra pay nothing.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopSharedCassandra } from './shared-cassandra.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    cassandraRunDir: string;
  }
}

export default function setup(project: TestProject): () => Promise<void> {
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'ors-cassandra-run-'));
  // The shared server's watchdog stops it if this process dies without its teardown.
  writeFileSync(path.join(runDir, 'owner.pid'), String(process.pid));
  project.provide('cassandraRunDir', runDir);
  return () => stopSharedCassandra(runDir);
}
