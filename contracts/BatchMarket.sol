// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {TransientReentrancyGuard} from "./utils/TransientReentrancyGuard.sol";

import {BatchVerifier} from "./BatchVerifier.sol";
import {IBatchMarket} from "./interfaces/IBatchMarket.sol";
import {IBatchVerifier} from "./interfaces/IBatchVerifier.sol";
import {ICircuitRegistry} from "./interfaces/ICircuitRegistry.sol";
import {IComputeStaking} from "./interfaces/IComputeStaking.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {AuctionPrice} from "./libraries/AuctionPrice.sol";
import {BatchSampling} from "./libraries/BatchSampling.sol";
import {BlockRandao} from "./libraries/BlockRandao.sol";
import {ProtocolBounds} from "./libraries/ProtocolBounds.sol";

/// @title BatchMarket
/// @notice Batch jobs checked by zk sampling. See {IBatchMarket} and docs/BATCH.md.
/// @dev Deployed by the `JobMarket` (`deployBatchMarket`, CREATE2 of the code whose hash the
/// market was constructed with), which is then `jobMarket()` for ever; the staking contract the
/// market deployed accepts `lock`/`unlock`/`slash` from this contract too (its second immutable
/// market, the CREATE2 address). No roles: the fee, slash split, pause and treasury are the `JobMarket`'s. One
/// storage slot per job; terms and record travel as calldata. The sample-proof checks (Merkle paths
/// and the Groth16 batch verification) are in a stateless `BatchVerifier` this contract deploys; a
/// sampling-circuit job's proofs go to its circuit's registered verifier. No loop over stored jobs; loops run
/// over a job's k (≤ 64) or challenged (≤ 32) samples, their outputs (≤ 62) and paths (≤ 32).
contract BatchMarket is IBatchMarket, TransientReentrancyGuard {
    using SafeERC20 for IERC20;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          STORAGE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    IERC20 private immutable _token;
    IComputeStaking private immutable _staking;
    ICircuitRegistry private immutable _registry;
    IJobMarket private immutable _jobMarket;
    IBatchVerifier private immutable _verifier;

    // One slot: the job counter and the two totals every settlement updates.
    uint64 private _nextJobId;
    uint96 private _totalEscrowed;
    uint96 private _accruedFees;

    mapping(uint256 jobId => Batch) private _jobs;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                        CONSTRUCTOR
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @dev No arguments (the creation code, and so its hash, is a build constant): the deployer
    /// is the `JobMarket`, whose token, registry and staking contract this market shares; that
    /// staking contract must name this contract as its batch market.
    constructor() {
        IJobMarket market = IJobMarket(msg.sender);
        IComputeStaking staking_ = IComputeStaking(market.staking());
        if (staking_.batchMarket() != address(this) || staking_.market() != msg.sender) {
            revert Batch__NotDeployedByMarket();
        }
        _jobMarket = market;
        _staking = staking_;
        _token = IERC20(market.token());
        _registry = ICircuitRegistry(market.registry());
        _verifier = new BatchVerifier();
        _nextJobId = 1;
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                         REQUESTER
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IBatchMarket
    function postBatch(PostBatchParams calldata params) external nonReentrant returns (uint256 jobId) {
        _whenNotPaused();
        _validate(params);
        (, , uint16 numPublic, bool active) = _registry.getVerifier(params.circuitId);
        if (!active) revert Batch__CircuitNotActive(params.circuitId);
        _validateSampling(params, numPublic);

        BatchTerms memory terms = _terms(params, numPublic, _jobMarket.economics());
        jobId = _nextJobId;
        // Job ids stay far below 2^64 (one per transaction).
        _nextJobId = uint64(jobId + 1);
        _totalEscrowed += params.maxPrice;
        _jobs[jobId] = Batch({
            status: BatchStatus.Open,
            deadline: 0,
            commitment: bytes26(keccak256(abi.encode(terms)))
        });
        emit BatchPosted(jobId, msg.sender, params.circuitId, terms, params.inputsURI);

        _pull(msg.sender, params.maxPrice);
    }

    /// @inheritdoc IBatchMarket
    function cancel(uint256 jobId, BatchTerms calldata terms) external nonReentrant {
        Batch storage job = _checked(jobId, BatchStatus.Open, bytes26(_termsHash(terms)));
        address requester = terms.requester;
        if (msg.sender != requester) revert Batch__NotRequester(jobId, msg.sender);

        uint96 refund = terms.maxPrice;
        job.status = BatchStatus.Cancelled;
        _totalEscrowed -= refund;
        emit BatchCancelled(jobId, requester, refund);

        _token.safeTransfer(requester, refund);
    }

    /// @inheritdoc IBatchMarket
    function reclaim(uint256 jobId, BatchTerms calldata terms) external nonReentrant {
        Batch storage job = _checked(jobId, BatchStatus.Open, bytes26(_termsHash(terms)));
        uint40 claimDeadline = terms.claimDeadline;
        // A job whose circuit was deactivated can never be claimed: it is reclaimable at once.
        if (block.timestamp <= claimDeadline && _registry.isActive(terms.circuitId)) {
            revert Batch__ClaimDeadlineNotPassed(jobId, claimDeadline);
        }

        address requester = terms.requester;
        uint96 refund = terms.maxPrice;
        job.status = BatchStatus.Reclaimed;
        _totalEscrowed -= refund;
        emit BatchReclaimed(jobId, requester, refund);

        _token.safeTransfer(requester, refund);
    }

    /// @inheritdoc IBatchMarket
    function challenge(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        uint32[] calldata indices
    ) external nonReentrant {
        if (msg.sender != terms.requester) revert Batch__NotRequester(jobId, msg.sender);
        bytes26 result = _result(_claimed(_termsHash(terms), record), record.outputsRoot);
        Batch storage job = _checked(jobId, BatchStatus.Proven, result);
        uint40 deadline = job.deadline;
        if (block.timestamp > deadline) revert Batch__DeadlinePassed(jobId, deadline);
        uint256 count = indices.length;
        if (count == 0 || count > terms.maxChallenges)
            revert Batch__ChallengeCount(count, terms.maxChallenges);
        uint256 previous;
        for (uint256 i; i < count; ++i) {
            uint256 index = indices[i];
            if ((i != 0 && index <= previous) || index >= terms.numSamples)
                revert Batch__ChallengeIndex(index);
            previous = index;
        }

        // count ≤ 32 and challengeBond < 2^96: no overflow in 256 bits.
        uint256 bonds = uint256(terms.challengeBond) * count;
        uint40 answerDeadline = uint40(block.timestamp) + terms.answerWindow;
        job.status = BatchStatus.Challenged;
        job.deadline = answerDeadline;
        job.commitment = _challenged(result, indices);
        _totalEscrowed = SafeCast.toUint96(_totalEscrowed + bonds);
        emit BatchChallenged(jobId, indices, bonds, answerDeadline);

        _pull(msg.sender, bonds);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          PROVIDER
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IBatchMarket
    function claim(uint256 jobId, BatchTerms calldata terms) external {
        _whenNotPaused();
        bytes32 termsHash = _termsHash(terms);
        _checked(jobId, BatchStatus.Open, bytes26(termsHash));
        uint40 claimDeadline = terms.claimDeadline;
        if (block.timestamp > claimDeadline) revert Batch__ClaimDeadlinePassed(jobId, claimDeadline);
        if (!_registry.isActive(terms.circuitId)) revert Batch__CircuitNotActive(terms.circuitId);

        // timestamp + window < 2^40 for the next ~34,000 years.
        uint40 claimedAt = uint40(block.timestamp);
        uint40 deadline = claimedAt + terms.commitWindow;
        _jobs[jobId] = Batch({
            status: BatchStatus.Claimed,
            deadline: deadline,
            commitment: _claimedBy(termsHash, msg.sender, claimedAt)
        });
        emit BatchClaimed(
            jobId,
            msg.sender,
            _priceAt(terms, claimedAt),
            claimedAt,
            deadline,
            _jobKey(jobId, msg.sender)
        );

        // The staking contract is trusted (deployed with this contract) and moves no tokens in `lock`.
        _staking.lock(msg.sender, terms.collateral);
    }

    /// @inheritdoc IBatchMarket
    function commit(
        uint256 jobId,
        BatchTerms calldata terms,
        uint40 claimedAt,
        bytes32 outputsRoot,
        bytes32 outputsHash,
        string calldata outputsURI
    ) external {
        bytes26 claimed = _claimedBy(_termsHash(terms), msg.sender, claimedAt);
        Batch storage job = _checked(jobId, BatchStatus.Claimed, claimed);
        uint40 deadline = job.deadline;
        if (block.timestamp > deadline) revert Batch__DeadlinePassed(jobId, deadline);

        // block.number + 4 < 2^64 for any chain that will ever exist.
        uint64 sampleBlock = uint64(block.number) + ProtocolBounds.SAMPLE_DELAY;
        uint40 proveDeadline = uint40(block.timestamp) + terms.proveWindow;
        job.status = BatchStatus.Committed;
        job.deadline = proveDeadline;
        job.commitment = _committed(claimed, outputsRoot, sampleBlock);
        emit BatchCommitted(
            jobId,
            msg.sender,
            outputsRoot,
            outputsHash,
            outputsURI,
            sampleBlock,
            proveDeadline
        );
    }

    /// @inheritdoc IBatchMarket
    function prove(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        bytes calldata header,
        VerifyingKey calldata key,
        SampleProof[] calldata samples
    ) external {
        (bytes26 claimed, bytes32 randomness, uint256[] memory indices) = _drawn(
            jobId,
            terms,
            record,
            header,
            false
        );
        _verifySamples(jobId, terms, record, key, indices, samples);
        _proven(jobId, terms, record, claimed, randomness, indices);
    }

    /// @inheritdoc IBatchMarket
    function proveSampled(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        bytes calldata header,
        uint256[8][] calldata proofs
    ) external {
        (bytes26 claimed, bytes32 randomness, uint256[] memory indices) = _drawn(
            jobId,
            terms,
            record,
            header,
            true
        );
        _verifySampling(jobId, terms, record, indices, proofs);
        _proven(jobId, terms, record, claimed, randomness, indices);
    }

    /// @inheritdoc IBatchMarket
    function answer(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        VerifyingKey calldata key,
        SampleProof[] calldata samples
    ) external nonReentrant {
        (Batch storage job, bytes26 result, uint256[] memory indices) = _toAnswer(
            jobId,
            terms,
            record,
            false
        );
        _verifySamples(jobId, terms, record, key, indices, samples);
        _answered(jobId, job, terms, record, result);
    }

    /// @inheritdoc IBatchMarket
    function answerSampled(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        uint256[8][] calldata proofs
    ) external nonReentrant {
        (Batch storage job, bytes26 result, uint256[] memory indices) = _toAnswer(jobId, terms, record, true);
        _verifySampling(jobId, terms, record, indices, proofs);
        _answered(jobId, job, terms, record, result);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           ANYONE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IBatchMarket
    function sample(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        bytes calldata header
    ) external {
        bytes26 committed = _committed(
            _claimed(_termsHash(terms), record),
            record.outputsRoot,
            record.sampleBlock
        );
        Batch storage job = _checked(jobId, BatchStatus.Committed, committed);
        bytes32 randomness = _randomness(record.sampleBlock, header);
        job.status = BatchStatus.Sampled;
        job.commitment = _sampled(committed, randomness);
        emit BatchSampled(jobId, randomness);
    }

    /// @inheritdoc IBatchMarket
    function settle(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record
    ) external nonReentrant {
        bytes26 result = _result(_claimed(_termsHash(terms), record), record.outputsRoot);
        Batch storage job = _checked(jobId, BatchStatus.Proven, result);
        uint40 deadline = job.deadline;
        if (block.timestamp <= deadline) revert Batch__DeadlineNotPassed(jobId, deadline);
        _pay(jobId, job, terms, record, result, 0);
    }

    /// @inheritdoc IBatchMarket
    function slashExpired(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record
    ) external nonReentrant {
        Batch storage job = _jobs[jobId];
        BatchStatus status = job.status;
        if (
            status != BatchStatus.Claimed &&
            status != BatchStatus.Committed &&
            status != BatchStatus.Sampled &&
            status != BatchStatus.Challenged
        ) revert Batch__InvalidStatus(jobId, status);
        if (job.commitment != _commitmentOf(_termsHash(terms), status, record))
            revert Batch__TermsMismatch(jobId);
        uint40 deadline = job.deadline;
        if (block.timestamp <= deadline) revert Batch__DeadlineNotPassed(jobId, deadline);

        // Unanswered challenges: the bonds go back to the requester with the price.
        uint256 refund = uint256(terms.maxPrice);
        if (status == BatchStatus.Challenged)
            refund += uint256(terms.challengeBond) * record.challenged.length;
        uint96 collateral = terms.collateral;
        // The split of the job's terms: collateral < 2^96 and the two shares sum to at most BPS, so
        // toRequester + bounty <= collateral.
        uint256 toRequester = (uint256(collateral) * terms.slashRequesterBps) / ProtocolBounds.BPS;
        uint256 bounty = (uint256(collateral) * terms.slashBountyBps) / ProtocolBounds.BPS;
        uint256 toTreasury = collateral - toRequester - bounty;

        job.status = BatchStatus.Slashed;
        // refund was counted in _totalEscrowed (< 2^96); toTreasury <= collateral < 2^96.
        _totalEscrowed -= uint96(refund);
        _accruedFees += uint96(toTreasury);
        address provider = record.provider;
        emit BatchSlashed(jobId, provider, msg.sender, toRequester, bounty, toTreasury, refund);

        // Moves the collateral from the staking contract to this contract, then splits it.
        _staking.slash(provider, collateral, address(this));
        uint256 toRequesterTotal = refund + toRequester;
        if (toRequesterTotal != 0) _token.safeTransfer(terms.requester, toRequesterTotal);
        if (bounty != 0) _token.safeTransfer(msg.sender, bounty);
    }

    /// @inheritdoc IBatchMarket
    function withdrawFees() external nonReentrant returns (uint256 amount) {
        amount = _accruedFees;
        if (amount == 0) revert Batch__NoFees();
        address treasury = _jobMarket.treasury();
        _accruedFees = 0;
        emit FeesWithdrawn(treasury, amount);

        _token.safeTransfer(treasury, amount);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           VIEWS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IBatchMarket
    function getBatch(uint256 jobId) external view returns (Batch memory) {
        return _jobs[jobId];
    }

    /// @inheritdoc IBatchMarket
    function commitmentOf(
        BatchTerms calldata terms,
        BatchStatus status,
        BatchRecord calldata record
    ) external pure returns (bytes26) {
        return _commitmentOf(_termsHash(terms), status, record);
    }

    /// @inheritdoc IBatchMarket
    function checkResult(
        uint256 jobId,
        BatchTerms calldata terms,
        address provider,
        uint40 claimedAt,
        bytes32 outputsRoot
    ) external view returns (bool) {
        Batch storage job = _jobs[jobId];
        BatchStatus status = job.status;
        return
            (status == BatchStatus.Proven || status == BatchStatus.Paid) &&
            job.commitment == _result(_claimedBy(_termsHash(terms), provider, claimedAt), outputsRoot);
    }

    /// @inheritdoc IBatchMarket
    function sampleIndices(
        uint256 jobId,
        bytes32 randomness,
        uint32 numSamples,
        uint8 sampleSize
    ) external view returns (uint256[] memory) {
        if (
            numSamples == 0 ||
            sampleSize == 0 ||
            sampleSize > numSamples ||
            sampleSize > ProtocolBounds.MAX_SAMPLE_SIZE
        ) {
            revert Batch__InvalidSize(numSamples, sampleSize, 0);
        }
        return BatchSampling.indices(BatchSampling.seed(randomness, jobId), numSamples, sampleSize);
    }

    /// @inheritdoc IBatchMarket
    function priceAt(BatchTerms calldata terms, uint256 time) external pure returns (uint256) {
        return _priceAt(terms, time);
    }

    /// @inheritdoc IBatchMarket
    function jobKey(uint256 jobId, address provider) external view returns (uint256) {
        return _jobKey(jobId, provider);
    }

    /// @inheritdoc IBatchMarket
    function nextJobId() external view returns (uint256) {
        return _nextJobId;
    }

    /// @inheritdoc IBatchMarket
    function bounds() external pure returns (BatchBounds memory) {
        return
            BatchBounds({
                sampleDelay: ProtocolBounds.SAMPLE_DELAY,
                maxSampleSize: ProtocolBounds.MAX_SAMPLE_SIZE,
                maxChallenges: ProtocolBounds.MAX_CHALLENGES,
                maxClaimPeriod: ProtocolBounds.MAX_CLAIM_PERIOD,
                minWindow: ProtocolBounds.MIN_EXECUTION_WINDOW,
                maxTotalWindow: ProtocolBounds.MAX_EXECUTION_WINDOW
            });
    }

    /// @inheritdoc IBatchMarket
    function verifier() external view returns (address) {
        return address(_verifier);
    }

    /// @inheritdoc IBatchMarket
    function jobMarket() external view returns (address) {
        return address(_jobMarket);
    }

    /// @inheritdoc IBatchMarket
    function staking() external view returns (address) {
        return address(_staking);
    }

    /// @inheritdoc IBatchMarket
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IBatchMarket
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IBatchMarket
    function totalEscrowed() external view returns (uint256) {
        return _totalEscrowed;
    }

    /// @inheritdoc IBatchMarket
    function accruedFees() external view returns (uint256) {
        return _accruedFees;
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          INTERNAL
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    function _whenNotPaused() private view {
        // The JobMarket's pause stops batch posts and claims too (one pause for the protocol).
        if (Pausable(address(_jobMarket)).paused()) revert Batch__MarketPaused();
    }

    /// @dev Pulls `amount` from `from`, refusing tokens that deliver a different amount.
    function _pull(address from, uint256 amount) private {
        uint256 balanceBefore = _token.balanceOf(address(this));
        _token.safeTransferFrom(from, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert Batch__TransferMismatch(amount, received);
    }

    /// @dev Marks a proven (or answered) job paid and pays it: `price − fee + bonds` to the
    /// provider, `maxPrice − price` to the requester; releases the collateral.
    function _pay(
        uint256 jobId,
        Batch storage job,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        bytes26 result,
        uint256 bonds
    ) private {
        uint96 maxPrice = terms.maxPrice;
        uint96 price = _priceAt(terms, record.claimedAt);
        // price <= maxPrice < 2^96 and feeBps <= MAX_FEE_BPS: fee <= price, nothing overflows.
        uint256 fee = (uint256(price) * terms.feeBps) / ProtocolBounds.BPS;
        uint256 payout = price - fee + bonds;
        uint256 refund = maxPrice - price;
        address provider = record.provider;

        job.status = BatchStatus.Paid;
        job.commitment = result;
        // maxPrice + bonds were counted in _totalEscrowed (< 2^96); fee <= price < 2^96.
        _totalEscrowed -= uint96(maxPrice + bonds);
        _accruedFees += uint96(fee);
        emit BatchPaid(jobId, provider, payout, fee, refund);

        // Trusted staking contract; moves no tokens.
        _staking.unlock(provider, terms.collateral);
        if (payout != 0) _token.safeTransfer(provider, payout);
        if (refund != 0) _token.safeTransfer(terms.requester, refund);
    }

    /// @dev The sample block's randomness for `prove`: read from the header while the job is
    /// `Committed`, from the record once `Sampled`; checks the commitment and the prove deadline.
    function _provenRandomness(
        uint256 jobId,
        bytes26 claimed,
        BatchRecord calldata record,
        bytes calldata header
    ) private view returns (bytes32 randomness) {
        Batch memory job = _jobs[jobId];
        bytes26 committed = _committed(claimed, record.outputsRoot, record.sampleBlock);
        if (job.status == BatchStatus.Committed) {
            if (job.commitment != committed) revert Batch__TermsMismatch(jobId);
            randomness = _randomness(record.sampleBlock, header);
        } else if (job.status == BatchStatus.Sampled) {
            randomness = record.randomness;
            if (job.commitment != _sampled(committed, randomness)) revert Batch__TermsMismatch(jobId);
        } else {
            revert Batch__InvalidStatus(jobId, job.status);
        }
        if (block.timestamp > job.deadline) revert Batch__DeadlinePassed(jobId, job.deadline);
    }

    /// @dev The RANDAO mix (`prevRandao`, header field 13) of `sampleBlock`, from its RLP header
    /// checked against the block hash (`BLOCKHASH`: the last 256 blocks; `sample` records the mix
    /// for later. EIP-2935's longer history is not used: not every chain has it, and where it
    /// answers with revert data the usual wrappers misread that as a hash).
    function _randomness(uint64 sampleBlock, bytes calldata header) private view returns (bytes32) {
        if (block.number <= sampleBlock) revert Batch__RandomnessNotReady(sampleBlock, block.number);
        bytes32 blockHash = blockhash(sampleBlock);
        if (blockHash == 0) revert Batch__RandomnessExpired(sampleBlock);
        if (keccak256(header) != blockHash) revert Batch__HeaderMismatch(sampleBlock);
        return BlockRandao.prevRandao(header);
    }

    /// @dev The claimer's checks before a proof of the drawn samples: caller, proof system, state
    /// and deadline (`_provenRandomness`); returns the claim commitment, randomness and indices.
    function _drawn(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        bytes calldata header,
        bool sampling
    ) private view returns (bytes26 claimed, bytes32 randomness, uint256[] memory indices) {
        if (msg.sender != record.provider) revert Batch__NotProvider(jobId, msg.sender);
        if ((terms.slots != 0) != sampling) revert Batch__WrongProofSystem(jobId);
        claimed = _claimed(_termsHash(terms), record);
        randomness = _provenRandomness(jobId, claimed, record, header);
        indices = BatchSampling.indices(
            BatchSampling.seed(randomness, jobId),
            terms.numSamples,
            terms.sampleSize
        );
    }

    /// @dev Records a proven job and opens its challenge window.
    function _proven(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        bytes26 claimed,
        bytes32 randomness,
        uint256[] memory indices
    ) private {
        uint40 challengeDeadline = uint40(block.timestamp) + terms.challengeWindow;
        _jobs[jobId] = Batch({
            status: BatchStatus.Proven,
            deadline: challengeDeadline,
            commitment: _result(claimed, record.outputsRoot)
        });
        emit BatchProven(jobId, msg.sender, randomness, indices, challengeDeadline);
    }

    /// @dev The claimer's checks before answering a challenge: caller, proof system, state,
    /// commitment and deadline; returns the job, its result commitment and the challenged indices.
    function _toAnswer(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        bool sampling
    ) private view returns (Batch storage job, bytes26 result, uint256[] memory indices) {
        if (msg.sender != record.provider) revert Batch__NotProvider(jobId, msg.sender);
        if ((terms.slots != 0) != sampling) revert Batch__WrongProofSystem(jobId);
        result = _result(_claimed(_termsHash(terms), record), record.outputsRoot);
        job = _checked(jobId, BatchStatus.Challenged, _challenged(result, record.challenged));
        uint40 deadline = job.deadline;
        if (block.timestamp > deadline) revert Batch__DeadlinePassed(jobId, deadline);

        uint256 count = record.challenged.length;
        indices = new uint256[](count);
        for (uint256 i; i < count; ++i) indices[i] = record.challenged[i];
    }

    /// @dev Pays an answered job, the challenge bonds included.
    function _answered(
        uint256 jobId,
        Batch storage job,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        bytes26 result
    ) private {
        // count ≤ 32 and challengeBond < 2^96: no overflow.
        uint256 bonds = uint256(terms.challengeBond) * record.challenged.length;
        emit BatchAnswered(jobId, msg.sender, bonds);
        _pay(jobId, job, terms, record, result, bonds);
    }

    /// @dev Checks a sampling-circuit job's `proofs` for `indices` with the stateless verifier and
    /// the circuit's registered verifier (an immutable entry; a deactivated circuit still verifies
    /// the jobs it already has).
    function _verifySampling(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        uint256[] memory indices,
        uint256[8][] calldata proofs
    ) private view {
        (address circuitVerifier, bytes4 selector, , ) = _registry.getVerifier(terms.circuitId);
        _verifier.verifySampling(
            IBatchVerifier.SamplingCheck({
                jobId: jobId,
                jobKey: _jobKey(jobId, record.provider),
                inputsRoot: terms.inputsRoot,
                outputsRoot: record.outputsRoot,
                slots: terms.slots,
                treeDepth: terms.treeDepth,
                numPublic: terms.numPublic,
                verifier: circuitVerifier,
                selector: selector
            }),
            indices,
            proofs
        );
    }

    /// @dev Checks `samples` for `indices` with the stateless verifier (it reverts with this
    /// interface's errors: wrong key, count, output count, field bounds, paths, invalid proof).
    function _verifySamples(
        uint256 jobId,
        BatchTerms calldata terms,
        BatchRecord calldata record,
        VerifyingKey calldata key,
        uint256[] memory indices,
        SampleProof[] calldata samples
    ) private view {
        _verifier.verify(
            IBatchVerifier.SampleCheck({
                jobId: jobId,
                jobKey: _jobKey(jobId, record.provider),
                inputsRoot: terms.inputsRoot,
                outputsRoot: record.outputsRoot,
                numSamples: terms.numSamples,
                numPublic: terms.numPublic,
                keyHash: terms.keyHash
            }),
            key,
            indices,
            samples
        );
    }

    /// @dev The job after checking its status and commitment.
    function _checked(
        uint256 jobId,
        BatchStatus status,
        bytes26 commitment
    ) private view returns (Batch storage job) {
        job = _jobs[jobId];
        BatchStatus current = job.status;
        if (current != status) revert Batch__InvalidStatus(jobId, current);
        if (job.commitment != commitment) revert Batch__TermsMismatch(jobId);
    }

    function _commitmentOf(
        bytes32 termsHash,
        BatchStatus status,
        BatchRecord calldata record
    ) private pure returns (bytes26) {
        if (
            status == BatchStatus.Open || status == BatchStatus.Cancelled || status == BatchStatus.Reclaimed
        ) {
            return bytes26(termsHash);
        }
        bytes26 claimed = _claimed(termsHash, record);
        if (status == BatchStatus.Claimed) return claimed;
        if (status == BatchStatus.Committed || status == BatchStatus.Sampled) {
            bytes26 committed = _committed(claimed, record.outputsRoot, record.sampleBlock);
            return status == BatchStatus.Committed ? committed : _sampled(committed, record.randomness);
        }
        bytes26 result = _result(claimed, record.outputsRoot);
        return status == BatchStatus.Challenged ? _challenged(result, record.challenged) : result;
    }

    function _termsHash(BatchTerms calldata terms) private pure returns (bytes32) {
        return keccak256(abi.encode(terms));
    }

    function _claimed(bytes32 termsHash, BatchRecord calldata record) private pure returns (bytes26) {
        return _claimedBy(termsHash, record.provider, record.claimedAt);
    }

    function _claimedBy(
        bytes32 termsHash,
        address provider,
        uint40 claimedAt
    ) private pure returns (bytes26) {
        return bytes26(keccak256(abi.encode(termsHash, provider, claimedAt)));
    }

    function _committed(
        bytes26 claimed,
        bytes32 outputsRoot,
        uint64 sampleBlock
    ) private pure returns (bytes26) {
        return bytes26(keccak256(abi.encode(claimed, outputsRoot, sampleBlock)));
    }

    function _sampled(bytes26 committed, bytes32 randomness) private pure returns (bytes26) {
        return bytes26(keccak256(abi.encode(committed, randomness)));
    }

    function _result(bytes26 claimed, bytes32 outputsRoot) private pure returns (bytes26) {
        return bytes26(keccak256(abi.encode(claimed, outputsRoot)));
    }

    function _challenged(bytes26 result, uint32[] calldata indices) private pure returns (bytes26) {
        return bytes26(keccak256(abi.encode(result, indices)));
    }

    function _priceAt(BatchTerms calldata terms, uint256 time) private pure returns (uint96) {
        return AuctionPrice.at(terms.minPrice, terms.maxPrice, terms.postedAt, terms.rampDuration, time);
    }

    function _jobKey(uint256 jobId, address provider) private view returns (uint256) {
        return
            uint256(keccak256(abi.encode(block.chainid, address(this), jobId, provider))) % ProtocolBounds.R;
    }

    /// @dev The terms of a new job: the parameters, the circuit's signal count, the economics now.
    function _terms(
        PostBatchParams calldata params,
        uint16 numPublic,
        IJobMarket.Economics memory economics
    ) private view returns (BatchTerms memory terms) {
        terms.requester = msg.sender;
        terms.circuitId = params.circuitId;
        terms.numPublic = numPublic;
        terms.keyHash = params.keyHash;
        terms.slots = params.slots;
        terms.treeDepth = params.treeDepth;
        terms.inputsRoot = params.inputsRoot;
        terms.inputsHash = params.inputsHash;
        terms.numSamples = params.numSamples;
        terms.sampleSize = params.sampleSize;
        terms.maxChallenges = params.maxChallenges;
        terms.challengeBond = params.challengeBond;
        terms.minPrice = params.minPrice;
        terms.maxPrice = params.maxPrice;
        terms.rampDuration = params.rampDuration;
        terms.collateral = params.collateral;
        terms.postedAt = uint40(block.timestamp);
        terms.claimDeadline = params.claimDeadline;
        terms.commitWindow = params.commitWindow;
        terms.proveWindow = params.proveWindow;
        terms.challengeWindow = params.challengeWindow;
        terms.answerWindow = params.answerWindow;
        terms.feeBps = economics.feeBps;
        terms.slashRequesterBps = economics.slashRequesterBps;
        terms.slashBountyBps = economics.slashBountyBps;
    }

    function _validate(PostBatchParams calldata params) private view {
        if (bytes(params.inputsURI).length == 0) revert Batch__NoInputsURI();
        uint32 n = params.numSamples;
        uint8 k = params.sampleSize;
        uint8 m = params.maxChallenges;
        if (
            n == 0 ||
            k == 0 ||
            k > n ||
            k > ProtocolBounds.MAX_SAMPLE_SIZE ||
            m > ProtocolBounds.MAX_CHALLENGES
        ) {
            revert Batch__InvalidSize(n, k, m);
        }
        uint96 minPrice = params.minPrice;
        uint96 maxPrice = params.maxPrice;
        uint32 ramp = params.rampDuration;
        if (
            minPrice > maxPrice ||
            (minPrice == maxPrice) != (ramp == 0) ||
            ramp > ProtocolBounds.MAX_CLAIM_PERIOD
        ) {
            revert Batch__InvalidPricing(minPrice, maxPrice, ramp);
        }
        uint40 latest = uint40(block.timestamp) + ProtocolBounds.MAX_CLAIM_PERIOD;
        if (params.claimDeadline < block.timestamp || params.claimDeadline > latest) {
            revert Batch__InvalidClaimDeadline(params.claimDeadline, latest);
        }
        _validateWindows(
            params.commitWindow,
            params.proveWindow,
            params.challengeWindow,
            params.answerWindow
        );
    }

    /// @dev The proof system's fields (`Batch__InvalidSampling`): none with sample proofs; with a
    /// sampling circuit, no key hash, slots and depth in range, N fits the tree, the inputs root
    /// is a field element and the circuit's public signal count matches.
    function _validateSampling(PostBatchParams calldata params, uint16 numPublic) private pure {
        uint8 slots = params.slots;
        uint8 depth = params.treeDepth;
        if (slots == 0) {
            if (depth != 0) revert Batch__InvalidSampling(slots, depth, numPublic);
            return;
        }
        if (
            params.keyHash != bytes32(0) ||
            slots > ProtocolBounds.MAX_SAMPLE_SIZE ||
            depth == 0 ||
            depth > 32 ||
            uint256(params.numSamples) > (uint256(1) << depth) ||
            uint256(params.inputsRoot) >= ProtocolBounds.R ||
            numPublic != 3 + (uint256(slots) + 248 / depth - 1) / (248 / depth)
        ) {
            revert Batch__InvalidSampling(slots, depth, numPublic);
        }
    }

    /// @dev Each window ≥ MIN_EXECUTION_WINDOW, their sum ≤ MAX_EXECUTION_WINDOW: a batch job lives
    /// at most MAX_JOB_LIFETIME, like a single job.
    function _validateWindows(uint32 c, uint32 p, uint32 ch, uint32 a) private pure {
        uint32 min = ProtocolBounds.MIN_EXECUTION_WINDOW;
        if (
            c < min ||
            p < min ||
            ch < min ||
            a < min ||
            uint256(c) + p + ch + a > ProtocolBounds.MAX_EXECUTION_WINDOW
        ) {
            revert Batch__InvalidWindows(c, p, ch, a);
        }
    }
}
