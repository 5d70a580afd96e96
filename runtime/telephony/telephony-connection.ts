// A runtime process's connection to the telephony (and interaction) server: says hello,
// keeps the connection up (reconnecting with backoff), matches responses to requests,
// and hands call events to its listeners. A message it cannot decode is logged and
// ignored; the connection stays up.
import { WebSocket } from 'ws';
import type { Logger } from 'pino';
import { decodeServerMessage } from './protocol.ts';
import type { ClientMessage } from './protocol.ts';
import { PROTOCOL_NAME, SUPPORTED_PROTOCOL_VERSIONS } from './connection-messages.ts';
import type { Capability, ErrorCode, Welcome } from './connection-messages.ts';
import type { CallEvent } from './voice-messages.ts';
import type { LeaseExpired } from './multimedia-messages.ts';
import { DEFAULT_BACKOFF, reconnectDelay } from './reconnect-backoff.ts';

export interface TelephonyConnectionOptions {
  url: string;
  nodeId: string;
  processId: string;
  role: 'primary' | 'backup';
  capabilities: Capability[];
  log: Logger;
  requestTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
}

export class TelephonyRequestError extends Error {
  readonly code: ErrorCode | 'disconnected' | 'timeout';
  constructor(code: ErrorCode | 'disconnected' | 'timeout', message: string) {
    super(message);
    this.name = 'TelephonyRequestError';
    this.code = code;
  }
}

/** A request as the caller writes it: the connection adds the request id. */
export type TelephonyRequest = ClientMessage extends infer M ? (M extends { requestId: string } ? Omit<M, 'requestId'> : never) : never;

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class TelephonyConnection {
  private readonly options: TelephonyConnectionOptions;
  private readonly log: Logger;
  private socket: WebSocket | undefined;
  private welcomed: Welcome | undefined;
  private role: 'primary' | 'backup';
  /** The role the last hello announced: a change before the welcome is sent once welcomed. */
  private announcedRole: 'primary' | 'backup' | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextRequest = 1;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly eventListeners = new Set<(event: CallEvent) => void>();
  private readonly welcomeListeners = new Set<(welcome: Welcome) => void>();
  private readonly leaseListeners = new Set<(expired: LeaseExpired) => void>();
  /** Frames from the server that were ignored (malformed, unknown, invalid). */
  ignoredMessages = 0;
  /** Times the connection was (re)established and welcomed. */
  connections = 0;

  constructor(options: TelephonyConnectionOptions) {
    this.options = options;
    this.log = options.log;
    this.role = options.role;
  }

  get isReady(): boolean {
    return this.welcomed !== undefined && this.socket?.readyState === WebSocket.OPEN;
  }

  get welcome(): Welcome | undefined {
    return this.welcomed;
  }

  onCallEvent(listener: (event: CallEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Called on every (re)connection, once the server has answered the hello. */
  onWelcome(listener: (welcome: Welcome) => void): () => void {
    this.welcomeListeners.add(listener);
    return () => this.welcomeListeners.delete(listener);
  }

  onLeaseExpired(listener: (expired: LeaseExpired) => void): () => void {
    this.leaseListeners.add(listener);
    return () => this.leaseListeners.delete(listener);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    this.socket = undefined;
    this.failPending('connection stopped');
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close(1000, 'runtime stopping');
        setTimeout(() => {
          socket.terminate();
          resolve();
        }, 1000).unref();
      });
    }
  }

  /** Announces a role change (the server logs it next to pulls); also used on reconnect. */
  setRole(role: 'primary' | 'backup'): void {
    this.role = role;
    if (this.isReady) {
      this.sendRaw({ type: 'role.changed', role });
      this.announcedRole = role;
    }
  }

  /** Sends a request and resolves with the response's result (rejects on a failure). */
  request(message: TelephonyRequest): Promise<unknown> {
    if (!this.isReady) {
      return Promise.reject(new TelephonyRequestError('disconnected', 'not connected to the telephony server'));
    }
    const requestId = `${this.options.processId}-${this.nextRequest++}`;
    return new Promise((resolve, reject) => {
      const timeoutMs = this.options.requestTimeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new TelephonyRequestError('timeout', `no response to ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      this.sendRaw({ ...message, requestId } as ClientMessage);
    });
  }

  private sendRaw(message: ClientMessage): void {
    this.socket?.send(JSON.stringify(message));
  }

  private connect(): void {
    const socket = new WebSocket(this.options.url, { maxPayload: 16 << 20 });
    this.socket = socket;
    socket.on('open', () => {
      this.announcedRole = this.role;
      socket.send(
        JSON.stringify({
          type: 'hello',
          protocol: PROTOCOL_NAME,
          versions: [...SUPPORTED_PROTOCOL_VERSIONS],
          nodeId: this.options.nodeId,
          processId: this.options.processId,
          role: this.role,
          capabilities: this.options.capabilities,
        } satisfies ClientMessage),
      );
    });
    socket.on('message', (data, isBinary) => this.receive(isBinary ? '' : data.toString()));
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'telephony connection error'));
    socket.on('close', (code, reason) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.welcomed = undefined;
      this.failPending('connection lost');
      if (this.stopped) return;
      const delay = reconnectDelay(this.attempt++, { ...(this.options.backoff ?? DEFAULT_BACKOFF), random: Math.random });
      this.log.warn({ code, reason: reason.toString(), delay }, 'telephony connection closed; reconnecting');
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
  }

  private failPending(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new TelephonyRequestError('disconnected', why));
      this.pending.delete(id);
    }
  }

  private receive(raw: string): void {
    const decoded = decodeServerMessage(raw);
    if (!decoded.ok) {
      this.ignoredMessages++;
      this.log.warn({ code: decoded.code, sample: raw.slice(0, 200) }, `ignored message from the telephony server: ${decoded.message}`);
      return;
    }
    const message = decoded.message;
    switch (message.type) {
      case 'welcome':
        this.welcomed = message;
        // The role changed between our hello and this welcome (setRole could not tell yet).
        if (this.announcedRole !== this.role) this.sendRaw({ type: 'role.changed', role: this.role });
        this.announcedRole = this.role;
        this.attempt = 0;
        this.connections++;
        this.log.info({ version: message.version, server: message.server }, 'connected to the telephony server');
        for (const l of this.welcomeListeners) this.safely(() => l(message));
        return;
      case 'response': {
        const pending = this.pending.get(message.requestId);
        if (!pending) {
          this.log.warn({ requestId: message.requestId }, 'response to an unknown request ignored');
          return;
        }
        this.pending.delete(message.requestId);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.result);
        else pending.reject(new TelephonyRequestError(message.error?.code ?? 'invalid', message.error?.message ?? 'request failed'));
        return;
      }
      case 'error': {
        this.log.warn({ code: message.code, requestId: message.requestId }, `telephony server reported: ${message.message}`);
        const pending = message.requestId ? this.pending.get(message.requestId) : undefined;
        if (pending && message.requestId) {
          this.pending.delete(message.requestId);
          clearTimeout(pending.timer);
          pending.reject(new TelephonyRequestError(message.code, message.message));
        }
        return;
      }
      case 'interaction.lease-expired':
        for (const l of this.leaseListeners) this.safely(() => l(message));
        return;
      default:
        for (const l of this.eventListeners) this.safely(() => l(message));
    }
  }

  /** A listener's bug is logged, never allowed to break the connection. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'telephony listener failed');
    }
  }
}
