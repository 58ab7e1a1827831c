/**
 * Docker's shapes for a container record: the `GET /containers/json` summary
 * and the `GET /containers/{id}/json` inspect document. Pure functions.
 */
import type { Attachment } from '../networks/service.js'
import { logPolicy, type LogPolicy } from '../logs/config.js'
import type { ContainerRecord } from '../store/records.js'
import { healthText, type HealthState } from './health.js'
import { PROPAGATIONS } from './mounts.js'
import { NO_RESTART } from './restart.js'
import { dockerStatus, isRunning, isUp } from './state.js'

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

/** The human `Status` column of `docker ps`; a running container's health in brackets (moby State.String). */
export function statusText (rec: ContainerRecord, now: number, health?: HealthState): string {
  switch (rec.status) {
    case 'running': return `Up ${humanDuration(now - Date.parse(rec.startedAt))}${health !== undefined ? ` (${healthText(health)})` : ''}`
    case 'paused': return `Up ${humanDuration(now - Date.parse(rec.startedAt))} (Paused)`
    case 'restarting': return `Restarting (${rec.exitCode}) ${humanDuration(now - Date.parse(rec.finishedAt))} ago`
    case 'exited': return rec.startedAt.startsWith('0001') && rec.error === '' ? 'Created' : `Exited (${rec.exitCode}) ${humanDuration(now - Date.parse(rec.finishedAt))} ago`
    case 'removing': return 'Removal In Progress'
    default: return 'Created'
  }
}

/** The list's `Command` as moby writes it (daemon/container/view.go): an argument holding a space in single quotes, nothing escaped. */
export const command = (rec: Pick<ContainerRecord, 'path' | 'args'>): string => [rec.path, ...rec.args.map(a => a.includes(' ') ? `'${a}'` : a)].join(' ')

/** Docker's GraphDriver: the overlay's dirs for image containers, the bundle for the others (Docker's Data is always a map). */
function graphDriver (rec: ContainerRecord): { Name: string, Data: Record<string, string> } {
  if (rec.layerDirs === undefined) return { Name: 'bundle', Data: {} }
  const dir = rec.bundle.replace(/\/bundle$/, '')
  return {
    Name: 'overlay2',
    Data: {
      LowerDir: [...rec.layerDirs].reverse().join(':'), UpperDir: `${dir}/rootfs/upper`, WorkDir: `${dir}/rootfs/work`, MergedDir: `${dir}/rootfs/merged`,
      // berth: under --userns-remap, the maps (container:host:size) the shifted lower dirs and the container run with.
      ...(rec.userns !== undefined ? { UidMap: rec.userns.uidMap, GidMap: rec.userns.gidMap } : {})
    }
  }
}

/** One element of `GET /containers/json`; `net` is the run's network attachment, if it has one. */
export function summary (rec: ContainerRecord, now: number, net?: Attachment, health?: HealthState) {
  return { ...summaryHead(rec), Status: statusText(rec, now, health), ...summaryTail(rec, net) }
}

/** The summary's fields before Status; none depends on the time. */
const summaryHead = (rec: ContainerRecord) => ({
  Id: rec.id,
  Names: [`/${rec.name}`],
  Image: rec.imageName ?? '',
  ImageID: rec.image ?? '',
  Command: command(rec),
  Created: Math.floor(Date.parse(rec.created) / 1000),
  State: dockerStatus(rec.status)
})

/** The summary's fields after Status: ports and networks while the container runs, as ps shows them. */
const summaryTail = (rec: ContainerRecord, net: Attachment | undefined) => {
  const up = net !== undefined && isRunning(rec.status)
  return {
    Ports: (up ? net.ports : []).map(p => ({ IP: p.host_ip === '' ? '0.0.0.0' : p.host_ip, PrivatePort: p.container_port, PublicPort: p.host_port, Type: p.protocol })) as unknown[],
    Labels: rec.labels,
    HostConfig: { NetworkMode: networkMode(rec) },
    NetworkSettings: { Networks: up ? Object.fromEntries(Object.entries(net.endpoints).map(([name, ep]) => [name, { NetworkID: ep.networkId, IPAddress: ep.ip, IPPrefixLen: ep.prefixLen, Gateway: ep.gateway, MacAddress: ep.mac, Aliases: null }])) : {} },
    Mounts: mounts(rec)
  }
}

