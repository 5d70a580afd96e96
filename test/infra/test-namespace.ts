import { randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * A namespace of its own for a test file (the control plane is shared by the whole
 * run): `<prefix>-<random>`. `remove` deletes it without waiting for finalization.
 */
export async function createTestNamespace(
  config: KubeConfig,
  prefix: string,
): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const core = config.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { 'ors.dev/test': prefix } } } });
  return {
    name,
    remove: async () => {
      await core.deleteNamespace({ name });
    },
  };
}
