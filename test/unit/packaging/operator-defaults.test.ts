// `ors operator --help` shows the same defaults the chart runs it with, so what a reader
// of either sees is what a default install does.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { operatorCommand } from '../../../operator/cli/operator-command.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const values = parse(readFileSync(path.join(root, 'charts/ors-operator/values.yaml'), 'utf8')) as {
  operator: { workers: number; logLevel: string; metricsPort: number; leaderElection: { leaseDuration: number; renewDeadline: number; retryPeriod: number } };
};

describe('ors operator defaults', () => {
  it('match the chart\'s values', () => {
    const defaults = Object.fromEntries(operatorCommand().options.map((o) => [o.long, o.defaultValue]));
    expect({
      workers: defaults['--workers'],
      logLevel: defaults['--log-level'],
      metricsPort: Number(String(defaults['--metrics-bind-address']).split(':').at(-1)),
      leaderElection: { leaseDuration: defaults['--lease-duration'], renewDeadline: defaults['--renew-deadline'], retryPeriod: defaults['--retry-period'] },
    }).toEqual({
      workers: values.operator.workers,
      logLevel: values.operator.logLevel,
      metricsPort: values.operator.metricsPort,
      leaderElection: values.operator.leaderElection,
    });
  });
});
