// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title TransientReentrancyGuard
/// @notice Reentrancy guard on a `transient` state variable (EIP-1153): the same protection as
/// OpenZeppelin's `ReentrancyGuardTransient` for ~200 gas per call, written without inline
/// assembly so that the compiler emits no transient-storage warning.
abstract contract TransientReentrancyGuard {
    bool private transient _entered;

    /// @notice Thrown when a `nonReentrant` function is re-entered.
    error ReentrancyGuard__ReentrantCall();

    /// @dev Prevents a contract from calling itself, directly or indirectly; the flag is cleared
    /// at the end of the call, so it composes with several calls in one transaction.
    modifier nonReentrant() {
        if (_entered) revert ReentrancyGuard__ReentrantCall();
        _entered = true;
        _;
        _entered = false;
    }
}
