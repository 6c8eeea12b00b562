// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {TransientReentrancyGuard} from "./utils/TransientReentrancyGuard.sol";

import {ComputeStaking} from "./ComputeStaking.sol";
import {ICircuitRegistry} from "./interfaces/ICircuitRegistry.sol";
import {IComputeStaking} from "./interfaces/IComputeStaking.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {AuctionPrice} from "./libraries/AuctionPrice.sol";
import {ProtocolBounds} from "./libraries/ProtocolBounds.sol";

/// @title JobMarket
/// @notice Job escrow and settlement against on-chain verified Groth16 proofs. See {IJobMarket}.
/// @dev Deploys its own `ComputeStaking` (whose market is then this contract, immutably): no role
/// can ever lock, unlock or slash stake. Tokens that do not move exactly the amount asked
/// (fee-on-transfer, rebasing) are refused at deposit (`Market__TransferMismatch`). No function
/// loops over jobs or providers; `submit` loops over the outputs, bounded by
/// `ProtocolBounds.MAX_PUBLIC_SIGNALS`.
contract JobMarket is IJobMarket, AccessControl, Pausable, TransientReentrancyGuard {
    using SafeERC20 for IERC20;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          STORAGE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Role allowed to pause and unpause.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    IERC20 private immutable _token;
    IComputeStaking private immutable _staking;
    ICircuitRegistry private immutable _registry;

    // One slot, touched by every post and settlement; it shares the slot of Pausable's `_paused`
    // (declared just before it in the inheritance order), so `postJob` reads the pause flag, the
    // next id, the escrow total and the economic parameters it copies into the terms with one SLOAD.
    uint56 private _nextJobId;
    uint96 private _totalEscrowed;
    uint16 private _feeBps;
    uint16 private _slashRequesterBps;
    uint16 private _slashBountyBps;

    // One slot: the treasury and what it is owed (written by collect and slashExpired only).
    address private _treasury;
    uint96 private _accruedFees;

    /// @dev One slot per job: status, deadline and a 208-bit commitment (see `IJobMarket.Job`).
    mapping(uint256 jobId => Job) private _jobs;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                        CONSTRUCTOR
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @param token_ Payment and staking token.
    /// @param registry_ Circuit registry.
    /// @param admin Receives `DEFAULT_ADMIN_ROLE` and `PAUSER_ROLE` of the market and of the staking
    /// contract deployed here.
    /// @param treasury_ Fee recipient.
    /// @param economics_ Initial protocol fee and slash split (bounded, see `setFee`/`setSlashSplit`).
    /// @param stakingConfig Initial parameters of the staking contract deployed here, whose market
    /// is this contract for ever.
    constructor(
        IERC20 token_,
        ICircuitRegistry registry_,
        address admin,
        address treasury_,
        Economics memory economics_,
        StakingConfig memory stakingConfig
    ) {
        if (address(token_) == address(0) || address(registry_) == address(0) || admin == address(0)) {
            revert Market__ZeroAddress();
        }
        _token = token_;
        _registry = registry_;
        _staking = IComputeStaking(
            address(
                new ComputeStaking(
                    token_,
                    address(this),
                    admin,
                    stakingConfig.minStake,
                    stakingConfig.unbondingPeriod,
                    stakingConfig.jailThreshold,
                    stakingConfig.jailPeriod
                )
            )
        );
        _nextJobId = 1;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _setTreasury(treasury_);
        _setFee(economics_.feeBps);
        _setSlashSplit(economics_.slashRequesterBps, economics_.slashBountyBps);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                         REQUESTER
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IJobMarket
    function postJob(PostJobParams calldata params) external whenNotPaused nonReentrant returns (uint256) {
        return _post(params);
    }

    /// @inheritdoc IJobMarket
    function postJobWithPermit(
        PostJobParams calldata params,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external whenNotPaused nonReentrant returns (uint256) {
        // A permit front-run by someone relaying the same signature reverts here; the allowance it
        // set is then already in place, so the failure is ignored and transferFrom decides.
        try
            IERC20Permit(address(_token)).permit(
                msg.sender,
                address(this),
                params.maxPrice,
                permitDeadline,
                v,
                r,
                s
            )
        {} catch {} // solhint-disable-line no-empty-blocks
        return _post(params);
    }

    /// @inheritdoc IJobMarket
    function cancel(uint256 jobId, JobTerms calldata terms) external nonReentrant {
        Job storage job = _checkedOpen(jobId, _termsHash(terms));
        address requester = terms.requester;
        if (msg.sender != requester) revert Market__NotRequester(jobId, msg.sender);

        uint96 refund = terms.maxPrice;
        job.status = JobStatus.Cancelled;
        _totalEscrowed -= refund;
        emit JobCancelled(jobId, requester, refund);

        _token.safeTransfer(requester, refund);
    }

    /// @inheritdoc IJobMarket
    function reclaim(uint256 jobId, JobTerms calldata terms) external nonReentrant {
        Job storage job = _checkedOpen(jobId, _termsHash(terms));
        uint40 claimDeadline = terms.claimDeadline;
        // A job whose circuit was deactivated can never be claimed: it is reclaimable at once.
        if (block.timestamp <= claimDeadline && _registry.isActive(terms.circuitId)) {
            revert Market__ClaimDeadlineNotPassed(jobId, claimDeadline);
        }

        address requester = terms.requester;
        uint96 refund = terms.maxPrice;
        job.status = JobStatus.Reclaimed;
        _totalEscrowed -= refund;
        emit JobReclaimed(jobId, requester, refund);

        _token.safeTransfer(requester, refund);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          PROVIDER
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IJobMarket
    function claim(uint256 jobId, JobTerms calldata terms) external whenNotPaused {
        bytes32 termsHash = _termsHash(terms);
        _checkedOpen(jobId, termsHash);
        uint40 claimDeadline = terms.claimDeadline;
        if (block.timestamp > claimDeadline) revert Market__ClaimDeadlinePassed(jobId, claimDeadline);
        // A deactivated circuit (e.g. found unsound) stops being served: no new claims.
        if (!_registry.isActive(terms.circuitId)) revert Market__CircuitNotActive(terms.circuitId);

        uint96 price = _priceAt(terms, block.timestamp);
        // timestamp + window < 2^40 for the next ~34,000 years.
        uint40 deadline = uint40(block.timestamp) + terms.executionWindow;
        // One SSTORE: status, deadline and the commitment now binding the claimer too.
        _jobs[jobId] = Job({
            status: JobStatus.Claimed,
            deadline: deadline,
            commitment: _claimCommitment(termsHash, msg.sender)
        });
        emit JobClaimed(jobId, msg.sender, price, deadline, _jobKey(jobId, msg.sender));

        // The staking contract is trusted (set at construction) and moves no tokens in `lock`; it
        // reverts unless the provider is active and its free stake covers the collateral.
        _staking.lock(msg.sender, terms.collateral);
    }

    /// @inheritdoc IJobMarket
    function submit(
        uint256 jobId,
        JobTerms calldata terms,
        uint256[8] calldata proof,
        uint256[] calldata outputs
    ) external nonReentrant {
        bytes26 claimed = _claimCommitment(_termsHash(terms), msg.sender);
        uint40 deadline = _checkedClaimed(jobId, claimed);
        if (block.timestamp > deadline) revert Market__DeadlinePassed(jobId, deadline);

        _verify(jobId, terms, proof, outputs);

        _jobs[jobId] = Job({
            status: JobStatus.Completed,
            deadline: deadline,
            commitment: _resultCommitment(claimed, outputs)
        });
        emit JobCompleted(jobId, msg.sender, outputs);

        // Trusted staking contract (set at construction); moves no tokens.
        _staking.unlock(msg.sender, terms.collateral);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           ANYONE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IJobMarket
    function slashExpired(uint256 jobId, JobTerms calldata terms, address provider) external nonReentrant {
        uint40 deadline = _checkedClaimed(jobId, _claimCommitment(_termsHash(terms), provider));
        if (block.timestamp <= deadline) revert Market__DeadlineNotPassed(jobId, deadline);

        address requester = terms.requester;
        uint96 refund = terms.maxPrice;
        uint96 collateral = terms.collateral;
        // The split in force when the job was posted (carried in its terms). collateral < 2^96 and
        // the two shares sum to at most BPS: no overflow, and toRequester + bounty <= collateral.
        uint256 toRequester = (uint256(collateral) * terms.slashRequesterBps) / ProtocolBounds.BPS;
        uint256 bounty = (uint256(collateral) * terms.slashBountyBps) / ProtocolBounds.BPS;
        uint256 toTreasury = collateral - toRequester - bounty;

        _jobs[jobId].status = JobStatus.Slashed;
        _totalEscrowed -= refund;
        _accruedFees += uint96(toTreasury);
        emit JobSlashed(jobId, provider, msg.sender, toRequester, bounty, toTreasury, refund);

        // Moves the collateral from the staking contract to this contract, then split it.
        _staking.slash(provider, collateral, address(this));
        uint256 toRequesterTotal = refund + toRequester;
        if (toRequesterTotal != 0) _token.safeTransfer(requester, toRequesterTotal);
        if (bounty != 0) _token.safeTransfer(msg.sender, bounty);
    }

    /// @inheritdoc IJobMarket
    function collect(
        address provider,
        Collection[] calldata jobs
    ) external nonReentrant returns (uint256 payout) {
        uint256 escrowReleased;
        uint256 fees;
        uint256[] memory refunds = new uint256[](jobs.length);
        for (uint256 i; i < jobs.length; ++i) {
            (uint256 maxPrice, uint256 fee, uint256 jobPayout) = _markPaid(provider, jobs[i]);
            // jobPayout + fee <= maxPrice; sums of escrowed amounts stay below 2^96 (see below).
            refunds[i] = maxPrice - jobPayout - fee;
            escrowReleased += maxPrice;
            fees += fee;
            payout += jobPayout;
        }
        // Every released escrow was counted in `_totalEscrowed` (< 2^96) and fee <= escrow, so
        // both casts are exact.
        _totalEscrowed -= uint96(escrowReleased);
        _accruedFees += uint96(fees);

        if (payout != 0) _token.safeTransfer(provider, payout);
        for (uint256 i; i < jobs.length; ++i) {
            if (refunds[i] != 0) _token.safeTransfer(jobs[i].terms.requester, refunds[i]);
        }
    }

    /// @inheritdoc IJobMarket
    function withdrawFees() external nonReentrant returns (uint256 amount) {
        amount = _accruedFees;
        if (amount == 0) revert Market__NoFees();
        address treasury_ = _treasury;
        _accruedFees = 0;
        emit FeesWithdrawn(treasury_, amount);

        _token.safeTransfer(treasury_, amount);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                         GOVERNANCE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IJobMarket
    function setFee(uint16 feeBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setFee(feeBps_);
    }

    /// @inheritdoc IJobMarket
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(treasury_);
    }

    /// @inheritdoc IJobMarket
    function setSlashSplit(uint16 requesterBps, uint16 bountyBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSlashSplit(requesterBps, bountyBps);
    }

    /// @inheritdoc IJobMarket
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IJobMarket
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           VIEWS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IJobMarket
    function getJob(uint256 jobId) external view returns (Job memory) {
        return _jobs[jobId];
    }

    /// @inheritdoc IJobMarket
    function currentPrice(uint256 jobId, JobTerms calldata terms) external view returns (uint256) {
        _checkedOpen(jobId, _termsHash(terms));
        return _priceAt(terms, block.timestamp);
    }

    /// @inheritdoc IJobMarket
    function priceAt(JobTerms calldata terms, uint256 time) external pure returns (uint256) {
        return _priceAt(terms, time);
    }

    /// @inheritdoc IJobMarket
    function termsCommitment(JobTerms calldata terms) external pure returns (bytes26) {
        return bytes26(_termsHash(terms));
    }

    /// @inheritdoc IJobMarket
    function claimCommitment(JobTerms calldata terms, address provider) external pure returns (bytes26) {
        return _claimCommitment(_termsHash(terms), provider);
    }

    /// @inheritdoc IJobMarket
    function resultCommitment(
        JobTerms calldata terms,
        address provider,
        uint256[] calldata outputs
    ) external pure returns (bytes26) {
        return _resultCommitment(_claimCommitment(_termsHash(terms), provider), outputs);
    }

    /// @inheritdoc IJobMarket
    function checkResult(
        uint256 jobId,
        JobTerms calldata terms,
        address provider,
        uint256[] calldata outputs
    ) external view returns (bool) {
        Job storage job = _jobs[jobId];
        JobStatus status = job.status;
        return
            (status == JobStatus.Completed || status == JobStatus.Paid) &&
            job.commitment == _resultCommitment(_claimCommitment(_termsHash(terms), provider), outputs);
    }

    /// @inheritdoc IJobMarket
    function jobKey(uint256 jobId, address provider) external view returns (uint256) {
        return _jobKey(jobId, provider);
    }

    /// @inheritdoc IJobMarket
    function nextJobId() external view returns (uint256) {
        return _nextJobId;
    }

    /// @inheritdoc IJobMarket
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IJobMarket
    function staking() external view returns (address) {
        return address(_staking);
    }

    /// @inheritdoc IJobMarket
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IJobMarket
    function feeBps() external view returns (uint16) {
        return _feeBps;
    }

    /// @inheritdoc IJobMarket
    function economics() external view returns (Economics memory) {
        return
            Economics({
                feeBps: _feeBps,
                slashRequesterBps: _slashRequesterBps,
                slashBountyBps: _slashBountyBps
            });
    }

    /// @inheritdoc IJobMarket
    function bounds() external pure returns (Bounds memory) {
        return
            Bounds({
                maxClaimPeriod: ProtocolBounds.MAX_CLAIM_PERIOD,
                minExecutionWindow: ProtocolBounds.MIN_EXECUTION_WINDOW,
                maxExecutionWindow: ProtocolBounds.MAX_EXECUTION_WINDOW,
                slashWindow: ProtocolBounds.SLASH_WINDOW,
                maxFeeBps: ProtocolBounds.MAX_FEE_BPS,
                maxSlashBountyBps: ProtocolBounds.MAX_SLASH_BOUNTY_BPS,
                minSlashTreasuryBps: ProtocolBounds.MIN_SLASH_TREASURY_BPS,
                maxPublicSignals: ProtocolBounds.MAX_PUBLIC_SIGNALS,
                fieldModulus: ProtocolBounds.R
            });
    }

    /// @inheritdoc IJobMarket
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IJobMarket
    function slashRequesterBps() external view returns (uint16) {
        return _slashRequesterBps;
    }

    /// @inheritdoc IJobMarket
    function slashBountyBps() external view returns (uint16) {
        return _slashBountyBps;
    }

    /// @inheritdoc IJobMarket
    function accruedFees() external view returns (uint256) {
        return _accruedFees;
    }

    /// @inheritdoc IJobMarket
    function totalEscrowed() external view returns (uint256) {
        return _totalEscrowed;
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          INTERNAL
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    function _post(PostJobParams calldata params) private returns (uint256 jobId) {
        _validate(params);
        (address verifier, bytes4 selector, uint16 numPublic, bool active) = _registry.getVerifier(
            params.circuitId
        );
        if (!active) revert Market__CircuitNotActive(params.circuitId);

        JobTerms memory terms = JobTerms({
            requester: msg.sender,
            circuitId: params.circuitId,
            verifier: verifier,
            selector: selector,
            numPublic: numPublic,
            inputCommitment: params.inputCommitment,
            inputHash: keccak256(params.input),
            minPrice: params.minPrice,
            maxPrice: params.maxPrice,
            rampDuration: params.rampDuration,
            collateral: params.collateral,
            postedAt: uint40(block.timestamp),
            claimDeadline: params.claimDeadline,
            executionWindow: params.executionWindow,
            feeBps: _feeBps,
            slashRequesterBps: _slashRequesterBps,
            slashBountyBps: _slashBountyBps,
            verificationMode: params.verificationMode
        });
        jobId = _nextJobId;
        // Job ids stay far below 2^56 (one per transaction).
        _nextJobId = uint56(jobId + 1);
        _totalEscrowed += params.maxPrice;
        _jobs[jobId] = Job({
            status: JobStatus.Open,
            deadline: 0,
            commitment: bytes26(keccak256(abi.encode(terms)))
        });
        emit JobPosted(jobId, msg.sender, params.circuitId, terms, params.inputURI);

        // The balance delta check refuses tokens that deliver less (or more) than asked
        // (fee-on-transfer, rebasing): the escrow accounting above would otherwise be unbacked.
        uint256 amount = params.maxPrice;
        uint256 balanceBefore = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert Market__TransferMismatch(amount, received);
    }

    /// @dev The job, after checking that it is open and that `termsHash` is its terms' hash.
    function _checkedOpen(uint256 jobId, bytes32 termsHash) private view returns (Job storage job) {
        job = _jobs[jobId];
        JobStatus status = job.status;
        if (status != JobStatus.Open) revert Market__JobNotOpen(jobId, status);
        if (job.commitment != bytes26(termsHash)) revert Market__TermsMismatch(jobId);
    }

    /// @dev The deadline of a claimed job, after checking that `claimed` is its commitment.
    function _checkedClaimed(uint256 jobId, bytes26 claimed) private view returns (uint40) {
        Job memory job = _jobs[jobId];
        if (job.status != JobStatus.Claimed) revert Market__JobNotClaimed(jobId, job.status);
        if (job.commitment != claimed) revert Market__TermsMismatch(jobId);
        return job.deadline;
    }

    function _termsHash(JobTerms calldata terms) private pure returns (bytes32) {
        return keccak256(abi.encode(terms));
    }

    function _claimCommitment(bytes32 termsHash, address provider) private pure returns (bytes26) {
        return bytes26(keccak256(abi.encode(termsHash, provider)));
    }

    function _resultCommitment(bytes26 claimed, uint256[] calldata outputs) private pure returns (bytes26) {
        return bytes26(keccak256(abi.encode(claimed, outputs)));
    }

    function _priceAt(JobTerms calldata terms, uint256 time) private pure returns (uint96) {
        return AuctionPrice.at(terms.minPrice, terms.maxPrice, terms.postedAt, terms.rampDuration, time);
    }

    function _validate(PostJobParams calldata params) private view {
        if (params.inputCommitment >= ProtocolBounds.R) revert Market__NotInField(params.inputCommitment);
        if (params.input.length == 0 && bytes(params.inputURI).length == 0) revert Market__NoInput();
        if (params.verificationMode != VerificationMode.Full) {
            // Unreachable while `Full` is the only member (the ABI decoder rejects other values);
            // kept so that adding a mode cannot silently enable it.
            revert Market__UnsupportedVerificationMode(params.verificationMode);
        }
        uint96 minPrice = params.minPrice;
        uint96 maxPrice = params.maxPrice;
        uint32 ramp = params.rampDuration;
        if (
            minPrice > maxPrice ||
            (minPrice == maxPrice) != (ramp == 0) ||
            ramp > ProtocolBounds.MAX_CLAIM_PERIOD
        ) {
            revert Market__InvalidPricing(minPrice, maxPrice, ramp);
        }
        uint40 latest = uint40(block.timestamp) + ProtocolBounds.MAX_CLAIM_PERIOD;
        if (params.claimDeadline < block.timestamp || params.claimDeadline > latest) {
            revert Market__InvalidClaimDeadline(params.claimDeadline, latest);
        }
        uint32 window = params.executionWindow;
        if (window < ProtocolBounds.MIN_EXECUTION_WINDOW || window > ProtocolBounds.MAX_EXECUTION_WINDOW) {
            revert Market__InvalidExecutionWindow(
                window,
                ProtocolBounds.MIN_EXECUTION_WINDOW,
                ProtocolBounds.MAX_EXECUTION_WINDOW
            );
        }
    }

    /// @dev Calls the circuit's verifier with `[jobKey, inputCommitment, ...outputs]` as public
    /// signals (static ABI encoding of fixed arrays is plain concatenation, see ARCHITECTURE.md).
    /// The verifier fields come from the terms, copied from the (immutable) registry entry at post.
    function _verify(
        uint256 jobId,
        JobTerms calldata terms,
        uint256[8] calldata proof,
        uint256[] calldata outputs
    ) private view {
        uint256 expected = terms.numPublic - ProtocolBounds.MIN_PUBLIC_SIGNALS;
        if (outputs.length != expected) revert Market__WrongOutputCount(outputs.length, expected);
        for (uint256 i; i < expected; ++i) {
            if (outputs[i] >= ProtocolBounds.R) revert Market__NotInField(outputs[i]);
        }

        (bool ok, bytes memory ret) = terms.verifier.staticcall(
            abi.encodePacked(
                terms.selector,
                proof,
                _jobKey(jobId, msg.sender),
                terms.inputCommitment,
                outputs
            )
        );
        if (!ok || ret.length != 32 || abi.decode(ret, (uint256)) != 1) revert Market__InvalidProof(jobId);
    }

    /// @dev Checks a completed job of `provider` against its terms and outputs, marks it paid and
    /// returns its escrow, fee and payout (the refund is the rest of the escrow).
    function _markPaid(
        address provider,
        Collection calldata c
    ) private returns (uint256 maxPrice, uint256 fee, uint256 payout) {
        uint256 jobId = c.jobId;
        Job storage job = _jobs[jobId];
        JobStatus status = job.status;
        if (status != JobStatus.Completed) revert Market__JobNotCompleted(jobId, status);
        bytes26 claimed = _claimCommitment(_termsHash(c.terms), provider);
        if (job.commitment != _resultCommitment(claimed, c.outputs)) revert Market__TermsMismatch(jobId);

        maxPrice = c.terms.maxPrice;
        // The claim time is deadline - executionWindow (both set by `claim`).
        uint96 price = _priceAt(c.terms, job.deadline - c.terms.executionWindow);
        // The fee in force when the job was posted (carried in its terms). price <= maxPrice < 2^96
        // and feeBps <= MAX_FEE_BPS (checked at post through the setter): nothing overflows, fee <= price.
        fee = (uint256(price) * c.terms.feeBps) / ProtocolBounds.BPS;
        payout = price - fee;
        job.status = JobStatus.Paid;
        emit JobPaid(jobId, provider, payout, fee, maxPrice - price);
    }

    function _jobKey(uint256 jobId, address provider) private view returns (uint256) {
        return
            uint256(keccak256(abi.encode(block.chainid, address(this), jobId, provider))) % ProtocolBounds.R;
    }

    function _setFee(uint16 feeBps_) private {
        if (feeBps_ > ProtocolBounds.MAX_FEE_BPS)
            revert Market__ParameterOutOfBounds(feeBps_, ProtocolBounds.MAX_FEE_BPS);
        _feeBps = feeBps_;
        emit FeeSet(feeBps_);
    }

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) revert Market__ZeroAddress();
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    function _setSlashSplit(uint16 requesterBps, uint16 bountyBps) private {
        if (bountyBps > ProtocolBounds.MAX_SLASH_BOUNTY_BPS) {
            revert Market__ParameterOutOfBounds(bountyBps, ProtocolBounds.MAX_SLASH_BOUNTY_BPS);
        }
        // The treasury keeps at least MIN_SLASH_TREASURY_BPS: self-slashing always costs something.
        uint256 maxShares = ProtocolBounds.BPS - ProtocolBounds.MIN_SLASH_TREASURY_BPS;
        if (uint256(requesterBps) + bountyBps > maxShares) {
            revert Market__ParameterOutOfBounds(uint256(requesterBps) + bountyBps, maxShares);
        }
        _slashRequesterBps = requesterBps;
        _slashBountyBps = bountyBps;
        emit SlashSplitSet(requesterBps, bountyBps);
    }
}
