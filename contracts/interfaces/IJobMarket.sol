// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IJobMarket
/// @notice Job market and escrow of proofwork. A requester posts an inference job against a
/// registered circuit and escrows its maximum price; a staked provider claims it (locking
/// collateral in `ComputeStaking` and fixing the price), and is paid only by submitting a Groth16
/// proof that the market verifies on-chain against public signals it builds itself:
/// `[jobKey(jobId, provider), inputCommitment, ...outputs]`. A claimed job whose deadline passes
/// unproven is slashed by anyone.
///
/// Conventions (docs/ARCHITECTURE.md): `jobKey = uint256(keccak256(abi.encode(block.chainid,
/// address(market), jobId, provider))) % r`; the proof is `uint256[8] = [a0, a1, b00, b01, b10,
/// b11, c0, c1]` in snarkjs `exportSolidityCallData` order. Job ids start at 1.
///
/// Token flows: every token amount the market holds is either escrowed for an unpaid job
/// (`totalEscrowed`, the max price of every open, claimed or completed-but-uncollected job) or
/// protocol fees accrued for the treasury (`accruedFees`, pulled by `withdrawFees`): the market's
/// token balance equals `totalEscrowed + accruedFees`. A completed job is paid out by `collect`
/// (pull-style, batched: one transfer per provider for any number of jobs).
interface IJobMarket {
    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                      ENUMS AND STRUCTS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Life cycle of a job. `None` means the id was never used.
    /// Open → Claimed → Completed → Paid; Claimed → Slashed; Open → Cancelled | Reclaimed.
    /// `Completed` means proven (the result is final); `Paid` that `collect` paid it out.
    enum JobStatus {
        None,
        Open,
        Claimed,
        Completed,
        Cancelled,
        Reclaimed,
        Slashed,
        Paid
    }

    /// @notice How a job's result is verified. Only `Full` (one Groth16 proof checked on-chain at
    /// submit) is implemented; other values are reserved for batch/sampling modes and rejected.
    enum VerificationMode {
        Full
    }

    /// @notice The protocol fee and slash split. The values in force when a job is posted are copied
    /// into its terms and apply to it whatever governance sets later.
    /// @param feeBps Protocol fee in basis points of the paid price (≤ MAX_FEE_BPS).
    /// @param slashRequesterBps Share of slashed collateral paid to the requester.
    /// @param slashBountyBps Share of slashed collateral paid to the caller of `slashExpired`
    /// (≤ MAX_SLASH_BOUNTY_BPS); the treasury gets the rest, at least MIN_SLASH_TREASURY_BPS.
    struct Economics {
        uint16 feeBps;
        uint16 slashRequesterBps;
        uint16 slashBountyBps;
    }

    /// @notice Initial parameters of the `ComputeStaking` the market deploys in its constructor.
    /// @param minStake Minimum bonded stake of an active provider.
    /// @param unbondingPeriod Unbonding period (> MAX_JOB_LIFETIME + SLASH_WINDOW).
    /// @param jailThreshold Consecutive failures that jail a provider.
    /// @param jailPeriod Jail duration.
    struct StakingConfig {
        uint96 minStake;
        uint40 unbondingPeriod;
        uint8 jailThreshold;
        uint40 jailPeriod;
    }

    /// @notice The constant bounds a poster (and governance) must respect (`ProtocolBounds`), for
    /// clients that validate before sending.
    /// @param maxClaimPeriod Longest time from posting to the claim deadline, and longest ramp.
    /// @param minExecutionWindow Shortest execution window.
    /// @param maxExecutionWindow Longest execution window.
    /// @param slashWindow Time keepers get after a deadline to slash (unbonding covers it).
    /// @param maxFeeBps Upper bound of the protocol fee.
    /// @param maxSlashBountyBps Upper bound of the slasher's share.
    /// @param minSlashTreasuryBps Lower bound of the treasury's share of a slash.
    /// @param maxPublicSignals Upper bound of a circuit's public signals.
    /// @param fieldModulus BN254 scalar field modulus r: commitments and outputs must be below it.
    struct Bounds {
        uint40 maxClaimPeriod;
        uint32 minExecutionWindow;
        uint32 maxExecutionWindow;
        uint40 slashWindow;
        uint16 maxFeeBps;
        uint16 maxSlashBountyBps;
        uint16 minSlashTreasuryBps;
        uint16 maxPublicSignals;
        uint256 fieldModulus;
    }

