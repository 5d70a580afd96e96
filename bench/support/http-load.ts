// A bounded load generator: `concurrency` keep-alive connections each sending requests
// back to back until `total` requests were sent or `maxMs` passed. Loopback only.
import http from 'node:http';
import { summarize } from '../../runtime/sim/latency-summary.ts';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<number, number>;
}

export interface LoadOptions {
  url: string;
  /** Path of each request (may vary by index). */
  path: (i: number) => string;
  method?: string;
  body?: (i: number) => string;
  contentType?: string;
  /** Sent with every request (e.g. Authorization). */
  headers?: Record<string, string>;
  concurrency: number;
  total: number;
  maxMs: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let sent = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.maxMs;

  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const body = options.body?.(i);
      const t0 = performance.now();
      const req = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: options.method ?? 'POST',
          path: options.path(i),
          headers: {
            ...options.headers,
            ...(body === undefined ? {} : { 'content-type': options.contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - t0);
            statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });

  const worker = async () => {
    while (sent < options.total && performance.now() < deadline) {
      await one(sent++);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const latency = summarize(latencies);
  return {
    requests: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: latency.p50 ?? NaN,
    p99Ms: latency.p99 ?? NaN,
    statuses,
  };
}
