/**
 * The flags berthd's node runs with: `node ${NODE_FLAGS} dist/src/main.js`.
 * npm start, the Dockerfile, the tests and the bench all start it so.
 *
 * --max-semi-space-size=2 (MiB): V8 grows the young generation up to 16 MiB
 * a semi-space for throughput, and does not give it back; for a daemon that
 * is idle most of the time that is RSS for nothing. Measured with 50 running
 * containers under list load: RSS 116-124 MiB → 90-92 MiB, and list
 * throughput no lower (5,000 → 5,900 answers/s in the same minutes). It must
 * be a command-line flag: V8 sizes the heap before any script runs.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2']
