// A role fixed at start-up (the `role` flag): for single processes, tests and demos.
import type { RoleSource, RoleState } from './role-source.ts';

export class StaticRoleSource implements RoleSource {
  readonly #state: RoleState;
  constructor(state: RoleState) {
    this.#state = state;
  }
  current(): RoleState {
    return this.#state;
  }
  subscribe(): () => void {
    return () => {};
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
