// The Ingress stand-in's HAProxy sections, rendered from the cluster's Ingresses and the
// EndpointSlices of the Services they point at: one frontend routing on the Host header,
// one backend per Service with its endpoints (ready or not, terminating ones left out),
// sticky on the ORSSESSIONID cookie the runtime sets, health-checked with GET /heartbeat
// expecting 200, so only primaries get traffic and a new primary gets it at once. Like
// HAProxy Ingress, it reads ImplementationSpecific paths as regular expressions when the
// Ingress says `haproxy-ingress.github.io/path-type: regex` (the operator's per-node
// session paths), else as prefixes. Pure.
import type { V1EndpointSlice, V1Ingress, V1Service } from '@kubernetes/client-node';

export interface IngressInputs {
  ingresses: readonly V1Ingress[];
  services: readonly V1Service[];
  endpointSlices: readonly V1EndpointSlice[];
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const PATH_TYPE_ANNOTATION = 'haproxy-ingress.github.io/path-type';

/** haproxy identifiers: letters, digits, "-", "_", ".", ":". */
const ident = (text: string) => text.replace(/[^A-Za-z0-9_.:-]/g, '_');

interface Backend {
  name: string;
  servers: { name: string; address: string; port: number }[];
}

function backendFor(namespace: string, service: string, servicePort: number, inputs: IngressInputs): Backend {
  const svc = inputs.services.find((s) => s.metadata?.name === service);
  const port = svc?.spec?.ports?.find((p) => p.port === servicePort);
  const servers: Backend['servers'] = [];
  for (const slice of inputs.endpointSlices) {
    if (slice.metadata?.labels?.[SERVICE_NAME_LABEL] !== service) continue;
    const slicePort = slice.ports?.find((p) => (port?.name ? p.name === port.name : true)) ?? slice.ports?.[0];
    if (!slicePort?.port) continue;
    for (const endpoint of slice.endpoints ?? []) {
      // Not-ready endpoints stay in (only terminating ones go): the /heartbeat health
      // check lets a new primary in within one check interval, sooner than its readiness
      // probe, the EndpointSlice update and a reload would.
      if (endpoint.conditions?.terminating === true) continue;
      for (const address of endpoint.addresses) {
        servers.push({ name: ident(endpoint.targetRef?.name ?? address), address, port: slicePort.port });
      }
    }
  }
  servers.sort((a, b) => a.name.localeCompare(b.name));
  return { name: ident(`${namespace}_${service}_${servicePort}`), servers };
}

/** The frontend binds `listen` (an address of the pod network's world, or loopback). */
export function ingressSections(inputs: IngressInputs, listen: { address: string; port: number }): string {
  const frontend = ['frontend ingress', `  bind ${listen.address}:${listen.port}`];
  const backends = new Map<string, Backend>();
  let rule = 0;
  for (const ingress of inputs.ingresses) {
    const namespace = ingress.metadata?.namespace ?? 'default';
    const regexPaths = ingress.metadata?.annotations?.[PATH_TYPE_ANNOTATION] === 'regex';
    for (const r of ingress.spec?.rules ?? []) {
      for (const p of r.http?.paths ?? []) {
        const service = p.backend.service;
        if (!service?.port?.number) continue;
        const backend = backendFor(namespace, service.name, service.port.number, inputs);
        backends.set(backend.name, backend);
        const acl = `rule_${rule++}`;
        frontend.push(`  acl ${acl}_host ${r.host ? `req.hdr(host),field(1,:) -m str -i ${r.host}` : 'always_true'}`);
        const asRegex = regexPaths && p.pathType === 'ImplementationSpecific';
        frontend.push(`  acl ${acl}_path ${asRegex ? 'path_reg' : 'path_beg'} ${p.path ?? '/'}`);
        frontend.push(`  use_backend ${backend.name} if ${acl}_host ${acl}_path`);
      }
    }
  }
  frontend.push('  default_backend no_route');
  const sections = [frontend.join('\n'), 'backend no_route\n  http-request return status 404 content-type application/json string "{\\"error\\":\\"no-route\\"}"'];
  for (const backend of backends.values()) {
    sections.push(
      [
        `backend ${backend.name}`,
        '  balance roundrobin',
        '  option httpchk GET /heartbeat',
        '  http-check expect status 200',
        '  stick-table type string len 96 size 1m expire 1h',
        '  stick on req.cook(ORSSESSIONID)',
        '  stick store-response res.cook(ORSSESSIONID)',
        '  default-server inter 300ms fall 1 rise 1',
        '  retry-on conn-failure empty-response',
        '  retries 2',
        '  option redispatch',
        ...backend.servers.map((s) => `  server ${s.name} ${s.address}:${s.port} check`),
      ].join('\n'),
    );
  }
  return sections.join('\n\n') + '\n';
}
