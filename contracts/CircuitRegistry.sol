// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {ICircuitRegistry} from "./interfaces/ICircuitRegistry.sol";
import {ProtocolBounds} from "./libraries/ProtocolBounds.sol";

/// @title CircuitRegistry
/// @notice Governed registry of the circuits (verifier, public-signal count, artifact hashes) jobs
/// can be posted against. See {ICircuitRegistry}.
contract CircuitRegistry is ICircuitRegistry, AccessControl {
    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          STORAGE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Role allowed to register circuits and toggle them.
    bytes32 public constant CIRCUIT_ADMIN_ROLE = keccak256("CIRCUIT_ADMIN_ROLE");

    mapping(bytes32 circuitId => Circuit) private _circuits;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                        CONSTRUCTOR
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @param admin Receives `DEFAULT_ADMIN_ROLE` and `CIRCUIT_ADMIN_ROLE`.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(CIRCUIT_ADMIN_ROLE, admin);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                         GOVERNANCE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc ICircuitRegistry
    function registerCircuit(
        bytes32 circuitId,
        Circuit calldata circuit
    ) external onlyRole(CIRCUIT_ADMIN_ROLE) {
        if (circuitId == bytes32(0)) revert Registry__ZeroCircuitId();
        if (_circuits[circuitId].verifier != address(0)) revert Registry__CircuitExists(circuitId);
        if (circuit.verifier.code.length == 0) revert Registry__VerifierNotContract(circuit.verifier);
        if (
            circuit.numPublic < ProtocolBounds.MIN_PUBLIC_SIGNALS ||
            circuit.numPublic > ProtocolBounds.MAX_PUBLIC_SIGNALS
        ) {
            revert Registry__InvalidNumPublic(
                circuit.numPublic,
                ProtocolBounds.MIN_PUBLIC_SIGNALS,
                ProtocolBounds.MAX_PUBLIC_SIGNALS
            );
        }
        // The selector is a function of numPublic: a mismatch would let a prover pad outputs the
        // verifier ignores, or make every job on the circuit unprovable.
        bytes4 expected = _snarkjsSelector(circuit.numPublic);
        if (circuit.selector != expected) revert Registry__SelectorMismatch(circuit.selector, expected);
        _probeVerifier(circuit.verifier, expected, circuit.numPublic);

        Circuit storage stored = _circuits[circuitId];
        stored.verifier = circuit.verifier;
        stored.selector = circuit.selector;
        stored.numPublic = circuit.numPublic;
        stored.active = true;
        stored.modelCommitment = circuit.modelCommitment;
        stored.zkeyHash = circuit.zkeyHash;
        stored.wasmHash = circuit.wasmHash;
        stored.artifactsURI = circuit.artifactsURI;
        emit CircuitRegistered(circuitId, stored);
    }

    /// @inheritdoc ICircuitRegistry
    function setActive(bytes32 circuitId, bool active) external onlyRole(CIRCUIT_ADMIN_ROLE) {
        Circuit storage stored = _existing(circuitId);
        stored.active = active;
        emit CircuitActiveSet(circuitId, active);
    }

    /// @inheritdoc ICircuitRegistry
    function setArtifactsURI(
        bytes32 circuitId,
        string calldata artifactsURI
    ) external onlyRole(CIRCUIT_ADMIN_ROLE) {
        Circuit storage stored = _existing(circuitId);
        stored.artifactsURI = artifactsURI;
        emit ArtifactsURISet(circuitId, artifactsURI);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           VIEWS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc ICircuitRegistry
    function getCircuit(bytes32 circuitId) external view returns (Circuit memory) {
        return _existing(circuitId);
    }

    /// @inheritdoc ICircuitRegistry
    function getVerifier(
        bytes32 circuitId
    ) external view returns (address verifier, bytes4 selector, uint16 numPublic, bool active) {
        Circuit storage stored = _circuits[circuitId];
        return (stored.verifier, stored.selector, stored.numPublic, stored.active);
    }

    /// @inheritdoc ICircuitRegistry
    function isActive(bytes32 circuitId) external view returns (bool) {
        return _circuits[circuitId].active;
    }

    /// @inheritdoc ICircuitRegistry
    function snarkjsSelector(uint16 numPublic) external pure returns (bytes4) {
        return _snarkjsSelector(numPublic);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          INTERNAL
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    function _snarkjsSelector(uint16 numPublic) private pure returns (bytes4) {
        return
            bytes4(
                keccak256(
                    abi.encodePacked(
                        "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[",
                        Strings.toString(numPublic),
                        "])"
                    )
                )
            );
    }

    /// @dev Calls the verifier as the market will (`selector`, an all-zero proof and `numPublic`
    /// zero signals) and requires a boolean answer: a verifier compiled for another number of
    /// public signals has no function with this selector and reverts.
    function _probeVerifier(address verifier, bytes4 selector, uint16 numPublic) private view {
        (bool ok, bytes memory ret) = verifier.staticcall(
            abi.encodePacked(selector, new uint256[](8 + uint256(numPublic)))
        );
        if (!ok || ret.length != 32 || abi.decode(ret, (uint256)) > 1) {
            revert Registry__VerifierRejectsSelector(verifier, selector);
        }
    }

    function _existing(bytes32 circuitId) private view returns (Circuit storage stored) {
        stored = _circuits[circuitId];
        if (stored.verifier == address(0)) revert Registry__UnknownCircuit(circuitId);
    }
}
