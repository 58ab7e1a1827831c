/**
 * Docker's `HostConfig.SecurityOpt` (moby daemon_unix.go parseSecurityOpt):
 * `no-new-privileges[=bool]`, `seccomp=unconfined|builtin|<profile JSON>`
 * (the docker CLI reads `--security-opt seccomp=FILE` and sends the file's
 * JSON inline), `apparmor=`, `label=`. `key:value` is the old spelling.
 * berth applies no AppArmor profile and no SELinux label (this kernel has
 * neither): asking for one is refused, rather than ignored as dockerd does
 * on such a host; asking for none is accepted.
 */
import { invalid } from '../errors.js'
import { parseProfile, type SeccompAsked } from './seccomp.js'

/** The container's security options, checked. */
export interface SecurityOptions {
  noNewPrivileges: boolean
  seccomp: SeccompAsked
}

// Go's strconv.ParseBool, which moby uses for no-new-privileges.
const TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True']
const FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False']

/** Splits `key=value` (or the old `key:value`) at its first separator, as moby does. */
function cut (opt: string): [string, string] | undefined {
  const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : undefined
  if (sep === undefined) return undefined
  const i = opt.indexOf(sep)
  return [opt.slice(0, i), opt.slice(i + 1)]
}

const shown = (opt: string): string => JSON.stringify(opt.length > 80 ? `${opt.slice(0, 77)}...` : opt)

/** Parses SecurityOpt; bad or unsupported options are 400s with moby's wording where it has one. */
export function securityOptions (opts: readonly string[]): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, seccomp: undefined }
  for (const opt of opts) {
    if (opt === 'no-new-privileges') { out.noNewPrivileges = true; continue }
    if (opt === 'disable') continue // label=disable's short form: there is no SELinux label to drop
    const kv = cut(opt)
    if (kv === undefined) throw invalid(`invalid --security-opt 1: ${shown(opt)}`)
    const [k, v] = kv
    switch (k) {
      case 'no-new-privileges':
        if (TRUE.includes(v)) out.noNewPrivileges = true
        else if (FALSE.includes(v)) out.noNewPrivileges = false
        else throw invalid(`invalid --security-opt 2: ${shown(opt)}`)
        break
      case 'seccomp':
        if (v === '' || v === 'unconfined' || v === 'builtin') out.seccomp = v === '' ? undefined : v
        else {
          try { out.seccomp = parseProfile(v) } catch (err) {
            // A path sent over the API by hand: the docker CLI would have sent the file's contents.
            const hint = v.startsWith('/') ? ' (send the profile\'s JSON, as the docker CLI does with --security-opt seccomp=FILE, not its path)' : ''
            throw invalid(`${(err as Error).message}${hint}`, err)
          }
        }
        break
      case 'apparmor':
        if (v !== 'unconfined') throw invalid(`invalid --security-opt ${shown(opt)}: berth applies no AppArmor profile (only apparmor=unconfined is accepted)`)
        break
      case 'label':
        if (v !== 'disable') throw invalid(`invalid --security-opt ${shown(opt)}: berth applies no SELinux label (only label=disable is accepted)`)
        break
      default:
        throw invalid(`invalid --security-opt 2: ${shown(opt)}`)
    }
  }
  return out
}
