// The embedded default session store: a directory per ORS node holding one append-only
// log segment per lease epoch, `epoch-<n>.log`, framed by log-record-codec.ts.
//
// - Taking over a node (fence, or the first write of a new epoch) reads the newest
//   segment, writes the live sessions plus a fence record into a new segment for the new
//   epoch (temporary file, fsync, rename, fsync directory), then deletes older segments.
//   The newest segment therefore always holds the complete state on its own.
// - Every write is appended to the writer's own segment and fdatasync'ed before its
//   promise resolves; concurrent writes share one fsync (group commit).
// - Fencing across processes: before each fsync batch the writer looks for a segment of a
//   newer epoch; if there is one it has been deposed and rejects with StaleEpochError.
//   Whatever a deposed writer may still append goes to an old segment nobody reads.
// - A crash (kill -9, power loss) can leave a torn last record: it is ignored on read and
//   dropped at the next compaction. A bad record followed by more data is corruption, not
//   a torn write, and is reported as CorruptStoreError instead of silently losing data.
// - When a segment grows well past its live data it is compacted in place (rewrite to a
//   temporary file and rename).
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { decodeRecords, encodeRecord } from './log-record-codec.ts';
import { StaleEpochError, StoredSessionSchema, type SessionStore, type StoredSession } from './session-store.ts';

const LogEntrySchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('fence'), epoch: z.number().int().nonnegative() }),
  z.object({ op: z.literal('save'), session: StoredSessionSchema }),
  z.object({ op: z.literal('delete'), sessionId: z.string(), epoch: z.number().int().nonnegative() }),
]);
type LogEntry = z.infer<typeof LogEntrySchema>;

const SEGMENT = /^epoch-(\d+)\.log$/;
const segmentName = (epoch: number) => `epoch-${String(epoch).padStart(12, '0')}.log`;
const MIN_COMPACTION_BYTES = 1024 * 1024;

export class CorruptStoreError extends Error {
  constructor(file: string, offset: number, reason: string) {
    super(`session store file ${file} is corrupt at byte ${offset}: ${reason}`);
    this.name = 'CorruptStoreError';
  }
}

export interface StoreLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

interface NodeSnapshot {
  epoch: number;
  sessions: Map<string, StoredSession>;
}

interface PendingWrite {
  bytes: Buffer;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface NodeWriter {
  nodeId: string;
  dir: string;
  epoch: number;
  handle: FileHandle;
  sessions: Map<string, StoredSession>;
  liveBytes: Map<string, number>;
  segmentBytes: number;
  pending: PendingWrite[];
  flushing: boolean;
  /** Set once a newer epoch was found on disk: every later write is refused. */
  deposedBy?: number;
}

export interface FileSessionStoreOptions {
  directory: string;
  log?: StoreLogger;
}

export class FileSessionStore implements SessionStore {
  private readonly directory: string;
  private readonly log: StoreLogger;
  private readonly writers = new Map<string, NodeWriter>();
  /** Serialises take-overs per node (two saves of a new epoch must not both rewrite). */
  private readonly takeovers = new Map<string, Promise<NodeWriter>>();

  constructor(options: FileSessionStoreOptions) {
    this.directory = options.directory;
    this.log = options.log ?? { warn() {} };
  }

  async open(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
  }

  async close(): Promise<void> {
    for (const writer of this.writers.values()) {
      while (writer.flushing || writer.pending.length > 0) await new Promise((r) => setTimeout(r, 1));
      await writer.handle.close();
    }
    this.writers.clear();
  }

  async fence(nodeId: string, epoch: number): Promise<void> {
    await this.writerFor(nodeId, epoch);
  }

