// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console} from "hardhat/console.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {CircuitRegistry} from "../../contracts/CircuitRegistry.sol";
import {ComputeStaking} from "../../contracts/ComputeStaking.sol";
import {JobMarket} from "../../contracts/JobMarket.sol";
import {ICircuitRegistry} from "../../contracts/interfaces/ICircuitRegistry.sol";
import {IComputeStaking} from "../../contracts/interfaces/IComputeStaking.sol";
import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {AuctionPrice} from "../../contracts/libraries/AuctionPrice.sol";
import {ProtocolBounds} from "../../contracts/libraries/ProtocolBounds.sol";
import {MockVerifier} from "../../contracts/mocks/MockVerifier.sol";
import {SkewedToken} from "../../contracts/mocks/SkewedToken.sol";
import {TestBase} from "./utils/Vm.sol";
import {Deployer} from "./utils/Deployer.sol";

/// @notice Drives the whole protocol — staking, market, registry and governance — through random
/// sequences in which (almost) every call does something: each action that finds no job or
/// provider in the state it needs first brings one there (posts, claims, tops up stake, lets time
/// pass to a deadline) instead of returning. It keeps a ghost model of every job and of every
/// actor's token balance computed from the protocol's rules and the job's own terms, so the
/// invariants can compare the contracts against an independent account. Proofs are checked by
/// MockVerifier (test-only, accepts all).
contract ProtocolHandler is TestBase {
    SkewedToken public immutable token;
    ComputeStaking public immutable staking;
    JobMarket public immutable market;
    CircuitRegistry public immutable registry;
    /// @notice Always active (2 public signals: no outputs).
    bytes32 public immutable stableCircuit;
    /// @notice Deactivated and reactivated by governance (3 public signals: one output).
    bytes32 public immutable toggledCircuit;

    address[3] internal _requesters = [address(0x1001), address(0x1002), address(0x1003)];
    address[3] internal _providers = [address(0x2001), address(0x2002), address(0x2003)];
    address public constant KEEPER = address(0x3001);

    /// @notice Ghost of a job: its terms (built from the handler's own record of the parameters in
    /// force, not read back), the claimer, the claim time and the status the rules predict.
    struct GhostJob {
        IJobMarket.JobTerms terms;
        address provider;
        uint40 claimedAt;
        IJobMarket.JobStatus status;
        uint256[] outputs;
    }

    uint256[] public jobIds;
    mapping(uint256 jobId => GhostJob) internal _jobs;
    mapping(uint256 jobId => uint256) public timesProven;
    mapping(uint256 jobId => uint256) public timesPaid;

    /// @notice Token balance every actor must have, by the protocol's rules.
    mapping(address actor => uint256) public expectedBalance;
    /// @notice Treasury fees the market must have accrued, by the rules.
    uint256 public expectedAccrued;
    mapping(address provider => uint256) public ghostLockedEver;
    uint256 public ghostSlashMismatch;
    uint256 public ghostMinted;

    // Governance parameters as this handler (the governance) last set them.
    uint16 public gFeeBps;
    uint16 public gSlashRequesterBps;
    uint16 public gSlashBountyBps;
    uint256 public gMinStake;

    // Effective-call accounting: every handler action, and which of them made their protocol call.
    uint256 public actions;
    uint256 public effectiveActions;
    mapping(string name => uint256) public calls;
    string[] internal _callNames;

    constructor(SkewedToken token_, JobMarket market_, bytes32 stableCircuit_, bytes32 toggledCircuit_) {
        token = token_;
        market = market_;
        staking = ComputeStaking(market_.staking());
        registry = CircuitRegistry(market_.registry());
        stableCircuit = stableCircuit_;
        toggledCircuit = toggledCircuit_;
        gFeeBps = market_.feeBps();
        gSlashRequesterBps = market_.slashRequesterBps();
        gSlashBountyBps = market_.slashBountyBps();
        gMinStake = staking.minStake();
        for (uint256 i; i < 3; ++i) {
            _mint(_requesters[i], 1_000_000 ether);
            vm.prank(_requesters[i]);
            token.approve(address(market), type(uint256).max);
            _mint(_providers[i], 1_000_000 ether);
            vm.prank(_providers[i]);
            token.approve(address(staking), type(uint256).max);
            _stake(_providers[i], 1_000 ether);
            vm.prank(_providers[i]);
            staking.register(
                IComputeStaking.Capability({
                    gpuModel: "cpu",
                    memoryMB: 1,
                    backends: 1,
                    maxConcurrentJobs: 16,
                    metadataURI: ""
                })
            );
        }
    }

    // ═══════════════════════════════════════ views ════════════════════════════════════════════

    function jobCount() external view returns (uint256) {
        return jobIds.length;
    }

    function ghost(uint256 jobId) external view returns (GhostJob memory) {
        return _jobs[jobId];
    }

    function providerAt(uint256 i) external view returns (address) {
        return _providers[i];
    }

    function requesterAt(uint256 i) external view returns (address) {
        return _requesters[i];
    }

    function callNames() external view returns (string[] memory) {
        return _callNames;
    }

    // ══════════════════════════════════ user actions ══════════════════════════════════════════

    function postJob(uint256 who, uint256 seed) external {
        _begin();
        _post(_requesters[who % 3], seed);
        _effective();
    }

    function claim(uint256 jobSeed, uint256 who) external {
        _begin();
        _claim(_claimableJob(jobSeed), who);
        _effective();
    }

    function submit(uint256 jobSeed, uint256 who) external {
        _begin();
        (bool found, uint256 id) = _find(jobSeed, _isSubmittable);
        if (!found) id = _claim(_claimableJob(jobSeed), who);
        _submit(id);
        _effective();
    }

    /// Pays out up to three completed jobs of one provider in one `collect` (anyone may call).
    function collect(uint256 jobSeed, uint256 who) external {
        _begin();
        _collect(jobSeed, who);
        _effective();
    }

    function cancel(uint256 jobSeed, uint256 who) external {
        _begin();
        (bool found, uint256 id) = _find(jobSeed, _isOpen);
        if (!found) id = _post(_requesters[who % 3], jobSeed);
        GhostJob storage j = _jobs[id];
        vm.prank(j.terms.requester);
        market.cancel(id, j.terms);
        j.status = IJobMarket.JobStatus.Cancelled;
        expectedBalance[j.terms.requester] += j.terms.maxPrice;
        _count("cancel");
        _effective();
    }

    function reclaim(uint256 jobSeed, uint256 who) external {
        _begin();
        (bool found, uint256 id) = _find(jobSeed, _isReclaimable);
        if (!found) {
            (found, id) = _find(jobSeed, _isOpen);
            if (!found) id = _post(_requesters[who % 3], jobSeed);
            // Claim deadlines are at most 6 hours after posting: a short jump.
            vm.warp(uint256(_jobs[id].terms.claimDeadline) + 1);
        }
        GhostJob storage j = _jobs[id];
        vm.prank(KEEPER);
        market.reclaim(id, j.terms);
        j.status = IJobMarket.JobStatus.Reclaimed;
        expectedBalance[j.terms.requester] += j.terms.maxPrice;
        _count("reclaim");
        _effective();
    }

    function slashExpired(uint256 jobSeed, uint256 who) external {
        _begin();
        (bool found, uint256 id) = _find(jobSeed, _isExpired);
        if (!found) {
            (found, id) = _find(jobSeed, _isClaimed);
            if (!found) id = _claim(_claimableJob(jobSeed), who);
            // Execution windows are at most 2 hours: a short jump.
            vm.warp(uint256(_jobs[id].claimedAt) + _jobs[id].terms.executionWindow + 1);
        }
        _slash(id);
        _effective();
    }

    function stake(uint256 who, uint256 amount) external {
        _begin();
        _stake(_providers[who % 3], bound(amount, 1, 500 ether));
        _effective();
    }

    function requestUnstake(uint256 who, uint256 amount) external {
        _begin();
        address p = _providers[who % 3];
        uint256 bonded = staking.getProvider(p).stake;
        if (bonded == 0) {
            _stake(p, 100 ether);
            bonded = 100 ether;
        }
        vm.prank(p);
        staking.requestUnstake(bound(amount, 1, bonded));
        _count("requestUnstake");
        _effective();
    }

    /// Withdraws matured unbonding stake; when none has matured, lets time pass to the end of the
    /// unbonding period (the one long jump of the campaign: open jobs then become reclaimable and
    /// claimed ones slashable, which the other actions pick up).
    function withdraw(uint256 who, uint256 amount) external {
        _begin();
        address p = _providers[who % 3];
        if (_withdrawable(p) == 0) {
            for (uint256 k = 1; k < 3 && _withdrawable(p) == 0; ++k) {
                address other = _providers[((who % 3) + k) % 3];
                if (_withdrawable(other) != 0 || _unbondingFree(other) != 0) p = other;
            }
            if (_unbondingFree(p) == 0) {
                // Unbond only stake above the locked collateral, so none of it backs open jobs.
                IComputeStaking.Provider memory info = staking.getProvider(p);
                if (uint256(info.stake) < uint256(info.locked) + 1 ether) {
                    _stake(p, uint256(info.locked) + 1 ether - info.stake);
                    info = staking.getProvider(p);
                }
                vm.prank(p);
                staking.requestUnstake(bound(amount, 1, info.stake - info.locked));
                _count("requestUnstake");
            }
            uint256 end = staking.getProvider(p).unbondingEnd;
            if (block.timestamp < end) vm.warp(end);
        }
        uint256 expected = _withdrawable(p);
        vm.prank(p);
        uint256 amountOut = staking.withdraw();
        assertEq(amountOut, expected, "withdraw amount");
        expectedBalance[p] += amountOut;
        _count("withdraw");
        _effective();
    }

    function withdrawFees(uint256 jobSeed, uint256 who) external {
        _begin();
        if (market.accruedFees() == 0) _collect(jobSeed, who);
        if (market.accruedFees() != 0) {
            address t = market.treasury();
            uint256 amount = market.withdrawFees();
            expectedBalance[t] += amount;
            expectedAccrued -= amount;
            _count("withdrawFees");
            _effective();
        }
    }

    /// A deposit with a token that delivers a different amount than asked (fee-on-transfer, or
    /// a rebase inside the transfer) is refused with the exact custom error; nothing moves.
    function skewedDeposit(uint256 who, uint256 amount, int16 skew, bool viaMarket) external {
        _begin();
        amount = bound(amount, 10_000, 100 ether);
        int16 s = int16(int256(bound(uint256(int256(skew) + 10_000), 1, 19_999)) - 10_000);
        if (s == 0) s = -100;
        uint256 delta = (amount * uint256(int256(s < 0 ? -s : s))) / 10_000;
        if (delta == 0) {
            s = -100;
            delta = amount / 100;
        }
        uint256 received = s < 0 ? amount - delta : amount + delta;
        token.setSkew(s);
        if (viaMarket) {
            _unpauseMarketIfNeeded();
            address r = _requesters[who % 3];
            IJobMarket.PostJobParams memory params = _params(bytes32(0), amount, amount, 1);
            vm.expectRevert(
                abi.encodeWithSelector(IJobMarket.Market__TransferMismatch.selector, amount, received)
            );
            vm.prank(r);
            market.postJob(params);
        } else {
            _unpauseStakingIfNeeded();
            vm.expectRevert(
                abi.encodeWithSelector(IComputeStaking.Staking__TransferMismatch.selector, amount, received)
            );
            vm.prank(_providers[who % 3]);
            staking.stake(amount);
        }
        token.setSkew(0);
        _count("skewedDepositRefused");
        _effective();
    }

    function warp(uint256 seconds_) external {
        _begin();
        vm.warp(block.timestamp + bound(seconds_, 1, 3 hours));
        _count("warp");
        _effective();
    }

    // ══════════════════════════════ governance (mid-job) ══════════════════════════════════════

    function govSetFee(uint256 feeBps) external {
        _begin();
        uint16 fee = uint16(bound(feeBps, 0, ProtocolBounds.MAX_FEE_BPS));
        market.setFee(fee);
        gFeeBps = fee;
        _count("setFee");
        _effective();
    }

    function govSetSlashSplit(uint256 requesterBps, uint256 bountyBps) external {
        _begin();
        uint256 room = ProtocolBounds.BPS - ProtocolBounds.MIN_SLASH_TREASURY_BPS;
        uint16 bounty = uint16(bound(bountyBps, 0, ProtocolBounds.MAX_SLASH_BOUNTY_BPS));
        uint16 req = uint16(bound(requesterBps, 0, room - bounty));
        market.setSlashSplit(req, bounty);
        gSlashRequesterBps = req;
        gSlashBountyBps = bounty;
        _count("setSlashSplit");
        _effective();
    }

    function govSetMinStake(uint256 minStake) external {
        _begin();
        uint256 m = bound(minStake, ProtocolBounds.MIN_MIN_STAKE, 300 ether);
        staking.setMinStake(m);
        gMinStake = m;
        _count("setMinStake");
        _effective();
    }

    function govSetJailPolicy(uint256 threshold, uint256 period) external {
        _begin();
        staking.setJailPolicy(uint8(bound(threshold, 1, 5)), uint40(bound(period, 0, 1 days)));
        _count("setJailPolicy");
        _effective();
    }

    function govTogglePause(bool onMarket) external {
        _begin();
        if (onMarket) {
            if (market.paused()) market.unpause();
            else market.pause();
        } else {
            if (staking.paused()) staking.unpause();
            else staking.pause();
        }
        _count("pauseToggle");
        _effective();
    }

    function govToggleCircuit() external {
        _begin();
        registry.setActive(toggledCircuit, !registry.isActive(toggledCircuit));
        _count("circuitToggle");
        _effective();
    }

    // ═════════════════════════════════════ internals ══════════════════════════════════════════

    function _begin() private {
        ++actions;
    }

    function _effective() private {
        ++effectiveActions;
    }

    function _count(string memory name) private {
        if (calls[name] == 0) _callNames.push(name);
        ++calls[name];
    }

    function _mint(address to, uint256 amount) private {
        token.faucet(to, amount);
        ghostMinted += amount;
        expectedBalance[to] += amount;
    }

    function _params(
        bytes32 circuit,
        uint256 seed,
        uint256 priceSeed,
        uint256 collateralSeed
    ) private view returns (IJobMarket.PostJobParams memory) {
        if (circuit == bytes32(0)) circuit = stableCircuit;
        uint96 maxPrice = uint96(bound(priceSeed, 0, 100 ether));
        uint96 minPrice = uint96(bound(seed >> 8, 0, maxPrice));
        uint32 ramp = minPrice == maxPrice ? 0 : uint32(bound(seed >> 16, 1, 1 days));
        return
            IJobMarket.PostJobParams({
                circuitId: circuit,
                inputCommitment: uint256(keccak256(abi.encode(jobIds.length, seed))) % 2 ** 250,
                input: hex"00ff",
                inputURI: "",
                minPrice: minPrice,
                maxPrice: maxPrice,
                rampDuration: ramp,
                collateral: uint96(bound(collateralSeed, 0, 200 ether)),
                claimDeadline: uint40(block.timestamp + bound(seed >> 24, 0, 6 hours)),
                executionWindow: uint32(bound(seed >> 32, 1 minutes, 2 hours)),
                verificationMode: IJobMarket.VerificationMode.Full
            });
    }

    function _post(address requester, uint256 seed) private returns (uint256 id) {
        _unpauseMarketIfNeeded();
        bytes32 circuit =
            (seed & 1 == 1 && registry.isActive(toggledCircuit)) ? toggledCircuit : stableCircuit;
        IJobMarket.PostJobParams memory params = _params(
            circuit,
            seed,
            uint256(keccak256(abi.encode(seed, "price"))),
            uint256(keccak256(abi.encode(seed, "collateral")))
        );
        vm.prank(requester);
        id = market.postJob(params);

        (address verifier_, bytes4 selector, uint16 numPublic, ) = registry.getVerifier(circuit);
        GhostJob storage j = _jobs[id];
        j.terms = IJobMarket.JobTerms({
            requester: requester,
            circuitId: circuit,
            verifier: verifier_,
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
            // The deal in force now, from governance's own record (not read back from the market).
            feeBps: gFeeBps,
            slashRequesterBps: gSlashRequesterBps,
            slashBountyBps: gSlashBountyBps,
            verificationMode: params.verificationMode
        });
        j.status = IJobMarket.JobStatus.Open;
        assertTrue(
            market.getJob(id).commitment == market.termsCommitment(j.terms),
            "posted terms carry the parameters in force"
        );
        jobIds.push(id);
        expectedBalance[requester] -= params.maxPrice;
        _count("postJob");
    }

    /// An open job claimable now; posts one when there is none.
    function _claimableJob(uint256 seed) private returns (uint256 id) {
        bool found;
        (found, id) = _find(seed, _isClaimable);
        if (!found) id = _post(_requesters[seed % 3], seed);
    }

    /// Claims `id` by a provider able to (made able: stake topped up, jail waited out).
    function _claim(uint256 id, uint256 who) private returns (uint256) {
        _unpauseMarketIfNeeded();
        _unpauseStakingIfNeeded();
        GhostJob storage j = _jobs[id];
        address p = _providers[who % 3];
        for (uint256 k; k < 3; ++k) {
            address candidate = _providers[((who % 3) + k) % 3];
            if (_canClaim(candidate, j.terms.collateral)) {
                p = candidate;
                break;
            }
        }
        if (!_canClaim(p, j.terms.collateral)) {
            if (staking.getProvider(p).openJobs >= 16) {
                // Settle one of its jobs first: submit one in time, or slash one that expired.
                (bool found, uint256 open) = _findOf(p, id, _isSubmittable);
                if (found) _submit(open);
                else {
                    (found, open) = _findOf(p, id, _isExpired);
                    if (found) _slash(open);
                }
            }
            uint40 jailedUntil = staking.getProvider(p).jailedUntil;
            if (jailedUntil > block.timestamp) {
                vm.warp(jailedUntil);
                // The wait may have passed this job's claim deadline: take (or post) another.
                if (block.timestamp > j.terms.claimDeadline) return _claim(_claimableJob(id), who);
            }
            IComputeStaking.Provider memory info = staking.getProvider(p);
            // free = stake - locked must cover the collateral, and stake must reach the minimum.
            uint256 need;
            if (uint256(info.locked) + j.terms.collateral > info.stake) {
                need = uint256(info.locked) + j.terms.collateral - info.stake;
            }
            if (uint256(info.stake) + need < gMinStake) need = gMinStake - info.stake;
            if (need != 0) _stake(p, need);
        }
        vm.prank(p);
        market.claim(id, j.terms);
        j.provider = p;
        j.claimedAt = uint40(block.timestamp);
        j.status = IJobMarket.JobStatus.Claimed;
        ghostLockedEver[p] += j.terms.collateral;
        _count("claim");
        return id;
    }

    function _submit(uint256 id) private {
        GhostJob storage j = _jobs[id];
        uint256[] memory outputs = new uint256[](j.terms.numPublic - 2);
        for (uint256 i; i < outputs.length; ++i)
            outputs[i] = uint256(keccak256(abi.encode(id, i))) % 2 ** 250;
        vm.prank(j.provider);
        market.submit(id, j.terms, [uint256(1), 2, 3, 4, 5, 6, 7, 8], outputs);
        j.outputs = outputs;
        j.status = IJobMarket.JobStatus.Completed;
        ++timesProven[id];
        _count("submit");
    }

    function _collect(uint256 jobSeed, uint256 who) private {
        address p = _providers[who % 3];
        uint256[3] memory found;
        uint256 count;
        uint256 n = jobIds.length;
        for (uint256 pass; pass < 2 && count == 0; ++pass) {
            for (uint256 k; k < n && count < 3; ++k) {
                uint256 id = jobIds[((jobSeed % n) + k) % n];
                if (_jobs[id].status == IJobMarket.JobStatus.Completed && _jobs[id].provider == p) {
                    found[count++] = id;
                }
            }
            if (count == 0 && pass == 0) {
                // Complete one for this provider first.
                uint256 id = _claim(_claimableJob(jobSeed), who);
                _submit(id);
                p = _jobs[id].provider;
                n = jobIds.length;
            }
        }
        IJobMarket.Collection[] memory batch = new IJobMarket.Collection[](count);
        uint256 payout;
        for (uint256 i; i < count; ++i) {
            GhostJob storage j = _jobs[found[i]];
            IJobMarket.JobTerms memory t = j.terms;
            batch[i] = IJobMarket.Collection({jobId: found[i], terms: t, outputs: j.outputs});
            // Price fixed at the claim, fee of the job's own terms.
            uint256 price = AuctionPrice.at(t.minPrice, t.maxPrice, t.postedAt, t.rampDuration, j.claimedAt);
            uint256 fee = (price * t.feeBps) / ProtocolBounds.BPS;
            payout += price - fee;
            expectedAccrued += fee;
            expectedBalance[t.requester] += t.maxPrice - price;
            j.status = IJobMarket.JobStatus.Paid;
        }
        vm.prank(KEEPER);
        uint256 paid = market.collect(p, batch);
        assertEq(paid, payout, "collect payout");
        expectedBalance[p] += payout;
        for (uint256 i; i < count; ++i) ++timesPaid[batch[i].jobId];
        _count("collect");
    }

    function _slash(uint256 id) private {
        GhostJob storage j = _jobs[id];
        IJobMarket.JobTerms memory t = j.terms;
        IComputeStaking.Provider memory before = staking.getProvider(j.provider);
        vm.prank(KEEPER);
        market.slashExpired(id, t, j.provider);
        IComputeStaking.Provider memory afterSlash = staking.getProvider(j.provider);
        uint256 slashed = uint256(before.stake) + before.unbonding - afterSlash.stake - afterSlash.unbonding;
        if (slashed > before.locked || slashed != t.collateral) ++ghostSlashMismatch;

        // The split of the job's own terms, not the market's current one.
        uint256 toRequester = (uint256(t.collateral) * t.slashRequesterBps) / ProtocolBounds.BPS;
        uint256 bounty = (uint256(t.collateral) * t.slashBountyBps) / ProtocolBounds.BPS;
        expectedBalance[t.requester] += uint256(t.maxPrice) + toRequester;
        expectedBalance[KEEPER] += bounty;
        expectedAccrued += t.collateral - toRequester - bounty;
        j.status = IJobMarket.JobStatus.Slashed;
        _count("slashExpired");
    }

    function _stake(address p, uint256 amount) private {
        _unpauseStakingIfNeeded();
        vm.prank(p);
        staking.stake(amount);
        expectedBalance[p] -= amount;
        _count("stake");
    }

    function _unpauseMarketIfNeeded() private {
        if (market.paused()) {
            market.unpause();
            _count("pauseToggle");
        }
    }

    function _unpauseStakingIfNeeded() private {
        if (staking.paused()) {
            staking.unpause();
            _count("pauseToggle");
        }
    }

    function _canClaim(address p, uint256 collateral) private view returns (bool) {
        return staking.isActive(p) && staking.freeStake(p) >= collateral;
    }

    function _withdrawable(address p) private view returns (uint256) {
        IComputeStaking.Provider memory info = staking.getProvider(p);
        if (block.timestamp < info.unbondingEnd) return 0;
        return _unbondingFree(p);
    }

    function _unbondingFree(address p) private view returns (uint256) {
        IComputeStaking.Provider memory info = staking.getProvider(p);
        uint256 backing = info.locked > info.stake ? info.locked - info.stake : 0;
        return info.unbonding > backing ? info.unbonding - backing : 0;
    }

    // Job predicates (on the ghost status; the invariants check it equals the contract's).

    function _isOpen(uint256 id) private view returns (bool) {
        return _jobs[id].status == IJobMarket.JobStatus.Open;
    }

    function _isClaimable(uint256 id) private view returns (bool) {
        GhostJob storage j = _jobs[id];
        return
            j.status == IJobMarket.JobStatus.Open &&
            block.timestamp <= j.terms.claimDeadline &&
            registry.isActive(j.terms.circuitId);
    }

    function _isReclaimable(uint256 id) private view returns (bool) {
        GhostJob storage j = _jobs[id];
        return
            j.status == IJobMarket.JobStatus.Open &&
            (block.timestamp > j.terms.claimDeadline || !registry.isActive(j.terms.circuitId));
    }

    function _isClaimed(uint256 id) private view returns (bool) {
        return _jobs[id].status == IJobMarket.JobStatus.Claimed;
    }

    function _isSubmittable(uint256 id) private view returns (bool) {
        GhostJob storage j = _jobs[id];
        return
            j.status == IJobMarket.JobStatus.Claimed &&
            block.timestamp <= uint256(j.claimedAt) + j.terms.executionWindow;
    }

    function _isExpired(uint256 id) private view returns (bool) {
        GhostJob storage j = _jobs[id];
        return
            j.status == IJobMarket.JobStatus.Claimed &&
            block.timestamp > uint256(j.claimedAt) + j.terms.executionWindow;
    }

    /// @dev First job satisfying `pred`, scanning every job from a random start.
    function _find(
        uint256 seed,
        function(uint256) view returns (bool) pred
    ) private view returns (bool, uint256) {
        uint256 n = jobIds.length;
        for (uint256 k; k < n; ++k) {
            uint256 id = jobIds[((seed % n) + k) % n];
            if (pred(id)) return (true, id);
        }
        return (false, 0);
    }

    function _findOf(
        address p,
        uint256 seed,
        function(uint256) view returns (bool) pred
    ) private view returns (bool, uint256) {
        uint256 n = jobIds.length;
        for (uint256 k; k < n; ++k) {
            uint256 id = jobIds[((seed % n) + k) % n];
            if (_jobs[id].provider == p && pred(id)) return (true, id);
        }
        return (false, 0);
    }
}

