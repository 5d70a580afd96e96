import type { TestProject } from 'vitest/node';
import { startControlPlane } from './control-plane.ts';
import type { ControlPlane } from './control-plane.ts';
import { createPodNetwork, type PodNetwork, type PodNetworkDescription } from './pod-network/pod-network.ts';

// The vitest globalSetup of the `integration` and `e2e` projects: ONE pod network (the
// world namespace, test/infra/pod-network/) and ONE control plane (etcd, kube-apiserver,
// kube-controller-manager, each on its own address in the world) for the whole test run. Each project
// runs this setup (only when it has tests queued, so `--project unit` starts nothing);
// the state lives on globalThis of the main vitest process, so the second project
// reuses the first one's control plane and the last teardown stops it.

export interface SharedControlPlane {
  /** Admin kubeconfig file (client certificate in system:masters). */
  kubeconfig: string;
  server: string;
  caFile: string;
  dir: string;
  logFiles: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    controlPlane: SharedControlPlane;
    podNetwork: PodNetworkDescription;
  }
}

interface SharedState {
  users: number;
  network: Promise<PodNetwork>;
  controlPlane: Promise<ControlPlane>;
}

const stateKey = Symbol.for('ors-k8s.test.shared-control-plane');
const registry = globalThis as { [stateKey]?: SharedState };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let state = registry[stateKey];
  if (!state) {
    const started = Date.now();
    const network = createPodNetwork();
    const controlPlane = network.then((world) => startControlPlane({ controllerManager: true, network: world })).then((plane) => {
      console.log(`control plane up in ${Date.now() - started} ms at ${plane.server} (logs in ${plane.dir})`);
      return plane;
    });
    state = { users: 0, network, controlPlane };
    registry[stateKey] = state;
  }
  state.users++;
  const shared = state;
  const plane = await shared.controlPlane;
  const world = await shared.network;
  project.provide('podNetwork', world.description);
  project.provide('controlPlane', {
    kubeconfig: plane.adminKubeconfig,
    server: plane.server,
    caFile: plane.caFile,
    dir: plane.dir,
    logFiles: plane.processes.map((p) => p.logFile),
  });

  return async () => {
    shared.users--;
    if (shared.users > 0) return;
    delete registry[stateKey];
    const died = plane.processes.filter((p) => p.exit !== undefined);
    if (died.length > 0) {
      console.error(`control plane servers exited during the run:\n${died.map((p) => p.exitedError()?.message).join('\n')}`);
    }
    await plane.stop();
    console.log(`control plane stopped; logs kept in ${plane.dir}`);
    await world.destroy();
  };
}
