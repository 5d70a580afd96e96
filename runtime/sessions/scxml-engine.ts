// Binds the StrategyEngine seam to the SCXML interpreter of runtime/scxml.
// The interpreter (branch `scxml`) has not published runtime/scxml/index.ts yet; until it
// is merged, `ors runtime` says so instead of pretending to run SCXML.
import type { StrategyEngine } from './strategy-engine.ts';

export function createScxmlEngine(): StrategyEngine {
  throw new Error('the SCXML interpreter (runtime/scxml, branch scxml) is not merged into this build yet');
}
