// Client load for the rollout and chaos scenarios: sessions of the counter strategy,
// each driven by its own loop (start, then "inc" events and "get" requests through the
// Ingress). A request that fails (connection error, 5xx, 404 for a session that should
// exist) is retried; it counts as failed only if the answer after the allowed retries
// is still wrong. The expected count is what the client knows was acknowledged, so a
// "get" answer below it means events were rolled back to an earlier persisted point.
import { setTimeout as sleep } from 'node:timers/promises';
import type { OrsAnswer, OrsIngressClient } from './ors-ingress-client.ts';
import { COUNTER_STRATEGY } from './ors-cluster-manifest.ts';

export interface LoadFigures {
  sessionsStarted: number;
  requests: number;
  /** Requests that needed at least one retry. */
  retried: number;
  /** Requests without a correct answer after every retry. */
  failed: number;
  /** Sessions that vanished: no correct answer for them after the retries. */
  lost: number;
  /** Answers whose count was below the acknowledged events (rolled back to an earlier persisted point). */
  rolledBack: number;
  failures: string[];
}

export interface LoadOptions {
  sessions: number;
  /** Retries of one request, and the pause before each. */
  retries: number;
  retryDelayMs: number;
  /** Pause between a session's requests. */
  thinkMs: number;
  /** Requests a session gets before its loop starts the next one (40 by default). */
  requestsPerSession?: number;
}

export class RetryingLoad {
  readonly figures: LoadFigures = { sessionsStarted: 0, requests: 0, retried: 0, failed: 0, lost: 0, rolledBack: 0, failures: [] };
  private readonly client: OrsIngressClient;
  private readonly options: LoadOptions;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(client: OrsIngressClient, options: LoadOptions) {
    this.client = client;
    this.options = options;
  }

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.options.sessions }, (_, i) => this.sessionLoop(i));
  }

  async stop(): Promise<LoadFigures> {
    this.running = false;
    await Promise.all(this.loops);
    return this.figures;
  }

  /** Runs `send` until `correct` holds, with the allowed retries. */
  private async attempt(what: string, send: () => Promise<OrsAnswer>, correct: (a: OrsAnswer) => boolean): Promise<OrsAnswer | undefined> {
    this.figures.requests++;
    let last = '';
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) {
        if (attempt === 1) this.figures.retried++;
        await sleep(this.options.retryDelayMs);
      }
      try {
        const answer = await send();
        if (correct(answer)) return answer;
        last = `${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
      } catch (error) {
        last = (error as Error).message;
      }
    }
    this.figures.failed++;
    this.figures.failures.push(`${new Date().toISOString()} ${what}: ${last}`);
    return undefined;
  }

  private async sessionLoop(index: number): Promise<void> {
    while (this.running) {
      const started = await this.attempt(`start #${index}`, () => this.client.startSession(COUNTER_STRATEGY), (a) => a.status === 200 && typeof a.body.sessionid === 'string');
      if (!started) continue;
      this.figures.sessionsStarted++;
      const id = String(started.body.sessionid);
      let acknowledged = 0;
      // Each session lives for a few dozen requests, then the loop starts a new one.
      const steps = this.options.requestsPerSession ?? 40;
      for (let step = 0; step < steps && this.running; step++) {
        if (step % 4 === 3) {
          const got = await this.attempt(`get ${id}`, () => this.client.ask(id, 'get'), (a) => a.status === 200 && typeof a.body.count === 'number');
          if (!got) {
            this.figures.lost++;
            break;
          }
          const count = got.body.count as number;
          if (count < acknowledged) {
            this.figures.rolledBack++;
            this.figures.failures.push(`${new Date().toISOString()} ${id}: count ${count} after ${acknowledged} acknowledged events`);
          }
          acknowledged = count;
        } else {
          const sent = await this.attempt(`inc ${id}`, () => this.client.sendEvent(id, 'inc'), (a) => a.status === 200);
          if (!sent) {
            this.figures.lost++;
            break;
          }
          acknowledged++;
        }
        await sleep(this.options.thinkMs);
      }
    }
  }
}