    /// @notice Terms of a new job, as passed to `postJob`.
    /// @param circuitId Registered, active circuit the proof must verify against.
    /// @param inputCommitment Poseidon commitment to the input bytes (< r), public signal 1.
    /// @param input The input bytes (may be empty when `inputURI` is given); only its keccak256
    /// enters the terms, the bytes stay in the transaction's calldata (not re-emitted).
    /// @param inputURI Where to fetch the input when not passed inline (may be empty when `input`
    /// is given).
    /// @param minPrice Price at post time (auction start).
    /// @param maxPrice Price at the end of the ramp; escrowed in full at post time.
    /// @param rampDuration Seconds for the price to rise from `minPrice` to `maxPrice`. Fixed price
    /// iff `minPrice == maxPrice` iff `rampDuration == 0`.
    /// @param collateral Stake the provider locks when claiming; slashed if it misses the deadline.
    /// @param claimDeadline Last timestamp at which the job can be claimed (≤ now + MAX_CLAIM_PERIOD).
    /// @param executionWindow Seconds the provider has from its claim to submit the proof.
    /// @param verificationMode Must be `Full`.
    struct PostJobParams {
        bytes32 circuitId;
        uint256 inputCommitment;
        bytes input;
        string inputURI;
        uint96 minPrice;
        uint96 maxPrice;
        uint32 rampDuration;
        uint96 collateral;
        uint40 claimDeadline;
        uint32 executionWindow;
        VerificationMode verificationMode;
    }

    /// @notice The immutable terms of a posted job. Only a commitment to them is stored (see
    /// `Job`); the terms are emitted in `JobPosted` and passed back as calldata to `claim`,
    /// `submit`, `cancel`, `reclaim`, `slashExpired`, `collect` and the views that need them, which
    /// check them against the stored commitment (`termsCommitment`, `claimCommitment`,
    /// `resultCommitment`): forging the terms of someone else's job needs a second preimage of a
    /// 208-bit keccak256 prefix (~2^208 work); a poster who could find a colliding pair of terms
    /// (~2^104 work, see docs/SECURITY.md) could refund more than it escrowed. The verifier fields
    /// are copied from the registry at post time (registry entries are immutable except `active`
    /// and `artifactsURI`), and so are the economic parameters: the deal of a job is fixed when it
    /// is posted.
    /// @param requester Who posted (and gets refunds).
    /// @param circuitId Circuit.
    /// @param verifier The circuit's verifier contract.
    /// @param selector The verifier's `verifyProof` selector.
    /// @param numPublic The circuit's number of public signals.
    /// @param inputCommitment Commitment to the input, public signal 1.
    /// @param inputHash keccak256 of the input bytes (`keccak256("")` when only a URI was given).
    /// @param minPrice Auction start price.
    /// @param maxPrice Escrowed maximum price.
    /// @param rampDuration Auction ramp in seconds.
    /// @param collateral Collateral required from the claimer.
    /// @param postedAt Post timestamp (auction start).
    /// @param claimDeadline Last claim timestamp.
    /// @param executionWindow Seconds from claim to deadline.
    /// @param feeBps Protocol fee applied when the job is paid (the market's fee at post time).
    /// @param slashRequesterBps Requester's share of the collateral if the job is slashed (at post time).
    /// @param slashBountyBps Slasher's share of the collateral if the job is slashed (at post time).
    /// @param verificationMode Verification mode (`Full`).
    struct JobTerms {
        address requester;
        bytes32 circuitId;
        address verifier;
        bytes4 selector;
        uint16 numPublic;
        uint256 inputCommitment;
        bytes32 inputHash;
        uint96 minPrice;
        uint96 maxPrice;
        uint32 rampDuration;
        uint96 collateral;
        uint40 postedAt;
        uint40 claimDeadline;
        uint32 executionWindow;
        uint16 feeBps;
        uint16 slashRequesterBps;
        uint16 slashBountyBps;
        VerificationMode verificationMode;
    }

    /// @notice The on-chain state of a job: one storage slot.
    /// @param status Life-cycle state.
    /// @param deadline Last timestamp at which the proof may be submitted (0 until claimed). The
    /// claim time is `deadline - executionWindow`; the price a claim fixes is the auction price at
    /// that time (`priceAt`).
    /// @param commitment `termsCommitment(terms)` while open (and once cancelled or reclaimed);
    /// `claimCommitment(terms, provider)` once claimed (and once slashed);
    /// `resultCommitment(terms, provider, outputs)` once completed (and once paid).
    struct Job {
        JobStatus status;
        uint40 deadline;
        bytes26 commitment;
    }

