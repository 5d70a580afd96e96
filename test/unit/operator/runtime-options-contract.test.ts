// spec.options mirrors the runtime's ORS options, and the config file the operator
// writes is one the runtime accepts (its schema is strict).
import { describe, expect, it } from 'vitest';
import { optionGroups, RuntimeConfigSchema } from '../../../runtime/config/runtime-options.ts';
import { RuntimeOptionsSchema, orsOptionName } from '../../../operator/api/runtime-options.ts';
import { parseOrsCluster } from '../../../operator/api/parse-ors-cluster.ts';
import { runtimeOptionsDocument } from '../../../operator/builders/runtime-config.ts';

/** Set by the operator from spec.routing, not by users. */
const OPERATOR_MANAGED = ['external-url'];

describe('spec.options vs the runtime configuration', () => {
  it('exposes every ORS option of the runtime, under its camelCase name, and nothing else', () => {
    const exposed = Object.keys(RuntimeOptionsSchema.shape).map(orsOptionName).sort();
    const runtime = Object.keys(optionGroups.ors).filter((n) => !OPERATOR_MANAGED.includes(n)).sort();
    expect(exposed).toEqual(runtime);
  });

  it('writes a config file the runtime accepts, with every option set', () => {
    const parsed = parseOrsCluster({
      metadata: { name: 'c', namespace: 'n', uid: 'u' },
      spec: {
        image: 'ors:1',
        nodes: 2,
        strategies: [{ name: 'main.scxml', scxml: '<scxml/>' }],
        options: {
          callWatchingTimeout: 3000, backupSynchMaxBuffer: 50, backupSynchMaxAge: 30, heartbeatBackupStatus: 503,
          restartSessionOnSwitchover: true, sessionRestartTimeout: 10, sessionProcessingThreads: 4, sessionidWithNodeid: true,
          newSessionOnReroute: true, sameNodeForConsPrimCalls: true,
        },
      },
    });
    if (!parsed.ok) throw new Error(parsed.message);
    const doc = runtimeOptionsDocument(parsed.cluster, [0, 1]);
    const config = RuntimeConfigSchema.parse(doc);
    expect(config).toMatchObject({
      'call-watching-timeout': 3000,
      'session-processing-threads': 4,
      applications: { 'main.scxml': '/etc/ors/strategies/main.scxml' },
      'node-urls': { 'node-0': 'http://c-node-0.n.svc:8080', 'node-1': 'http://c-node-1.n.svc:8080' },
    });
  });

  it('passes spec.telephony.url to the runtime as telephony-url, which the runtime accepts', () => {
    const parsed = parseOrsCluster({ metadata: { name: 'c', namespace: 'n', uid: 'u' }, spec: { image: 'ors:1', telephony: { url: 'ws://ors-sim.telephony.svc:7070' } } });
    if (!parsed.ok) throw new Error(parsed.message);
    const config = RuntimeConfigSchema.parse(runtimeOptionsDocument(parsed.cluster, [0, 1]));
    expect(config['telephony-url']).toBe('ws://ors-sim.telephony.svc:7070');
    // Call placement spreads over every node of the cluster: node-urls names them all.
    expect(Object.keys(config['node-urls'])).toEqual(['node-0', 'node-1']);
  });

  it('rejects a telephony URL that is not ws:// or wss://, and writes none when unset', () => {
    for (const url of ['http://sim:7070', 'ws://', 'sim:7070', 'ws://a b']) {
      const parsed = parseOrsCluster({ metadata: { name: 'c', namespace: 'n', uid: 'u' }, spec: { image: 'ors:1', telephony: { url } } });
      expect(parsed, url).toEqual({ ok: false, message: expect.stringContaining('telephony.url') });
    }
    const parsed = parseOrsCluster({ metadata: { name: 'c', namespace: 'n', uid: 'u' }, spec: { image: 'ors:1' } });
    if (!parsed.ok) throw new Error(parsed.message);
    expect(runtimeOptionsDocument(parsed.cluster, [0])).not.toHaveProperty('telephony-url');
  });

  it('keeps the runtime defaults: an empty spec.options writes no ORS option', () => {
    const parsed = parseOrsCluster({ metadata: { name: 'c', namespace: 'n', uid: 'u' }, spec: { image: 'ors:1' } });
    if (!parsed.ok) throw new Error(parsed.message);
    const doc = runtimeOptionsDocument(parsed.cluster, [0]);
    expect(Object.keys(doc).filter((k) => k in optionGroups.ors)).toEqual([]);
    expect(RuntimeConfigSchema.parse(doc)['call-watching-timeout']).toBe(5000);
  });
});
