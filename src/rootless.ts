/**
 * Rootless berthd: an ordinary user's berthd, run inside rootlesskit's user,
 * mount and network namespaces with slirp4netns for the network, as moby's
 * contrib/dockerd-rootless.sh runs dockerd (same rootlesskit flags).
 *
 * Unlike dockerd-rootless.sh, the namespaces are held by a rootlesskit of
 * their own (running `sleep infinity`, like podman's pause process), and
 * berthd joins them with nsenter: containers, their monitors and their
 * rootfs mounts live in those namespaces, so they outlive a berthd restart
 * and the next berthd finds them where it left them. A berthd in a fresh
 * user namespace could not signal them nor see their mounts.
 *
 * Inside, berthd is uid 0 of a user namespace: containers share it (root
 * in a container is the user outside), and native overlay works (kernel >=
 * 5.11). On cgroup v1 an unprivileged user gets no cgroup of its own, so
 * containers run without one and every cgroup limit is refused.
 */
import { accessSync, closeSync, constants as fs, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { join } from 'node:path'
import { isAlive } from './proc.js'

/** dockerd-rootless.sh's rootlesskit flags, less --propagation=rslave: this host's / is private, which rslave cannot follow. */
export const ROOTLESSKIT_FLAGS: readonly string[] = [
  '--net=slirp4netns', '--mtu=65520', '--slirp4netns-sandbox=auto', '--slirp4netns-seccomp=auto',
  '--disable-host-loopback', '--port-driver=builtin', '--copy-up=/etc', '--copy-up=/run'
]

/** Where rootlesskit keeps its state: $XDG_RUNTIME_DIR/berthd-rootless (dockerd's is dockerd-rootless). */
export const rootlesskitDir = (runtimeDir: string): string => join(runtimeDir, 'berthd-rootless')

/** The rootlesskit holding the namespaces writes its pid here (the parent, outside them: the one to kill). */
export const holderPidFile = (runtimeDir: string): string => join(rootlesskitDir(runtimeDir), 'holder.pid')

/** True inside the namespaces: rootlesskit sets this for its child, and berthd for itself when it joins them. */
export const insideRootless = (env: NodeJS.ProcessEnv): boolean => (env.ROOTLESSKIT_STATE_DIR ?? '') !== ''

/** rootlesskit's API socket (its port driver's), inside the namespaces. */
export const rootlessPortApi = (env: NodeJS.ProcessEnv): string => join(env.ROOTLESSKIT_STATE_DIR ?? '', 'api.sock')

/** A reason the rootless mode cannot start, fit for the user. */
export class RootlessError extends Error {}

/**
 * The defaults of a rootless berthd, Docker's: socket and state under
 * $XDG_RUNTIME_DIR/berth, records under $XDG_DATA_HOME/berth
 * (~/.local/share/berth), crun as the runtime (runc 1.1 needs uid
 * mappings that a single-user namespace cannot give it).
 */
export function rootlessDefaults (env: NodeJS.ProcessEnv, uid: number): { socket: string, root: string, state: string, runtime: string } {
  if (uid === 0 && !insideRootless(env)) throw new RootlessError('--rootless is for an ordinary user; as root, run berthd without it')
  const runtimeDir = env.XDG_RUNTIME_DIR ?? ''
  if (runtimeDir === '') throw new RootlessError('--rootless needs XDG_RUNTIME_DIR: a directory of your own, as a login session\'s /run/user/$(id -u)')
  const dataHome = env.XDG_DATA_HOME ?? (env.HOME !== undefined && env.HOME !== '' ? join(env.HOME, '.local', 'share') : '')
  if (dataHome === '') throw new RootlessError('--rootless needs HOME or XDG_DATA_HOME for its records (~/.local/share/berth)')
  const state = join(runtimeDir, 'berth')
  return { socket: join(state, 'berth.sock'), root: join(dataHome, 'berth'), state, runtime: 'crun' }
}

// ------------------------------------------------------------- entering

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

function readPid (file: string): number {
  try { return Number(readFileSync(file, 'utf8').trim()) } catch { return 0 }
}

/** The pid whose namespaces berthd joins: rootlesskit's child, when the holder still runs. */
function liveChild (dir: string): number {
  const child = readPid(join(dir, 'kit', 'child_pid'))
  return isAlive(readPid(join(dir, 'holder.pid'))) && isAlive(child) ? child : 0
}

/** Starts the rootlesskit that holds the namespaces, detached; resolves with its child's pid. */
async function startHolder (runtimeDir: string, env: NodeJS.ProcessEnv): Promise<number> {
  try {
    accessSync('/dev/net/tun', fs.R_OK | fs.W_OK)
  } catch {
    throw new RootlessError('slirp4netns needs /dev/net/tun readable and writable by you: as root, chmod 0666 /dev/net/tun (the mode udev gives it on Debian)')
  }
  const dir = rootlesskitDir(runtimeDir)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  // A dead holder's state would name its dead child.
  rmSync(join(dir, 'kit'), { recursive: true, force: true })
  const log = join(dir, 'rootlesskit.log')
  const out = openSync(log, 'w')
  const kit = spawn('rootlesskit', [`--state-dir=${join(dir, 'kit')}`, ...ROOTLESSKIT_FLAGS, 'sleep', 'infinity'], {
    detached: true, stdio: ['ignore', out, out], env: { ...env }
  })
  closeSync(out)
  const failed = new Promise<never>((resolve, reject) => {
    kit.on('error', err => reject(new RootlessError(`cannot run rootlesskit (${err.message}): install it with apt-get install -y rootlesskit slirp4netns uidmap`)))
    kit.on('exit', () => reject(new RootlessError(`rootlesskit exited: ${readFileSync(log, 'utf8').trim().split('\n').slice(-3).join('; ')}`)))
  })
  failed.catch(() => {})
  kit.unref()
  writeFileSync(join(dir, 'holder.pid'), `${kit.pid ?? 0}\n`)
  for (let i = 0; i < 200; i++) {
    const child = readPid(join(dir, 'kit', 'child_pid'))
    // The child pid is written once slirp4netns is up (rootlesskit's parent writes it after the network).
    if (child > 0 && isAlive(child) && existsSync(join(dir, 'kit', 'api.sock'))) return child
    await Promise.race([sleep(50), failed])
  }
  try { process.kill(kit.pid ?? 0, 'SIGTERM') } catch {}
  throw new RootlessError(`rootlesskit did not start within 10 s; see ${log}`)
}

/**
 * Runs berthd again inside the rootless namespaces (starting their holder if
 * none runs) and returns its exit code; SIGTERM and SIGINT are passed on.
 */
export async function runRootless (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const runtimeDir = env.XDG_RUNTIME_DIR ?? ''
  const dir = rootlesskitDir(runtimeDir)
  let child = liveChild(dir)
  if (child === 0) child = await startHolder(runtimeDir, env)
  // Without --preserve-credentials nsenter becomes uid and gid 0 of the user namespace, as rootlesskit's child is.
  const inner = spawn('nsenter', [`--target=${child}`, '--user', '--mount', '--net', `--wd=${process.cwd()}`, '--', process.execPath, ...process.execArgv, ...argv], {
    stdio: 'inherit', env: { ...env, ROOTLESSKIT_STATE_DIR: join(dir, 'kit'), ROOTLESSKIT_PARENT_EUID: String(process.geteuid?.() ?? ''), ROOTLESSKIT_PARENT_EGID: String(process.getegid?.() ?? '') }
  })
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => inner.kill(sig))
  return await new Promise((resolve, reject) => {
    inner.on('error', err => reject(new RootlessError(`cannot run nsenter: ${err.message}`)))
    inner.on('exit', (code, signal) => resolve(code ?? 128 + (signal !== null ? constants.signals[signal] : 0)))
  })
}
