// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {ProtocolBounds} from "../libraries/ProtocolBounds.sol";

/// @title ProofworkTimelock
/// @notice OpenZeppelin `TimelockController` that holds `DEFAULT_ADMIN_ROLE` of every proofwork
/// contract on a public network. Its delay always exceeds `ProtocolBounds.MIN_GOVERNANCE_DELAY`
/// (the longest job lifetime plus the slash window), at construction and on every `updateDelay`:
/// every job posted before a governance change is scheduled has settled, expired or been slashed
/// before the change executes, and providers and requesters can leave in between.
contract ProofworkTimelock is TimelockController {
    /// @notice Thrown when the delay is not above `MIN_GOVERNANCE_DELAY`.
    /// @param delay The delay given.
    /// @param minExclusive The exclusive lower bound.
    error Timelock__DelayTooShort(uint256 delay, uint256 minExclusive);

    /// @param minDelay Delay of every operation (> MIN_GOVERNANCE_DELAY).
    /// @param proposers Accounts that may schedule (and cancel) operations, e.g. a multisig.
    /// @param executors Accounts that may execute ready operations (`address(0)`: anyone).
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors
    ) TimelockController(minDelay, proposers, executors, address(0)) {
        _checkDelay(minDelay);
    }

    /// @inheritdoc TimelockController
    function updateDelay(uint256 newDelay) public override {
        _checkDelay(newDelay);
        super.updateDelay(newDelay);
    }

    function _checkDelay(uint256 delay) private pure {
        if (delay <= ProtocolBounds.MIN_GOVERNANCE_DELAY) {
            revert Timelock__DelayTooShort(delay, ProtocolBounds.MIN_GOVERNANCE_DELAY);
        }
    }
}
