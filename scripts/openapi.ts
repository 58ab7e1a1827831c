/**
 * Generates openapi/berth.json from the route schemas (`write`), or fails when
 * the committed document differs from what the code would generate (`check`).
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../src/api/app.js'
import type { EventBus } from '../src/events/bus.js'
import type { ContainerManager } from '../src/containers/manager.js'
import type { ImageStore } from '../src/images/store.js'
import type { Builder } from '../src/build/builder.js'
import openapiTS, { astToString } from 'openapi-typescript'
import SwaggerParser from '@apidevtools/swagger-parser'

export const DOC_PATH = fileURLToPath(new URL('../../openapi/berth.json', import.meta.url))
/** The generated TypeScript SDK's types (used with openapi-fetch). */
export const TS_PATH = fileURLToPath(new URL('../../openapi/ts/schema.d.ts', import.meta.url))

/** The document as the routes describe it, serialised as committed. */
export async function generate (): Promise<string> {
  // Routes are only registered, never called: no manager is needed to describe them.
  const app = await buildApp({ manager: {} as ContainerManager, images: {} as ImageStore, builder: {} as Builder, events: {} as EventBus, versions: { berth: 'doc', conmon: '', runtimes: {} }, logger: false })
  await app.ready()
  const doc = JSON.stringify(app.swagger(), null, 2) + '\n'
  await app.close()
  return doc
}

/** The SDK's TypeScript types, generated from the document by openapi-typescript. */
export async function generateTypes (doc: string): Promise<string> {
  const ast = await openapiTS(JSON.parse(doc) as Parameters<typeof openapiTS>[0])
  return `// Generated from openapi/berth.json by \`npm run openapi\` (openapi-typescript). Do not edit.\n${astToString(ast)}`
}

async function main (): Promise<void> {
  const mode = process.argv[2]
  const doc = await generate()
  const types = await generateTypes(doc)
  if (mode === 'write') {
    await mkdir(new URL('../../openapi/ts/', import.meta.url), { recursive: true })
    await writeFile(DOC_PATH, doc)
    await writeFile(TS_PATH, types)
    process.stdout.write(`wrote ${DOC_PATH} and ${TS_PATH}\n`)
  } else if (mode === 'check') {
    for (const [path, want] of [[DOC_PATH, doc], [TS_PATH, types]] as const) {
      if (await readFile(path, 'utf8').catch(() => '') !== want) {
        process.stderr.write(`${path} is out of date with the route schemas: run npm run openapi\n`)
        process.exit(1)
      }
    }
    process.stdout.write('openapi/ is up to date\n')
  } else if (mode === 'validate') {
    await SwaggerParser.validate(DOC_PATH)
    process.stdout.write('openapi/berth.json is a valid OpenAPI document\n')
  } else {
    process.stderr.write('usage: openapi.js write|check|validate\n')
    process.exit(2)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
