/** Small /proc helpers: liveness and pid-reuse checks (Node has no pidfd). */
import { readFileSync } from 'node:fs'

/** Fields of /proc/<pid>/stat from field 3 (state) on, or undefined if the process is gone. */
function statFields (pid: number): string[] | undefined {
  if (!(pid > 0)) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // comm (field 2) may hold spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22), or 0 if it is gone. */
export function startTime (pid: number): number {
  return Number(statFields(pid)?.[19] ?? 0)
}

/** True when `pid` is alive and, if `start` is non-zero, is still the same process. Zombies count as gone. */
export function isAlive (pid: number, start = 0): boolean {
  const f = statFields(pid)
  if (f === undefined || f[0] === 'Z' || f[0] === 'X') return false
  return start === 0 || Number(f[19]) === start
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
