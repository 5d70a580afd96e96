// Turns an OrsCluster read from the apiserver into the operator's typed view. The CRD
// schema and CEL already reject most bad specs; what still fails here (for example an
// object stored before a schema change) becomes a Degraded condition, not a crash.
import type { z } from 'zod';
import { API_VERSION, KIND, OrsClusterSpecSchema, OrsClusterStatusSchema, type OrsCluster } from './ors-cluster.ts';

export type ParsedOrsCluster = { ok: true; cluster: OrsCluster } | { ok: false; message: string };

interface RawOrsCluster {
  metadata?: OrsCluster['metadata'] | Record<string, unknown>;
  spec?: unknown;
  status?: unknown;
}

/** One line per issue, each with its field path as `kubectl explain` spells it (spec.routing.host). */
function specIssues(error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.reduce<string>((at, part) => (typeof part === 'number' ? `${at}[${part}]` : `${at}.${String(part)}`), 'spec');
    return `${path}: ${issue.message}`;
  });
  return [...new Set(lines)].join('; ');
}

export function parseOrsCluster(raw: RawOrsCluster): ParsedOrsCluster {
  const metadata = raw.metadata as OrsCluster['metadata'] | undefined;
  if (!metadata?.name || !metadata.namespace || !metadata.uid) return { ok: false, message: 'metadata.name, namespace and uid are required' };
  const spec = OrsClusterSpecSchema.safeParse(raw.spec);
  if (!spec.success) return { ok: false, message: specIssues(spec.error) };
  const status = OrsClusterStatusSchema.safeParse(raw.status ?? {});
  return {
    ok: true,
    cluster: { apiVersion: API_VERSION, kind: KIND, metadata, spec: spec.data, status: status.success ? status.data : {} },
  };
}
