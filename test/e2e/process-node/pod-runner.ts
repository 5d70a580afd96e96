// One pod on the process node, as a kubelet runs it: project its volumes and service
// account token into a folder, start its single container as an `ors` process in a
// sandbox in the pod's own network namespace (its address on the pod network), run its startup/liveness/readiness probes,
// restart the process as restartPolicy says, write the pod's status, and on deletion
// stop it (SIGTERM, SIGKILL after the grace period) and confirm the deletion.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Container, V1Pod, V1PodStatus, V1Probe } from '@kubernetes/client-node';
import { KubeApiError, type KubeClient } from '../../../operator/controller/kube-client.ts';
import { containerCommandLine, containerEnvironment } from './container-environment.ts';
import { containerMounts, type VolumeSources } from './pod-volumes.ts';
import { sandboxedCommand, sandboxScript, type SandboxMount } from './pod-sandbox.ts';
import { podStatus, statusDiverged, type ObservedPod } from './pod-status.ts';
import { runHttpProbe } from './probe.ts';
import type { Pod as PodNamespace } from '../../infra/pod-network/pod-network.ts';

/** The checkout the pods' `ors` entrypoint runs from. */
const repositoryRoot = path.resolve(import.meta.dirname, '../../..');

export interface PodRunnerContext {
  client: KubeClient;
  /** The ors entrypoint that stands in for the image's (node + runtime/cli/ors.ts). */
  entrypoint: readonly string[];
  hostIP: string;
  hostsFile: string;
  /** The API server as pods reach it (KUBERNETES_SERVICE_HOST/PORT) and its CA. */
  apiHost: string;
  apiPort: number;
  caFile: string;
  /** Appended to the harness log. */
  log(message: string): void;
}

/** One exit of the pod's process, for chaos accounting. */
export interface ProcessExit {
  pod: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** The kubelet backs off 10 s doubling to 5 min; compressed here so tests stay short. */
const RESTART_BACKOFF_MS = [0, 500, 1000, 2000, 4000];

/** Pod processes still running: killed if the test process exits without stopping them. */
const livePods = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of livePods) child.kill('SIGKILL');
});

export class PodRunner {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  /** status.podIP: the address of the pod's network namespace, where it listens and connects from. */
  readonly podIP: string;
  /** The pod's network namespace (the "pause container"): kept across container restarts. */
  readonly netns: PodNamespace;
  readonly dir: string;
  readonly exits: ProcessExit[] = [];
  private pod: V1Pod;
  private readonly context: PodRunnerContext;
  private readonly container: V1Container;
  private child: ChildProcess | undefined;
  private childExited: Promise<void> | undefined;
  private observed: ObservedPod;
  private stopping = false;
  private lastWritten = '';
  private readonly loops: Promise<void>[] = [];
  private generation = 0;
  private writing: Promise<void> | undefined;

  constructor(pod: V1Pod, netns: PodNamespace, dir: string, context: PodRunnerContext) {
    const podIP = netns.address;
    this.pod = pod;
    this.name = pod.metadata!.name!;
    this.namespace = pod.metadata!.namespace!;
    this.uid = pod.metadata!.uid!;
    this.podIP = podIP;
    this.netns = netns;
    this.dir = dir;
    this.context = context;
    const containers = pod.spec?.containers ?? [];
    if (containers.length !== 1) throw new Error(`pod ${this.name}: the process node runs pods of exactly one container, not ${containers.length}`);
    this.container = containers[0];
    const now = new Date().toISOString();
    this.observed = {
      podIP,
      hostIP: context.hostIP,
      startTime: now,
      container: {
        name: this.container.name,
        image: this.container.image ?? '',
        state: 'waiting',
        ready: false,
        started: false,
        restartCount: 0,
        containerID: '',
      },
      transitions: {},
      now,
    };
  }

  /** The running process's pid, if any. */
  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get ready(): boolean {
    return this.observed.container.ready;
  }

