// The primary's side of the sync port: authenticates connecting backups, sends each a full
// snapshot and then batched changes. Anything unexpected from a peer — garbage, an
// oversized frame, a bad MAC, a slow handshake — closes that connection and is logged;
// it never affects the primary or its other connections.
//
// Confirmed publishing (hot standby): `publishConfirmed` resolves once a connected backup
// acknowledges the frame carrying the event, that is once the backup has applied it to its
// replica. A backup that connects later gets the event inside its first snapshot but does
// not confirm earlier publishes: a caller waiting for confirmation relies on the store then.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { encodeFrame, encodeFrameText, FrameDecoder } from './frame-codec.ts';
import { packEvent } from './packed-batch.ts';
import { decideFlush, type BatchLimits } from './sync-batcher.ts';
import { silentSyncLogger, type SyncLogger } from './sync-logger.ts';
import {
  handshakeMac,
  macsEqual,
  parseFrame,
  SYNC_PROTOCOL_VERSION,
  type SyncEvent,
  type SyncFrame,
} from './sync-protocol.ts';
import { applySyncEvent, emptySyncState, snapshotOf, type SyncState } from './sync-state.ts';

const PRE_AUTH_MAX_FRAME = 4 * 1024;
const POST_AUTH_MAX_FRAME = 1024 * 1024;

export interface SyncServerOptions {
  nodeId: string;
  identity: string;
  key: Buffer;
  /** The primary's current lease epoch, stamped on every frame. */
  epoch: () => number;
  limits: BatchLimits;
  host?: string;
  port?: number;
  handshakeTimeoutMs?: number;
  log?: SyncLogger;
  now?: () => number;
}

interface Confirmation {
  resolve(): void;
}

interface BackupConnection {
  socket: net.Socket;
  remote: string;
  authenticated: boolean;
  identity?: string;
  /** The backup asked for packed batches (packed-batch.ts). */
  packed: boolean;
  /** Events not sent yet, each already serialized in this backup's form (once per publish and form). */
  buffer: string[];
  bufferBytes: number;
  oldestAt: number | undefined;
  linkBusy: boolean;
  seq: number;
  ackedSeq: number;
  ageTimer?: NodeJS.Timeout;
  flushScheduled: boolean;
  /** Confirmations for events still in `buffer`. */
  bufferConfirmations: Confirmation[];
  /** Confirmations sent but not acknowledged yet, by the seq of the frame that carried them. */
  sentConfirmations: { seq: number; confirmations: Confirmation[] }[];
  /** Frames sent and not acknowledged yet: the last seq of each flush, and when its oldest change was published. */
  unacknowledged: { seq: number; at: number }[];
}

export interface BackupStatus {
  identity: string;
  remote: string;
  sentSeq: number;
  ackedSeq: number;
  /** It gets packed batches (it asked for them). */
  packed: boolean;
}

export class SyncServer {
  private readonly options: Required<Omit<SyncServerOptions, 'host' | 'port'>> & { host: string; port: number };
  private readonly server: net.Server;
  private readonly connections = new Set<BackupConnection>();
  private state: SyncState = emptySyncState();
  private accepting = true;
  private readonly ackListeners = new Set<(identity: string, seq: number) => void>();
  /** Failsafe probes sent and not confirmed yet, by nonce. */
  private readonly probes = new Map<string, (identity: string) => void>();

