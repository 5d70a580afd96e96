import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { KubeClient } from '../../operator/controller/kube-client.ts';
import { freePorts, retryOnPortClash } from './free-port.ts';
import { startManagedProcess } from './managed-process.ts';
import type { ManagedProcess } from './managed-process.ts';
import { LOOPBACK, type Placement } from './pod-network/placement.ts';
import { serverBinary } from './server-binaries.ts';
import { waitUntil } from './wait-until.ts';

// Traefik (test/infra/traefik/install.sh builds it) as the tests' Ingress and Gateway
// API controller: its Kubernetes Ingress provider and Kubernetes Gateway provider watch
// the test namespaces of a real API server through a kubeconfig, and it serves what
// they describe on one HTTP entry point. A GatewayClass of its own (cluster-scoped,
// selected by label, so the Traefik of another test file leaves it alone) and one
// Gateway per namespace, listening on that entry point, are created with it.

/** The controller name Traefik's Gateway provider claims GatewayClasses by. */
export const TRAEFIK_GATEWAY_CONTROLLER = 'traefik.io/gateway-controller';

/** Traefik's API view of a router (GET /api/http/routers). */
export interface TraefikRouter {
  name: string;
  provider: string;
  rule: string;
  service: string;
  priority?: number;
  status: string;
  error?: string[];
}

/** Traefik's API view of a service (GET /api/http/services). */
export interface TraefikService {
  name: string;
  provider: string;
  loadBalancer?: { servers?: { url: string }[]; sticky?: unknown };
  status: string;
}

export interface TraefikOptions {
  /** The cluster (KUBECONFIG of both providers) and the client that creates the Gateway objects. */
  kubeconfig: string;
  client: KubeClient;
  /** The namespaces the providers watch; each gets a Gateway. */
  namespaces: readonly string[];
  /** Where Traefik runs and listens: host loopback by default, or the pod network's world (network.placeInWorld()). */
  placement?: Placement;
  /** The providers to run (both by default); one Traefik per provider serves the same hosts side by side. */
  providers?: readonly TraefikProvider[];
  /** Traefik's Gateway provider with the experimental channel's resources (TCPRoute, TLSRoute). */
  experimentalChannel?: boolean;
}

export type TraefikProvider = 'ingress' | 'gateway';

export interface Traefik {
  dir: string;
  process: ManagedProcess;
  address: string;
  ports: { web: number; api: number };
  /** http://<address>:<web port>: send requests here with the Host header of a rule. */
  url: string;
  gatewayClassName: string;
  /** The Gateway of each watched namespace, with the gateway provider (parentRefs of HTTPRoutes: { name: gatewayName }). */
  gatewayName: string;
  routers(): Promise<TraefikRouter[]>;
  services(): Promise<TraefikService[]>;
  /** Waits until `ready` holds for the current routers and services (Traefik applied a change). */
  waitForConfiguration(what: string, ready: (routers: TraefikRouter[], services: TraefikService[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Traefik's static configuration, as command-line flags. Pure. */
export function traefikArguments(options: {
  address: string;
  ports: { web: number; api: number };
  namespaces: readonly string[];
  providers: readonly TraefikProvider[];
  gatewayClassLabel: string;
  accessLog: string;
  experimentalChannel: boolean;
}): string[] {
  const namespaces = options.namespaces.join(',');
  const ingress = [
    '--providers.kubernetesIngress=true',
    `--providers.kubernetesIngress.namespaces=${namespaces}`,
    '--providers.kubernetesIngress.throttleDuration=0s',
    // A Service without ready endpoints (a node between two primaries) answers 503, which
    // clients retry; without this Traefik drops the router and answers 404, which reads
    // as "no such session".
    '--providers.kubernetesIngress.allowEmptyServices=true',
  ];
  const gateway = [
    '--providers.kubernetesGateway=true',
    `--providers.kubernetesGateway.namespaces=${namespaces}`,
    `--providers.kubernetesGateway.labelSelector=${options.gatewayClassLabel}`,
    '--providers.kubernetesGateway.throttleDuration=0s',
    `--providers.kubernetesGateway.statusAddress.ip=${options.address}`,
    `--providers.kubernetesGateway.experimentalChannel=${options.experimentalChannel}`,
  ];
  return [
    // No calls home (version check, usage statistics): the tests reach no other host.
    '--global.checkNewVersion=false',
    '--global.sendAnonymousUsage=false',
    `--entryPoints.web.address=${options.address}:${options.ports.web}`,
    `--entryPoints.traefik.address=${options.address}:${options.ports.api}`,
    '--api=true',
    '--api.insecure=true',
    '--api.dashboard=false',
    '--ping=true',
    '--log.level=INFO',
    '--log.noColor=true',
    '--accessLog=true',
    `--accessLog.filePath=${options.accessLog}`,
    // Apply a change of Ingresses, routes or EndpointSlices at once (the default waits 2 s).
    '--providers.providersThrottleDuration=0s',
    ...(options.providers.includes('ingress') ? ingress : []),
    ...(options.providers.includes('gateway') ? gateway : []),
  ];
}

export function startTraefik(options: TraefikOptions): Promise<Traefik> {
  return retryOnPortClash(() => startTraefikOnce(options));
}

async function startTraefikOnce(options: TraefikOptions): Promise<Traefik> {
  const binary = serverBinary('traefik');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-traefik-'));
  const placement = options.placement ?? LOOPBACK;
  const address = placement.address;
  const [web, api] = await freePorts(2);
  const ports = { web, api };
  const id = randomBytes(3).toString('hex');
  const gatewayClassName = `ors-traefik-${id}`;
  const gatewayName = 'traefik';
  const labelKey = 'ors.dev/traefik-instance';
  const providers = options.providers ?? ['ingress', 'gateway'];
  const withGateway = providers.includes('gateway');
  const gatewayNamespaces = withGateway ? options.namespaces : [];

  if (withGateway) await options.client.apply(
    `/apis/gateway.networking.k8s.io/v1/gatewayclasses/${gatewayClassName}`,
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: gatewayClassName, labels: { [labelKey]: id } },
      spec: { controllerName: TRAEFIK_GATEWAY_CONTROLLER },
    },
    'ors-tests-traefik',
  );
  for (const namespace of gatewayNamespaces) {
    await options.client.apply(
      `/apis/gateway.networking.k8s.io/v1/namespaces/${namespace}/gateways/${gatewayName}`,
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: gatewayName, namespace },
        spec: {
          gatewayClassName,
          // Traefik binds a listener to the entry point with the same port.
          listeners: [{ name: 'web', port: web, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }],
        },
      },
      'ors-tests-traefik',
    );
  }