    /// @notice One completed job to pay out with `collect`.
    /// @param jobId The job.
    /// @param terms Its terms, as emitted in `JobPosted`.
    /// @param outputs Its proven outputs, as emitted in `JobCompleted`.
    struct Collection {
        uint256 jobId;
        JobTerms terms;
        uint256[] outputs;
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           ERRORS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Thrown when an address argument is the zero address.
    error Market__ZeroAddress();

    /// @notice Thrown when a job is not in `Open` status (claimed by someone else first — a lost
    /// race —, settled, or never posted).
    /// @param jobId The job.
    /// @param status Its current status.
    error Market__JobNotOpen(uint256 jobId, JobStatus status);

    /// @notice Thrown when a job is not in `Claimed` status.
    /// @param jobId The job.
    /// @param status Its current status.
    error Market__JobNotClaimed(uint256 jobId, JobStatus status);

    /// @notice Thrown when someone other than the requester cancels a job.
    /// @param jobId The job.
    /// @param caller The caller.
    error Market__NotRequester(uint256 jobId, address caller);

    /// @notice Thrown when claiming after the claim deadline.
    /// @param jobId The job.
    /// @param claimDeadline Its claim deadline.
    error Market__ClaimDeadlinePassed(uint256 jobId, uint40 claimDeadline);

    /// @notice Thrown when reclaiming before the claim deadline passed (while the circuit is active).
    /// @param jobId The job.
    /// @param claimDeadline Its claim deadline.
    error Market__ClaimDeadlineNotPassed(uint256 jobId, uint40 claimDeadline);

    /// @notice Thrown when submitting after the deadline.
    /// @param jobId The job.
    /// @param deadline Its deadline.
    error Market__DeadlinePassed(uint256 jobId, uint40 deadline);

    /// @notice Thrown when slashing before the deadline passed.
    /// @param jobId The job.
    /// @param deadline Its deadline.
    error Market__DeadlineNotPassed(uint256 jobId, uint40 deadline);

    /// @notice Thrown when posting or claiming against an unknown or deactivated circuit.
    /// @param circuitId The circuit.
    error Market__CircuitNotActive(bytes32 circuitId);

    /// @notice Thrown when a deposit moved a different amount than asked (a fee-on-transfer or
    /// rebasing token): such tokens are unsupported and refused at the door.
    /// @param expected Amount the transfer was asked to move.
    /// @param received Amount the market's balance actually grew by.
    error Market__TransferMismatch(uint256 expected, uint256 received);

    /// @notice Thrown when a value that must be a BN254 field element is `>= r`.
    /// @param value The value.
    error Market__NotInField(uint256 value);

    /// @notice Thrown when the auction terms are inconsistent: `minPrice > maxPrice`, or exactly one
    /// of `minPrice == maxPrice` and `rampDuration == 0` holds, or the ramp exceeds MAX_CLAIM_PERIOD.
    /// @param minPrice Start price.
    /// @param maxPrice End price.
    /// @param rampDuration Ramp.
    error Market__InvalidPricing(uint96 minPrice, uint96 maxPrice, uint32 rampDuration);

    /// @notice Thrown when the claim deadline is in the past or beyond now + MAX_CLAIM_PERIOD.
    /// @param claimDeadline Value given.
    /// @param latest Latest allowed value.
    error Market__InvalidClaimDeadline(uint40 claimDeadline, uint40 latest);

    /// @notice Thrown when the execution window is outside its bounds.
    /// @param executionWindow Value given.
    /// @param min Inclusive lower bound.
    /// @param max Inclusive upper bound.
    error Market__InvalidExecutionWindow(uint32 executionWindow, uint32 min, uint32 max);

    /// @notice Thrown when neither input bytes nor an input URI is given.
    error Market__NoInput();

    /// @notice Thrown when a verification mode other than `Full` is requested.
    /// @param mode The mode given.
    error Market__UnsupportedVerificationMode(VerificationMode mode);

    /// @notice Thrown when the number of outputs does not match the circuit (`numPublic - 2`).
    /// @param given Outputs given.
    /// @param expected Outputs expected.
    error Market__WrongOutputCount(uint256 given, uint256 expected);

    /// @notice Thrown when the verifier rejects (or fails on) the proof.
    /// @param jobId The job.
    error Market__InvalidProof(uint256 jobId);

