/**
 * A container's filesystem from the outside: docker cp (stat, archive,
 * extract), export, diff and commit. Each works on the rootfs the container's
 * queue protects; none changes the container's lifecycle.
 */
import { realpath } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { forbidden, invalid, noSuchContainer } from '../errors.js'
import { familiarKey, parseRepoTag, refKey } from '../images/reference.js'
import type { ImageRecord, ImageStore } from '../images/store.js'
import type { ContainerRecord } from '../store/records.js'
import { archivePath, exportRootfs, extractToDir, layerDiff, statPath, type CopyTarget } from './archive.js'
import { bindsOf, type PathStat } from './archive-paths.js'
import { mountDestinations, readBundle } from './bundle.js'
import { overlayChanges, type Change } from './changes.js'
import { changeLines, commitConfig, containerConfig, type CommitConfig } from './commit.js'
import type { DockerCreateBody } from './dockerspec.js'
import { mountPoints } from './mount-points.js'
import { specIdmap } from './remap.js'
import { isMounted, mountRootfs } from './rootfs.js'
import { canPause } from './state.js'
import type { PartDeps } from './parts.js'
import type { Entry } from './table.js'

/** What the container files need from the manager. */
export interface FilesDeps extends PartDeps {
  images: ImageStore
}

/** What docker commit is asked for. */
export interface CommitOptions { repo?: string, tag?: string, comment?: string, author?: string, pause: boolean, changes: string[], config?: CommitConfig | null }

/** Docker has no container without an image: what needs its layers is refused for a bundle container. */
const fromBundle = (rec: ContainerRecord, why: string): Error => invalid(`container ${rec.name} runs from an OCI bundle, not an image: ${why}`)

/** docker cp, export, diff and commit. */
export class ContainerFiles {
  constructor (private readonly d: FilesDeps) {}

  /**
   * The dir holding the container's root filesystem: an image container's
   * overlay (mounted again if a reboot took it away), or a bundle's rootfs.
   */
  private async rootOf (e: Entry): Promise<string> {
    const rec = e.rec
    if (rec.layerDirs === undefined) {
      const spec = await readBundle(rec.bundle)
      return await realpath(resolve(rec.bundle, spec.root?.path ?? 'rootfs'))
    }
    const paths = this.d.layout.rootfs(rec.id)
    if (!await isMounted(paths.merged)) {
      // In the container's queue, so that it cannot race a start's mount or a removal's unmount.
      await this.d.table.serial(e, async () => {
        if (!this.d.table.has(rec.id)) throw noSuchContainer(rec.id)
        await mountRootfs(rec.layerDirs!, paths)
      })
    }
    return paths.merged
  }

  /** What docker cp works on: the rootfs, and the bind mounts of the container's spec (volumes, /etc/hostname, ...). */
  private async copyTarget (e: Entry, ref: string): Promise<CopyTarget> {
    const root = await this.rootOf(e)
    const spec = await readBundle(e.rec.bundle)
    return { root, binds: bindsOf(spec.mounts), container: ref, idmap: specIdmap(spec) }
  }

  /** docker cp's stat (HEAD archive): `path` resolved in the container's rootfs, its last symlink not followed. */
  async statPath (ref: string, path: string): Promise<PathStat> {
    return await statPath(await this.copyTarget(this.d.table.get(ref), ref), path)
  }

  /** docker cp out of the container: the stat of `path` and a tar of it. Running or not. */
  async archivePath (ref: string, path: string): Promise<{ stat: PathStat, tar: Readable }> {
    const e = this.d.table.get(ref)
    const out = await archivePath(await this.copyTarget(e, ref), path)
    this.d.event(e.rec, 'archive-path')
    return out
  }

