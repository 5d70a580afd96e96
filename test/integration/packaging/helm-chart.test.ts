// The Helm chart (charts/ors-operator) with the real helm and the real test
// kube-apiserver: it lints, renders with default and non-default values, its values
// schema rejects bad values, and an install lands objects that the apiserver accepts —
// including the operator pods, which the ReplicaSet controller creates in a namespace
// that enforces the "restricted" Pod Security Standard.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { parseOrsCluster } from '../../../operator/api/parse-ors-cluster.ts';
import { buildNodeStatefulSet } from '../../../operator/builders/node-statefulset.ts';
import { helm, helmOrThrow } from '../../infra/helm.ts';
import { freePort } from '../../infra/free-port.ts';
import { writeKubeconfig } from '../../infra/kubeconfig.ts';
import { kubectl, kubectlOrThrow } from '../../infra/kubectl.ts';
import { sharedControlPlane } from '../../infra/shared-control-plane.ts';
import { waitUntil } from '../../infra/wait-until.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const chart = path.join(root, 'charts/ors-operator');

interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

function objectsOf(rendered: string): ManifestObject[] {
  return parseAllDocuments(rendered)
    .map((doc) => doc.toJS() as ManifestObject | null)
    .filter((o): o is ManifestObject => o !== null);
}