/** What the cached text of one summary was made from: it stays good while these are the same. */
interface SummaryText { status: string, name: string, labels: unknown, body: unknown, net: Attachment | undefined, head: string, tail: string, st?: StatusJson }

/**
 * What a Status text was made from: statusText depends on the time only
 * through the whole seconds since `since` (humanDuration's floor), so the
 * same string serves until the next second (or a field here changes).
 */
interface StatusJson { status: string, exitCode: number, error: string, health: string | undefined, since: string, sinceMs: number, secs: number, json: string }

/** One list answer: the parts it was made of, to tell when the same answer serves again. */
interface Answer { parts: string[], buf: Buffer }

/** List answers kept: a few clients asking with different filters each get theirs again. */
const ANSWERS = 4

/**
 * JSON.stringify(summary(rec, now)), kept per container: with 500 running,
 * building and serialising every summary was most of a list request's time.
 * The text around Status is cached, and Status, which changes with the
 * clock, is put between them; it too is kept until its text would change. A
 * field the cached text shows that can change after create (status, name;
 * labels and the create body are replaced whole when they change) makes it
 * be built again. Whole answers are kept too (as the bytes sent): an answer
 * whose parts are all the same strings as a kept one's is that one.
 */
export class SummaryCache {
  private readonly texts = new WeakMap<ContainerRecord, SummaryText>()
  private answers: Answer[] = []

  /** `netOf` gives a container's network attachment (a new object for each run, so it keys the cache); `healthOf` its State.Health. */
  constructor (private readonly netOf: (id: string) => Attachment | undefined = () => undefined, private readonly healthOf: (id: string) => HealthState | undefined = () => undefined) {}

  /** summary(rec, now) as JSON text. */
  json (rec: ContainerRecord, now: number): string {
    return this.parts(rec, now).join('')
  }

  /** The summaries of `recs` as JSON text, separated by commas; one join, no string per container. */
  join (recs: ContainerRecord[], now: number): string {
    return joinParts(this.allParts(recs, now))
  }

  /** JSON.stringify(recs.map(r => summary(r, now))) as bytes to send: a kept answer when nothing in it changed. */
  list (recs: ContainerRecord[], now: number): Buffer {
    const parts = this.allParts(recs, now)
    const same = this.answers.find(a => a.parts.length === parts.length && a.parts.every((p, i) => p === parts[i]))
    if (same !== undefined) return same.buf
    const buf = Buffer.from(`[${joinParts(parts)}]`)
    this.answers = [{ parts, buf }, ...this.answers.slice(0, ANSWERS - 1)]
    return buf
  }

  private allParts (recs: ContainerRecord[], now: number): string[] {
    const out: string[] = []
    for (const r of recs) {
      const [head, status, tail] = this.parts(r, now)
      out.push(head, status, tail)
    }
    return out
  }

  private parts (rec: ContainerRecord, now: number): [string, string, string] {
    let t = this.texts.get(rec)
    const net = this.netOf(rec.id)
    if (t === undefined || t.status !== rec.status || t.name !== rec.name || t.labels !== rec.labels || t.body !== rec.createBody || t.net !== net) {
      // `{...}` without its closing brace, then `,"Status":`; and `,` then the tail without its opening brace.
      const head = `${JSON.stringify(summaryHead(rec)).slice(0, -1)},"Status":`
      const tail = `,${JSON.stringify(summaryTail(rec, net)).slice(1)}`
      t = { status: rec.status, name: rec.name, labels: rec.labels, body: rec.createBody, net, head, tail }
      this.texts.set(rec, t)
    }
    return [t.head, this.statusJson(rec, now, t), t.tail]
  }

