/**
 * Peers for `npm run bench -- --peers`: podman and containerd, each running
 * `/bin/true` on a busybox rootfs as their users would (`podman run --rm
 * --rootfs`, `ctr run --rm --rootfs`), set up the way
 * ../shared/reference/anchors-perf.md describes. The images bench times them
 * in the same rounds as berth's `docker run --rm` and raw `runc run`.
 *
 * Everything lives in the bench's temp dir: podman's root and runroot (vfs
 * storage, cgroupfs), a containerd started on its own socket and config (CRI
 * plugin off) and stopped by pid afterwards, and a private copy of the rootfs
 * (both peers write into a --rootfs tree, and the shared one stays read-only).
 * A peer that is not installed is skipped, and the run says so.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BenchError, now, ROOTFS, run, sleep, which } from './common.js'

export interface Peer {
  name: string
  /** One `/bin/true` container, created, run, waited for and removed; resolves with wall ms. */
  once: () => Promise<number>
}

export interface Peers {
  peers: Peer[]
  /** Peers that are not installed, with why. */
  missing: string[]
  /** Stops what was started (containerd); never throws. */
  stop: () => Promise<void>
}

const STOP_TIMEOUT_MS = 10_000
let seq = 0

async function timed (cmd: string, args: string[]): Promise<number> {
  const t0 = now()
  await run(cmd, args)
  return now() - t0
}

function podmanPeer (podman: string, dir: string, rootfs: string): Peer {
  const global = ['--cgroup-manager', 'cgroupfs', '--storage-driver', 'vfs', '--root', join(dir, 'podman', 'root'),
    '--runroot', join(dir, 'podman', 'run'), '--runtime', 'runc', '--events-backend', 'none']
  return {
    name: 'podman run --rm --rootfs (runc)',
    // podman's default rlimits exceed this machine's hard limits (no CAP_SYS_RESOURCE): anchors-perf.md §7.2.
    once: async () => await timed(podman, [...global, 'run', '--rm', '--network', 'none', '--log-driver', 'k8s-file',
      '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096', '--rootfs', rootfs, '/bin/true'])
  }
}

/** Starts containerd on its own config under `dir`; resolves once its socket answers `ctr version`. */
async function startContainerd (containerd: string, ctr: string, dir: string): Promise<{ proc: ChildProcess, address: string }> {
  const base = join(dir, 'containerd')
  await mkdir(base, { recursive: true })
  const address = join(base, 'c.sock')
  await writeFile(join(base, 'config.toml'), [
    'version = 2', `root = "${base}/root"`, `state = "${base}/state"`, 'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]', `  address = "${address}"`, '[ttrpc]', `  address = "${address}.ttrpc"`, '[debug]', '  level = "warn"', ''
  ].join('\n'))
  const proc = spawn(containerd, ['--config', join(base, 'config.toml')], { stdio: 'ignore', detached: true })
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new BenchError(`containerd exited at start (${proc.exitCode})`)
    try { await run(ctr, ['--address', address, 'version']); return { proc, address } } catch {}
    await sleep(100)
  }
  proc.kill('SIGKILL')
  throw new BenchError('containerd did not answer on its socket within 10 s')
}

async function stopProcess (proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const gone = new Promise<void>(resolve => proc.once('exit', () => resolve()))
  proc.kill('SIGTERM')
  const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await gone
  clearTimeout(timer)
}

/** Sets up every installed peer under `dir`. */
export async function setUpPeers (dir: string): Promise<Peers> {
  const missing: string[] = []
  const peers: Peer[] = []
  const rootfs = join(dir, 'peer-rootfs')
  await run('cp', ['-a', ROOTFS, rootfs])
  const stops: Array<() => Promise<void>> = []

  const podman = which('podman')
  if (podman === undefined) missing.push('podman is not installed (apt-get install podman)')
  else peers.push(podmanPeer(podman, dir, rootfs))

  const containerd = which('containerd')
  const ctr = which('ctr')
  if (containerd === undefined || ctr === undefined) missing.push('containerd is not installed (apt-get install containerd)')
  else {
    const c = await startContainerd(containerd, ctr, dir)
    stops.push(async () => await stopProcess(c.proc))
    peers.push({
      name: 'ctr run --rm --rootfs (containerd, shim-runc-v2, runc)',
      once: async () => await timed(ctr, ['--address', c.address, 'run', '--rm', '--rootfs', rootfs, `bm-ctr-${++seq}`, '/bin/true'])
    })
  }
  if (!existsSync(join(rootfs, 'bin', 'true'))) throw new BenchError(`could not copy the rootfs to ${rootfs}`)
  return {
    peers, missing,
    stop: async () => { for (const s of stops) await s().catch(() => {}) }
  }
}
