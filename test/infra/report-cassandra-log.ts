// A setupFile of the integration project: when a test fails and the run's shared Cassandra
// was started, print the tail of its log next to the failure.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, inject } from 'vitest';

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    const runDir = inject('cassandraRunDir');
    const file = runDir && path.join(runDir, 'server.json');
    if (!file || !existsSync(file)) return;
    const { logFile } = JSON.parse(readFileSync(file, 'utf8')) as { logFile: string };
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n') : '(no log yet)';
    console.error(`shared Cassandra log (${logFile}), last 40 lines:\n${tail}`);
  });
});
