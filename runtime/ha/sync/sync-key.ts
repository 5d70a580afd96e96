// The node's shared sync key: from a file (a mounted Secret) or an environment variable.
import { readFileSync } from 'node:fs';

export const MIN_SYNC_KEY_BYTES = 16;

export function parseSyncKey(text: string, origin: string): Buffer {
  const key = Buffer.from(text.trim(), 'utf8');
  if (key.length < MIN_SYNC_KEY_BYTES) {
    throw new Error(`sync key from ${origin} is ${key.length} bytes; at least ${MIN_SYNC_KEY_BYTES} are required`);
  }
  return key;
}

export function loadSyncKey(options: { file?: string; env?: NodeJS.ProcessEnv; envName?: string }): Buffer {
  if (options.file) return parseSyncKey(readFileSync(options.file, 'utf8'), `file ${options.file}`);
  const name = options.envName ?? 'ORS_SYNC_KEY';
  const value = (options.env ?? process.env)[name];
  if (value) return parseSyncKey(value, `environment variable ${name}`);
  throw new Error(`no sync key: set sync-key-file or the ${name} environment variable`);
}
