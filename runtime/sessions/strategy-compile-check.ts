// Whether a strategy compiles, away from any runtime (the operator checks a spec's
// strategies before a pod needs them). It must accept exactly what `ors runtime` accepts,
// so it compiles with the same extension elements: ORS's session module and the telephony
// module's dialog and interaction elements (their actions are never run here). External
// `<script src>`/`<data src>` cannot be fetched from where the check runs; they are taken
// as empty, and the runtime's loader judges them when it loads the strategy.
import { telephonyExtensions } from '../telephony/dialog-extensions.ts';
import { TelephonyActions } from '../telephony/telephony-actions.ts';
import { orsExtensions } from './ors-extensions.ts';
import { compileStrategyDocument } from './scxml-engine.ts';

const extensions = { ...orsExtensions(), ...telephonyExtensions(new TelephonyActions()) };

/** The compile error of a strategy (with line and column), or undefined when it compiles. */
export function strategyCompileError(source: string, name: string): string | undefined {
  try {
    compileStrategyDocument(source, name, extensions, () => '');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
