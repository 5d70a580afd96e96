// The servers the runtime HTTP benchmark drives, each in a child process of its own so
// the load generator does not share their thread:
//   raw      a bare node:http server doing the same parsing (body, query, form/JSON) and
//            answering the same JSON with the cookie: the baseline
//   runtime  the ORS runtime with the session host (table-driven interpreter test double)
// Prints the listening URL on stdout, then serves until killed.
import http from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { resolveConfig } from '../../runtime/config/load-config.ts';
import { parseParameters, readBody } from '../../runtime/http/request-parameters.ts';
import { sendError, sendJson, sessionCookie } from '../../runtime/http/responses.ts';
import { startRuntime } from '../../runtime/runtime-process.ts';
import { TableEngine } from '../../test/support/table-engine.ts';

const kind = process.argv[2];

// The bench asks over IPC how much CPU this process used, so it can compare server cost
// per request independently of how fast the load generator is.
process.on('message', (message) => {
  if (message === 'cpu') {
    const usage = process.cpuUsage();
    process.send!({ cpuUs: usage.user + usage.system });
  }
});

if (kind === 'raw') {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    readBody(req, 64 * 1024).then(
      (body) => {
        const data = parseParameters(req.headers['content-type'], body, q < 0 ? '' : url.slice(q + 1));
        const id = url.split('/')[3] ?? 'none';
        sendJson(res, 200, { sessionid: id, event: 'e', status: 'queued', n: Object.keys(data).length }, {
          'set-cookie': sessionCookie(id),
        });
      },
      (error) => sendError(res, error),
    );
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    process.stdout.write(`http://127.0.0.1:${address.port}\n`);
  });
} else if (kind === 'runtime') {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-bench-'));
  await writeFile(
    path.join(dir, 'toggle.json'),
    JSON.stringify({ parameters: ['customer'], initial: 'idle', transitions: { idle: { go: 'busy' }, busy: { go: 'idle' } } }),
  );
  const config = resolveConfig({
    flags: {
      'http-port': 0,
      'log-level': 'silent',
      'node-id': 'node-0',
      'strategies-dir': dir,
      'max-sessions': 1_000_000,
      'max-queue-length': 100_000,
    },
  });
  const runtime = await startRuntime({ config, engine: new TableEngine(), logger: pino({ level: 'silent' }) });
  process.stdout.write(`${runtime.url}\n`);
} else {
  process.stderr.write('usage: http-servers.ts raw|runtime\n');
  process.exit(2);
}
