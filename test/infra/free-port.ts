import net from 'node:net';

/**
 * A TCP port on 127.0.0.1 that is free right now: the kernel picks it (listen on port 0)
 * and we release it for a server that cannot listen on port 0 itself (etcd,
 * kube-apiserver, haproxy). Never a fixed port: several test runs share the machine.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('listening on port 0 gave no TCP address'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Runs `start` again (with new free ports, which `start` picks itself) when it fails
 * because another process took a port between freePort() and the server's bind.
 */
export async function retryOnPortClash<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const clash = error instanceof Error && /address already in use/i.test(error.message);
      if (!clash || attempt >= attempts) throw error;
    }
  }
}

/** Whether something accepts TCP connections on `host`:`port` right now. */
export function acceptsConnections(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** True once every port accepts connections (a probe for waitUntil), else undefined. */
export async function allAcceptConnections(ports: readonly number[], host = '127.0.0.1'): Promise<true | undefined> {
  return (await Promise.all(ports.map((port) => acceptsConnections(port, host)))).every(Boolean) ? true : undefined;
}