  constructor(options: SyncServerOptions) {
    this.options = {
      ...options,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5000,
      log: options.log ?? silentSyncLogger,
      now: options.now ?? Date.now,
    };
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (error) => this.options.log.warn({ err: String(error) }, 'sync server error'));
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as net.AddressInfo;
    return { host: address.address, port: address.port };
  }

  /** Records a change and queues it for every connected backup. */
  publish(event: SyncEvent): void {
    const released = applySyncEvent(this.state, event);
    // Serialized once here, in each form a backup wants; the batch frame is assembled from
    // these strings (sync lag under load is mostly serialization: stringifying each event
    // again per batch tripled it).
    let plain: string | undefined;
    let packed: string | undefined;
    for (const connection of this.connections) {
      if (!connection.authenticated) continue;
      const json = connection.packed ? (packed ??= JSON.stringify(packEvent(event, released))) : (plain ??= JSON.stringify(event));
      connection.buffer.push(json);
      connection.bufferBytes += json.length;
      connection.oldestAt ??= this.options.now();
      // A flush already due this tick sends this event too (split at backup-synch-max-buffer).
      if (!connection.flushScheduled) this.considerFlush(connection);
    }
  }

  /**
   * Publishes like `publish`, and resolves once a backup acknowledges the event; undefined
   * when no authenticated backup is connected (nobody can confirm it).
   */
  publishConfirmed(event: SyncEvent): Promise<void> | undefined {
    const connected = [...this.connections].filter((c) => c.authenticated && !c.socket.destroyed);
    if (connected.length === 0) {
      this.publish(event);
      return undefined;
    }
    const confirmed = new Promise<void>((resolve) => {
      for (const connection of connected) connection.bufferConfirmations.push({ resolve });
    });
    this.publish(event);
    return confirmed;
  }

  /** Only a primary serves its backup: when disabled, connections are refused and dropped. */
  setAccepting(accepting: boolean): void {
    this.accepting = accepting;
    if (!accepting) {
      // Hand over what is buffered first (a switchover flushes sync data), then hang up.
      for (const connection of this.connections) {
        if (connection.authenticated) this.flush(connection);
        connection.socket.end();
        setTimeout(() => connection.socket.destroy(), 1000).unref();
      }
    }
  }

  /** Starts over with an empty state (a new tenure republishes what it runs). */
  resetState(): void {
    this.state = emptySyncState();
  }

  syncState(): SyncState {
    return this.state;
  }

  backups(): BackupStatus[] {
    return [...this.connections]
      .filter((c) => c.authenticated)
      .map((c) => ({ identity: c.identity!, remote: c.remote, sentSeq: c.seq, ackedSeq: c.ackedSeq, packed: c.packed }));
  }

  /**
   * Failsafe (runtime/ha/FAILOVER.md): asks every connected backup whether it sees this
   * primary and will not take the lease. Resolves with the identity of the first backup to
   * confirm, or undefined when none did within `timeoutMs` (or none is connected).
   */
  probe(timeoutMs: number): Promise<string | undefined> {
    const connected = [...this.connections].filter((c) => c.authenticated && !c.socket.destroyed);
    if (connected.length === 0) return Promise.resolve(undefined);
    const nonce = randomBytes(16).toString('hex');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.probes.delete(nonce);
        resolve(undefined);
      }, timeoutMs);
      this.probes.set(nonce, (identity) => {
        clearTimeout(timer);
        this.probes.delete(nonce);
        resolve(identity);
      });
      for (const connection of connected) this.send(connection, { v: SYNC_PROTOCOL_VERSION, type: 'probe', epoch: this.options.epoch(), nonce });
    });
  }

  /** A backup is connected and has acknowledged its snapshot (it follows this primary's changes). */
  hasSyncedBackup(): boolean {
    return [...this.connections].some((c) => c.authenticated && !c.socket.destroyed && c.ackedSeq > 0);
  }

  /**
   * Sync lag: how long the oldest change a connected backup has not acknowledged yet (sent
   * or still buffered) has waited, in ms; 0 when every backup is up to date or none is connected.
   */
  syncLagMs(): number {
    const now = this.options.now();
    let lag = 0;
    for (const connection of this.connections) {
      if (!connection.authenticated || connection.socket.destroyed) continue;
      const oldest = Math.min(connection.unacknowledged[0]?.at ?? now, connection.oldestAt ?? now);
      lag = Math.max(lag, now - oldest);
    }
    return lag;
  }

  onAck(listener: (identity: string, seq: number) => void): () => void {
    this.ackListeners.add(listener);
    return () => this.ackListeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const connection of this.connections) {
      clearTimeout(connection.ageTimer);
      connection.socket.destroy();
    }
    this.connections.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    if (!this.accepting) {
      this.options.log.info({ remote }, 'refusing a sync connection: not primary');
      socket.destroy();
      return;
    }
    const connection: BackupConnection = {
      socket,
      remote,
      authenticated: false,
      packed: false,
      buffer: [],
      bufferBytes: 0,
      oldestAt: undefined,
      linkBusy: false,
      seq: 0,
      ackedSeq: 0,
      flushScheduled: false,
      bufferConfirmations: [],
      sentConfirmations: [],
      unacknowledged: [],
    };
    this.connections.add(connection);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(PRE_AUTH_MAX_FRAME);
    const challenge = randomBytes(16).toString('hex');
    const reject = (reason: string) => {
      this.options.log.warn({ remote, reason, authenticated: connection.authenticated }, 'closing sync connection');
      socket.destroy();
    };
    const handshakeTimer = setTimeout(() => reject('no valid authentication within the handshake timeout'), this.options.handshakeTimeoutMs);
    socket.on('close', () => {
      clearTimeout(handshakeTimer);
      clearTimeout(connection.ageTimer);
      this.connections.delete(connection);
    });
    socket.on('error', (error) => this.options.log.info({ remote, err: String(error) }, 'sync connection error'));
    socket.on('drain', () => {
      connection.linkBusy = false;
      this.considerFlush(connection);
    });
    socket.on('data', (chunk: Buffer) => {
      const decoded = decoder.push(chunk);
      if (!decoded.ok) return reject(decoded.reason);
      for (const raw of decoded.frames) {
        if (socket.destroyed) return;
        const parsed = parseFrame(raw);
        if (!parsed.ok) return reject(`invalid frame: ${parsed.reason}`);
        const frame = parsed.frame;
        if (!connection.authenticated) {
          if (frame.type !== 'auth') return reject(`expected auth, got ${frame.type}`);
          if (frame.nodeId !== this.options.nodeId) return reject(`backup is for node ${frame.nodeId}, this is ${this.options.nodeId}`);
          const expected = handshakeMac(this.options.key, 'backup', this.options.nodeId, challenge, frame.challenge);
          if (!macsEqual(expected, frame.mac)) return reject('authentication failed (wrong sync key?)');
          clearTimeout(handshakeTimer);
          connection.authenticated = true;
          connection.identity = frame.identity;
          connection.packed = frame.packed === true;
          decoder.maxFrameBytes = POST_AUTH_MAX_FRAME;
          this.options.log.info({ remote, backup: frame.identity }, 'backup connected to the sync port');
          this.send(connection, {
            v: SYNC_PROTOCOL_VERSION,
            type: 'welcome',
            epoch: this.options.epoch(),
            identity: this.options.identity,
            mac: handshakeMac(this.options.key, 'primary', this.options.nodeId, challenge, frame.challenge),
            ...(connection.packed ? { packed: true } : {}),
          });
          this.send(connection, {
            v: SYNC_PROTOCOL_VERSION,
            type: 'snapshot',
            epoch: this.options.epoch(),
            seq: ++connection.seq,
            at: this.options.now(),
            snapshot: snapshotOf(this.state),
          });
          connection.unacknowledged.push({ seq: connection.seq, at: this.options.now() });
        } else if (frame.type === 'confirm') {
          // An unknown nonce (late, or made up) is ignored: only a live probe can be confirmed.
          this.probes.get(frame.nonce)?.(connection.identity!);
        } else {
          if (frame.type !== 'ack') return reject(`unexpected ${frame.type} from a backup`);
          connection.ackedSeq = Math.max(connection.ackedSeq, frame.seq);
          this.confirmUpTo(connection, connection.ackedSeq);
          const acknowledged = connection.unacknowledged.findIndex((sent) => sent.seq > connection.ackedSeq);
          connection.unacknowledged.splice(0, acknowledged < 0 ? connection.unacknowledged.length : acknowledged);
          for (const listener of this.ackListeners) listener(connection.identity!, frame.seq);
        }
      }
    });
    this.send(connection, { v: SYNC_PROTOCOL_VERSION, type: 'hello', nodeId: this.options.nodeId, challenge });
  }

  private confirmUpTo(connection: BackupConnection, seq: number): void {
    let confirmed = 0;
    for (const entry of connection.sentConfirmations) {
      if (entry.seq > seq) break;
      for (const confirmation of entry.confirmations) confirmation.resolve();
      confirmed++;
    }
    if (confirmed > 0) connection.sentConfirmations.splice(0, confirmed);
  }

  /** A batch frame (packed or plain) built around already serialized events: the same JSON as encodeFrame of the frame object. */
  private sendBatch(connection: BackupConnection, epoch: number, events: string[]): void {
    if (connection.socket.destroyed) return;
    const type = connection.packed ? 'packed' : 'batch';
    const head = `{"v":${SYNC_PROTOCOL_VERSION},"type":"${type}","epoch":${epoch},"seq":${++connection.seq},"events":[`;
    if (!connection.socket.write(encodeFrameText(`${head}${events.join(',')}]}`))) connection.linkBusy = true;
  }

  private send(connection: BackupConnection, frame: SyncFrame): void {
    if (connection.socket.destroyed) return;
    if (!connection.socket.write(encodeFrame(frame))) connection.linkBusy = true;
  }

  private considerFlush(connection: BackupConnection): void {
    const decision = decideFlush(
      { bytes: connection.bufferBytes, oldestAt: connection.oldestAt, linkBusy: connection.linkBusy },
      this.options.limits,
      this.options.now(),
    );
    if (decision.flush) {
      // Events published in the same tick go out together.
      if (!connection.flushScheduled) {
        connection.flushScheduled = true;
        setImmediate(() => {
          connection.flushScheduled = false;
          this.flush(connection);
        });
      }
    } else if (decision.recheckInMs !== undefined && !connection.ageTimer) {
      connection.ageTimer = setTimeout(() => {
        connection.ageTimer = undefined;
        this.considerFlush(connection);
      }, decision.recheckInMs);
    }
  }

  private flush(connection: BackupConnection): void {
    if (connection.buffer.length === 0) return;
    const events = connection.buffer;
    const confirmations = connection.bufferConfirmations;
    const oldestAt = connection.oldestAt ?? this.options.now();
    connection.buffer = [];
    connection.bufferConfirmations = [];
    connection.bufferBytes = 0;
    connection.oldestAt = undefined;
    clearTimeout(connection.ageTimer);
    connection.ageTimer = undefined;
    // No batch larger than backup-synch-max-buffer (but at least one event).
    let batch: string[] = [];
    let bytes = 0;
    const epoch = this.options.epoch();
    for (const json of events) {
      if (batch.length > 0 && bytes + json.length > this.options.limits.maxBufferBytes) {
        this.sendBatch(connection, epoch, batch);
        batch = [];
        bytes = 0;
      }
      batch.push(json);
      bytes += json.length;
    }
    this.sendBatch(connection, epoch, batch);
    // The last frame carries the newest events: its ack confirms all of this flush.
    if (confirmations.length > 0) connection.sentConfirmations.push({ seq: connection.seq, confirmations });
    connection.unacknowledged.push({ seq: connection.seq, at: oldestAt });
  }
}
