import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { Reporter, TestModule } from 'vitest/node';

// CI reads a plain closing line ("N passed, N failed") to know tests really ran;
// vitest's own summary has another shape, so this reporter adds that line. Above it, one
// short paragraph per failure (file, test, the start of its message): CI keeps only the
// tail of a run's output, and vitest prints the messages far above its code frames.
const MESSAGE_CHARS = 2400;

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const failures: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'failed') {
          failed++;
          failures.push(failure(`${path.relative(process.cwd(), module.moduleId)} > ${test.fullName}`, result.errors?.[0]?.message));
        } else skipped++;
      }
      if (module.state() === 'failed' && module.children.size === 0) {
        failed++;
        failures.push(failure(path.relative(process.cwd(), module.moduleId), module.errors()[0]?.message));
      }
    }
    if (failures.length > 0) process.stdout.write(`\nfailed:\n${failures.join('\n')}\n`);
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

function failure(where: string, message: string | undefined): string {
  const text = stripVTControlCharacters(message ?? '(no message)').replace(/\s+/g, ' ').trim();
  return `- ${where}\n  ${text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS)}…` : text}`;
}
