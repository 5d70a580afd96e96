// The decisions the planners return and the controller carries out. Each is one API
// call (or a wait), so a reconcile pass does a little and re-observes.
export type Action =
  | { type: 'delete-pod'; node: number; pod: string; reason: 'ReplaceBackup' | 'ReplaceUnservedPod' }
  | { type: 'request-switchover'; node: number; primary: string; reason: 'Rollout' | 'Drain' | 'Manual' }
  | { type: 'clear-step-down'; node: number }
  /** requested: a drain asked for with the drained-nodes annotation (the node stays), not a scale-down. */
  | { type: 'start-drain'; node: number; requested?: true }
  | { type: 'cancel-drain'; node: number }
  | { type: 'delete-node'; node: number; reason: 'Drained' | 'DrainTimeout' | 'NoPrimary' }
  | { type: 'wait'; node: number; reason: WaitReason; message: string };

export type WaitReason =
  | 'PodsStarting'
  | 'NoPrimary'
  | 'StatefulSetUpdating'
  | 'PrimaryNotReady'
  | 'BackupNotSynced'
  | 'SwitchoverPending'
  | 'Draining'
  | 'OtherNodeRollingOut';
