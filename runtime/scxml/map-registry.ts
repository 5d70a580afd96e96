// The default SessionRegistry: sessions by id in one Map (shared by a session and its
// invoked children, or by the sessions a Basic HTTP processor reaches).
import type { SessionHandle, SessionRegistry } from './types.ts';

export class MapRegistry implements SessionRegistry {
  private readonly sessions = new Map<string, SessionHandle>();
  get(id: string) {
    return this.sessions.get(id);
  }
  add(s: SessionHandle) {
    this.sessions.set(s.id, s);
  }
  delete(id: string) {
    this.sessions.delete(id);
  }
}
