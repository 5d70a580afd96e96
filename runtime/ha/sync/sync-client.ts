// The backup's side of the sync port: connects to its primary's sync address (it follows
// the lease holder), authenticates, keeps a replica of the primary's sync state, and
// reconnects with backoff, receiving a full snapshot each time. Frames stamped with an
// epoch older than one already seen (a deposed primary) are refused and the connection
// dropped; so is anything that is not valid protocol.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { encodeFrame, FrameDecoder } from './frame-codec.ts';
import { reconnectDelay } from './sync-batcher.ts';
import { silentSyncLogger, type SyncLogger } from './sync-logger.ts';
import { handshakeMac, macsEqual, parseFrame, SYNC_PROTOCOL_VERSION, type SyncEvent, type SyncFrame } from './sync-protocol.ts';
import { applyFollowedEvent, applySyncEvent, emptySyncState, stateFromSnapshot, type SyncState } from './sync-state.ts';

const MAX_FRAME = 64 * 1024 * 1024;

export interface SyncClientOptions {
  nodeId: string;
  identity: string;
  key: Buffer;
  /** The lowest epoch acceptable from a primary (e.g. the lease's current transition count). */
  minimumEpoch?: () => number;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Ask for packed batches (packed-batch.ts); default true. False: plain batches, as a backup that predates them gets. */
  packed?: boolean;
  log?: SyncLogger;
}

/** The authenticated connection to a primary ended (its process died, hung up, or the link broke). */
export interface SyncConnectionLoss {
  /** The sync address followed ("host:port"). */
  address: string;
  /** The IP the connection was actually made to (the primary's own address), and its port. */
  remoteAddress: string;
  remotePort: number;
  /** The primary's identity and epoch from its welcome. */
  identity: string;
  epoch: number;
  /** The socket error that ended it (e.g. ECONNRESET), if any; none for a plain close (FIN). */
  errorCode?: string;
  at: number;
}

/** Answers a failsafe probe: true to confirm (and so promise not to take the lease for a lease duration). */
export type ProbeAnswerer = (primary: { identity: string; epoch: number }) => boolean;

export interface SyncClientListener {
  /** A full snapshot replaced the replica (after every connect). */
  onSnapshot?(replica: SyncState, epoch: number): void;
  /** Events were applied to the replica. */
  onEvents?(events: SyncEvent[], epoch: number): void;
  /** The authenticated connection to the primary ended without this side ending it. */
  onConnectionLost?(loss: SyncConnectionLoss): void;
}

export class SyncClient {
  private readonly options: Required<Omit<SyncClientOptions, 'minimumEpoch'>> & { minimumEpoch: () => number };
  private readonly listeners = new Set<SyncClientListener>();
  private replicaState: SyncState = emptySyncState();
  private address: string | undefined;
  private socket: net.Socket | undefined;
  private synced = false;
  private highestEpoch = 0;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private probeAnswerer: ProbeAnswerer = () => false;

  constructor(options: SyncClientOptions) {
    this.options = {
      ...options,
      minimumEpoch: options.minimumEpoch ?? (() => 0),
      reconnectInitialMs: options.reconnectInitialMs ?? 100,
      reconnectMaxMs: options.reconnectMaxMs ?? 5000,
      packed: options.packed ?? true,
      log: options.log ?? silentSyncLogger,
    };
  }

  replica(): SyncState {
    return this.replicaState;
  }

  /** Connected, authenticated, and holding a snapshot of the current primary. */
  isSynced(): boolean {
    return this.synced;
  }

  epochSeen(): number {
    return this.highestEpoch;
  }

  subscribe(listener: SyncClientListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Who decides whether a failsafe probe from the primary is confirmed (default: never). */
  answerProbesWith(answerer: ProbeAnswerer): void {
    this.probeAnswerer = answerer;
  }

  /** Follows the primary: connects to `address` ("host:port"), or disconnects when undefined. */
  follow(address: string | undefined): void {
    if (this.stopped || address === this.address) return;
    this.address = address;
    this.attempt = 0;
    this.disconnect();
    if (address) this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.address = undefined;
    this.disconnect();
  }

  private disconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.synced = false;
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }

