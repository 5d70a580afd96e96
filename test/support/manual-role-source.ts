// A role source a test flips by hand (the HA branch's lease-based source does it for
// real); it has the RoleSource shape the agents subscribe to.
import type { Role, RoleSource, RoleState } from '../../runtime/ha/role-source.ts';

export class ManualRoleSource implements RoleSource {
  private state: RoleState;
  private readonly listeners = new Set<(state: RoleState) => void>();

  constructor(role: Role) {
    this.state = { role, epoch: role === 'primary' ? 1 : 0 };
  }

  current(): RoleState {
    return this.state;
  }

  subscribe(listener: (state: RoleState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(role: Role): void {
    if (role === this.state.role) return;
    this.state = { role, epoch: role === 'primary' ? this.state.epoch + 1 : this.state.epoch };
    for (const l of this.listeners) l(this.state);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
