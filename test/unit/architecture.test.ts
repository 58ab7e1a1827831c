// The shape of src/ kept honest (issue 20): no import circle between its
// modules, counting `import type` too (a circle of types is still two modules
// that cannot be understood apart), and no file over 600 lines. The direction
// of imports is ESLint's (scripts/eslint.config.js).
import t from 'tap'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'

const root = join(import.meta.dirname, '..', '..', '..')
const MAX_LINES = 600

const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true, recursive: true })
  .filter(e => e.isFile() && e.name.endsWith('.ts')).map(e => join(e.parentPath, e.name))

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm

/** The module graph of the .ts files under `dir` (relative imports only; `.js` names the `.ts`). */
function graph (dir: string): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>()
  for (const f of sources(dir)) {
    const deps = [...readFileSync(f, 'utf8').matchAll(IMPORT)].map(m => resolve(dirname(f), m[1]!).replace(/\.js$/, '.ts'))
    g.set(f, new Set(deps))
  }
  return g
}

/** Each circle of `g` (Tarjan's strongly connected components of more than one module, or a module importing itself). */
function circles (g: Map<string, Set<string>>): string[][] {
  let next = 0
  const index = new Map<string, number>(); const low = new Map<string, number>(); const stack: string[] = []; const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++; stack.push(v); onStack.add(v)
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)) } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) !== index.get(v)) return
    const scc: string[] = []
    let w: string
    do { w = stack.pop()!; onStack.delete(w); scc.push(w) } while (w !== v)
    if (scc.length > 1 || g.get(v)!.has(v)) found.push(scc)
  }
  for (const v of g.keys()) if (!index.has(v)) visit(v)
  return found
}

t.test('the check finds a circle, through a type import too', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-arch-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js'\nexport const a = b\n")
  writeFileSync(join(dir, 'b.ts'), "import type {\n  C } from './c.js'\nexport const b = 1\n")
  writeFileSync(join(dir, 'c.ts'), "export type { A } from './a.js'\nexport type C = number\n")
  writeFileSync(join(dir, 'd.ts'), "import { a } from './a.js'\nexport const d = a\n")
  t.same(circles(graph(dir)).map(c => c.map(f => relative(dir, f)).sort()), [['a.ts', 'b.ts', 'c.ts']])
})

t.test('no import circle in src/', async t => {
  const src = join(root, 'src')
  const g = graph(src)
  t.ok(g.size > 50, `${g.size} modules read`)
  t.same(circles(g).map(c => c.map(f => relative(src, f)).sort()), [])
})

t.test(`no file in src/ is over ${MAX_LINES} lines`, async t => {
  const over = sources(join(root, 'src'))
    .map(f => ({ file: relative(root, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter(f => f.lines > MAX_LINES)
  t.same(over, [])
})
