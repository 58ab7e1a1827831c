// The error registry kept honest, as fastify keeps its own
// (test/internals/errors.test.js): every error berth can raise is built in
// src/errors.ts, and every status the API maps one to is in the OpenAPI
// document that clients read. That each route lists the statuses it really
// answers is checked per response in the integration suite (test/contract.ts,
// applied by the helpers' d.req, d.open and hijack).
import t from 'tap'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import * as errors from '../../src/errors.js'
import { MESSAGE_MAX, STATUS, toHttp } from '../../src/api/errors.js'
import { DOC_PATH } from '../../scripts/openapi.js'

const root = join(import.meta.dirname, '..', '..', '..')

async function sources (dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true })
  return entries.filter(e => e.isFile() && e.name.endsWith('.ts')).map(e => join(e.parentPath, e.name))
}

/** Statuses with the shared error schema, and the operations that document each. */
async function documented (): Promise<Map<string, string[]>> {
  const doc = JSON.parse(await readFile(DOC_PATH, 'utf8')) as { paths: Record<string, Record<string, { responses: Record<string, any> }>> }
  const out = new Map<string, string[]>()
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, r] of Object.entries(op.responses)) {
        const isError = r?.content?.['application/json']?.schema?.$ref === '#/components/schemas/ErrorResponse' || status === '304'
        if (isError) out.set(status, [...out.get(status) ?? [], `${method.toUpperCase()} ${path}`])
      }
    }
  }
  return out
}

t.test('every error code maps to a status the OpenAPI document lists as an error response', async t => {
  const doc = await documented()
  for (const [code, status] of Object.entries(STATUS)) {
    t.ok(doc.has(String(status)), `${code} → ${status} is documented`)
  }
})

t.test('every error constructor in src/errors.ts answers a documented status with its own message', async t => {
  const doc = await documented()
  const made = Object.entries(errors).filter(([, v]) => typeof v === 'function' && v !== errors.BerthError && v !== errors.hasCode)
  t.ok(made.length >= 8, 'the constructors are found')
  for (const [name, make] of made) {
    const err = name === 'withCode' ? (make as typeof errors.withCode)('CONFLICT', 'm') : (make as (a: string, b?: string) => unknown)('m')
    t.ok(err instanceof errors.BerthError, `${name} makes a BerthError`)
    const { status, message } = toHttp(err)
    t.ok(doc.has(String(status)), `${name} → ${status} is documented`)
    t.match(message, /m/, `${name} keeps the message it is given`)
  }
})

t.test('errors are built only in src/errors.ts, and Docker\'s not-found wording only there', async t => {
  const files = await sources('src')
  t.ok(files.length > 50, 'the sources are found')
  for (const file of files) {
    if (file.endsWith(join('src', 'errors.ts'))) continue
    const text = await readFile(file, 'utf8')
    t.notMatch(text, /new BerthError\(/, `${file.slice(root.length + 1)} builds no BerthError itself`)
    // Docker's wording is "No such <thing>: <ref>": a message built that way anywhere else is a copy.
    t.notMatch(text, /`No such [a-z ]+: \$\{|['"]No such [a-z ]+: ['"]\s*\+/, `${file.slice(root.length + 1)} words no "No such ...: <ref>" itself`)
  }
})

t.test('an error message that quotes a huge input is cut, and says how much was left out', async t => {
  const whole = `Invalid detach keys (${'x'.repeat(1_000_000)}) provided`
  const long = toHttp(errors.invalid(whole))
  t.equal(long.status, 400)
  t.equal(long.message, `${whole.slice(0, MESSAGE_MAX)}… (${whole.length - MESSAGE_MAX} more characters)`)
  t.match(long.message, /^Invalid detach keys \(x+… \(991839 more characters\)$/)
  const short = toHttp(errors.invalid('m'.repeat(MESSAGE_MAX)))
  t.equal(short.message, 'm'.repeat(MESSAGE_MAX), 'a message at the limit is sent whole')
})
