import { writeFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

export type KubeconfigCredentials =
  | { clientCertificate: string; clientKey: string }
  | { token: string };

export interface KubeconfigSpec {
  /** Cluster, user and context name. */
  name: string;
  server: string;
  /** File with the CA bundle that signed the API server's serving certificate. */
  certificateAuthority: string;
  credentials: KubeconfigCredentials;
  namespace?: string;
}

/** A kubeconfig document (files referenced by path) that kubectl, helm and client-node read. */
export function kubeconfigYaml(spec: KubeconfigSpec): string {
  const user =
    'token' in spec.credentials
      ? { token: spec.credentials.token }
      : { 'client-certificate': spec.credentials.clientCertificate, 'client-key': spec.credentials.clientKey };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.name, cluster: { server: spec.server, 'certificate-authority': spec.certificateAuthority } }],
    users: [{ name: spec.name, user }],
    contexts: [
      {
        name: spec.name,
        context: { cluster: spec.name, user: spec.name, ...(spec.namespace ? { namespace: spec.namespace } : {}) },
      },
    ],
    'current-context': spec.name,
  });
}

export async function writeKubeconfig(file: string, spec: KubeconfigSpec): Promise<string> {
  await writeFile(file, kubeconfigYaml(spec), { mode: 0o600 });
  return file;
}

/** A @kubernetes/client-node KubeConfig read from a kubeconfig file. */
export function loadKubeConfig(file: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(file);
  return config;
}

/** A KubeConfig for the same cluster as `base`, authenticating with a bearer token. */
export function kubeConfigWithToken(base: KubeConfig, token: string, userName: string): KubeConfig {
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error('the base kubeconfig has no current cluster');
  const config = new KubeConfig();
  config.loadFromClusterAndUser(cluster, { name: userName, token });
  return config;
}