/// @notice Invariants of the whole on-chain half under the handler above, with governance changing
/// parameters, pausing and deactivating circuits in the middle of jobs. `afterInvariant` requires
/// every run to be at least 95% effective handler calls, so each invariant is checked after
/// ≥ 66 × 160 × 0.95 = 10,032 effective calls (in practice all 10,560); each handler call makes
/// one or more protocol calls. `ProtocolCampaignTest` below prints the per-function counts.
/// forge-config: default.invariant.runs = 66
/// forge-config: default.invariant.depth = 160
/// forge-config: default.invariant.fail-on-revert = true
contract ProtocolInvariantTest is TestBase, Deployer {
    ProtocolHandler internal handler;
    SkewedToken internal skewed;
    bytes32 internal constant TOGGLED_CIRCUIT = keccak256("toggled-circuit");

    function setUp() public {
        vm.warp(1_700_000_000);
        skewed = new SkewedToken();
        _deployWith(IERC20(address(skewed)), 250, 5_000, 1_000);
        registry.registerCircuit(
            TOGGLED_CIRCUIT,
            ICircuitRegistry.Circuit({
                verifier: address(verifier),
                selector: registry.snarkjsSelector(3),
                numPublic: 3,
                active: true,
                modelCommitment: bytes32(0),
                zkeyHash: bytes32(0),
                wasmHash: bytes32(0),
                artifactsURI: ""
            })
        );
        handler = new ProtocolHandler(skewed, market, CIRCUIT_ID, TOGGLED_CIRCUIT);
        // The handler is the governance: every admin, pauser and circuit-admin role.
        market.grantRole(market.DEFAULT_ADMIN_ROLE(), address(handler));
        market.grantRole(market.PAUSER_ROLE(), address(handler));
        staking.grantRole(staking.DEFAULT_ADMIN_ROLE(), address(handler));
        staking.grantRole(staking.PAUSER_ROLE(), address(handler));
        registry.grantRole(registry.CIRCUIT_ADMIN_ROLE(), address(handler));
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// After each run: the run was (almost) all effective calls (`ProtocolCampaignTest` prints
    /// what such a sequence does, per protocol function).
    function afterInvariant() public view {
        assertLe(handler.actions() * 95, handler.effectiveActions() * 100, "effective handler calls >= 95%");
    }

    /// Token balances equal the accounting, exactly: staking holds Σ(stake + unbonding); the market
    /// holds the max price of every open, claimed or completed (unpaid) job plus accrued fees;
    /// nothing is created or lost.
    function invariant_tokensEqualStakesPlusEscrow() public view {
        uint256 staked;
        for (uint256 i; i < 3; ++i) {
            IComputeStaking.Provider memory p = staking.getProvider(handler.providerAt(i));
            staked += uint256(p.stake) + p.unbonding;
        }
        assertEq(staking.totalStaked(), staked, "totalStaked == sum of stakes");
        assertEq(skewed.balanceOf(address(staking)), staked, "staking balance == stakes + unbonding");

        uint256 escrow;
        uint256 n = handler.jobCount();
        for (uint256 k; k < n; ++k) {
            ProtocolHandler.GhostJob memory j = handler.ghost(handler.jobIds(k));
            if (
                j.status == IJobMarket.JobStatus.Open ||
                j.status == IJobMarket.JobStatus.Claimed ||
                j.status == IJobMarket.JobStatus.Completed
            ) {
                escrow += j.terms.maxPrice;
            }
        }
        assertEq(market.totalEscrowed(), escrow, "totalEscrowed == open/claimed/unpaid max prices");
        assertEq(market.accruedFees(), handler.expectedAccrued(), "accrued fees == fees + treasury shares");
        assertEq(
            skewed.balanceOf(address(market)),
            escrow + market.accruedFees(),
            "market balance == escrow + fees"
        );
        assertEq(skewed.totalSupply(), handler.ghostMinted(), "no token created or burnt");
    }

    /// Every actor holds exactly what the protocol's rules (applied to each job's own terms) give
    /// it, and the governance — which changed fees, splits, stakes, jail policy, pauses and circuits
    /// throughout — holds and moved nothing: no role but the protocol moves a token.
    function invariant_onlyTheProtocolMovesTokens() public view {
        for (uint256 i; i < 3; ++i) {
            address r = handler.requesterAt(i);
            address p = handler.providerAt(i);
            assertEq(skewed.balanceOf(r), handler.expectedBalance(r), "requester balance by the rules");
            assertEq(skewed.balanceOf(p), handler.expectedBalance(p), "provider balance by the rules");
        }
        address keeper = handler.KEEPER();
        assertEq(skewed.balanceOf(keeper), handler.expectedBalance(keeper), "keeper balance by the rules");
        assertEq(
            skewed.balanceOf(TREASURY),
            handler.expectedBalance(TREASURY),
            "treasury balance by the rules"
        );
        assertEq(skewed.balanceOf(address(handler)), 0, "governance holds nothing");
        assertEq(skewed.balanceOf(address(this)), 0, "deployer holds nothing");
    }

    /// Every job's on-chain status is the one the rules predict; a job is proven at most once and
    /// paid at most once; the stored commitment is the job's terms (with the fee and split in
    /// force at its post, as governance had set them), its claimer and its outputs.
    function invariant_jobsFollowTheirTerms() public view {
        uint256 n = handler.jobCount();
        for (uint256 k; k < n; ++k) {
            uint256 id = handler.jobIds(k);
            ProtocolHandler.GhostJob memory j = handler.ghost(id);
            IJobMarket.Job memory job = market.getJob(id);
            assertEq(uint256(job.status), uint256(j.status), "status as the rules predict");
            assertLe(handler.timesProven(id), 1, "proven at most once");
            assertLe(handler.timesPaid(id), 1, "paid at most once");
            bool proven = j.status == IJobMarket.JobStatus.Completed || j.status == IJobMarket.JobStatus.Paid;
            assertEq(handler.timesProven(id), proven ? 1 : 0, "proven iff completed or paid");
            assertEq(
                handler.timesPaid(id),
                j.status == IJobMarket.JobStatus.Paid ? 1 : 0,
                "paid iff collected"
            );
            bytes26 expected;
            if (
                j.status == IJobMarket.JobStatus.Open ||
                j.status == IJobMarket.JobStatus.Cancelled ||
                j.status == IJobMarket.JobStatus.Reclaimed
            ) {
                expected = market.termsCommitment(j.terms);
            } else if (j.status == IJobMarket.JobStatus.Claimed || j.status == IJobMarket.JobStatus.Slashed) {
                expected = market.claimCommitment(j.terms, j.provider);
            } else {
                expected = market.resultCommitment(j.terms, j.provider, j.outputs);
                assertTrue(market.checkResult(id, j.terms, j.provider, j.outputs), "result checkable");
            }
            assertTrue(job.commitment == expected, "commitment == terms (+ claimer, + outputs)");
        }
    }

    /// Every slash took exactly the job's collateral and never more than was locked; a provider's
    /// total slashed never exceeds all collateral it ever locked.
    function invariant_slashedNeverExceedsLocked() public view {
        assertEq(handler.ghostSlashMismatch(), 0, "slash != collateral or above locked");
        for (uint256 i; i < 3; ++i) {
            address p = handler.providerAt(i);
            assertLe(
                staking.getProvider(p).totalSlashed,
                handler.ghostLockedEver(p),
                "totalSlashed <= locked ever"
            );
        }
    }

    /// A provider's locked collateral is covered by its stake, and equals the collateral of its
    /// claimed jobs (no leak on any settlement path).
    function invariant_lockedCoveredByStake() public view {
        uint256[3] memory claimedCollateral;
        uint256[3] memory claimedCount;
        uint256 n = handler.jobCount();
        for (uint256 k; k < n; ++k) {
            ProtocolHandler.GhostJob memory j = handler.ghost(handler.jobIds(k));
            if (j.status != IJobMarket.JobStatus.Claimed) continue;
            for (uint256 i; i < 3; ++i) {
                if (j.provider == handler.providerAt(i)) {
                    claimedCollateral[i] += j.terms.collateral;
                    ++claimedCount[i];
                }
            }
        }
        for (uint256 i; i < 3; ++i) {
            IComputeStaking.Provider memory p = staking.getProvider(handler.providerAt(i));
            assertLe(p.locked, uint256(p.stake) + p.unbonding, "locked <= stake + unbonding");
            assertEq(p.locked, claimedCollateral[i], "locked == collateral of claimed jobs");
            assertEq(p.openJobs, claimedCount[i], "openJobs == claimed jobs");
        }
    }
}

/// @notice One long deterministic campaign through the same handler (every action drawn from a
/// seeded sequence, governance changes included), printing how many times each protocol function
/// was really called and how many jobs ended in each status — what the invariant runs above do,
/// made visible — and requiring that every action and every job status is reached many times.
contract ProtocolCampaignTest is TestBase, Deployer {
    uint256 internal constant CALLS = 500;
    bytes32 internal constant TOGGLED_CIRCUIT = keccak256("toggled-circuit");

    function test_campaign_reachesEveryStateWithEffectiveCalls() public {
        vm.warp(1_700_000_000);
        SkewedToken skewed = new SkewedToken();
        _deployWith(IERC20(address(skewed)), 250, 5_000, 1_000);
        registry.registerCircuit(
            TOGGLED_CIRCUIT,
            ICircuitRegistry.Circuit({
                verifier: address(verifier),
                selector: registry.snarkjsSelector(3),
                numPublic: 3,
                active: true,
                modelCommitment: bytes32(0),
                zkeyHash: bytes32(0),
                wasmHash: bytes32(0),
                artifactsURI: ""
            })
        );
        ProtocolHandler h = new ProtocolHandler(skewed, market, CIRCUIT_ID, TOGGLED_CIRCUIT);
        market.grantRole(market.DEFAULT_ADMIN_ROLE(), address(h));
        market.grantRole(market.PAUSER_ROLE(), address(h));
        staking.grantRole(staking.DEFAULT_ADMIN_ROLE(), address(h));
        staking.grantRole(staking.PAUSER_ROLE(), address(h));
        registry.grantRole(registry.CIRCUIT_ADMIN_ROLE(), address(h));

        for (uint256 i; i < CALLS; ++i) _dispatch(h, uint256(keccak256(abi.encode("campaign", i))));

        console.log(
            string.concat(
                "campaign: ",
                _str(h.effectiveActions()),
                " of ",
                _str(h.actions()),
                " handler calls effective; protocol calls by function:"
            )
        );
        string[] memory names = h.callNames();
        for (uint256 i; i < names.length; ++i) {
            console.log(string.concat("  ", names[i], ": ", _str(h.calls(names[i]))));
            assertLe(10, h.calls(names[i]), string.concat(names[i], " called at least 10 times"));
        }
        assertEq(names.length, 19, "every protocol and governance function exercised");
        assertLe(h.actions() * 95, h.effectiveActions() * 100, "effective handler calls >= 95%");

        uint256[8] memory byStatus;
        for (uint256 k; k < h.jobCount(); ++k) ++byStatus[uint256(market.getJob(h.jobIds(k)).status)];
        string[8] memory statusNames = [
            "None",
            "Open",
            "Claimed",
            "Completed",
            "Cancelled",
            "Reclaimed",
            "Slashed",
            "Paid"
        ];
        console.log(string.concat("jobs: ", _str(h.jobCount()), " posted; by final status:"));
        for (uint256 st = 1; st < 8; ++st) {
            console.log(string.concat("  ", statusNames[st], ": ", _str(byStatus[st])));
        }
        // Open and Claimed are transient (drained by the campaign's own settling); the final
        // states must each hold many jobs.
        for (uint256 st = 3; st < 8; ++st) {
            assertLe(5, byStatus[st], string.concat(statusNames[st], ": at least 5 jobs end there"));
        }
    }

    /// Draws one handler action from `r` (weights roughly those of the fuzzer's uniform choice).
    function _dispatch(ProtocolHandler h, uint256 r) private {
        uint256 a = uint256(keccak256(abi.encode(r, "a")));
        uint256 b = uint256(keccak256(abi.encode(r, "b")));
        uint256 which = r % 21;
        if (which == 0) h.postJob(a, b);
        else if (which == 1) h.claim(a, b);
        else if (which == 2) h.submit(a, b);
        else if (which == 3) h.collect(a, b);
        else if (which == 4) h.cancel(a, b);
        else if (which == 5) h.reclaim(a, b);
        else if (which == 6) h.slashExpired(a, b);
        else if (which == 7) h.stake(a, b);
        else if (which == 8) h.requestUnstake(a, b);
        else if (which == 9) h.withdraw(a, b);
        else if (which == 10) h.withdrawFees(a, b);
        else if (which == 11) h.skewedDeposit(a, b, int16(int256(b % 20_000)) - 10_000, a % 2 == 0);
        else if (which == 12) h.warp(a);
        else if (which == 13) h.govSetFee(a);
        else if (which == 14) h.govSetSlashSplit(a, b);
        else if (which == 15) h.govSetMinStake(a);
        else if (which == 16) h.govSetJailPolicy(a, b);
        else if (which == 17) h.govTogglePause(a % 2 == 0);
        else if (which == 18) h.govToggleCircuit();
        else if (which == 19) h.claim(a, b);
        else h.submit(a, b);
    }
}
