// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ICircuitRegistry
/// @notice Registry of the circuits jobs can be posted against. A circuit entry binds a
/// `circuitId` to a Groth16 verifier contract, the selector of its `verifyProof` function (see
/// docs/ARCHITECTURE.md, "Verifier calls"), its number of public signals, and commitments to the
/// model and the proving artifacts.
///
/// Entries are immutable once registered, except `active` and `artifactsURI`: a new verifier or
/// key is a new `circuitId`. Deactivation stops new posts and new claims (the market checks `active`
/// at both) and makes open jobs on the circuit reclaimable at once; jobs already claimed settle
/// against the (immutable) verifier whatever `active` says.
interface ICircuitRegistry {
    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          STRUCTS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice A registered circuit. The first four fields share one storage slot, the only one the
    /// market reads (`getVerifier`).
    /// @param verifier Groth16 verifier contract (e.g. a snarkjs-generated `<Name>Verifier`).
    /// @param selector Selector of `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N])`
    /// with `N = numPublic` (see `snarkjsSelector`); registration checks it and probes the verifier.
    /// @param numPublic Number of public signals, `[jobKey, inputCommitment, ...outputs]`.
    /// @param active Whether new jobs may be posted against the circuit.
    /// @param modelCommitment Commitment to the model (weights and architecture) the circuit proves.
    /// @param zkeyHash sha256 of the Groth16 proving key file.
    /// @param wasmHash sha256 of the witness generator wasm file.
    /// @param artifactsURI Where workers fetch the zkey and wasm (checked against the hashes).
    struct Circuit {
        address verifier;
        bytes4 selector;
        uint16 numPublic;
        bool active;
        bytes32 modelCommitment;
        bytes32 zkeyHash;
        bytes32 wasmHash;
        string artifactsURI;
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           ERRORS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Thrown when registering a `circuitId` that already exists.
    /// @param circuitId The circuit.
    error Registry__CircuitExists(bytes32 circuitId);

    /// @notice Thrown when a `circuitId` is not registered.
    /// @param circuitId The circuit.
    error Registry__UnknownCircuit(bytes32 circuitId);

    /// @notice Thrown when the verifier is not a contract.
    /// @param verifier The address given.
    error Registry__VerifierNotContract(address verifier);

    /// @notice Thrown when `numPublic` is outside `[MIN_PUBLIC_SIGNALS, MAX_PUBLIC_SIGNALS]`.
    /// @param numPublic The value given.
    /// @param min Inclusive lower bound.
    /// @param max Inclusive upper bound.
    error Registry__InvalidNumPublic(uint16 numPublic, uint16 min, uint16 max);

    /// @notice Thrown when the selector is not `snarkjsSelector(numPublic)`.
    /// @param given The selector given.
    /// @param expected The selector of a verifier with `numPublic` public signals.
    error Registry__SelectorMismatch(bytes4 given, bytes4 expected);

    /// @notice Thrown when the verifier does not answer a probe call with that selector (an
    /// all-zero proof and `numPublic` zero signals) with a boolean: it was compiled for another
    /// number of public signals, or is not a Groth16 verifier.
    /// @param verifier The verifier.
    /// @param selector The selector probed.
    error Registry__VerifierRejectsSelector(address verifier, bytes4 selector);

    /// @notice Thrown when `circuitId` is zero.
    error Registry__ZeroCircuitId();

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           EVENTS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Emitted when a circuit was registered (active).
    event CircuitRegistered(bytes32 indexed circuitId, Circuit circuit);

    /// @notice Emitted when a circuit was activated or deactivated.
    event CircuitActiveSet(bytes32 indexed circuitId, bool active);

    /// @notice Emitted when the artifacts URI of a circuit changed.
    event ArtifactsURISet(bytes32 indexed circuitId, string artifactsURI);

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                         GOVERNANCE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Registers `circuit` under `circuitId`, active (`circuit.active` is ignored).
    /// @dev `CIRCUIT_ADMIN_ROLE` only.
    function registerCircuit(bytes32 circuitId, Circuit calldata circuit) external;

    /// @notice Activates or deactivates a circuit for new jobs.
    /// @dev `CIRCUIT_ADMIN_ROLE` only.
    function setActive(bytes32 circuitId, bool active) external;

    /// @notice Moves the artifacts of a circuit (the hashes, which the files must match, stay).
    /// @dev `CIRCUIT_ADMIN_ROLE` only.
    function setArtifactsURI(bytes32 circuitId, string calldata artifactsURI) external;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           VIEWS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice The full record of `circuitId` (reverts if unknown).
    function getCircuit(bytes32 circuitId) external view returns (Circuit memory);

    /// @notice The verifier call data of `circuitId` in one slot read (all zero if unknown).
    function getVerifier(
        bytes32 circuitId
    ) external view returns (address verifier, bytes4 selector, uint16 numPublic, bool active);

    /// @notice Whether `circuitId` is registered and active.
    function isActive(bytes32 circuitId) external view returns (bool);

    /// @notice Selector of a snarkjs verifier with `numPublic` public signals:
    /// `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[numPublic])`.
    function snarkjsSelector(uint16 numPublic) external pure returns (bytes4);
}
