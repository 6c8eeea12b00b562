/**
 * BatchMarket (docs/BATCH.md) on the in-process chain with REAL Groth16 proofs of the
 * `mnist_mlp_small_b1` circuit over real held-out digits: every state transition, every revert
 * (custom errors), a cheating provider slashed when a sampled output is faked, a faked index that
 * sampling missed caught by a challenge, an answered challenge paying its bonds, and the SDK's
 * derivations (indices, commitments, header, jobKey) equal to the contract's.
 *
 * EDR's `mixHash` of a block depends only on its number (not on its transactions; checked where
 * used), so a test can learn which indices a commit at the next block will draw by committing once
 * in a snapshot, and then fake exactly an index that is (or is not) drawn.
 */
import { expect } from "chai";
import { keccak256, toBeHex } from "ethers";
import { network } from "hardhat";
import {
  BatchStatus,
  MAX_BATCH_SAMPLES,
  batchCommitment,
  batchJobKey,
  batchKeyHash,
  batchPriceAt,
  batchSeed,
  blockHeaderRlp,
  sampleIndices,
  type BatchMerkleTree,
  type BatchRecord,
  type BatchSampleProof,
  type BatchStatusValue,
  type BatchTerms,
  type PostBatchParams,
  type RawBlock,
} from "../../sdk/batch.ts";
import { computeJobKey } from "../../sdk/field.ts";
import { releaseCurves } from "../../circuits/pipeline.ts";
import {
  BATCH_CIRCUIT,
  batchRecordOf,
  batchTermsOf,
  committedTree,
  drawnIndices,
  fakeOutputs,
  headerOf,
  loadBatchDataset,
  sampleProofs,
  type BatchDataset,
} from "../helpers/batch.ts";
import { DAY, E18, HOUR, PROVIDER_STAKE, R, deployProtocol, emptyCircuit, now } from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time, mine } = networkHelpers;

const N = 12;
const K = 4;
const M = 3;
const PRICE = 100n * E18;
const COLLATERAL = 200n * E18;
const BOND = 2n * E18;
const SAMPLE_DELAY = 4;
const BATCH_CIRCUIT_ID = ethers.id(`proofwork/${BATCH_CIRCUIT}`);

let ds: BatchDataset;

