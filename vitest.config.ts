import { defineConfig } from 'vitest/config';

// Both server projects share ONE control plane per run (test/infra/global-setup.ts
// starts it once even though both projects list it, and only when they have tests
// queued) and one Cassandra, started lazily by the first test that asks for it
// (test/infra/cassandra-global-setup.ts); a failing test prints the servers' log tails.
const realServers = {
  globalSetup: ['test/infra/global-setup.ts', 'test/infra/cassandra-global-setup.ts'],
  setupFiles: ['test/infra/report-server-logs.ts', 'test/infra/report-cassandra-log.ts'],
};

// Three projects: `unit` needs no servers; `integration` and `e2e` talk to the real
// servers that test/infra builds (kube-apiserver, etcd, Cassandra, HAProxy).
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          ...realServers,
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          ...realServers,
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
