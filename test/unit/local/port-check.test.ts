// `ors local` checks each port it is about to use (front and runtimes) with an exclusive
// bind, so a taken one fails the start with its name instead of being shared.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { assertPortFree, PortInUseError } from '../../../runtime/local/local-cluster.ts';

describe('assertPortFree', () => {
  it('passes for a free port and names a taken one', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await expect(assertPortFree('127.0.0.1', port, 'runtime node-0-a')).rejects.toThrow(PortInUseError);
    await expect(assertPortFree('127.0.0.1', port, 'runtime node-0-a')).rejects.toThrow(
      `runtime node-0-a: port ${port} on 127.0.0.1 is already in use`,
    );
    await new Promise((resolve) => server.close(resolve));
    await expect(assertPortFree('127.0.0.1', port, 'runtime node-0-a')).resolves.toBeUndefined();
  });
});
