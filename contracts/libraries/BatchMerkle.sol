// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title BatchMerkle
/// @notice The Merkle trees of batch jobs (docs/BATCH.md; mirrored by sdk/batch.ts): keccak256,
/// fixed depth `⌈log₂ N⌉`, domain-separated leaves that bind the sample's index:
///   input leaf  = keccak256(0x01 ‖ uint256(i) ‖ inputCommitment)
///   output leaf = keccak256(0x02 ‖ uint256(i) ‖ inputCommitment ‖ outputs[0] ‖ …)
///   node        = keccak256(left ‖ right); leaves i ≥ N are bytes32(0).
library BatchMerkle {
    /// @notice The input leaf of sample `index`.
    function inputLeaf(uint256 index, uint256 inputCommitment) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x01), index, inputCommitment));
    }

    /// @notice The output leaf of sample `index`.
    function outputLeaf(
        uint256 index,
        uint256 inputCommitment,
        uint256[] calldata outputs
    ) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x02), index, inputCommitment, outputs));
    }

    /// @notice Depth of the tree of `n` leaves: ⌈log₂ n⌉ (0 for n = 1).
    function depth(uint256 n) internal pure returns (uint256) {
        return Math.log2(n, Math.Rounding.Ceil);
    }

    /// @notice Whether `path` (siblings from the leaf up) leads from `leaf` at `index` to `root`
    /// in a tree of depth `depth_`: bit l of `index` set means the node is a right child at level l.
    function verify(
        bytes32 root,
        bytes32 leaf,
        uint256 index,
        bytes32[] calldata path,
        uint256 depth_
    ) internal pure returns (bool) {
        if (path.length != depth_) return false;
        bytes32 node = leaf;
        for (uint256 level; level < depth_; ++level) {
            node =
                (index >> level) & 1 == 0
                    ? Hashes.efficientKeccak256(node, path[level])
                    : Hashes.efficientKeccak256(path[level], node);
        }
        return node == root;
    }
}
