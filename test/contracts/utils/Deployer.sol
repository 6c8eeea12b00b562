// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BatchMarket} from "../../../contracts/BatchMarket.sol";
import {CircuitRegistry} from "../../../contracts/CircuitRegistry.sol";
import {ComputeStaking} from "../../../contracts/ComputeStaking.sol";
import {JobMarket} from "../../../contracts/JobMarket.sol";
import {ICircuitRegistry} from "../../../contracts/interfaces/ICircuitRegistry.sol";
import {IJobMarket} from "../../../contracts/interfaces/IJobMarket.sol";
import {MockVerifier} from "../../../contracts/mocks/MockVerifier.sol";
import {TestToken} from "../../../contracts/token/TestToken.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @dev The terms `market` emits for `params` posted by `requester` in the current block.
function jobTermsFor(
    IJobMarket market,
    IJobMarket.PostJobParams memory params,
    address requester
) view returns (IJobMarket.JobTerms memory) {
    (address verifier_, bytes4 selector, uint16 numPublic, ) = ICircuitRegistry(market.registry())
        .getVerifier(params.circuitId);
    return
        IJobMarket.JobTerms({
            requester: requester,
            circuitId: params.circuitId,
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
            feeBps: market.feeBps(),
            slashRequesterBps: market.slashRequesterBps(),
            slashBountyBps: market.slashBountyBps(),
            verificationMode: params.verificationMode
        });
}

/// @notice Deploys the protocol wired as in production, with a MockVerifier (test-only) circuit.
contract Deployer {
    bytes32 internal constant CIRCUIT_ID = keccak256("mock-circuit");
    address internal constant TREASURY = address(0x7EA5);
    uint96 internal constant MIN_STAKE = 100 ether;
    uint40 internal constant UNBONDING = 12 days;

    TestToken internal token;
    CircuitRegistry internal registry;
    ComputeStaking internal staking;
    JobMarket internal market;
    BatchMarket internal batchMarket;
    MockVerifier internal verifier;

    function _deploy(uint16 feeBps, uint16 requesterBps, uint16 bountyBps) internal {
        token = new TestToken("Proofwork Test", "PWT");
        _deployWith(IERC20(address(token)), feeBps, requesterBps, bountyBps);
    }

    /// @dev Deploys registry + market (+ its staking and batch market) on `paymentToken` and registers the mock circuit.
    function _deployWith(IERC20 paymentToken, uint16 feeBps, uint16 requesterBps, uint16 bountyBps) internal {
        registry = new CircuitRegistry(address(this));
        market = new JobMarket(
            paymentToken,
            ICircuitRegistry(address(registry)),
            address(this),
            TREASURY,
            IJobMarket.Economics({
                feeBps: feeBps,
                slashRequesterBps: requesterBps,
                slashBountyBps: bountyBps
            }),
            IJobMarket.StakingConfig({
                minStake: MIN_STAKE,
                unbondingPeriod: UNBONDING,
                jailThreshold: 3,
                jailPeriod: 1 days
            }),
            keccak256(type(BatchMarket).creationCode)
        );
        staking = ComputeStaking(market.staking());
        batchMarket = BatchMarket(market.deployBatchMarket(type(BatchMarket).creationCode));
        verifier = new MockVerifier();
        registry.registerCircuit(
            CIRCUIT_ID,
            ICircuitRegistry.Circuit({
                verifier: address(verifier),
                selector: registry.snarkjsSelector(2),
                numPublic: 2,
                active: true,
                modelCommitment: bytes32(0),
                zkeyHash: bytes32(0),
                wasmHash: bytes32(0),
                artifactsURI: ""
            })
        );
    }

    /// @dev The terms the market emits for `params` posted by `requester` in the current block.
    function _termsFor(
        IJobMarket.PostJobParams memory params,
        address requester
    ) internal view returns (IJobMarket.JobTerms memory) {
        return jobTermsFor(market, params, requester);
    }
}
