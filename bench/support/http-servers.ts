// The servers the runtime HTTP benchmark drives, each in a child process of its own so
// the load generator does not share their thread:
//   raw      a bare node:http server doing the same parsing (body, query, form/JSON) and
//            answering the same JSON with the cookie: the baseline
//   express  the same handler as raw, but routed through an express 5 app (what the hot
//            path avoids)
//   runtime  the ORS runtime: session host and the SCXML interpreter
//   runtime-table  the ORS runtime with the table-driven interpreter test double
//            (test/support/table-engine.ts): the runtime's own cost, without the SCXML one
//   runtime-auth  the ORS runtime (SCXML) with bearer-token authentication on (benchToken)
// The runtime kinds take session-processing-threads as a second argument (default: unset).
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
import express from 'express';
import { createScxmlEngine } from '../../runtime/sessions/scxml-engine.ts';
import { benchToken } from './bench-token.ts';
import { toggleScxml } from './toggle-strategy.ts';
import { TableEngine } from '../../test/support/table-engine.ts';

const kind = process.argv[2];
/** session-processing-threads, when the bench compares a thread count with the default. */
const threads = process.argv[3];
// Exit normally on a signal, so --cpu-prof and similar tools write their output.
process.once('SIGINT', () => process.exit(0));

// The bench asks over IPC how much CPU this process used, so it can compare server cost
// per request independently of how fast the load generator is.
process.on('message', (message) => {
  if (message === 'cpu') {
    const usage = process.cpuUsage();
    process.send!({ cpuUs: usage.user + usage.system });
  }
});

async function tokensFile(dir: string): Promise<string> {
  const file = path.join(dir, 'tokens');
  await writeFile(file, `# bench\nother-client-token-0001\n${benchToken}\nother-client-token-0002\n`);
  return file;
}

function sameParsing(req: http.IncomingMessage, res: http.ServerResponse): void {
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
}

if (kind === 'raw' || kind === 'express') {
  let listener: http.RequestListener = sameParsing;
  if (kind === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.post('/scxml/session/:id/event/:name', (req, res) => sameParsing(req, res));
    app.post('/scxml/session/start', (req, res) => sameParsing(req, res));
    listener = app;
  }
  const server = http.createServer({ keepAliveTimeout: 65_000 }, listener);
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    process.stdout.write(`http://127.0.0.1:${address.port}\n`);
  });
} else if (kind === 'runtime' || kind === 'runtime-table' || kind === 'runtime-auth') {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-bench-'));
  await writeFile(
    path.join(dir, 'toggle.scxml'),
    kind !== 'runtime-table' ? toggleScxml : JSON.stringify({ parameters: ['customer'], initial: 'idle', transitions: { idle: { go: 'busy' }, busy: { go: 'idle' } } }),
  );
  const config = resolveConfig({
    flags: {
      'http-port': 0,
      ...(kind === 'runtime-auth' ? { 'auth-tokens-file': await tokensFile(dir) } : { auth: 'none' }),
      'log-level': 'silent',
      'node-id': 'node-0',
      'strategies-dir': dir,
      'max-sessions': 1_000_000,
      'max-queue-length': 100_000,
      ...(threads ? { 'session-processing-threads': threads } : {}),
    },
  });
  const runtime = await startRuntime({ config, engine: kind !== 'runtime-table' ? createScxmlEngine() : new TableEngine(), logger: pino({ level: 'silent' }) });
  process.stdout.write(`${runtime.url}\n`);
} else {
  process.stderr.write('usage: http-servers.ts raw|express|runtime|runtime-table|runtime-auth\n');
  process.exit(2);
}
