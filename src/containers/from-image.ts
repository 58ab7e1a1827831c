/**
 * Docker's create, the part that makes a bundle from an image, in one
 * forward pass: the image's layers mounted as the container's rootfs, the
 * image config merged with the body, the user looked up in the image, the
 * /etc files and the OCI spec written into the container's dir. It gives the
 * spec (which the first run is launched from, not read back) and the
 * record's fields.
 */
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises'
import type { ImageRecord } from '../images/store.js'
import type { Layout } from '../store/layout.js'
import type { ContainerRecord } from '../store/records.js'
import { checkProcess, writeBundle, type OciSpec } from './bundle.js'
import { dockerSpec, mergeImageConfig, type DockerCreateBody } from './dockerspec.js'
import { cgroupsPathOf } from './resources.js'
import { mergeHealthConfig } from './health.js'
import { invalid } from '../errors.js'
import { hostsFile, resolvConf } from './etc-files.js'
import { PROPAGATIONS, propagationProblem, type OciMount } from './mounts.js'
import { parseRestartPolicy } from './restart.js'
import { mkdirInRootfs, mountRootfs } from './rootfs.js'
import { resolveUserIn } from './users.js'
import type { DaemonSeccomp } from '../security/seccomp.js'
import { lastMappedGid } from '../security/rootless.js'
import { attachVolumes, type AttachedVolumes, type VolumeHost } from './volume-mounts.js'
import type { RemapLayers } from '../images/remap-layers.js'
import { lowerDirs, ownForRemap, remapFor, specFor } from './remap.js'
import { mapText } from '../security/userns.js'

/** The record fields an image container gets at create (besides those every create sets). */
export type ImageFields = Pick<ContainerRecord, 'bundle' | 'labels' | 'tty' | 'openStdin' | 'stdinOnce' | 'consoleSize' | 'path' | 'args' | 'env' | 'cwd' | 'hostname' | 'user' |
  'image' | 'imageName' | 'entrypoint' | 'cmd' | 'layerDirs' | 'userns' | 'createBody' | 'autoRemove' | 'restartPolicy' | 'stopSignal' | 'stopTimeout' | 'volumes' | 'healthcheck'>

/** What the bundle is made from. */
export interface ImageBundleInput {
  id: string
  body: DockerCreateBody
  image: ImageRecord
  layout: Layout
  /** The init binary, for HostConfig.Init. */
  init: string
  /** The runtime binary's name. */
  runtime: string
  /** The daemon's seccomp profiles. */
  seccomp: DaemonSeccomp
  /** Where the container's volumes come from. */
  volumes: VolumeHost
  /** berthd is rootless: containers get no cgroup, and only the ids its user namespace maps. */
  rootless: boolean
  /** With --userns-remap: the user namespace and the image's shifted layers. */
  remap?: RemapLayers | undefined
}

/**
 * Makes container `id`'s bundle from its image (its dir exists); the rootfs
 * is left mounted, and its volumes attached (`volumes`: release their hold
 * once the record is written; undo them if the create fails after this).
 */
export async function prepareImageBundle (input: ImageBundleInput): Promise<{ spec: OciSpec, fields: ImageFields, volumes: AttachedVolumes }> {
  const paths = input.layout.rootfs(input.id)
  const remap = remapFor(input.remap, input.body)
  const layerDirs = await lowerDirs(remap, input.image.layerDirs)
  if (remap !== undefined) {
    // The container's dir is the remapped root's, as in Docker. The rootfs's root dir is the upper dir, owned before the mount: overlay keeps its root's owner from then.
    await mkdir(paths.upper, { recursive: true, mode: 0o755 })
    await ownForRemap(remap.userns, [input.layout.containerDir(input.id), paths.upper])
  }
  await mountRootfs(layerDirs, paths)
  const volumes = await attachVolumes(input.volumes, input.body, input.image.config.Volumes, paths.merged)
  try {
    return { ...await makeBundle(input, volumes, layerDirs, remap), volumes }
  } catch (err) {
    volumes.release()
    await volumes.undo()
    throw err
  }
}

