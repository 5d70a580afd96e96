// Builds the configured session store. `file` is the embedded default; `memory` keeps
// nothing across restarts (tests, demos without persistence); `cassandra` is the
// distributed store for clusters that outgrow one machine.
import type { Registry } from 'prom-client';
import { CassandraSessionStore } from './cassandra-store.ts';
import type { CassandraStoreConfigInput } from './cassandra-store-config.ts';
import { FileSessionStore, type StoreLogger } from './file-session-store.ts';
import { MemorySessionStore } from './memory-session-store.ts';
import type { SessionStore } from './session-store.ts';

export type SessionStoreConfig =
  | { kind: 'memory' }
  | { kind: 'file'; directory: string }
  | ({ kind: 'cassandra' } & CassandraStoreConfigInput);

export function createSessionStore(config: SessionStoreConfig, log?: StoreLogger, registry?: Registry): SessionStore {
  switch (config.kind) {
    case 'memory':
      return new MemorySessionStore();
    case 'file':
      return new FileSessionStore({ directory: config.directory, log });
    case 'cassandra': {
      const { kind: _kind, ...options } = config;
      return new CassandraSessionStore(options, {
        ...(registry ? { registry } : {}),
        ...(log ? { log: (level, message, details) => level !== 'info' && log.warn({ level, ...details }, message) } : {}),
      });
    }
  }
}
