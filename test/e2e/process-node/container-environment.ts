// What a kubelet computes before it starts a container: the environment (literal values,
// `$(VAR)` references to earlier variables, fieldRef, ConfigMap and Secret keys) and the
// argument list with `$(VAR)` expanded. Pure: the ConfigMaps and Secrets are passed in.
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';

export interface EnvSources {
  /** data[key] of a ConfigMap in the pod's namespace, undefined when missing. */
  configMapKey(name: string, key: string): string | undefined;
  /** The decoded data[key] of a Secret in the pod's namespace, undefined when missing. */
  secretKey(name: string, key: string): string | undefined;
}

export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

/** The value of a downward-API field path (the ones the kubelet supports for env). */
export function fieldPathValue(pod: V1Pod, fieldPath: string): string {
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const map = labelOrAnnotation[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[labelOrAnnotation[2]] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    default:
      throw new ContainerConfigError(`unsupported fieldRef ${fieldPath}`);
  }
}

/** `$(NAME)` -> the variable's value; `$$(NAME)` -> `$(NAME)`; unknown names stay as written. */
export function expandReferences(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && name in vars ? vars[name] : match;
  });
}

function envValue(pod: V1Pod, variable: V1EnvVar, vars: Record<string, string>, sources: EnvSources): string | undefined {
  if (variable.value !== undefined) return expandReferences(variable.value, vars);
  const from = variable.valueFrom;
  if (!from) return '';
  if (from.fieldRef) return fieldPathValue(pod, from.fieldRef.fieldPath);
  if (from.configMapKeyRef) {
    const { name, key, optional } = from.configMapKeyRef;
    const value = sources.configMapKey(name ?? '', key);
    if (value === undefined && !optional) throw new ContainerConfigError(`env ${variable.name}: ConfigMap ${name} has no key ${key}`);
    return value;
  }
  if (from.secretKeyRef) {
    const { name, key, optional } = from.secretKeyRef;
    const value = sources.secretKey(name ?? '', key);
    if (value === undefined && !optional) throw new ContainerConfigError(`env ${variable.name}: Secret ${name} has no key ${key}`);
    return value;
  }
  throw new ContainerConfigError(`env ${variable.name}: unsupported valueFrom ${Object.keys(from).join(', ')}`);
}

/** The container's environment in declaration order (later references see earlier ones). */
export function containerEnvironment(pod: V1Pod, container: V1Container, sources: EnvSources): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const value = envValue(pod, variable, vars, sources);
    if (value !== undefined) vars[variable.name] = value;
  }
  return vars;
}

/** command + args with `$(VAR)` expanded; `entrypoint` stands in for the image's ENTRYPOINT. */
export function containerCommandLine(container: V1Container, env: Record<string, string>, entrypoint: readonly string[]): string[] {
  const command = container.command?.length ? container.command : entrypoint;
  return [...command, ...(container.args ?? [])].map((part) => expandReferences(part, env));
}
