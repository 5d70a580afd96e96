// The runtime with the real SCXML interpreter over real HTTP: the example strategies,
// `<data _type="parameter">`, `<session:response>`, delayed sends, and the ORS session
// extensions (start, fetch, terminate).
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeProcess } from '../../../runtime/runtime-process.ts';
import { createScxmlEngine } from '../../../runtime/sessions/scxml-engine.ts';
import { extractParameterData } from '../../../runtime/sessions/parameter-data.ts';
import { get, post, startTestRuntime, strategyDir } from '../../support/runtime-harness.ts';

const examples = path.resolve(import.meta.dirname, '../../../examples/strategies');

const parent = `<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:session="http://www.genesyslab.com/modules/session" version="1.0" datamodel="ecmascript" initial="s">
  <datamodel><data id="child" expr="null"/><data id="fetched" expr="null"/><data id="fetchUrl" _type="parameter" expr="''"/></datamodel>
  <state id="s">
    <onentry>
      <session:start src="child.scxml"><param name="greeting" expr="'hi from parent'"/></session:start>
    </onentry>
    <transition event="session.start.done" target="fetching"><assign location="child" expr="_event.data.sessionid"/></transition>
  </state>
  <state id="fetching">
    <onentry><session:fetch srcexpr="fetchUrl" method="get"><param name="q" expr="'ors'"/></session:fetch></onentry>
    <transition event="session.fetch.done" target="ending"><assign location="fetched" expr="_event.data.content"/></transition>
    <transition event="error.session.fetch" target="ending"/>
  </state>
  <state id="ending">
    <transition event="kill.child"><session:terminate sessionidexpr="child"/></transition>
    <transition event="kill.me"><session:terminate/></transition>
  </state>
</scxml>`;
const child = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="c">
  <datamodel><data id="greeting" _type="parameter" expr="''"/></datamodel>
  <state id="c"/>
</scxml>`;
const spinner = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="a">
  <datamodel><data id="n" expr="0"/></datamodel>
  <state id="a">
    <onentry><send event="again"/></onentry>
    <transition event="again" target="a"><assign location="n" expr="n + 1"/></transition>
    <transition event="hang"><script>while (true) {}</script></transition>
    <transition event="cycle" target="ping"/>
  </state>
  <state id="ping"><transition target="pong"/></state>
  <state id="pong"><transition target="ping"/></state>
</scxml>`;

let node: RuntimeProcess;
let dir: string;
let backend: http.Server;
let backendUrl: string;

beforeAll(async () => {
  dir = await strategyDir({ 'parent.scxml': parent, 'child.scxml': child, 'spinner.scxml': spinner });
  backend = http.createServer((req, res) => {
    if (req.url === '/strategies/child.scxml') {
      res.writeHead(200, { 'content-type': 'application/scxml+xml' });
      res.end(child);
      return;
    }
    if (req.url === '/strategies/missing.scxml') {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, answer: 42 }));
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  node = await startTestRuntime(createScxmlEngine(), {
    'node-id': 'node-s',
    'strategies-dir': dir,
    applications: `survey=${examples}/http-survey.scxml,routing=${examples}/call-routing.scxml`,
  });
});
afterAll(async () => {
  await node?.stop();
  backend?.close();
});

const query = async (id: string) => (await get(node.url, `/scxml/session/${id}/query`)).json;