    /// @notice Thrown when a governance parameter is outside its constant bounds.
    /// @param value Proposed value.
    /// @param max Inclusive upper bound.
    error Market__ParameterOutOfBounds(uint256 value, uint256 max);

    /// @notice Thrown when `withdrawFees` finds no fees.
    error Market__NoFees();

    /// @notice Thrown when the terms passed with a job id are not the job's posted terms, or (for a
    /// claimed or completed job) the provider — the caller of `submit` — is not its claimer, or
    /// (for `collect`) the outputs are not its proven outputs.
    /// @param jobId The job.
    error Market__TermsMismatch(uint256 jobId);

    /// @notice Thrown when `deployBatchMarket` is given creation code other than the one whose hash
    /// the market was constructed with.
    /// @param expected The hash fixed at construction.
    /// @param given The hash of the code given.
    error Market__WrongBatchMarketCode(bytes32 expected, bytes32 given);

    /// @notice Thrown when `deployBatchMarket` is called again.
    /// @param batchMarket Where the batch market is.
    error Market__BatchMarketDeployed(address batchMarket);

    /// @notice Thrown when `collect` is given a job that is not in `Completed` status.
    /// @param jobId The job.
    /// @param status Its current status.
    error Market__JobNotCompleted(uint256 jobId, JobStatus status);

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           EVENTS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Emitted when a job was posted. Workers read the terms (to pass back to `claim` and
    /// `submit`) and the URI from it. Inline input bytes are not re-emitted (that would pay for
    /// them twice): they are in the calldata of the posting transaction (`postJob` /
    /// `postJobWithPermit`), checked off-chain against `terms.inputHash`.
    /// @param jobId The new job id.
    /// @param requester The poster.
    /// @param circuitId The circuit.
    /// @param terms The job's immutable terms (a commitment to them is stored).
    /// @param inputURI Where to fetch the input when not given inline.
    event JobPosted(
        uint256 indexed jobId,
        address indexed requester,
        bytes32 indexed circuitId,
        JobTerms terms,
        string inputURI
    );

    /// @notice Emitted when a provider claimed a job.
    /// @param jobId The job.
    /// @param provider The claimer.
    /// @param price Price fixed by the claim.
    /// @param deadline Last timestamp for `submit`.
    /// @param jobKey The jobKey the proof must bind (public signal 0).
    event JobClaimed(
        uint256 indexed jobId,
        address indexed provider,
        uint96 price,
        uint40 deadline,
        uint256 jobKey
    );

    /// @notice Emitted when a job was proven (its result is final; `collect` pays it out).
    /// @param jobId The job.
    /// @param provider The claimer that proved it.
    /// @param outputs The proven outputs (public signals 2..).
    event JobCompleted(uint256 indexed jobId, address indexed provider, uint256[] outputs);

    /// @notice Emitted when `collect` paid out a completed job.
    /// @param jobId The job.
    /// @param provider The provider.
    /// @param payout Paid to the provider (`price - fee`).
    /// @param fee Protocol fee accrued for the treasury.
    /// @param refund Returned to the requester (`maxPrice - price`).
    event JobPaid(
        uint256 indexed jobId,
        address indexed provider,
        uint256 payout,
        uint256 fee,
        uint256 refund
    );

    /// @notice Emitted when the requester cancelled an unclaimed job (full refund).
    event JobCancelled(uint256 indexed jobId, address indexed requester, uint256 refund);

    /// @notice Emitted when an unclaimed job past its claim deadline was refunded.
    event JobReclaimed(uint256 indexed jobId, address indexed requester, uint256 refund);

    /// @notice Emitted when a claimed job past its deadline was slashed.
    /// @param jobId The job.
    /// @param provider The slashed provider.
    /// @param caller Who called `slashExpired` and got the bounty.
    /// @param toRequester Slashed collateral paid to the requester (on top of its full refund).
    /// @param bounty Slashed collateral paid to the caller.
    /// @param toTreasury Slashed collateral accrued for the treasury.
    /// @param refund Escrowed price returned to the requester.
    event JobSlashed(
        uint256 indexed jobId,
        address indexed provider,
        address indexed caller,
        uint256 toRequester,
        uint256 bounty,
        uint256 toTreasury,
        uint256 refund
    );

    /// @notice Emitted when the batch market was deployed (at the address fixed at construction).
    event BatchMarketDeployed(address batchMarket);

    /// @notice Emitted when governance changed the protocol fee.
    event FeeSet(uint16 feeBps);

    /// @notice Emitted when governance changed the treasury.
    event TreasurySet(address treasury);

    /// @notice Emitted when governance changed how slashed collateral is split.
    event SlashSplitSet(uint16 requesterBps, uint16 bountyBps);

    /// @notice Emitted when accrued fees (and the treasury's share of slashes) were sent.
    event FeesWithdrawn(address indexed treasury, uint256 amount);

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                         REQUESTER
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Posts a job and escrows `params.maxPrice` from the caller (needs allowance).
    /// @dev Reverts while paused.
    /// @return jobId The new job id.
    function postJob(PostJobParams calldata params) external returns (uint256 jobId);

    /// @notice `postJob` preceded by an EIP-2612 permit of `params.maxPrice` to the market. A permit
    /// that fails (e.g. front-run) is ignored when the allowance is already sufficient.
    function postJobWithPermit(
        PostJobParams calldata params,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 jobId);

    /// @notice Cancels an unclaimed job (requester only) and refunds its escrow. Never paused.
    /// @param terms The job's terms, as emitted in `JobPosted`.
    function cancel(uint256 jobId, JobTerms calldata terms) external;

    /// @notice Refunds an unclaimed job to its requester (anyone may call) once its claim deadline
    /// passed, or at once when its circuit was deactivated (it can no longer be claimed). Never
    /// paused.
    /// @param terms The job's terms, as emitted in `JobPosted`.
    function reclaim(uint256 jobId, JobTerms calldata terms) external;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          PROVIDER
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Claims an open job: fixes the price at `currentPrice`, locks the collateral from the
    /// caller's free stake, sets `deadline = now + executionWindow`. The first claim wins; later
    /// ones revert with `Market__JobNotOpen(jobId, Claimed)`. Reverts while paused and when the
    /// job's circuit was deactivated (`Market__CircuitNotActive`).
    /// @param terms The job's terms, as emitted in `JobPosted`.
    function claim(uint256 jobId, JobTerms calldata terms) external;

    /// @notice Completes a claimed job with a proof (claimer only, until the deadline): verifies it
    /// against `[jobKey(jobId, msg.sender), inputCommitment, ...outputs]`, releases the collateral
    /// and commits to the outputs (`resultCommitment`; the outputs themselves are in
    /// `JobCompleted`). The payment is pulled later with `collect`. Never paused. A caller that is
    /// not the claimer gets `Market__TermsMismatch`.
    /// @param terms The job's terms, as emitted in `JobPosted`.
    /// @param proof `[a0, a1, b00, b01, b10, b11, c0, c1]`.
    /// @param outputs Public signals 2.. (each < r).
    function submit(
        uint256 jobId,
        JobTerms calldata terms,
        uint256[8] calldata proof,
        uint256[] calldata outputs
    ) external;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           ANYONE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Slashes a claimed job past its deadline: the collateral is split between the
    /// requester, the caller (bounty) and the treasury; the escrowed price is refunded to the
    /// requester; the provider's failure is recorded. Never paused.
    /// @param terms The job's terms, as emitted in `JobPosted`.
    /// @param provider The claimer, as emitted in `JobClaimed`.
    function slashExpired(uint256 jobId, JobTerms calldata terms, address provider) external;

    /// @notice Pays out completed jobs of `provider` (anyone may call): for each job, accrues the
    /// fee, refunds `maxPrice - price` to its requester and marks it `Paid`; then sends the sum of
    /// the payouts to `provider` in one transfer. Never paused.
    /// @param provider The claimer of every job in `jobs`.
    /// @param jobs The jobs, with their terms and proven outputs.
    /// @return payout Total sent to `provider`.
    function collect(address provider, Collection[] calldata jobs) external returns (uint256 payout);

    /// @notice Sends accrued fees to the treasury. Never paused.
    function withdrawFees() external returns (uint256 amount);

    /// @notice Deploys the batch market (anyone may call, once) with CREATE2 (salt 0) from
    /// `creationCode`, which must hash to the value fixed at construction; it lands at
    /// `batchMarket()`, the address the staking contract already accepts as its second market.
    /// @return batch The batch market's address.
    function deployBatchMarket(bytes calldata creationCode) external returns (address batch);

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                         GOVERNANCE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Sets the protocol fee in basis points of the paid price (≤ MAX_FEE_BPS), for jobs
    /// posted from now on (a posted job keeps the fee in its terms).
    function setFee(uint16 feeBps) external;

    /// @notice Sets the fee recipient.
    function setTreasury(address treasury) external;

    /// @notice Sets the split of slashed collateral: `requesterBps` to the requester, `bountyBps`
    /// (≤ MAX_SLASH_BOUNTY_BPS) to the caller, the rest (≥ MIN_SLASH_TREASURY_BPS) to the treasury;
    /// for jobs posted from now on (a posted job keeps the split in its terms).
    function setSlashSplit(uint16 requesterBps, uint16 bountyBps) external;

    /// @notice Stops `postJob` and `claim` (and the batch market's `postBatch` and `claim`). Never
    /// stops submit, slash, cancel, reclaim, settlement or withdraw.
    function pause() external;

    /// @notice Lifts the pause.
    function unpause() external;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           VIEWS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice The job's on-chain state (all zero, status `None`, for an unused id).
    function getJob(uint256 jobId) external view returns (Job memory);

    /// @notice Price a claim would fix now for an open job (reverts with `Market__JobNotOpen`
    /// otherwise, and with `Market__TermsMismatch` unless `terms` are the job's). The price fixed
    /// by a claim is `priceAt(terms, deadline - executionWindow)`.
    function currentPrice(uint256 jobId, JobTerms calldata terms) external view returns (uint256);

    /// @notice Auction price of `terms` at `time` (≥ `postedAt`): `minPrice + (maxPrice - minPrice)
    /// * min(time - postedAt, rampDuration) / rampDuration`, or `maxPrice` for a fixed price.
    function priceAt(JobTerms calldata terms, uint256 time) external pure returns (uint256);

    /// @notice The commitment stored for an open job posted with `terms`: the first 26 bytes of
    /// `keccak256(abi.encode(terms))`.
    function termsCommitment(JobTerms calldata terms) external pure returns (bytes26);

    /// @notice The commitment stored for a job claimed by `provider`: the first 26 bytes of
    /// `keccak256(abi.encode(keccak256(abi.encode(terms)), provider))`.
    function claimCommitment(JobTerms calldata terms, address provider) external pure returns (bytes26);

    /// @notice The commitment stored for a completed job: the first 26 bytes of
    /// `keccak256(abi.encode(claimCommitment(terms, provider), outputs))`.
    function resultCommitment(
        JobTerms calldata terms,
        address provider,
        uint256[] calldata outputs
    ) external pure returns (bytes26);

    /// @notice Whether the job was proven (completed or paid) by `provider` with exactly `outputs`
    /// for exactly `terms` (lets a contract consume a result: the outputs are in `JobCompleted`).
    function checkResult(
        uint256 jobId,
        JobTerms calldata terms,
        address provider,
        uint256[] calldata outputs
    ) external view returns (bool);

    /// @notice `uint256(keccak256(abi.encode(block.chainid, address(this), jobId, provider))) % r`.
    function jobKey(uint256 jobId, address provider) external view returns (uint256);

    /// @notice The id the next posted job gets (ids start at 1).
    function nextJobId() external view returns (uint256);

    /// @notice The payment token (the same as the staking token).
    function token() external view returns (address);

    /// @notice The staking contract (deployed by this contract; its markets are this contract and
    /// `batchMarket()`).
    function staking() external view returns (address);

    /// @notice The batch market's address (docs/BATCH.md), fixed at construction; its code exists
    /// once `deployBatchMarket` ran. It shares the staking contract, the registry and the token,
    /// and takes the fee, slash split, pause and treasury from this contract.
    function batchMarket() external view returns (address);

    /// @notice The circuit registry.
    function registry() external view returns (address);

    /// @notice Protocol fee in basis points that new jobs get in their terms.
    function feeBps() external view returns (uint16);

    /// @notice The fee and slash split new jobs get in their terms.
    function economics() external view returns (Economics memory);

    /// @notice The constant bounds of posting parameters and governance (`ProtocolBounds`).
    function bounds() external pure returns (Bounds memory);

    /// @notice Fee recipient.
    function treasury() external view returns (address);

    /// @notice Share of slashed collateral paid to the requester, in basis points.
    function slashRequesterBps() external view returns (uint16);

    /// @notice Share of slashed collateral paid to the `slashExpired` caller, in basis points.
    function slashBountyBps() external view returns (uint16);

    /// @notice Fees and slash shares accrued for the treasury, not yet withdrawn.
    function accruedFees() external view returns (uint256);

    /// @notice Sum of the escrowed max price of every open, claimed or completed (unpaid) job.
    function totalEscrowed() external view returns (uint256);
}