describe("BatchMarket (real proofs of mnist_mlp_small_b1)", function () {
  before(async function () {
    ds = await loadBatchDataset(N);
  });
  after(releaseCurves);

  async function fixture() {
    const p = await deployProtocol(ethers);
    const verifier = await ethers.deployContract("MnistMlpSmallB1Verifier");
    await p.registry.registerCircuit(
      BATCH_CIRCUIT_ID,
      emptyCircuit(await verifier.getAddress(), await p.registry.snarkjsSelector(3), 3),
    );
    return p;
  }
  type P = Awaited<ReturnType<typeof fixture>>;

  function params(t: number, over: Partial<PostBatchParams> = {}): PostBatchParams {
    return {
      circuitId: BATCH_CIRCUIT_ID,
      keyHash: batchKeyHash(ds.key),
      slots: 0,
      treeDepth: 0,
      inputsRoot: ds.inputs_.root,
      inputsHash: keccak256(ds.inputsFile),
      inputsURI: "file:///batches/digits.bin",
      numSamples: N,
      sampleSize: K,
      maxChallenges: M,
      challengeBond: BOND,
      minPrice: PRICE,
      maxPrice: PRICE,
      rampDuration: 0,
      collateral: COLLATERAL,
      claimDeadline: t + HOUR,
      commitWindow: HOUR,
      proveWindow: HOUR,
      challengeWindow: HOUR,
      answerWindow: HOUR,
      ...over,
    };
  }

  /** A job and what the test knows about it. */
  interface Job {
    p: P;
    jobId: bigint;
    terms: BatchTerms;
    record: BatchRecord;
    tree: BatchMerkleTree;
    claimedOutputs: bigint[][];
    jobKey: bigint;
  }

  async function posted(over: Partial<PostBatchParams> = {}): Promise<Job> {
    const p = await loadFixture(fixture);
    await p.batchMarket.connect(p.requester).postBatch(params(await now(networkHelpers), over));
    const jobId = (await p.batchMarket.nextJobId()) - 1n;
    return {
      p,
      jobId,
      terms: await batchTermsOf(p.batchMarket, jobId),
      record: await batchRecordOf(p.batchMarket, jobId),
      tree: committedTree(ds),
      claimedOutputs: ds.outputs,
      jobKey: 0n,
    };
  }

  async function claimed(over: Partial<PostBatchParams> = {}): Promise<Job> {
    const j = await posted(over);
    await j.p.batchMarket.connect(j.p.provider).claim(j.jobId, j.terms);
    j.record = await batchRecordOf(j.p.batchMarket, j.jobId);
    j.jobKey = await j.p.batchMarket.jobKey(j.jobId, j.p.provider.address);
    return j;
  }

  /** Commits `outputs` (default: the true ones) and mines up to the sample block. */
  async function committed(over: Partial<PostBatchParams> = {}, outputs?: bigint[][]): Promise<Job> {
    const j = await claimed(over);
    await commitOutputs(j, outputs ?? ds.outputs);
    return j;
  }

  async function commitOutputs(j: Job, outputs: bigint[][]) {
    j.claimedOutputs = outputs;
    j.tree = committedTree(ds, outputs);
    await j.p.batchMarket
      .connect(j.p.provider)
      .commit(j.jobId, j.terms, j.record.claimedAt, j.tree.root, keccak256("0x01"), "file:///outputs.bin");
    j.record = await batchRecordOf(j.p.batchMarket, j.jobId);
    await mine(SAMPLE_DELAY);
  }

  async function drawn(j: Job) {
    return drawnIndices(ethers, j.p.batchMarket, j.jobId, j.terms, j.record.sampleBlock);
  }

  async function proofsOf(j: Job, indices: readonly number[]): Promise<BatchSampleProof[]> {
    return sampleProofs(ds, j.jobKey, indices, j.tree, j.claimedOutputs);
  }

  async function proven(over: Partial<PostBatchParams> = {}): Promise<Job & { indices: number[] }> {
    const j = await committed(over);
    const { indices, header } = await drawn(j);
    await j.p.batchMarket
      .connect(j.p.provider)
      .prove(j.jobId, j.terms, j.record, header, ds.key, await proofsOf(j, indices));
    return { ...j, indices };
  }

  async function challenged(indices: number[], over: Partial<PostBatchParams> = {}) {
    const j = await proven(over);
    await j.p.batchMarket.connect(j.p.requester).challenge(j.jobId, j.terms, j.record, indices);
    j.record = await batchRecordOf(j.p.batchMarket, j.jobId);
    return j;
  }

  async function expectStatus(j: Job, status: BatchStatusValue) {
    const slot = await j.p.batchMarket.getBatch(j.jobId);
    expect(Number(slot.status)).to.equal(status);
    if (status !== BatchStatus.Slashed) {
      expect(slot.commitment).to.equal(batchCommitment(j.terms, status, j.record));
    }
  }

  // ═══════════════════════════════════════ deployment ═══════════════════════════════════════════

  describe("deployment", function () {
    it("test_deployment_batchMarketSharesTheProtocolAndIsTheStakingsSecondMarket", async function () {
      const { market, batchMarket, staking, registry, token } = await loadFixture(fixture);
      const b = await batchMarket.getAddress();
      expect(await market.batchMarket()).to.equal(b);
      expect(await staking.batchMarket()).to.equal(b);
      expect(await batchMarket.jobMarket()).to.equal(await market.getAddress());
      expect(await batchMarket.staking()).to.equal(await staking.getAddress());
      expect(await batchMarket.registry()).to.equal(await registry.getAddress());
      expect(await batchMarket.token()).to.equal(await token.getAddress());
      expect(await ethers.provider.getCode(await batchMarket.verifier())).to.not.equal("0x");
      expect(await batchMarket.nextJobId()).to.equal(1n);
      expect([...(await batchMarket.bounds())]).to.deep.equal([
        4n,
        64n,
        32n,
        7n * BigInt(DAY),
        60n,
        2n * BigInt(DAY),
      ]);
    });

    it("test_deployBatchMarket_refusesOtherCodeAndASecondDeployment", async function () {
      const { market, batchMarket } = await loadFixture(fixture);
      const code = (await ethers.getContractFactory("BatchMarket")).bytecode;
      const other = (await ethers.getContractFactory("BatchVerifier")).bytecode;
      await expect(market.deployBatchMarket(other))
        .to.be.revertedWithCustomError(market, "Market__WrongBatchMarketCode")
        .withArgs(keccak256(code), keccak256(other));
      await expect(market.deployBatchMarket(code))
        .to.be.revertedWithCustomError(market, "Market__BatchMarketDeployed")
        .withArgs(await batchMarket.getAddress());
    });

    it("test_constructor_revertsWhenNotDeployedByAMarket", async function () {
      await loadFixture(fixture);
      // deployed from an account: there is no market to read the staking contract from
      await expect(ethers.deployContract("BatchMarket")).to.be.revert(ethers);
    });
  });

  // ═══════════════════════════════════════ postBatch ════════════════════════════════════════════

  describe("postBatch", function () {
    it("test_postBatch_escrowsMaxPriceAndCommitsToTermsWithTheMarketsEconomics", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      const pp = params(t, { minPrice: 60n * E18, maxPrice: PRICE, rampDuration: 600 });
      const tx = p.batchMarket.connect(p.requester).postBatch(pp);
      await expect(tx).to.changeTokenBalances(
        ethers,
        p.token,
        [p.requester, await p.batchMarket.getAddress()],
        [-PRICE, PRICE],
      );
      await expect(tx).to.emit(p.batchMarket, "BatchPosted");
      const terms = await batchTermsOf(p.batchMarket, 1n);
      const economics = await p.market.economics();
      expect(terms).to.deep.include({
        requester: p.requester.address,
        numPublic: 3,
        keyHash: batchKeyHash(ds.vkey),
        inputsRoot: ds.inputs_.root,
        numSamples: N,
        sampleSize: K,
        maxChallenges: M,
        feeBps: Number(economics.feeBps),
        slashRequesterBps: Number(economics.slashRequesterBps),
        slashBountyBps: Number(economics.slashBountyBps),
      });
      const slot = await p.batchMarket.getBatch(1n);
      expect(Number(slot.status)).to.equal(BatchStatus.Open);
      expect(slot.commitment).to.equal(
        batchCommitment(terms, BatchStatus.Open, await batchRecordOf(p.batchMarket, 1n)),
      );
      expect(await p.batchMarket.totalEscrowed()).to.equal(PRICE);
      expect(await p.batchMarket.nextJobId()).to.equal(2n);
    });

    it("test_postBatch_revertsOnInvalidParameters", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      const b = p.batchMarket.connect(p.requester);
      const cases: [Partial<PostBatchParams>, string, unknown[]][] = [
        [{ inputsURI: "" }, "Batch__NoInputsURI", []],
        [{ numSamples: 0, sampleSize: 1 }, "Batch__InvalidSize", [0, 1, M]],
        [{ sampleSize: 0 }, "Batch__InvalidSize", [N, 0, M]],
        [{ sampleSize: N + 1 }, "Batch__InvalidSize", [N, N + 1, M]],
        [{ numSamples: 1000, sampleSize: 65 }, "Batch__InvalidSize", [1000, 65, M]],
        [{ maxChallenges: 33 }, "Batch__InvalidSize", [N, K, 33]],
        [{ minPrice: PRICE + 1n }, "Batch__InvalidPricing", [PRICE + 1n, PRICE, 0]],
        [{ minPrice: 1n }, "Batch__InvalidPricing", [1n, PRICE, 0]],
        [{ claimDeadline: t - 1 }, "Batch__InvalidClaimDeadline", [t - 1, (v: bigint) => v > t + 7 * DAY]],
        [{ commitWindow: 59 }, "Batch__InvalidWindows", [59, HOUR, HOUR, HOUR]],
        [{ answerWindow: 59 }, "Batch__InvalidWindows", [HOUR, HOUR, HOUR, 59]],
        [
          { proveWindow: 2 * DAY - 3 * HOUR + 1 },
          "Batch__InvalidWindows",
          [HOUR, 2 * DAY - 3 * HOUR + 1, HOUR, HOUR],
        ],
        [{ circuitId: ethers.id("unknown") }, "Batch__CircuitNotActive", [ethers.id("unknown")]],
      ];
      for (const [over, error, args] of cases) {
        await expect(b.postBatch(params(t, over)), error)
          .to.be.revertedWithCustomError(p.batchMarket, error)
          .withArgs(...args);
      }
      // the largest windows allowed: together exactly MAX_EXECUTION_WINDOW
      await expect(b.postBatch(params(t, { proveWindow: 2 * DAY - 3 * HOUR }))).to.emit(
        p.batchMarket,
        "BatchPosted",
      );
    });

    it("test_postBatch_revertsWhileTheJobMarketIsPausedOrTheCircuitIsInactive", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      await p.market.pause();
      await expect(p.batchMarket.connect(p.requester).postBatch(params(t))).to.be.revertedWithCustomError(
        p.batchMarket,
        "Batch__MarketPaused",
      );
      await p.market.unpause();
      await p.registry.setActive(BATCH_CIRCUIT_ID, false);
      await expect(p.batchMarket.connect(p.requester).postBatch(params(t)))
        .to.be.revertedWithCustomError(p.batchMarket, "Batch__CircuitNotActive")
        .withArgs(BATCH_CIRCUIT_ID);
    });
  });

  // ═══════════════════════════════════ cancel and reclaim ═══════════════════════════════════════

  describe("cancel and reclaim", function () {
    it("test_cancel_refundsTheRequesterOnly", async function () {
      const j = await posted();
      const { batchMarket, requester, other, token } = j.p;
      await expect(batchMarket.connect(other).cancel(j.jobId, j.terms))
        .to.be.revertedWithCustomError(batchMarket, "Batch__NotRequester")
        .withArgs(j.jobId, other.address);
      await expect(batchMarket.connect(requester).cancel(j.jobId, { ...j.terms, maxPrice: PRICE + 1n }))
        .to.be.revertedWithCustomError(batchMarket, "Batch__TermsMismatch")
        .withArgs(j.jobId);
      const tx = batchMarket.connect(requester).cancel(j.jobId, j.terms);
      await expect(tx).to.emit(batchMarket, "BatchCancelled").withArgs(j.jobId, requester.address, PRICE);
      await expect(tx).to.changeTokenBalances(ethers, token, [requester, batchMarket], [PRICE, -PRICE]);
      await expectStatus(j, BatchStatus.Cancelled);
      await expect(batchMarket.connect(requester).cancel(j.jobId, j.terms))
        .to.be.revertedWithCustomError(batchMarket, "Batch__InvalidStatus")
        .withArgs(j.jobId, BatchStatus.Cancelled);
      expect(await batchMarket.totalEscrowed()).to.equal(0n);
    });

    it("test_reclaim_afterTheClaimDeadlineOrAtOnceWhenTheCircuitIsDeactivated", async function () {
      const j = await posted();
      const { batchMarket, requester, keeper, token, registry } = j.p;
      await expect(batchMarket.connect(keeper).reclaim(j.jobId, j.terms))
        .to.be.revertedWithCustomError(batchMarket, "Batch__ClaimDeadlineNotPassed")
        .withArgs(j.jobId, j.terms.claimDeadline);
      await time.increaseTo(j.terms.claimDeadline + 1);
      await expect(batchMarket.connect(keeper).reclaim(j.jobId, j.terms)).to.changeTokenBalances(
        ethers,
        token,
        [requester, batchMarket],
        [PRICE, -PRICE],
      );
      await expectStatus(j, BatchStatus.Reclaimed);

      const k = await posted();
      await registry.setActive(BATCH_CIRCUIT_ID, false);
      await expect(batchMarket.connect(keeper).reclaim(k.jobId, k.terms))
        .to.emit(batchMarket, "BatchReclaimed")
        .withArgs(k.jobId, requester.address, PRICE);
    });
  });

  // ═══════════════════════════════════════════ claim ════════════════════════════════════════════

  describe("claim", function () {
    it("test_claim_locksCollateralFixesTheAuctionPriceAndSetsTheCommitDeadline", async function () {
      const j = await posted({ minPrice: 40n * E18, rampDuration: 1_000 });
      const { batchMarket, staking, provider } = j.p;
      await time.increaseTo(j.terms.postedAt + 250);
      const tx = batchMarket.connect(provider).claim(j.jobId, j.terms);
      const claimedAt = j.terms.postedAt + 251;
      const price = batchPriceAt(j.terms, claimedAt);
      expect(price).to.equal(40n * E18 + (60n * E18 * 251n) / 1_000n);
      const chainId = (await ethers.provider.getNetwork()).chainId;
      await expect(tx)
        .to.emit(batchMarket, "BatchClaimed")
        .withArgs(
          j.jobId,
          provider.address,
          price,
          claimedAt,
          claimedAt + HOUR,
          batchJobKey(chainId, await batchMarket.getAddress(), j.jobId, provider.address),
        );
      await expect(tx)
        .to.emit(staking, "CollateralLocked")
        .withArgs(provider.address, COLLATERAL, COLLATERAL);
      j.record = await batchRecordOf(batchMarket, j.jobId);
      await expectStatus(j, BatchStatus.Claimed);
      expect((await batchMarket.getBatch(j.jobId)).deadline).to.equal(BigInt(claimedAt + HOUR));
      expect(await batchMarket.priceAt(j.terms, claimedAt)).to.equal(price);
      expect((await staking.getProvider(provider.address)).openJobs).to.equal(1n);
    });

    it("test_claim_revertsWhenTakenLatePausedInactiveOrUnderstaked", async function () {
      const j = await posted({ collateral: PROVIDER_STAKE + 1n });
      const { batchMarket, staking, market, registry, provider, provider2 } = j.p;
      await expect(batchMarket.connect(provider).claim(j.jobId, j.terms))
        .to.be.revertedWithCustomError(staking, "Staking__InsufficientStake")
        .withArgs(PROVIDER_STAKE, PROVIDER_STAKE + 1n);
      const k = await posted();
      await market.pause();
      await expect(batchMarket.connect(provider).claim(k.jobId, k.terms)).to.be.revertedWithCustomError(
        batchMarket,
        "Batch__MarketPaused",
      );
      await market.unpause();
      await registry.setActive(BATCH_CIRCUIT_ID, false);
      await expect(batchMarket.connect(provider).claim(k.jobId, k.terms))
        .to.be.revertedWithCustomError(batchMarket, "Batch__CircuitNotActive")
        .withArgs(BATCH_CIRCUIT_ID);
      await registry.setActive(BATCH_CIRCUIT_ID, true);
      await batchMarket.connect(provider).claim(k.jobId, k.terms);
      await expect(batchMarket.connect(provider2).claim(k.jobId, k.terms))
        .to.be.revertedWithCustomError(batchMarket, "Batch__InvalidStatus")
        .withArgs(k.jobId, BatchStatus.Claimed);
      const late = await posted();
      await time.increaseTo(late.terms.claimDeadline + 1);
      await expect(batchMarket.connect(provider).claim(late.jobId, late.terms))
        .to.be.revertedWithCustomError(batchMarket, "Batch__ClaimDeadlinePassed")
        .withArgs(late.jobId, late.terms.claimDeadline);
    });
  });

  // ═══════════════════════════════════════════ commit ═══════════════════════════════════════════

  describe("commit", function () {
    it("test_commit_fixesTheSampleBlockAndTheProveDeadline", async function () {
      const j = await claimed();
      const { batchMarket, provider } = j.p;
      const root = committedTree(ds).root;
      const tx = await batchMarket
        .connect(provider)
        .commit(j.jobId, j.terms, j.record.claimedAt, root, keccak256("0x02"), "file:///out.bin");
      const receipt = (await tx.wait())!;
      const at = (await ethers.provider.getBlock(receipt.blockNumber))!.timestamp;
      await expect(tx)
        .to.emit(batchMarket, "BatchCommitted")
        .withArgs(
          j.jobId,
          provider.address,
          root,
          keccak256("0x02"),
          "file:///out.bin",
          receipt.blockNumber + SAMPLE_DELAY,
          at + HOUR,
        );
      j.record = await batchRecordOf(batchMarket, j.jobId);
      expect(j.record.sampleBlock).to.equal(receipt.blockNumber + SAMPLE_DELAY);
      await expectStatus(j, BatchStatus.Committed);
    });

    it("test_commit_revertsForAnotherCallerOrAfterTheCommitDeadline", async function () {
      const j = await claimed();
      const { batchMarket, provider, provider2 } = j.p;
      const root = committedTree(ds).root;
      // the commitment binds the claimer: anyone else's commit does not match it
      await expect(
        batchMarket.connect(provider2).commit(j.jobId, j.terms, j.record.claimedAt, root, root, ""),
      )
        .to.be.revertedWithCustomError(batchMarket, "Batch__TermsMismatch")
        .withArgs(j.jobId);
      await time.increase(HOUR + 1);
      await expect(batchMarket.connect(provider).commit(j.jobId, j.terms, j.record.claimedAt, root, root, ""))
        .to.be.revertedWithCustomError(batchMarket, "Batch__DeadlinePassed")
        .withArgs(j.jobId, j.record.claimedAt + HOUR);
    });
  });

  // ═══════════════════════════════════════════ prove ════════════════════════════════════════════

  describe("prove", function () {
    it("test_prove_realProofsOfTheDrawnSamples_contractDrawsTheIndicesTheSdkDerives", async function () {
      const j = await committed();
      const { batchMarket, provider } = j.p;
      const { indices, header, randomness } = await drawn(j);
      expect(new Set(indices).size).to.equal(K);
      const tx = await batchMarket
        .connect(provider)
        .prove(j.jobId, j.terms, j.record, header, ds.key, await proofsOf(j, indices));
      const at = (await ethers.provider.getBlock((await tx.wait())!.blockNumber))!.timestamp;
      await expect(tx)
        .to.emit(batchMarket, "BatchProven")
        .withArgs(j.jobId, provider.address, randomness, indices, at + HOUR);
      await expectStatus(j, BatchStatus.Proven);
      expect(
        await batchMarket.checkResult(
          j.jobId,
          j.terms,
          provider.address,
          j.record.claimedAt,
          j.record.outputsRoot,
        ),
      ).to.equal(true);
      expect(
        await batchMarket.checkResult(
          j.jobId,
          j.terms,
          provider.address,
          j.record.claimedAt,
          ethers.ZeroHash,
        ),
      ).to.equal(false);
    });

    it("test_prove_revertsBeforeTheSampleBlockExistsAndOnAnotherBlocksHeader", async function () {
      const j = await claimed();
      const { batchMarket, provider } = j.p;
      await batchMarket
        .connect(provider)
        .commit(j.jobId, j.terms, j.record.claimedAt, j.tree.root, ethers.ZeroHash, "");
      j.record = await batchRecordOf(batchMarket, j.jobId);
      // the prove transaction lands in sampleBlock − 3: the randomness does not exist yet
      const latest = await headerOf(ethers, await ethers.provider.getBlockNumber());
      await expect(batchMarket.connect(provider).prove(j.jobId, j.terms, j.record, latest, ds.key, []))
        .to.be.revertedWithCustomError(batchMarket, "Batch__RandomnessNotReady")
        .withArgs(j.record.sampleBlock, j.record.sampleBlock - 3);
      await mine(SAMPLE_DELAY);
      await expect(batchMarket.connect(provider).prove(j.jobId, j.terms, j.record, latest, ds.key, []))
        .to.be.revertedWithCustomError(batchMarket, "Batch__HeaderMismatch")
        .withArgs(j.record.sampleBlock);
    });

    it("test_prove_rejectsEveryWrongSample", async function () {
      const j = await committed();
      const { batchMarket, provider, provider2 } = j.p;
      const { indices, header } = await drawn(j);
      const good = await proofsOf(j, indices);
      const prove = (samples: BatchSampleProof[], key = ds.key, who = provider) =>
        batchMarket.connect(who).prove(j.jobId, j.terms, j.record, header, key, samples);
      const with0 = (s: Partial<BatchSampleProof>) => [{ ...good[0]!, ...s }, ...good.slice(1)];
      const i0 = indices[0]!;

      await expect(prove(good, ds.key, provider2))
        .to.be.revertedWithCustomError(batchMarket, "Batch__NotProvider")
        .withArgs(j.jobId, provider2.address);
      await expect(prove(good, { ...ds.key, alpha: [ds.key.alpha[0], ds.key.alpha[1] + 1n] }))
        .to.be.revertedWithCustomError(batchMarket, "Batch__WrongKey")
        .withArgs(j.jobId);
      await expect(prove(good.slice(1)))
        .to.be.revertedWithCustomError(batchMarket, "Batch__WrongProofCount")
        .withArgs(K - 1, K);
      await expect(prove(with0({ outputs: [...good[0]!.outputs, 0n] })))
        .to.be.revertedWithCustomError(batchMarket, "Batch__WrongOutputCount")
        .withArgs(2, 1);
      await expect(prove(with0({ inputCommitment: good[0]!.inputCommitment + R })))
        .to.be.revertedWithCustomError(batchMarket, "Batch__NotInField")
        .withArgs(good[0]!.inputCommitment + R);
      await expect(prove(with0({ outputs: [good[0]!.outputs[0]! + R] })))
        .to.be.revertedWithCustomError(batchMarket, "Batch__NotInField")
        .withArgs(good[0]!.outputs[0]! + R);
      await expect(prove(with0({ inputPath: good[1]!.inputPath })))
        .to.be.revertedWithCustomError(batchMarket, "Batch__InputNotInRoot")
        .withArgs(j.jobId, i0);
      await expect(prove(with0({ inputPath: good[0]!.inputPath.slice(1) })))
        .to.be.revertedWithCustomError(batchMarket, "Batch__InputNotInRoot")
        .withArgs(j.jobId, i0);
      await expect(prove(with0({ outputPath: good[1]!.outputPath })))
        .to.be.revertedWithCustomError(batchMarket, "Batch__OutputNotInRoot")
        .withArgs(j.jobId, i0);
      // swapped proofs: every leaf is right, two proofs are of the other sample
      await expect(
        prove([
          { ...good[0]!, proof: good[1]!.proof },
          { ...good[1]!, proof: good[0]!.proof },
          ...good.slice(2),
        ]),
      )
        .to.be.revertedWithCustomError(batchMarket, "Batch__InvalidProof")
        .withArgs(j.jobId);
      // one coordinate of one proof off: an invalid point, or a valid proof of nothing
      const bent = [...good[K - 1]!.proof] as BatchSampleProof["proof"];
      bent[7] = bent[7] + 1n;
      await expect(
        prove([...good.slice(0, K - 1), { ...good[K - 1]!, proof: bent }]),
      ).to.be.revertedWithCustomError(batchMarket, "Batch__InvalidProof");
      // a proof of the same sample under another job's key
      const otherKey = await sampleProofs(ds, j.jobKey + 1n, [i0], j.tree, j.claimedOutputs);
      await expect(prove(with0({ proof: otherKey[0]!.proof })))
        .to.be.revertedWithCustomError(batchMarket, "Batch__InvalidProof")
        .withArgs(j.jobId);

      await time.increase(HOUR + 1);
      await expect(prove(good)).to.be.revertedWithCustomError(batchMarket, "Batch__DeadlinePassed");
    });

    it("test_sample_recordsTheRandomnessSoProvingOutlivesTheBlockHash", async function () {
      const j = await committed({ proveWindow: DAY });
      const { batchMarket, provider, keeper } = j.p;
      const { indices, header, randomness } = await drawn(j);
      await expect(batchMarket.connect(keeper).sample(j.jobId, j.terms, j.record, header))
        .to.emit(batchMarket, "BatchSampled")
        .withArgs(j.jobId, randomness);
      j.record = await batchRecordOf(batchMarket, j.jobId);
      expect(j.record.randomness).to.equal(randomness);
      await expectStatus(j, BatchStatus.Sampled);
      await expect(batchMarket.connect(keeper).sample(j.jobId, j.terms, j.record, header))
        .to.be.revertedWithCustomError(batchMarket, "Batch__InvalidStatus")
        .withArgs(j.jobId, BatchStatus.Sampled);
      // beyond BLOCKHASH's 256 blocks the header can no longer be checked; the recorded randomness
      // still draws the same samples
      await mine(300);
      await expect(
        batchMarket
          .connect(provider)
          .prove(j.jobId, j.terms, j.record, "0x", ds.key, await proofsOf(j, indices)),
      )
        .to.emit(batchMarket, "BatchProven")
        .withArgs(j.jobId, provider.address, randomness, indices, (v: bigint) => v > 0n);
    });

    it("test_prove_unrecordedRandomnessExpires_thenOnlySlashingRemains", async function () {
      const j = await committed({ proveWindow: DAY });
      const { batchMarket, provider, keeper } = j.p;
      const { header } = await drawn(j);
      await mine(300);
      await expect(batchMarket.connect(provider).prove(j.jobId, j.terms, j.record, header, ds.key, []))
        .to.be.revertedWithCustomError(batchMarket, "Batch__RandomnessExpired")
        .withArgs(j.record.sampleBlock);
      await expect(batchMarket.connect(keeper).sample(j.jobId, j.terms, j.record, header))
        .to.be.revertedWithCustomError(batchMarket, "Batch__RandomnessExpired")
        .withArgs(j.record.sampleBlock);
      await time.increase(DAY);
      await expect(batchMarket.connect(keeper).slashExpired(j.jobId, j.terms, j.record)).to.emit(
        batchMarket,
        "BatchSlashed",
      );
    });
  });

  // ════════════════════════════════════════ cheating ════════════════════════════════════════════

  describe("cheating providers", function () {
    /** The indices a commit by `j`'s provider in the next block would draw (EDR: mixHash by number). */
    async function indicesOfNextCommit(j: Job): Promise<number[]> {
      const snapshot = await networkHelpers.takeSnapshot();
      await commitOutputs(j, ds.outputs);
      const { indices } = await drawn(j);
      await snapshot.restore();
      j.record = await batchRecordOf(j.p.batchMarket, j.jobId);
      return indices;
    }

    it("test_cheatingProvider_aSampledFakeOutputCannotBeProven_slashedInFullAfterTheDeadline", async function () {
      const j = await claimed();
      const { batchMarket, staking, provider, requester, keeper, token } = j.p;
      const willDraw = await indicesOfNextCommit(j);
      const faked = willDraw[2]!;
      await commitOutputs(j, fakeOutputs(ds.outputs, [faked]));
      const { indices, header } = await drawn(j);
      expect(indices, "EDR draws the same indices for the same block").to.deep.equal(willDraw);

      // the true output's proof does not match the committed (faked) leaf ...
      const honest = await sampleProofs(ds, j.jobKey, indices, committedTree(ds), ds.outputs);
      const mixed = await proofsOf(j, indices);
      const withTrueLeaf = mixed.map((s, n) =>
        indices[n] === faked ? { ...s, outputs: honest[n]!.outputs } : s,
      );
      await expect(
        batchMarket.connect(provider).prove(j.jobId, j.terms, j.record, header, ds.key, withTrueLeaf),
      )
        .to.be.revertedWithCustomError(batchMarket, "Batch__OutputNotInRoot")
        .withArgs(j.jobId, faked);
      // ... and no proof of the circuit exists for the faked output (the true one's fails)
      await expect(
        batchMarket.connect(provider).prove(j.jobId, j.terms, j.record, header, ds.key, mixed),
      ).to.be.revertedWithCustomError(batchMarket, "Batch__InvalidProof");

      await expect(batchMarket.connect(keeper).slashExpired(j.jobId, j.terms, j.record))
        .to.be.revertedWithCustomError(batchMarket, "Batch__DeadlineNotPassed")
        .withArgs(j.jobId, (await batchMarket.getBatch(j.jobId)).deadline);
      await time.increase(HOUR + 1);
      const toRequester = (COLLATERAL * BigInt(j.terms.slashRequesterBps)) / 10_000n;
      const bounty = (COLLATERAL * BigInt(j.terms.slashBountyBps)) / 10_000n;
      const tx = batchMarket.connect(keeper).slashExpired(j.jobId, j.terms, j.record);
      await expect(tx)
        .to.emit(batchMarket, "BatchSlashed")
        .withArgs(
          j.jobId,
          provider.address,
          keeper.address,
          toRequester,
          bounty,
          COLLATERAL - toRequester - bounty,
          PRICE,
        );
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [requester, keeper, staking, batchMarket],
        [PRICE + toRequester, bounty, -COLLATERAL, -PRICE + COLLATERAL - toRequester - bounty],
      );
      await expectStatus(j, BatchStatus.Slashed);
      const info = await staking.getProvider(provider.address);
      expect([info.locked, info.openJobs, info.jobsFailed, info.totalSlashed]).to.deep.equal([
        0n,
        0n,
        1n,
        COLLATERAL,
      ]);
      expect(await batchMarket.accruedFees()).to.equal(COLLATERAL - toRequester - bounty);
    });

    it("test_challenge_catchesAFakedIndexThatSamplingMissed_providerSlashedInFull", async function () {
      const j = await claimed();
      const { batchMarket, staking, provider, requester, keeper, token } = j.p;
      const willDraw = await indicesOfNextCommit(j);
      const faked = [...Array(N).keys()].find((i) => !willDraw.includes(i))!;
      await commitOutputs(j, fakeOutputs(ds.outputs, [faked]));
      const { indices, header } = await drawn(j);
      expect(indices).to.not.include(faked);
      // sampling misses the faked output: the drawn samples are honest and prove
      await batchMarket
        .connect(provider)
        .prove(j.jobId, j.terms, j.record, header, ds.key, await proofsOf(j, indices));
      // the requester, checking outputs against its own doubts, challenges the faked index
      const tx = batchMarket.connect(requester).challenge(j.jobId, j.terms, j.record, [faked]);
      await expect(tx).to.changeTokenBalances(ethers, token, [requester, batchMarket], [-BOND, BOND]);
      j.record = await batchRecordOf(batchMarket, j.jobId);
      await expectStatus(j, BatchStatus.Challenged);
      expect(await batchMarket.totalEscrowed()).to.equal(PRICE + BOND);
      // the provider cannot answer it
      await expect(
        batchMarket.connect(provider).answer(j.jobId, j.terms, j.record, ds.key, await proofsOf(j, [faked])),
      ).to.be.revertedWithCustomError(batchMarket, "Batch__InvalidProof");
      await time.increase(HOUR + 1);
      const toRequester = (COLLATERAL * BigInt(j.terms.slashRequesterBps)) / 10_000n;
      const bounty = (COLLATERAL * BigInt(j.terms.slashBountyBps)) / 10_000n;
      const slash = batchMarket.connect(keeper).slashExpired(j.jobId, j.terms, j.record);
      await expect(slash)
        .to.emit(batchMarket, "BatchSlashed")
        .withArgs(
          j.jobId,
          provider.address,
          keeper.address,
          toRequester,
          bounty,
          COLLATERAL - toRequester - bounty,
          PRICE + BOND,
        );
      // in full: the whole collateral; the price and the bond go back to the requester
      await expect(slash).to.changeTokenBalances(
        ethers,
        token,
        [requester, staking],
        [PRICE + BOND + toRequester, -COLLATERAL],
      );
      expect(await batchMarket.totalEscrowed()).to.equal(0n);
      expect((await staking.getProvider(provider.address)).totalSlashed).to.equal(COLLATERAL);
    });
  });

  // ═══════════════════════════════════ challenge and answer ═════════════════════════════════════

  describe("challenge and answer", function () {
    it("test_answer_provesEveryChallengedIndexAndPaysTheBondsToTheProvider", async function () {
      const j = await challenged([1, 5, 11]);
      const { batchMarket, staking, provider, requester, token } = j.p;
      const fee = (PRICE * BigInt(j.terms.feeBps)) / 10_000n;
      const proofs = await proofsOf(j, [1, 5, 11]);
      await expect(batchMarket.connect(requester).answer(j.jobId, j.terms, j.record, ds.key, proofs))
        .to.be.revertedWithCustomError(batchMarket, "Batch__NotProvider")
        .withArgs(j.jobId, requester.address);
      await expect(
        batchMarket.connect(provider).answer(j.jobId, j.terms, j.record, ds.key, proofs.slice(0, 2)),
      )
        .to.be.revertedWithCustomError(batchMarket, "Batch__WrongProofCount")
        .withArgs(2, 3);
      // in the order of the challenge: index 5's proof at index 1's place fails its paths
      await expect(
        batchMarket
          .connect(provider)
          .answer(j.jobId, j.terms, j.record, ds.key, [proofs[1]!, proofs[0]!, proofs[2]!]),
      )
        .to.be.revertedWithCustomError(batchMarket, "Batch__InputNotInRoot")
        .withArgs(j.jobId, 1);
      const tx = batchMarket.connect(provider).answer(j.jobId, j.terms, j.record, ds.key, proofs);
      await expect(tx)
        .to.emit(batchMarket, "BatchAnswered")
        .withArgs(j.jobId, provider.address, 3n * BOND);
      await expect(tx)
        .to.emit(batchMarket, "BatchPaid")
        .withArgs(j.jobId, provider.address, PRICE - fee + 3n * BOND, fee, 0n);
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [provider, requester, batchMarket],
        [PRICE - fee + 3n * BOND, 0n, -(PRICE - fee + 3n * BOND)],
      );
      await expectStatus(j, BatchStatus.Paid);
      const info = await staking.getProvider(provider.address);
      expect([info.locked, info.openJobs, info.jobsCompleted]).to.deep.equal([0n, 0n, 1n]);
      expect(await batchMarket.totalEscrowed()).to.equal(0n);
      expect(await batchMarket.accruedFees()).to.equal(fee);
    });

    it("test_challenge_revertsForAnotherCallerBadIndicesOrAfterTheWindow", async function () {
      const j = await proven();
      const { batchMarket, requester, other } = j.p;
      const ch = (indices: number[], who = requester) =>
        batchMarket.connect(who).challenge(j.jobId, j.terms, j.record, indices);
      await expect(ch([1], other))
        .to.be.revertedWithCustomError(batchMarket, "Batch__NotRequester")
        .withArgs(j.jobId, other.address);
      await expect(ch([])).to.be.revertedWithCustomError(batchMarket, "Batch__ChallengeCount").withArgs(0, M);
      await expect(ch([0, 1, 2, 3]))
        .to.be.revertedWithCustomError(batchMarket, "Batch__ChallengeCount")
        .withArgs(4, M);
      await expect(ch([3, 3]))
        .to.be.revertedWithCustomError(batchMarket, "Batch__ChallengeIndex")
        .withArgs(3);
      await expect(ch([4, 2]))
        .to.be.revertedWithCustomError(batchMarket, "Batch__ChallengeIndex")
        .withArgs(2);
      await expect(ch([1, N]))
        .to.be.revertedWithCustomError(batchMarket, "Batch__ChallengeIndex")
        .withArgs(N);
      await time.increase(HOUR + 1);
      await expect(ch([1])).to.be.revertedWithCustomError(batchMarket, "Batch__DeadlinePassed");
    });

    it("test_answer_revertsAfterTheAnswerDeadline", async function () {
      const j = await challenged([0]);
      const { batchMarket, provider } = j.p;
      const proofs = await proofsOf(j, [0]);
      await time.increase(HOUR + 1);
      await expect(
        batchMarket.connect(provider).answer(j.jobId, j.terms, j.record, ds.key, proofs),
      ).to.be.revertedWithCustomError(batchMarket, "Batch__DeadlinePassed");
    });
  });

  // ════════════════════════════════════════ settlement ══════════════════════════════════════════

  describe("settlement", function () {
    it("test_settle_afterAnUnchallengedWindowPaysTheProviderAndRefundsTheRest", async function () {
      const j = await proven({ minPrice: 50n * E18, rampDuration: 7_200 });
      const { batchMarket, staking, provider, requester, keeper, token } = j.p;
      await expect(
        batchMarket.connect(keeper).settle(j.jobId, j.terms, j.record),
      ).to.be.revertedWithCustomError(batchMarket, "Batch__DeadlineNotPassed");
      await time.increase(HOUR + 1);
      const price = batchPriceAt(j.terms, j.record.claimedAt);
      expect(price < PRICE).to.equal(true);
      const fee = (price * BigInt(j.terms.feeBps)) / 10_000n;
      const tx = batchMarket.connect(keeper).settle(j.jobId, j.terms, j.record);
      await expect(tx)
        .to.emit(batchMarket, "BatchPaid")
        .withArgs(j.jobId, provider.address, price - fee, fee, PRICE - price);
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [provider, requester, batchMarket],
        [price - fee, PRICE - price, -(PRICE - fee)],
      );
      await expectStatus(j, BatchStatus.Paid);
      expect((await staking.getProvider(provider.address)).locked).to.equal(0n);
      await expect(batchMarket.connect(keeper).settle(j.jobId, j.terms, j.record))
        .to.be.revertedWithCustomError(batchMarket, "Batch__InvalidStatus")
        .withArgs(j.jobId, BatchStatus.Paid);
      // the fee goes to the JobMarket's treasury
      const treasury = await j.p.market.treasury();
      await expect(batchMarket.withdrawFees()).to.changeTokenBalances(ethers, token, [treasury], [fee]);
      await expect(batchMarket.withdrawFees()).to.be.revertedWithCustomError(batchMarket, "Batch__NoFees");
    });

    it("test_slashExpired_eachStageAfterItsDeadlineOnly", async function () {
      // Claimed (commit deadline), Committed and Sampled (prove deadline)
      for (const stage of ["claimed", "committed", "sampled"] as const) {
        const j = stage === "claimed" ? await claimed() : await committed();
        const { batchMarket, keeper } = j.p;
        if (stage === "sampled") {
          await batchMarket.connect(keeper).sample(j.jobId, j.terms, j.record, (await drawn(j)).header);
          j.record = await batchRecordOf(batchMarket, j.jobId);
        }
        await expect(
          batchMarket.connect(keeper).slashExpired(j.jobId, j.terms, j.record),
          stage,
        ).to.be.revertedWithCustomError(batchMarket, "Batch__DeadlineNotPassed");
        await expect(
          batchMarket
            .connect(keeper)
            .slashExpired(j.jobId, j.terms, { ...j.record, claimedAt: j.record.claimedAt + 1 }),
          stage,
        )
          .to.be.revertedWithCustomError(batchMarket, "Batch__TermsMismatch")
          .withArgs(j.jobId);
        await time.increase(HOUR + 1);
        await expect(batchMarket.connect(keeper).slashExpired(j.jobId, j.terms, j.record), stage).to.emit(
          batchMarket,
          "BatchSlashed",
        );
      }
      // never an open or a proven job
      const open = await posted();
      await time.increase(DAY);
      await expect(open.p.batchMarket.slashExpired(open.jobId, open.terms, open.record))
        .to.be.revertedWithCustomError(open.p.batchMarket, "Batch__InvalidStatus")
        .withArgs(open.jobId, BatchStatus.Open);
      const done = await proven();
      await time.increase(DAY);
      await expect(done.p.batchMarket.slashExpired(done.jobId, done.terms, done.record))
        .to.be.revertedWithCustomError(done.p.batchMarket, "Batch__InvalidStatus")
        .withArgs(done.jobId, BatchStatus.Proven);
    });

    it("test_pause_neverBlocksAPathThatReturnsFunds", async function () {
      const j = await committed();
      const { batchMarket, market, staking, provider, requester, keeper } = j.p;
      await market.pause();
      await staking.pause();
      const { indices, header } = await drawn(j);
      await batchMarket
        .connect(provider)
        .prove(j.jobId, j.terms, j.record, header, ds.key, await proofsOf(j, indices));
      await batchMarket.connect(requester).challenge(j.jobId, j.terms, j.record, [indices[0]!]);
      j.record = await batchRecordOf(batchMarket, j.jobId);
      await batchMarket
        .connect(provider)
        .answer(j.jobId, j.terms, j.record, ds.key, await proofsOf(j, [indices[0]!]));
      expect(Number((await batchMarket.getBatch(j.jobId)).status)).to.equal(BatchStatus.Paid);
      expect(await market.paused()).to.equal(true);
      // an open job is cancelled and reclaimed while paused too; a claimed one slashed
      await market.unpause();
      await staking.unpause();
      const t = await now(networkHelpers);
      await batchMarket.connect(requester).postBatch(params(t));
      await batchMarket.connect(requester).postBatch(params(t));
      await batchMarket.connect(requester).postBatch(params(t));
      const [a, b, c] = [2n, 3n, 4n];
      const terms = await Promise.all([a, b, c].map((id) => batchTermsOf(batchMarket, id)));
      await batchMarket.connect(provider).claim(c, terms[2]!);
      await market.pause();
      await staking.pause();
      await batchMarket.connect(requester).cancel(a, terms[0]!);
      await time.increase(2 * HOUR);
      await batchMarket.connect(keeper).reclaim(b, terms[1]!);
      await batchMarket.connect(keeper).slashExpired(c, terms[2]!, await batchRecordOf(batchMarket, c));
      expect(await batchMarket.totalEscrowed()).to.equal(0n);
    });
  });

  // ══════════════════════════════════ SDK == contract ═══════════════════════════════════════════

  describe("the SDK derives what the contract does", function () {
    it("test_sampleIndices_contractEqualsSdk_forManySeedsAndSizes", async function () {
      const { batchMarket } = await loadFixture(fixture);
      const chainId = (await ethers.provider.getNetwork()).chainId;
      const market = await batchMarket.getAddress();
      const sizes: [number, number][] = [
        [1, 1],
        [2, 2],
        [7, 7],
        [64, 64],
        [100, 64],
        [10_000, 16],
        [2 ** 20, 32],
        [MAX_BATCH_SAMPLES, 64],
      ];
      let calls = 0;
      for (const [n, k] of sizes) {
        for (let s = 0; s < 6; s++) {
          const randomness = keccak256(toBeHex(n * 1000 + s, 32));
          const jobId = BigInt(s + 1);
          const expected = sampleIndices(batchSeed(randomness, chainId, market, jobId), n, k);
          expect(new Set(expected).size).to.equal(k);
          expect(expected.every((i) => i >= 0 && i < n)).to.equal(true);
          expect((await batchMarket.sampleIndices(jobId, randomness, n, k)).map(Number)).to.deep.equal(
            expected,
          );
          calls++;
        }
      }
      expect(calls).to.equal(48);
      await expect(batchMarket.sampleIndices(1n, ethers.ZeroHash, 3, 4)).to.be.revertedWithCustomError(
        batchMarket,
        "Batch__InvalidSize",
      );
    });

    it("test_commitmentOf_contractEqualsSdkForEveryStatus", async function () {
      const j = await challenged([2, 9]);
      const record = { ...j.record, randomness: keccak256("0x99") };
      for (const status of Object.values(BatchStatus)) {
        if (status === BatchStatus.None || status === BatchStatus.Slashed) continue;
        expect(await j.p.batchMarket.commitmentOf(j.terms, status, record), `status ${status}`).to.equal(
          batchCommitment(j.terms, status, record),
        );
      }
    });

    it("test_blockHeaderRlp_hashesToTheBlockHash_andJobKeyIsTheArchitectureFormula", async function () {
      const { batchMarket, provider } = await loadFixture(fixture);
      await mine(3);
      const latest = await ethers.provider.getBlockNumber();
      for (const n of [1, latest - 1, latest]) {
        const raw = (await ethers.provider.send("eth_getBlockByNumber", [
          `0x${n.toString(16)}`,
          false,
        ])) as RawBlock;
        expect(keccak256(blockHeaderRlp(raw))).to.equal(raw.hash);
      }
      const chainId = (await ethers.provider.getNetwork()).chainId;
      expect(await batchMarket.jobKey(7n, provider.address)).to.equal(
        computeJobKey(chainId, await batchMarket.getAddress(), 7n, provider.address),
      );
    });
  });
});
