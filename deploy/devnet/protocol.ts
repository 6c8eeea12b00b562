/**
 * The development network's protocol (tests, benchmarks, the web app's tests): deploys with plain
 * ethers (works on the in-process chain and on `hardhat node`),
 * registers the binding_test circuit with its real generated verifier and artifacts, funds and
 * stakes providers, and posts jobs.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  Contract,
  ContractFactory,
  HDNodeWallet,
  Mnemonic,
  NonceManager,
  Wallet,
  ZeroHash,
  keccak256,
  parseEther,
  toUtf8Bytes,
  type Provider,
  type Signer,
} from "ethers";
import { commitInput, readBuiltCircuit, sha256File, type Deployment } from "../../sdk/node.ts";

type Addresses = Deployment["contracts"];

const ROOT = join(import.meta.dirname, "..", "..");
export const BINDING_BYTES = 62;
export const CIRCUIT_DIR = join(ROOT, "build", "circuits", "binding_test");
export const CIRCUIT_ID = circuitIdFor("binding_test");

/** The id the fixture registers a circuit under. */
export function circuitIdFor(name: string): string {
  return keccak256(toUtf8Bytes(`proofwork.${name}.v1`));
}

/** Hardhat's default accounts (same mnemonic in-process and for `hardhat node`). */
export function devKey(i: number): string {
  const m = Mnemonic.fromPhrase("test test test test test test test test test test test junk");
  return HDNodeWallet.fromMnemonic(m, `m/44'/60'/0'/0/${i}`).privateKey;
}

function artifact(path: string): { abi: unknown[]; bytecode: string } {
  return JSON.parse(readFileSync(join(ROOT, "artifacts", "contracts", path), "utf8")) as {
    abi: unknown[];
    bytecode: string;
  };
}

async function deploy(path: string, signer: Signer, ...args: unknown[]): Promise<Contract> {
  const a = artifact(path);
  const f = new ContractFactory(a.abi as never[], a.bytecode, signer);
  const c = await f.deploy(...args);
  await c.waitForDeployment();
  return c as Contract;
}

export interface Protocol {
  provider: Provider;
  addresses: Addresses;
  startBlock: number;
  token: Contract;
  staking: Contract;
  registry: Contract;
  market: Contract;
  requester: Signer;
  requesterAddress: string;
  /** Keys of the staked, registered providers. */
  providerKeys: string[];
  collateral: bigint;
}

export interface ProtocolOptions {
  providers?: number;
  /**
   * Register this built circuit instead of binding_test (e.g. `mnist_mlp_full_b1`); its id is
   * `circuitIdFor(name)`.
   */
  circuit?: { name: string; numPublic: number };
  /** Register the circuit with these hashes instead of the real ones (artifact mismatch tests). */
  wasmHash?: string;
}

const U = (i: number, p: Provider): Signer => new NonceManager(new Wallet(devKey(i), p));

