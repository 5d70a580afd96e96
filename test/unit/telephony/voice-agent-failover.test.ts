// The voice agent of a backup promoted with HA managing recovery: it feeds none of the
// node's sessions until HA has brought them back, then tells each the treatment ends it
// missed (once) and the call events that arrived meanwhile (in order); a treatment's end
// reaches the session once whether the server's event or the fallback timer comes first.
// The telephony connection and the session host are in-memory fakes.
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { VoiceCallAgent } from '../../../runtime/telephony/voice-call-agent.ts';
import type { TelephonyConnection } from '../../../runtime/telephony/telephony-connection.ts';
import type { CallSessionPort, ExternalEventLike, PreparedSession } from '../../../runtime/telephony/call-session-port.ts';
import type { CallEvent } from '../../../runtime/telephony/voice-messages.ts';
import type { TreatmentRecord } from '../../../runtime/telephony/treatment-ledger.ts';
import { ManualRoleSource } from '../../support/manual-role-source.ts';

class FakeConnection {
  readonly welcome = { routingPoints: [{ dn: '5000', strategy: 'voice.scxml' }] };
  private readonly listeners: ((event: CallEvent) => void)[] = [];
  onCallEvent(listener: (event: CallEvent) => void): () => void {
    this.listeners.push(listener);
    return () => undefined;
  }
  onWelcome(): () => void {
    return () => undefined;
  }
  setRole(): void {}
  async request(): Promise<unknown> {
    return {};
  }
  emit(event: CallEvent): void {
    for (const l of this.listeners) l(event);
  }
}

