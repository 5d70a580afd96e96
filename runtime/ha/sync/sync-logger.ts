export interface SyncLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export const silentSyncLogger: SyncLogger = { info() {}, warn() {} };
