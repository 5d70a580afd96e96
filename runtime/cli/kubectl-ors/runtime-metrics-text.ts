// The few figures `kubectl ors` shows from a runtime's Prometheus text: live sessions,
// sessions created, sessions finished by reason, and a sync lag if the runtime exports
// one (any gauge whose name has `sync_lag`, in seconds). Pure.

export interface RuntimeFigures {
  activeSessions?: number;
  sessionsCreated?: number;
  /** ors_sessions_finished_total by its `reason` label. */
  sessionsFinished: Record<string, number>;
  syncLagSeconds?: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/;

export function runtimeFigures(text: string): RuntimeFigures {
  const figures: RuntimeFigures = { sessionsFinished: {} };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, name, labels = '', raw] = match;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    if (name === 'ors_active_sessions') figures.activeSessions = value;
    else if (name === 'ors_sessions_created_total') figures.sessionsCreated = value;
    else if (name === 'ors_sessions_finished_total') {
      const reason = /(?:^|,)reason="([^"]*)"/.exec(labels)?.[1] ?? 'unknown';
      figures.sessionsFinished[reason] = (figures.sessionsFinished[reason] ?? 0) + value;
    } else if (name!.includes('sync_lag') && !name!.endsWith('_bucket') && !name!.endsWith('_count') && !name!.endsWith('_sum')) {
      figures.syncLagSeconds = value;
    }
  }
  return figures;
}
