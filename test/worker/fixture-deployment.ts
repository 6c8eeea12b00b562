/** Writes a deployment record (sdk/deployments.ts schema) for a fixture protocol. */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { writeDeployment } from "../../sdk/deployments.ts";
import { sha256File } from "../../worker/artifacts.ts";
import { BINDING_BYTES, CIRCUIT_DIR, CIRCUIT_ID, type Protocol } from "./fixture.ts";

export async function writeFixtureDeployment(p: Protocol, path: string, deployer: string): Promise<string> {
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
