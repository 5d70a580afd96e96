// The sync port over real TCP on loopback: handshake, snapshot + batches, reconnect with
// full resync, and that garbage, unauthenticated or stale peers are cut off and logged
// while the primary keeps serving its real backup.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../../runtime/ha/sync/frame-codec.ts';
import { SyncClient } from '../../../runtime/ha/sync/sync-client.ts';
import type { SyncLogger } from '../../../runtime/ha/sync/sync-logger.ts';
import { SyncServer } from '../../../runtime/ha/sync/sync-server.ts';
import { handshakeMac, type SyncEvent } from '../../../runtime/ha/sync/sync-protocol.ts';

const key = Buffer.from('a shared sync key for the tests');
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function recordingLogger(): SyncLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, warn(fields, message) { warnings.push(`${message}: ${JSON.stringify(fields)}`); } };
}

async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function startPrimary(options: { epoch?: () => number; log?: SyncLogger; maxAgeMs?: number; handshakeTimeoutMs?: number; port?: number; now?: () => number } = {}) {
  const server = new SyncServer({
    nodeId: 'node-0',
    identity: 'primary-a',
    key,
    epoch: options.epoch ?? (() => 3),
    limits: { maxBufferBytes: 100 * 1024, maxAgeMs: options.maxAgeMs ?? 600_000 },
    log: options.log,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    port: options.port,
    now: options.now,
  });
  const address = await server.listen();
  closers.push(() => server.close());
  return { server, address: `${address.host}:${address.port}`, port: address.port };
}

function startBackup(clientKey = key, log?: SyncLogger, options: { identity?: string; packed?: boolean } = {}) {
  const client = new SyncClient({ nodeId: 'node-0', identity: options.identity ?? 'backup-b', key: clientKey, reconnectInitialMs: 20, reconnectMaxMs: 200, log, packed: options.packed });
  closers.push(() => client.stop());
  return client;
}

const created = (n: number): SyncEvent => ({
  type: 'session-created',
  at: Date.now(),
  session: { sessionId: `s${n}`, interactionId: `call-${n}`, src: 'a.scxml', createdAt: Date.now(), persisted: false },
});

/** A raw TCP peer that records whether the server closed on it. */
async function rawPeer(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  const received: unknown[] = [];
  const decoder = new FrameDecoder(1 << 20);
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    const out = decoder.push(chunk);
    if (out.ok) received.push(...out.frames);
  });
  socket.on('error', () => {});
  socket.on('close', () => { closed = true; });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  closers.push(() => socket.destroy());
  return { socket, received, isClosed: () => closed };
}

