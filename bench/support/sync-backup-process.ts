// The backup side of the sync-lag bench, in a process of its own (as in production, where
// the backup is another pod): a SyncClient follows the bench's SyncServer and stamps every
// applied event with this process's wall clock. The lags stay here until the parent asks
// for them, so reporting adds nothing to what is measured. Driven over the IPC channel
// (remote-sync-backup.ts is the parent's side).
import { SyncClient } from '../../runtime/ha/sync/sync-client.ts';
import type { BackupCommand, BackupReport } from './remote-sync-backup.ts';

const wallClock = () => performance.timeOrigin + performance.now();
const send = (report: BackupReport) => process.send!(report);

let client: SyncClient | undefined;
let lags = new Float64Array(0);
let applied = 0;
let collect: { expected: number; deadline: number } | undefined;
/** CPU used since the snapshot was applied, or since the previous report. */
let cpuSince = process.cpuUsage();

function reportWhenDone(): void {
  if (!collect) return;
  if (applied < collect.expected && Date.now() < collect.deadline) {
    setTimeout(reportWhenDone, 10);
    return;
  }
  collect = undefined;
  const cpu = process.cpuUsage(cpuSince);
  send({ type: 'lags', lags: Array.from(lags.subarray(0, applied)), cpuMs: (cpu.user + cpu.system) / 1000 });
  applied = 0;
  cpuSince = process.cpuUsage();
}

process.on('message', (command: BackupCommand) => {
  switch (command.type) {
    case 'follow': {
      lags = new Float64Array(command.capacity);
      applied = 0;
      client = new SyncClient({ nodeId: command.nodeId, identity: 'bench-backup', key: Buffer.from(command.keyHex, 'hex') });
      client.subscribe({
        onSnapshot: () => {
          cpuSince = process.cpuUsage();
          send({ type: 'synced' });
        },
        onEvents: (events) => {
          const now = wallClock();
          for (const event of events) if (applied < lags.length) lags[applied++] = now - event.at;
        },
      });
      client.follow(command.address);
      break;
    }
    case 'clock':
      send({ type: 'clock', now: wallClock() });
      break;
    case 'collect':
      collect = { expected: command.expected, deadline: Date.now() + command.timeoutMs };
      reportWhenDone();
      break;
    case 'stop':
      client?.stop();
      process.disconnect();
      break;
  }
});
send({ type: 'ready' });
