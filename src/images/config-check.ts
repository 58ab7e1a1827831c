/**
 * An image config is read from archives, registries and builders: before the
 * store keeps one, each field berth reads must be of the type berth reads it
 * as, or the image is refused (as Docker's Go decoder refuses it).
 */
const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every(x => typeof x === 'string')
const isStringMap = (v: unknown): boolean => typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every(x => typeof x === 'string')
const isObjectMap = (v: unknown): boolean => typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every(x => x === null || (typeof x === 'object' && !Array.isArray(x)))
const CONFIG_FIELDS: Array<[string, (v: unknown) => boolean, string]> = [
  ['Env', isStrings, 'a list of strings'], ['Cmd', isStrings, 'a list of strings'], ['Entrypoint', isStrings, 'a list of strings'],
  ['WorkingDir', v => typeof v === 'string', 'a string'], ['User', v => typeof v === 'string', 'a string'],
  ['StopSignal', v => typeof v === 'string', 'a string'], ['Labels', isStringMap, 'a map of strings'],
  ['ExposedPorts', isObjectMap, 'a map of objects'], ['Volumes', isObjectMap, 'a map of objects']
]

/**
 * What in an image config's document is not of the type the rest of berth reads it as (Docker's Go decoder
 * refuses the same); a field may be null, as Go writes an empty one.
 */
export function configProblem (doc: unknown): string | undefined {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return 'not a JSON object'
  const d = doc as Record<string, unknown>
  for (const f of ['architecture', 'os', 'created', 'author', 'comment', 'container', 'parent']) {
    if (d[f] !== undefined && d[f] !== null && typeof d[f] !== 'string') return `${f} must be a string`
  }
  if (d.history !== undefined && d.history !== null && (!Array.isArray(d.history) || !d.history.every(h => h !== null && typeof h === 'object'))) return 'history must be a list of objects'
  const c = d.config
  if (c === undefined || c === null) return undefined
  if (typeof c !== 'object' || Array.isArray(c)) return 'config must be an object'
  for (const [name, ok, what] of CONFIG_FIELDS) {
    const v = (c as Record<string, unknown>)[name]
    if (v !== undefined && v !== null && !ok(v)) return `config.${name} must be ${what}`
  }
  return undefined
}