class RecordingPort implements CallSessionPort {
  readonly alive = new Set<string>();
  readonly delivered: string[] = [];
  private readonly created: ((sessionId: string) => void)[] = [];
  /** Sessions the agent prepared (restarts), by id; none unless a test allows it. */
  readonly prepared: string[] = [];
  allowPrepare = false;
  async prepare(): Promise<PreparedSession> {
    if (!this.allowPrepare) throw new Error('this test creates no sessions through the agent');
    const sessionId = `R${this.prepared.length + 1}`;
    this.prepared.push(sessionId);
    return { sessionId, start: () => this.alive.add(sessionId), discard: () => undefined };
  }
  deliver(sessionId: string, event: ExternalEventLike): boolean {
    if (!this.alive.has(sessionId)) return false;
    const data = event.data as { seq?: number; treatmentid?: string };
    this.delivered.push(`${sessionId} ${event.name}${data.seq !== undefined ? `@${data.seq}` : ''}${data.treatmentid ? `#${data.treatmentid}` : ''}`);
    return true;
  }
  isAlive(sessionId: string): boolean {
    return this.alive.has(sessionId);
  }
  liveSessions(): number {
    return this.alive.size;
  }
  onSessionEnded(): () => void {
    return () => undefined;
  }
  onSessionCreated(listener: (sessionId: string) => void): () => void {
    this.created.push(listener);
    return () => undefined;
  }
  /** HA made the session here (a shadow, a restart, a recovery). */
  appear(sessionId: string): void {
    this.alive.add(sessionId);
    for (const l of this.created) l(sessionId);
  }
}

/** A call event without what the fake server fills in (distributed over the union). */
type EventInput = CallEvent extends infer E ? (E extends CallEvent ? Omit<E, 'seq' | 'at' | 'callId'> : never) : never;

const agents: VoiceCallAgent[] = [];
afterEach(() => {
  for (const a of agents.splice(0)) a.stop();
});

/** A backup's voice agent of node-1, HA managing its recovery, over the fakes. */
function newBackupAgent(unsyncedTreatmentEndWindowMs?: number, log = pino({ level: 'silent' })) {
  const connection = new FakeConnection();
  const port = new RecordingPort();
  const role = new ManualRoleSource('backup');
  const agent = new VoiceCallAgent({
    nodeId: 'node-1',
    clusterNodeIds: ['node-1'],
    connection: connection as unknown as TelephonyConnection,
    sessions: port,
    role,
    callWatchingTimeoutMs: 60_000,
    newSessionOnReroute: false,
    sameNodeForConsultAndPrimary: false,
    restartSessionOnSwitchover: false,
    haManagesRecovery: true,
    treatmentEndGraceMs: 0,
    ...(unsyncedTreatmentEndWindowMs === undefined ? {} : { unsyncedTreatmentEndWindowMs }),
    log,
  });
  agent.start();
  agents.push(agent);
  return { agent, connection, port, role };
}

function backupAgent(options: { shadowBeforeClaim?: boolean; unsyncedTreatmentEndWindowMs?: number } = {}) {
  const { agent, connection, port, role } = newBackupAgent(options.unsyncedTreatmentEndWindowMs);
  let seq = 0;
  const event = (e: EventInput) => connection.emit({ callId: 'c1', seq: ++seq, at: Date.now(), ...e } as CallEvent);
  // The call rang and the old primary's session S claimed it; the sync said t1 is playing.
  // The sync may bring S (its shadow here) before the server's claim does.
  if (options.shadowBeforeClaim) port.appear('S');
  event({ type: 'call.ringing', routingPoint: '5000', callType: 'inbound', attachedData: {} });
  event({ type: 'call.session-attached', sessionId: 'S', nodeId: 'node-1' });
  const t1: TreatmentRecord = { treatmentId: 't1', sessionId: 'S', callId: 'c1', kind: 'playsound', startedAt: Date.now() - 1000, durationMs: 500 };
  agent.treatments.startedFromSync(t1);
  if (!options.shadowBeforeClaim) port.appear('S');
  return { agent, port, role, event, t1 };
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('voice agent: promotion with HA recovering the sessions', () => {
  it('feeds the session nothing until HA has recovered it, then the held treatment end once and the deferred events in order', async () => {
    const { agent, port, role, event, t1 } = backupAgent();
    // The old primary dies; the server ends t1 while this process is still backup.
    event({ type: 'call.treatment-ended', treatmentId: 't1', reason: 'completed' });
    role.set('primary');
    event({ type: 'call.attached-data-changed', attachedData: { a: 1 } });
    agent.completeSyncedTreatments([t1]); // HA's delegate: the fallback timer is due at once
    await tick();
    expect(port.delivered).toEqual([]);
    agent.adoptRecoveredSessions();
    await tick();
    expect(port.delivered).toEqual(['S dialog.playsound.done@3#t1', 'S interaction.udata.changed@4']);
    // Live from now on.
    event({ type: 'call.attached-data-changed', attachedData: { a: 2 } });
    expect(port.delivered.at(-1)).toBe('S interaction.udata.changed@5');
  });

  it('a treatment ending after the recovery: the server’s end first, the fallback timer later, told once', async () => {
    const { agent, port, role, event } = backupAgent();
    role.set('primary');
    agent.adoptRecoveredSessions();
    const t2: TreatmentRecord = { treatmentId: 't2', sessionId: 'S', callId: 'c1', kind: 'playsound', startedAt: Date.now(), durationMs: 60 };
    agent.treatments.startedFromSync(t2);
    agent.completeSyncedTreatments([t2]);
    event({ type: 'call.treatment-ended', treatmentId: 't2', reason: 'completed' });
    await tick(120);
    event({ type: 'call.treatment-ended', treatmentId: 't2', reason: 'completed' }); // a duplicate report
    expect(port.delivered.filter((d) => d.includes('#t2'))).toEqual(['S dialog.playsound.done@3#t2']);
  });

  it('the server’s end never comes: the fallback timer tells it, and a late server end is dropped', async () => {
    const { agent, port, role, event } = backupAgent();
    role.set('primary');
    agent.adoptRecoveredSessions();
    const t3: TreatmentRecord = { treatmentId: 't3', sessionId: 'S', callId: 'c1', kind: 'playsound', startedAt: Date.now(), durationMs: 10 };
    agent.treatments.startedFromSync(t3);
    agent.completeSyncedTreatments([t3]);
    await tick(60);
    event({ type: 'call.treatment-ended', treatmentId: 't3', reason: 'completed' });
    expect(port.delivered.filter((d) => d.includes('#t3'))).toEqual(['S dialog.playsound.done#t3']);
  });

  it('the shadow came before the claim (the sync beat the server): the session acts for its call as soon as HA restarts it (issue 22)', async () => {
    const { agent, role } = backupAgent({ shadowBeforeClaim: true });
    expect(agent.sessionForCall('c1')).toBe('S');
    role.set('primary');
    // HA restarted S and is still recovering the others: its routing must not be refused here.
    await expect(agent.routeCall('S', 'agent-1')).resolves.toBeUndefined();
  });

  it('an end the sync never told of, from the failover window, is still told after a recovery longer than that window (issue 22)', async () => {
    const { agent, port, role, event } = backupAgent({ unsyncedTreatmentEndWindowMs: 100 });
    event({ type: 'call.treatment-ended', treatmentId: 't9', reason: 'completed' });
    role.set('primary');
    await tick(250); // HA recovering thousands of sessions
    agent.adoptRecoveredSessions();
    expect(port.delivered).toEqual(['S dialog.playsound.done@3#t9']);
  });
});

// A process that connects while calls are live (a killed primary restarted as backup)
// hears their newest events on the stream before its calls.list answer brings their
// history. The history must still count: the chaos run's call-5942 (test/e2e/README.md)
// had its ringing and claim dropped as stale behind a live treatment end, so the
// process promoted by the second switchover restarted no session for it.
function catchingUpBackup() {
  const { agent, connection, port, role } = newBackupAgent();
  const history: CallEvent[] = [
    { type: 'call.ringing', callId: 'c1', seq: 1, at: 1, routingPoint: '5000', callType: 'inbound', attachedData: {} },
    { type: 'call.session-attached', callId: 'c1', seq: 2, at: 2, sessionId: 'S', nodeId: 'node-1' },
    { type: 'call.treatment-ended', callId: 'c1', seq: 3, at: 3, treatmentId: 't1', reason: 'completed' },
  ];
  // Live first: the treatment's end. Then the list: the whole history, the end again.
  connection.emit(history[2]!);
  for (const e of history) connection.emit(e);
  return { agent, port, role };
}

describe('voice agent: a catch-up list that the live stream outran', () => {
  it('the call keeps its history: after the promotion a session the store did not have is restarted for it, with the history replayed', async () => {
    const { agent, port, role } = catchingUpBackup();
    expect(agent.callEvents('c1').map((e) => e.seq)).toEqual([1, 2, 3]);
    port.allowPrepare = true;
    role.set('primary');
    agent.adoptRecoveredSessions(); // HA recovered nothing for c1: S lived only on the dead process
    agent.restartOrphanedCalls();
    await tick();
    expect(port.prepared).toEqual(['R1']);
    expect(agent.sessionForCall('c1')).toBe('R1');
    expect(port.delivered).toEqual(['R1 session.restart', 'R1 interaction.present@1', 'R1 dialog.playsound.done@3#t1']);
  });

  it('a session recovered from the store hears the treatment end once, though the end came before the claim', async () => {
    const { agent, port, role } = catchingUpBackup();
    role.set('primary');
    port.appear('S'); // HA recovered S from the store
    agent.adoptRecoveredSessions();
    agent.restartOrphanedCalls();
    await tick();
    expect(port.prepared).toEqual([]);
    expect(port.delivered).toEqual(['S dialog.playsound.done@3#t1']);
  });
});

describe('voice agent: the recovery report in the log', () => {
  it('counts the held treatment ends told, dropped as older than the failover window, and refused by their session', async () => {
    const lines: { msg: string; heldEnds?: unknown; callId?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
    const { agent, connection, port, role } = newBackupAgent(100, log);
    let seq = 0;
    const call = (callId: string, sessionId: string) => {
      connection.emit({ type: 'call.ringing', callId, seq: ++seq, at: 0, routingPoint: '5000', callType: 'inbound', attachedData: {} });
      connection.emit({ type: 'call.session-attached', callId, seq: ++seq, at: 0, sessionId, nodeId: 'node-1' });
    };
    const ended = (callId: string, treatmentId: string) => connection.emit({ type: 'call.treatment-ended', callId, seq: ++seq, at: 0, treatmentId, reason: 'completed' });
    call('old', 'S-old');
    ended('old', 't-old');
    await tick(150); // older than the 100 ms window at the promotion
    call('told', 'S-told');
    ended('told', 't-told');
    call('gone', 'S-gone');
    ended('gone', 't-gone');
    role.set('primary');
    for (const id of ['S-old', 'S-told', 'S-gone']) port.appear(id);
    port.alive.delete('S-gone'); // bound, then ended before its end could be told
    agent.adoptRecoveredSessions();
    expect(port.delivered).toEqual(['S-told dialog.playsound.done@6#t-told']);
    expect(lines.find((l) => l.msg === 'voice agent: recovered sessions bound to their calls')?.heldEnds).toEqual({ told: 1, dropped: 1, refused: 1 });
    expect(lines.filter((l) => l.msg.startsWith('voice agent: a held treatment end could not')).map((l) => l.callId)).toEqual(['gone']);
  });
});
