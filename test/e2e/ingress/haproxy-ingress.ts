// The Ingress controller stand-in: HAProxy (test/infra's helper) whose configuration
// follows the namespace's Ingresses and the EndpointSlices the real
// kube-controller-manager keeps from pod readiness; reloaded whenever they change.
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1EndpointSlice, V1Ingress, V1Service } from '@kubernetes/client-node';
import type { KubeClient } from '../../../operator/controller/kube-client.ts';
import { startHaproxy, type Haproxy } from '../../infra/haproxy.ts';
import type { Placement } from '../../infra/pod-network/placement.ts';
import { ingressSections, type IngressInputs } from './ingress-haproxy-config.ts';

export class HaproxyIngress {
  readonly haproxy: Haproxy;
  readonly reloads: number[] = [];
  private readonly client: KubeClient;
  private readonly namespace: string;
  private current: string;
  private running = true;
  private loop: Promise<void> | undefined;
  lastError: string | undefined;

  private constructor(haproxy: Haproxy, client: KubeClient, namespace: string, initial: string) {
    this.haproxy = haproxy;
    this.client = client;
    this.namespace = namespace;
    this.current = initial;
  }

  /** Runs HAProxy at `placement`: an address of the pod network's world. */
  static async start(client: KubeClient, namespace: string, placement: Placement): Promise<HaproxyIngress> {
    const empty: IngressInputs = { ingresses: [], services: [], endpointSlices: [] };
    let initial = '';
    const listen = (port: number) => ({ address: placement.address, port });
    const haproxy = await startHaproxy(['http'], (ports) => (initial = ingressSections(empty, listen(ports.http))), placement);
    const ingress = new HaproxyIngress(haproxy, client, namespace, initial);
    ingress.loop = ingress.run();
    return ingress;
  }

  /** http://<its world address>:<port>: send requests here with the Host header of the Ingress rule. */
  get url(): string {
    return `http://${this.haproxy.address}:${this.haproxy.ports.http}`;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.haproxy.stop();
  }

  private async inputs(): Promise<IngressInputs> {
    const ns = this.namespace;
    const [ingresses, services, endpointSlices] = await Promise.all([
      this.client.get<{ items: V1Ingress[] }>(`/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`),
      this.client.get<{ items: V1Service[] }>(`/api/v1/namespaces/${ns}/services`),
      this.client.get<{ items: V1EndpointSlice[] }>(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`),
    ]);
    return { ingresses: ingresses.items, services: services.items, endpointSlices: endpointSlices.items };
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const sections = ingressSections(await this.inputs(), { address: this.haproxy.address, port: this.haproxy.ports.http });
        if (sections !== this.current) {
          await this.haproxy.reload(() => sections);
          this.current = sections;
          this.reloads.push(Date.now());
        }
        this.lastError = undefined;
      } catch (error) {
        this.lastError = (error as Error).message;
      }
      await sleep(200);
    }
  }
}
