// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IComputeStaking} from "../../contracts/interfaces/IComputeStaking.sol";
import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {AuctionPrice} from "../../contracts/libraries/AuctionPrice.sol";
import {TestBase} from "./utils/Vm.sol";
import {Deployer} from "./utils/Deployer.sol";

/// @notice Fuzz tests of amounts, deadlines and auction pricing (proofs checked by MockVerifier).
contract JobMarketFuzzTest is TestBase, Deployer {
    address internal constant REQUESTER = address(0xA11CE);
    address internal constant PROVIDER = address(0xB0B);
    address internal constant KEEPER = address(0xCAFE);
    uint256 internal constant PROVIDER_STAKE = 100_000 ether;

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploy(250, 5_000, 1_000);
        token.faucet(REQUESTER, 1_000_000 ether);
        token.faucet(PROVIDER, PROVIDER_STAKE);
        vm.prank(REQUESTER);
        token.approve(address(market), type(uint256).max);
        vm.startPrank(PROVIDER);
        token.approve(address(staking), type(uint256).max);
        staking.stake(PROVIDER_STAKE);
        staking.register(
            IComputeStaking.Capability({
                gpuModel: "cpu",
                memoryMB: 1024,
                backends: 1,
                maxConcurrentJobs: 8,
                metadataURI: ""
            })
        );
        vm.stopPrank();
    }

    function _params(
        uint96 minPrice,
        uint96 maxPrice,
        uint32 ramp,
        uint96 collateral,
        uint40 claimDeadline,
        uint32 window
    ) internal pure returns (IJobMarket.PostJobParams memory) {
        return
            IJobMarket.PostJobParams({
                circuitId: CIRCUIT_ID,
                inputCommitment: 42,
                input: hex"0102",
                inputURI: "",
                minPrice: minPrice,
                maxPrice: maxPrice,
                rampDuration: ramp,
                collateral: collateral,
                claimDeadline: claimDeadline,
                executionWindow: window,
                verificationMode: IJobMarket.VerificationMode.Full
            });
    }

    function _post(
        IJobMarket.PostJobParams memory params
    ) internal returns (uint256 id, IJobMarket.JobTerms memory terms) {
        vm.prank(REQUESTER);
        id = market.postJob(params);
        terms = _termsFor(params, REQUESTER);
    }

    function _collect(uint256 id, IJobMarket.JobTerms memory terms) internal {
        IJobMarket.Collection[] memory jobs = new IJobMarket.Collection[](1);
        jobs[0] = IJobMarket.Collection({jobId: id, terms: terms, outputs: new uint256[](0)});
        vm.prank(KEEPER);
        market.collect(PROVIDER, jobs);
    }

    // ═══════════════════════════════════════ auction pricing ══════════════════════════════════════

    /// Price stays in [min, max], starts at min, reaches max at the end of the ramp, never decreases.
    function testFuzz_auctionPrice_boundedMonotoneAndExactAtEnds(
        uint96 minPrice,
        uint96 maxPrice,
        uint32 ramp,
        uint32 dt1,
        uint32 dt2
    ) public {
        vm.assume(minPrice <= maxPrice);
        ramp = uint32(bound(ramp, 1, type(uint32).max));
        uint40 start = uint40(block.timestamp);
        (dt1, dt2) = dt1 <= dt2 ? (dt1, dt2) : (dt2, dt1);

        assertEq(
            AuctionPrice.at(minPrice, maxPrice, start, ramp, block.timestamp),
            minPrice,
            "price at start"
        );
        vm.warp(start + uint256(dt1));
        uint96 p1 = AuctionPrice.at(minPrice, maxPrice, start, ramp, block.timestamp);
        vm.warp(start + uint256(dt2));
        uint96 p2 = AuctionPrice.at(minPrice, maxPrice, start, ramp, block.timestamp);
        assertLe(minPrice, p1, "min <= p1");
        assertLe(p1, p2, "monotone");
        assertLe(p2, maxPrice, "p2 <= max");
        // Exact linear value, computed independently.
        uint256 e1 = dt1 >= ramp ? ramp : dt1;
        assertEq(p1, minPrice + (uint256(maxPrice - minPrice) * e1) / ramp, "linear");
        vm.warp(start + uint256(ramp));
        assertEq(
            AuctionPrice.at(minPrice, maxPrice, start, ramp, block.timestamp),
            maxPrice,
            "price at end of ramp"
        );
    }

    // ═══════════════════════════════════════ amounts ══════════════════════════════════════════════

    /// Whatever the terms and claim time, a settled job moves exactly maxPrice out of escrow:
    /// payout + fee + refund == maxPrice, and fee is feeBps of the claimed price.
    function testFuzz_submit_splitsEscrowExactly(
        uint96 minPrice,
        uint96 maxPrice,
        uint32 ramp,
        uint32 claimAfter,
        uint16 feeBps
    ) public {
        maxPrice = uint96(bound(maxPrice, 0, 100_000 ether));
        minPrice = uint96(bound(minPrice, 0, maxPrice));
        ramp = minPrice == maxPrice ? 0 : uint32(bound(ramp, 1, 7 days));
        claimAfter = uint32(bound(claimAfter, 0, 7 days));
        market.setFee(uint16(bound(feeBps, 0, 1_000)));

        (uint256 id, IJobMarket.JobTerms memory terms) = _post(
            _params(minPrice, maxPrice, ramp, 10 ether, uint40(block.timestamp + 7 days), 1 hours)
        );
        vm.warp(block.timestamp + claimAfter);
        uint256 expectedPrice = market.currentPrice(id, terms);
        vm.prank(PROVIDER);
        market.claim(id, terms);
        vm.warp(block.timestamp + 1);
        assertEq(
            market.priceAt(terms, market.getJob(id).deadline - terms.executionWindow),
            expectedPrice,
            "price fixed at claim"
        );

        uint256 reqBefore = token.balanceOf(REQUESTER);
        uint256 provBefore = token.balanceOf(PROVIDER);
        uint256 feesBefore = market.accruedFees();
        vm.prank(PROVIDER);
        market.submit(id, terms, [uint256(1), 2, 3, 4, 5, 6, 7, 8], new uint256[](0));
        assertEq(token.balanceOf(PROVIDER), provBefore, "nothing paid before collect");
        _collect(id, terms);

        uint256 fee = market.accruedFees() - feesBefore;
        uint256 payout = token.balanceOf(PROVIDER) - provBefore;
        uint256 refund = token.balanceOf(REQUESTER) - reqBefore;
        assertEq(payout + fee + refund, maxPrice, "escrow fully distributed");
        assertEq(fee, (expectedPrice * market.feeBps()) / 10_000, "fee");
        assertEq(refund, maxPrice - expectedPrice, "refund");
        assertEq(
            token.balanceOf(address(market)),
            market.accruedFees() + market.totalEscrowed(),
            "market balance"
        );
        assertEq(staking.getProvider(PROVIDER).locked, 0, "collateral released");
    }

    /// A slash never takes more than the job's locked collateral, and splits it exactly.
    function testFuzz_slash_neverExceedsLocked(
        uint96 collateral,
        uint16 requesterBps,
        uint16 bountyBps
    ) public {
        collateral = uint96(bound(collateral, 0, PROVIDER_STAKE));
        bountyBps = uint16(bound(bountyBps, 0, 2_000));
        requesterBps = uint16(bound(requesterBps, 0, 9_000 - bountyBps)); // treasury keeps >= 10%
        market.setSlashSplit(requesterBps, bountyBps);

        (uint256 id, IJobMarket.JobTerms memory terms) = _post(
            _params(5 ether, 5 ether, 0, collateral, uint40(block.timestamp + 1 days), 1 hours)
        );
        vm.prank(PROVIDER);
        market.claim(id, terms);
        IComputeStaking.Provider memory before = staking.getProvider(PROVIDER);
        vm.warp(block.timestamp + 1 hours + 1);

        uint256 reqBefore = token.balanceOf(REQUESTER);
        vm.prank(KEEPER);
        market.slashExpired(id, terms, PROVIDER);
        IComputeStaking.Provider memory afterSlash = staking.getProvider(PROVIDER);

        uint256 slashed = before.stake - afterSlash.stake;
        assertLe(slashed, before.locked, "slashed <= locked");
        assertEq(slashed, collateral, "slashed == collateral");
        uint256 toRequester = token.balanceOf(REQUESTER) - reqBefore - 5 ether;
        uint256 bounty = token.balanceOf(KEEPER);
        assertEq(toRequester + bounty + market.accruedFees(), collateral, "split sums to collateral");
        assertEq(bounty, (uint256(collateral) * bountyBps) / 10_000, "bounty");
        assertEq(token.balanceOf(address(staking)), staking.totalStaked(), "staking balance");
    }

    // ═══════════════════════════════════════ deadlines ════════════════════════════════════════════

    /// Submit succeeds iff it comes no later than claim time + executionWindow; slash iff later.
    function testFuzz_deadline_submitOrSlashNeverBoth(uint32 window, uint32 delay) public {
        window = uint32(bound(window, 1 minutes, 2 days));
        delay = uint32(bound(delay, 0, 4 days));
        (uint256 id, IJobMarket.JobTerms memory terms) = _post(
            _params(1 ether, 1 ether, 0, 1 ether, uint40(block.timestamp + 1 days), window)
        );
        vm.prank(PROVIDER);
        market.claim(id, terms);
        uint40 deadline = market.getJob(id).deadline;
        assertEq(deadline, block.timestamp + window, "deadline");
        vm.warp(block.timestamp + delay);

        if (block.timestamp <= deadline) {
            vm.expectRevert(
                abi.encodeWithSelector(IJobMarket.Market__DeadlineNotPassed.selector, id, deadline)
            );
            market.slashExpired(id, terms, PROVIDER);
            vm.prank(PROVIDER);
            market.submit(id, terms, [uint256(1), 2, 3, 4, 5, 6, 7, 8], new uint256[](0));
            assertEq(uint256(market.getJob(id).status), uint256(IJobMarket.JobStatus.Completed), "completed");
        } else {
            vm.prank(PROVIDER);
            vm.expectRevert(abi.encodeWithSelector(IJobMarket.Market__DeadlinePassed.selector, id, deadline));
            market.submit(id, terms, [uint256(1), 2, 3, 4, 5, 6, 7, 8], new uint256[](0));
            market.slashExpired(id, terms, PROVIDER);
            assertEq(uint256(market.getJob(id).status), uint256(IJobMarket.JobStatus.Slashed), "slashed");
        }
    }

    /// Claim deadlines: claimable up to and including claimDeadline, reclaimable strictly after.
    function testFuzz_claimDeadline_claimOrReclaim(uint32 claimPeriod, uint32 delay) public {
        claimPeriod = uint32(bound(claimPeriod, 0, 7 days));
        delay = uint32(bound(delay, 0, 8 days));
        uint40 claimDeadline = uint40(block.timestamp + claimPeriod);
        (uint256 id, IJobMarket.JobTerms memory terms) = _post(
            _params(1 ether, 1 ether, 0, 1 ether, claimDeadline, 1 hours)
        );
        vm.warp(block.timestamp + delay);
        if (block.timestamp <= claimDeadline) {
            vm.expectRevert(
                abi.encodeWithSelector(IJobMarket.Market__ClaimDeadlineNotPassed.selector, id, claimDeadline)
            );
            market.reclaim(id, terms);
            vm.prank(PROVIDER);
            market.claim(id, terms);
        } else {
            vm.prank(PROVIDER);
            vm.expectRevert(
                abi.encodeWithSelector(IJobMarket.Market__ClaimDeadlinePassed.selector, id, claimDeadline)
            );
            market.claim(id, terms);
            uint256 before = token.balanceOf(REQUESTER);
            market.reclaim(id, terms);
            assertEq(token.balanceOf(REQUESTER) - before, 1 ether, "refund");
        }
    }

    /// Posting escrows exactly maxPrice for any valid terms.
    function testFuzz_postJob_escrowsMaxPrice(
        uint96 minPrice,
        uint96 maxPrice,
        uint32 ramp,
        uint96 collateral
    ) public {
        maxPrice = uint96(bound(maxPrice, 0, 1_000_000 ether));
        minPrice = uint96(bound(minPrice, 0, maxPrice));
        ramp = minPrice == maxPrice ? 0 : uint32(bound(ramp, 1, 7 days));
        uint256 before = token.balanceOf(REQUESTER);
        vm.prank(REQUESTER);
        market.postJob(
            _params(minPrice, maxPrice, ramp, collateral, uint40(block.timestamp + 1 days), 1 hours)
        );
        assertEq(before - token.balanceOf(REQUESTER), maxPrice, "escrowed");
        assertEq(market.totalEscrowed(), maxPrice, "totalEscrowed");
    }
}
