/** Small /proc helpers: liveness and pid-reuse checks (Node has no pidfd). */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs'

/** One buffer for every read: a stat line is well under 1 KiB (comm is at most 64 bytes). */
const statBuf = Buffer.allocUnsafe(4096)

/**
 * The state (field 3) and start time (field 22) of /proc/<pid>/stat, or
 * undefined if the process is gone. The liveness sweep calls this for every
 * monitor every 2 s, so it reads into one buffer and picks the two fields
 * out by position rather than splitting the line into 50 strings: with 500
 * containers that halved the sweep's CPU and its garbage.
 */
function statOf (pid: number): { state: string, start: number } | undefined {
  if (!(pid > 0)) return undefined
  let n: number
  try {
    const fd = openSync(`/proc/${pid}/stat`, 'r')
    try { n = readSync(fd, statBuf, 0, statBuf.length, 0) } finally { closeSync(fd) }
  } catch {
    return undefined
  }
  // comm (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  let i = statBuf.lastIndexOf(0x29, n - 1) + 2
  if (i < 2 || i >= n) return undefined
  const state = String.fromCharCode(statBuf[i]!)
  // Field 3 is at i; skip to field 22 (19 spaces on).
  for (let field = 3; field < 22 && i >= 0 && i < n; field++) i = statBuf.indexOf(0x20, i) + 1
  if (i <= 0 || i >= n) return { state, start: 0 }
  let start = 0
  for (; i < n && statBuf[i]! >= 0x30 && statBuf[i]! <= 0x39; i++) start = start * 10 + statBuf[i]! - 0x30
  return { state, start }
}

/** Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22), or 0 if it is gone. */
export function startTime (pid: number): number {
  return statOf(pid)?.start ?? 0
}

/** True when `pid` is alive and, if `start` is non-zero, is still the same process. Zombies count as gone. */
export function isAlive (pid: number, start = 0): boolean {
  const f = statOf(pid)
  if (f === undefined || f.state === 'Z' || f.state === 'X') return false
  return start === 0 || f.start === start
}

/** This process's capability bounding set (/proc/self/status CapBnd), as a bit mask. */
export function boundingSet (): bigint {
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return m !== null ? BigInt(`0x${m[1]!}`) : 0n
  } catch {
    return 0n
  }
}
