// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ComputeStaking} from "../../contracts/ComputeStaking.sol";
import {JobMarket} from "../../contracts/JobMarket.sol";
import {IComputeStaking} from "../../contracts/interfaces/IComputeStaking.sol";
import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {TestToken} from "../../contracts/token/TestToken.sol";
import {TestBase} from "./utils/Vm.sol";
import {Deployer, jobTermsFor} from "./utils/Deployer.sol";
import {ICircuitRegistry} from "../../contracts/interfaces/ICircuitRegistry.sol";

/// @notice Drives staking and market through random but valid sequences of user actions
/// (proofs checked by MockVerifier), recording ghost state for the invariants.
contract ProtocolHandler is TestBase {
    TestToken public immutable token;
    ComputeStaking public immutable staking;
    JobMarket public immutable market;
    bytes32 public immutable circuitId;

    address[3] public requesters = [address(0x1001), address(0x1002), address(0x1003)];
    address[3] public providers = [address(0x2001), address(0x2002), address(0x2003)];
    address public constant KEEPER = address(0x3001);

    uint256[] public jobIds;
    mapping(uint256 jobId => IJobMarket.JobTerms) internal _terms;
    mapping(uint256 jobId => address) public providerOf;
    mapping(uint256 jobId => uint256) public timesProven;
    mapping(uint256 jobId => uint256) public timesPaid;
    mapping(address provider => uint256) public ghostLockedEver;
    uint256 public ghostSlashAboveLocked;
    uint256 public ghostMinted;
    mapping(bytes32 action => uint256) public calls;

    constructor(TestToken token_, ComputeStaking staking_, JobMarket market_, bytes32 circuitId_) {
        token = token_;
        staking = staking_;
        market = market_;
        circuitId = circuitId_;
        for (uint256 i; i < 3; ++i) {
            _mint(requesters[i], 1_000_000 ether);
            vm.prank(requesters[i]);
            token.approve(address(market), type(uint256).max);
            _mint(providers[i], 1_000_000 ether);
            vm.startPrank(providers[i]);
            token.approve(address(staking), type(uint256).max);
            staking.stake(1_000 ether);
            staking.register(
                IComputeStaking.Capability({
                    gpuModel: "cpu",
                    memoryMB: 1,
                    backends: 1,
                    maxConcurrentJobs: 16,
                    metadataURI: ""
                })
            );
            vm.stopPrank();
        }
    }

    /// @notice The terms of a job posted by the handler (as emitted in `JobPosted`).
    function termsOf(uint256 jobId) external view returns (IJobMarket.JobTerms memory) {
        return _terms[jobId];
    }

    function jobCount() external view returns (uint256) {
        return jobIds.length;
    }

    function providerAt(uint256 i) external view returns (address) {
        return providers[i];
    }

    function requesterAt(uint256 i) external view returns (address) {
        return requesters[i];
    }

    // ════════════════════════════════════════ actions ═════════════════════════════════════════════

    function stake(uint256 who, uint256 amount) external {
        address p = providers[who % 3];
        amount = bound(amount, 1, 500 ether);
        vm.prank(p);
        staking.stake(amount);
        ++calls["stake"];
    }

    function requestUnstake(uint256 who, uint256 amount) external {
        address p = providers[who % 3];
        uint256 bonded = staking.getProvider(p).stake;
        if (bonded == 0) return;
        vm.prank(p);
        staking.requestUnstake(bound(amount, 1, bonded));
        ++calls["requestUnstake"];
    }

    function withdraw(uint256 who) external {
        address p = providers[who % 3];
        IComputeStaking.Provider memory info = staking.getProvider(p);
        uint256 backing = info.locked > info.stake ? info.locked - info.stake : 0;
        if (info.unbonding <= backing) return;
        // Jump to the end of the unbonding period (time only moves forward).
        if (block.timestamp < info.unbondingEnd) vm.warp(info.unbondingEnd);
        uint256 before = token.balanceOf(p);
        vm.prank(p);
        uint256 amount = staking.withdraw();
        assertEq(amount, info.unbonding - backing, "withdraw amount");
        assertEq(token.balanceOf(p) - before, amount, "withdraw transfer");
        ++calls["withdraw"];
    }

    function postJob(
        uint256 who,
        uint96 minPrice,
        uint96 maxPrice,
        uint32 ramp,
        uint96 collateral,
        uint32 window
    ) external {
        maxPrice = uint96(bound(maxPrice, 0, 100 ether));
        minPrice = uint96(bound(minPrice, 0, maxPrice));
        ramp = minPrice == maxPrice ? 0 : uint32(bound(ramp, 1, 1 days));
        collateral = uint96(bound(collateral, 0, 400 ether));
        window = uint32(bound(window, 1 minutes, 2 days));
        IJobMarket.PostJobParams memory params = IJobMarket.PostJobParams({
            circuitId: circuitId,
            inputCommitment: uint256(keccak256(abi.encode(jobIds.length))) % 2 ** 250,
            input: hex"00ff",
            inputURI: "",
            minPrice: minPrice,
            maxPrice: maxPrice,
            rampDuration: ramp,
            collateral: collateral,
            claimDeadline: uint40(block.timestamp + bound(window, 0, 3 days)),
            executionWindow: window,
            verificationMode: IJobMarket.VerificationMode.Full
        });
        address requester = requesters[who % 3];
        vm.prank(requester);
        uint256 id = market.postJob(params);
        _terms[id] = jobTermsFor(ICircuitRegistry(market.registry()), params, requester);
        jobIds.push(id);
        ++calls["postJob"];
    }

    function claim(uint256 jobSeed, uint256 who) external {
        (bool found, uint256 id, , IJobMarket.JobTerms memory terms) = _pick(
            jobSeed,
            IJobMarket.JobStatus.Open
        );
        if (!found || block.timestamp > terms.claimDeadline) return;
        address p = providers[who % 3];
        if (!staking.isActive(p) || staking.freeStake(p) < terms.collateral) return;
        vm.prank(p);
        market.claim(id, terms);
        providerOf[id] = p;
        ghostLockedEver[p] += terms.collateral;
        ++calls["claim"];
    }

    /// Claim then settle at once (the common honest path; `warp` and `slashExpired` otherwise make
    /// most claimed jobs expire before a separate `submit` is drawn).
    function claimAndSubmit(uint256 jobSeed, uint256 who) external {
        (bool found, uint256 id, , IJobMarket.JobTerms memory terms) = _pick(
            jobSeed,
            IJobMarket.JobStatus.Open
        );
        if (!found || block.timestamp > terms.claimDeadline) return;
        address p = providers[who % 3];
        if (!staking.isActive(p) || staking.freeStake(p) < terms.collateral) return;
        vm.startPrank(p);
        market.claim(id, terms);
        market.submit(id, terms, [uint256(1), 2, 3, 4, 5, 6, 7, 8], new uint256[](0));
        vm.stopPrank();
        providerOf[id] = p;
        ghostLockedEver[p] += terms.collateral;
        ++timesProven[id];
        ++calls["claimAndSubmit"];
    }

    function submit(uint256 jobSeed) external {
        (bool found, uint256 id, IJobMarket.Job memory job, IJobMarket.JobTerms memory terms) = _pick(
            jobSeed,
            IJobMarket.JobStatus.Claimed
        );
        if (!found || block.timestamp > job.deadline) return;
        vm.prank(providerOf[id]);
        market.submit(id, terms, [uint256(1), 2, 3, 4, 5, 6, 7, 8], new uint256[](0));
        ++timesProven[id];
        ++calls["submit"];
    }

    /// Pays out up to three completed jobs of one provider in one `collect` (anyone may call).
    function collect(uint256 jobSeed, uint256 who) external {
        address p = providers[who % 3];
        uint256[3] memory found;
        uint256 count;
        uint256 n = jobIds.length;
        for (uint256 k; k < n && count < 3; ++k) {
            uint256 id = jobIds[((jobSeed % n) + k) % n];
            if (market.getJob(id).status == IJobMarket.JobStatus.Completed && providerOf[id] == p) {
                found[count++] = id;
            }
        }
        if (count == 0) return;
        IJobMarket.Collection[] memory batch = new IJobMarket.Collection[](count);
        for (uint256 i; i < count; ++i) {
            batch[i] = IJobMarket.Collection({
                jobId: found[i],
                terms: _terms[found[i]],
                outputs: new uint256[](0)
            });
        }
        vm.prank(KEEPER);
        market.collect(p, batch);
        for (uint256 i; i < count; ++i) ++timesPaid[batch[i].jobId];
        ++calls["collect"];
    }

    function cancel(uint256 jobSeed) external {
        (bool found, uint256 id, , IJobMarket.JobTerms memory terms) = _pick(
            jobSeed,
            IJobMarket.JobStatus.Open
        );
        if (!found) return;
        vm.prank(terms.requester);
        market.cancel(id, terms);
        ++calls["cancel"];
    }

    function reclaim(uint256 jobSeed) external {
        (bool found, uint256 id, , IJobMarket.JobTerms memory terms) = _pick(
            jobSeed,
            IJobMarket.JobStatus.Open
        );
        if (!found) return;
        if (block.timestamp <= terms.claimDeadline) vm.warp(uint256(terms.claimDeadline) + 1);
        vm.prank(KEEPER);
        market.reclaim(id, terms);
        ++calls["reclaim"];
    }

    function slashExpired(uint256 jobSeed) external {
        (bool found, uint256 id, IJobMarket.Job memory job, IJobMarket.JobTerms memory terms) = _pick(
            jobSeed,
            IJobMarket.JobStatus.Claimed
        );
        if (!found) return;
        if (block.timestamp <= job.deadline) vm.warp(uint256(job.deadline) + 1);
        address provider = providerOf[id];
        IComputeStaking.Provider memory before = staking.getProvider(provider);
        vm.prank(KEEPER);
        market.slashExpired(id, terms, provider);
        IComputeStaking.Provider memory afterSlash = staking.getProvider(provider);
        uint256 slashed = uint256(before.stake) + before.unbonding - afterSlash.stake - afterSlash.unbonding;
        if (slashed > before.locked || slashed != terms.collateral) ++ghostSlashAboveLocked;
        ++calls["slashExpired"];
    }

    function withdrawFees() external {
        if (market.accruedFees() == 0) return;
        market.withdrawFees();
        ++calls["withdrawFees"];
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 2 days));
        ++calls["warp"];
    }

    // ════════════════════════════════════════ helpers ═════════════════════════════════════════════

    function _mint(address to, uint256 amount) private {
        token.faucet(to, amount);
        ghostMinted += amount;
    }

    /// @dev First job with `status` scanning from a random start (bounded by the jobs posted).
    function _pick(
        uint256 seed,
        IJobMarket.JobStatus status
    )
        private
        view
        returns (bool found, uint256 id, IJobMarket.Job memory job, IJobMarket.JobTerms memory terms)
    {
        uint256 n = jobIds.length;
        if (n == 0) return (false, 0, job, terms);
        uint256 start = seed % n;
        for (uint256 k; k < n; ++k) {
            id = jobIds[(start + k) % n];
            job = market.getJob(id);
            if (job.status == status) return (true, id, job, _terms[id]);
        }
        return (false, 0, job, terms);
    }
}

