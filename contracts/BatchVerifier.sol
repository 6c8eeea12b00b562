// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchMarket} from "./interfaces/IBatchMarket.sol";
import {IBatchVerifier} from "./interfaces/IBatchVerifier.sol";
import {BatchMerkle} from "./libraries/BatchMerkle.sol";
import {Groth16Batch} from "./libraries/Groth16Batch.sol";
import {ProtocolBounds} from "./libraries/ProtocolBounds.sol";

/// @title BatchVerifier
/// @notice Stateless sample checks of batch jobs. See {IBatchVerifier}. Deployed by `BatchMarket`.
contract BatchVerifier is IBatchVerifier {
    /// @inheritdoc IBatchVerifier
    function verify(
        SampleCheck calldata check,
        IBatchMarket.VerifyingKey calldata key,
        uint256[] calldata indices,
        IBatchMarket.SampleProof[] calldata samples
    ) external view {
        uint256 k = indices.length;
        if (samples.length != k) revert IBatchMarket.Batch__WrongProofCount(samples.length, k);
        uint256 n = check.numPublic;
        if (key.ic.length != 2 * (n + 1) || Groth16Batch.hash(key) != check.keyHash) {
            revert IBatchMarket.Batch__WrongKey(check.jobId);
        }
        uint256 depth = BatchMerkle.depth(check.numSamples);
        uint256[] memory proofs = new uint256[](8 * k);
        uint256[] memory publics = new uint256[](n * k);
        for (uint256 j; j < k; ++j) _addSample(check, depth, j, indices[j], samples[j], proofs, publics);
        if (!Groth16Batch.verify(key, check.keyHash, proofs, publics)) {
            revert IBatchMarket.Batch__InvalidProof(check.jobId);
        }
    }

    /// @dev Checks sample `j` (output count, field bounds, its leaves under both roots) and writes
    /// its proof and public signals `[jobKey, inputCommitment, ...outputs]`.
    function _addSample(
        SampleCheck calldata check,
        uint256 depth,
        uint256 j,
        uint256 index,
        IBatchMarket.SampleProof calldata s,
        uint256[] memory proofs,
        uint256[] memory publics
    ) private pure {
        uint256 n = check.numPublic;
        if (s.outputs.length != n - 2) revert IBatchMarket.Batch__WrongOutputCount(s.outputs.length, n - 2);
        uint256 c = s.inputCommitment;
        if (c >= ProtocolBounds.R) revert IBatchMarket.Batch__NotInField(c);
        uint256 at = j * n;
        publics[at] = check.jobKey;
        publics[at + 1] = c;
        for (uint256 i; i + 2 < n; ++i) {
            uint256 v = s.outputs[i];
            if (v >= ProtocolBounds.R) revert IBatchMarket.Batch__NotInField(v);
            publics[at + 2 + i] = v;
        }
        for (uint256 w; w < 8; ++w) proofs[8 * j + w] = s.proof[w];
        if (
            !BatchMerkle.verify(check.inputsRoot, BatchMerkle.inputLeaf(index, c), index, s.inputPath, depth)
        ) {
            revert IBatchMarket.Batch__InputNotInRoot(check.jobId, index);
        }
        bytes32 leaf = BatchMerkle.outputLeaf(index, c, s.outputs);
        if (!BatchMerkle.verify(check.outputsRoot, leaf, index, s.outputPath, depth)) {
            revert IBatchMarket.Batch__OutputNotInRoot(check.jobId, index);
        }
    }

    /// @inheritdoc IBatchVerifier
    function verifySampling(
        SamplingCheck calldata check,
        uint256[] calldata indices,
        uint256[8][] calldata proofs
    ) external view {
        uint256 slots = check.slots;
        uint256 expected = (indices.length + slots - 1) / slots;
        if (proofs.length != expected) revert IBatchMarket.Batch__WrongProofCount(proofs.length, expected);
        uint256 outputsRoot = uint256(check.outputsRoot);
        if (outputsRoot >= ProtocolBounds.R) revert IBatchMarket.Batch__NotInField(outputsRoot);
        uint256[] memory signals = new uint256[](check.numPublic);
        signals[0] = check.jobKey;
        signals[1] = uint256(check.inputsRoot);
        signals[2] = outputsRoot;
        for (uint256 j; j < expected; ++j) {
            _pack(signals, indices, j * slots, slots, check.treeDepth);
            (bool ok, bytes memory ret) = check.verifier.staticcall(
                abi.encodePacked(check.selector, proofs[j], signals)
            );
            if (!ok || ret.length != 32 || abi.decode(ret, (uint256)) != 1) {
                revert IBatchMarket.Batch__InvalidProof(check.jobId);
            }
        }
    }

    /// @dev Packs `slots` indices from `indices[from]` (past the end: the last index) into
    /// `signals[3..]`: `depth` bits each, ⌊248 / depth⌋ per element, least significant first.
    function _pack(
        uint256[] memory signals,
        uint256[] calldata indices,
        uint256 from,
        uint256 slots,
        uint256 depth
    ) private pure {
        uint256 per = 248 / depth;
        uint256 last = indices.length - 1;
        for (uint256 e = 3; e < signals.length; ++e) signals[e] = 0;
        for (uint256 s; s < slots; ++s) {
            uint256 at = from + s;
            signals[3 + s / per] |= indices[at < last ? at : last] << ((s % per) * depth);
        }
    }
}
