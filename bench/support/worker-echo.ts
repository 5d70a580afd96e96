// Worker side of the worker-thread measurement: runs an SCXML session's macrostep for each
// event posted to it and posts back the resulting configuration, as a session worker
// would.
import { parentPort } from 'node:worker_threads';
import { createScxmlEngine } from '../../runtime/sessions/scxml-engine.ts';
import { toggleScxml } from './toggle-strategy.ts';

const compiled = createScxmlEngine().compile(toggleScxml, 'toggle.scxml');
const noop = () => {};
const services = {
  startSession: async () => '',
  terminateSession: noop,
  fetch: async () => ({ status: 200, contentType: '', body: '' }),
  respond: () => false,
  deliver: () => false,
};
const session = compiled.createSession({ sessionId: 'w', parameters: {}, services, onWork: noop });
session.start();
parentPort!.on('message', (message: { i: number; name: string; data: unknown }) => {
  session.send({ name: message.name, data: message.data });
  parentPort!.postMessage({ i: message.i, configuration: session.configuration() });
});
