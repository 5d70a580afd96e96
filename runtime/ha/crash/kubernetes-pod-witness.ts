// The kubelet's word on a pod, through the API server: reads the primary's Pod (the
// runtime's Role allows `get` on its own cluster's pods only, operator/builders/runtime-rbac.ts).
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { PodWitness } from './crash-failover.ts';
import { judgePod, restartCount, type PodVerdict } from './pod-termination.ts';

export class KubernetesPodWitness implements PodWitness {
  private readonly api: CoreV1Api;
  private readonly namespace: string;
  private readonly baselines = new Map<string, number>();

  constructor(kubeConfig: KubeConfig, namespace: string) {
    this.api = kubeConfig.makeApiClient(CoreV1Api);
    this.namespace = namespace;
  }

  async baseline(podName: string): Promise<void> {
    const pod = await this.api.readNamespacedPod({ name: podName, namespace: this.namespace });
    this.baselines.set(podName, restartCount(pod));
  }

  async verdict(podName: string): Promise<PodVerdict | undefined> {
    const pod = await this.api.readNamespacedPod({ name: podName, namespace: this.namespace });
    return judgePod(pod, this.baselines.get(podName));
  }
}
