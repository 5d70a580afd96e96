// `--metrics-auth kubernetes`: /metrics and the status page ask for a bearer token that
// the API server vouches for (TokenReview) and lets read that path (SubjectAccessReview
// on the non-resource URL, verb get), the way controller-runtime's secure metrics and
// kube-rbac-proxy do: Prometheus gets a ClusterRole with `nonResourceURLs: [/metrics]`,
// a person one with `/status` and `/status.json`. Answers are kept for a short while so
// a scrape or a polling page costs no review per request.
import { createHash } from 'node:crypto';
import type { KubeClient } from './kube-client.ts';

export type AuthorizationResult = { ok: true } | { ok: false; status: 401 | 403; message: string };

const CACHE_MS = 30_000;
const MAX_CACHED = 1_000;

interface TokenReview {
  status?: { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> }; error?: string };
}
interface SubjectAccessReview {
  status?: { allowed?: boolean; reason?: string };
}

export class KubernetesRequestAuthorizer {
  private readonly client: KubeClient;
  private readonly cache = new Map<string, { at: number; result: AuthorizationResult }>();

  constructor(client: KubeClient) {
    this.client = client;
  }

  async authorize(authorization: string | undefined, path: string): Promise<AuthorizationResult> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) return { ok: false, status: 401, message: 'a bearer token is required (Authorization: Bearer <token>)' };
    const key = `${createHash('sha256').update(token).digest('hex')} ${path}`;
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.result;
    const result = await this.review(token, path);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, { at: Date.now(), result });
    return result;
  }

  private async review(token: string, path: string): Promise<AuthorizationResult> {
    const review = await this.client.request<TokenReview>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    });
    const user = review.status?.user;
    if (!review.status?.authenticated || !user?.username) return { ok: false, status: 401, message: 'the token is not valid' };
    const access = await this.client.request<SubjectAccessReview>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          groups: user.groups ?? [],
          ...(user.extra ? { extra: user.extra } : {}),
          nonResourceAttributes: { path, verb: 'get' },
        },
      },
    });
    if (access.status?.allowed) return { ok: true };
    return { ok: false, status: 403, message: `${user.username} may not get ${path}${access.status?.reason ? ` (${access.status.reason})` : ''}` };
  }
}
