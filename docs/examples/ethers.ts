/**
 * The same integration with ethers v6 and the SDK's requester client (docs/INTEGRATING.md): post,
 * wait for the proven result, decode it, and re-verify the proof independently — the verification
 * key fetched from the circuit's published artifacts and trusted through the registered verifier.
 * Run by `test/docs/examples.test.ts` against a local node and a worker.
 */
import { JsonRpcProvider, Wallet, parseEther } from "ethers";
import { RequesterClient, fetchArtifact, verifyResult, type Deployment } from "../../sdk/node.ts";

export async function postAndVerifyWithEthers(
  rpcUrl: string,
  deployment: Deployment,
  privateKey: string,
  circuit: string,
  input: Uint8Array,
): Promise<{ jobId: bigint; outputs: bigint[]; verified: boolean }> {
  const provider = new JsonRpcProvider(rpcUrl);
  const client = new RequesterClient(deployment, new Wallet(privateKey, provider), { pollIntervalMs: 250 });
  // escrow by EIP-2612 permit (one signature) when the allowance is short
  const posted = await client.postJob({ circuit, input, pricing: { price: parseEther("2") } });
  const result = await client.waitForResult(posted.jobId, { timeoutMs: 300_000 });
  // `fetchArtifact` reads file:// artifacts too (Node); a browser passes its own fetcher
  const report = await verifyResult(client, posted.jobId, { fetch: fetchArtifact });
  provider.destroy();
  return { jobId: posted.jobId, outputs: result.outputs, verified: report.valid };
}