async function makeBundle ({ id, body, image, layout, init, runtime, seccomp, rootless }: ImageBundleInput, volumes: AttachedVolumes,
  layerDirs: readonly string[], remap: RemapLayers | undefined): Promise<{ spec: OciSpec, fields: ImageFields }> {
  const host = body.HostConfig ?? {}
  const paths = layout.rootfs(id)
  const merged = mergeImageConfig(image.config, body)
  const healthcheck = mergeHealthConfig(image.config.Healthcheck, body.Healthcheck)
  // Docker's default user is root, with root's groups from the image's group file.
  const user = await resolveUserIn(paths.merged, merged.User !== '' ? merged.User : '0', host.GroupAdd ?? [])
  const files = layout.etcFiles(id)
  const spec = specFor(remap, dockerSpec({
    id, body, image: image.config, rootfs: paths.merged, user, files, volumes: volumes.binds,
    ...(host.Init === true ? { init } : {}),
    ...(rootless ? { pingGroupRange: `0 ${lastMappedGid()}` } : { cgroupsPath: cgroupsPathOf(id, host) }),
    runtime,
    seccomp
  }))
  await checkPropagation(spec.mounts)
  // Docker makes the working dir when the image lacks it; inside the rootfs, whatever symlinks lie on the way.
  // Under --userns-remap it is the remapped root's, as Docker makes it (moby MkdirAllAndChownNew with the root pair).
  mkdirInRootfs(paths.merged, spec.process.cwd, remap !== undefined ? { uid: remap.userns.rootUid, gid: remap.userns.rootGid } : undefined)
  const hostname = spec.hostname ?? id.slice(0, 12)
  await writeFile(files.hostname, `${hostname}\n`)
  const hostNetwork = host.NetworkMode === 'host'
  const hostFile = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '')
  await writeFile(files.hosts, hostsFile(hostname, host.ExtraHosts, hostNetwork ? await hostFile('/etc/hosts') : undefined))
  await writeFile(files.resolvConf, resolvConf(await hostFile('/etc/resolv.conf'), { dns: host.Dns, dnsSearch: host.DnsSearch, dnsOptions: host.DnsOptions, hostNetwork }))
  if (remap !== undefined) await ownForRemap(remap.userns, [files.hostname, files.hosts, files.resolvConf])
  const bundle = layout.imageBundle(id)
  // The same 400 a user's bundle without a command gets.
  checkProcess(bundle, spec)
  await mkdir(bundle, { recursive: true })
  await writeBundle(bundle, spec)
  const fields: ImageFields = {
    bundle,
    labels: merged.Labels,
    tty: body.Tty === true,
    openStdin: body.OpenStdin === true,
    stdinOnce: body.StdinOnce === true,
    ...(Array.isArray(host.ConsoleSize) && host.ConsoleSize[0]! > 0 ? { consoleSize: host.ConsoleSize as [number, number] } : {}),
    path: spec.process.args[0] ?? '',
    args: spec.process.args.slice(1),
    // Docker's Config.Env: as the client sent it, merged with the image's; the process's own additions (PATH, HOSTNAME) are the spec's.
    env: merged.Env,
    cwd: spec.process.cwd,
    hostname: spec.hostname ?? '',
    user: merged.User,
    image: image.id,
    imageName: body.Image ?? '',
    entrypoint: merged.Entrypoint,
    cmd: merged.Cmd,
    layerDirs: [...layerDirs],
    ...(remap !== undefined ? { userns: { uidMap: mapText(remap.userns.uidMappings), gidMap: mapText(remap.userns.gidMappings) } } : {}),
    createBody: body as Record<string, unknown>,
    autoRemove: host.AutoRemove === true,
    restartPolicy: parseRestartPolicy(host.RestartPolicy),
    ...(merged.StopSignal !== '' ? { stopSignal: merged.StopSignal } : {}),
    ...(typeof body.StopTimeout === 'number' ? { stopTimeout: body.StopTimeout } : {}),
    ...(volumes.points.length > 0 ? { volumes: volumes.points } : {}),
    ...(healthcheck !== undefined ? { healthcheck } : {})
  }
  return { spec, fields }
}

/** Docker's refusal of a shared or slave bind whose source's mount cannot propagate (moby ensureShared), on the host's mount table. */
async function checkPropagation (mounts: OciMount[]): Promise<void> {
  const asked = (m: OciMount): string => m.options.find(o => PROPAGATIONS.includes(o)) ?? 'rprivate'
  const binds = mounts.filter(m => m.type === 'bind' && !/private$/.test(asked(m)))
  if (binds.length === 0) return
  const info = await readFile('/proc/self/mountinfo', 'utf8')
  for (const m of binds) {
    // A source that is not there fails at start with the runtime's message, as before.
    const source = await realpath(m.source).catch(() => undefined)
    const problem = source === undefined ? undefined : propagationProblem(info, source, asked(m))
    if (problem !== undefined) throw invalid(problem)
  }
}
