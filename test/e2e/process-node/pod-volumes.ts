// The files a kubelet would project into a container's volume mounts: ConfigMap, Secret
// and projected volumes as files, emptyDir as an empty writable directory. Pure: it
// returns what to write; pod-sandbox.ts writes it and bind-mounts it at mountPath.
import type { V1Container, V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';
import { ContainerConfigError, fieldPathValue } from './container-environment.ts';

export interface VolumeSources {
  configMap(name: string): Record<string, string> | undefined;
  /** Secret data, decoded. */
  secret(name: string): Record<string, string> | undefined;
  /** A bound token of the pod's ServiceAccount (projected serviceAccountToken sources). */
  serviceAccountToken: string;
}

export type VolumeContent =
  | { kind: 'files'; files: Record<string, string>; readOnly: boolean }
  | { kind: 'emptyDir' };

export interface ResolvedMount {
  /** Volume name, also the folder name on the host. */
  volume: string;
  mountPath: string;
  content: VolumeContent;
}

function pick(data: Record<string, string>, items: V1KeyToPath[] | undefined, what: string, optional: boolean | undefined): Record<string, string> {
  if (!items || items.length === 0) return { ...data };
  const files: Record<string, string> = {};
  for (const item of items) {
    if (!(item.key in data)) {
      if (optional) continue;
      throw new ContainerConfigError(`${what} has no key ${item.key}`);
    }
    files[item.path] = data[item.key];
  }
  return files;
}

function volumeFiles(pod: V1Pod, volume: V1Volume, sources: VolumeSources): VolumeContent {
  if (volume.emptyDir) return { kind: 'emptyDir' };
  if (volume.configMap) {
    const { name = '', items, optional } = volume.configMap;
    const data = sources.configMap(name);
    if (!data && !optional) throw new ContainerConfigError(`volume ${volume.name}: ConfigMap ${name} not found`);
    return { kind: 'files', readOnly: true, files: pick(data ?? {}, items, `ConfigMap ${name}`, optional) };
  }
  if (volume.secret) {
    const { secretName = '', items, optional } = volume.secret;
    const data = sources.secret(secretName);
    if (!data && !optional) throw new ContainerConfigError(`volume ${volume.name}: Secret ${secretName} not found`);
    return { kind: 'files', readOnly: true, files: pick(data ?? {}, items, `Secret ${secretName}`, optional) };
  }
  if (volume.projected) {
    const files: Record<string, string> = {};
    for (const source of volume.projected.sources ?? []) {
      if (source.configMap) {
        const { name = '', items, optional } = source.configMap;
        const data = sources.configMap(name);
        if (!data && !optional) throw new ContainerConfigError(`volume ${volume.name}: ConfigMap ${name} not found`);
        Object.assign(files, pick(data ?? {}, items, `ConfigMap ${name}`, optional));
      } else if (source.secret) {
        const { name = '', items, optional } = source.secret;
        const data = sources.secret(name);
        if (!data && !optional) throw new ContainerConfigError(`volume ${volume.name}: Secret ${name} not found`);
        Object.assign(files, pick(data ?? {}, items, `Secret ${name}`, optional));
      } else if (source.serviceAccountToken) {
        files[source.serviceAccountToken.path] = sources.serviceAccountToken;
      } else if (source.downwardAPI) {
        for (const item of source.downwardAPI.items ?? []) {
          if (!item.fieldRef) throw new ContainerConfigError(`volume ${volume.name}: only fieldRef downwardAPI items are supported`);
          files[item.path] = fieldPathValue(pod, item.fieldRef.fieldPath);
        }
      } else {
        throw new ContainerConfigError(`volume ${volume.name}: unsupported projected source ${Object.keys(source).join(', ')}`);
      }
    }
    return { kind: 'files', readOnly: true, files };
  }
  throw new ContainerConfigError(`volume ${volume.name}: unsupported volume type ${Object.keys(volume).filter((k) => k !== 'name').join(', ')}`);
}

export function containerMounts(pod: V1Pod, container: V1Container, sources: VolumeSources): ResolvedMount[] {
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  return (container.volumeMounts ?? []).map((mount) => {
    const volume = volumes.get(mount.name);
    if (!volume) throw new ContainerConfigError(`volumeMount ${mount.name}: no such volume in the pod`);
    if (mount.subPath) throw new ContainerConfigError(`volumeMount ${mount.name}: subPath is not supported by the process node`);
    return { volume: mount.name, mountPath: mount.mountPath, content: volumeFiles(pod, volume, sources) };
  });
}
