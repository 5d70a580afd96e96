// Turns the access options (auth, metrics-auth, tls-*) into what the HTTP server needs:
// the check for API routes, the check for /metrics, and the TLS settings. A combination
// that would leave the API open by accident, or ask for something the process cannot
// do (mtls without TLS), is a configuration error, reported before anything listens.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime-options.ts';
import { bearerCheck, clientCertificateCheck, open, TokenFile, type RequestCheck } from './authentication.ts';

export class AccessConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessConfigError';
  }
}

export interface ApiAccess {
  api: RequestCheck;
  metrics: RequestCheck;
  /** Present when the API serves HTTPS. */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean };
  close(): void;
}

type AccessConfig = Pick<
  RuntimeConfig,
  'auth' | 'auth-tokens-file' | 'metrics-auth' | 'metrics-tokens-file' | 'tls-cert-file' | 'tls-key-file' | 'tls-client-ca-file'
>;

function readPem(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new AccessConfigError(`${option} ${file}: ${(error as Error).message}`);
  }
}

function tokenFile(file: string | undefined, option: string, why: string, logger: Logger, opened: TokenFile[]): TokenFile {
  if (!file) throw new AccessConfigError(`${why} needs ${option}`);
  try {
    const tokens = new TokenFile(file, logger);
    opened.push(tokens);
    return tokens;
  } catch (error) {
    throw new AccessConfigError(`${option}: ${(error as Error).message}`);
  }
}

export function apiAccessFromConfig(config: AccessConfig, logger: Logger): ApiAccess {
  const opened: TokenFile[] = [];
  try {
    const hasCert = config['tls-cert-file'] !== undefined;
    if (hasCert !== (config['tls-key-file'] !== undefined)) {
      throw new AccessConfigError('tls-cert-file and tls-key-file go together');
    }
    if (config.auth === 'mtls' && (!hasCert || !config['tls-client-ca-file'])) {
      throw new AccessConfigError('auth mtls needs tls-cert-file, tls-key-file and tls-client-ca-file');
    }
    if (config['tls-client-ca-file'] && config.auth !== 'mtls') {
      throw new AccessConfigError('tls-client-ca-file is only used with auth mtls');
    }
    let api: RequestCheck = open;
    if (config.auth === 'bearer') {
      api = bearerCheck(
        tokenFile(config['auth-tokens-file'], 'auth-tokens-file', 'auth bearer (the default; set auth none for an open API)', logger, opened),
      );
    } else if (config.auth === 'mtls') {
      api = clientCertificateCheck;
    }
    const metrics =
      config['metrics-auth'] === 'api'
        ? api
        : config['metrics-auth'] === 'tokens'
          ? bearerCheck(tokenFile(config['metrics-tokens-file'], 'metrics-tokens-file', 'metrics-auth tokens', logger, opened))
          : open;
    const tls = hasCert
      ? {
          cert: readPem(config['tls-cert-file']!, 'tls-cert-file'),
          key: readPem(config['tls-key-file']!, 'tls-key-file'),
          ...(config['tls-client-ca-file'] ? { ca: readPem(config['tls-client-ca-file'], 'tls-client-ca-file') } : {}),
          requestCert: config.auth === 'mtls',
        }
      : undefined;
    return { api, metrics, ...(tls ? { tls } : {}), close: () => opened.forEach((t) => t.close()) };
  } catch (error) {
    for (const t of opened) t.close();
    throw error;
  }
}
