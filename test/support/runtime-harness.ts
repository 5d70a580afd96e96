// Starts a real runtime process in-process on a free loopback port, with a test
// strategy directory, for tests over real HTTP.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { resolveConfig } from '../../runtime/config/load-config.ts';
import type { RoleSource } from '../../runtime/ha/role-source.ts';
import { startRuntime, type RuntimeProcess } from '../../runtime/runtime-process.ts';
import type { StrategyEngine } from '../../runtime/sessions/strategy-engine.ts';

export async function strategyDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-strategies-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

export async function startTestRuntime(
  engine: StrategyEngine,
  options: Record<string, unknown>,
  roles?: RoleSource,
): Promise<RuntimeProcess> {
  const config = resolveConfig({ flags: { 'http-host': '127.0.0.1', 'http-port': 0, 'log-level': 'silent', auth: 'none', ...options } });
  return startRuntime({ config, engine, roles, logger: pino({ level: 'silent' }) });
}

export async function post(
  base: string,
  path: string,
  body?: Record<string, unknown> | string,
  contentType?: string,
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const isForm = contentType === undefined && typeof body === 'object';
  const response = await fetch(base + path, {
    method: 'POST',
    redirect: 'manual',
    headers:
      body === undefined
        ? {}
        : { 'content-type': contentType ?? (isForm ? 'application/x-www-form-urlencoded' : 'text/plain') },
    body:
      body === undefined
        ? undefined
        : typeof body === 'string'
          ? body
          : contentType === 'application/json'
            ? JSON.stringify(body)
            : new URLSearchParams(body as Record<string, string>).toString(),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : {}, headers: response.headers };
}

export async function get(
  base: string,
  path: string,
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers; text: string }> {
  const response = await fetch(base + path, { redirect: 'manual' });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // /metrics is text
  }
  return { status: response.status, json, headers: response.headers, text };
}
