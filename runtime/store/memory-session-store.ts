// The in-process session store, for tests and for a single process that needs no
// durability. Same fencing rules as the durable stores.
import { StaleEpochError, StoredSessionSchema, type SessionStore, type StoredSession } from './session-store.ts';

interface NodeState {
  fencedEpoch: number;
  sessions: Map<string, StoredSession>;
}

export class MemorySessionStore implements SessionStore {
  readonly inProcess = true;
  private readonly nodes = new Map<string, NodeState>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  private node(nodeId: string): NodeState {
    let state = this.nodes.get(nodeId);
    if (!state) {
      state = { fencedEpoch: 0, sessions: new Map() };
      this.nodes.set(nodeId, state);
    }
    return state;
  }

  private admit(nodeId: string, epoch: number): NodeState {
    const state = this.node(nodeId);
    if (epoch < state.fencedEpoch) throw new StaleEpochError(nodeId, epoch, state.fencedEpoch);
    state.fencedEpoch = epoch;
    return state;
  }

  async save(session: StoredSession): Promise<void> {
    const parsed = StoredSessionSchema.parse(session);
    const state = this.admit(parsed.nodeId, parsed.epoch);
    const existing = state.sessions.get(parsed.sessionId);
    if (existing && existing.version > parsed.version) return;
    state.sessions.set(parsed.sessionId, structuredClone(parsed));
  }

  async delete(nodeId: string, sessionId: string, epoch: number): Promise<void> {
    this.admit(nodeId, epoch).sessions.delete(sessionId);
  }

  async load(nodeId: string, sessionId: string): Promise<StoredSession | undefined> {
    const found = this.nodes.get(nodeId)?.sessions.get(sessionId);
    return found && structuredClone(found);
  }

  async *listByNode(nodeId: string): AsyncIterable<StoredSession> {
    for (const session of [...(this.nodes.get(nodeId)?.sessions.values() ?? [])]) yield structuredClone(session);
  }

  async fence(nodeId: string, epoch: number): Promise<void> {
    this.admit(nodeId, epoch);
  }
}
