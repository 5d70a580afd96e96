// Writes status through the status subresource, only when it changed.
import { isDeepStrictEqual } from 'node:util';
import type { OrsClusterStatus } from '../api/ors-cluster.ts';
import { API_VERSION, KIND } from '../api/ors-cluster.ts';
import { FIELD_MANAGER } from '../builders/names.ts';
import { pathOf } from './resource-paths.ts';
import type { ReconcileContext } from './reconcile-context.ts';

export async function writeStatus(
  ctx: ReconcileContext,
  namespace: string,
  name: string,
  current: unknown,
  next: OrsClusterStatus,
): Promise<boolean> {
  if (isDeepStrictEqual(JSON.parse(JSON.stringify(current ?? {})), JSON.parse(JSON.stringify(next)))) return false;
  // A merge patch replaces lists (conditions, nodes) whole, which is what is wanted;
  // fields that disappeared are removed explicitly.
  const removed = Object.fromEntries(Object.keys((current as object) ?? {}).filter((k) => !(k in next)).map((k) => [k, null]));
  await ctx.client.mergePatch(pathOf(API_VERSION, KIND, namespace, name, 'status'), { status: { ...removed, ...next } }, FIELD_MANAGER);
  return true;
}