  private statusJson (rec: ContainerRecord, now: number, t: SummaryText): string {
    const health = this.healthOf(rec.id)
    const since = rec.status === 'exited' || rec.status === 'restarting' ? rec.finishedAt : rec.startedAt
    let c = t.st
    if (c === undefined || c.since !== since) c = { status: '', exitCode: 0, error: '', health: undefined, since, sinceMs: Date.parse(since), secs: NaN, json: '' }
    const secs = Math.floor((now - c.sinceMs) / 1000)
    if (c.secs !== secs || c.status !== rec.status || c.exitCode !== rec.exitCode || c.error !== rec.error || c.health !== health?.Status) {
      t.st = { ...c, status: rec.status, exitCode: rec.exitCode, error: rec.error, health: health?.Status, secs, json: JSON.stringify(statusText(rec, now, health)) }
    }
    return t.st!.json
  }
}

/** Summaries' parts (head, Status, tail for each) as the list's JSON text without its brackets. */
function joinParts (parts: string[]): string {
  const out: string[] = []
  for (let i = 0; i < parts.length; i += 3) {
    if (i > 0) out.push(',')
    out.push(parts[i]!, parts[i + 1]!, parts[i + 2]!)
  }
  return out.join('')
}

type Body = { HostConfig?: Record<string, unknown>, [k: string]: unknown }
const bodyOf = (rec: ContainerRecord): Body => (rec.createBody ?? {}) as Body

/** HostConfig.LogConfig as Docker shows it: the driver asked for (the daemon's default, json-file, when none was), its options as given. */
export function logConfig (rec: ContainerRecord): { Type: string, Config: Record<string, string> } {
  const lc = bodyOf(rec).HostConfig?.LogConfig as { Type?: string, Config?: Record<string, string> | null } | null | undefined
  return { Type: lc?.Type !== undefined && lc.Type !== '' ? lc.Type : 'json-file', Config: lc?.Config ?? {} }
}

/** How the container's log is kept (checked at create; bundle containers have the default). */
export const logPolicyOf = (rec: ContainerRecord): LogPolicy => { const c = logConfig(rec); return logPolicy(c.Type, c.Config) }

/** Docker's NetworkMode: what was asked, `default` when nothing was; bundle containers keep their spec's. */
function networkMode (rec: ContainerRecord): string {
  if (rec.createBody === undefined) return 'none'
  const m = bodyOf(rec).HostConfig?.NetworkMode
  return typeof m === 'string' && m !== '' ? m : 'default'
}

/**
 * What Docker's daemon fills into a stored HostConfig: the cgroup namespace mode it chose (createspec's
 * default, `host`), and no swappiness for the `-1` older clients send for "unset".
 */
function filledDefaults (host: Record<string, unknown>): Record<string, unknown> {
  return {
    CgroupnsMode: typeof host.CgroupnsMode === 'string' && host.CgroupnsMode !== '' ? host.CgroupnsMode : 'host',
    ...(host.MemorySwappiness === -1 ? { MemorySwappiness: null } : {})
  }
}

/** Docker's `Mounts` list: the binds, mounts and tmpfs that were asked for, then the volumes (and VolumesFrom binds) the record keeps. */
function mounts (rec: ContainerRecord): unknown[] {
  const host = bodyOf(rec).HostConfig ?? {}
  const out: unknown[] = []
  for (const b of (host.Binds as string[] | null | undefined) ?? []) {
    const [source = '', destination = '', mode = ''] = b.split(':')
    if (!source.startsWith('/') || destination === '') continue
    const propagation = mode.split(',').find(o => PROPAGATIONS.includes(o)) ?? 'rprivate'
    out.push({ Type: 'bind', Source: source, Destination: destination, Mode: mode, RW: !mode.split(',').includes('ro'), Propagation: propagation })
  }
  for (const m of (host.Mounts as Array<Record<string, any>> | null | undefined) ?? []) {
    if (m.Type === 'volume') continue
    const asked: unknown = m.BindOptions?.Propagation
    const propagation = m.Type !== 'bind' ? '' : typeof asked === 'string' && asked !== '' ? asked : 'rprivate'
    out.push({ Type: m.Type, Source: m.Source ?? '', Destination: m.Target, Mode: '', RW: m.ReadOnly !== true, Propagation: propagation })
  }
  for (const dest of Object.keys((host.Tmpfs as Record<string, string> | null | undefined) ?? {})) {
    out.push({ Type: 'tmpfs', Source: '', Destination: dest, Mode: '', RW: true, Propagation: '' })
  }
  return [...out, ...rec.volumes ?? []]
}

