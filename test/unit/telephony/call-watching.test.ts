import { describe, expect, it } from 'vitest';
import { decideCallWatching } from '../../../runtime/telephony/call-watching.ts';
import type { CallWatchInput } from '../../../runtime/telephony/call-watching.ts';

const base: CallWatchInput = {
  now: 10_000,
  ringingSeenAt: 10_000,
  role: 'primary',
  selfNodeId: 'n0',
  ranking: ['n0', 'n1', 'n2'],
  sessionAttached: false,
  localSessionExists: false,
  callEnded: false,
  callWatchingTimeoutMs: 5000,
};
const decide = (over: Partial<CallWatchInput>) => decideCallWatching({ ...base, ...over });

describe('call watching', () => {
  it('the assigned node’s primary creates the session at once', () => {
    expect(decide({}).action).toBe('create');
  });

  it('the assigned node’s backup watches and never creates, even after the timeout', () => {
    expect(decide({ role: 'backup' })).toMatchObject({ action: 'watch', recheckAt: undefined });
    expect(decide({ role: 'backup', now: 99_000 }).action).toBe('watch');
  });

  it('a backup promoted to primary of the assigned node creates at once when no session exists', () => {
    // Same inputs as the backup case, only the role changed: the re-evaluation on promotion.
    expect(decide({ role: 'primary', now: 11_000 }).action).toBe('create');
  });

  it('the reserved node watches for call-watching-timeout, then creates', () => {
    const watching = decide({ selfNodeId: 'n1', now: 12_000 });
    expect(watching).toMatchObject({ action: 'watch', recheckAt: 15_000 });
    expect(decide({ selfNodeId: 'n1', now: 14_999 }).action).toBe('watch');
    expect(decide({ selfNodeId: 'n1', now: 15_000 })).toMatchObject({ action: 'create', reason: expect.stringMatching(/reserved/) });
  });

  it('the reserved node’s backup only watches', () => {
    expect(decide({ selfNodeId: 'n1', role: 'backup', now: 20_000 }).action).toBe('watch');
  });

  it('past ORS: the third node creates after 2 x timeout, so a call gets a session while any node is up', () => {
    expect(decide({ selfNodeId: 'n2', now: 16_000 })).toMatchObject({ action: 'watch', recheckAt: 20_000 });
    expect(decide({ selfNodeId: 'n2', now: 20_000 }).action).toBe('create');
  });

  it('nobody creates once a session claimed the call, or while this process is creating one', () => {
    for (const selfNodeId of ['n0', 'n1', 'n2']) {
      expect(decide({ selfNodeId, sessionAttached: true, now: 99_000 }).action).toBe('ignore');
      expect(decide({ selfNodeId, localSessionExists: true, now: 99_000 }).action).toBe('ignore');
    }
  });

  it('ignores calls that left the routing point and nodes outside the placement', () => {
    expect(decide({ callEnded: true }).action).toBe('ignore');
    expect(decide({ selfNodeId: 'stranger' }).action).toBe('ignore');
  });
});
