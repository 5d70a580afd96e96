// Runtime processes for voice and multimedia tests: per node a primary and a backup,
// each with its own WebSocket connection to the simulator, voice agent, interaction
// puller and (scripted) session host, as every runtime process runs them.
import { pino } from 'pino';
import type { Logger } from 'pino';
import { TelephonyConnection } from '../../runtime/telephony/telephony-connection.ts';
import { VoiceCallAgent } from '../../runtime/telephony/voice-call-agent.ts';
import { InteractionPuller } from '../../runtime/telephony/interaction-puller.ts';
import type { TreatmentSyncSink } from '../../runtime/telephony/treatment-ledger.ts';
import { ScriptedSessionPort } from './scripted-session-port.ts';
import type { ScriptedSession } from './scripted-session-port.ts';
import type { ExternalEventLike } from '../../runtime/telephony/call-session-port.ts';
import { ManualRoleSource } from './manual-role-source.ts';

export interface ProcessActions {
  agent: VoiceCallAgent;
  puller: InteractionPuller;
}

export type ScriptFactory = (actions: () => ProcessActions) => (session: ScriptedSession, event: ExternalEventLike | undefined) => void;

export interface ProcessOptions {
  url: string;
  nodeId: string;
  processId: string;
  role: 'primary' | 'backup';
  clusterNodeIds: string[];
  script: ScriptFactory;
  callWatchingTimeoutMs?: number;
  newSessionOnReroute?: boolean;
  sameNodeForConsultAndPrimary?: boolean;
  restartSessionOnSwitchover?: boolean;
  restartBatchSize?: number;
  restartIntervalMs?: number;
  maxSessions?: number;
  maxPerPull?: number;
  multimedia?: boolean;
  /** The puller waits for `adoptRecoveredSessions` after a promotion (as with HA). */
  awaitRecovery?: boolean;
  treatmentSync?: TreatmentSyncSink;
  log?: Logger;
}

export interface RuntimeProcess {
  nodeId: string;
  processId: string;
  role: ManualRoleSource;
  connection: TelephonyConnection;
  agent: VoiceCallAgent;
  puller: InteractionPuller;
  port: ScriptedSessionPort;
  alive: boolean;
  kill(): Promise<void>;
}

export function testLogger(): Logger {
  return pino({ level: process.env['ORS_TEST_LOG'] ?? 'silent' }, pino.destination(2));
}

export async function startProcess(o: ProcessOptions): Promise<RuntimeProcess> {
  const log = (o.log ?? testLogger()).child({ process: o.processId });
  const role = new ManualRoleSource(o.role);
  const connection = new TelephonyConnection({
    url: o.url,
    nodeId: o.nodeId,
    processId: o.processId,
    role: o.role,
    capabilities: o.multimedia === false ? ['voice'] : ['voice', 'multimedia'],
    log,
    backoff: { initialMs: 50, maxMs: 500 },
  });
  const actions: { current?: ProcessActions } = {};
  const port = new ScriptedSessionPort(o.nodeId, o.script(() => actions.current!));
  const agent = new VoiceCallAgent({
    nodeId: o.nodeId,
    clusterNodeIds: o.clusterNodeIds,
    connection,
    sessions: port,
    role,
    callWatchingTimeoutMs: o.callWatchingTimeoutMs ?? 5000,
    newSessionOnReroute: o.newSessionOnReroute ?? false,
    sameNodeForConsultAndPrimary: o.sameNodeForConsultAndPrimary ?? false,
    restartSessionOnSwitchover: o.restartSessionOnSwitchover ?? false,
    ...(o.restartBatchSize !== undefined ? { restartBatchSize: o.restartBatchSize } : {}),
    ...(o.restartIntervalMs !== undefined ? { restartIntervalMs: o.restartIntervalMs } : {}),
    ...(o.treatmentSync ? { treatmentSync: o.treatmentSync } : {}),
    log,
  });
  const puller = new InteractionPuller({
    nodeId: o.nodeId,
    connection,
    sessions: port,
    role,
    maxSessions: o.maxSessions ?? 100,
    maxPerPull: o.maxPerPull ?? 8,
    idlePollMs: 50,
    leaseRenewMs: 200,
    ...(o.awaitRecovery ? { awaitRecovery: true } : {}),
    log,
  });
  actions.current = { agent, puller };
  agent.start();
  if (o.multimedia !== false) puller.start();
  const welcomed = new Promise<void>((resolve) => {
    const off = connection.onWelcome(() => {
      off();
      resolve();
    });
  });
  connection.start();
  await welcomed;
  const proc: RuntimeProcess = {
    nodeId: o.nodeId,
    processId: o.processId,
    role,
    connection,
    agent,
    puller,
    port,
    alive: true,
    kill: async () => {
      proc.alive = false;
      port.kill();
      agent.stop();
      puller.stop();
      await connection.stop();
    },
  };
  return proc;
}

