// The process node's pod network. Pods have no network namespaces of their own, so each
// listens on its own loopback address; but the API server refuses loopback addresses in
// EndpointSlices, so the address a pod reports (status.podIP) is its 10.x twin: pod IP
// 10.a.b.c is served on 127.a.b.c. Whoever connects to a pod IP (the Ingress stand-in,
// the cluster DNS, probes) goes through `reachableAddress`. Pure.

export function podIPFor(loopback: string): string {
  if (!loopback.startsWith('127.')) throw new Error(`${loopback} is not a loopback address`);
  return `10.${loopback.slice(4)}`;
}

/** Where to connect to reach `address`: pod IPs map to their loopback twin, others stay. */
export function reachableAddress(address: string): string {
  return address.startsWith('10.') ? `127.${address.slice(3)}` : address;
}
