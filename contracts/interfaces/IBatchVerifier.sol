// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchMarket} from "./IBatchMarket.sol";

/// @title IBatchVerifier
/// @notice The stateless sample checks of batch jobs (docs/BATCH.md), split from `BatchMarket` to
/// keep both contracts small: for each sample, its two Merkle paths (to the inputs root and to the
/// committed outputs root) and the field bounds of its public signals; then one Groth16 batch
/// verification of all the samples' proofs against a verifying key bound by its hash; for a
/// sampling-circuit job, its proofs of the chunked indices by the circuit's verifier. Reverts
/// with `IBatchMarket` errors, which the market's calls bubble up unchanged.
interface IBatchVerifier {
    /// @notice What the checks need from the job.
    /// @param jobId The job (named in errors).
    /// @param jobKey Public signal 0 of every proof.
    /// @param inputsRoot The terms' inputs root.
    /// @param outputsRoot The committed outputs root.
    /// @param numSamples N (fixes the tree depth ⌈log₂ N⌉).
    /// @param numPublic The circuit's public signal count.
    /// @param keyHash The terms' verifying-key hash.
    struct SampleCheck {
        uint256 jobId;
        uint256 jobKey;
        bytes32 inputsRoot;
        bytes32 outputsRoot;
        uint32 numSamples;
        uint16 numPublic;
        bytes32 keyHash;
    }

    /// @notice Returns if `samples[j]` is a valid proven sample at `indices[j]` for every j;
    /// reverts otherwise.
    function verify(
        SampleCheck calldata check,
        IBatchMarket.VerifyingKey calldata key,
        uint256[] calldata indices,
        IBatchMarket.SampleProof[] calldata samples
    ) external view;

    /// @notice What a sampling-circuit job's checks need.
    /// @param jobId The job (named in errors).
    /// @param jobKey Public signal 0.
    /// @param inputsRoot Public signal 1 (checked < r at post).
    /// @param outputsRoot Public signal 2.
    /// @param slots Samples per proof.
    /// @param treeDepth Bits per packed index.
    /// @param numPublic The circuit's public signal count, 3 + ⌈slots / ⌊248 / treeDepth⌋⌉.
    /// @param verifier The circuit's registered verifier.
    /// @param selector Its `verifyProof` selector.
    struct SamplingCheck {
        uint256 jobId;
        uint256 jobKey;
        bytes32 inputsRoot;
        bytes32 outputsRoot;
        uint8 slots;
        uint8 treeDepth;
        uint16 numPublic;
        address verifier;
        bytes4 selector;
    }

    /// @notice Returns if `proofs[j]` proves chunk j of `indices` (`slots` indices, the last chunk
    /// padded with its last index, packed `treeDepth` bits each, ⌊248 / treeDepth⌋ per element,
    /// least significant first) with public signals `[jobKey, inputsRoot, outputsRoot, packed…]`
    /// for every j, and there are ⌈indices / slots⌉ proofs; reverts otherwise.
    function verifySampling(
        SamplingCheck calldata check,
        uint256[] calldata indices,
        uint256[8][] calldata proofs
    ) external view;
}
