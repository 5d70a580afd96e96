// A kubelet's HTTP probe: GET http://<podIP>:<port><path>, success on 200-399 within
// timeoutSeconds. Named ports resolve through the container's ports.
import http from 'node:http';
import type { V1Container, V1Probe } from '@kubernetes/client-node';

export function probePort(container: V1Container, port: number | string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`probe port ${port}: the container has no such named port`);
  return named.containerPort;
}

export function runHttpProbe(probe: V1Probe, container: V1Container, podIP: string): Promise<boolean> {
  const get = probe.httpGet;
  if (!get) return Promise.reject(new Error('only httpGet probes are supported by the process node'));
  const port = probePort(container, get.port as number | string);
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  return new Promise((resolve) => {
    const request = http.get({ host: podIP, port, path: get.path ?? '/', timeout: timeoutMs, agent: false }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolve(status >= 200 && status < 400);
    });
    request.on('timeout', () => request.destroy(new Error('probe timed out')));
    request.on('error', () => resolve(false));
  });
}
