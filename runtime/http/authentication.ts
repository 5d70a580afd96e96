// Who may use the REST API: bearer tokens from a file (one per line, `#` comments; the
// file is re-read when it changes, so a rotated Kubernetes Secret takes effect without a
// restart) or a client certificate signed by the configured CA (mutual TLS). Probes
// (/heartbeat, /livez) never ask; /metrics asks according to `metrics-auth`.
// Answers 401 (no or unknown credentials) and 403 (a client certificate the CA did not
// sign) as JSON, like every other error.
import { hash } from 'node:crypto';
import { readFileSync, statSync, unwatchFile, watchFile } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { HttpError } from './http-error.ts';

/** Checks one request; undefined when it may proceed. */
export type RequestCheck = (req: IncomingMessage) => HttpError | undefined;

const digest = (token: string) => hash('sha256', token, 'hex');

/** Tokens of a file: one a line, blank lines and `#` comments ignored. */
export function parseTokenFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * The tokens of one file, kept as SHA-256 digests (a lookup by digest leaks nothing about
 * a token's prefix, unlike comparing strings). Polled once a second: fs.watch misses the
 * symlink swap by which the kubelet updates a mounted Secret; stat follows it.
 */
export class TokenFile {
  readonly #file: string;
  readonly #logger: Logger;
  #digests = new Set<string>();

  constructor(file: string, logger: Logger) {
    this.#file = file;
    this.#logger = logger;
    this.#load(true);
    watchFile(file, { interval: 1000, persistent: false }, () => this.#load(false));
  }

  #load(initial: boolean): void {
    let tokens: string[];
    try {
      if (!statSync(this.#file).isFile()) throw new Error('not a regular file');
      tokens = parseTokenFile(readFileSync(this.#file, 'utf8'));
    } catch (error) {
      if (initial) throw new Error(`token file ${this.#file}: ${(error as Error).message}`, { cause: error });
      this.#logger.warn({ file: this.#file, err: error }, 'token file unreadable; keeping the tokens read before');
      return;
    }
    if (tokens.length === 0) {
      if (initial) throw new Error(`token file ${this.#file} holds no token`);
      this.#logger.warn({ file: this.#file }, 'token file now holds no token; keeping the tokens read before');
      return;
    }
    this.#digests = new Set(tokens.map(digest));
    if (!initial) this.#logger.info({ file: this.#file, tokens: tokens.length }, 'token file reloaded');
  }

  accepts(token: string): boolean {
    return this.#digests.has(digest(token));
  }

  close(): void {
    unwatchFile(this.#file);
  }
}

const bearerChallenge = { 'www-authenticate': 'Bearer realm="ors"' };

function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
  return match ? match[1] : '';
}

export function bearerCheck(tokens: TokenFile): RequestCheck {
  return (req) => {
    const token = bearerToken(req);
    if (token === undefined) {
      return new HttpError(401, 'unauthorized', 'this API needs an Authorization: Bearer <token> header', { headers: bearerChallenge });
    }
    if (token === '' || !tokens.accepts(token)) {
      return new HttpError(401, 'unauthorized', 'the bearer token is not one this API accepts', {
        headers: { 'www-authenticate': 'Bearer realm="ors", error="invalid_token"' },
      });
    }
    return undefined;
  };
}

/** Mutual TLS: the server asked for a client certificate and did not reject the handshake, so it can answer in JSON. */
export const clientCertificateCheck: RequestCheck = (req) => {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.authorized === true) return undefined;
  const presented = typeof socket.getPeerCertificate === 'function' && Object.keys(socket.getPeerCertificate()).length > 0;
  if (!presented) {
    return new HttpError(401, 'unauthorized', 'this API needs a client certificate (mutual TLS)');
  }
  return new HttpError(403, 'forbidden', `the client certificate is not trusted: ${String(socket.authorizationError ?? 'unknown')}`);
};

export const open: RequestCheck = () => undefined;
