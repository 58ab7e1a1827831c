/**
 * Docker reads JSON bodies with Go's encoding/json, which matches an object
 * key to a struct field regardless of case (docker-py sends exec create's
 * `detachKeys`, for one). berth's schemas spell each field one way, so a body
 * is first rewritten to the schema's spelling, and validation and handlers
 * see only that. Keys of maps (Labels, ExposedPorts, Config, ...) are data
 * and stay as sent; their values are canonicalised when they are objects of
 * known shape (PortBindings' bindings, EndpointsConfig's endpoints).
 */

/** Where, in a body of one schema, keys have a canonical spelling. */
interface Shape {
  /** Exact and lower-cased spellings of the object's fields → the field's own. */
  names: Map<string, string>
  /** Fields whose values hold further fields. */
  nested: Array<[string, Shape]>
  /** The shape of every value of a map. */
  values?: Shape
  /** The shape of every element of an array. */
  items?: Shape
}

type Schema = Record<string, any>

/** The shape of `schema` (anyOf branches merged), or undefined when it has no field names anywhere. */
function shapeOf (schema: unknown): Shape | undefined {
  if (schema === null || typeof schema !== 'object') return undefined
  const s = schema as Schema
  const shape: Shape = { names: new Map(), nested: [] }
  let found = false
  for (const branch of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) {
    const b = shapeOf(branch)
    if (b === undefined) continue
    found = true
    for (const [k, v] of b.names) shape.names.set(k, v)
    shape.nested.push(...b.nested)
    shape.values ??= b.values
    shape.items ??= b.items
  }
  for (const [name, sub] of Object.entries<unknown>(s.properties ?? {})) {
    found = true
    shape.names.set(name.toLowerCase(), name)
    shape.names.set(name, name)
    const inner = shapeOf(sub)
    if (inner !== undefined) shape.nested.push([name, inner])
  }
  const mapValues = [...Object.values<unknown>(s.patternProperties ?? {}), s.additionalProperties]
  for (const v of mapValues) {
    const inner = shapeOf(v)
    if (inner !== undefined) { found = true; shape.values = inner }
  }
  const items = shapeOf(s.items)
  if (items !== undefined) { found = true; shape.items = items }
  return found ? shape : undefined
}

/** Renames `v`'s keys (in place, nested objects too) to `shape`'s spelling; the last of two spellings wins, as in Go. */
function canonicalise (v: unknown, shape: Shape): void {
  if (v === null || typeof v !== 'object') return
  if (Array.isArray(v)) {
    if (shape.items !== undefined) for (const x of v) canonicalise(x, shape.items)
    return
  }
  const o = v as Record<string, unknown>
  if (shape.names.size > 0) {
    let renamed: Map<string, unknown> | undefined
    for (const k in o) {
      const name = shape.names.get(k) ?? shape.names.get(k.toLowerCase())
      if (name === undefined) continue
      if (name !== k) {
        (renamed ??= new Map()).set(name, o[k])
        delete o[k]
      } else renamed?.delete(k)
    }
    if (renamed !== undefined) for (const [name, x] of renamed) o[name] = x
    for (const [name, inner] of shape.nested) canonicalise(o[name], inner)
  }
  if (shape.values !== undefined) for (const k in o) canonicalise(o[k], shape.values)
}

/** Shapes by body schema, built on a route's first body. */
const shapes = new WeakMap<object, Shape | null>()

/** Rewrites `body`'s keys to the spelling of `schema` (a route's body schema), whatever case the client used. */
export function canonicalKeys (body: unknown, schema: unknown): void {
  if (body === null || typeof body !== 'object' || schema === null || typeof schema !== 'object') return
  let shape = shapes.get(schema)
  if (shape === undefined) {
    shape = shapeOf(schema) ?? null
    shapes.set(schema, shape)
  }
  if (shape !== null) canonicalise(body, shape)
}