  const argv = [
    binary,
    ...traefikArguments({
      address,
      ports,
      namespaces: options.namespaces,
      providers,
      gatewayClassLabel: `${labelKey}=${id}`,
      accessLog: path.join(dir, 'access.log'),
      experimentalChannel: options.experimentalChannel ?? false,
    }),
  ];
  const [command, ...args] = placement.command(argv);
  const process = startManagedProcess('traefik', command, args, {
    logFile: path.join(dir, 'traefik.log'),
    env: { ...globalThis.process.env, KUBECONFIG: options.kubeconfig },
  });
  const apiUrl = `http://${address}:${api}`;
  const abortIf = () => {
    const exited = process.exitedError();
    if (exited) return exited;
    return /address already in use/i.test(process.logTail(20)) ? new Error(`traefik: address already in use\n${process.logTail(20)}`) : undefined;
  };
  const removeGatewayObjects = async () => {
    if (!withGateway) return;
    for (const namespace of gatewayNamespaces) {
      await options.client.delete(`/apis/gateway.networking.k8s.io/v1/namespaces/${namespace}/gateways/${gatewayName}`).catch(() => undefined);
    }
    await options.client.delete(`/apis/gateway.networking.k8s.io/v1/gatewayclasses/${gatewayClassName}`).catch(() => undefined);
  };

  const routers = () => getJson<TraefikRouter[]>(`${apiUrl}/api/http/routers?per_page=1000`);
  const services = () => getJson<TraefikService[]>(`${apiUrl}/api/http/services?per_page=1000`);
  try {
    await waitUntil(async () => ((await fetch(`${apiUrl}/ping`, { signal: AbortSignal.timeout(2_000) })).ok ? true : undefined), {
      what: `traefik answering /ping on ${apiUrl}`,
      timeoutMs: 30_000,
      intervalMs: 200,
      abortIf,
    });
    // The Gateway provider has seen its GatewayClass and the Gateways once every Gateway
    // is Programmed (Traefik writes that status after building the listeners).
    await waitUntil(
      async () => {
        for (const namespace of gatewayNamespaces) {
          const gateway = await options.client.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
            `/apis/gateway.networking.k8s.io/v1/namespaces/${namespace}/gateways/${gatewayName}`,
          );
          if (!gateway.status?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True')) return undefined;
        }
        return true;
      },
      { what: `traefik to program the Gateways of ${options.namespaces.join(', ')}`, timeoutMs: 60_000, intervalMs: 250, abortIf },
    );
  } catch (error) {
    await process.stop();
    await removeGatewayObjects();
    throw error;
  }

  return {
    dir,
    process,
    address,
    ports,
    url: `http://${address}:${web}`,
    gatewayClassName,
    gatewayName,
    routers,
    services,
    async waitForConfiguration(what, ready, timeoutMs = 30_000) {
      await waitUntil(async () => (ready(await routers(), await services()) ? true : undefined), {
        what: `traefik: ${what}`,
        timeoutMs,
        intervalMs: 100,
        abortIf,
      });
    },
    async stop() {
      await process.stop();
      await removeGatewayObjects();
    },
  };
}