/// @notice Invariants of the whole on-chain half, each checked over ≥ 10,000 handler calls
/// (64 runs × depth 160).
/// forge-config: default.invariant.runs = 64
/// forge-config: default.invariant.depth = 160
/// forge-config: default.invariant.fail-on-revert = true
contract ProtocolInvariantTest is TestBase, Deployer {
    ProtocolHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploy(250, 5_000, 1_000);
        handler = new ProtocolHandler(token, staking, market, CIRCUIT_ID);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
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
        assertEq(token.balanceOf(address(staking)), staked, "staking balance == stakes + unbonding");

        uint256 escrow;
        uint256 n = handler.jobCount();
        for (uint256 k; k < n; ++k) {
            uint256 id = handler.jobIds(k);
            IJobMarket.JobStatus status = market.getJob(id).status;
            if (
                status == IJobMarket.JobStatus.Open ||
                status == IJobMarket.JobStatus.Claimed ||
                status == IJobMarket.JobStatus.Completed
            ) {
                escrow += handler.termsOf(id).maxPrice;
            }
        }
        assertEq(market.totalEscrowed(), escrow, "totalEscrowed == open/claimed/unpaid max prices");
        assertEq(
            token.balanceOf(address(market)),
            escrow + market.accruedFees(),
            "market balance == escrow + fees"
        );

        uint256 held =
            token.balanceOf(address(staking)) +
                token.balanceOf(address(market)) +
                token.balanceOf(TREASURY) +
                token.balanceOf(handler.KEEPER());
        for (uint256 i; i < 3; ++i) {
            held += token.balanceOf(handler.providerAt(i)) + token.balanceOf(handler.requesterAt(i));
        }
        assertEq(held, handler.ghostMinted(), "conservation of tokens");
    }

    /// A job is proven at most once and paid at most once; exactly the proven jobs are completed
    /// or paid, exactly the collected ones paid, and a paid job's result stays checkable.
    function invariant_jobPaidAtMostOnce() public view {
        uint256 n = handler.jobCount();
        for (uint256 k; k < n; ++k) {
            uint256 id = handler.jobIds(k);
            uint256 proven = handler.timesProven(id);
            uint256 paid = handler.timesPaid(id);
            assertLe(proven, 1, "proven at most once");
            assertLe(paid, 1, "paid at most once");
            IJobMarket.JobStatus status = market.getJob(id).status;
            bool isPaid = status == IJobMarket.JobStatus.Paid;
            assertEq(
                proven,
                isPaid || status == IJobMarket.JobStatus.Completed ? 1 : 0,
                "proven iff completed"
            );
            assertEq(paid, isPaid ? 1 : 0, "paid iff collected");
            if (proven == 1) {
                assertTrue(
                    market.checkResult(id, handler.termsOf(id), handler.providerOf(id), new uint256[](0)),
                    "result checkable"
                );
            }
        }
    }

    /// Every slash took exactly the job's collateral and never more than was locked; a provider's
    /// total slashed never exceeds all collateral it ever locked.
    function invariant_slashedNeverExceedsLocked() public view {
        assertEq(handler.ghostSlashAboveLocked(), 0, "slash above locked");
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
            uint256 id = handler.jobIds(k);
            IJobMarket.Job memory job = market.getJob(id);
            if (job.status != IJobMarket.JobStatus.Claimed) continue;
            for (uint256 i; i < 3; ++i) {
                if (handler.providerOf(id) == handler.providerAt(i)) {
                    claimedCollateral[i] += handler.termsOf(id).collateral;
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
