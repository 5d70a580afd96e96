// Pure parts of the HAProxy helper: the config preamble every test instance gets, and
// the parsing of the runtime API's `show stat` answer.

/**
 * `global` and `defaults` sections: logs to stdout (the process log file), a runtime
 * API socket at `adminSocket`, HTTP mode and short timeouts. The caller's frontends and
 * backends follow.
 */
export function haproxyConfig(options: { adminSocket: string; sections: string }): string {
  return [
    'global',
    '  log stdout format raw local0 info',
    `  stats socket ${options.adminSocket} mode 600 level admin expose-fd listeners`,
    '',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout check 2s',
    '',
    options.sections.trim(),
    '',
  ].join('\n');
}

export interface HaproxyServerState {
  backend: string;
  server: string;
  /** UP, DOWN, MAINT, DRAIN, "UP 1/3" (going down), "no check", ... */
  status: string;
}

/** The servers' rows of `show stat` (CSV with a `# pxname,svname,...` header). */
export function parseShowStat(csv: string): HaproxyServerState[] {
  const lines = csv.split('\n').filter((line) => line.trim() !== '');
  const header = lines.shift();
  if (!header?.startsWith('# ')) throw new Error(`unexpected show stat answer: ${csv.slice(0, 200)}`);
  const columns = header.slice(2).split(',');
  const backendColumn = columns.indexOf('pxname');
  const serverColumn = columns.indexOf('svname');
  const statusColumn = columns.indexOf('status');
  return lines
    .map((line) => line.split(','))
    .filter((fields) => fields[serverColumn] !== 'FRONTEND' && fields[serverColumn] !== 'BACKEND')
    .map((fields) => ({ backend: fields[backendColumn], server: fields[serverColumn], status: fields[statusColumn] }));
}
