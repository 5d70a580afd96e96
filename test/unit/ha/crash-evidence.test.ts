// The pure judgements behind crash failover and takeover answers (runtime/ha/FAILOVER.md).
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { judgeCrash, type CrashObservation } from '../../../runtime/ha/crash/crash-evidence.ts';
import { judgePod, restartCount } from '../../../runtime/ha/crash/pod-termination.ts';
import { takeoverGate } from '../../../runtime/ha/takeover-gate.ts';
import { HttpError } from '../../../runtime/http/http-error.ts';

const dead: CrashObservation = { syncLost: true, syncPort: 'refused', httpPort: 'refused', kubeletRequired: false };

describe('judgeCrash', () => {
  it('a lost sync connection and both ports refusing prove a crash without Kubernetes', () => {
    expect(judgeCrash(dead)).toMatchObject({ crashed: true });
  });
  it('anything less is no proof: a port that accepts or stays silent, or the sync connection still up', () => {
    expect(judgeCrash({ ...dead, syncLost: false })).toMatchObject({ crashed: false });
    expect(judgeCrash({ ...dead, syncPort: 'accepted' })).toMatchObject({ crashed: false, missing: expect.stringMatching(/sync port accepts/) });
    expect(judgeCrash({ ...dead, httpPort: 'no-answer' })).toMatchObject({ crashed: false, missing: expect.stringMatching(/HTTP port does not answer/) });
  });
  it('in Kubernetes refusals alone are never enough (a firewall answering with resets looks the same): the kubelet must report the container gone', () => {
    expect(judgeCrash({ ...dead, kubeletRequired: true })).toMatchObject({ crashed: false, missing: expect.stringMatching(/kubelet/) });
    expect(judgeCrash({ ...dead, kubeletRequired: true, kubelet: { terminated: false, detail: 'running' } })).toEqual({ crashed: false, missing: 'running' });
    expect(judgeCrash({ ...dead, kubeletRequired: true, kubelet: { terminated: true, detail: 'kubelet: exit 137' } })).toMatchObject({ crashed: true, evidence: expect.stringMatching(/exit 137/) });
  });
});

function pod(statuses: NonNullable<V1Pod['status']>['containerStatuses']): V1Pod {
  return { status: { containerStatuses: statuses } };
}
const base = { name: 'ors', image: 'ors', imageID: '', ready: false };

describe('judgePod', () => {
  it('a terminated container, or one waiting to restart after a termination, is gone', () => {
    expect(judgePod(pod([{ ...base, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'Error', signal: 9 } } }]), 0)).toMatchObject({ terminated: true, detail: expect.stringMatching(/exit 137, signal 9/) });
    expect(judgePod(pod([{ ...base, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 137 } } }]), undefined)).toMatchObject({ terminated: true, detail: expect.stringMatching(/CrashLoopBackOff/) });
  });
  it('a container restarted since the baseline: the run that held the lease is dead', () => {
    const restarted = pod([{ ...base, restartCount: 3, state: { running: {} }, lastState: { terminated: { exitCode: 137 } } }]);
    expect(restartCount(restarted)).toBe(3);
    expect(judgePod(restarted, 2)).toMatchObject({ terminated: true });
    expect(judgePod(restarted, 3)).toMatchObject({ terminated: false });
    expect(judgePod(restarted, undefined)).toMatchObject({ terminated: false });
  });
  it('a pod without container statuses is no evidence', () => {
    expect(judgePod({}, 0)).toMatchObject({ terminated: false });
  });
});

describe('takeoverGate', () => {
  it('lets a request through at once when no recovery runs or the session is here', async () => {
    await takeoverGate({ has: () => false, pending: () => undefined }, 1000).awaitSession('s');
    await takeoverGate({ has: () => true, pending: () => new Promise(() => {}) }, 1000).awaitSession('s');
  });
  it('holds a request until the recovery is done', async () => {
    let done: () => void = () => {};
    const pending = new Promise<void>((resolve) => (done = resolve));
    let answered = false;
    const waiting = takeoverGate({ has: () => false, pending: () => pending }, 5000).awaitSession('s').then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false);
    done();
    await waiting;
    expect(answered).toBe(true);
  });
  it('answers 503 recovering with Retry-After when the recovery outlasts the wait, never 404', async () => {
    const error = await takeoverGate({ has: () => false, pending: () => new Promise(() => {}) }, 20).awaitSession('s').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 503, code: 'recovering', headers: { 'retry-after': '1' } });
  });
});
