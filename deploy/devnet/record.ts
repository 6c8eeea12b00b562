/** Writes a deployment record (sdk/deployments.ts schema) for a fixture protocol. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { pathToFileURL } from "node:url";
import { sha256File, writeDeployment } from "../../sdk/node.ts";
import { BINDING_BYTES, CIRCUIT_DIR, CIRCUIT_ID, devKey, type Protocol } from "./protocol.ts";

/**
 * Writes the record to `path` (default: a fresh temp folder's `31337.local.json`); the deployer is
 * the fixture's admin, dev account 0.
 */
export async function writeFixtureDeployment(
  p: Protocol,
  path = join(mkdtempSync(join(tmpdir(), "pw-dep-")), "31337.local.json"),
  deployer = new Wallet(devKey(0)).address,
): Promise<string> {
  const verifier = (await p.registry.getFunction("getCircuit")(CIRCUIT_ID)) as { verifier: string };
  const file = (n: string) => join(CIRCUIT_DIR, n);
  return writeDeployment(path, {
    chainId: 31337,
    network: "localhost",
    startBlock: p.startBlock,
    deployer,
    deployedAt: new Date().toISOString(),
    contracts: p.addresses,
    circuits: {
      binding_test: {
        id: CIRCUIT_ID,
        name: "binding_test",
        verifier: verifier.verifier,
        numPublic: 2,
        inputBytes: BINDING_BYTES,
        vkHash: await sha256File(file("verification_key.json")),
        zkeyHash: await sha256File(file("binding_test.zkey")),
        wasmHash: await sha256File(file("binding_test.wasm")),
        zkeyUri: pathToFileURL(file("binding_test.zkey")).href,
        wasmUri: pathToFileURL(file("binding_test.wasm")).href,
        vkUri: pathToFileURL(file("verification_key.json")).href,
      },
    },
  });
}
