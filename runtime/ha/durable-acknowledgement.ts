// When a persisted session's state counts as durable, so that the runtime may answer the
// request that produced it: as soon as either the session store has applied the snapshot
// or the backup has acknowledged it over the sync port (hot standby). Both survive the
// death of this process; waiting for the faster one keeps requests answered through a
// store outage (the backup confirms) and through a backup restart (the store confirms).
//
// A StaleEpochError from the store is final even if the backup has not answered yet: a
// newer primary has fenced the node, so this process no longer owns the session and must
// not acknowledge anything more for it. Any other store failure (a full backlog, a closed
// store) leaves the answer to the backup; if neither ever confirms, the promise stays
// pending and the caller's own deadline answers the client (503, retry).
import { StaleEpochError } from '../store/session-store.ts';

//
// A store inside this process (persistence none: the memory store) dies with it, so while a
// backup is connected only the backup's confirmation counts (`storeInProcess`): should the
// backup go away before it confirms, nothing outside this process has the state, so the
// caller's deadline answers 503 not-durable and the client retries. Without a backup the
// store's answer is all there is.
export function firstDurable(stored: Promise<void>, replicated: Promise<void> | undefined, storeInProcess = false): Promise<void> {
  if (storeInProcess && replicated !== undefined) {
    // The store still fences: a refused write (a newer primary) is final.
    return new Promise<void>((resolve, reject) => {
      stored.catch((error: unknown) => {
        if (error instanceof StaleEpochError) reject(error);
      });
      void replicated.then(resolve);
    });
  }
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const succeed = () => {
      settled = true;
      resolve();
    };
    stored.then(succeed, (error: unknown) => {
      if (settled) return;
      if (error instanceof StaleEpochError || replicated === undefined) {
        settled = true;
        reject(error);
      }
    });
    // A backup's confirmation never rejects: it comes, or the connection goes away and
    // the store's answer decides.
    void replicated?.then(succeed);
  });
}