export interface TestCluster {
  processes: RuntimeProcess[];
  primary(nodeId: string): RuntimeProcess;
  backup(nodeId: string): RuntimeProcess;
  stop(): Promise<void>;
}

export async function startCluster(url: string, nodeIds: string[], base: Omit<ProcessOptions, 'url' | 'nodeId' | 'processId' | 'role' | 'clusterNodeIds'> & { perNode?: (nodeId: string) => Partial<ProcessOptions> }): Promise<TestCluster> {
  const processes = await Promise.all(
    nodeIds.flatMap((nodeId) =>
      (['primary', 'backup'] as const).map((role) =>
        startProcess({ ...base, ...(base.perNode?.(nodeId) ?? {}), url, nodeId, processId: `${nodeId}-${role}`, role, clusterNodeIds: nodeIds }),
      ),
    ),
  );
  const find = (nodeId: string, processId: string) => processes.find((p) => p.nodeId === nodeId && p.processId === processId)!;
  return {
    processes,
    primary: (nodeId) => find(nodeId, `${nodeId}-primary`),
    backup: (nodeId) => find(nodeId, `${nodeId}-backup`),
    stop: async () => {
      await Promise.all(processes.filter((p) => p.alive).map((p) => p.kill()));
    },
  };
}

/** A voice strategy: play a treatment (if `treatmentMs` > 0), route on its end, end when the call leaves. */
export function treatThenRoute(options: { treatmentMs: number; target: string }): ScriptFactory {
  return (actions) => (session, event) => {
    const agent = actions().agent;
    const route = () => agent.routeCall(session.id, options.target).catch(() => undefined);
    if (event === undefined) {
      if (options.treatmentMs > 0) {
        agent.applyTreatment(session.id, { kind: 'playsound', resource: 'music/welcome', durationMs: options.treatmentMs }).catch(() => undefined);
      } else void route();
      return;
    }
    if (event.name === 'dialog.playsound.done') void route();
    if (event.name === 'session.restart' && options.treatmentMs === 0) void route();
    if (event.name === 'interaction.routed' || event.name === 'interaction.deleted' || event.name === 'interaction.abandoned') session.end();
  };
}

/** A multimedia strategy: work `workMs`, then end (the puller reports completion). */
export function workFor(workMs: number): ScriptFactory {
  return () => (session, event) => {
    if (event === undefined && session.parameters['InteractionId'] !== undefined && session.parameters['Queue'] !== undefined) {
      setTimeout(() => session.end(), workMs);
    }
  };
}

/** Voice and multimedia together: voice sessions by `voice`, interaction sessions by `multimedia`. */
export function combined(voice: ScriptFactory, multimedia: ScriptFactory): ScriptFactory {
  return (actions) => {
    const v = voice(actions);
    const m = multimedia(actions);
    return (session, event) => (session.parameters['Queue'] !== undefined ? m(session, event) : v(session, event));
  };
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