describe('sync port', () => {
  it('a backup receives the snapshot on connect and every change afterwards, promptly when idle', async () => {
    const { server, address } = await startPrimary();
    server.publish(created(1));
    const backup = startBackup();
    backup.follow(address);
    await until(() => backup.isSynced(), 'sync');
    expect([...backup.replica().sessions.keys()]).toEqual(['s1']);
    // max-age is 10 minutes: this arrives only because an idle link is flushed at once.
    server.publish(created(2));
    server.publish({ type: 'treatment-started', at: Date.now(), treatment: { sessionId: 's2', treatmentId: 't', kind: 'playsound', startedAt: Date.now() } });
    await until(() => backup.replica().sessions.has('s2') && backup.replica().treatments.get('s2')?.size === 1, 'batched events');
    server.publish({ type: 'session-terminated', at: Date.now(), sessionId: 's1', interactionId: 'call-1' });
    await until(() => !backup.replica().sessions.has('s1'), 'termination');
    await until(() => server.backups()[0]?.ackedSeq === server.backups()[0]?.sentSeq, 'acks');
    expect(backup.epochSeen()).toBe(3);
  });

  it('a backup that asks for packed batches and one that predates them follow the same primary to the same replica', async () => {
    const { server, address } = await startPrimary();
    server.publish(created(1));
    const packed = startBackup(key, undefined, { identity: 'backup-packed' });
    const plain = startBackup(key, undefined, { identity: 'backup-plain', packed: false });
    packed.follow(address);
    plain.follow(address);
    await until(() => packed.isSynced() && plain.isSynced(), 'both synced');
    expect(server.backups().map(({ identity, packed }) => [identity, packed]).sort()).toEqual([['backup-packed', true], ['backup-plain', false]]);
    const persisted: SyncEvent = { type: 'session-created', at: Date.now(), session: { sessionId: 'p', interactionId: 'call-p', src: 'a.scxml', createdAt: 5, persisted: true, persistedVersion: 2 } };
    const sharing = (sessionId: string): SyncEvent => ({ type: 'session-created', at: Date.now(), session: { sessionId, interactionId: 'call-shared', src: 'a.scxml', createdAt: 7, persisted: false } });
    const events: SyncEvent[] = [
      { type: 'session-created', at: Date.now(), session: { sessionId: 's2', interactionId: 'call-2', src: 'a.scxml', createdAt: 7, persisted: false, params: { caller: '555-0100' } } },
      created(3),
      persisted,
      sharing('x1'),
      sharing('x2'),
      sharing('x3'),
      { type: 'interaction-event', at: Date.now(), interactionId: 'call-3', event: { name: 'interaction.added', at: 1 } },
      { type: 'interaction-event', at: Date.now(), interactionId: 'call-shared', event: { name: 'interaction.added', at: 1 } },
      { type: 'interaction-event', at: Date.now(), interactionId: 'call-2', event: { name: 'interaction.added', at: 1 } },
      { type: 'session-terminated', at: Date.now(), sessionId: 's1', interactionId: 'call-1' },
      // Without its interaction named: the primary knows it (and that s3 was the last session of call-3).
      { type: 'session-terminated', at: Date.now(), sessionId: 's3' },
      { type: 'session-terminated', at: Date.now(), sessionId: 'x1', interactionId: 'call-shared' },
      { type: 'session-terminated', at: Date.now(), sessionId: 'x2' },
    ];
    for (const event of events) server.publish(event);
    const applied = (backup: SyncClient) => backup.replica().sessions.has('p') && !backup.replica().sessions.has('x2');
    await until(() => applied(packed) && applied(plain), 'both to apply everything');
    // The packed backup does not count sessions per interaction (the primary does): all else is the same.
    const { sessionsPerInteraction: counts, ...replica } = plain.replica();
    expect(counts).toEqual(new Map([['call-2', 1], ['call-p', 1], ['call-shared', 1]]));
    expect(packed.replica()).toStrictEqual({ ...replica, sessionsPerInteraction: new Map() });
    expect(plain.replica()).toStrictEqual(server.syncState());
    expect([...packed.replica().sessions.keys()].sort()).toEqual(['p', 's2', 'x3']);
    expect([...packed.replica().interactionEvents.keys()].sort()).toEqual(['call-2', 'call-shared']);
    expect(packed.replica().sessions.get('s2')?.params).toEqual({ caller: '555-0100' });
    server.publish({ type: 'session-terminated', at: Date.now(), sessionId: 'x3' });
    await until(() => !packed.replica().sessions.has('x3') && !plain.replica().sessions.has('x3'), 'the last session of the shared interaction to end');
    expect([...packed.replica().interactionEvents.keys()]).toEqual(['call-2']);
    expect(plain.replica().interactionEvents).toStrictEqual(packed.replica().interactionEvents);
  });

  it('a backup drops a primary whose packed batch is malformed or not the form agreed, with the reason in its log', async () => {
    // A peer that knows the key and then sends batches no primary makes.
    const cases: { packed: boolean; frame: unknown; reason: RegExp }[] = [
      { packed: true, frame: { v: 1, type: 'packed', epoch: 5, seq: 2, events: [[1, 1, '', null, 'a', 2, false, null]] }, reason: /invalid frame: events\.0\.session\.sessionId/ },
      { packed: true, frame: { v: 1, type: 'packed', epoch: 5, seq: 2, events: [[9, 1, 's']] }, reason: /invalid frame: events\.0: not a packed event/ },
      { packed: true, frame: { v: 1, type: 'packed', epoch: 5, seq: 2, events: [[2, 1, 's', null, true]] }, reason: /invalid frame: events\.0: not a packed event/ },
      { packed: true, frame: { v: 1, type: 'packed', epoch: 5, seq: 2, events: [] }, reason: /invalid frame: events: / },
      { packed: true, frame: { v: 1, type: 'batch', epoch: 5, seq: 2, events: [created(1)] }, reason: /a plain batch after the primary said packed/ },
      { packed: false, frame: { v: 1, type: 'packed', epoch: 5, seq: 2, events: [[2, 1, 's', null, false]] }, reason: /a packed batch nobody asked for/ },
    ];
    let connections = 0;
    const fake = net.createServer((socket) => {
      const { packed, frame } = cases[connections++ % cases.length]!;
      const decoder = new FrameDecoder(1 << 20);
      const challenge = 'c'.repeat(32);
      socket.on('error', () => {});
      socket.write(encodeFrame({ v: 1, type: 'hello', nodeId: 'node-0', challenge }));
      socket.on('data', (chunk: Buffer) => {
        const out = decoder.push(chunk);
        for (const auth of out.ok ? (out.frames as { type: string; challenge: string }[]) : []) {
          if (auth.type !== 'auth') continue;
          const mac = handshakeMac(key, 'primary', 'node-0', challenge, auth.challenge);
          socket.write(encodeFrame({ v: 1, type: 'welcome', epoch: 5, identity: 'odd-primary', mac, ...(packed ? { packed } : {}) }));
          socket.write(encodeFrame({ v: 1, type: 'snapshot', epoch: 5, seq: 1, at: 1, snapshot: { sessions: [], treatments: [], interactionEvents: [] } }));
          socket.write(encodeFrame(frame));
        }
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise((r) => fake.close(r)));
    const log = recordingLogger();
    const backup = startBackup(key, log);
    backup.follow(`127.0.0.1:${(fake.address() as net.AddressInfo).port}`);
    await until(() => log.warnings.filter((w) => /dropping sync connection/.test(w)).length >= cases.length, 'every case refused', 10_000);
    for (const { reason } of cases) expect(log.warnings.some((w) => reason.test(w)), String(reason)).toBe(true);
    expect(backup.replica().sessions.size).toBe(0);
  });

  it('reports whether a backup is synced and the sync lag (what ors_ha_backup_synced and ors_ha_sync_lag_seconds read)', async () => {
    let now = 1_000_000;
    const { server, address } = await startPrimary({ now: () => now });
    expect(server.hasSyncedBackup()).toBe(false);
    expect(server.syncLagMs()).toBe(0);
    const backup = startBackup();
    backup.follow(address);
    await until(() => server.hasSyncedBackup(), 'the backup to acknowledge its snapshot');
    await until(() => server.syncLagMs() === 0, 'nothing left unacknowledged');
    // A change published at `now` and not acknowledged yet has waited as long as the clock moved since.
    server.publish(created(1));
    now += 2500;
    expect(server.syncLagMs()).toBe(2500);
    await until(() => backup.replica().sessions.has('s1'), 'the change at the backup');
    await until(() => server.syncLagMs() === 0, 'the change acknowledged');
    backup.stop();
    await until(() => !server.hasSyncedBackup(), 'the primary to see its backup gone');
    expect(server.syncLagMs()).toBe(0);
  });

  it('confirms a published snapshot once the backup has applied it, and never without a backup', async () => {
    const { server, address } = await startPrimary();
    server.publish({ type: 'session-created', at: 1, session: { sessionId: 'p1', src: 'a.scxml', createdAt: 1, persisted: true } });
    expect(server.publishConfirmed({ type: 'session-snapshot', at: 2, sessionId: 'p1', version: 1, snapshot: { count: 1 } })).toBeUndefined();
    const backup = startBackup();
    backup.follow(address);
    await until(() => backup.isSynced(), 'the backup to sync');
    expect(backup.replica().sessions.get('p1')).toMatchObject({ snapshot: { count: 1 }, snapshotVersion: 1 });
    // Several snapshots in one batch are each confirmed by the backup's ack of that batch.
    const confirmations = [2, 3, 4].map((version) => {
      const confirmed = server.publishConfirmed({ type: 'session-snapshot', at: 3, sessionId: 'p1', version, snapshot: { count: version } });
      expect(confirmed).toBeDefined();
      return confirmed!.then(() => ({ version, applied: backup.replica().sessions.get('p1')?.snapshotVersion ?? 0 }));
    });
    // Each resolves only after the backup applied at least that version.
    for (const { version, applied } of await Promise.all(confirmations)) expect(applied).toBeGreaterThanOrEqual(version);
  });

  it('reconnects after the primary restarts and resyncs fully, dropping what ended meanwhile', async () => {
    const first = await startPrimary();
    first.server.publish(created(1));
    first.server.publish(created(2));
    const backup = startBackup();
    backup.follow(first.address);
    await until(() => backup.replica().sessions.size === 2, 'first sync');
    await first.server.close();
    await until(() => !backup.isSynced(), 'disconnect noticed');
    const second = await startPrimary({ port: first.port });
    second.server.publish(created(2));
    second.server.publish(created(3));
    await until(() => backup.isSynced() && backup.replica().sessions.has('s3'), 'resync', 10_000);
    expect([...backup.replica().sessions.keys()].sort()).toEqual(['s2', 's3']);
  });

  it('garbage on the sync port closes that connection, is logged, and the real backup keeps syncing', async () => {
    const log = recordingLogger();
    const { server, address, port } = await startPrimary({ log });
    const backup = startBackup();
    backup.follow(address);
    await until(() => backup.isSynced(), 'sync');

    const garbage = await rawPeer(port);
    garbage.socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await until(garbage.isClosed, 'garbage peer closed');

    const random = await rawPeer(port);
    random.socket.write(Buffer.from(Array.from({ length: 4096 }, () => Math.floor(Math.random() * 256))));
    await until(random.isClosed, 'random-bytes peer closed');

    const invalid = await rawPeer(port);
    invalid.socket.write(encodeFrame({ v: 1, type: 'batch', epoch: 99, seq: 1, events: [{ type: 'session-created' }] }));
    await until(invalid.isClosed, 'invalid-frame peer closed');

    const unauthenticated = await rawPeer(port);
    unauthenticated.socket.write(encodeFrame({ v: 1, type: 'ack', seq: 1 }));
    await until(unauthenticated.isClosed, 'unauthenticated peer closed');

    const wrongKey = startBackup(Buffer.from('not the right key, but long enough'));
    wrongKey.follow(address);
    await new Promise((r) => setTimeout(r, 300));
    expect(wrongKey.isSynced()).toBe(false);

    expect(log.warnings.some((w) => /exceeds the limit|not JSON/.test(w))).toBe(true);
    expect(log.warnings.some((w) => /invalid frame: events/.test(w))).toBe(true);
    expect(log.warnings.some((w) => /expected auth, got ack/.test(w))).toBe(true);
    expect(log.warnings.some((w) => /authentication failed/.test(w))).toBe(true);
    server.publish(created(9));
    await until(() => backup.replica().sessions.has('s9'), 'the real backup still syncs');
    expect(server.backups().map((b) => b.identity)).toEqual(['backup-b']);
  });

  it('a peer that never authenticates is cut off after the handshake timeout', async () => {
    const log = recordingLogger();
    const { port } = await startPrimary({ log, handshakeTimeoutMs: 200 });
    const silent = await rawPeer(port);
    await until(silent.isClosed, 'silent peer closed', 3000);
    expect(log.warnings.some((w) => /handshake timeout/.test(w))).toBe(true);
  });

  it('a backup does not accept a fake primary that lacks the key', async () => {
    const fake = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.write(encodeFrame({ v: 1, type: 'hello', nodeId: 'node-0', challenge: 'c'.repeat(32) }));
      socket.on('data', () => socket.write(encodeFrame({ v: 1, type: 'welcome', epoch: 5, identity: 'evil', mac: 'd'.repeat(64) })));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise((r) => fake.close(r)));
    const log = recordingLogger();
    const backup = startBackup(key, log);
    backup.follow(`127.0.0.1:${(fake.address() as net.AddressInfo).port}`);
    await until(() => log.warnings.some((w) => /primary failed authentication/.test(w)), 'rejection');
    expect(backup.isSynced()).toBe(false);
  });

  it('refuses frames from a primary with an older epoch than one already seen', async () => {
    let epoch = 5;
    const newer = await startPrimary({ epoch: () => epoch });
    const log = recordingLogger();
    const backup = startBackup(key, log);
    backup.follow(newer.address);
    await until(() => backup.isSynced(), 'sync with epoch 5');
    const stale = await startPrimary({ epoch: () => 4 });
    stale.server.publish(created(66));
    backup.follow(stale.address);
    await until(() => log.warnings.some((w) => /epoch 4 is stale/.test(w)), 'stale epoch refused');
    expect(backup.replica().sessions.has('s66')).toBe(false);
    epoch = 6;
    backup.follow(newer.address);
    await until(() => backup.isSynced() && backup.epochSeen() === 6, 'back on the newer primary');
  });

  it('failsafe: a probe is confirmed by a backup that answers yes, not by one that answers no; a lost connection names the primary and its real address', async () => {
    const { server, address, port } = await startPrimary();
    const backup = startBackup();
    const asked: { identity: string; epoch: number }[] = [];
    let answer = true;
    backup.answerProbesWith((primary) => {
      asked.push(primary);
      return answer;
    });
    const losses: unknown[] = [];
    backup.subscribe({ onConnectionLost: (loss) => losses.push(loss) });
    backup.follow(address);
    await until(() => backup.isSynced(), 'sync');
    expect(await server.probe(1000)).toBe('backup-b');
    expect(asked).toEqual([{ identity: 'primary-a', epoch: 3 }]);
    answer = false;
    expect(await server.probe(200)).toBeUndefined();
    await server.close();
    await until(() => losses.length > 0, 'the loss to be reported');
    expect(losses[0]).toMatchObject({ address, remoteAddress: '127.0.0.1', remotePort: port, identity: 'primary-a', epoch: 3 });
  });

  it('failsafe: a probe with no backup connected is answered by nobody', async () => {
    const { server } = await startPrimary();
    expect(await server.probe(100)).toBeUndefined();
  });
});
