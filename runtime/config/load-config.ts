// Merges the three sources of configuration — file, environment, flags (later wins) —
// and validates the result, naming the offending option, where it came from and what
// is allowed. Pure apart from `readConfigFile`.
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import type { z } from 'zod';
import { allowedValues, optionNames, RuntimeConfigSchema, type OptionName, type RuntimeConfig } from './runtime-options.ts';

export type OptionSource = 'file' | 'environment' | 'flag';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** ORS_CALL_WATCHING_TIMEOUT <-> call-watching-timeout. */
export function envVarName(option: OptionName): string {
  return `ORS_${option.toUpperCase().replaceAll('-', '_')}`;
}

export function optionsFromEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of optionNames) {
    const value = env[envVarName(name)];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`config file ${file}: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (error) {
    throw new ConfigError([`config file ${file}: not YAML/JSON: ${(error as Error).message}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([`config file ${file}: expected a mapping of option names to values`]);
  }
  return parsed as Record<string, unknown>;
}

function describeIssue(issue: z.core.$ZodIssue, sourceOf: (name: string) => OptionSource | 'default'): string {
  const name = String(issue.path[0] ?? '');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    return `unknown option(s) ${keys}; known options: ${optionNames.join(', ')}`;
  }
  const where = sourceOf(name);
  const origin =
    where === 'flag' ? `--${name}` : where === 'environment' ? `${envVarName(name as OptionName)}` : name;
  const allowed = optionNames.includes(name as OptionName) ? `; allowed: ${allowedValues(name as OptionName)}` : '';
  return `option ${name} (from ${where}: ${origin}): ${issue.message}${allowed}`;
}

/** Later sources win: defaults < file < environment < flags. */
export function resolveConfig(sources: {
  file?: Record<string, unknown>;
  env?: Record<string, string>;
  flags?: Record<string, unknown>;
}): RuntimeConfig {
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, OptionSource>();
  const layers: [OptionSource, Record<string, unknown> | undefined][] = [
    ['file', sources.file],
    ['environment', sources.env],
    ['flag', sources.flags],
  ];
  for (const [source, values] of layers) {
    for (const [key, value] of Object.entries(values ?? {})) {
      if (value === undefined) continue;
      merged[key] = value;
      origin.set(key, source);
    }
  }
  const result = RuntimeConfigSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, (n) => origin.get(n) ?? 'default')));
  }
  return result.data;
}
