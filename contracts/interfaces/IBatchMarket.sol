// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IBatchMarket
/// @notice Batch jobs checked by zk sampling (docs/BATCH.md). A requester posts N samples of one
/// model circuit — a Merkle root over `(index, inputCommitment)` leaves, the inputs file's URI and
/// keccak256 — and escrows the maximum price; a staked provider claims (locking collateral in
/// `ComputeStaking`), runs all N samples and commits a Merkle root over `(index, inputCommitment,
/// outputs)` leaves; k distinct indices are then drawn from the RANDAO mix of a block after the
/// commit, and the provider proves those k samples with the circuit's ordinary single-sample
/// proofs (public signals `[jobKey, inputCommitment, ...outputs]`), tied to both roots by Merkle
/// paths and checked together by one randomized Groth16 batch verification. During a challenge
/// window the requester may name up to m more indices (paying a bond each), which the provider
/// must prove as well or lose its whole collateral; an answered challenge pays the bonds to the
/// provider. Payment is released after the window (pull-free: the settling call pays).
///
/// Conventions: `jobKey = uint256(keccak256(abi.encode(block.chainid, address(batchMarket), jobId,
/// provider))) % r`; leaves and nodes are keccak256 (`BatchMerkle`); the sample derivation is
/// `BatchSampling`; proofs are `uint256[8] = [a0, a1, b00, b01, b10, b11, c0, c1]` (snarkjs
/// `exportSolidityCallData` order). Job ids start at 1 and are independent of `JobMarket`'s.
///
/// Two proof systems, fixed per job by its terms (docs/BATCH.md): sample proofs (`slots == 0`,
/// above: keccak trees, `prove`/`answer`) or a sampling circuit (`slots > 0`: the circuit proves
/// `slots` samples per proof, both Merkle paths inside it over fixed-depth Poseidon trees,
/// public signals `[jobKey, inputsRoot, outputsRoot, packed indices…]`; `proveSampled`/
/// `answerSampled` take ⌈k / slots⌉ proofs checked by the circuit's registered verifier).
///
/// Token flows: the market's token balance equals `totalEscrowed + accruedFees`, where
/// `totalEscrowed` is the max price of every unsettled job plus the challenge bonds of challenged
/// ones. Governance: none here — the fee and slash split are the `JobMarket`'s, copied into the terms
/// at post; the `JobMarket`'s pause stops posts and claims; the treasury is the `JobMarket`'s.
interface IBatchMarket {
    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                      ENUMS AND STRUCTS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Life cycle of a batch job (`None`: id never used). Open → Claimed → Committed
    /// (→ Sampled) → Proven → Paid, or Proven → Challenged → Paid; Claimed/Committed/Sampled/
    /// Challenged → Slashed after their deadline; Open → Cancelled | Reclaimed.
    enum BatchStatus {
        None,
        Open,
        Claimed,
        Committed,
        Sampled,
        Proven,
        Challenged,
        Paid,
        Cancelled,
        Reclaimed,
        Slashed
    }

    /// @notice The constant bounds of batch jobs, for clients that validate before sending.
    /// @param sampleDelay Blocks from the commit to the block whose RANDAO mix draws the sample.
    /// @param maxSampleSize Largest k.
    /// @param maxChallenges Largest m.
    /// @param maxClaimPeriod Longest time from posting to the claim deadline, and longest ramp.
    /// @param minWindow Shortest of each of the four windows.
    /// @param maxTotalWindow Longest sum of the four windows.
    struct BatchBounds {
        uint64 sampleDelay;
        uint8 maxSampleSize;
        uint8 maxChallenges;
        uint40 maxClaimPeriod;
        uint32 minWindow;
        uint32 maxTotalWindow;
    }

