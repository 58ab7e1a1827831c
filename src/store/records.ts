/**
 * Container records: `<root>/containers/<id>/container.json`, versioned and
 * written atomically. The daemon is the only writer.
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fsyncDir, writeFileAtomic, readIfExists, removeTree, HIDDEN_PREFIX } from './atomic.js'
import type { HealthConfig } from './health.js'

/** Version of the record format this build writes. */
export const RECORD_VERSION = 1

/** Lifecycle status as stored; see src/containers/state.ts for the machine. */
export type Status = 'creating' | 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'removing'

/** Docker's HostConfig.RestartPolicy, checked (src/containers/restart.ts). */
export interface RestartPolicy { Name: 'no' | 'always' | 'on-failure' | 'unless-stopped', MaximumRetryCount: number }

/**
 * A volume the container mounts, or a bind it got from VolumesFrom: inspect's
 * `Mounts` entry as Docker writes it. A volume's users are read from these,
 * never counted apart.
 */
export interface MountPointRecord {
  Type: 'volume' | 'bind'
  /** The volume's name (volumes only). */
  Name?: string
  Source: string
  Destination: string
  Driver?: string
  Mode: string
  RW: boolean
  Propagation: string
}

/** What berth keeps about one container. */
export interface ContainerRecord {
  version: number
  id: string
  name: string
  created: string
  /** The user's bundle dir; never written to. */
  bundle: string
  runtime: string
  labels: Record<string, string>
  tty: boolean
  openStdin: boolean
  /** Docker's StdinOnce (absent in records written before it existed: false). */
  stdinOnce?: boolean
  /** Initial terminal size [height, width], when asked for. */
  consoleSize?: [number, number]
  /** Image-based containers (Docker's create): the image's id and the name it was asked by. */
  image?: string
  imageName?: string
  /** The image's unpacked layer dirs, bottom first: the overlay's lowerdirs. */
  layerDirs?: string[]
  /** Under --userns-remap: the maps it runs with, as `container:host:size` ranges (comma-separated). */
  userns?: { uidMap: string, gidMap: string }
  /** Docker's Entrypoint and Cmd after merging the image's (inspect's Config shows them). */
  entrypoint?: string[] | null
  cmd?: string[] | null
  /** Docker's create body as it was asked for (inspect shows its Config and HostConfig). */
  createBody?: Record<string, unknown>
  /**
   * The networks it is on, by name, with its aliases and asked-for address, once a network connect or
   * disconnect changed them (absent: what its create body's NetworkMode and EndpointsConfig say).
   */
  networks?: Record<string, { aliases: string[], ip?: string }>
  /** Its volumes (and VolumesFrom binds); absent: none. */
  volumes?: MountPointRecord[]
  /** Docker's AutoRemove (run --rm): removed once it exits, or when its start fails. */
  autoRemove?: boolean
  /** When it is started again after it exits (absent: `no`). */
  restartPolicy?: RestartPolicy
  /** Stopped, killed or force-removed through the API since its last start: Docker's HasBeenManuallyStopped. */
  manuallyStopped?: boolean
  /** What stop sends, and how long it waits, when the request does not say. */
  stopSignal?: string
  stopTimeout?: number
  /** Docker's Config.Healthcheck, the image's merged in (absent: none); its state is in health.json (store/health.ts). */
  healthcheck?: HealthConfig
  /** From the bundle's process, for inspect and list. */
  path: string
  args: string[]
  /**
   * Inspect's Config.Env. An image container's is Docker's (the body's Env merged with the image's, as sent:
   * records written before it was are the process's env, PATH and HOSTNAME included); a bundle's is its process's.
   */
  env: string[]
  cwd: string
  hostname: string
  user: string
  status: Status
  /**
   * A created container without a run (no monitor, no runtime state): its
   * program could not be run at Docker's create, or its start failed before
   * it ever ran. The next start launches a run, as for an exited container.
   */
  unlaunched?: boolean
  pid: number
  /** /proc/<pid>/stat start time of the container init and of its monitor, to detect pid reuse. */
  pidStart: number
  monitorPid: number
  monitorStart: number
  exitCode: number
  error: string
  oomKilled: boolean
  startedAt: string
  finishedAt: string
  /** Policy restarts since the last start through the API (Docker's RestartCount). */
  restartCount: number
}