  async save(session: StoredSession): Promise<void> {
    const parsed = StoredSessionSchema.parse(session);
    const writer = await this.writerFor(parsed.nodeId, parsed.epoch);
    const existing = writer.sessions.get(parsed.sessionId);
    if (existing && existing.version > parsed.version) return;
    const bytes = encodeRecord({ op: 'save', session: parsed } satisfies LogEntry);
    writer.sessions.set(parsed.sessionId, parsed);
    writer.liveBytes.set(parsed.sessionId, bytes.length);
    await this.append(writer, bytes);
  }

  async delete(nodeId: string, sessionId: string, epoch: number): Promise<void> {
    const writer = await this.writerFor(nodeId, epoch);
    writer.sessions.delete(sessionId);
    writer.liveBytes.delete(sessionId);
    await this.append(writer, encodeRecord({ op: 'delete', sessionId, epoch } satisfies LogEntry));
  }

  async load(nodeId: string, sessionId: string): Promise<StoredSession | undefined> {
    const writer = this.writers.get(nodeId);
    if (writer && writer.deposedBy === undefined) return writer.sessions.get(sessionId);
    return (await this.readNode(nodeId)).sessions.get(sessionId);
  }

  async *listByNode(nodeId: string): AsyncIterable<StoredSession> {
    const writer = this.writers.get(nodeId);
    const sessions = writer && writer.deposedBy === undefined ? writer.sessions : (await this.readNode(nodeId)).sessions;
    for (const session of [...sessions.values()]) yield session;
  }

  private nodeDir(nodeId: string): string {
    return path.join(this.directory, encodeURIComponent(nodeId));
  }

  private async segments(dir: string): Promise<number[]> {
    const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    return names.flatMap((name) => {
      const match = SEGMENT.exec(name);
      return match ? [Number(match[1])] : [];
    }).sort((a, b) => a - b);
  }

  /** The state in the newest segment (which always holds the complete state). */
  private async readNode(nodeId: string): Promise<NodeSnapshot> {
    const dir = this.nodeDir(nodeId);
    const epochs = await this.segments(dir);
    const newest = epochs.at(-1);
    const sessions = new Map<string, StoredSession>();
    if (newest === undefined) return { epoch: 0, sessions };
    const file = path.join(dir, segmentName(newest));
    const decoded = decodeRecords(await readFile(file));
    if (decoded.kind === 'corrupt') throw new CorruptStoreError(file, decoded.offset, decoded.reason);
    if (decoded.kind === 'torn-tail') {
      this.log.warn({ file, validBytes: decoded.validBytes, reason: decoded.reason }, 'ignoring a torn record at the end of a session store segment');
    }
    for (const [index, raw] of decoded.records.entries()) {
      const entry = LogEntrySchema.safeParse(raw);
      if (!entry.success) throw new CorruptStoreError(file, index, `record ${index} is not a log entry: ${entry.error.message}`);
      applyEntry(sessions, entry.data);
    }
    return { epoch: newest, sessions };
  }

  private async writerFor(nodeId: string, epoch: number): Promise<NodeWriter> {
    const existing = this.writers.get(nodeId);
    if (existing) {
      if (existing.deposedBy !== undefined) throw new StaleEpochError(nodeId, epoch, existing.deposedBy);
      if (epoch < existing.epoch) throw new StaleEpochError(nodeId, epoch, existing.epoch);
      if (epoch === existing.epoch) return existing;
    }
    const inProgress = this.takeovers.get(nodeId);
    if (inProgress) {
      await inProgress.catch(() => {});
      return this.writerFor(nodeId, epoch);
    }
    const takeover = this.takeOver(nodeId, epoch);
    this.takeovers.set(nodeId, takeover);
    try {
      return await takeover;
    } finally {
      this.takeovers.delete(nodeId);
    }
  }

