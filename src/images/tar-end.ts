/**
 * The end of a tar the docker CLI truncates. For `docker build -f` of a
 * Dockerfile outside the context (and `-f -`), the CLI appends the Dockerfile
 * to the context tar with its ReplaceFileTarWrapper, which closes its pipe
 * before the tar writer: the last entry's padding and the end-of-archive
 * blocks never arrive. Docker's daemon takes such a tar; so does berth, by
 * supplying exactly those missing bytes. A tar cut anywhere else (inside a
 * header or an entry's data) is passed on as it is, and fails as before.
 */
import { Transform } from 'node:stream'

const BLOCK = 512

/** An entry's data size from its header: octal, or GNU's base-256 when the top bit is set. */
function entrySize (header: Buffer): number {
  const field = header.subarray(124, 136)
  if ((field[0]! & 0x80) !== 0) {
    let n = field[0]! & 0x7f
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!
    return n
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim()
  return text === '' ? 0 : parseInt(text, 8)
}

/** Passes a tar through, following its entries; at the end adds the padding and end blocks a truncated last entry lacks. */
export function completeTarEnd (): Transform {
  let header = Buffer.alloc(0)
  let data = 0 // bytes of the current entry's data still to come
  let pad = 0 // then bytes of its padding
  let ended = false // an all-zero block: the archive's end
  let entries = 0
  return new Transform({
    transform (chunk: Buffer, _enc, cb) {
      let i = 0
      while (i < chunk.length && !ended) {
        if (data > 0 || pad > 0) {
          const n = Math.min(data + pad, chunk.length - i)
          const fromData = Math.min(data, n)
          data -= fromData
          pad -= n - fromData
          i += n
          continue
        }
        const take = chunk.subarray(i, i + BLOCK - header.length)
        header = Buffer.concat([header, take])
        i += take.length
        if (header.length < BLOCK) continue
        if (header.every(b => b === 0)) ended = true
        else {
          const size = entrySize(header)
          data = size
          pad = (BLOCK - size % BLOCK) % BLOCK
          entries++
        }
        header = Buffer.alloc(0)
      }
      cb(null, chunk)
    },
    flush (cb) {
      // Only a tar cut just after an entry's data, or just after an entry, is completed.
      if (!ended && entries > 0 && data === 0 && header.length === 0) this.push(Buffer.alloc(pad + 2 * BLOCK))
      cb()
    }
  })
}
