/**
 * Exec instances, Docker's model: created with a command, started once,
 * inspected for their exit code. Each start runs under its own conmon in exec
 * mode, so a monitor, not berthd, captures the exit code. Records live in
 * memory (Docker's do too) and go with their container; an exec's files live
 * in the container's state dir and go when the exec has ended and been read.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { conflict, invalid, noSuchExec, runtimeFailed } from '../errors.js'
import { checkNoNul, checkPathLength } from './cstrings.js'
import { frame, logStream } from '../logs/logs.js'
import { attach, resizeTerminal, type AttachConnection } from '../shims/attach.js'
import { execPaths, launchExec } from '../shims/conmon.js'
import { isProgramFault, type RuntimeOptions } from '../runtime/runtime.js'
import { newId } from './names.js'
import { boundingSet } from '../proc.js'
import { resolveUserIn, type ProcessUser } from './users.js'

/** What a client asks an exec to run (Docker's exec create body). */
export interface ExecConfig {
  cmd: string[]
  env: string[]
  workingDir: string
  user: string
  tty: boolean
  attachStdin: boolean
  attachStdout: boolean
  attachStderr: boolean
  privileged: boolean
  detachKeys: string
  consoleSize?: [number, number]
}

/** One exec instance. */
export interface ExecRecord {
  id: string
  containerId: string
  config: ExecConfig
  started: boolean
  running: boolean
  /** null until the process has ended. */
  exitCode: number | null
  pid: number
  /** The user, resolved in the container when the exec was created. */
  processUser?: ProcessUser
}

/** A started, attached exec: its output (framed, or raw bytes) ends only after the exit code is recorded. */
export interface ExecSession {
  /** The process has a terminal (detach keys apply). */
  tty: boolean
  /** The stream is raw bytes, not frames: what the start request's Tty asked for, as Docker decides it. */
  raw: boolean
  output: Readable
  /** The process's stdin, when it was asked for and the process started. */
  stdin?: AttachConnection
}

/** The OCI process fields berth reads from the container's spec. */
export interface OciProcess {
  args?: string[]
  env?: string[]
  cwd?: string
  terminal?: boolean
  user?: { uid?: number, gid?: number, additionalGids?: number[] }
  capabilities?: Record<string, string[]>
  consoleSize?: { height: number, width: number }
  [k: string]: unknown
}

/** Every capability Linux 6.x knows, in bit order. */
export const KNOWN_CAPS = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE'
].map(c => `CAP_${c}`)

/**
 * What "every capability" means here (privileged, CapAdd ALL): those in
 * berthd's own bounding set, since a runtime cannot grant a container more.
 */
export const ALL_CAPS = KNOWN_CAPS.filter((_, bit) => ((boundingSet() >> BigInt(bit)) & 1n) === 1n)

/**
 * Docker's env merge (pure): a `KEY=VALUE` of `over` replaces the base entry
 * with that key where it stands, or is appended; a bare `KEY` unsets it.
 */
export function mergeEnv (base: string[], over: string[]): string[] {
  const key = (e: string): string => e.split('=', 1)[0]!
  const out = [...base]
  for (const e of over) {
    const i = out.findIndex(b => key(b) === key(e))
    if (!e.includes('=')) { if (i >= 0) out.splice(i, 1); continue }
    if (i >= 0) out[i] = e; else out.push(e)
  }
  return out
}

/** The exec's OCI process: the container's process with the exec's command and overrides (pure). */
export function execProcess (base: OciProcess, cfg: ExecConfig, user: ProcessUser | undefined): OciProcess {
  const p: OciProcess = {
    ...base,
    args: cfg.cmd,
    env: mergeEnv(base.env ?? [], cfg.env),
    cwd: cfg.workingDir !== '' ? cfg.workingDir : (base.cwd ?? '/'),
    terminal: cfg.tty
  }
  if (user !== undefined) p.user = user
  if (cfg.privileged) p.capabilities = { bounding: ALL_CAPS, effective: ALL_CAPS, permitted: ALL_CAPS }
  if (cfg.tty && cfg.consoleSize !== undefined) p.consoleSize = { height: cfg.consoleSize[0], width: cfg.consoleSize[1] }
  else delete p.consoleSize
  return p
}

