// Asks a TCP port whether anything listens: a refusal (RST to our SYN: ECONNREFUSED), an
// accepted connection (closed again at once), or no answer in time (dropped packets, an
// unreachable host, any other error). Only 'refused' counts as evidence that a process is gone.
import net from 'node:net';
import type { PortAnswer } from './crash-evidence.ts';

export function probePort(host: string, port: number, timeoutMs: number): Promise<PortAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (answer: PortAnswer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done('no-answer'), timeoutMs);
    socket.once('connect', () => done('accepted'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' ? 'refused' : 'no-answer'));
  });
}
