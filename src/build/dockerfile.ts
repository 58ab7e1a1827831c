/**
 * What berth needs to know of a Dockerfile before buildah reads it: the
 * images its stages start from (`FROM`) and copy from (`COPY --from=`), so
 * that they can be handed to buildah from berth's own store. Only those
 * instructions are read; buildah parses the whole file. Pure.
 */

/** The external images a Dockerfile names, in order, each once. */
export interface DockerfileBases { images: string[], stages: number }

/** One instruction: its text with continuations joined, and the line it starts on (1-based). */
export interface Instruction { text: string, line: number }

/** Logical lines: parser directives read, continuations joined, comments and blank lines dropped. */
export function logicalLines (text: string): Instruction[] {
  const raw = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  let escape = '\\'
  // Parser directives (`# escape=`) are only read at the very top, before any other line.
  for (const line of raw) {
    const m = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(line)
    if (m === null) break
    if (m[1]!.toLowerCase() === 'escape' && (m[2] === '`' || m[2] === '\\')) escape = m[2]
  }
  const out: Instruction[] = []
  let cur: Instruction | undefined
  for (const [i, line] of raw.entries()) {
    const trimmed = line.trim()
    // A comment line inside a continued instruction is skipped, as Docker's parser does.
    if (trimmed.startsWith('#')) continue
    if (cur === undefined && trimmed === '') continue
    const body = line.replace(/\s+$/, '')
    const continued = body.endsWith(escape)
    const part = continued ? body.slice(0, -1) : body
    if (cur === undefined) cur = { text: part.trimStart(), line: i + 1 }
    else cur.text += part
    if (!continued) { out.push(cur); cur = undefined }
  }
  if (cur !== undefined && cur.text.trim() !== '') out.push(cur)
  return out
}

/**
 * The ARGs before the first FROM, as written: Docker's classic builder shows
 * each as a step of its own (`Step 1/4 : ARG V=1`) before the first stage,
 * while buildah shows none of them.
 */
export function metaArgs (text: string): string[] {
  const all = logicalLines(text)
  const first = all.findIndex(i => /^FROM\s/i.test(i.text))
  return first < 0 ? [] : all.slice(0, first).map(i => i.text)
}

/** The steps a build shows, as Docker counts them: every instruction, the ARGs before the first FROM included. */
export function stepCount (text: string): number {
  const all = logicalLines(text)
  return all.some(i => /^FROM\s/i.test(i.text)) ? all.length : 0
}

const INSTRUCTIONS = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'])

/**
 * Docker's parse errors, found before the build starts (so they are HTTP
 * errors, as with Docker): an empty Dockerfile, an unknown instruction, an
 * instruction before the first FROM other than ARG. Returns the message, or undefined.
 */
export function syntaxError (text: string): string | undefined {
  const lines = logicalLines(text)
  if (lines.length === 0) return 'the Dockerfile cannot be empty'
  let seenFrom = false
  for (const { text: t, line } of lines) {
    const op = /^\S+/.exec(t)![0]!.toUpperCase()
    if (!INSTRUCTIONS.has(op)) return `dockerfile parse error line ${line}: unknown instruction: ${op}`
    if (op === 'FROM') seenFrom = true
    else if (!seenFrom && op !== 'ARG') return `dockerfile parse error line ${line}: ${op} before the first FROM: no build stage in current context`
  }
  return undefined
}

/** Expands $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} from `vars` (unset is empty). */
export function expand (s: string, vars: ReadonlyMap<string, string>): string {
  return s.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, braced?: string, op?: string, word?: string, bare?: string) => {
    const v = vars.get((braced ?? bare)!)
    if (op === '-') return v === undefined || v === '' ? word! : v
    if (op === '+') return v === undefined || v === '' ? '' : word!
    return v ?? ''
  })
}

/** Splits ARG's operands: `A=1 B="two words" C`. */
function argPairs (rest: string): Array<[string, string | undefined]> {
  const out: Array<[string, string | undefined]> = []
  for (const m of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("[^"]*"|'[^']*'|\S*))?/g)) {
    const v = m[2]
    out.push([m[1]!, v === undefined ? undefined : /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v])
  }
  return out
}

/**
 * The images a Dockerfile's stages start from and copy from, with the ARGs
 * declared before the first FROM expanded from their defaults and
 * `buildArgs`. Stage names, stage numbers and `scratch` are not images.
 */
export function dockerfileBases (text: string, buildArgs: Readonly<Record<string, string>> = {}): DockerfileBases {
  const vars = new Map<string, string>()
  const stages = new Set<string>()
  const images: string[] = []
  const add = (ref: string): void => {
    if (ref === '' || ref.toLowerCase() === 'scratch' || stages.has(ref.toLowerCase()) || images.includes(ref)) return
    images.push(ref)
  }
  let count = 0
  for (const { text: line } of logicalLines(text)) {
    const m = /^(\S+)\s*(.*)$/s.exec(line)
    if (m === null) continue
    const op = m[1]!.toUpperCase()
    const rest = m[2]!
    if (op === 'ARG' && count === 0) {
      for (const [k, v] of argPairs(rest)) {
        const given = buildArgs[k]
        if (given !== undefined) vars.set(k, given)
        else if (v !== undefined) vars.set(k, expand(v, vars))
      }
    } else if (op === 'FROM') {
      const words = rest.split(/\s+/).filter(w => !w.startsWith('--'))
      count++
      if (words[0] !== undefined) add(expand(words[0], vars))
      if (words.length >= 3 && words[1]!.toLowerCase() === 'as') stages.add(words[2]!.toLowerCase())
    } else if (op === 'COPY' || op === 'ADD') {
      const from = /(?:^|\s)--from=(\S+)/.exec(rest)?.[1]
      if (from !== undefined && !/^\d+$/.test(from)) add(expand(from, vars))
    }
  }
  return { images, stages: count }
}
