/** Docker's `filters` for volume lists and prunes (moby volume/service/convert.go), pure. */
import { invalid } from '../errors.js'

/** Filter key → alternatives (the shape containers/filters.ts parseFilters gives). */
export type VolumeFilters = ReadonlyMap<string, readonly string[]>

export const LIST_FILTERS: ReadonlySet<string> = new Set(['name', 'label', 'dangling', 'driver'])
export const PRUNE_FILTERS: ReadonlySet<string> = new Set(['label', 'label!', 'all'])

/** `key` or `key=value` against a label map (moby filters.MatchKVList). */
export function labelMatches (labels: Readonly<Record<string, string>>, filter: string): boolean {
  const i = filter.indexOf('=')
  return i < 0 ? Object.hasOwn(labels, filter) : Object.hasOwn(labels, filter.slice(0, i)) && labels[filter.slice(0, i)] === filter.slice(i + 1)
}

/** A boolean filter value as Docker reads one (`true`/`1`, `false`/`0`); anything else is a 400. */
export function boolFilter (key: string, v: string): boolean {
  if (v === 'true' || v === '1') return true
  if (v === 'false' || v === '0') return false
  throw invalid(`invalid filter '${key}=${v}'`)
}

/** What the list filters look at. */
export interface VolumeFacts { name: string, driver: string, labels: Readonly<Record<string, string>>, inUse: boolean }

/** True when `v` passes every filter; values of one key are alternatives. `name` is a regexp, as moby's Match. */
export function volumeMatches (v: VolumeFacts, f: VolumeFilters): boolean {
  const any = (key: string, test: (x: string) => boolean): boolean => {
    const vs = f.get(key)
    return vs === undefined || vs.length === 0 || vs.some(test)
  }
  return any('name', x => { try { return x === v.name || new RegExp(x).test(v.name) } catch { return false } }) &&
    any('driver', x => x === v.driver) &&
    (f.get('label') ?? []).every(l => labelMatches(v.labels, l)) &&
    any('dangling', x => boolFilter('dangling', x) === !v.inUse)
}
