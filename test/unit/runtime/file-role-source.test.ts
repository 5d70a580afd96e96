// The file role source switches a running runtime between primary and backup.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileRoleSource } from '../../../runtime/ha/file-role-source.ts';
import { get, post, startTestRuntime } from '../../support/runtime-harness.ts';
import { TableEngine } from '../../support/table-engine.ts';

describe('FileRoleSource', () => {
  it('is a backup until the file says otherwise, follows changes, keeps the last good state on bad input', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-role-'));
    const file = path.join(dir, 'role.json');
    const problems: string[] = [];
    const roles = new FileRoleSource(file, { pollMs: 50, onInvalid: (m) => problems.push(m) });
    const runtime = await startTestRuntime(new TableEngine(), { 'node-id': 'node-r', 'role-file': file }, roles);
    try {
      expect((await get(runtime.url, '/heartbeat')).status).toBe(503);
      await writeFile(file, JSON.stringify({ role: 'primary', epoch: 2 }));
      await expect.poll(async () => (await get(runtime.url, '/heartbeat')).status).toBe(200);
      expect((await get(runtime.url, '/heartbeat')).json.epoch).toBe(2);

      await writeFile(file, JSON.stringify({ role: 'backup', epoch: 2, primaryUrl: 'http://127.0.0.1:9' }));
      await expect.poll(async () => (await get(runtime.url, '/heartbeat')).status).toBe(503);
      const redirected = await post(runtime.url, '/scxml/session/start', { src: 'x' });
      expect(redirected.status).toBe(307);
      expect(redirected.headers.get('location')).toBe('http://127.0.0.1:9/scxml/session/start');

      await writeFile(file, JSON.stringify({ role: 'leader' }));
      await expect.poll(() => problems.length).toBeGreaterThan(0);
      expect(problems[0]).toMatch(/role/);
      expect(roles.current().role).toBe('backup');
    } finally {
      await runtime.stop();
    }
  });
});