    /// @notice A batch job as `postBatch` takes it.
    /// @param circuitId Registered, active model circuit (one proof per sample).
    /// @param keyHash `keccak256(abi.encode(key))` of the circuit's Groth16 verifying key
    /// (`VerifyingKey`), which proofs are batch-verified against; providers check it before
    /// claiming (docs/BATCH.md).
    /// For a sampling-circuit job (`slots > 0`), `circuitId` is the model's sampling circuit and
    /// `keyHash` is zero (its registered verifier checks the proofs).
    /// @param slots 0: sample proofs. Else samples per proof of the sampling circuit (≤ maxSampleSize).
    /// @param treeDepth 0 with sample proofs. Else the sampling circuit's tree depth (1..32, 2^depth ≥ N);
    /// the circuit must have `3 + ⌈slots / ⌊248 / treeDepth⌋⌉` public signals.
    /// @param inputsRoot Merkle root over the N input leaves `(index, inputCommitment)` (sampling
    /// circuit: the Poseidon tree of the input commitments, a field element).
    /// @param inputsHash keccak256 of the inputs file.
    /// @param inputsURI Where the inputs file is published (not empty).
    /// @param numSamples N (≥ 1).
    /// @param sampleSize k: samples proven after the commit (1 ≤ k ≤ min(N, maxSampleSize)).
    /// @param maxChallenges m: most indices the requester may challenge (≤ maxChallenges bound).
    /// @param challengeBond Bond per challenged index, paid to the provider if answered.
    /// @param minPrice Price at post time (auction start).
    /// @param maxPrice Price at the end of the ramp; escrowed in full at post time.
    /// @param rampDuration Seconds from `minPrice` to `maxPrice` (0 iff fixed price).
    /// @param collateral Stake the provider locks when claiming; slashed in full on failure.
    /// @param claimDeadline Last claim timestamp (≤ now + maxClaimPeriod).
    /// @param commitWindow Seconds from the claim to the commit deadline.
    /// @param proveWindow Seconds from the commit to the prove deadline.
    /// @param challengeWindow Seconds from the proof to the end of the challenge window.
    /// @param answerWindow Seconds from a challenge to the answer deadline.
    struct PostBatchParams {
        bytes32 circuitId;
        bytes32 keyHash;
        uint8 slots;
        uint8 treeDepth;
        bytes32 inputsRoot;
        bytes32 inputsHash;
        string inputsURI;
        uint32 numSamples;
        uint8 sampleSize;
        uint8 maxChallenges;
        uint96 challengeBond;
        uint96 minPrice;
        uint96 maxPrice;
        uint32 rampDuration;
        uint96 collateral;
        uint40 claimDeadline;
        uint32 commitWindow;
        uint32 proveWindow;
        uint32 challengeWindow;
        uint32 answerWindow;
    }

    /// @notice The immutable terms of a batch job: emitted in `BatchPosted`, passed back as
    /// calldata, checked against the stored commitment (as `IJobMarket.JobTerms`). `numPublic` is
    /// copied from the registry and the fee and slash split from the `JobMarket` at post time.
    /// @param requester Who posted (gets refunds, may challenge).
    /// @param circuitId Circuit.
    /// @param numPublic The circuit's number of public signals (outputs per sample: numPublic − 2).
    /// @param keyHash Hash of the verifying key the proofs are checked against (zero with a sampling circuit).
    /// @param slots 0 (sample proofs) or the sampling circuit's samples per proof.
    /// @param treeDepth 0 (sample proofs) or the sampling circuit's tree depth.
    /// @param inputsRoot Merkle root of the input leaves.
    /// @param inputsHash keccak256 of the inputs file.
    /// @param numSamples N.
    /// @param sampleSize k.
    /// @param maxChallenges m.
    /// @param challengeBond Bond per challenged index.
    /// @param minPrice Auction start price.
    /// @param maxPrice Escrowed maximum price.
    /// @param rampDuration Auction ramp in seconds.
    /// @param collateral Collateral required from the claimer.
    /// @param postedAt Post timestamp (auction start).
    /// @param claimDeadline Last claim timestamp.
    /// @param commitWindow Seconds from claim to commit deadline.
    /// @param proveWindow Seconds from commit to prove deadline.
    /// @param challengeWindow Seconds from proof to the end of the challenge window.
    /// @param answerWindow Seconds from challenge to answer deadline.
    /// @param feeBps Protocol fee on the paid price (the `JobMarket`'s at post time).
    /// @param slashRequesterBps Requester's share of slashed collateral (at post time).
    /// @param slashBountyBps Slasher's share of slashed collateral (at post time).
    struct BatchTerms {
        address requester;
        bytes32 circuitId;
        uint16 numPublic;
        bytes32 keyHash;
        uint8 slots;
        uint8 treeDepth;
        bytes32 inputsRoot;
        bytes32 inputsHash;
        uint32 numSamples;
        uint8 sampleSize;
        uint8 maxChallenges;
        uint96 challengeBond;
        uint96 minPrice;
        uint96 maxPrice;
        uint32 rampDuration;
        uint96 collateral;
        uint40 postedAt;
        uint40 claimDeadline;
        uint32 commitWindow;
        uint32 proveWindow;
        uint32 challengeWindow;
        uint32 answerWindow;
        uint16 feeBps;
        uint16 slashRequesterBps;
        uint16 slashBountyBps;
    }