function find(objects: ManifestObject[], kind: string): ManifestObject {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} in the rendered chart (kinds: ${objects.map((o) => o.kind).join(', ')})`);
  return found;
}

interface Container {
  args: string[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  securityContext: Record<string, unknown>;
  resources: Record<string, unknown>;
}
interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
}
const podSpecOf = (deployment: ManifestObject) => (deployment.spec as { template: { spec: PodSpec } }).template.spec;

let scratch: string;
const nonDefaultValues = {
  replicaCount: 3,
  image: { repository: 'registry.example.com/ors/ors-operator', tag: '9.9.9', pullPolicy: 'Always' },
  imagePullSecrets: ['registry-credentials'],
  operator: {
    watchNamespace: 'contact-center',
    workers: 8,
    logLevel: 'debug',
    metricsPort: 9095,
    metricsAuth: 'kubernetes',
    leaderElection: { leaseDuration: 30, renewDeadline: 20, retryPeriod: 4 },
    extraArgs: ['--kubeconfig=/dev/null'],
  },
  serviceAccount: { create: true, name: 'ors-operator-sa', annotations: { 'example.com/owner': 'platform' } },
  resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: 1, memory: '512Mi' } },
  podAnnotations: { 'example.com/scrape': 'true' },
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ors', effect: 'NoSchedule' }],
  priorityClassName: 'system-cluster-critical',
  metrics: {
    service: { type: 'ClusterIP', port: 9095 },
    serviceMonitor: { enabled: true, interval: '15s', scrapeTimeout: '5s', labels: { release: 'prometheus' } },
    runtimePodMonitor: { enabled: true, interval: '20s', scrapeTimeout: '5s', labels: { release: 'prometheus' }, bearerTokenSecret: { name: 'ors-metrics-token', key: 'token' } },
    prometheusRule: { enabled: true, labels: { release: 'prometheus' } },
    grafanaDashboard: { enabled: true, annotations: { grafana_folder: 'ORS' } },
  },
};
/** What `--api-versions` tells helm when the Prometheus Operator's CRDs are there. */
const monitoringApis = ['ServiceMonitor', 'PodMonitor', 'PrometheusRule'].flatMap((kind) => ['--api-versions', `monitoring.coreos.com/v1/${kind}`]);
let nonDefaultValuesFile: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'ors-chart-test-'));
  nonDefaultValuesFile = path.join(scratch, 'values.yaml');
  await writeFile(nonDefaultValuesFile, stringify(nonDefaultValues));
});

describe('helm lint', () => {
  it('passes --strict with the default values', async () => {
    const output = await helmOrThrow(['lint', '--strict', chart]);
    expect(output).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('passes --strict with non-default values', async () => {
    const output = await helmOrThrow(['lint', '--strict', chart, '-f', nonDefaultValuesFile]);
    expect(output).toContain('1 chart(s) linted, 0 chart(s) failed');
  });
});

describe('helm template', () => {
  it('renders the operator with the default values', async () => {
    const objects = objectsOf(await helmOrThrow(['template', 'ors', chart, '--namespace', 'ors-system']));
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceAccount'],
    );
    const deployment = find(objects, 'Deployment');
    expect(deployment.metadata).toMatchObject({ name: 'ors-ors-operator', namespace: 'ors-system' });
    expect(deployment.spec?.replicas).toBe(2);
    const pod = podSpecOf(deployment);
    expect(pod.serviceAccountName).toBe('ors-ors-operator');
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    const [container] = pod.containers;
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // The probes hit the port the operator is told to serve /healthz and /readyz on.
    expect(container.args).toContain('--metrics-bind-address=0.0.0.0:8080');
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container.args).toEqual(expect.arrayContaining(['operator', '--lease-name=ors-ors-operator', '--lease-namespace=$(POD_NAMESPACE)', '--identity=$(POD_NAME)']));
    expect(container.args.some((a) => a.startsWith('--watch-namespace'))).toBe(false);
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '192Mi' }, limits: { memory: '384Mi' } });

    const binding = find(objects, 'ClusterRoleBinding') as ManifestObject & { roleRef: { name: string }; subjects: { name: string; namespace: string }[] };
    expect(binding.roleRef.name).toBe(find(objects, 'ClusterRole').metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ors-ors-operator', namespace: 'ors-system' }]);
    const service = find(objects, 'Service');
    expect(service.spec).toMatchObject({ selector: { 'app.kubernetes.io/name': 'ors-operator', 'app.kubernetes.io/instance': 'ors' }, ports: [{ name: 'metrics', port: 8080, targetPort: 'metrics' }] });
  });

  it('renders non-default values: ServiceMonitor, watched namespace, ports, leader election, scheduling', async () => {
    const objects = objectsOf(await helmOrThrow(['template', 'ors', chart, '--namespace', 'ors-system', '-f', nonDefaultValuesFile, '--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor']));
    const deployment = find(objects, 'Deployment');
    expect(deployment.spec?.replicas).toBe(3);
    const pod = podSpecOf(deployment) as PodSpec & Record<string, unknown>;
    const [container] = pod.containers;
    expect(container).toMatchObject({ image: 'registry.example.com/ors/ors-operator:9.9.9', imagePullPolicy: 'Always' });
    expect(container.args).toEqual(expect.arrayContaining([
      '--metrics-bind-address=0.0.0.0:9095', '--watch-namespace=contact-center', '--workers=8', '--log-level=debug',
      '--lease-duration=30', '--renew-deadline=20', '--retry-period=4', '--kubeconfig=/dev/null',
    ]));
    expect(container.ports[0].containerPort).toBe(9095);
    expect(pod).toMatchObject({
      serviceAccountName: 'ors-operator-sa',
      imagePullSecrets: [{ name: 'registry-credentials' }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: nonDefaultValues.tolerations,
      priorityClassName: 'system-cluster-critical',
    });
    expect(find(objects, 'ServiceAccount').metadata.name).toBe('ors-operator-sa');
    const monitor = find(objects, 'ServiceMonitor');
    expect(monitor.metadata.labels).toMatchObject({ release: 'prometheus' });
    expect(monitor.spec).toMatchObject({
      namespaceSelector: { matchNames: ['ors-system'] },
      selector: { matchLabels: { 'app.kubernetes.io/component': 'metrics' } },
      endpoints: [{ port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '5s', bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' }],
    });
    // metricsAuth kubernetes: the operator asks for a token, and the chart brings the role a reader needs.
    expect(container.args).toContain('--metrics-auth=kubernetes');
    const reader = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name.endsWith('-metrics-reader')) as unknown as { rules: unknown[] } | undefined;
    expect(reader?.rules).toEqual([{ nonResourceURLs: ['/metrics', '/status', '/status.json'], verbs: ['get'] }]);
    // The ServiceMonitor selects the metrics Service by its labels.
    const service = find(objects, 'Service');
    const wanted = (monitor.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    expect(service.metadata.labels).toMatchObject(wanted);
  });

  it('renders the runtime PodMonitor, the PrometheusRule of rules/ors-alerts.yaml and the Grafana dashboard', async () => {
    const objects = objectsOf(await helmOrThrow(['template', 'ors', chart, '--namespace', 'ors-system', '-f', nonDefaultValuesFile, ...monitoringApis]));
    const podMonitor = find(objects, 'PodMonitor');
    expect(podMonitor.metadata).toMatchObject({ name: 'ors-ors-operator-runtime', namespace: 'ors-system', labels: { release: 'prometheus' } });
    // The labels the operator puts on runtime pods (operator/builders/names.ts), watched namespace only.
    expect(podMonitor.spec).toEqual({
      namespaceSelector: { matchNames: ['contact-center'] },
      selector: { matchLabels: { 'app.kubernetes.io/name': 'ors', 'app.kubernetes.io/component': 'runtime', 'app.kubernetes.io/managed-by': 'ors-operator' } },
      podMetricsEndpoints: [{
        port: 'http', path: '/metrics', interval: '20s', scrapeTimeout: '5s',
        relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_label_ors_dev_cluster'], targetLabel: 'ors_cluster' }],
        authorization: { type: 'Bearer', credentials: { name: 'ors-metrics-token', key: 'token' } },
      }],
    });
    // It selects the pods the operator builds, by the name of their port that serves /metrics.
    const parsed = parseOrsCluster({ metadata: { name: 'demo', namespace: 'contact-center', uid: 'u' }, spec: { image: 'ors:1' } });
    if (!parsed.ok) throw new Error(parsed.message);
    const template = buildNodeStatefulSet(parsed.cluster, 0).spec!.template;
    const monitorSpec = podMonitor.spec as { selector: { matchLabels: Record<string, string> } };
    expect(template.metadata!.labels).toMatchObject(monitorSpec.selector.matchLabels);
    expect(template.metadata!.labels!['ors.dev/cluster']).toBe('demo');
    expect(template.spec!.containers[0]!.ports!.map((p) => p.name)).toContain('http');
    const rule = find(objects, 'PrometheusRule');
    expect(rule.metadata.labels).toMatchObject({ release: 'prometheus' });
    const file = parseAllDocuments(await readFile(path.join(chart, 'rules/ors-alerts.yaml'), 'utf8'))[0]!.toJS() as { groups: unknown[] };
    expect(rule.spec).toEqual({ groups: file.groups });
    const alerts = (rule.spec as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts).toEqual(['OrsNodeWithoutPrimary', 'OrsBackupNotSynced', 'OrsFrequentFailovers', 'OrsSyncLagHigh', 'OrsRecoveryErrors', 'OrsWatchdogTerminations', 'OrsSessionsNearMax']);
    const dashboard = find(objects, 'ConfigMap') as ManifestObject & { data: Record<string, string> };
    expect(dashboard.metadata).toMatchObject({ name: 'ors-ors-operator-dashboard', namespace: 'ors-system', labels: { grafana_dashboard: '1' }, annotations: { grafana_folder: 'ORS' } });
    const json = JSON.parse(dashboard.data['ors.json']!) as { uid: string; panels: { title: string }[] };
    expect(json).toEqual(JSON.parse(await readFile(path.join(chart, 'dashboards/ors.json'), 'utf8')));
    expect(json.panels.map((p) => p.title)).toEqual(expect.arrayContaining([
      'Nodes without a primary', 'Backup synced', 'Failovers per hour', 'Sync lag', 'Sessions vs max-sessions', 'Recovery errors', 'Watchdog terminations',
    ]));
  });

  it('skips the ServiceMonitor, with a note, where the Prometheus Operator CRD is absent', async () => {
    const result = await helmOrThrow(['template', 'ors', chart, '--namespace', 'ors-system', '--set', 'metrics.serviceMonitor.enabled=true']);
    expect(objectsOf(result).some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    const runtime = await helmOrThrow(['template', 'ors', chart, '--namespace', 'ors-system', '--set', 'metrics.runtimePodMonitor.enabled=true', '--set', 'metrics.prometheusRule.enabled=true']);
    expect(objectsOf(runtime).map((o) => o.kind)).not.toEqual(expect.arrayContaining(['PodMonitor']));
    expect(objectsOf(runtime).map((o) => o.kind)).not.toEqual(expect.arrayContaining(['PrometheusRule']));
  });

  it('needs an existing ServiceAccount name when it does not create one', async () => {
    const missing = await helm(['template', 'ors', chart, '--set', 'serviceAccount.create=false']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('serviceAccount.name is required when serviceAccount.create is false');
    const objects = objectsOf(await helmOrThrow(['template', 'ors', chart, '--set', 'serviceAccount.create=false', '--set', 'serviceAccount.name=existing']));
    expect(objects.some((o) => o.kind === 'ServiceAccount')).toBe(false);
    expect(podSpecOf(find(objects, 'Deployment')).serviceAccountName).toBe('existing');
  });

  it('rejects values that break values.schema.json with the offending path', async () => {
    for (const [set, message] of [
      ['replicaCount=0', '/replicaCount'],
      ['operator.logLevel=loud', '/operator/logLevel'],
      ['image.pullPolicy=Sometimes', '/image/pullPolicy'],
      ['metrics.serviceMonitor.interval=often', '/metrics/serviceMonitor/interval'],
      ['metrics.runtimePodMonitor.interval=often', '/metrics/runtimePodMonitor/interval'],
      ['metrics.grafanaDashboard.namespace=Not_A_Namespace', '/metrics/grafanaDashboard/namespace'],
      ['unknownKey=1', 'unknownKey'],
      ['resources.limits.memory=lots', '/resources/limits/memory'],
      ['operator.leaderElection.renewDeadline=15', 'operator.leaderElection.renewDeadline (15) must be less than operator.leaderElection.leaseDuration (15)'],
      ['operator.leaderElection.retryPeriod=10', 'operator.leaderElection.retryPeriod (10) must be less than operator.leaderElection.renewDeadline (10)'],
    ]) {
      const result = await helm(['template', 'ors', chart, '--set', set]);
      expect(result.code, set).not.toBe(0);
      expect(result.stderr, set).toContain(message);
    }
  });
});

describe('helm install into the test kube-apiserver', () => {
  const plane = () => sharedControlPlane();
  const namespace = `ors-chart-${process.pid}`;
  const release = `chart${process.pid}`;

  beforeAll(async () => {
    // Pods of this namespace must meet the "restricted" Pod Security Standard.
    await kubectlOrThrow(plane().kubeconfig, ['create', 'namespace', namespace]);
    await kubectlOrThrow(plane().kubeconfig, ['label', 'namespace', namespace, 'pod-security.kubernetes.io/enforce=restricted']);
  });

  afterAll(async () => {
    await helm(['uninstall', release, '--namespace', namespace], plane().kubeconfig);
    await kubectl(plane().kubeconfig, ['delete', 'namespace', namespace, '--wait=false']);
  });

  it('installs; every rendered object exists and the operator pods pass the restricted Pod Security admission', async () => {
    const kubeconfig = plane().kubeconfig;
    const installed = await helmOrThrow(['install', release, chart, '--namespace', namespace], kubeconfig);
    // NOTES.txt tells the next step.
    expect(installed).toContain('kubectl apply -f examples/orscluster-minimal.yaml');
    expect(installed).toContain('kubectl get orsc --watch');
    expect(installed).toContain(`kubectl -n ${namespace} get deployment ${release}-ors-operator`);
    const manifest = objectsOf(await helmOrThrow(['get', 'manifest', release, '--namespace', namespace], kubeconfig));
    expect(manifest.length).toBe(6);
    for (const object of manifest) {
      const resource = `${object.kind}.${object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : ''}`.replace(/\.$/, '');
      const args = ['get', resource, object.metadata.name, '-o', 'jsonpath={.metadata.uid}'];
      if (object.metadata.namespace) args.push('--namespace', object.metadata.namespace);
      expect((await kubectlOrThrow(kubeconfig, args)).length, `${object.kind} ${object.metadata.name}`).toBeGreaterThan(0);
    }
    const crd = await kubectlOrThrow(kubeconfig, ['get', 'crd', 'orsclusters.ors.dev', '-o', 'jsonpath={.status.acceptedNames.shortNames}']);
    expect(crd).toContain('orsc');

    // No kubelet runs here, but kube-controller-manager does: the ReplicaSet controller
    // creates the pods, and Pod Security admission would refuse any that break "restricted".
    const pods = await waitUntil(
      async () => {
        const names = (await kubectlOrThrow(kubeconfig, [
          'get', 'pods', '--namespace', namespace, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'jsonpath={.items[*].metadata.name}',
        ])).split(' ').filter(Boolean);
        return names.length === 2 ? names : undefined;
      },
      { what: 'the ReplicaSet controller to create both operator pods', timeoutMs: 60_000 },
    );
    expect(pods).toHaveLength(2);
    const events = await kubectlOrThrow(kubeconfig, ['get', 'events', '--namespace', namespace, '-o', 'jsonpath={.items[*].message}']);
    expect(events).not.toContain('violates PodSecurity');
  });

  it('`ors operator` with the Deployment\'s arguments and the release\'s ServiceAccount leads and passes its probes', async () => {
    const kubeconfig = plane().kubeconfig;
    const port = await freePort();
    const rendered = objectsOf(await helmOrThrow(['template', release, chart, '--namespace', namespace, '--set', `operator.metricsPort=${port}`]));
    const container = podSpecOf(find(rendered, 'Deployment')).containers[0] as Container & { livenessProbe: { httpGet: { path: string } } };
    // What the kubelet would do: expand $(VAR) from the env, run the image's entrypoint
    // (runtime/cli/ors.ts) with the args. Only the bind address changes: tests listen on loopback.
    const podName = `${release}-ors-operator-test`;
    const args = container.args.map((a) => a.replace('$(POD_NAMESPACE)', namespace).replace('$(POD_NAME)', podName).replace('0.0.0.0:', '127.0.0.1:'));
    const serviceAccount = podSpecOf(find(rendered, 'Deployment')).serviceAccountName;
    const token = (await kubectlOrThrow(kubeconfig, ['create', 'token', serviceAccount, '--namespace', namespace, '--duration=1h'])).trim();
    const operatorKubeconfig = await writeKubeconfig(path.join(scratch, 'operator.kubeconfig'), {
      name: 'chart-operator', server: plane().server, certificateAuthority: plane().caFile, credentials: { token },
    });
    const child = spawn(path.join(root, 'node_modules/.bin/node'), [path.join(root, 'runtime/cli/ors.ts'), ...args, `--kubeconfig=${operatorKubeconfig}`], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POD_NAMESPACE: namespace },
    });
    const logs: string[] = [];
    child.stdout.on('data', (c: Buffer) => logs.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => logs.push(c.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const probe = async (probePath: string) => (await fetch(`http://127.0.0.1:${port}${probePath}`)).status;
      await waitUntil(async () => ((await probe(container.readinessProbe.httpGet.path)) === 200 ? true : undefined), {
        what: 'the operator to become ready (leader with synced caches)',
        timeoutMs: 60_000,
        abortIf: () => (child.exitCode !== null ? new Error(`ors operator exited (${child.exitCode}):\n${logs.join('')}`) : undefined),
      });
      expect(await probe(container.livenessProbe.httpGet.path)).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('# TYPE');
      // It leads through the Lease the chart names, in the release's namespace.
      const holder = await kubectlOrThrow(kubeconfig, ['get', 'lease', `${release}-ors-operator`, '--namespace', namespace, '-o', 'jsonpath={.spec.holderIdentity}']);
      expect(holder).toBe(podName);
      expect(logs.join('')).not.toMatch(/forbidden/i);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('the restricted namespace really refuses a pod without the chart\'s security context', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'plain', namespace },
      spec: { containers: [{ name: 'c', image: 'example.invalid/plain:1' }] },
    };
    const result = await kubectl(plane().kubeconfig, ['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('violates PodSecurity "restricted');
  });

  it('says in its notes that the ServiceMonitor was skipped without its CRD, and the uninstall order', async () => {
    const notes = await helmOrThrow(['install', 'notes', chart, '--namespace', namespace, '--dry-run=client', '--set', 'metrics.serviceMonitor.enabled=true'], plane().kubeconfig);
    expect(notes).toContain('no monitoring.coreos.com/v1');
    expect(notes).toContain('kubectl delete orsc --all --all-namespaces --wait');
    const monitoring = await helmOrThrow(['install', 'notes', chart, '--namespace', namespace, '--dry-run=client',
      '--set', 'metrics.runtimePodMonitor.enabled=true', '--set', 'metrics.prometheusRule.enabled=true', '--set', 'metrics.grafanaDashboard.enabled=true'], plane().kubeconfig);
    expect(monitoring).toContain('PodMonitor CRD (Prometheus Operator), so no PodMonitor was created for the runtime pods');
    expect(monitoring).toContain('PrometheusRule CRD (Prometheus Operator), so the ORS alerts were not created');
    expect(monitoring).toContain(`Grafana dashboard: ConfigMap notes-ors-operator-dashboard in namespace ${namespace}`);
  });

  it('non-default values (ServiceMonitor, runtime PodMonitor, PrometheusRule, dashboard on) pass server-side validation with strict field checks', async () => {
    const kubeconfig = plane().kubeconfig;
    // The Prometheus Operator is not installed here: minimal CRDs let the apiserver
    // accept its kinds (their spec is not validated beyond being an object).
    for (const [kind, plural] of [['ServiceMonitor', 'servicemonitors'], ['PodMonitor', 'podmonitors'], ['PrometheusRule', 'prometheusrules']] as const) {
      await kubectlOrThrow(kubeconfig, ['apply', '--server-side', '--field-manager=ors-tests', '-f', '-'], JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `${plural}.monitoring.coreos.com` },
        spec: {
          group: 'monitoring.coreos.com',
          names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
          scope: 'Namespaced',
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      }));
      await kubectlOrThrow(kubeconfig, ['wait', '--for=condition=Established', `crd/${plural}.monitoring.coreos.com`, '--timeout=60s']);
    }
    const rendered = await helmOrThrow(['template', 'other', chart, '--namespace', namespace, '-f', nonDefaultValuesFile, ...monitoringApis]);
    const kinds = objectsOf(rendered).map((o) => o.kind);
    expect(kinds).toEqual(expect.arrayContaining(['ServiceMonitor', 'PodMonitor', 'PrometheusRule', 'ConfigMap']));
    const result = await waitUntil(
      async () => {
        const attempt = await kubectl(kubeconfig, ['apply', '--dry-run=server', '--validate=strict', '-f', '-'], rendered);
        // Discovery of a new kind can lag behind Established.
        if (attempt.code !== 0 && /no matches for kind "(ServiceMonitor|PodMonitor|PrometheusRule)"/.test(attempt.stderr)) return undefined;
        return attempt;
      },
      { what: 'the monitoring.coreos.com kinds in discovery', timeoutMs: 30_000 },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(kinds.length);
    expect(result.stdout).toContain('servicemonitor.monitoring.coreos.com/other-ors-operator created (server dry run)');
    expect(result.stdout).toContain('podmonitor.monitoring.coreos.com/other-ors-operator-runtime created (server dry run)');
    expect(result.stdout).toContain('prometheusrule.monitoring.coreos.com/other-ors-operator-alerts created (server dry run)');
    expect(result.stdout).toContain('configmap/other-ors-operator-dashboard created (server dry run)');
  });

  it('a field the apiserver does not know is refused by the same validation', async () => {
    const rendered = await helmOrThrow(['template', 'other', chart, '--namespace', namespace]);
    const broken = rendered.replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: true\n            readOnlyRootFileSystem: true');
    expect(broken).not.toBe(rendered);
    const result = await kubectl(plane().kubeconfig, ['apply', '--dry-run=server', '--validate=strict', '-f', '-'], broken);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('readOnlyRootFileSystem');
  });
});
