import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeClient } from '../../operator/controller/kube-client.ts';
import { installCommand, requiredModuleVersion, testCacheRoot } from './server-binaries.ts';
import { waitUntil } from './wait-until.ts';

// The Gateway API CRDs that test/infra/gateway-api/install.sh copied from the pinned
// sigs.k8s.io/gateway-api module into the cache, installed into a test API server.

export type GatewayApiChannel = 'standard' | 'experimental';

interface CustomResourceDefinition {
  kind: string;
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string }[] };
}

export function gatewayApiVersion(): string {
  const goMod = readFileSync(path.join(import.meta.dirname, 'gateway-api', 'go.mod'), 'utf8');
  return requiredModuleVersion(goMod, 'sigs.k8s.io/gateway-api');
}

/** The cached CRD folder of a channel; a loud failure naming the install command when missing. */
export function gatewayApiCrdDir(channel: GatewayApiChannel): string {
  const version = gatewayApiVersion();
  const dir = path.join(testCacheRoot(), `gateway-api-${version}`, 'crd', channel);
  if (!existsSync(path.join(dir, 'gateway.networking.k8s.io_httproutes.yaml'))) {
    throw new Error(`the Gateway API ${version} CRDs are not in ${dir}; run \`${installCommand}\` first`);
  }
  return dir;
}

/** The CRDs of a channel (the folder also holds a ValidatingAdmissionPolicy, left out). */
export function gatewayApiCrds(channel: GatewayApiChannel): CustomResourceDefinition[] {
  const dir = gatewayApiCrdDir(channel);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) => parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((doc) => doc.toJS() as CustomResourceDefinition))
    .filter((doc) => doc?.kind === 'CustomResourceDefinition');
}

/**
 * Applies a channel's CRDs (server-side apply, so installing them again, or from another
 * test file at the same time, is harmless) and waits until each is Established and the
 * gateway.networking.k8s.io/v1 API is discoverable. The CRDs are cluster-wide on the
 * shared control plane: every test that needs them installs the same channel.
 */
export async function installGatewayApiCrds(client: KubeClient, channel: GatewayApiChannel): Promise<string[]> {
  const crds = gatewayApiCrds(channel);
  const base = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  for (const crd of crds) await client.apply(`${base}/${crd.metadata.name}`, crd, 'ors-tests-gateway-api');
  await waitUntil(
    async () => {
      for (const crd of crds) {
        const current = await client.get<CustomResourceDefinition>(`${base}/${crd.metadata.name}`);
        if (!current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return undefined;
      }
      return true;
    },
    { what: `the Gateway API ${channel} CRDs to be established`, timeoutMs: 60_000, intervalMs: 250 },
  );
  await waitUntil(async () => ((await client.find('/apis/gateway.networking.k8s.io/v1')) ? true : undefined), {
    what: 'gateway.networking.k8s.io/v1 discovery',
    timeoutMs: 30_000,
  });
  return crds.map((crd) => crd.metadata.name);
}
