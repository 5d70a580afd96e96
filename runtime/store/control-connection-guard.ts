// A guard around a cassandra-driver (4.10) defect that crashed runtimes during Cassandra
// outages. The driver's ControlConnection can run two refreshes at once: a reconnection it
// scheduled with setTimeout, and one its 'socketClose'/'down' listeners start. Each refresh
// begins by setting `connection = null`; the older one then reaches _setHealthListeners
// with that null and throws "Cannot read properties of null (reading 'once')" from a
// promise nobody awaits (NODEJS-681, apache/cassandra-nodejs-driver#430 and #462). Node
// turns that unhandled rejection into an exit, so a primary holding hundreds of sessions
// died because Cassandra restarted.
//
// The guard wraps the client's own ControlConnection._refresh: a top-level refresh that
// fails is logged instead of rejecting into the void, and when no other refresh is running
// (the one that reset the connection would otherwise carry on) another is scheduled, as
// the driver does after a failed attempt. Retries inside a refresh (called with the host
// iterator) pass through untouched: their caller handles them.

/** The part of the driver's ControlConnection the guard touches (internal in 4.10). */
export interface RefreshingControlConnection {
  _refresh(hostIterator?: unknown): Promise<void>;
}

export interface ControlConnectionGuardOptions {
  log: (message: string, details: Record<string, unknown>) => void;
  /** Pause before the replacement refresh. */
  retryDelayMs: number;
  schedule?: (run: () => void, delayMs: number) => void;
}

export function guardControlConnectionRefresh(connection: RefreshingControlConnection, options: ControlConnectionGuardOptions): void {
  const refresh = connection._refresh.bind(connection);
  const schedule = options.schedule ?? ((run, delayMs) => setTimeout(run, delayMs).unref());
  let running = 0;
  connection._refresh = (hostIterator?: unknown): Promise<void> => {
    if (hostIterator !== undefined) return refresh(hostIterator);
    running++;
    return refresh()
      .catch((error: unknown) => {
        const othersRunning = running > 1;
        options.log('Cassandra control connection refresh failed', { err: String(error), othersRunning });
        if (!othersRunning) schedule(() => void connection._refresh(), options.retryDelayMs);
      })
      .finally(() => {
        running--;
      });
  };
}

/** The ControlConnection of a cassandra-driver Client (a non-enumerable internal property in 4.10). */
export function controlConnectionOf(client: object): RefreshingControlConnection {
  const connection = (client as { controlConnection?: RefreshingControlConnection }).controlConnection;
  if (!connection || typeof connection._refresh !== 'function') {
    throw new Error('cassandra-driver: Client.controlConnection._refresh not found (driver internals changed; review runtime/store/control-connection-guard.ts)');
  }
  return connection;
}
