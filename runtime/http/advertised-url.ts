// The URL a primary names on its node's Lease, where its backups send clients (307). A
// process bound to one address names that address. One bound to every address (0.0.0.0
// or ::, as in a pod) has none of its own that a client could reach: "http://0.0.0.0:…"
// sent clients nowhere (through an Ingress: a 404 from a route that matches no host). It
// names its node's external-url instead, where the load balancer sends clients to the
// node's current primary.
import { isIP } from 'node:net';

const UNSPECIFIED = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

export function advertisedHttpUrl(scheme: 'http' | 'https', boundAddress: string, port: number, externalUrl: string | undefined): string {
  if (UNSPECIFIED.has(boundAddress) && externalUrl) return externalUrl.replace(/\/+$/, '');
  const host = isIP(boundAddress) === 6 ? `[${boundAddress}]` : boundAddress;
  return `${scheme}://${host}:${port}`;
}