    /// @notice What a job's life fixed after its post, each field emitted by the step that set it;
    /// passed back as calldata and checked against the stored commitment (`commitmentOf`).
    /// Fields a job has not reached yet are zero (empty).
    /// @param provider The claimer (`BatchClaimed`).
    /// @param claimedAt The claim timestamp (`BatchClaimed`); fixes the price.
    /// @param outputsRoot Merkle root of the output leaves (`BatchCommitted`).
    /// @param sampleBlock Block whose RANDAO mix draws the sample (`BatchCommitted`).
    /// @param randomness That RANDAO mix, once recorded by `sample` (`BatchSampled`).
    /// @param challenged The challenged indices, strictly increasing (`BatchChallenged`).
    struct BatchRecord {
        address provider;
        uint40 claimedAt;
        bytes32 outputsRoot;
        uint64 sampleBlock;
        bytes32 randomness;
        uint32[] challenged;
    }

    /// @notice The on-chain state of a batch job: one storage slot.
    /// @param status Life-cycle state.
    /// @param deadline The deadline of the current status: commit deadline (Claimed), prove
    /// deadline (Committed, Sampled), end of the challenge window (Proven), answer deadline
    /// (Challenged); 0 while Open.
    /// @param commitment First 26 bytes of a hash of the terms and record (`commitmentOf`).
    struct Batch {
        BatchStatus status;
        uint40 deadline;
        bytes26 commitment;
    }

    /// @notice A Groth16 verifying key (BN254) in the EVM precompiles' encoding: G1 points as
    /// `(x, y)`, G2 points as `(x_imag, x_real, y_imag, y_real)`.
    /// @param alpha α ∈ G1.
    /// @param beta β ∈ G2.
    /// @param gamma γ ∈ G2.
    /// @param delta δ ∈ G2.
    /// @param ic `IC_0 … IC_numPublic` ∈ G1, flattened `[x0, y0, x1, y1, …]`.
    struct VerifyingKey {
        uint256[2] alpha;
        uint256[4] beta;
        uint256[4] gamma;
        uint256[4] delta;
        uint256[] ic;
    }

    /// @notice One proven sample: its leaves' contents, its two Merkle paths and its proof.
    /// @param inputCommitment The sample's input commitment (public signal 1, < r).
    /// @param outputs Its outputs (public signals 2.., each < r, numPublic − 2 of them).
    /// @param inputPath Siblings from its input leaf to `inputsRoot` (depth ⌈log₂ N⌉).
    /// @param outputPath Siblings from its output leaf to `outputsRoot` (same depth).
    /// @param proof `[a0, a1, b00, b01, b10, b11, c0, c1]`.
    struct SampleProof {
        uint256 inputCommitment;
        uint256[] outputs;
        bytes32[] inputPath;
        bytes32[] outputPath;
        uint256[8] proof;
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           ERRORS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Thrown when the contract is deployed other than by the `JobMarket` whose staking
    /// contract names it as its batch market.
    error Batch__NotDeployedByMarket();

    /// @notice Thrown when posting or claiming while the `JobMarket` is paused.
    error Batch__MarketPaused();

    /// @notice Thrown when a job is not in a status the call accepts.
    /// @param jobId The job.
    /// @param status Its current status.
    error Batch__InvalidStatus(uint256 jobId, BatchStatus status);

    /// @notice Thrown when the terms or the record passed with a job id are not the job's (or, for
    /// a claimer-only call, the caller is not the claimer named in a matching record).
    /// @param jobId The job.
    error Batch__TermsMismatch(uint256 jobId);

