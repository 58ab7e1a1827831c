/**
 * Generates openapi/berth.json from the route schemas (`write`), or fails when
 * the committed document differs from what the code would generate (`check`).
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../src/api/app.js'
import type { ContainerManager } from '../src/containers/manager.js'

export const DOC_PATH = fileURLToPath(new URL('../../openapi/berth.json', import.meta.url))

/** The document as the routes describe it, serialised as committed. */
export async function generate (): Promise<string> {
  // Routes are only registered, never called: no manager is needed to describe them.
  const app = await buildApp({ manager: {} as ContainerManager, versions: { berth: 'doc', conmon: '', runtimes: {} }, logger: false })
  await app.ready()
  const doc = JSON.stringify(app.swagger(), null, 2) + '\n'
  await app.close()
  return doc
}

async function main (): Promise<void> {
  const mode = process.argv[2]
  const doc = await generate()
  if (mode === 'write') {
    await mkdir(new URL('../../openapi/', import.meta.url), { recursive: true })
    await writeFile(DOC_PATH, doc)
    process.stdout.write(`wrote ${DOC_PATH}\n`)
  } else if (mode === 'check') {
    const committed = await readFile(DOC_PATH, 'utf8').catch(() => '')
    if (committed !== doc) {
      process.stderr.write(`${DOC_PATH} is out of date with the route schemas: run npm run openapi\n`)
      process.exit(1)
    }
    process.stdout.write('openapi/berth.json is up to date\n')
  } else {
    process.stderr.write('usage: openapi.js write|check\n')
    process.exit(2)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
