// The process node's stand-in for a container: the pod's process runs in its own user,
// mount and UTS namespaces (`unshare`, no root needed), where /etc is an overlay and /run a tmpfs
// so the pod's volumes can be bind-mounted at their mountPath (/etc/ors/..., /tmp,
// /var/run/secrets/...), /etc/hosts is the harness's cluster DNS, and the hostname is
// the pod's. The network namespace is the pod's own, entered before this script runs
// (test/infra/pod-network/). Pure: this file renders the script that sets the namespaces
// up; pod-runner.ts runs it.

export interface SandboxMount {
  /** Host folder or file. */
  source: string;
  /** Path inside the sandbox. */
  target: string;
  readOnly: boolean;
}

export interface SandboxSpec {
  /** Host folder holding the overlay upper/work folders. */
  overlayDir: string;
  hostsFile: string;
  hostname: string;
  mounts: readonly SandboxMount[];
  /**
   * Host folders the pod's program runs from (the checkout, Node): they stay visible even
   * when a volume is mounted over a parent, as a checkout under /tmp is by the pod's /tmp.
   */
  programFolders?: readonly string[];
}

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** True when `target` hides `source` once mounted (e.g. /tmp over a folder under /tmp). */
function hides(target: string, source: string): boolean {
  const prefix = target.endsWith('/') ? target : `${target}/`;
  return source === target || source.startsWith(prefix);
}

/**
 * A /bin/sh script, run under `unshare --user --map-root-user --mount --uts`, that
 * prepares the sandbox and then execs its arguments ("$@").
 */
export function sandboxScript(spec: SandboxSpec): string {
  const lines = ['set -e'];
  const upper = `${spec.overlayDir}/etc-upper`;
  const work = `${spec.overlayDir}/etc-work`;
  lines.push(`mkdir -p ${quote(upper)} ${quote(work)}`);
  lines.push(`mount -t overlay overlay -o ${quote(`lowerdir=/etc,upperdir=${upper},workdir=${work}`)} /etc`);
  // /run starts empty, as a container's does (an overlay of the host's is refused in a user
  // namespace while /run/netns holds the pod network's namespace mounts).
  lines.push('mount -t tmpfs -o mode=0755 tmpfs /run');
  lines.push(`mount --bind ${quote(spec.hostsFile)} /etc/hosts`);
  // A program folder a volume will hide is first bound to a place no volume covers, then
  // bound back at its own path once the volumes are mounted.
  const hiddenPrograms = (spec.programFolders ?? [])
    .filter((folder) => spec.mounts.some((m) => hides(m.target, folder)))
    .map((folder, i) => ({ folder, kept: `${spec.overlayDir}/program-${i}` }));
  for (const { folder, kept } of hiddenPrograms) {
    lines.push(`mkdir -p ${quote(kept)}`);
    lines.push(`mount --bind ${quote(folder)} ${quote(kept)}`);
  }
  // A mount that would hide another mount's source goes after it.
  const ordered = [...spec.mounts].sort((a, b) => {
    const aHides = spec.mounts.some((m) => m !== a && hides(a.target, m.source)) ? 1 : 0;
    const bHides = spec.mounts.some((m) => m !== b && hides(b.target, m.source)) ? 1 : 0;
    return aHides - bHides || a.target.length - b.target.length;
  });
  for (const mount of ordered) {
    lines.push(`mkdir -p ${quote(mount.target)}`);
    lines.push(`mount --bind ${quote(mount.source)} ${quote(mount.target)}`);
    if (mount.readOnly) lines.push(`mount -o remount,bind,ro ${quote(mount.target)}`);
  }
  for (const { folder, kept } of hiddenPrograms) {
    lines.push(`mkdir -p ${quote(folder)}`);
    lines.push(`mount --bind ${quote(kept)} ${quote(folder)}`);
  }
  lines.push(`hostname ${quote(spec.hostname)}`);
  lines.push('exec "$@"');
  return lines.join('\n') + '\n';
}

/** The argv that runs `command` in the sandbox. */
export function sandboxedCommand(script: string, command: readonly string[]): string[] {
  return ['unshare', '--user', '--map-root-user', '--mount', '--uts', '--', '/bin/sh', '-c', script, 'sandbox', ...command];
}