    /// @notice Thrown when someone other than the requester cancels or challenges.
    /// @param jobId The job.
    /// @param caller The caller.
    error Batch__NotRequester(uint256 jobId, address caller);

    /// @notice Thrown when someone other than the claimer commits, proves or answers.
    /// @param jobId The job.
    /// @param caller The caller.
    error Batch__NotProvider(uint256 jobId, address caller);

    /// @notice Thrown when claiming after the claim deadline.
    error Batch__ClaimDeadlinePassed(uint256 jobId, uint40 claimDeadline);

    /// @notice Thrown when reclaiming before the claim deadline (while the circuit is active).
    error Batch__ClaimDeadlineNotPassed(uint256 jobId, uint40 claimDeadline);

    /// @notice Thrown when committing, proving, challenging or answering after the deadline.
    error Batch__DeadlinePassed(uint256 jobId, uint40 deadline);

    /// @notice Thrown when settling or slashing before the deadline.
    error Batch__DeadlineNotPassed(uint256 jobId, uint40 deadline);

    /// @notice Thrown when posting or claiming against an unknown or deactivated circuit.
    error Batch__CircuitNotActive(bytes32 circuitId);

    /// @notice Thrown when a deposit moved a different amount than asked (fee-on-transfer,
    /// rebasing): such tokens are refused.
    error Batch__TransferMismatch(uint256 expected, uint256 received);

    /// @notice Thrown when the auction terms are inconsistent (as `Market__InvalidPricing`).
    error Batch__InvalidPricing(uint96 minPrice, uint96 maxPrice, uint32 rampDuration);

    /// @notice Thrown when the claim deadline is in the past or beyond now + maxClaimPeriod.
    error Batch__InvalidClaimDeadline(uint40 claimDeadline, uint40 latest);

    /// @notice Thrown when a window is shorter than `minWindow` or they sum above `maxTotalWindow`.
    error Batch__InvalidWindows(
        uint32 commitWindow,
        uint32 proveWindow,
        uint32 challengeWindow,
        uint32 answerWindow
    );

    /// @notice Thrown when N, k or m is out of bounds (N ≥ 1, 1 ≤ k ≤ min(N, 64), m ≤ 32).
    error Batch__InvalidSize(uint32 numSamples, uint8 sampleSize, uint8 maxChallenges);

    /// @notice Thrown when a batch is posted without an inputs URI.
    error Batch__NoInputsURI();

    /// @notice Thrown at post when the proof system's fields do not fit: with sample proofs,
    /// `slots` and `treeDepth` must be 0; with a sampling circuit, `keyHash` must be 0, `slots`
    /// 1..maxSampleSize, `treeDepth` 1..32 with 2^treeDepth ≥ N, `inputsRoot` < r, and the
    /// circuit must have `3 + ⌈slots / ⌊248 / treeDepth⌋⌉` public signals (`numPublic`, its own).
    error Batch__InvalidSampling(uint8 slots, uint8 treeDepth, uint16 numPublic);

    /// @notice Thrown when a job is proven with the other proof system than its terms name
    /// (`prove`/`answer` for sample proofs, `proveSampled`/`answerSampled` for a sampling circuit).
    error Batch__WrongProofSystem(uint256 jobId);

    /// @notice Thrown when the sample block has not been mined yet (its RANDAO mix does not exist).
    /// @param sampleBlock The block.
    /// @param currentBlock The current block number.
    error Batch__RandomnessNotReady(uint64 sampleBlock, uint256 currentBlock);

    /// @notice Thrown when the sample block's hash is no longer available and its randomness was
    /// not recorded by `sample` in time (the job can then only be slashed at its deadline).
    error Batch__RandomnessExpired(uint64 sampleBlock);

    /// @notice Thrown when the header passed is not the sample block's (its keccak256 differs from
    /// the block hash).
    error Batch__HeaderMismatch(uint64 sampleBlock);

    /// @notice Thrown when a block header is not an RLP list whose field 13 is a 32-byte string.
    error Batch__MalformedHeader();

    /// @notice Thrown when the verifying key passed does not hash to the terms' `keyHash` or does
    /// not have `numPublic + 1` IC points.
    error Batch__WrongKey(uint256 jobId);

