/**
 * Docker's `POST /containers/{id}/update` (pure): which fields berth can
 * change, how they merge into the container's HostConfig (a zero value
 * means "unchanged", as in moby's container.UpdateContainer), the
 * resources handed to `runtime update`, and the new restart policy.
 */
import { invalid } from '../errors.js'
import type { DockerHostConfig } from './createbody.js'
import { isZero } from './createbody.js'
import { resources } from './resources.js'
import type { UpdateResources } from '../runtime/runtime.js'
import { parseRestartPolicy, type AskedPolicy, type RestartPolicy } from './restart.js'

/** The fields berth applies; any other field must be zero-valued. */
export const UPDATABLE = ['Memory', 'MemorySwap', 'NanoCpus', 'CpuShares', 'CpuQuota', 'CpuPeriod', 'CpusetCpus', 'PidsLimit'] as const

export type UpdateBody = Partial<Record<typeof UPDATABLE[number], number | string | null>> & { RestartPolicy?: AskedPolicy | null } & Record<string, unknown>

const n = (v: unknown): number => typeof v === 'number' ? v : 0
const pick = <T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> =>
  Object.fromEntries(keys.filter(k => o[k] !== undefined).map(k => [k, o[k]])) as Pick<T, K>

/**
 * The container's HostConfig after the update, the resources to hand the
 * runtime, and the new restart policy if one is asked for (Docker changes it
 * only when the body names one). Throws 400s with Docker's wording for
 * conflicts, and names every unsupported field set to a non-zero value.
 */
export function applyUpdate (old: Record<string, unknown>, body: UpdateBody): { hostConfig: Record<string, unknown>, resources: UpdateResources, restartPolicy?: RestartPolicy } {
  const unsupported = Object.keys(body).filter(k => !(UPDATABLE as readonly string[]).includes(k) && k !== 'RestartPolicy' && !isZero(body[k]))
  if (unsupported.length > 0) throw invalid(`berth cannot update ${unsupported.join(', ')}: only ${UPDATABLE.join(', ')} and RestartPolicy can be changed`)
  const restartPolicy = isZero(body.RestartPolicy?.Name) ? undefined : parseRestartPolicy(body.RestartPolicy)
  if (restartPolicy !== undefined && restartPolicy.Name !== 'no' && old.AutoRemove === true) {
    throw invalid('Restart policy cannot be updated because AutoRemove is enabled for the container')
  }
  const conflicting = (what: string): never => { throw invalid(`Conflicting options: ${what}`) }
  if (n(body.NanoCpus) > 0 && n(old.CpuPeriod) > 0) conflicting('CPU Period cannot be updated as NanoCPUs has already been set')
  if (n(body.NanoCpus) > 0 && n(old.CpuQuota) > 0) conflicting('CPU Quota cannot be updated as NanoCPUs has already been set')
  if (n(body.CpuPeriod) > 0 && n(old.NanoCpus) > 0) conflicting('CPU Period cannot be updated as NanoCPUs has already been set')
  if (n(body.CpuQuota) > 0 && n(old.NanoCpus) > 0) conflicting('CPU Quota cannot be updated as NanoCPUs has already been set')
  if (n(body.Memory) > 0 && n(body.MemorySwap) === 0 && n(old.MemorySwap) > 0 && n(body.Memory) > n(old.MemorySwap)) {
    conflicting('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time')
  }
  const hostConfig: Record<string, unknown> = { ...old, ...(restartPolicy !== undefined ? { RestartPolicy: restartPolicy } : {}) }
  for (const k of UPDATABLE) {
    const v = body[k]
    if (k === 'PidsLimit' ? v !== undefined && v !== null : !isZero(v)) hostConfig[k] = v
  }
  const r = resources(hostConfig as DockerHostConfig)
  const out: UpdateResources = {}
  // Only what update can change: swappiness, the OOM killer and real-time time stay as created.
  if (r.memory !== undefined) out.memory = pick(r.memory, ['limit', 'reservation', 'swap'])
  if (r.cpu !== undefined) out.cpu = pick(r.cpu, ['shares', 'quota', 'period', 'cpus', 'mems'])
  // The runtime writes "max" for a limit of -1.
  if (body.PidsLimit !== undefined && body.PidsLimit !== null) out.pids = { limit: n(body.PidsLimit) > 0 ? n(body.PidsLimit) : -1 }
  return { hostConfig, resources: out, ...(restartPolicy !== undefined ? { restartPolicy } : {}) }
}
