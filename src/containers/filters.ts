/** Docker's `filters` query for container lists: parsing and matching (pure). */
import { invalid } from '../errors.js'
import type { ContainerRecord } from '../store/records.js'
import { labelMatches } from '../volumes/filters.js'
import { dockerStatus } from './state.js'

export type Filters = Map<string, string[]>
const KNOWN = new Set(['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'health'])
const HEALTH = new Set(['starting', 'healthy', 'unhealthy', 'none'])
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'])

/** Accepts both forms clients send: `{"name":["x"]}` and `{"name":{"x":true}}`; `known` are the keys allowed. */
export function parseFilters (json: string | undefined, known: ReadonlySet<string> = KNOWN): Filters {
  const out: Filters = new Map()
  if (json === undefined || json === '') return out
  let raw: unknown
  try { raw = JSON.parse(json) } catch { throw invalid(`invalid filter: ${json}`) }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`invalid filter: ${json}`)
  for (const [key, v] of Object.entries(raw)) {
    if (!known.has(key)) throw invalid(`invalid filter '${key}'`)
    const values = Array.isArray(v) ? v : typeof v === 'object' && v !== null ? Object.keys(v).filter(k => (v as Record<string, unknown>)[k] === true) : undefined
    if (values === undefined || values.some(x => typeof x !== 'string')) throw invalid(`invalid filter: ${json}`)
    if (key === 'status') for (const s of values) if (!STATUSES.has(s)) throw invalid(`invalid filter 'status=${s as string}'`)
    if (key === 'health') for (const s of values) if (!HEALTH.has(s)) throw invalid(`Unrecognised filter value for health: ${s as string}`)
    if (key === 'exited') for (const s of values) if (!/^-?\d+$/.test(s)) throw invalid(`invalid filter 'exited=${s as string}'`)
    out.set(key, values as string[])
  }
  return out
}

/**
 * Whether a list shows stopped containers too: with all=1, and, as moby's
 * daemon/list.go does, with a positive limit (`docker ps -l`, `-n N`) or a
 * status filter (`docker ps --filter status=exited` needs no -a).
 */
export function listsAll (all: boolean, limit: number | undefined, f: Filters): boolean {
  const given = (key: string): boolean => (f.get(key)?.length ?? 0) > 0
  return all || (limit !== undefined && limit > 0) || given('status') || given('before') || given('since')
}

/** What the filters that name other objects point at, looked up by the caller. */
export interface FilterRefs {
  /** Ids of the images `ancestor` names (unknown names left out: then nothing matches, as in Docker). */
  images?: ReadonlySet<string>
  /** `before`: only containers created before this one. */
  before?: Pick<ContainerRecord, 'id' | 'created'>
  /** `since`: only containers created after this one. */
  since?: Pick<ContainerRecord, 'id' | 'created'>
  /** `health`: a container's health status (none without a healthcheck). */
  health?: (id: string) => string
}

/** True when the record passes every filter (values of one key are alternatives, but labels must all match). */
export function matches (rec: ContainerRecord, f: Filters, refs: FilterRefs = {}): boolean {
  const any = (key: string, test: (v: string) => boolean): boolean => {
    const vs = f.get(key)
    return vs === undefined || vs.length === 0 || vs.some(test)
  }
  return any('id', v => rec.id.startsWith(v)) &&
    // Docker matches the name with and without its leading "/".
    any('name', v => { try { const re = new RegExp(v); return re.test(rec.name) || re.test(`/${rec.name}`) } catch { return rec.name.includes(v) } }) &&
    any('status', v => dockerStatus(rec.status) === v) &&
    // A container that ran and stopped with that code (a created one has exit code 0 but never ran).
    any('exited', v => rec.status === 'exited' && !rec.startedAt.startsWith('0001') && rec.exitCode === Number(v)) &&
    // Every label filter must hold (moby's MatchKVList): Compose finds a service's containers by project AND service.
    (f.get('label') ?? []).every(l => labelMatches(rec.labels, l)) &&
    any('health', v => (refs.health?.(rec.id) ?? 'none') === v) &&
    any('ancestor', () => rec.image !== undefined && (refs.images?.has(rec.image) ?? false)) &&
    // Creation order, as the list sorts: the record's `created` strings compare as times.
    (refs.before === undefined || (rec.id !== refs.before.id && rec.created.localeCompare(refs.before.created) < 0)) &&
    (refs.since === undefined || (rec.id !== refs.since.id && rec.created.localeCompare(refs.since.created) > 0))
}