describe('SCXML strategies over HTTP', () => {
  it('http-survey: parameters fill <data _type="parameter">, events update it, <session:response> answers', async () => {
    const started = await post(node.url, '/scxml/session/start', { src: 'survey', customer: 'carol', notAParameter: 'x' });
    expect(started.status).toBe(200);
    const id = started.json.sessionid as string;
    await post(node.url, `/scxml/session/${id}/event/answer`, { question: 'q1', value: 'yes' });
    await post(node.url, `/scxml/session/${id}/event/answer`, { question: 'q2', value: 5 }, 'application/json');
    const status = await post(node.url, `/scxml/session/${id}/request/status`);
    expect(status.status).toBe(200);
    expect(status.json).toEqual({ customer: 'carol', language: 'en', answered: 2, answers: { q1: 'yes', q2: 5 } });
    const q = await query(id);
    expect(q.configuration).toEqual(['collecting']);
    expect(q.datamodel).toEqual({ customer: 'carol', language: 'en', answers: { q1: 'yes', q2: 5 } });
    await post(node.url, `/scxml/session/${id}/event/submit`);
    await expect.poll(async () => (await get(node.url, `/scxml/session/${id}/query`)).status).toBe(409);
  });

  it('call-routing: a delayed send times the queue out; agent.ready cancels it; request/response reports', async () => {
    const slow = (await post(node.url, '/scxml/session/start', { src: 'routing', ani: '555', dnis: '800', queueTimeout: '300ms' })).json
      .sessionid as string;
    const fast = (await post(node.url, '/scxml/session/start', { src: 'routing', ani: '556', dnis: '800', queueTimeout: '300ms' }))
      .json.sessionid as string;
    await expect.poll(async () => (await query(fast)).configuration).toContain('queued');
    await post(node.url, `/scxml/session/${fast}/event/agent.ready`, { agent: 'agent-7' });
    const fastWhere = await post(node.url, `/scxml/session/${fast}/request/where`);
    expect(fastWhere.json).toEqual({ state: 'routed', route: 'agent', agent: 'agent-7' });
    await expect.poll(async () => (await post(node.url, `/scxml/session/${slow}/request/where`)).json, { timeout: 3000 }).toEqual({
      state: 'routed',
      route: 'overflow',
      agent: null,
    });
    expect((await query(slow)).datamodel).toMatchObject({ ani: '555', dnis: '800', route: 'overflow' });
  });

  it('ORS session extensions: <session:start> on this node, <session:fetch>, <session:terminate>', async () => {
    const id = (await post(node.url, '/scxml/session/start', { src: 'parent.scxml', fetchUrl: `${backendUrl}/lookup` })).json
      .sessionid as string;
    await expect.poll(async () => (await query(id)).configuration, { timeout: 3000 }).toEqual(['ending']);
    const dm = (await query(id)).datamodel as { child: string; fetched: unknown };
    expect(dm.fetched).toEqual({ path: '/lookup?q=ors', answer: 42 });
    expect(dm.child.endsWith('.node-s')).toBe(true);
    const childState = await query(dm.child);
    expect(childState.datamodel).toEqual({ greeting: 'hi from parent' });
    expect((childState.metadata as { parentId: string }).parentId).toBe(id);
    await post(node.url, `/scxml/session/${id}/event/kill.child`);
    await expect.poll(async () => (await get(node.url, `/scxml/session/${dm.child}/query`)).status).toBe(409);
    await post(node.url, `/scxml/session/${id}/event/kill.me`);
    await expect.poll(async () => (await get(node.url, `/scxml/session/${id}/query`)).status).toBe(409);
  });

  it('sessions that loop forever (self-sent events, a looping script, eventless cycles) do not stall others', async () => {
    const spin = (await post(node.url, '/scxml/session/start', { src: 'spinner.scxml' })).json.sessionid as string;
    const hang = (await post(node.url, '/scxml/session/start', { src: 'spinner.scxml' })).json.sessionid as string;
    const cycle = (await post(node.url, '/scxml/session/start', { src: 'spinner.scxml' })).json.sessionid as string;
    await post(node.url, `/scxml/session/${hang}/event/hang`);
    await post(node.url, `/scxml/session/${cycle}/event/cycle`);
    const survey = (await post(node.url, '/scxml/session/start', { src: 'survey', customer: 'dan' })).json.sessionid as string;
    for (let i = 0; i < 10; i++) {
      await post(node.url, `/scxml/session/${survey}/event/answer`, { question: `q${i}`, value: String(i) });
      const r = await post(node.url, `/scxml/session/${survey}/request/status`);
      expect(r.json.answered).toBe(i + 1);
    }
    expect(((await query(spin)).datamodel as { n: number }).n).toBeGreaterThan(100);
    await post(node.url, `/scxml/session/${spin}/terminate`);
    await post(node.url, `/scxml/session/${hang}/terminate`);
    await post(node.url, `/scxml/session/${cycle}/terminate`);
  });

  it('starts a session from an http(s) URL src; an unreachable URL is a 400', async () => {
    const r = await post(node.url, '/scxml/session/start', { src: `${backendUrl}/strategies/child.scxml`, greeting: 'over http' });
    expect(r.status).toBe(200);
    expect((await query(r.json.sessionid as string)).datamodel).toEqual({ greeting: 'over http' });
    const missing = await post(node.url, '/scxml/session/start', { src: `${backendUrl}/strategies/missing.scxml` });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toBe('bad-src');
  });

  it('an invalid document is a 400 naming line and column', async () => {
    await writeFile(path.join(dir, 'bad.scxml'), '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">\n  <state id="a"><bogus/></state>\n</scxml>');
    const r = await post(node.url, '/scxml/session/start', { src: 'bad.scxml' });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('invalid-document');
    expect(r.json.message).toMatch(/:2:\d+:/);
  });

  it('a file src from a client stays inside strategies-dir', async () => {
    for (const src of ['../outside.scxml', '/etc/hostname', 'file:///etc/hostname']) {
      const r = await post(node.url, '/scxml/session/start', { src });
      expect(r.status).toBe(400);
      expect(r.json.message).toMatch(/outside strategies-dir/);
    }
  });
});

describe('extractParameterData', () => {
  it('blanks _type="parameter" keeping columns and collects the ids', () => {
    const src = `<data id="a" _type="parameter" expr="1"/>\n<data id='b' expr="2"/>\n<data _type='parameter' id='c'/>`;
    const out = extractParameterData(src);
    expect(out.parameterIds).toEqual(['a', 'c']);
    expect(out.source.split('\n').map((l) => l.length)).toEqual(src.split('\n').map((l) => l.length));
    expect(out.source).not.toContain('_type');
  });
});
