// The pure half of `kubectl ors report`: which objects belong to a cluster, how a Secret
// is redacted (keys and sizes kept, values and the last-applied copy dropped), and the
// bundle as files written to a directory or packed as a tar.gz (ustar, no dependency).
import { gzipSync } from 'node:zlib';
import type { KubernetesObject } from '@kubernetes/client-node';
import { LABEL_CLUSTER } from '../../../operator/api/pod-contract.ts';

export interface BundleFile {
  /** Path inside the bundle, '/'-separated. */
  path: string;
  content: string;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

interface OwnedObject extends KubernetesObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** An object of the cluster: labelled with it, owned by it, or named after it. */
export function belongsToCluster(object: KubernetesObject, cluster: { name: string; uid?: string }): boolean {
  const meta = object.metadata ?? {};
  if (meta.labels?.[LABEL_CLUSTER] === cluster.name) return true;
  if (cluster.uid && meta.ownerReferences?.some((o) => o.uid === cluster.uid)) return true;
  return meta.name === cluster.name || (meta.name?.startsWith(`${cluster.name}-`) ?? false);
}

/** A Secret with every value replaced by its size; other objects lose only managedFields. */
export function redact(object: KubernetesObject): KubernetesObject {
  const copy = structuredClone(object) as OwnedObject;
  if (copy.metadata) delete copy.metadata.managedFields;
  if (copy.kind !== 'Secret') return copy;
  if (copy.metadata?.annotations?.[LAST_APPLIED] !== undefined) copy.metadata.annotations[LAST_APPLIED] = '<redacted>';
  for (const field of ['data', 'stringData'] as const) {
    const values = copy[field];
    if (!values) continue;
    copy[field] = Object.fromEntries(
      Object.entries(values).map(([key, value]) => [key, `<redacted: ${field === 'data' ? Buffer.from(value, 'base64').length : Buffer.byteLength(value)} bytes>`]),
    );
  }
  return copy;
}

function header(name: string, size: number, mtime: number): Buffer {
  const block = Buffer.alloc(512);
  const write = (text: string, offset: number, length: number) => block.write(text.slice(0, length), offset, length, 'utf8');
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0') + '\0';
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`bundle path too long for ustar: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  write(base, 0, 100);
  write(octal(0o644, 8), 100, 8);
  write(octal(0, 8), 108, 8);
  write(octal(0, 8), 116, 8);
  write(octal(size, 12), 124, 12);
  write(octal(mtime, 12), 136, 12);
  block.fill(' ', 148, 156);
  write('0', 156, 1);
  write('ustar\u000000', 257, 8);
  write(prefix, 345, 155);
  let sum = 0;
  for (const byte of block) sum += byte;
  write(octal(sum, 7) + ' ', 148, 8);
  return block;
}

/** The files as a gzipped ustar archive, every file under `root/`. */
export function tarGz(root: string, files: readonly BundleFile[], mtime: Date): Buffer {
  const parts: Buffer[] = [];
  const seconds = Math.floor(mtime.getTime() / 1000);
  for (const file of files) {
    const body = Buffer.from(file.content, 'utf8');
    parts.push(header(`${root}/${file.path}`, body.length, seconds), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}
