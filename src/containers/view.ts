/**
 * Docker's shapes for a container record: the `GET /containers/json` summary
 * and the `GET /containers/{id}/json` inspect document. Pure functions.
 */
import type { ContainerRecord } from '../store/records.js'
import { dockerStatus, isRunning } from './state.js'

/** Docker's go-units HumanDuration. */
export function humanDuration (ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 1) return 'Less than a second'
  if (s === 1) return '1 second'
  if (s < 60) return `${s} seconds`
  const m = Math.floor(s / 60)
  if (m === 1) return 'About a minute'
  if (m < 60) return `${m} minutes`
  const h = Math.round(m / 60)
  if (h === 1) return 'About an hour'
  if (h < 48) return `${h} hours`
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`
  return `${Math.floor(h / 24 / 365)} years`
}

/** The human `Status` column of `docker ps`. */
export function statusText (rec: ContainerRecord, now: number): string {
  switch (rec.status) {
    case 'running': return `Up ${humanDuration(now - Date.parse(rec.startedAt))}`
    case 'paused': return `Up ${humanDuration(now - Date.parse(rec.startedAt))} (Paused)`
    case 'exited': return rec.startedAt.startsWith('0001') && rec.error === '' ? 'Created' : `Exited (${rec.exitCode}) ${humanDuration(now - Date.parse(rec.finishedAt))} ago`
    case 'removing': return 'Removal In Progress'
    default: return 'Created'
  }
}

const command = (rec: ContainerRecord): string => [rec.path, ...rec.args].map(a => /\s/.test(a) ? JSON.stringify(a) : a).join(' ')

/** One element of `GET /containers/json`. */
export function summary (rec: ContainerRecord, now: number) {
  return {
    Id: rec.id,
    Names: [`/${rec.name}`],
    Image: '',
    ImageID: '',
    Command: command(rec),
    Created: Math.floor(Date.parse(rec.created) / 1000),
    State: dockerStatus(rec.status),
    Status: statusText(rec, now),
    Ports: [] as unknown[],
    Labels: rec.labels,
    HostConfig: { NetworkMode: 'none' },
    NetworkSettings: { Networks: {} },
    Mounts: [] as unknown[]
  }
}

/** `GET /containers/{id}/json`: Docker's inspect document. Clients crash without Config and HostConfig. */
export function inspect (rec: ContainerRecord, logPath: string, execIds: string[] = []) {
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.path,
    Args: rec.args,
    State: {
      Status: dockerStatus(rec.status),
      Running: isRunning(rec.status),
      Paused: rec.status === 'paused',
      Restarting: false,
      OOMKilled: rec.oomKilled,
      Dead: false,
      Pid: isRunning(rec.status) ? rec.pid : 0,
      ExitCode: rec.exitCode,
      Error: rec.error,
      StartedAt: rec.startedAt,
      FinishedAt: rec.finishedAt
    },
    Image: '',
    Name: `/${rec.name}`,
    RestartCount: rec.restartCount,
    Driver: '',
    Platform: 'linux',
    LogPath: logPath,
    ExecIDs: execIds.length > 0 ? execIds : null,
    Bundle: rec.bundle,
    Config: {
      Hostname: rec.hostname,
      Domainname: '',
      User: rec.user,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: rec.tty,
      OpenStdin: rec.openStdin,
      StdinOnce: rec.stdinOnce ?? false,
      Env: rec.env,
      Cmd: [rec.path, ...rec.args],
      Image: '',
      WorkingDir: rec.cwd,
      Entrypoint: null,
      Labels: rec.labels
    },
    HostConfig: {
      // The logs API reads back what the monitor wrote, as Docker's json-file driver does.
      LogConfig: { Type: 'json-file', Config: {} },
      NetworkMode: 'none',
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      AutoRemove: false,
      Runtime: rec.runtime
    },
    GraphDriver: { Name: 'bundle', Data: null },
    Mounts: [] as unknown[],
    NetworkSettings: { Networks: {}, Ports: {} }
  }
}
