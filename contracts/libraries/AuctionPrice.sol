// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title AuctionPrice
/// @notice Price of a reverse Dutch auction that rises linearly from `minPrice` at `start` to
/// `maxPrice` at `start + ramp`, and stays there.
library AuctionPrice {
    /// @notice Price at `time`.
    /// @param minPrice Start price.
    /// @param maxPrice End price (`>= minPrice`).
    /// @param start Auction start timestamp (`<= time`).
    /// @param ramp Ramp duration in seconds; 0 means a fixed price (`minPrice == maxPrice`).
    /// @param time When to price (a claim's timestamp).
    function at(
        uint96 minPrice,
        uint96 maxPrice,
        uint40 start,
        uint32 ramp,
        uint256 time
    ) internal pure returns (uint96) {
        if (ramp == 0) return maxPrice;
        uint256 elapsed = time - start;
        if (elapsed >= ramp) return maxPrice;
        // Multiply before dividing (no precision loss beyond the final floor). (max - min) < 2^96
        // and elapsed < ramp < 2^32, so the product fits easily; the result is < max - min, so the
        // sum is <= maxPrice and the cast is exact.
        return minPrice + uint96((uint256(maxPrice - minPrice) * elapsed) / ramp);
    }
}