  get restartCount(): number {
    return this.observed.container.restartCount;
  }

  get logFile(): string {
    return path.join(this.dir, 'container.log');
  }

  update(pod: V1Pod): void {
    this.pod = pod;
  }

  async start(): Promise<void> {
    await this.writeStatus();
    this.loops.push(this.runLoop());
  }

  /** SIGTERM, SIGKILL after the grace period; the pod stays stopped and its network namespace goes. */
  async stop(graceSeconds: number): Promise<void> {
    this.stopping = true;
    await this.killProcess(graceSeconds);
    await Promise.all(this.loops);
    await this.netns.remove();
  }

  /** Sends a signal to the container's process (chaos: SIGKILL, SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): boolean {
    const pid = this.pid;
    if (pid === undefined) return false;
    process.kill(pid, signal);
    return true;
  }

  private async killProcess(graceSeconds: number): Promise<void> {
    const child = this.child;
    if (!child || !this.pid) return;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceSeconds * 1000);
    await this.childExited;
    clearTimeout(timer);
  }

  private async sources(): Promise<VolumeSources & { configMaps: Map<string, Record<string, string>>; secrets: Map<string, Record<string, string>> }> {
    const names = new Set<string>();
    const secretNames = new Set<string>();
    for (const v of this.pod.spec?.volumes ?? []) {
      if (v.configMap?.name) names.add(v.configMap.name);
      if (v.secret?.secretName) secretNames.add(v.secret.secretName);
      for (const s of v.projected?.sources ?? []) {
        if (s.configMap?.name) names.add(s.configMap.name);
        if (s.secret?.name) secretNames.add(s.secret.name);
      }
    }
    for (const e of this.container.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name) names.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef?.name) secretNames.add(e.valueFrom.secretKeyRef.name);
    }
    const configMaps = new Map<string, Record<string, string>>();
    const secrets = new Map<string, Record<string, string>>();
    for (const name of names) {
      const cm = await this.context.client.find<{ data?: Record<string, string> }>(`/api/v1/namespaces/${this.namespace}/configmaps/${name}`);
      if (cm) configMaps.set(name, cm.data ?? {});
    }
    for (const name of secretNames) {
      const secret = await this.context.client.find<{ data?: Record<string, string> }>(`/api/v1/namespaces/${this.namespace}/secrets/${name}`);
      if (secret) secrets.set(name, Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])));
    }
    const needsToken = (this.pod.spec?.volumes ?? []).some((v) => v.projected?.sources?.some((s) => s.serviceAccountToken));
    const serviceAccountToken = needsToken ? await this.serviceAccountToken() : '';
    return { configMaps, secrets, serviceAccountToken, configMap: (n) => configMaps.get(n), secret: (n) => secrets.get(n) };
  }

  /** A bound token for the pod's ServiceAccount, as the kubelet projects it. */
  private async serviceAccountToken(): Promise<string> {
    const account = this.pod.spec?.serviceAccountName ?? 'default';
    const answer = await this.context.client.request<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/${this.namespace}/serviceaccounts/${account}/token`,
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: this.name, uid: this.uid } },
        },
      },
    );
    return answer.status.token;
  }

  /** Writes volumes and the token; returns the env, the argv and the sandbox mounts. */
  private async prepare(): Promise<{ env: Record<string, string>; argv: string[] }> {
    const sources = await this.sources();
    const volumesDir = path.join(this.dir, 'volumes');
    const mounts: SandboxMount[] = [];
    for (const mount of containerMounts(this.pod, this.container, sources)) {
      const source = path.join(volumesDir, mount.volume);
      await mkdir(source, { recursive: true });
      if (mount.content.kind === 'files') {
        for (const [file, text] of Object.entries(mount.content.files)) {
          await mkdir(path.dirname(path.join(source, file)), { recursive: true });
          await writeFile(path.join(source, file), text);
        }
      }
      mounts.push({ source, target: mount.mountPath, readOnly: mount.content.kind === 'files' });
    }
    const podEnv = containerEnvironment({ ...this.pod, status: { ...this.pod.status, podIP: this.podIP, hostIP: this.context.hostIP } }, this.container, {
      configMapKey: (name, key) => sources.configMap(name)?.[key],
      secretKey: (name, key) => sources.secret(name)?.[key],
    });
    const env = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: '/home/nonroot',
      HOSTNAME: this.pod.spec?.hostname ?? this.name,
      KUBERNETES_SERVICE_HOST: this.context.apiHost,
      KUBERNETES_SERVICE_PORT: String(this.context.apiPort),
      ...podEnv,
    };
    const script = sandboxScript({
      overlayDir: path.join(this.dir, 'overlay'),
      hostsFile: this.context.hostsFile,
      hostname: this.pod.spec?.hostname ?? this.name,
      mounts,
      programFolders: [repositoryRoot, path.dirname(realpathSync(process.execPath))],
    });
    return { env, argv: this.netns.command(sandboxedCommand(script, containerCommandLine(this.container, env, this.context.entrypoint))) };
  }

  private spawnProcess(env: Record<string, string>, argv: string[]): void {
    const log = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', log, log], cwd: '/' });
    } finally {
      closeSync(log);
    }
    this.child = child;
    livePods.add(child);
    const c = this.observed.container;
    c.state = 'running';
    c.startedAt = new Date().toISOString();
    c.ready = false;
    c.started = false;
    c.containerID = `process://${child.pid}`;
    this.childExited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        livePods.delete(child);
        this.exits.push({ pod: this.name, pid: child.pid ?? 0, code, signal, at: Date.now() });
        c.state = 'terminated';
        c.exitCode = code ?? 128 + 9;
        c.reason = signal ? `Signal ${signal}` : code === 0 ? 'Completed' : 'Error';
        c.ready = false;
        c.lastTermination = { exitCode: c.exitCode, reason: c.reason, finishedAt: new Date().toISOString() };
        resolve();
      });
      child.once('error', () => resolve());
    });
  }

  /** Start, probe, restart: until the pod is stopped. */
  private async runLoop(): Promise<void> {
    let failures = 0;
    for (;;) {
      if (this.stopping) return;
      let prepared;
      try {
        prepared = await this.prepare();
      } catch (error) {
        this.context.log(`pod ${this.name}: cannot start: ${(error as Error).message}`);
        this.observed.container.state = 'waiting';
        this.observed.container.reason = 'CreateContainerConfigError';
        await this.writeStatus();
        await sleep(1000);
        continue;
      }
      if (this.stopping) return;
      const startedAt = Date.now();
      this.spawnProcess(prepared.env, prepared.argv);
      this.context.log(`pod ${this.name}: started pid ${this.child?.pid} in ${this.netns.name} (pod IP ${this.podIP})`);
      const generation = ++this.generation;
      await this.writeStatus();
      void this.probeLoop(generation);
      await this.childExited;
      this.generation++;
      await this.writeStatus();
      if (this.stopping) return;
      const policy = this.pod.spec?.restartPolicy ?? 'Always';
      const exit = this.exits.at(-1);
      if (policy === 'Never' || (policy === 'OnFailure' && exit?.code === 0)) {
        this.observed.finalPhase = exit?.code === 0 ? 'Succeeded' : 'Failed';
        await this.writeStatus();
        return;
      }
      failures = Date.now() - startedAt > 60_000 ? 0 : failures + 1;
      this.observed.container.restartCount++;
      const backoff = RESTART_BACKOFF_MS[Math.min(failures - 1, RESTART_BACKOFF_MS.length - 1)] ?? 0;
      this.context.log(`pod ${this.name}: process exited (${exit?.signal ?? exit?.code}); restarting in ${backoff} ms`);
      await sleep(backoff);
    }
  }

  /** Startup, then liveness and readiness probes, for one run of the process. */
  private async probeLoop(generation: number): Promise<void> {
    const c = this.container;
    const alive = () => generation === this.generation && !this.stopping;
    const startup = c.startupProbe;
    if (startup) {
      const ok = await this.repeatProbe(startup, alive, true);
      if (!alive()) return;
      if (!ok) {
        this.context.log(`pod ${this.name}: startup probe failed; killing`);
        this.child?.kill('SIGKILL');
        return;
      }
    }
    this.observed.container.started = true;
    await this.writeStatus();
    const loops: Promise<void>[] = [];
    if (c.readinessProbe) loops.push(this.readinessLoop(c.readinessProbe, alive));
    else {
      this.observed.container.ready = true;
      await this.writeStatus();
    }
    if (c.livenessProbe) loops.push(this.livenessLoop(c.livenessProbe, alive));
    await Promise.all(loops);
  }

  /** Probes until success (true) or failureThreshold failures (false); for the startup probe. */
  private async repeatProbe(probe: V1Probe, alive: () => boolean, untilSuccess: boolean): Promise<boolean> {
    let failures = 0;
    await sleep((probe.initialDelaySeconds ?? 0) * 1000);
    while (alive()) {
      if (await runHttpProbe(probe, this.container, this.podIP)) {
        if (untilSuccess) return true;
        failures = 0;
      } else if (++failures >= (probe.failureThreshold ?? 3)) return false;
      await sleep((probe.periodSeconds ?? 10) * 1000);
    }
    return false;
  }

  private async readinessLoop(probe: V1Probe, alive: () => boolean): Promise<void> {
    let successes = 0;
    let failures = 0;
    await sleep((probe.initialDelaySeconds ?? 0) * 1000);
    while (alive()) {
      const ok = await runHttpProbe(probe, this.container, this.podIP);
      if (!alive()) return;
      if (ok) {
        failures = 0;
        if (++successes >= (probe.successThreshold ?? 1) && !this.observed.container.ready) {
          this.observed.container.ready = true;
          await this.writeStatus();
        }
      } else {
        successes = 0;
        if (++failures >= (probe.failureThreshold ?? 3) && this.observed.container.ready) {
          this.observed.container.ready = false;
          await this.writeStatus();
        }
      }
      await sleep((probe.periodSeconds ?? 10) * 1000);
    }
  }

  private async livenessLoop(probe: V1Probe, alive: () => boolean): Promise<void> {
    const ok = await this.repeatProbe(probe, alive, false);
    if (!ok && alive()) {
      this.context.log(`pod ${this.name}: liveness probe failed; restarting the container`);
      await this.killProcess(this.pod.spec?.terminationGracePeriodSeconds ?? 30);
    }
  }

  /**
   * The periodic resync: writes the status again when it changed, when the last write
   * failed, or when the API server's copy (`apiPod`, just listed) no longer says what this
   * kubelet last wrote (another writer changed it).
   */
  resyncStatus(apiPod: V1Pod): Promise<void> {
    const written = this.lastWritten ? (JSON.parse(this.lastWritten) as V1PodStatus) : undefined;
    return this.writeStatus(written !== undefined && statusDiverged(written, apiPod.status));
  }

  /** Writes the status when it changed; retried by the next change or the periodic resync. */
  async writeStatus(force = false): Promise<void> {
    if (this.writing) return this.writing;
    this.writing = this.writeStatusOnce(force).finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async writeStatusOnce(force: boolean): Promise<void> {
    this.observed.now = new Date().toISOString();
    const status = podStatus(this.observed);
    const text = JSON.stringify(status);
    if (!force && text === this.lastWritten) return;
    try {
      await this.context.client.mergePatch(`/api/v1/namespaces/${this.namespace}/pods/${this.name}/status`, { metadata: { uid: this.uid }, status }, 'process-node');
      this.lastWritten = text;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return;
      this.lastWritten = '';
      this.context.log(`pod ${this.name}: status write failed: ${(error as Error).message}`);
    }
  }
}