    /// @notice Thrown when the number of sample proofs is not the number of drawn (or challenged)
    /// indices (with a sampling circuit: that number divided by `slots`, rounded up).
    error Batch__WrongProofCount(uint256 given, uint256 expected);

    /// @notice Thrown when a sample has not `numPublic − 2` outputs.
    error Batch__WrongOutputCount(uint256 given, uint256 expected);

    /// @notice Thrown when a public signal is `>= r`.
    error Batch__NotInField(uint256 value);

    /// @notice Thrown when a sample's input path does not lead to `inputsRoot` (or has the wrong
    /// length).
    error Batch__InputNotInRoot(uint256 jobId, uint256 index);

    /// @notice Thrown when a sample's output path does not lead to the committed `outputsRoot`
    /// (or has the wrong length).
    error Batch__OutputNotInRoot(uint256 jobId, uint256 index);

    /// @notice Thrown when the batch verification of the proofs fails.
    error Batch__InvalidProof(uint256 jobId);

    /// @notice Thrown when a challenge names no index or more than `maxChallenges`.
    error Batch__ChallengeCount(uint256 given, uint256 max);

    /// @notice Thrown when challenged indices are not strictly increasing or not below N.
    error Batch__ChallengeIndex(uint256 index);

    /// @notice Thrown when `withdrawFees` finds no fees.
    error Batch__NoFees();

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           EVENTS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Emitted when a batch job was posted (its terms are passed back to every call).
    event BatchPosted(
        uint256 indexed jobId,
        address indexed requester,
        bytes32 indexed circuitId,
        BatchTerms terms,
        string inputsURI
    );

    /// @notice Emitted when the requester cancelled an unclaimed job (full refund).
    event BatchCancelled(uint256 indexed jobId, address indexed requester, uint256 refund);

    /// @notice Emitted when an unclaimed job past its claim deadline (or whose circuit was
    /// deactivated) was refunded.
    event BatchReclaimed(uint256 indexed jobId, address indexed requester, uint256 refund);

    /// @notice Emitted when a provider claimed a batch job.
    /// @param jobId The job.
    /// @param provider The claimer.
    /// @param price Price fixed by the claim.
    /// @param claimedAt Claim timestamp (record field).
    /// @param commitDeadline Last timestamp for `commit`.
    /// @param jobKey Public signal 0 of every proof of this job.
    event BatchClaimed(
        uint256 indexed jobId,
        address indexed provider,
        uint96 price,
        uint40 claimedAt,
        uint40 commitDeadline,
        uint256 jobKey
    );

    /// @notice Emitted when the provider committed to its outputs.
    /// @param jobId The job.
    /// @param provider The claimer.
    /// @param outputsRoot Merkle root of the output leaves (record field).
    /// @param outputsHash keccak256 of the outputs file.
    /// @param outputsURI Where the outputs file is published.
    /// @param sampleBlock Block whose RANDAO mix draws the sample (record field).
    /// @param proveDeadline Last timestamp for `prove`.
    event BatchCommitted(
        uint256 indexed jobId,
        address indexed provider,
        bytes32 outputsRoot,
        bytes32 outputsHash,
        string outputsURI,
        uint64 sampleBlock,
        uint40 proveDeadline
    );

    /// @notice Emitted when the sample block's randomness was recorded (record field).
    event BatchSampled(uint256 indexed jobId, bytes32 randomness);

    /// @notice Emitted when the drawn samples were proven.
    /// @param jobId The job.
    /// @param provider The claimer.
    /// @param randomness The sample block's RANDAO mix.
    /// @param indices The drawn indices, in draw order.
    /// @param challengeDeadline End of the challenge window.
    event BatchProven(
        uint256 indexed jobId,
        address indexed provider,
        bytes32 randomness,
        uint256[] indices,
        uint40 challengeDeadline
    );

    /// @notice Emitted when the requester challenged indices.
    /// @param jobId The job.
    /// @param indices The challenged indices (record field).
    /// @param bonds Bonds paid (`challengeBond × indices.length`).
    /// @param answerDeadline Last timestamp for `answer`.
    event BatchChallenged(uint256 indexed jobId, uint32[] indices, uint256 bonds, uint40 answerDeadline);

