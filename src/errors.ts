/**
 * The one registry of berth's errors. Every error has a stable `code`; callers
 * match on the code, and the API maps codes to HTTP statuses in one place
 * (src/api/errors.ts). Messages follow Docker's wording where Docker has one.
 */

/** Stable error codes, one per category a client can act on. */
export type ErrorCode =
  | 'INVALID_ARGUMENT' // 400
  | 'UNAUTHORIZED' //     401: a registry refused the credentials given
  | 'FORBIDDEN' //        403: the container's rootfs may not be written
  | 'NOT_FOUND' //        404
  | 'CONFLICT' //         409
  | 'TOO_LARGE' //        413: a request body over a daemon limit (a build context)
  | 'NOT_MODIFIED' //     304
  | 'NOT_IMPLEMENTED' //  501: asked of a feature the container was made without (Docker's NotImplemented)
  | 'RUNTIME' //          500: the OCI runtime or the monitor failed
  | 'INTERNAL' //         500

/** Base class of every error berth raises on purpose. */
export class BerthError extends Error {
  readonly code: ErrorCode
  constructor (code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = 'BerthError'
  }
}

/** Bad input: a malformed request, a bad name, a bundle that cannot be used. */
export const invalid = (message: string, cause?: unknown): BerthError =>
  new BerthError('INVALID_ARGUMENT', message, { cause })

/** Docker's wording: "No such container: x". */
export const noSuchContainer = (ref: string): BerthError =>
  new BerthError('NOT_FOUND', `No such container: ${ref}`)

/** Docker's wording: "No such image: x" (`why`, when given, follows). */
export const noSuchImage = (ref: string, why?: string): BerthError =>
  new BerthError('NOT_FOUND', `No such image: ${ref}${why !== undefined ? `: ${why}` : ''}`)

/** Docker's wording: "No such exec instance: x". */
export const noSuchExec = (id: string): BerthError =>
  new BerthError('NOT_FOUND', `No such exec instance: ${id}`)

/** Docker's 409 for a name another container has. */
/** Docker's 404 for a volume (moby volume/service: `get NAME: no such volume`). */
export const noSuchVolume = (name: string): BerthError =>
  new BerthError('NOT_FOUND', `get ${name}: no such volume`)

/** Docker's 404 for a network (moby: `network NAME not found`). */
export const noSuchNetwork = (ref: string): BerthError =>
  new BerthError('NOT_FOUND', `network ${ref} not found`)

export const nameInUse = (name: string, other: string | undefined): BerthError =>
  conflict(`Conflict. The container name "/${name}" is already in use by container "${other ?? ''}". You have to remove (or rename) that container to be able to reuse that name.`)

/** Docker's 403: a write to a read-only rootfs. */
export const forbidden = (message: string): BerthError => new BerthError('FORBIDDEN', message)

/** The request conflicts with the container's state or another container. */
export const conflict = (message: string): BerthError => new BerthError('CONFLICT', message)

/** Nothing to do: Docker answers 304 (start of a running container, stop of a stopped one). */
export const notModified = (message: string): BerthError => new BerthError('NOT_MODIFIED', message)

/** Docker's 501: the container was made without what is asked (logs of a container whose log driver is `none`). */
export const notImplemented = (message: string): BerthError => new BerthError('NOT_IMPLEMENTED', message)

/** The runtime or the monitor failed; the message is the runtime's own words. */
export const runtimeFailed = (message: string, cause?: unknown): BerthError =>
  new BerthError('RUNTIME', message, { cause })

/**
 * Docker's 400 for a start whose program cannot be run: the runtime's words
 * in the frame Docker's containerd task create puts them in.
 */
export const cannotRun = (runtimeMessage: string, cause?: unknown): BerthError =>
  invalid(`failed to create task for container: failed to create shim task: OCI runtime create failed: ${runtimeMessage}: unknown`, cause)

/** Docker's wording for a pull of a tag or digest the registry does not have. */
export const manifestUnknown = (ref: string, detail = 'manifest unknown'): BerthError =>
  new BerthError('NOT_FOUND', `manifest for ${ref} not found: manifest unknown: ${detail}`)

/** Docker's wording for a pull of a repository the registry does not have or will not show. */
export const pullDenied = (name: string, detail = 'denied'): BerthError =>
  new BerthError('NOT_FOUND', `pull access denied for ${name}, repository does not exist or may require 'docker login': ${detail}`)

/** Docker's wording for a push of a tag the store does not have. */
export const noLocalTag = (ref: string): BerthError =>
  new BerthError('NOT_FOUND', `An image does not exist locally with the tag: ${ref}`)

/** A registry refused the credentials given (Docker's 401 for a login or push with a wrong password). */
export const unauthorized = (message: string): BerthError => new BerthError('UNAUTHORIZED', message)

/** A registry that cannot be reached or answers what a pull cannot use (Docker's 500). */
export const registryFailed = (message: string, cause?: unknown): BerthError =>
  new BerthError('INTERNAL', message, { cause })

/** An error whose code came from elsewhere (a helper process's answer), with its message as given. */
export const withCode = (code: ErrorCode, message: string): BerthError => new BerthError(code, message)

/** True when `err` is a BerthError with the given code. */
export const hasCode = (err: unknown, code: ErrorCode): boolean =>
  err instanceof BerthError && err.code === code
