import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { helmOrThrow } from '../infra/helm.ts';
import { kubectlOrThrow } from '../infra/kubectl.ts';
import { componentVersion, requiredModuleVersion } from '../infra/server-binaries.ts';
import { sharedControlPlane } from '../infra/shared-control-plane.ts';

// kubectl and helm, built from Go modules by `make servers`, work against the shared
// control plane.

describe('kubectl', () => {
  it('reports the client and server versions', async () => {
    const output = await kubectlOrThrow(sharedControlPlane().kubeconfig, ['version', '-o', 'json']);
    const versions = JSON.parse(output) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
    expect(versions.clientVersion.gitVersion).toBe(componentVersion('kubernetes'));
    expect(versions.serverVersion.gitVersion).toBe(componentVersion('kubernetes'));
  });

  it('applies a manifest with server-side apply and reads it back', async () => {
    const kubeconfig = sharedControlPlane().kubeconfig;
    const name = `smoke-kubectl-${process.pid}`;
    await kubectlOrThrow(kubeconfig, ['apply', '--server-side', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`);
    expect(await kubectlOrThrow(kubeconfig, ['get', 'namespace', name, '-o', 'jsonpath={.status.phase}'])).toBe('Active');
    await kubectlOrThrow(kubeconfig, ['delete', 'namespace', name, '--wait=false']);
  });
});

describe('helm', () => {
  it('reports its version', async () => {
    expect((await helmOrThrow(['version', '--template', '{{.Version}}'])).trim()).toBe(componentVersion('helm'));
  });

  it('renders a chart with helm template', async () => {
    const chart = await mkdtemp(path.join(os.tmpdir(), 'ors-chart-'));
    await mkdir(path.join(chart, 'templates'));
    await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: smoke\nversion: 0.1.0\n');
    await writeFile(path.join(chart, 'values.yaml'), 'greeting: hello\n');
    await writeFile(
      path.join(chart, 'templates', 'configmap.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n',
    );
    const rendered = await helmOrThrow(['template', 'demo', chart, '--set', 'greeting=bonjour']);
    expect(rendered).toContain('name: demo-settings');
    expect(rendered).toContain('greeting: "bonjour"');
    // helm's build sets the Kubernetes version from the client-go it links (v0.N.x is 1.N).
    const helmGoMod = readFileSync(path.join(import.meta.dirname, '../infra/helm/go.mod'), 'utf8');
    const kubeMinor = requiredModuleVersion(helmGoMod, 'k8s.io/client-go').split('.')[1];
    expect(rendered).toContain(`kube: "v1.${kubeMinor}.0"`);
  });
});
