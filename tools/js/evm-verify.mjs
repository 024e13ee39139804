// evm-verify.mjs compiles a Groth16 verifier contract exported by Sable (gnark's
// template, contract `Verifier`) with solc-js, deploys it in an in-process EVM
// (@ethereumjs/evm) and calls verifyProof(bytes proof, uint256[N] input) once
// per case file.
//
//   node evm-verify.mjs Verifier.sol case.json [case.json ...]
//
// A case file is {"proof": "0x<256 bytes hex>", "input": ["<decimal>", ...]}.
// For each case one line is printed: "true gas=<used>" when the call returned,
// "false revert=0x<data>" when it reverted. The exit status is 0 unless the
// tool itself failed (bad arguments, compile error, deployment failure).
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { createRequire } from 'node:module'
import { createEVM } from '@ethereumjs/evm'

const require = createRequire(import.meta.url)
const solc = require('solc')

const GAS_LIMIT = 30_000_000n

function die(msg) {
  process.stderr.write(`evm-verify: ${msg}\n`)
  process.exit(2)
}

function compile(path) {
  const name = basename(path)
  const input = {
    language: 'Solidity',
    sources: { [name]: { content: readFileSync(path, 'utf8') } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { Verifier: ['abi', 'evm.bytecode.object', 'evm.methodIdentifiers'] } },
    },
  }
  const out = JSON.parse(solc.compile(JSON.stringify(input)))
  const errors = (out.errors || []).filter((e) => e.severity === 'error')
  if (errors.length > 0) die(`solc ${solc.version()}:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
  const c = out.contracts?.[name]?.Verifier
  if (!c) die(`no contract Verifier in ${path}`)
  const sig = Object.keys(c.evm.methodIdentifiers).find((s) => s.startsWith('verifyProof(bytes,uint256['))
  if (!sig) die(`contract Verifier has no verifyProof(bytes,uint256[N])`)
  const n = Number(/uint256\[(\d+)\]/.exec(sig)[1])
  return { bytecode: hexToBytes(c.evm.bytecode.object), selector: c.evm.methodIdentifiers[sig], nInputs: n }
}

function hexToBytes(hex) {
  hex = hex.startsWith('0x') ? hex.slice(2) : hex
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) die(`bad hex string`)
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

function word(v) {
  if (v < 0n || v >= 1n << 256n) die(`value out of uint256 range: ${v}`)
  return v.toString(16).padStart(64, '0')
}

// ABI encoding of verifyProof(bytes proof, uint256[N] input): the static
// array sits inline in the head after the offset of the dynamic bytes.
function encodeCall(selector, nInputs, proofHex, input) {
  if (!Array.isArray(input) || input.length !== nInputs) die(`case has ${input?.length} inputs, contract wants ${nInputs}`)
  const proof = proofHex.startsWith('0x') ? proofHex.slice(2) : proofHex
  const proofLen = proof.length / 2
  let data = selector
  data += word(BigInt(32 * (1 + nInputs)))
  for (const x of input) data += word(BigInt(x))
  data += word(BigInt(proofLen))
  data += proof.padEnd(Math.ceil(proofLen / 32) * 64, '0')
  return hexToBytes(data)
}

async function main() {
  const [solPath, ...cases] = process.argv.slice(2)
  if (!solPath || cases.length === 0) die('usage: node evm-verify.mjs Verifier.sol case.json [case.json ...]')
  const { bytecode, selector, nInputs } = compile(solPath)

  const evm = await createEVM()
  const deployed = await evm.runCall({ data: bytecode, gasLimit: GAS_LIMIT })
  if (deployed.execResult.exceptionError || !deployed.createdAddress) {
    die(`deployment failed: ${deployed.execResult.exceptionError?.error}`)
  }
  const to = deployed.createdAddress
  const code = await evm.stateManager.getCode(to)
  if (code.length === 0) die('deployment left no code')

  for (const path of cases) {
    const c = JSON.parse(readFileSync(path, 'utf8'))
    const res = await evm.runCall({ to, data: encodeCall(selector, nInputs, c.proof, c.input), gasLimit: GAS_LIMIT })
    const r = res.execResult
    if (r.exceptionError) {
      console.log(`false revert=0x${Buffer.from(r.returnValue).toString('hex')} (${r.exceptionError.error})`)
    } else {
      console.log(`true gas=${r.executionGasUsed}`)
    }
  }
}

main().catch((e) => die(e?.stack || String(e)))
