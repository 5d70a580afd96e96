import { Command, InvalidArgumentError, Option } from 'commander';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

export function operatorCommand(): Command {
  const command = new Command('operator');
  return command
    .description('run the operator that reconciles OrsCluster resources (leader-elected; /metrics, /healthz, /readyz, /status)')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--watch-namespace <ns>', 'reconcile only OrsClusters in this namespace (default: all namespaces)')
    .option('--lease-namespace <ns>', 'namespace of the operator\'s leader-election Lease', process.env.POD_NAMESPACE ?? 'default')
    .option('--lease-name <name>', 'name of the leader-election Lease', 'ors-operator')
    .option('--identity <id>', 'leader-election identity (default: <hostname>-<pid>)')
    .option('--metrics-bind-address <host:port>', 'where /metrics, /healthz, /readyz and the status page (/status, /status.json) listen (port 0: any free port)', '0.0.0.0:8080')
    .addOption(new Option('--metrics-auth <mode>', 'who may read /metrics and the status page: anyone (none), or a bearer token that TokenReview accepts and SubjectAccessReview lets get the path (kubernetes); /healthz and /readyz stay open').choices(['none', 'kubernetes']).default('none'))
    .option('--workers <n>', 'OrsClusters reconciled in parallel', positiveInt, 4)
    .option('--lease-duration <s>', 'leader-election lease duration (seconds)', positiveInt, 15)
    .option('--renew-deadline <s>', 'leader-election renew deadline (seconds)', positiveInt, 10)
    .option('--retry-period <s>', 'leader-election retry period (seconds)', positiveInt, 2)
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (opts: {
      kubeconfig?: string; watchNamespace?: string; leaseNamespace: string; leaseName: string; identity?: string; metricsBindAddress: string; metricsAuth: 'none' | 'kubernetes';
      workers: number; leaseDuration: number; renewDeadline: number; retryPeriod: number; logLevel: string;
    }) => {
      // client-go's rules: a leader must give up (renewDeadline) before its Lease can expire
      // for the others (leaseDuration), and retry at least once within the deadline.
      if (!(opts.renewDeadline < opts.leaseDuration)) {
        return command.error(`error: --renew-deadline (${opts.renewDeadline}) must be less than --lease-duration (${opts.leaseDuration})`);
      }
      if (!(opts.retryPeriod < opts.renewDeadline)) {
        return command.error(`error: --retry-period (${opts.retryPeriod}) must be less than --renew-deadline (${opts.renewDeadline})`);
      }
      const at = opts.metricsBindAddress.lastIndexOf(':');
      const port = Number(opts.metricsBindAddress.slice(at + 1));
      if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
        return command.error(`error: --metrics-bind-address must be host:port, got "${opts.metricsBindAddress}"`);
      }
      const { runOperator } = await import('../controller/run-operator.ts');
      const operator = await runOperator({
        ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
        ...(opts.watchNamespace ? { watchNamespace: opts.watchNamespace } : {}),
        leaseNamespace: opts.leaseNamespace,
        leaseName: opts.leaseName,
        ...(opts.identity ? { identity: opts.identity } : {}),
        metricsHost: opts.metricsBindAddress.slice(0, at),
        metricsPort: port,
        metricsAuth: opts.metricsAuth,
        workers: Math.max(1, opts.workers),
        leaseDurationSeconds: opts.leaseDuration,
        renewDeadlineSeconds: opts.renewDeadline,
        retryPeriodSeconds: opts.retryPeriod,
        logLevel: opts.logLevel,
      });
      const shutdown = () => {
        operator.stop().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}