/** Checks an exec create body (pure): Docker's messages for Docker's mistakes. */
export function checkExecConfig (cfg: ExecConfig): void {
  if (cfg.cmd.length === 0 || cfg.cmd[0] === '') throw invalid('No exec command specified')
  checkNoNul({ Cmd: cfg.cmd, Env: cfg.env, WorkingDir: cfg.workingDir, User: cfg.user })
  checkPathLength('the command\'s executable', cfg.cmd[0]!)
  checkPathLength('the working directory', cfg.workingDir)
  if (cfg.workingDir !== '' && !cfg.workingDir.startsWith('/')) throw invalid(`the working directory '${cfg.workingDir}' is invalid, it needs to be an absolute path`)
  for (const e of cfg.env) if (e.startsWith('=')) throw invalid(`invalid environment variable: ${JSON.stringify(e)}`)
}

/**
 * Docker's exit code and message for an exec the runtime could not start: moby's exec start sets 126 for any
 * failure to start (daemon/exec.go), a missing binary included; 127 is only `docker run`'s.
 */
export function startFailure (message: string): { code: number, text: string } {
  return { code: 126, text: `OCI runtime exec failed: ${message}: unknown` }
}

/** The container facts an exec start needs. */
export interface ExecTarget {
  id: string
  stateDir: string
  runtime: RuntimeOptions
}

/** All exec instances of one berthd. */
export class Execs {
  private readonly byId = new Map<string, ExecRecord>()

  /** `onEnd` hears of every started exec's end, once its exit code is recorded. */
  constructor (private readonly conmon: string, private readonly socketDir: string, private readonly onEnd: (rec: ExecRecord) => void = () => {}) {}

  /** Records an exec for the container whose state dir is `stateDir`; a bad command or user is refused here. */
  async create (containerId: string, stateDir: string, config: ExecConfig): Promise<ExecRecord> {
    checkExecConfig(config)
    const spec = await readSpec(stateDir)
    const processUser = config.user !== '' ? await resolveUserIn(spec.root?.path ?? '/nonexistent', config.user) : undefined
    const rec: ExecRecord = { id: newId(), containerId, config, started: false, running: false, exitCode: null, pid: 0, ...(processUser !== undefined ? { processUser } : {}) }
    this.byId.set(rec.id, rec)
    return rec
  }

  get (id: string): ExecRecord {
    const rec = this.byId.get(id)
    if (rec === undefined) throw noSuchExec(id)
    return rec
  }

  /** Exec ids of a container, oldest first. */
  ofContainer (containerId: string): string[] {
    return [...this.byId.values()].filter(e => e.containerId === containerId).map(e => e.id)
  }

  /** Forgets one exec (a health probe's, once it has ended). */
  drop (id: string): void { this.byId.delete(id) }

  /** Forgets a removed container's execs. */
  dropContainer (containerId: string): void {
    for (const id of this.ofContainer(containerId)) this.byId.delete(id)
  }

  private dir (target: ExecTarget, execId: string): string { return join(target.stateDir, 'exec', execId) }

