import { beforeEach, inject } from 'vitest';
import { readLogTail } from './managed-process.ts';

// A setupFile of the integration and e2e projects: when a test fails, print the log
// tails of the shared control plane's servers next to the failure.
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    const plane = inject('controlPlane');
    if (!plane) return;
    const tails = plane.logFiles.map((file) => `----- ${file} -----\n${readLogTail(file, 30)}`).join('\n');
    console.error(`control plane logs (full logs in ${plane.dir}):\n${tails}`);
  });
});