/** Deploys and sets up everything. Accounts: 0 admin, 1 requester, 2.. providers. */
export async function deployProtocol(provider: Provider, opts: ProtocolOptions = {}): Promise<Protocol> {
  const admin = U(0, provider);
  const adminAddr = await admin.getAddress();
  const startBlock = await provider.getBlockNumber();
  const token = await deploy("token/TestToken.sol/TestToken.json", admin, "Test Token", "TST");
  const unbonding = 12 * 24 * 3600;
  const registry = await deploy("CircuitRegistry.sol/CircuitRegistry.json", admin, adminAddr);
  const batchCode = artifact("BatchMarket.sol/BatchMarket.json").bytecode;
  const market = await deploy(
    "JobMarket.sol/JobMarket.json",
    admin,
    await token.getAddress(),
    await registry.getAddress(),
    adminAddr,
    adminAddr,
    { feeBps: 100, slashRequesterBps: 5000, slashBountyBps: 1000 },
    { minStake: parseEther("1"), unbondingPeriod: unbonding, jailThreshold: 3, jailPeriod: 24 * 3600 },
    keccak256(batchCode),
  );
  // The market deployed its own staking contract (bound to it) and deploys the batch market, the
  // staking contract's second market, from the creation code whose hash it was built with.
  await (await market.getFunction("deployBatchMarket")(batchCode)).wait();
  const batchMarket = (await market.getFunction("batchMarket")()) as string;
  const staking = new Contract(
    (await market.getFunction("staking")()) as string,
    artifact("ComputeStaking.sol/ComputeStaking.json").abi as never[],
    admin,
  );
  const circuit = opts.circuit ?? { name: "binding_test", numPublic: 2 };
  const circuitDir = join(ROOT, "build", "circuits", circuit.name);
  const contractName = `${circuit.name
    .split("_")
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("")}Verifier`;
  const verifier = await deploy(`generated/${contractName}.sol/${contractName}.json`, admin);
  const selector = (await registry.getFunction("snarkjsSelector")(circuit.numPublic)) as string;
  await (
    await registry.getFunction("registerCircuit")(circuitIdFor(circuit.name), {
      verifier: await verifier.getAddress(),
      selector,
      numPublic: circuit.numPublic,
      active: true,
      // the circuit's model, as published next to it by the build (zero: no model)
      modelCommitment:
        readBuiltCircuit(circuit.name, join(ROOT, "build", "circuits")).model?.artifactHash ?? ZeroHash,
      zkeyHash: await sha256File(join(circuitDir, `${circuit.name}.zkey`)),
      wasmHash: opts.wasmHash ?? (await sha256File(join(circuitDir, `${circuit.name}.wasm`))),
      artifactsURI: pathToFileURL(circuitDir).href + "/",
    })
  ).wait();

  const collateral = parseEther("10");
  const providerKeys: string[] = [];
  for (let i = 0; i < (opts.providers ?? 1); i++) {
    const key = devKey(2 + i);
    const p = U(2 + i, provider);
    const addr = await p.getAddress();
    await (await token.connect(admin).getFunction("faucet")(addr, parseEther("1000"))).wait();
    await (
      await token.connect(p).getFunction("approve")(await staking.getAddress(), parseEther("1000"))
    ).wait();
    await (await staking.connect(p).getFunction("stake")(parseEther("100"))).wait();
    await (
      await staking.connect(p).getFunction("register")({
        gpuModel: "cpu",
        memoryMB: 1024,
        backends: 3,
        maxConcurrentJobs: 16,
        metadataURI: "",
      })
    ).wait();
    providerKeys.push(key);
  }
  const requester = U(1, provider);
  const requesterAddress = await requester.getAddress();
  await (await token.connect(admin).getFunction("faucet")(requesterAddress, parseEther("100000"))).wait();
  await (
    await token.connect(requester).getFunction("approve")(await market.getAddress(), parseEther("100000"))
  ).wait();
  return {
    provider,
    addresses: {
      market: await market.getAddress(),
      staking: await staking.getAddress(),
      registry: await registry.getAddress(),
      token: await token.getAddress(),
      batchMarket,
    },
    startBlock,
    token,
    staking,
    registry,
    market,
    requester,
    requesterAddress,
    providerKeys,
    collateral,
  };
}

export interface PostOptions {
  input?: Uint8Array;
  /** Commitment to post (default: the input's real one). */
  commitment?: bigint;
  circuitId?: string;
  /** Publish the input only at this URI (the input bytes still define the commitment). */
  inputURI?: string;
  executionWindow?: number;
  claimWindow?: number;
  price?: bigint;
}

/** Posts a job; returns its id and input. */
export async function postJob(
  p: Protocol,
  o: PostOptions = {},
): Promise<{ jobId: bigint; input: Uint8Array }> {
  const input = o.input ?? new Uint8Array(randomBytes(BINDING_BYTES));
  const commitment = o.commitment ?? (await commitInput(input));
  const block = await p.provider.getBlock("latest");
  const price = o.price ?? parseEther("5");
  const params = {
    circuitId: o.circuitId ?? CIRCUIT_ID,
    inputCommitment: commitment,
    input: o.inputURI === undefined ? input : "0x",
    inputURI: o.inputURI ?? "",
    minPrice: price,
    maxPrice: price,
    rampDuration: 0,
    collateral: p.collateral,
    claimDeadline: block!.timestamp + (o.claimWindow ?? 3600),
    executionWindow: o.executionWindow ?? 600,
    verificationMode: 0,
  };
  const m = p.market.connect(p.requester) as Contract;
  const jobId = BigInt((await m.getFunction("nextJobId")()) as bigint);
  await (await m.getFunction("postJob")(params)).wait();
  return { jobId, input };
}

/** Polls `cond` until true (no fixed sleeps: bounded by `timeoutMs`). */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 120_000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
