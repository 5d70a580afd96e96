// ORS restarts sessions after a switchover in groups: `session-processing-threads`
// sessions, then a pause of `session-restart-timeout` ms, and so on.
export interface RestartBatch {
  from: number;
  to: number;
}

export function planRestartBatches(count: number, perBatch: number): RestartBatch[] {
  const size = Math.max(1, Math.floor(perBatch));
  const batches: RestartBatch[] = [];
  for (let from = 0; from < count; from += size) batches.push({ from, to: Math.min(count, from + size) });
  return batches;
}
