// An ORS REST client that reaches the cluster through the Ingress stand-in, as a client
// on the internet would: every request goes to the HAProxy address with the Host header
// of the URL it means (the cluster host, or node-<i>.<host> after a 307), keeps the
// ORSSESSIONID cookie, and follows 307s itself (recording them), with the cluster's bearer
// token on every hop (the operator's <cluster>-api-tokens Secret: see apiTokenOf).
import http from 'node:http';

export interface OrsAnswer {
  status: number;
  body: Record<string, unknown>;
  /** Locations of the 307s followed, in order. */
  redirects: string[];
}

export class OrsIngressClient {
  private readonly ingress: URL;
  readonly host: string;
  private readonly agent: http.Agent | false;
  private token: string | undefined;
  private readonly tokenSource: (() => Promise<string>) | undefined;

  /**
   * `agent`: a keep-alive agent for load (hundreds of requests a second on fresh
   * connections would fill the ephemeral ports with TIME_WAIT); a connection per request
   * by default.
   */
  /** `token`: the bearer token, or where to get it once it exists (read at the first request). */
  constructor(ingressUrl: string, host: string, options: { agent?: http.Agent; token?: string | (() => Promise<string>) } = {}) {
    this.ingress = new URL(ingressUrl);
    this.host = host;
    this.agent = options.agent ?? false;
    if (typeof options.token === 'function') this.tokenSource = options.token;
    else this.token = options.token;
  }

  async request(method: string, pathAndQuery: string, options: { form?: Record<string, string>; cookie?: string; timeoutMs?: number } = {}): Promise<OrsAnswer> {
    let host = this.host;
    let target = pathAndQuery;
    const redirects: string[] = [];
    if (this.token === undefined && this.tokenSource) this.token = await this.tokenSource();
    for (let hop = 0; ; hop++) {
      const answer = await this.once(method, host, target, options);
      if (answer.status !== 307 || hop >= 5) return { ...answer, redirects };
      const location = new URL(answer.location ?? '', `http://${host}`);
      redirects.push(location.href);
      host = location.host;
      target = location.pathname + location.search;
    }
  }

  private once(method: string, host: string, pathAndQuery: string, options: { form?: Record<string, string>; cookie?: string; timeoutMs?: number }) {
    const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
    return new Promise<{ status: number; body: Record<string, unknown>; location?: string }>((resolve, reject) => {
      const request = http.request(
        {
          host: this.ingress.hostname,
          port: this.ingress.port,
          method,
          path: pathAndQuery,
          agent: this.agent,
          timeout: options.timeoutMs ?? 10_000,
          headers: {
            host,
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
            ...(options.cookie ? { cookie: `ORSSESSIONID=${options.cookie}` } : {}),
            ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : { 'content-length': 0 }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown>;
            try {
              parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            } catch {
              parsed = { text };
            }
            resolve({ status: response.statusCode ?? 0, body: parsed, location: response.headers.location });
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${method} ${host}${pathAndQuery}: timed out`)));
      request.on('error', reject);
      request.end(body);
    });
  }

  startSession(src: string): Promise<OrsAnswer> {
    return this.request('POST', '/scxml/session/start', { form: { src } });
  }

  sendEvent(sessionId: string, event: string): Promise<OrsAnswer> {
    return this.request('POST', `/scxml/session/${sessionId}/event/${event}`, { cookie: sessionId });
  }

  ask(sessionId: string, name: string): Promise<OrsAnswer> {
    return this.request('POST', `/scxml/session/${sessionId}/request/${name}`, { cookie: sessionId });
  }
}
