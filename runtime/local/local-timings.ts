// `ors local`'s default leader-election timings (file leases). A file-lease renewal is a
// read plus a compare-and-swap write with two fsyncs; on a busy shared disk one takes up
// to ~1 s (measured at load 14 on 2 cores), and the renew deadline must cover two of them
// back to back plus timer lag, with room for a lost race against a backup's annotation
// patch: 2 s was not enough. A kill -9 does not wait for these: the backup proves the
// crash and takes over at once (runtime/ha/FAILOVER.md); they bound only a frozen or cut-off
// primary's failover.
export const LOCAL_ELECTION_TIMINGS = { leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 500 } as const;