    /// @notice Emitted when the provider proved every challenged index (the bonds are its).
    event BatchAnswered(uint256 indexed jobId, address indexed provider, uint256 bonds);

    /// @notice Emitted when a batch job was paid.
    /// @param jobId The job.
    /// @param provider The provider.
    /// @param payout Sent to the provider (`price − fee`, plus the bonds of answered challenges).
    /// @param fee Protocol fee accrued for the treasury.
    /// @param refund Returned to the requester (`maxPrice − price`).
    event BatchPaid(
        uint256 indexed jobId,
        address indexed provider,
        uint256 payout,
        uint256 fee,
        uint256 refund
    );

    /// @notice Emitted when a job past a deadline was slashed: its whole collateral.
    /// @param jobId The job.
    /// @param provider The slashed provider.
    /// @param caller Who called `slashExpired` (gets the bounty).
    /// @param toRequester Collateral share paid to the requester.
    /// @param bounty Collateral share paid to the caller.
    /// @param toTreasury Collateral share accrued for the treasury.
    /// @param refund Returned to the requester: `maxPrice` plus any challenge bonds.
    event BatchSlashed(
        uint256 indexed jobId,
        address indexed provider,
        address indexed caller,
        uint256 toRequester,
        uint256 bounty,
        uint256 toTreasury,
        uint256 refund
    );

    /// @notice Emitted when accrued treasury shares were sent to the `JobMarket`'s treasury.
    event FeesWithdrawn(address indexed treasury, uint256 amount);

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                         REQUESTER
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Posts a batch job and escrows `params.maxPrice` (needs allowance). Reverts while the
    /// `JobMarket` is paused.
    /// @return jobId The new job id.
    function postBatch(PostBatchParams calldata params) external returns (uint256 jobId);

    /// @notice Cancels an unclaimed job (requester only) with a full refund. Never paused.
    function cancel(uint256 jobId, BatchTerms calldata terms) external;

    /// @notice Refunds an unclaimed job (anyone may call) once its claim deadline passed, or at once
    /// when its circuit was deactivated. Never paused.
    function reclaim(uint256 jobId, BatchTerms calldata terms) external;