/** `GET /containers/{id}/json`: Docker's inspect document. Clients crash without Config and HostConfig. */
export function inspect (rec: ContainerRecord, logPath: string, execIds: string[] = [], health?: HealthState) {
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.path,
    Args: rec.args,
    State: {
      Status: dockerStatus(rec.status),
      Running: isUp(rec.status),
      Paused: rec.status === 'paused',
      Restarting: rec.status === 'restarting',
      OOMKilled: rec.oomKilled,
      Dead: false,
      Pid: isRunning(rec.status) ? rec.pid : 0,
      ExitCode: rec.exitCode,
      Error: rec.error,
      StartedAt: rec.startedAt,
      FinishedAt: rec.finishedAt,
      ...(health !== undefined ? { Health: health } : {})
    },
    Image: rec.image ?? '',
    Name: `/${rec.name}`,
    RestartCount: rec.restartCount,
    Driver: '',
    Platform: 'linux',
    // As Docker shows them on a host without SELinux and AppArmor: berth applies neither.
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    // Docker shows the file only for json-file (moby container.StartLogger).
    LogPath: ['json-file', 'k8s-file'].includes(logConfig(rec).Type) ? logPath : '',
    ExecIDs: execIds.length > 0 ? execIds : null,
    Bundle: rec.bundle,
    Config: {
      Hostname: rec.hostname,
      Domainname: '',
      User: rec.user,
      AttachStdin: bodyOf(rec).AttachStdin === true,
      AttachStdout: bodyOf(rec).AttachStdout === true,
      AttachStderr: bodyOf(rec).AttachStderr === true,
      Tty: rec.tty,
      OpenStdin: rec.openStdin,
      StdinOnce: rec.stdinOnce ?? false,
      Env: rec.env,
      Cmd: rec.cmd !== undefined ? rec.cmd : [rec.path, ...rec.args],
      Image: rec.imageName ?? '',
      WorkingDir: rec.cwd,
      Entrypoint: rec.entrypoint ?? null,
      Labels: rec.labels,
      ...(rec.healthcheck !== undefined ? { Healthcheck: rec.healthcheck } : {}),
      ...(rec.stopSignal !== undefined ? { StopSignal: rec.stopSignal } : {}),
      ...(rec.stopTimeout !== undefined ? { StopTimeout: rec.stopTimeout } : {})
    },
    HostConfig: {
      // As asked, then what berth decided: Docker's inspect shows the request's HostConfig.
      ...bodyOf(rec).HostConfig,
      ...filledDefaults(bodyOf(rec).HostConfig ?? {}),
      LogConfig: logConfig(rec),
      NetworkMode: networkMode(rec),
      RestartPolicy: rec.restartPolicy ?? NO_RESTART,
      AutoRemove: rec.autoRemove ?? false,
      Runtime: rec.runtime
    },
    GraphDriver: graphDriver(rec),
    Mounts: mounts(rec),
    NetworkSettings: { Networks: {}, Ports: {} }
  }
}

/** The die event's attributes, as moby's daemon/monitor.go gives them: the exit code, and the run's whole seconds. */
export function dieAttributes (rec: Pick<ContainerRecord, 'exitCode' | 'startedAt' | 'finishedAt'>): Record<string, string> {
  const ran = rec.startedAt.startsWith('0001') ? 0 : Date.parse(rec.finishedAt) - Date.parse(rec.startedAt)
  return { exitCode: String(rec.exitCode), execDuration: String(Number.isFinite(ran) && ran > 0 ? Math.floor(ran / 1000) : 0) }
}

/** Docker's container event: the container's labels, image and name, then `extra`. */
export function containerEvent (rec: ContainerRecord, action: string, extra: Record<string, string> = {}) {
  const image: Record<string, string> = rec.imageName !== undefined && rec.imageName !== '' ? { image: rec.imageName } : {}
  return { Type: 'container' as const, Action: action, Actor: { ID: rec.id, Attributes: { ...rec.labels, ...image, name: rec.name, ...extra } } }
}
