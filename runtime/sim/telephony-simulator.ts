// The telephony and interaction server that `ors sim` runs: it speaks the protocol of
// runtime/telephony/PROTOCOL.md over WebSocket to every runtime process, plays calls
// (ringing on routing points, treatments, routing to targets, abandon, release), keeps
// the interaction queues, and counts what happens. Bad messages are logged, answered
// with an `error` and otherwise ignored: a connection never dies of its peer's mistake.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import type { Logger } from 'pino';
import { decodeClientMessage } from '../telephony/protocol.ts';
import type { ClientMessage, ServerMessage } from '../telephony/protocol.ts';
import { negotiateVersion, PROTOCOL_NAME } from '../telephony/connection-messages.ts';
import type { Capability, ErrorCode, Hello, Response } from '../telephony/connection-messages.ts';
import type { AttachedData, CallEvent } from '../telephony/voice-messages.ts';
import { InteractionQueues } from './interaction-queues.ts';
import { SimStatistics } from './sim-statistics.ts';
import type { PullLogEntry, SimStatisticsReport } from './sim-statistics.ts';
import type { SimConfig } from './sim-config.ts';

interface Peer {
  socket: WebSocket;
  hello?: Hello;
  role?: 'primary' | 'backup';
}

type CallState = 'ringing' | 'routed' | 'released';

interface SimCall {
  callId: string;
  routingPoint: string;
  state: CallState;
  events: CallEvent[];
  attachedData: AttachedData;
  callType: 'inbound' | 'outbound' | 'internal' | 'consult';
  primaryCallId?: string;
  /** performance.now() at the latest ringing: time to route is measured below the millisecond. */
  ringingAt: number;
  lastRingingSeq: number;
  /** The session that claimed the call, and after which ringing it did. */
  attachment?: { sessionId: string; nodeId: string; afterRingingSeq: number };
  treatments: Map<string, NodeJS.Timeout>;
  patienceMs: number;
  talkMs: number;
  timer?: NodeJS.Timeout;
}

export interface NewCall {
  routingPoint: string;
  callId?: string;
  callType?: SimCall['callType'];
  primaryCallId?: string;
  attachedData?: AttachedData;
  ani?: string;
  patienceMs?: number;
  talkMs?: number;
}

type Failure = { code: ErrorCode; message: string };
const fail = (code: ErrorCode, message: string): Failure => ({ code, message });

export class TelephonySimulator {
  private readonly config: SimConfig;
  private readonly log: Logger;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly peers = new Set<Peer>();
  private readonly calls = new Map<string, SimCall>();
  private readonly finishedCalls = new Map<string, SimCall>();
  private readonly queues: InteractionQueues;
  private readonly enqueuedAt = new Map<string, number>();
  private readonly routingPoints: Map<string, string>;
  readonly stats: SimStatistics;
  readonly pullLog: PullLogEntry[] = [];
  private nextCall = 1;
  private refusingConnections = false;
  /** processId -> until when its hellos are refused (a telephony link down for a while). */
  private readonly heldOff = new Map<string, number>();
  private expiryTimer?: NodeJS.Timeout;
  private httpHandler?: (req: http.IncomingMessage, res: http.ServerResponse) => void;

