// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title BatchSampling
/// @notice The k distinct sample indices of a batch job, from the RANDAO mix of its sample block
/// (docs/BATCH.md; mirrored by `sampleIndices` in sdk/batch.ts):
///
///   seed = keccak256(abi.encode(randomness, chainId, batchMarket, jobId))
///   x_t  = uint256(keccak256(abi.encode(seed, t))) mod N, t = 0, 1, 2, …
///   indices = the first k distinct x_t, in draw order.
library BatchSampling {
    /// @notice The job's seed (`batchMarket` is the calling contract).
    function seed(bytes32 randomness, uint256 jobId) internal view returns (bytes32) {
        return keccak256(abi.encode(randomness, block.chainid, address(this), jobId));
    }

    /// @notice The first `k` distinct draws from `seed_` modulo `n` (requires 1 ≤ k ≤ n, checked
    /// at post; k ≤ 64 keeps the duplicate scan and the expected number of draws small: at most
    /// ~4.8·k draws even for k = n).
    function indices(bytes32 seed_, uint256 n, uint256 k) internal pure returns (uint256[] memory out) {
        out = new uint256[](k);
        uint256 found;
        for (uint256 t; found < k; ++t) {
            uint256 x = uint256(keccak256(abi.encode(seed_, t))) % n;
            bool seen;
            for (uint256 i; i < found && !seen; ++i) seen = out[i] == x;
            if (!seen) out[found++] = x;
        }
    }
}
