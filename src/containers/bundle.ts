/**
 * OCI bundles as berth reads and writes them: a bundle's config.json read
 * and checked, the record fields it gives, the private spec each run is
 * given, the dir its rootfs is, and the resources written back on update.
 * A user's bundle is only ever read; berth writes only the bundles it made.
 */
import { readFile, realpath } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import { invalid } from '../errors.js'
import type { IdRange } from '../security/userns.js'
import { writeFileAtomic } from '../store/atomic.js'
import { bundleSpec } from '../store/layout.js'
import type { ContainerRecord } from '../store/records.js'
import { checkSpecPaths, parseSpecJson, specJson, type OciSpec as FullSpec } from './dockerspec.js'

/** The parts of an OCI runtime-spec config.json berth reads. */
export interface OciSpec {
  process?: { terminal?: boolean, args?: string[], env?: string[], cwd?: string, user?: { uid?: number, gid?: number }, consoleSize?: { height: number, width: number } }
  root?: { path?: string, readonly?: boolean }
  hostname?: string
  mounts?: Array<{ destination?: unknown }>
  linux?: { namespaces?: Array<{ type: string, path?: string }>, uidMappings?: IdRange[], gidMappings?: IdRange[] }
}

/** Reads and checks `<bundle>/config.json`; every problem is a 400 that names it. */
export async function readBundle (bundle: string): Promise<OciSpec> {
  if (!isAbsolute(bundle)) throw invalid(`bundle path must be absolute: ${bundle}`)
  const text = await readFile(bundleSpec(bundle), 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw invalid(`bundle ${bundle} has no readable config.json (${err.code ?? err.message})`)
  })
  let spec: OciSpec
  try {
    spec = parseSpecJson(text) as OciSpec
  } catch (err) {
    throw invalid(`bundle ${bundle}: config.json does not parse: ${(err as Error).message}`)
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw invalid(`bundle ${bundle}: config.json is not an object`)
  checkProcess(bundle, spec)
  checkSpecPaths(spec as Parameters<typeof checkSpecPaths>[0])
  return spec
}

/** A spec must name a process to run (an image with no command gets this 400 too). */
export function checkProcess (bundle: string, spec: OciSpec): void {
  if (!Array.isArray(spec.process?.args) || spec.process.args.length === 0) throw invalid(`bundle ${bundle}: config.json has no process.args`)
}

/** Writes the config.json of a bundle berth makes. */
export async function writeBundle (bundle: string, spec: FullSpec): Promise<void> {
  await writeFileAtomic(bundleSpec(bundle), specJson(spec))
}

/** The record fields a user's bundle gives (an image container's come from its create body). */
export function bundleFields (spec: OciSpec): Pick<ContainerRecord, 'path' | 'args' | 'env' | 'cwd' | 'hostname' | 'user'> & { terminal: boolean } {
  const proc = spec.process ?? {}
  return {
    terminal: proc.terminal ?? false,
    path: proc.args?.[0] ?? '',
    args: proc.args?.slice(1) ?? [],
    env: proc.env ?? [],
    cwd: proc.cwd ?? '/',
    hostname: spec.hostname ?? '',
    user: proc.user !== undefined ? `${proc.user.uid ?? 0}:${proc.user.gid ?? 0}` : ''
  }
}

/** The real path of the bundle's rootfs: runc refuses a rootfs path that is relative or goes through a symlink. */
export async function bundleRoot (bundle: string, spec: OciSpec): Promise<string> {
  return await realpath(resolve(bundle, spec.root?.path ?? 'rootfs')).catch(() => {
    throw invalid(`bundle ${bundle}: root.path ${spec.root?.path ?? 'rootfs'} does not exist`)
  })
}

/**
 * The config.json text of one run: the container's spec with root.path made
 * real and process.terminal (and the initial size) following the record.
 */
export async function runSpec (rec: Pick<ContainerRecord, 'bundle' | 'tty' | 'consoleSize'>, spec: OciSpec): Promise<string> {
  const ours = {
    ...spec,
    root: { ...spec.root, path: await bundleRoot(rec.bundle, spec) },
    process: { ...spec.process, terminal: rec.tty }
  }
  if (rec.tty && rec.consoleSize !== undefined) ours.process.consoleSize = { height: rec.consoleSize[0], width: rec.consoleSize[1] }
  return specJson(ours)
}

/** The spec's mount points (the runtime's, such as an empty /etc/hostname or /proc: not a container's changes). */
export const mountDestinations = (spec: OciSpec): string[] => (spec.mounts ?? []).map(m => String(m.destination ?? ''))

/** Writes new cgroup limits into a bundle berth made, for the container's next run. */
export async function writeResources (bundle: string, resources: object): Promise<void> {
  const spec = parseSpecJson(await readFile(bundleSpec(bundle), 'utf8')) as { linux?: { resources?: Record<string, unknown> } }
  spec.linux = { ...spec.linux, resources: { ...spec.linux?.resources, ...resources } }
  await writeFileAtomic(bundleSpec(bundle), specJson(spec))
}