export const ZERO_TIME = '0001-01-01T00:00:00Z'

/**
 * Upgrades from each older record version, one step at a time. Version 1 is
 * the first; a new version adds `N: rec => ...` here and a table test.
 */
const MIGRATIONS: Record<number, (rec: Record<string, unknown>) => Record<string, unknown>> = {}

/** Reads a record of any version this build knows; a future version is refused with a clear reason. */
export function migrate (raw: { version?: unknown, id?: unknown }): ContainerRecord {
  let rec = raw as Record<string, unknown>
  if (typeof rec.version !== 'number' || !Number.isInteger(rec.version) || rec.version < 1) throw new Error('record has no valid version')
  if (rec.version > RECORD_VERSION) throw new Error(`record version ${rec.version} was written by a newer berthd (this one reads up to ${RECORD_VERSION})`)
  while ((rec.version as number) < RECORD_VERSION) {
    const step = MIGRATIONS[rec.version as number]
    if (step === undefined) throw new Error(`no migration from record version ${String(rec.version)}`)
    rec = { ...step(rec), version: (rec.version as number) + 1 }
  }
  return rec as unknown as ContainerRecord
}

/** The record store under one root dir. */
export class RecordStore {
  constructor (readonly dir: string) {}

  /** The container's persistent dir (record and log). */
  containerDir (id: string): string { return join(this.dir, id) }

  /**
   * Makes a container's dir. Its entry in the parent dir is synced in the
   * background: the caller awaits `synced` before it answers, and meanwhile
   * does other work (the monitor's launch) rather than wait on the disk.
   */
  async createDir (id: string): Promise<{ synced: Promise<void> }> {
    await mkdir(this.containerDir(id), { mode: 0o700 })
    const synced = fsyncDir(this.dir)
    synced.catch(() => {})
    return { synced }
  }

  async save (rec: ContainerRecord): Promise<void> {
    await writeFileAtomic(join(this.dir, rec.id, 'container.json'), JSON.stringify(rec))
  }

  /**
   * Loads every record. A record that does not parse, or carries a version
   * this build does not know, is set aside (renamed) and reported, never fatal.
   * Dirs a removal hid (hideTree) and did not get to delete are deleted.
   */
  async loadAll (onBad: (id: string, reason: string) => void, beforeRemove: (dir: string) => Promise<void> = async () => {}): Promise<ContainerRecord[]> {
    let names: string[]
    try { names = await readdir(this.dir) } catch { return [] }
    const out: ContainerRecord[] = []
    // Removals berthd died in the middle of: the rename to a dot-name removed the container; the rest goes now.
    const leftovers = names.filter(n => n.startsWith(HIDDEN_PREFIX)).map(async n => {
      await beforeRemove(join(this.dir, n)).catch(() => {})
      await rm(join(this.dir, n), { recursive: true, force: true }).catch(() => {})
    })
    await Promise.all([...leftovers, ...names.filter(n => !n.startsWith('.')).map(async id => {
      const file = join(this.dir, id, 'container.json')
      try {
        const text = await readIfExists(file)
        if (text === undefined) {
          // berthd died between making the dir and writing the first record: nothing was created yet.
          onBad(id, 'no container.json: half-made dir removed')
          await beforeRemove(join(this.dir, id))
          await removeTree(join(this.dir, id))
          return
        }
        const rec = migrate(JSON.parse(text) as { version?: unknown, id?: unknown })
        if (rec.id !== id) throw new Error(`record names container ${String(rec.id)}, not its dir`)
        out.push(rec)
      } catch (err) {
        onBad(id, (err as Error).message)
        await beforeRemove(join(this.dir, id)).catch(() => {})
        await rename(join(this.dir, id), join(this.dir, `.bad-${id}-${Date.now()}`)).catch(() => {})
      }
    })])
    return out
  }
}