  private scheduleReconnect(): void {
    if (this.stopped || !this.address || this.retryTimer) return;
    const delay = reconnectDelay(this.attempt++, this.options.reconnectInitialMs, this.options.reconnectMaxMs, Math.random());
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  private connect(): void {
    const address = this.address;
    if (!address || this.stopped) return;
    const separator = address.lastIndexOf(':');
    const host = address.slice(0, separator).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(separator + 1));
    const socket = net.connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(MAX_FRAME);
    const challenge = randomBytes(16).toString('hex');
    let primaryChallenge: string | undefined;
    let authenticated = false;
    let primary: { identity: string; epoch: number } | undefined;
    let errorCode: string | undefined;
    // A closed socket forgets its peer: remember where the connection really went.
    let remote: { address: string; port: number } | undefined;
    socket.once('connect', () => {
      if (socket.remoteAddress !== undefined && socket.remotePort !== undefined) remote = { address: socket.remoteAddress, port: socket.remotePort };
    });
    let lastSeq = 0;
    // The primary's welcome said batches come packed: the replica then follows without counting (applyFollowedEvent).
    let packedStream = false;
    const drop = (reason: string) => {
      this.options.log.warn({ primary: address, reason }, 'dropping sync connection');
      socket.destroy();
    };
    socket.on('error', (error: NodeJS.ErrnoException) => {
      errorCode = error.code;
      this.options.log.info({ primary: address, err: String(error) }, 'sync connection error');
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.synced = false;
      if (primary && remote) {
        const loss: SyncConnectionLoss = {
          address,
          remoteAddress: remote.address,
          remotePort: remote.port,
          ...primary,
          ...(errorCode === undefined ? {} : { errorCode }),
          at: Date.now(),
        };
        for (const listener of this.listeners) listener.onConnectionLost?.(loss);
      }
      this.scheduleReconnect();
    });
    socket.on('data', (chunk: Buffer) => {
      const decoded = decoder.push(chunk);
      if (!decoded.ok) return drop(decoded.reason);
      // Acks are cumulative: one for everything applied from this read, not one per frame.
      let applied = false;
      for (const raw of decoded.frames) {
        if (socket.destroyed || this.socket !== socket) return;
        const parsed = parseFrame(raw);
        if (!parsed.ok) return drop(`invalid frame: ${parsed.reason}`);
        const frame = parsed.frame;
        if (!primaryChallenge) {
          if (frame.type !== 'hello') return drop(`expected hello, got ${frame.type}`);
          if (frame.nodeId !== this.options.nodeId) return drop(`primary is for node ${frame.nodeId}`);
          primaryChallenge = frame.challenge;
          this.send(socket, {
            v: SYNC_PROTOCOL_VERSION,
            type: 'auth',
            nodeId: this.options.nodeId,
            identity: this.options.identity,
            challenge,
            mac: handshakeMac(this.options.key, 'backup', this.options.nodeId, primaryChallenge, challenge),
            packed: this.options.packed,
          });
          continue;
        }
        if (!authenticated) {
          if (frame.type !== 'welcome') return drop(`expected welcome, got ${frame.type}`);
          const expected = handshakeMac(this.options.key, 'primary', this.options.nodeId, primaryChallenge, challenge);
          if (!macsEqual(expected, frame.mac)) return drop('primary failed authentication (wrong sync key?)');
          if (!this.acceptEpoch(frame.epoch)) return drop(`primary epoch ${frame.epoch} is stale (seen ${this.highestEpoch})`);
          authenticated = true;
          packedStream = frame.packed === true;
          primary = { identity: frame.identity, epoch: frame.epoch };
          continue;
        }
        if (frame.type === 'probe') {
          if (!this.acceptEpoch(frame.epoch)) return drop(`stale probe: epoch ${frame.epoch}, seen ${this.highestEpoch}`);
          if (this.synced && primary && this.probeAnswerer({ identity: primary.identity, epoch: frame.epoch })) {
            this.send(socket, { v: SYNC_PROTOCOL_VERSION, type: 'confirm', nonce: frame.nonce });
          }
          continue;
        }
        if (frame.type !== 'snapshot' && frame.type !== 'batch') return drop(`unexpected ${frame.type} from the primary`);
        if (!this.acceptEpoch(frame.epoch)) return drop(`stale frame: epoch ${frame.epoch}, seen ${this.highestEpoch}`);
        if (frame.type === 'snapshot') {
          lastSeq = frame.seq;
          this.replicaState = stateFromSnapshot(frame.snapshot, !packedStream);
          this.synced = true;
          this.attempt = 0;
          this.options.log.info({ primary: address, sessions: frame.snapshot.sessions.length, epoch: frame.epoch }, 'synced with the primary');
          for (const listener of this.listeners) listener.onSnapshot?.(this.replicaState, frame.epoch);
        } else {
          if (!this.synced) return drop('batch before snapshot');
          if (frame.seq !== lastSeq + 1) return drop(`sequence gap: got ${frame.seq} after ${lastSeq}`);
          const released = parsed.released;
          if ((released !== undefined) !== packedStream) return drop(packedStream ? 'a plain batch after the primary said packed' : 'a packed batch nobody asked for');
          lastSeq = frame.seq;
          if (released) for (let i = 0; i < frame.events.length; i++) applyFollowedEvent(this.replicaState, frame.events[i]!, released[i]);
          else for (const event of frame.events) applySyncEvent(this.replicaState, event);
          for (const listener of this.listeners) listener.onEvents?.(frame.events, frame.epoch);
        }
        applied = true;
      }
      if (applied && this.socket === socket) this.send(socket, { v: SYNC_PROTOCOL_VERSION, type: 'ack', seq: lastSeq });
    });
  }

  private acceptEpoch(epoch: number): boolean {
    if (epoch < this.highestEpoch || epoch < this.options.minimumEpoch()) return false;
    this.highestEpoch = epoch;
    return true;
  }

  private send(socket: net.Socket, frame: SyncFrame): void {
    if (!socket.destroyed) socket.write(encodeFrame(frame));
  }
}
