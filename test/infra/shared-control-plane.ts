import type { KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import type { SharedControlPlane } from './global-setup.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import { attachPodNetwork, type PodNetwork } from './pod-network/pod-network.ts';

/**
 * The control plane that test/infra/global-setup.ts started for this test run
 * (integration and e2e projects only).
 */
export function sharedControlPlane(): SharedControlPlane {
  const plane = inject('controlPlane');
  if (!plane) {
    throw new Error('no shared control plane: run this test in the integration or e2e vitest project');
  }
  return plane;
}

/** A client-node KubeConfig with admin rights on the shared control plane. */
export function adminKubeConfig(): KubeConfig {
  return loadKubeConfig(sharedControlPlane().kubeconfig);
}

/** The run's pod network (its world namespace), attached from this worker. */
export function sharedPodNetwork(): PodNetwork {
  const description = inject('podNetwork');
  if (!description) throw new Error('no shared pod network: run this test in the integration or e2e vitest project');
  return attachPodNetwork(description);
}