    /// @notice Challenges `indices` (strictly increasing, each < N, 1 ≤ count ≤ m) of a proven job
    /// before its challenge window ends (requester only), paying `challengeBond` per index (needs
    /// allowance). The provider must `answer` all of them before the answer deadline.
    function challenge(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        uint32[] calldata indices
    ) external;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          PROVIDER
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Claims an open batch job: fixes the price, locks the collateral (as `JobMarket`
    /// claims do), sets the commit deadline. Reverts while paused and for a deactivated circuit.
    function claim(uint256 jobId, BatchTerms calldata terms) external;

    /// @notice Commits the claimer's outputs before the commit deadline: the outputs root (and the
    /// outputs file's hash and URI, emitted). Fixes `sampleBlock = block.number + sampleDelay` and
    /// the prove deadline. Never paused.
    /// @param claimedAt The claim timestamp, as emitted in `BatchClaimed`.
    function commit(
        uint256 jobId,
        BatchTerms calldata terms,
        uint40 claimedAt,
        bytes32 outputsRoot,
        bytes32 outputsHash,
        string calldata outputsURI
    ) external;

    /// @notice Proves the k drawn samples before the prove deadline (claimer only): derives the
    /// indices from the sample block's RANDAO mix — read from `header` (the sample block's RLP
    /// header) while its hash is available, or from `record.randomness` once `sample` recorded it
    /// — checks each sample's two Merkle paths and batch-verifies the k proofs against `key`.
    /// Opens the challenge window. Never paused.
    function prove(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        bytes calldata header,
        VerifyingKey calldata key,
        SampleProof[] calldata samples
    ) external;

    /// @notice Proves every challenged index before the answer deadline (claimer only), in the
    /// order of `record.challenged`; then pays the job, the bonds included. Never paused.
    function answer(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        VerifyingKey calldata key,
        SampleProof[] calldata samples
    ) external;

    /// @notice `prove` for a sampling-circuit job (`slots > 0`): the k drawn indices, in draw
    /// order, in chunks of `slots` (the last chunk padded by repeating its last index), each chunk
    /// one proof of the job's circuit with public signals `[jobKey, inputsRoot, outputsRoot,
    /// packed chunk]` (`treeDepth` bits per index, ⌊248 / treeDepth⌋ per element, least
    /// significant first), checked by the circuit's registered verifier.
    /// @param proofs ⌈k / slots⌉ proofs, `[a0, a1, b00, b01, b10, b11, c0, c1]` each.
    function proveSampled(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        bytes calldata header,
        uint256[8][] calldata proofs
    ) external;

    /// @notice `answer` for a sampling-circuit job: ⌈challenged / slots⌉ proofs over
    /// `record.challenged` chunked as in `proveSampled`; then pays the job, the bonds included.
    function answerSampled(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        uint256[8][] calldata proofs
    ) external;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           ANYONE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Records the sample block's RANDAO mix from its RLP header (anyone may call) while
    /// its hash is available, so that the job can be proven later. Never paused.
    function sample(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        bytes calldata header
    ) external;

    /// @notice Pays a proven job whose challenge window ended unchallenged (anyone may call):
    /// `price − fee` to the provider, `maxPrice − price` to the requester, collateral released.
    /// Never paused.
    function settle(uint256 jobId, BatchTerms calldata terms, BatchRecord calldata record) external;

    /// @notice Slashes a claimed, committed, sampled or challenged job past its deadline (anyone
    /// may call): its whole collateral is split between the requester, the caller and the
    /// treasury as its terms say; `maxPrice` and any bonds are refunded. Never paused.
    function slashExpired(uint256 jobId, BatchTerms calldata terms, BatchRecord calldata record) external;

    /// @notice Sends accrued treasury shares to the `JobMarket`'s treasury. Never paused.
    function withdrawFees() external returns (uint256 amount);

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           VIEWS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice The job's slot (status `None` for an unused id).
    function getBatch(uint256 jobId) external view returns (Batch memory);

    /// @notice The commitment a job with `terms` and `record` stores in `status` (for `Slashed`,
    /// pass the status it was slashed in).
    function commitmentOf(
        BatchTerms calldata terms,
        BatchStatus status,
        BatchRecord calldata record
    ) external pure returns (bytes26);

    /// @notice Whether the job's samples were proven (`Proven` or `Paid`; a `Challenged` job reports
    /// false until answered) by `provider`, claimed at `claimedAt`, with `outputsRoot`, for exactly
    /// `terms` (lets a contract consume a batch result; the outputs themselves are in the file at
    /// `outputsURI`, checked against the root).
    function checkResult(
        uint256 jobId,
        BatchTerms calldata terms,
        address provider,
        uint40 claimedAt,
        bytes32 outputsRoot
    ) external view returns (bool);

    /// @notice The k indices a job draws from `randomness` (`BatchSampling`).
    function sampleIndices(
        uint256 jobId,
        bytes32 randomness,
        uint32 numSamples,
        uint8 sampleSize
    ) external view returns (uint256[] memory);

    /// @notice Auction price of `terms` at `time` (≥ postedAt).
    function priceAt(BatchTerms calldata terms, uint256 time) external pure returns (uint256);

    /// @notice `uint256(keccak256(abi.encode(block.chainid, address(this), jobId, provider))) % r`.
    function jobKey(uint256 jobId, address provider) external view returns (uint256);

    /// @notice The id the next posted batch job gets (ids start at 1).
    function nextJobId() external view returns (uint256);

    /// @notice The constant bounds of batch jobs.
    function bounds() external pure returns (BatchBounds memory);

    /// @notice The stateless `BatchVerifier` this contract deployed (Merkle paths and Groth16 batch
    /// verification of samples).
    function verifier() external view returns (address);

    /// @notice The `JobMarket` that deployed this contract (governance, pause, fee, treasury).
    function jobMarket() external view returns (address);

    /// @notice The staking contract (shared with the `JobMarket`).
    function staking() external view returns (address);

    /// @notice The circuit registry.
    function registry() external view returns (address);

    /// @notice The payment token.
    function token() external view returns (address);

    /// @notice Max price of every unsettled job plus the bonds of challenged ones.
    function totalEscrowed() external view returns (uint256);

    /// @notice Treasury shares of slashes and fees accrued, not yet withdrawn.
    function accruedFees() external view returns (uint256);
}