  /**
   * docker cp into the container: the tar `input` extracted into the dir
   * `path`. 403 for a bundle's rootfs (berth never writes to a bundle) and
   * for ReadonlyRootfs, as Docker refuses it. With `copyUIDGID`, everything
   * is owned by the container's user (moby's tarCopyOptions).
   */
  async extractToDir (ref: string, path: string, input: Readable, opts: { noOverwriteDirNonDir: boolean, copyUIDGID: boolean }): Promise<void> {
    const e = this.d.table.get(ref)
    const rec = e.rec
    if (rec.layerDirs === undefined) throw forbidden(`container ${rec.name} runs from an OCI bundle, whose rootfs berth never writes to`)
    if ((rec.createBody as { HostConfig?: { ReadonlyRootfs?: boolean } } | undefined)?.HostConfig?.ReadonlyRootfs === true) throw forbidden('container rootfs is marked read-only')
    await extractToDir(await this.copyTarget(e, ref), path, input, { noOverwriteDirNonDir: opts.noOverwriteDirNonDir, ...(opts.copyUIDGID ? { user: rec.user } : {}) })
    this.d.event(rec, 'extract-to-dir')
  }

  /** docker export: a tar of the container's whole root filesystem. */
  async exportContainer (ref: string): Promise<Readable> {
    const e = this.d.table.get(ref)
    const tar = await exportRootfs(await this.rootOf(e), specIdmap(await readBundle(e.rec.bundle)))
    this.d.event(e.rec, 'export')
    return tar
  }

  /**
   * docker diff: what the container changed in its overlay upper dir, running
   * or not. Mount points the runtime made are left out, as commit leaves
   * them out (Docker keeps them in its init layer).
   */
  async changes (ref: string): Promise<Change[]> {
    const rec = this.d.table.get(ref).rec
    if (rec.layerDirs === undefined) throw fromBundle(rec, 'it has no image layers to compare with')
    const skip = mountPoints(mountDestinations(await readBundle(rec.bundle)))
    return await overlayChanges(this.d.layout.rootfs(rec.id).upper, [...rec.layerDirs].reverse(), skip)
  }

  /**
   * docker commit: the container's overlay upper dir becomes a layer on top
   * of its image's, under the container's config with `changes` applied. A
   * running container is frozen meanwhile when `pause` (Docker's default), so
   * that the layer is one moment's state.
   */
  async commit (ref: string, opts: CommitOptions): Promise<ImageRecord> {
    const e = this.d.table.get(ref)
    const tags = opts.repo !== undefined && opts.repo !== '' ? [parseRepoTag(opts.repo, opts.tag)] : []
    return await this.d.table.serial(e, async () => {
      const rec = e.rec
      if (!this.d.table.has(rec.id)) throw noSuchContainer(ref)
      if (rec.layerDirs === undefined || rec.image === undefined) throw fromBundle(rec, 'there is no layer to commit')
      const parent = this.d.images.resolve(rec.image)
      const config = commitConfig(containerConfig(parent.config, (rec.createBody ?? {}) as DockerCreateBody), opts.config, changeLines(opts.changes))
      const spec = await readBundle(rec.bundle)
      const exclude = mountDestinations(spec)
      // A paused container is frozen already; only a running one is paused for the commit.
      const freeze = opts.pause && canPause(rec.status)
      if (freeze) await this.d.runtimeOf(rec).pause(rec.id)
      let image: ImageRecord
      try {
        // A remapped container's layer holds the ids as seen inside, as Docker commits it.
        const diff = await layerDiff(this.d.layout.rootfs(rec.id).upper, exclude, specIdmap(spec))
        image = await this.d.images.commitContainer(diff, {
          parent, config, tags, container: rec.id, createdBy: (rec.cmd ?? [rec.path, ...rec.args]).join(' '),
          ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
          ...(opts.author !== undefined ? { author: opts.author } : {})
        })
      } finally {
        if (freeze) await this.d.runtimeOf(rec).resume(rec.id).catch((err: unknown) => this.d.log.error({ err, container: rec.id.slice(0, 12) }, 'resume after commit failed'))
      }
      this.d.log.info({ container: rec.id.slice(0, 12), image: image.id }, 'container committed')
      this.d.event(rec, 'commit', { comment: opts.comment ?? '', imageID: image.id, imageRef: tags[0] !== undefined ? familiarKey(refKey(tags[0])) : '' })
      return image
    })
  }
}
