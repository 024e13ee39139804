// snarkjs-alphabeta.mjs checks the vk_alphabeta_12 field of a snarkjs Groth16
// verifying key against the pairing e(vk_alpha_1, vk_beta_2) computed by
// ffjavascript, the library snarkjs itself uses. `snarkjs groth16 verify` does
// not read the field, but snarkjs's own exported keys carry it and other
// tools may use it.
//
//   node snarkjs-alphabeta.mjs vk.json
//
// Prints "ok" and exits 0 on a match; prints "mismatch" and exits 1 otherwise.
import { readFileSync } from 'node:fs'
import { buildBn128, utils } from 'ffjavascript'

const path = process.argv[2]
if (!path) {
  process.stderr.write('usage: node snarkjs-alphabeta.mjs vk.json\n')
  process.exit(2)
}
const vk = utils.unstringifyBigInts(JSON.parse(readFileSync(path, 'utf8')))
const curve = await buildBn128(true) // single-threaded: no worker pool to tear down
try {
  const alpha = curve.G1.fromObject(vk.vk_alpha_1)
  const beta = curve.G2.fromObject(vk.vk_beta_2)
  const want = curve.pairing(alpha, beta)
  const got = curve.Gt.fromObject(vk.vk_alphabeta_12)
  const ok = curve.Gt.eq(want, got)
  console.log(ok ? 'ok' : 'mismatch')
  process.exitCode = ok ? 0 : 1
} finally {
  await curve.terminate()
}
