// Whether this replica can do its job against the API server: reachable, its
// credentials accepted, and its ServiceAccount allowed the verbs the controller needs
// (SelfSubjectAccessReviews, which every authenticated identity may create). /readyz
// reports it, so a replica whose requests would all get 401 or 403 is not Ready and
// says why, instead of answering 200 while nothing can work.
import type { KubeClient } from './kube-client.ts';
import { KubeApiError } from './kube-client.ts';
import { errorMessage } from './reconcile-context.ts';

interface Access {
  group: string;
  resource: string;
  verb: string;
  subresource?: string;
  namespace?: string;
}

export interface AccessState {
  ok: boolean;
  /** Why not, when not ok. */
  problem?: string;
  checkedAt?: string;
}

const CHECK_EVERY_MS = 10_000;

export function requiredAccess(watchNamespace: string | undefined, leaseNamespace: string): Access[] {
  const ns = watchNamespace ? { namespace: watchNamespace } : {};
  return [
    { group: 'ors.dev', resource: 'orsclusters', verb: 'watch', ...ns },
    { group: 'ors.dev', resource: 'orsclusters', verb: 'patch', subresource: 'status', ...ns },
    { group: 'apps', resource: 'statefulsets', verb: 'patch', ...ns },
    { group: '', resource: 'pods', verb: 'watch', ...ns },
    { group: 'coordination.k8s.io', resource: 'leases', verb: 'update', namespace: leaseNamespace },
  ];
}

export class ApiAccessProbe {
  private readonly client: KubeClient;
  private readonly access: Access[];
  private current: AccessState = { ok: false, problem: 'not checked yet' };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(client: KubeClient, access: Access[]) {
    this.client = client;
    this.access = access;
  }

  state(): AccessState {
    return this.current;
  }

  start(): void {
    const tick = () => {
      this.running = this.check().then(() => undefined, () => undefined).finally(() => {
        this.timer = setTimeout(tick, CHECK_EVERY_MS);
        this.timer.unref();
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  async check(): Promise<AccessState> {
    const checkedAt = new Date().toISOString();
    try {
      const denied: string[] = [];
      await Promise.all(this.access.map(async (a) => {
        const review = await this.client.request<{ status?: { allowed?: boolean; reason?: string } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: a } },
          timeoutMs: 5_000,
        });
        if (!review.status?.allowed) {
          denied.push(`${a.verb} ${a.group ? `${a.group}/` : ''}${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.namespace ? ` in ${a.namespace}` : ''}`);
        }
      }));
      this.current = denied.length === 0 ? { ok: true, checkedAt } : { ok: false, problem: `not allowed to ${denied.sort().join(', ')} (check the ClusterRole and its binding)`, checkedAt };
    } catch (error) {
      const problem = error instanceof KubeApiError && error.status === 401
        ? 'the API server rejects the operator\'s credentials (401 Unauthorized)'
        : error instanceof KubeApiError && error.status === 403
          ? 'the API server forbids the operator even to review its own access (403)'
          : `the API server is unreachable: ${errorMessage(error)}`;
      this.current = { ok: false, problem, checkedAt };
    }
    return this.current;
  }
}
