/**
 * An image container under --userns-remap (security/userns.ts): Docker's
 * refusals of what a user namespace cannot share, the image's shifted layer
 * copies (images/remap-layers.ts) as its lower dirs, and its own writable
 * parts (the overlay's upper dir, the /etc files berth binds) owned by the
 * remapped root, so root inside can write them and nothing else on the host.
 */
import { chown, stat } from 'node:fs/promises'
import type { RemapLayers } from '../images/remap-layers.js'
import { checkRemapConflicts, remapped, withUserns, type IdMap, type IdRange, type Userns } from '../security/userns.js'
import type { DockerCreateBody } from './dockerspec.js'

/** The remapping container `body` gets, or undefined (remapping off, or `UsernsMode: host`); refuses what conflicts with it. */
export function remapFor (remap: RemapLayers | undefined, body: DockerCreateBody): RemapLayers | undefined {
  if (!remapped(remap?.userns, body.HostConfig)) return undefined
  checkRemapConflicts(body.HostConfig ?? {})
  return remap
}

/** The lower dirs of the container's overlay: the image's own, or their shifted copies. */
export async function lowerDirs (remap: RemapLayers | undefined, layerDirs: readonly string[]): Promise<readonly string[]> {
  return remap === undefined ? layerDirs : await remap.layersFor(layerDirs)
}

/** Gives the remapped root the container's writable paths. */
export async function ownForRemap (userns: Userns, paths: readonly string[]): Promise<void> {
  for (const p of paths) await chown(p, userns.rootUid, userns.rootGid)
}

/** `spec` with the user namespace when remapped. */
export const specFor = <S extends { linux: { namespaces: Array<{ type: string }> } }>(remap: RemapLayers | undefined, spec: S): S =>
  remap === undefined ? spec : withUserns(spec, remap.userns)

/** The volume store's option: new volumes owned by the remapped root. */
export const remapOwner = (remap: RemapLayers | undefined): { owner?: { uid: number, gid: number } } =>
  remap === undefined ? {} : { owner: { uid: remap.userns.rootUid, gid: remap.userns.rootGid } }

/** The maps of a spec that makes a new user namespace (a remapped container's), else undefined. */
export function idmapOf (spec: { linux?: { namespaces?: Array<{ type: string, path?: string }>, uidMappings?: IdRange[], gidMappings?: IdRange[] } }): { uidMappings: IdRange[], gidMappings: IdRange[] } | undefined {
  const l = spec.linux
  if (l?.uidMappings === undefined || l.gidMappings === undefined || l.namespaces?.some(n => n.type === 'user' && n.path === undefined) !== true) return undefined
  return { uidMappings: l.uidMappings, gidMappings: l.gidMappings }
}

/** The maps of a container's spec when it runs in its own user namespace (remapped), else undefined: its files' owners inside. */
export function specIdmap (spec: { linux?: { uidMappings?: IdRange[], gidMappings?: IdRange[] } }): IdMap | undefined {
  const l = spec.linux
  return l?.uidMappings !== undefined && l.gidMappings !== undefined ? { uidMappings: l.uidMappings, gidMappings: l.gidMappings } : undefined
}

/**
 * crun 1.8.1 chowns a container's stdio to its root before it joins the
 * user namespace, the host's /dev/null included when that is the stdin
 * conmon gives it (crun#1845, fixed in crun 1.24 by never chowning
 * devices): the host's /dev/null is given back to root after the runtime's
 * create, before the container's process runs.
 */
export async function restoreDevNull (): Promise<void> {
  const st = await stat('/dev/null')
  if (st.uid !== 0 || st.gid !== 0) await chown('/dev/null', 0, 0)
}
