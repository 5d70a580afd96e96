// Where a test server runs: the address it listens on and how its command line is
// started there. On loopback of the host by default; in the pod network's world
// namespace, a bridge address of its own and `nsenter --net=<world>` (which execs the
// server, so the pid a helper holds is the server's).

export interface Placement {
  /** The address the server binds and clients connect to. */
  address: string;
  /** The argv that starts `argv` where the server runs. */
  command(argv: readonly string[]): string[];
}

export const LOOPBACK: Placement = { address: '127.0.0.1', command: (argv) => [...argv] };