  constructor(config: SimConfig, log: Logger) {
    this.config = config;
    this.log = log;
    this.routingPoints = new Map(config.routingPoints.map((rp) => [rp.dn, rp.strategy]));
    this.queues = new InteractionQueues(config.queues, { expiryEnabled: config.leaseExpiry.enabled, leaseMs: config.leaseExpiry.leaseMs });
    this.stats = new SimStatistics(Date.now());
    this.server = http.createServer((req, res) => {
      if (this.httpHandler) this.httpHandler(req, res);
      else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'not-found', message: 'no control API on this simulator' }));
      }
    });
    this.wss = new WebSocketServer({ server: this.server, maxPayload: 1 << 20 });
    this.wss.on('connection', (socket) => this.accept(socket));
  }

  /** Routes plain HTTP requests (the control API) to this handler. */
  handleHttp(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): void {
    this.httpHandler = handler;
  }

  async listen(): Promise<{ url: string; httpUrl: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.config.port, this.config.host, () => resolve());
    });
    if (this.config.leaseExpiry.enabled) {
      const every = Math.max(10, Math.floor(this.config.leaseExpiry.leaseMs / 4));
      this.expiryTimer = setInterval(() => this.expireLeases(), every);
    }
    const { port } = this.server.address() as AddressInfo;
    return { url: `ws://${this.config.host}:${port}`, httpUrl: `http://${this.config.host}:${port}`, port };
  }

  async close(): Promise<void> {
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    for (const call of this.calls.values()) this.stopTimers(call);
    for (const peer of this.peers) peer.socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  report(): SimStatisticsReport {
    const counts = this.queues.counts();
    return this.stats.report(Date.now(), {
      callsInProgress: this.calls.size,
      waiting: counts.waiting,
      inProgress: counts.inProgress,
      connections: [...this.peers].filter((p) => p.hello).length,
    });
  }

  callInfo(callId: string): { callId: string; state: CallState; events: CallEvent[]; attachment?: SimCall['attachment'] } | undefined {
    const call = this.calls.get(callId) ?? this.finishedCalls.get(callId);
    if (!call) return undefined;
    return { callId, state: call.state, events: [...call.events], ...(call.attachment ? { attachment: { ...call.attachment } } : {}) };
  }

  /** Processes connected and welcomed, as they introduced themselves. */
  connectedProcesses(): { processId: string; nodeId: string; role: string }[] {
    return [...this.peers].flatMap((p) => (p.hello ? [{ processId: p.hello.processId, nodeId: p.hello.nodeId, role: p.role ?? p.hello.role }] : []));
  }

  // ---- calls --------------------------------------------------------------------------

  /** A call arrives and rings on a routing point. */
  offerCall(spec: NewCall): string {
    if (!this.routingPoints.has(spec.routingPoint)) {
      throw new Error(`unknown routing point "${spec.routingPoint}" (configured: ${[...this.routingPoints.keys()].join(', ') || 'none'})`);
    }
    const callId = spec.callId ?? `call-${this.nextCall++}`;
    if (this.calls.has(callId) || this.finishedCalls.has(callId)) throw new Error(`call "${callId}" already exists`);
    const call: SimCall = {
      callId,
      routingPoint: spec.routingPoint,
      state: 'ringing',
      events: [],
      attachedData: { ...(spec.attachedData ?? {}) },
      callType: spec.callType ?? 'inbound',
      ringingAt: performance.now(),
      lastRingingSeq: 0,
      treatments: new Map(),
      // Timers hold at most 2^31-1 ms (~24 days): a longer patience means "never abandons".
      patienceMs: Math.min(spec.patienceMs ?? 30_000, 2_147_483_647),
      talkMs: spec.talkMs ?? 1_000,
    };
    if (spec.primaryCallId) call.primaryCallId = spec.primaryCallId;
    this.calls.set(callId, call);
    this.stats.offered++;
    this.ring(call, spec.ani);
    return callId;
  }

  /** A routed call comes back to a routing point (an agent transferred it): a reroute. */
  rerouteCall(callId: string, routingPoint: string): Failure | undefined {
    const call = this.calls.get(callId);
    if (!call) return fail('unknown-call', `no live call "${callId}"`);
    if (!this.routingPoints.has(routingPoint)) return fail('invalid', `unknown routing point "${routingPoint}"`);
    if (call.state === 'ringing') return fail('invalid', `call "${callId}" is already on a routing point`);
    this.stopTimers(call);
    call.routingPoint = routingPoint;
    call.state = 'ringing';
    call.ringingAt = performance.now();
    this.stats.offered++;
    this.ring(call, undefined);
    return undefined;
  }

  /** The caller (or the agent) hangs up. */
  releaseCall(callId: string): Failure | undefined {
    const call = this.calls.get(callId);
    if (!call) return fail('unknown-call', `no live call "${callId}"`);
    if (call.state === 'ringing') this.stats.releasedBeforeRouting++;
    this.release(call);
    return undefined;
  }

  private ring(call: SimCall, ani: string | undefined): void {
    const event = this.emit(call, {
      type: 'call.ringing',
      routingPoint: call.routingPoint,
      callType: call.callType,
      attachedData: { ...call.attachedData },
      ...(ani ? { ani } : {}),
      ...(call.primaryCallId ? { primaryCallId: call.primaryCallId } : {}),
      ...(call.attachment ? { previousSessionId: call.attachment.sessionId } : {}),
    });
    call.lastRingingSeq = event.seq;
    call.timer = setTimeout(() => this.abandon(call), call.patienceMs);
  }

  private abandon(call: SimCall): void {
    if (call.state !== 'ringing') return;
    this.stats.abandoned++;
    this.cancelTreatments(call);
    this.emit(call, { type: 'call.abandoned' });
    this.release(call);
  }

  private release(call: SimCall): void {
    this.stopTimers(call);
    this.cancelTreatments(call);
    call.state = 'released';
    this.emit(call, { type: 'call.released' });
    this.calls.delete(call.callId);
    this.finishedCalls.set(call.callId, call);
  }

  private stopTimers(call: SimCall): void {
    if (call.timer) clearTimeout(call.timer);
    delete call.timer;
  }

  private cancelTreatments(call: SimCall): void {
    for (const [treatmentId, timer] of call.treatments) {
      clearTimeout(timer);
      this.stats.treatmentsCancelled++;
      this.emit(call, { type: 'call.treatment-ended', treatmentId, reason: 'cancelled' });
    }
    call.treatments.clear();
  }

  /** Appends an event to the call's history and sends it to every voice peer. */
  private emit<E extends CallEvent>(call: SimCall, body: DistributiveOmit<E, 'callId' | 'seq' | 'at'>): E {
    const event = { ...body, callId: call.callId, seq: call.events.length + 1, at: Date.now() } as unknown as E;
    call.events.push(event);
    this.broadcast(event, 'voice');
    return event;
  }

  private broadcast(message: ServerMessage, capability: Capability): void {
    const text = JSON.stringify(message);
    for (const peer of this.peers) {
      if (peer.hello?.capabilities.includes(capability) && peer.socket.readyState === WebSocket.OPEN) peer.socket.send(text);
    }
  }

  /**
   * Cuts the connections of the processes with this id (they reconnect): completions in
   * transit are lost. With `holdMs`, their reconnections are refused for that long, so
   * they miss every event sent meanwhile and catch up with `calls.list` afterwards.
   */
  dropConnections(processId: string, holdMs = 0): number {
    if (holdMs > 0) this.heldOff.set(processId, Date.now() + holdMs);
    let dropped = 0;
    for (const peer of this.peers) {
      if (peer.hello?.processId === processId) {
        peer.socket.terminate();
        dropped++;
      }
    }
    return dropped;
  }

  /** Sends raw text to every connected peer: for tests of how runtimes survive garbage. */
  injectRaw(text: string): number {
    let sent = 0;
    for (const peer of this.peers) {
      if (peer.socket.readyState === WebSocket.OPEN) {
        peer.socket.send(text);
        sent++;
      }
    }
    return sent;
  }

  // ---- interactions -------------------------------------------------------------------

  enqueueInteractions(queue: string, count: number, data: AttachedData = {}): string[] {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = this.queues.enqueue(queue, { data });
      this.enqueuedAt.set(id, Date.now());
      ids.push(id);
    }
    this.stats.enqueued += count;
    return ids;
  }

  queueNames(): string[] {
    return this.queues.queueNames();
  }

  private expireLeases(): void {
    for (const r of this.queues.expire(Date.now())) {
      this.stats.nodeCounts(r.previousOwner).returned++;
      this.enqueuedAt.set(r.interactionId, Date.now());
      this.log.info({ interactionId: r.interactionId, node: r.previousOwner }, 'lease expired: interaction back in its queue');
      const text = JSON.stringify({ type: 'interaction.lease-expired', interactionId: r.interactionId, queue: r.queue, at: Date.now() });
      for (const peer of this.peers) if (peer.hello?.nodeId === r.previousOwner) peer.socket.send(text);
    }
  }

  // ---- connections --------------------------------------------------------------------

  /** While set, every new connection is closed at once (the server looks down to runtimes). */
  refuseConnections(refuse: boolean): void {
    this.refusingConnections = refuse;
  }

  private accept(socket: WebSocket): void {
    if (this.refusingConnections) {
      socket.terminate();
      return;
    }
    const peer: Peer = { socket };
    this.peers.add(peer);
    socket.on('message', (data, isBinary) => {
      const raw = isBinary ? '' : data.toString();
      const decoded = decodeClientMessage(raw);
      if (!decoded.ok) {
        this.reject(peer, decoded.code, decoded.message, decoded.requestId);
        return;
      }
      try {
        this.handle(peer, decoded.message);
      } catch (err) {
        // A bug here must not take the connection (or the server) down.
        this.log.error({ err, type: decoded.message.type }, 'error handling a message');
        this.reject(peer, 'invalid', `server error: ${(err as Error).message}`, 'requestId' in decoded.message ? decoded.message.requestId : undefined);
      }
    });
    socket.on('close', () => {
      this.peers.delete(peer);
      if (peer.hello) this.log.info({ processId: peer.hello.processId }, 'runtime disconnected');
    });
    socket.on('error', (err) => this.log.warn({ err }, 'websocket error'));
  }

  private reject(peer: Peer, code: ErrorCode, message: string, requestId: string | undefined): void {
    this.stats.rejectedMessages++;
    this.log.warn({ code, processId: peer.hello?.processId, requestId }, `ignored message: ${message}`);
    this.send(peer, { type: 'error', code, message, ...(requestId ? { requestId } : {}) });
  }

  private send(peer: Peer, message: ServerMessage): void {
    if (peer.socket.readyState === WebSocket.OPEN) peer.socket.send(JSON.stringify(message));
  }

  private respond(peer: Peer, requestId: string, outcome: { result?: unknown } | Failure): void {
    const response: Response =
      'code' in outcome
        ? { type: 'response', requestId, ok: false, error: { code: outcome.code, message: outcome.message } }
        : { type: 'response', requestId, ok: true, ...(outcome.result !== undefined ? { result: outcome.result } : {}) };
    this.send(peer, response);
  }

  private handle(peer: Peer, message: ClientMessage): void {
    if (message.type === 'hello') {
      this.welcome(peer, message);
      return;
    }
    if (!peer.hello) {
      this.reject(peer, 'not-welcomed', `send "hello" before "${message.type}"`, 'requestId' in message ? message.requestId : undefined);
      return;
    }
    const self = peer.hello;
    switch (message.type) {
      case 'role.changed':
        this.log.info({ processId: self.processId, role: message.role }, 'runtime role changed');
        peer.role = message.role;
        return;
      case 'call.route':
        return this.respond(peer, message.requestId, this.route(message.callId, message.target, self.nodeId, message.sessionId));
      case 'call.treatment.apply':
        return this.respond(peer, message.requestId, this.applyTreatment(message.callId, message.treatmentId, message.treatment.durationMs, message.sessionId));
      case 'call.treatment.cancel':
        return this.respond(peer, message.requestId, this.cancelTreatment(message.callId, message.treatmentId));
      case 'call.attached-data.update':
        return this.respond(peer, message.requestId, this.updateAttachedData(message.callId, message.set, message.remove));
      case 'call.session.attach':
        return this.respond(peer, message.requestId, this.attach(message.callId, message.sessionId, message.nodeId));
      case 'calls.list':
        return this.respond(peer, message.requestId, {
          result: { calls: [...this.calls.values()].map((c) => ({ callId: c.callId, events: c.events })) },
        });
      case 'interactions.pull':
        return this.respond(peer, message.requestId, this.pull(peer, message.queues, message.max));
      case 'interactions.lease.renew':
        return this.respond(peer, message.requestId, { result: this.queues.renew(self.nodeId, message.interactionIds, Date.now()) });
      case 'interaction.complete': {
        const outcome = this.queues.complete(self.nodeId, message.interactionId);
        if (!outcome.ok) {
          this.stats.completionsRefused++;
          return this.respond(peer, message.requestId, outcome);
        }
        if (outcome.repeated) this.stats.completionsRepeated++;
        else this.stats.nodeCounts(self.nodeId).completed++;
        return this.respond(peer, message.requestId, { result: { repeated: outcome.repeated } });
      }
      case 'interactions.held':
        return this.respond(peer, message.requestId, { result: { interactions: this.queues.heldBy(self.nodeId) } });
      case 'interaction.stop-processing': {
        const outcome = this.queues.stopProcessing(self.nodeId, message.interactionId, message.queue);
        if (outcome.ok) {
          this.stats.nodeCounts(self.nodeId).stopped++;
          if (message.queue !== undefined) this.enqueuedAt.set(message.interactionId, Date.now());
        }
        return this.respond(peer, message.requestId, outcome.ok ? {} : outcome);
      }
    }
  }

  private welcome(peer: Peer, hello: Hello): void {
    const heldOffUntil = this.heldOff.get(hello.processId);
    if (heldOffUntil !== undefined && Date.now() < heldOffUntil) {
      peer.socket.terminate();
      return;
    }
    this.heldOff.delete(hello.processId);
    const version = negotiateVersion(hello.versions);
    if (version === undefined) {
      this.reject(peer, 'unsupported-version', `no common protocol version: offered ${hello.versions.join(', ')}, this server speaks 1`, undefined);
      peer.socket.close(4000, 'unsupported protocol version');
      return;
    }
    peer.hello = hello;
    peer.role = hello.role;
    this.log.info({ processId: hello.processId, nodeId: hello.nodeId, role: hello.role, version }, 'runtime connected');
    this.send(peer, {
      type: 'welcome',
      protocol: PROTOCOL_NAME,
      version,
      server: 'ors-sim',
      routingPoints: [...this.routingPoints].map(([dn, strategy]) => ({ dn, strategy })),
      queues: this.config.queues,
      now: Date.now(),
    });
  }

  private liveCall(callId: string): SimCall | Failure {
    const call = this.calls.get(callId);
    if (call) return call;
    if (this.finishedCalls.has(callId)) return fail('call-gone', `call "${callId}" was released`);
    return fail('unknown-call', `no call "${callId}"`);
  }

  private route(callId: string, target: string, nodeId: string, sessionId: string | undefined): { result?: unknown } | Failure {
    const call = this.liveCall(callId);
    if ('code' in call) return call;
    if (call.state !== 'ringing') return fail('call-gone', `call "${callId}" is not on a routing point (${call.state})`);
    if (this.config.targets.length > 0 && !this.config.targets.includes(target)) {
      return fail('unknown-target', `target "${target}" does not accept calls (targets: ${this.config.targets.join(', ')})`);
    }
    const holder = this.currentHolder(call);
    if (sessionId && holder && holder.sessionId !== sessionId) {
      return fail('not-owner', `call "${callId}" is held by session ${holder.sessionId}`);
    }
    this.stopTimers(call);
    this.cancelTreatments(call);
    call.state = 'routed';
    this.stats.routed++;
    this.stats.timesToRoute.push(performance.now() - call.ringingAt);
    this.stats.routedByNode[nodeId] = (this.stats.routedByNode[nodeId] ?? 0) + 1;
    this.emit(call, { type: 'call.routed', target, ...(sessionId ? { sessionId } : {}) });
    this.emit(call, { type: 'call.established', dn: target });
    call.timer = setTimeout(() => this.release(call), call.talkMs);
    return {};
  }

  private applyTreatment(callId: string, treatmentId: string, durationMs: number, sessionId: string | undefined): { result?: unknown } | Failure {
    const call = this.liveCall(callId);
    if ('code' in call) return call;
    if (call.state !== 'ringing') return fail('call-gone', `call "${callId}" is not on a routing point`);
    const holder = this.currentHolder(call);
    if (sessionId && holder && holder.sessionId !== sessionId) return fail('not-owner', `call "${callId}" is held by session ${holder.sessionId}`);
    if (call.treatments.has(treatmentId)) return fail('invalid', `treatment "${treatmentId}" is already playing`);
    this.stats.treatmentsApplied++;
    call.treatments.set(
      treatmentId,
      setTimeout(() => {
        call.treatments.delete(treatmentId);
        this.stats.treatmentsCompleted++;
        this.emit(call, { type: 'call.treatment-ended', treatmentId, reason: 'completed' });
      }, durationMs),
    );
    return {};
  }

  private cancelTreatment(callId: string, treatmentId: string): { result?: unknown } | Failure {
    const call = this.liveCall(callId);
    if ('code' in call) return call;
    const timer = call.treatments.get(treatmentId);
    if (!timer) return fail('invalid', `no treatment "${treatmentId}" playing on call "${callId}"`);
    clearTimeout(timer);
    call.treatments.delete(treatmentId);
    this.stats.treatmentsCancelled++;
    this.emit(call, { type: 'call.treatment-ended', treatmentId, reason: 'cancelled' });
    return {};
  }

  private updateAttachedData(callId: string, set: AttachedData, remove: string[]): { result?: unknown } | Failure {
    const call = this.liveCall(callId);
    if ('code' in call) return call;
    Object.assign(call.attachedData, set);
    for (const key of remove) delete call.attachedData[key];
    this.emit(call, { type: 'call.attached-data-changed', attachedData: { ...call.attachedData } });
    return {};
  }

  /** The session that claimed the call since its latest ringing, if any. */
  private currentHolder(call: SimCall): SimCall['attachment'] {
    return call.attachment && call.attachment.afterRingingSeq >= call.lastRingingSeq ? call.attachment : undefined;
  }

  private attach(callId: string, sessionId: string, nodeId: string): { result?: unknown } | Failure {
    const call = this.liveCall(callId);
    if ('code' in call) return call;
    const holder = call.attachment;
    if (holder && holder.afterRingingSeq >= call.lastRingingSeq) {
      // The same session again (a reroute kept it), or the same node again (its new
      // primary restarting the session after a switchover): the node keeps the call.
      if (holder.sessionId === sessionId) return { result: { sessionId, nodeId: holder.nodeId } };
      if (holder.nodeId === nodeId) {
        call.attachment = { sessionId, nodeId, afterRingingSeq: call.lastRingingSeq };
        call.attachedData['ors-session-id'] = sessionId;
        this.emit(call, { type: 'call.session-attached', sessionId, nodeId });
        return { result: { sessionId, nodeId } };
      }
      this.stats.attachRefusals++;
      return fail('session-already-attached', `call "${callId}" is held by session ${holder.sessionId} on node ${holder.nodeId}`);
    }
    call.attachment = { sessionId, nodeId, afterRingingSeq: call.lastRingingSeq };
    call.attachedData['ors-session-id'] = sessionId;
    this.stats.sessionsAttachedByNode[nodeId] = (this.stats.sessionsAttachedByNode[nodeId] ?? 0) + 1;
    this.emit(call, { type: 'call.session-attached', sessionId, nodeId });
    return { result: { sessionId, nodeId } };
  }

  private pull(peer: Peer, queues: string[], max: number): { result?: unknown } | Failure {
    const self = peer.hello!;
    const role = peer.role ?? self.role;
    const entry: PullLogEntry = { at: Date.now(), processId: self.processId, nodeId: self.nodeId, role, queues, asked: max, interactionIds: [] };
    this.pullLog.push(entry);
    if (role !== 'primary') {
      entry.refused = 'not-primary';
      this.stats.pullsRefusedFromBackups++;
      this.log.warn({ processId: self.processId }, 'a backup tried to pull interactions: refused');
      return fail('not-primary', 'only a primary pulls interactions');
    }
    const unknown = queues.filter((q) => !this.queues.queueNames().includes(q));
    if (unknown.length > 0) return fail('invalid', `unknown queue(s): ${unknown.join(', ')}`);
    const now = Date.now();
    const interactions = this.queues.pull(self.nodeId, queues, max, now);
    const counts = this.stats.nodeCounts(self.nodeId);
    counts.pulled += interactions.length;
    for (const i of interactions) {
      entry.interactionIds.push(i.interactionId);
      const since = this.enqueuedAt.get(i.interactionId);
      if (since !== undefined) this.stats.queueWaits.push(now - since);
    }
    return { result: { interactions } };
  }
}

/** Omit over each member of a union (plain Omit would merge the members). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
