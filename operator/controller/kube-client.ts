// A thin JSON client for the Kubernetes API. The objects the operator sends are wire
// JSON (built by ../builders), so they go out unchanged, without the client-node model
// serializer, which would drop fields it does not know (Gateway API) or expects under
// other names (`_from`). Credentials come from the KubeConfig.
import https from 'node:https';
import http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  readonly body: unknown;
  constructor(method: string, path: string, status: number, body: unknown) {
    const message = (body as { message?: string } | undefined)?.message ?? String(body ?? '');
    super(`${method} ${path}: ${status} ${message}`.slice(0, 2000));
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = (body as { reason?: string } | undefined)?.reason;
    this.body = body;
  }
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  timeoutMs?: number;
  /** Accept header (e.g. metadata only); JSON by default. */
  accept?: string;
}

export class KubeClient {
  readonly config: KubeConfig;
  private readonly server: URL;
  /** Connections are kept and reused: a TLS handshake per request costs more than the request. */
  private readonly agent = new https.Agent({ keepAlive: true, maxSockets: 32 });

  constructor(config: KubeConfig) {
    this.config = config;
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig: no current cluster');
    this.server = new URL(cluster.server);
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const requestOptions: https.RequestOptions = {
      method,
      headers: {
        accept: options.accept ?? 'application/json',
        ...(body !== undefined ? { 'content-type': options.contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
      },
    };
    await this.config.applyToHTTPSOptions(requestOptions);
    const transport = url.protocol === 'https:' ? https : http;
    if (url.protocol === 'https:') requestOptions.agent = this.agent;
    return new Promise<T>((resolve, reject) => {
      const req = transport.request(url, requestOptions, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text for the error message
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(parsed as T);
          else reject(new KubeApiError(method, url.pathname, status, parsed));
        });
      });
      req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Closes idle kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  get<T>(path: string, accept?: string): Promise<T> {
    return this.request<T>('GET', path, accept ? { accept } : {});
  }

  /** GET, with undefined for 404. */
  async find<T>(path: string, accept?: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path, accept);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Server-side apply (the body is JSON, which is YAML). */
  apply<T>(path: string, object: unknown, fieldManager: string): Promise<T> {
    return this.request<T>('PATCH', path, { body: object, contentType: APPLY_PATCH, query: { fieldManager, force: true } });
  }

  mergePatch<T>(path: string, patch: unknown, fieldManager: string): Promise<T> {
    return this.request<T>('PATCH', path, { body: patch, contentType: MERGE_PATCH, query: { fieldManager } });
  }

  /** DELETE, ignoring 404 (already gone). */
  async delete(path: string, options: { propagationPolicy?: 'Background' | 'Foreground'; preconditionsUid?: string } = {}): Promise<boolean> {
    try {
      await this.request('DELETE', path, {
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          ...(options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : {}),
          ...(options.preconditionsUid ? { preconditions: { uid: options.preconditionsUid } } : {}),
        },
      });
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return false;
      throw error;
    }
  }
}
