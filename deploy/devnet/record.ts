/** Writes a deployment record (sdk/deployments.ts schema) for a fixture protocol. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Wallet } from "ethers";
import { pathToFileURL } from "node:url";
import { sha256File, writeDeployment } from "../../sdk/node.ts";
import { BINDING_BYTES, CIRCUIT_DIR, circuitIdFor, devKey, type Protocol } from "./protocol.ts";

/**
 * Writes the record to `path` (default: a fresh temp folder's `31337.local.json`); the deployer is
 * the fixture's admin, dev account 0; `circuit` is the one the fixture registered (default
 * binding_test).
 */
export async function writeFixtureDeployment(
  p: Protocol,
  path = join(mkdtempSync(join(tmpdir(), "pw-dep-")), "31337.local.json"),
  deployer = new Wallet(devKey(0)).address,
  circuit: { name: string; numPublic: number; inputBytes: number } = {
    name: "binding_test",
    numPublic: 2,
    inputBytes: BINDING_BYTES,
  },
): Promise<string> {
  const { name } = circuit;
  const id = circuitIdFor(name);
  const verifier = (await p.registry.getFunction("getCircuit")(id)) as { verifier: string };
  const file = (n: string) => join(dirname(CIRCUIT_DIR), name, n);
  return writeDeployment(path, {
    chainId: 31337,
    network: "localhost",
    startBlock: p.startBlock,
    deployer,
    deployedAt: new Date().toISOString(),
    contracts: p.addresses,
    circuits: {
      [name]: {
        id,
        name,
        verifier: verifier.verifier,
        numPublic: circuit.numPublic,
        inputBytes: circuit.inputBytes,
        vkHash: await sha256File(file("verification_key.json")),
        zkeyHash: await sha256File(file(`${name}.zkey`)),
        wasmHash: await sha256File(file(`${name}.wasm`)),
        zkeyUri: pathToFileURL(file(`${name}.zkey`)).href,
        wasmUri: pathToFileURL(file(`${name}.wasm`)).href,
        vkUri: pathToFileURL(file("verification_key.json")).href,
      },
    },
  });
}
