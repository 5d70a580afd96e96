// Builds the configured session store. `file` is the embedded default; `memory` keeps
// nothing across restarts (tests, demos without persistence).
import { FileSessionStore, type StoreLogger } from './file-session-store.ts';
import { MemorySessionStore } from './memory-session-store.ts';
import type { SessionStore } from './session-store.ts';

export type SessionStoreConfig = { kind: 'memory' } | { kind: 'file'; directory: string };

export function createSessionStore(config: SessionStoreConfig, log?: StoreLogger): SessionStore {
  switch (config.kind) {
    case 'memory':
      return new MemorySessionStore();
    case 'file':
      return new FileSessionStore({ directory: config.directory, log });
  }
}