  /**
   * Starts exec `rec` in the running container `target`. `o.opened` is
   * called once the exec is claimed, before anything is launched: there the
   * API writes its response head, as Docker does, so that a client that reads
   * from the head on misses none of the output. Detached: resolves once the
   * process runs, or rejects with why it could not. Attached: resolves with
   * its output and stdin, and never rejects after `opened` (a failure to
   * start is the output, as Docker sends it); the output ends after the exit
   * code is recorded.
   */
  async start (rec: ExecRecord, target: ExecTarget, o: { detach: boolean, raw?: boolean, opened?: () => void }): Promise<ExecSession | undefined> {
    if (rec.started) throw conflict(`exec ${rec.id} has already been started`)
    rec.started = true
    rec.running = true
    const { detach, raw = rec.config.tty } = o
    o.opened?.()
    const cfg = rec.config
    const dir = this.dir(target, rec.id)
    const finished = (code: number): void => { rec.exitCode = code; rec.running = false; this.onEnd(rec) }
    const failed = (text: string): ExecSession => ({ tty: cfg.tty, raw, output: failureStream(text, raw) })
    let monitor: ReturnType<typeof launchExec>
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const spec = await readSpec(target.stateDir)
      await writeFile(execPaths(dir).process, JSON.stringify(execProcess(spec.process ?? {}, cfg, rec.processUser)))
      monitor = launchExec({
        containerId: target.id, execId: rec.id, conmon: this.conmon, runtime: target.runtime, dir,
        socketDir: this.socketDir, tty: cfg.tty, stdin: cfg.attachStdin && !detach, attach: !detach
      })
    } catch (err) {
      finished(126)
      await this.cleanup(dir, rec.id)
      if (detach) throw err
      return failed((err as Error).message)
    }
    let stdin: AttachConnection | undefined
    if (!detach) {
      await monitor.attachReady.catch(() => {})
      // Output comes from the exec's log (conmon may accept this connection only after a quick
      // process has ended); the connection carries stdin, and what conmon sends on it is dropped.
      try { stdin = attach(this.socketDir, rec.id) } catch {}
      monitor.release()
    }
    let failure: string | undefined
    try {
      rec.pid = await monitor.pid
    } catch (err) {
      const f = startFailure((err as Error).message)
      failure = f.text
      finished(f.code)
    }
    const ended = failure !== undefined
      ? Promise.resolve()
      : monitor.exit.then(code => finished(code < 0 ? 137 : code))
    if (detach) {
      void ended.then(() => this.cleanup(dir, rec.id))
      if (failure !== undefined) throw isProgramFault(failure) ? invalid(failure) : runtimeFailed(failure)
      return undefined
    }
    const session = failure !== undefined
      ? failed(failure)
      : { tty: cfg.tty, raw, output: logStream(execPaths(dir).log, { stdout: cfg.attachStdout, stderr: cfg.attachStderr, timestamps: false, tty: raw }, { done: ended }) }
    session.output.on('close', () => { void ended.then(() => { stdin?.destroy(); return this.cleanup(dir, rec.id) }) })
    return { ...session, stdin: failure === undefined && cfg.attachStdin ? stdin : undefined }
  }

  /** Resizes a running exec's terminal. */
  async resize (rec: ExecRecord, target: ExecTarget, height: number, width: number): Promise<void> {
    if (!rec.running || !rec.config.tty) throw conflict(`exec ${rec.id} is not running with a terminal`)
    await resizeTerminal(this.dir(target, rec.id), height, width).catch(() => {
      throw conflict(`exec ${rec.id} is not running`)
    })
  }

  /** Never rejects: it runs detached from any request, where a rejection would end the daemon. */
  private async cleanup (dir: string, execId: string): Promise<void> {
    // The link is conmon's; when conmon could not make it, what is in its place may not be removable (ENOTDIR).
    await rm(join(this.socketDir, execId), { force: true }).catch(() => {})
    await rm(dir, { recursive: true, force: true }).catch(() => {})
  }
}

/** The container's OCI spec as berth wrote it (root.path absolute). */
async function readSpec (stateDir: string): Promise<{ process?: OciProcess, root?: { path?: string } }> {
  return JSON.parse(await readFile(join(stateDir, 'bundle', 'config.json'), 'utf8')) as { process?: OciProcess, root?: { path?: string } }
}

/** The runtime's refusal, as the stream Docker sends: one stdout frame, or raw text. */
function failureStream (text: string, raw: boolean): Readable {
  const payload = Buffer.from(`${text}\r\n`)
  return Readable.from([raw ? payload : frame(1, payload)], { objectMode: false })
}
