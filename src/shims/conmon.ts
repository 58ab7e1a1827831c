/**
 * The shim manager's monitor: one conmon per container. berthd is to conmon
 * what podman is to it: it makes a control FIFO, hands its write end to conmon
 * as the sync fd (_OCI_SYNCPIPE), and waits for one JSON line that reports
 * the container's pid or the runtime's failure, racing the monitor's death
 * (EOF on the FIFO) and a timeout. conmon then owns the container: it reaps
 * it, writes its log and, atomically, its exit file.
 */
import { openSync, closeSync, constants as fsc, readFileSync, statSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { Socket } from 'node:net'
import { join } from 'node:path'
import { invalid, runtimeFailed } from '../errors.js'
import { globalArgs, isProgramFault, runtimeMessage, SAFE_PATH, type RuntimeOptions } from '../runtime/runtime.js'
import { startTime, isAlive } from '../proc.js'
import { fail, libc } from '../sys/libc.js'
import { statePaths } from '../store/layout.js'
import { spawnChild } from '../sys/spawn.js'

/** Everything needed to launch one monitor. */
export interface MonitorSpec {
  id: string
  name: string
  conmon: string
  runtime: RuntimeOptions
  /** Per-container state dir: control FIFO, pid files, conmon's stderr. */
  stateDir: string
  /** Our private copy of the bundle (conmon makes ctl/attach in it). */
  bundleDir: string
  exitDir: string
  socketDir: string
  logPath: string
  /** conmon's own cap: past it, the log is replaced by an empty file. Undefined for a log berthd rotates (see logrotate.ts). */
  logSizeMax: number | undefined
  tty: boolean
  openStdin: boolean
  /** Docker's StdinOnce: stdin closes when the first attached client's stdin ends. */
  stdinOnce: boolean
  timeoutMs: number
}

/** The processes a successful create leaves behind. */
export interface MonitorInfo { pid: number, pidStart: number, monitorPid: number, monitorStart: number }

/** conmon's argv for creating a container (pure). */
export function conmonArgs (s: Omit<MonitorSpec, 'conmon' | 'timeoutMs'>): string[] {
  const p = statePaths(s.stateDir)
  const args = [
    '--api-version', '1', '-c', s.id, '-u', s.id, '-n', s.name,
    '-r', s.runtime.path, '-b', s.bundleDir, '-p', p.ctrPid, '-P', p.conmonPid,
    '-l', `k8s-file:${s.logPath}`,
    ...(s.logSizeMax !== undefined ? ['--log-size-max', String(s.logSizeMax)] : []),
    '--exit-dir', s.exitDir, '--socket-dir-path', s.socketDir, '--log-level', 'warning'
  ]
  if (s.tty) args.push('-t')
  if (s.openStdin) args.push('-i')
  if (s.openStdin && !s.stdinOnce) args.push('--leave-stdin-open')
  for (const a of globalArgs(s.runtime)) args.push('--runtime-arg', a)
  return args
}

/** Parses conmon's sync message `{"data": n, "message"?: s}`. */
export function parseSyncLine (line: string): { data: number, message?: string } {
  const m = JSON.parse(line) as { data?: unknown, message?: unknown }
  if (typeof m.data !== 'number') throw new Error(`unexpected message from conmon: ${line}`)
  return typeof m.message === 'string' ? { data: m.data, message: m.message } : { data: m.data }
}

/** Reads the first line written to the FIFO, or rejects on EOF (monitor died) or timeout. */
function readSyncLine (fd: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = new Socket({ fd, readable: true, writable: false })
    let buf = ''
    const done = (err: Error | undefined, line?: string): void => {
      clearTimeout(timer)
      sock.removeAllListeners()
      sock.on('error', () => {})
      sock.destroy()
      if (err !== undefined) reject(err); else resolve(line!)
    }
    const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs / 1000}s waiting for the monitor`)), timeoutMs)
    sock.setEncoding('utf8')
    sock.on('data', (chunk: string) => {
      buf += chunk
      const nl = buf.indexOf('\n')
      if (nl >= 0) done(undefined, buf.slice(0, nl))
    })
    sock.on('end', () => done(buf.trim() !== '' ? undefined : new Error('the monitor exited without reporting'), buf.trim()))
    sock.on('error', err => done(err))
  })
}

const readPid = (path: string): number => {
  try { return Number.parseInt(readFileSync(path, 'utf8').trim(), 10) || 0 } catch { return 0 }
}

/**
 * Launches conmon for `spec` and waits for the create handshake. The state,
 * exit and socket dirs must exist. On failure, rejects with the runtime's
 * own words; the caller undoes what create made (see killMonitor).
 */
export async function createContainer (spec: MonitorSpec): Promise<MonitorInfo> {
  const p = statePaths(spec.stateDir)
  // mkfifo(3) itself: Node has none, and an exec of coreutils' mkfifo cost several milliseconds a create.
  if (libc().mkfifo(p.control, 0o600) !== 0) throw fail('mkfifo', p.control)
  const rfd = openSync(p.control, fsc.O_RDONLY | fsc.O_NONBLOCK)
  let wfd = -1; let efd = -1
  try {
    // A reader exists, so opening the write end does not block.
    wfd = openSync(p.control, fsc.O_WRONLY)
    efd = openSync(p.conmonLog, 'a')
    // posix_spawn, not fork: a fork of berthd costs ~8 ms of its event loop (src/sys/spawn.ts).
    // conmon double-forks: this first process exits at once, and its exit is not the container's.
    spawnChild(spec.conmon, conmonArgs(spec), {
      setsid: true, stdio: ['ignore', 'ignore', efd, wfd],
      env: { _OCI_SYNCPIPE: '3', PATH: SAFE_PATH }
    })
  } catch (err) {
    closeSync(rfd)
    throw err
  } finally {
    if (wfd >= 0) closeSync(wfd)
    if (efd >= 0) closeSync(efd)
  }
  let text: string
  try {
    text = await readSyncLine(rfd, spec.timeoutMs)
  } catch (err) {
    killMonitor(await monitorFromPidFile(spec.stateDir, spec.id))
    throw runtimeFailed(`${spec.runtime.name} create failed: ${(err as Error).message}${await explain(spec)}`, err)
  }
  const msg = parseSyncLine(text)
  if (msg.data <= 0) {
    killMonitor(await monitorFromPidFile(spec.stateDir, spec.id))
    const text = runtimeMessage(msg.message ?? '') || `${spec.runtime.name} create failed`
    throw isProgramFault(text) ? invalid(text) : runtimeFailed(text)
  }
  const monitorPid = readPid(p.conmonPid)
  return { pid: msg.data, pidStart: startTime(msg.data), monitorPid, monitorStart: startTime(monitorPid) }
}

/** conmon's own complaint, if it left one, and which dirs it needed. */
async function explain (spec: MonitorSpec): Promise<string> {
  const log = (await readFile(statePaths(spec.stateDir).conmonLog, 'utf8').catch(() => '')).trim().split('\n').at(-1) ?? ''
  const missing = [spec.exitDir, spec.socketDir, spec.bundleDir].filter(d => { try { return !statSync(d).isDirectory() } catch { return true } })
  return (log !== '' ? `: ${log}` : '') + (missing.length > 0 ? ` (missing: ${missing.join(', ')})` : '')
}

/**
 * The monitor's pid from its pid file, when that pid is still a conmon for
 * container `id` (its command line names the id), else 0: a pid file can
 * outlive its process, and the pid be reused.
 */
export async function monitorFromPidFile (stateDir: string, id: string): Promise<number> {
  const pid = readPid(statePaths(stateDir).conmonPid)
  if (pid <= 0) return 0
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
  return cmdline.split('\0').includes(id) ? pid : 0
}

/** SIGKILLs a monitor we started, by pid, if it is still the same process. */
export function killMonitor (pid: number, start = 0): void {
  if (isAlive(pid, start)) {
    try { process.kill(pid, 'SIGKILL') } catch {}
  }
}

/** What conmon wrote for a finished container: its code, and when. */
export interface ExitFile { code: number, at: Date }

/** Reads `<exitDir>/<id>`, or undefined if the container has not exited. */
export async function readExitFile (exitDir: string, id: string): Promise<ExitFile | undefined> {
  const path = join(exitDir, id)
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)])
    const code = Number.parseInt(text.trim(), 10)
    return { code: Number.isNaN(code) ? 255 : code, at: st.mtime }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** True when conmon recorded an OOM kill for the container (it drops an `oom` file in the bundle). */
export const wasOomKilled = (bundleDir: string): boolean => {
  try { statSync(join(bundleDir, 'oom')); return true } catch { return false }
}

/** Everything needed to run one exec under its own monitor (conmon's exec mode). */
export interface ExecSpec {
  containerId: string
  execId: string
  conmon: string
  runtime: RuntimeOptions
  /** The exec's own dir: process.json, pid files, and the monitor's ctl FIFO and attach socket. */
  dir: string
  socketDir: string
  tty: boolean
  stdin: boolean
  /** Hold the process until release(), so that an attach client misses no output. */
  attach: boolean
}

/** Paths inside an exec's dir. */
export const execPaths = (dir: string) => ({
  process: join(dir, 'process.json'),
  pid: join(dir, 'pid'),
  conmonPid: join(dir, 'conmon.pid'),
  conmonLog: join(dir, 'conmon.log'),
  /** The exec's output as conmon logs it (k8s-file); conmon sends attach clients only what it logged. */
  log: join(dir, 'exec.log'),
  exit: join(dir, 'exit')
})

/** conmon's argv for an exec (pure). */
export function execArgs (s: Omit<ExecSpec, 'conmon'>): string[] {
  const p = execPaths(s.dir)
  const args = [
    '--api-version', '1', '-c', s.containerId, '-u', s.execId, '-n', s.execId,
    '-r', s.runtime.path, '-b', s.dir, '-p', p.pid, '-P', p.conmonPid,
    '-l', s.attach ? `k8s-file:${p.log}` : 'none', '--persist-dir', s.dir, '--socket-dir-path', s.socketDir, '--log-level', 'warning',
    '-e', '--exec-process-spec', p.process
  ]
  if (s.attach) args.push('--exec-attach')
  if (s.tty) args.push('-t')
  if (s.stdin) args.push('-i')
  for (const a of globalArgs(s.runtime)) args.push('--runtime-arg', a)
  return args
}

/** A running exec's monitor, as the daemon sees it. */
export interface ExecMonitor {
  /** The monitor's attach socket is listening (attached execs only). */
  attachReady: Promise<void>
  /** Lets an attached exec's process start. */
  release: () => void
  /** The process's pid once the runtime started it; rejects with the runtime's words if it could not. */
  pid: Promise<number>
  /** The exit code (128+n for signal n); -1 when the monitor vanished without one. */
  exit: Promise<number>
}

/**
 * Launches conmon in exec mode. Its sync pipe carries two messages, the pid
 * and later the exit code; for an attached exec a third pipe says when the
 * attach socket listens, and a start pipe holds the process until release().
 */
export function launchExec (spec: ExecSpec): ExecMonitor {
  const p = execPaths(spec.dir)
  const efd = openSync(p.conmonLog, 'a')
  const env: Record<string, string> = { _OCI_SYNCPIPE: '3', PATH: SAFE_PATH }
  if (spec.attach) Object.assign(env, { _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' })
  let child
  try {
    // posix_spawn, as for create (src/sys/spawn.ts); 'pipe' fds are socketpairs, so the start pipe takes our writes.
    child = spawnChild(spec.conmon, execArgs(spec), {
      setsid: true, env,
      stdio: spec.attach ? ['ignore', 'ignore', efd, 'pipe', 'pipe', 'pipe'] : ['ignore', 'ignore', efd, 'pipe']
    })
  } finally {
    closeSync(efd)
  }
  const [sync, start, attachPipe] = [3, 4, 5].map(fd => child.pipes.get(fd))
  // A monitor that dies before reading makes our write fail (EPIPE); the sync pipe reports that death.
  start?.on('error', () => {})
  // conmon reads the start pipe twice: once before it forks, and (attached) once more before the runtime runs.
  start?.write('1')
  const messages = lineReader(sync!)
  const pid = messages.next().then(async line => {
    if (line === undefined) throw runtimeFailed(`exec failed: the monitor exited without reporting${await lastLine(p.conmonLog)}`)
    const msg = parseSyncLine(line)
    if (msg.data <= 0) throw runtimeFailed(runtimeMessage(msg.message ?? '') || 'exec failed')
    return msg.data
  })
  const exit = pid.then(async () => {
    const line = await messages.next()
    if (line !== undefined) return parseSyncLine(line).data
    // The monitor writes the code to its persist dir before the sync pipe; the pipe may be gone.
    const text = await readFile(p.exit, 'utf8').catch(() => '')
    const code = Number.parseInt(text.trim(), 10)
    return Number.isNaN(code) ? -1 : code
  }, () => -1)
  const attachReady = attachPipe === undefined
    ? Promise.resolve()
    : lineReader(attachPipe).next().then(line => { if (line === undefined) throw runtimeFailed('exec failed: the monitor exited before its attach socket was ready') })
  attachReady.catch(() => {})
  pid.catch(() => {})
  return {
    attachReady,
    release: () => { start?.end('1') },
    pid,
    exit
  }
}

/** Reads newline-terminated lines from a stream; next() gives undefined at EOF. */
function lineReader (s: Socket): { next: () => Promise<string | undefined> } {
  let buf = ''
  let ended = false
  const waiting: Array<() => void> = []
  s.setEncoding('utf8')
  s.on('data', (chunk: string) => { buf += chunk; waiting.splice(0).forEach(w => w()) })
  s.on('end', () => { ended = true; waiting.splice(0).forEach(w => w()) })
  s.on('error', () => { ended = true; waiting.splice(0).forEach(w => w()) })
  const next = async (): Promise<string | undefined> => {
    for (;;) {
      const nl = buf.indexOf('\n')
      if (nl >= 0) { const line = buf.slice(0, nl); buf = buf.slice(nl + 1); return line }
      if (ended) return undefined
      await new Promise<void>(resolve => waiting.push(resolve))
    }
  }
  return { next }
}

const lastLine = async (path: string): Promise<string> => {
  const line = (await readFile(path, 'utf8').catch(() => '')).trim().split('\n').at(-1) ?? ''
  return line !== '' ? `: ${line}` : ''
}
