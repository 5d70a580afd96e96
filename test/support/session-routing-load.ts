// Clients of a load balancer in front of an ORS cluster, as a user of the load-balancing
// guide runs them: start a session, keep its ORSSESSIONID cookie, send its requests to
// the same front. Each session request is classified by where the balancer sent it:
// straight to the owning node (direct), to another node that answered 307 (redirected,
// then followed), or not served at all (failed). Bounded in count and time; loopback only.
import { setTimeout as sleep } from 'node:timers/promises';

export interface RoutingTally {
  direct: number;
  redirected: number;
  failed: number;
  /** When each failure happened (Date.now()), and what it was. */
  failures: { at: number; session: string; what: string }[];
  /** The first 307 of each redirected request: where to, and the runtime's reason. */
  redirects: { at: number; session: string; what: string }[];
}

export const emptyTally = (): RoutingTally => ({ direct: 0, redirected: 0, failed: 0, failures: [], redirects: [] });

export interface SessionHandle {
  id: string;
  cookie: string;
}

const MAX_REDIRECTS = 3;

async function send(url: string, init: RequestInit): Promise<{ status: number; location?: string; body: string }> {
  const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(5000) });
  return { status: response.status, location: response.headers.get('location') ?? undefined, body: await response.text() };
}

/**
 * Starts a session through the front, following 307s and retrying a 503 a few times as a
 * client told "retry" would: a start is not a session request (it has no owner yet), and
 * on a loaded machine a primary may step down for a moment.
 */
export async function startSession(frontUrl: string, strategy: string): Promise<SessionHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSessionOnce(frontUrl, strategy);
    } catch (error) {
      if (attempt >= 10 || !(error instanceof StartRefused)) throw error;
      await sleep(200);
    }
  }
}

class StartRefused extends Error {}

async function startSessionOnce(frontUrl: string, strategy: string): Promise<SessionHandle> {
  let url = `${frontUrl}/scxml/session/start`;
  const hops: string[] = [];
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const answer = await send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `src=${encodeURIComponent(strategy)}`,
    });
    if (answer.status === 307 && answer.location) {
      url = new URL(answer.location, url).href;
      hops.push(`307 ${url} ${answer.body.slice(0, 120)}`);
      continue;
    }
    if (answer.status === 503) throw new StartRefused(`session start through ${frontUrl}: ${answer.status} ${answer.body}`);
    if (answer.status !== 200) throw new Error(`session start through ${frontUrl}: ${answer.status} ${answer.body}`);
    const id = String((JSON.parse(answer.body) as { sessionid: string }).sessionid);
    return { id, cookie: `ORSSESSIONID=${id}` };
  }
  throw new StartRefused(`session start through ${frontUrl}: more than ${MAX_REDIRECTS} redirects: ${hops.join('; ')}`);
}

/** The n-th request of a session: events and queries in turn (all must answer 200). */
function sessionRequest(frontUrl: string, session: SessionHandle, n: number): { url: string; init: RequestInit } {
  const base = `${frontUrl}/scxml/session/${session.id}`;
  return n % 2 === 0
    ? { url: `${base}/event/go`, init: { method: 'POST', headers: { cookie: session.cookie } } }
    : { url: `${base}/query`, init: { method: 'GET', headers: { cookie: session.cookie } } };
}

/** Sends one session request and adds its outcome to `tally`. */
export async function sendSessionRequest(frontUrl: string, session: SessionHandle, n: number, tally: RoutingTally): Promise<void> {
  let { url } = sessionRequest(frontUrl, session, n);
  const { init } = sessionRequest(frontUrl, session, n);
  let redirected = false;
  const fail = (what: string) => {
    tally.failed++;
    tally.failures.push({ at: Date.now(), session: session.id, what });
  };
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const answer = await send(url, init);
      if (answer.status === 307 && answer.location) {
        if (!redirected) tally.redirects.push({ at: Date.now(), session: session.id, what: `${answer.location} ${answer.body.slice(0, 200)}` });
        redirected = true;
        url = new URL(answer.location, url).href;
        continue;
      }
      if (answer.status !== 200) return fail(`${answer.status} ${answer.body.slice(0, 200)}`);
      if (redirected) tally.redirected++;
      else tally.direct++;
      return;
    }
    fail(`more than ${MAX_REDIRECTS} redirects`);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

/**
 * `sessions` sessions x `requestsPerSession` requests through `frontUrl`, `concurrency`
 * sessions at a time. Session starts are not counted (a new session has no owner yet).
 */
export async function measureSessionRouting(
  frontUrl: string,
  options: { strategy: string; sessions: number; requestsPerSession: number; concurrency: number },
): Promise<RoutingTally> {
  const tally = emptyTally();
  let next = 0;
  const worker = async () => {
    while (next < options.sessions) {
      next++;
      const session = await startSession(frontUrl, options.strategy);
      for (let n = 0; n < options.requestsPerSession; n++) await sendSessionRequest(frontUrl, session, n, tally);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return tally;
}

/** Keeps sending the sessions' requests in turn, a round every `pauseMs`, until `until()` returns true. */
export async function keepSending(
  frontUrl: string,
  sessions: readonly SessionHandle[],
  options: { pauseMs: number; until: () => boolean },
): Promise<RoutingTally & { sent: number }> {
  const tally = emptyTally();
  let sent = 0;
  while (!options.until()) {
    await Promise.all(sessions.map((s) => sendSessionRequest(frontUrl, s, sent, tally)));
    sent++;
    await sleep(options.pauseMs);
  }
  return { ...tally, sent: sent * sessions.length };
}
