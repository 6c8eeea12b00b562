// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title MockVerifier
/// @notice TEST ONLY. Stands in for a Groth16 verifier in unit tests: answers any `verifyProof`
/// selector through its fallback, according to `mode`. In `MatchSignals` mode it accepts only
/// when the public signals it receives hash to `expectedSignalsHash`, so tests check that the
/// market builds `[jobKey, inputCommitment, ...outputs]` exactly.
contract MockVerifier {
    /// @notice How the mock answers.
    enum Mode {
        AcceptAll,
        RejectAll,
        MatchSignals,
        Revert,
        ReturnMalformed
    }

    /// @notice Thrown in `Revert` mode.
    error MockVerifier__Reverted();

    /// @notice Current answering mode.
    Mode public mode;
    /// @notice keccak256 of the packed public signals accepted in `MatchSignals` mode.
    bytes32 public expectedSignalsHash;

    /// @notice Sets the answering mode.
    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @notice Accepts only `signals` (switches to `MatchSignals`).
    function expectSignals(uint256[] calldata signals) external {
        mode = Mode.MatchSignals;
        expectedSignalsHash = keccak256(abi.encodePacked(signals));
    }

    // solhint-disable-next-line payable-fallback, no-complex-fallback
    fallback(bytes calldata data) external returns (bytes memory) {
        Mode m = mode;
        if (m == Mode.Revert) revert MockVerifier__Reverted();
        if (m == Mode.ReturnMalformed) return abi.encode(uint256(2));
        bool ok =
            m == Mode.AcceptAll ||
                (m == Mode.MatchSignals && keccak256(data[4 + 8 * 32:]) == expectedSignalsHash);
        return abi.encode(ok);
    }
}