  private async takeOver(nodeId: string, epoch: number): Promise<NodeWriter> {
    const dir = this.nodeDir(nodeId);
    await mkdir(dir, { recursive: true });
    const newest = (await this.segments(dir)).at(-1) ?? 0;
    if (newest > epoch) throw new StaleEpochError(nodeId, epoch, newest);
    const previous = this.writers.get(nodeId);
    if (previous) {
      await this.drain(previous);
      await previous.handle.close();
      this.writers.delete(nodeId);
    }
    const state = await this.readNode(nodeId);
    const writer = await this.writeSegment(dir, nodeId, epoch, state.sessions);
    for (const old of await this.segments(dir)) {
      if (old < epoch) await unlink(path.join(dir, segmentName(old))).catch(() => {});
    }
    this.writers.set(nodeId, writer);
    return writer;
  }

  /** Writes a complete segment (fence + live sessions) atomically and opens it for appending. */
  private async writeSegment(dir: string, nodeId: string, epoch: number, sessions: Map<string, StoredSession>): Promise<NodeWriter> {
    const liveBytes = new Map<string, number>();
    const chunks = [encodeRecord({ op: 'fence', epoch } satisfies LogEntry)];
    for (const session of sessions.values()) {
      const bytes = encodeRecord({ op: 'save', session } satisfies LogEntry);
      liveBytes.set(session.sessionId, bytes.length);
      chunks.push(bytes);
    }
    const content = Buffer.concat(chunks);
    const temp = path.join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    const tempHandle = await open(temp, 'w');
    try {
      await tempHandle.writeFile(content);
      await tempHandle.sync();
    } finally {
      await tempHandle.close();
    }
    const file = path.join(dir, segmentName(epoch));
    await rename(temp, file);
    await syncDirectory(dir);
    const handle = await open(file, 'a');
    return {
      nodeId,
      dir,
      epoch,
      handle,
      sessions: new Map(sessions),
      liveBytes,
      segmentBytes: content.length,
      pending: [],
      flushing: false,
    };
  }

  private append(writer: NodeWriter, bytes: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      writer.pending.push({ bytes, resolve, reject });
      if (!writer.flushing) void this.flush(writer);
    });
  }

  private async flush(writer: NodeWriter): Promise<void> {
    writer.flushing = true;
    try {
      while (writer.pending.length > 0) {
        const batch = writer.pending.splice(0);
        try {
          const newest = (await this.segments(writer.dir)).at(-1) ?? 0;
          if (newest > writer.epoch) writer.deposedBy = newest;
          if (writer.deposedBy !== undefined) throw new StaleEpochError(writer.nodeId, writer.epoch, writer.deposedBy);
          const bytes = Buffer.concat(batch.map((w) => w.bytes));
          await writer.handle.write(bytes);
          await writer.handle.datasync();
          writer.segmentBytes += bytes.length;
          for (const w of batch) w.resolve();
        } catch (error) {
          for (const w of batch) w.reject(error as Error);
          continue;
        }
        await this.compactIfWorthIt(writer);
      }
    } finally {
      writer.flushing = false;
    }
  }

  private async compactIfWorthIt(writer: NodeWriter): Promise<void> {
    let live = 0;
    for (const bytes of writer.liveBytes.values()) live += bytes;
    if (writer.segmentBytes < Math.max(MIN_COMPACTION_BYTES, 4 * live)) return;
    const fresh = await this.writeSegment(writer.dir, writer.nodeId, writer.epoch, writer.sessions);
    await writer.handle.close();
    writer.handle = fresh.handle;
    writer.segmentBytes = fresh.segmentBytes;
    writer.liveBytes = fresh.liveBytes;
  }

  private async drain(writer: NodeWriter): Promise<void> {
    while (writer.flushing || writer.pending.length > 0) await new Promise((r) => setTimeout(r, 1));
  }
}

function applyEntry(sessions: Map<string, StoredSession>, entry: LogEntry): void {
  if (entry.op === 'save') {
    const existing = sessions.get(entry.session.sessionId);
    if (!existing || existing.version <= entry.session.version) sessions.set(entry.session.sessionId, entry.session);
  } else if (entry.op === 'delete') {
    sessions.delete(entry.sessionId);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
