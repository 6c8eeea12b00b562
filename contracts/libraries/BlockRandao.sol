// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchMarket} from "../interfaces/IBatchMarket.sol";

/// @title BlockRandao
/// @notice Reads the `mixHash` field (field 13; `prevRandao`, the beacon chain's RANDAO mix, since
/// the Merge) of an RLP-encoded block header in calldata. The caller checks the header against a
/// block hash first, so the header is well formed; malformed input reverts.
/// @dev The first 13 fields (parent hash … extra data) are byte strings: a single byte below 0x80,
/// a short string `0x80 + len` (len ≤ 55) or a long string `0xb7 + lenOfLen`, length, bytes.
library BlockRandao {
    /// @notice Field 13 of the header.
    function prevRandao(bytes calldata header) internal pure returns (bytes32) {
        uint256 first = uint8(header[0]);
        // A header is a long list (more than 55 bytes): 0xf7 + the length of its length.
        if (first < 0xf8) revert IBatchMarket.Batch__MalformedHeader();
        uint256 p = 1 + (first - 0xf7);
        for (uint256 field; field < 13; ++field) p = _skipString(header, p);
        // mixHash is a 32-byte string: 0xa0, then the value.
        if (uint8(header[p]) != 0xa0) revert IBatchMarket.Batch__MalformedHeader();
        return bytes32(header[p + 1:p + 33]);
    }

    /// @dev The offset after the RLP string at `p`.
    function _skipString(bytes calldata header, uint256 p) private pure returns (uint256) {
        uint256 b = uint8(header[p]);
        if (b < 0x80) return p + 1;
        if (b < 0xb8) return p + 1 + (b - 0x80);
        if (b >= 0xc0) revert IBatchMarket.Batch__MalformedHeader();
        uint256 lenOfLen = b - 0xb7;
        uint256 len;
        for (uint256 i; i < lenOfLen; ++i) len = (len << 8) | uint8(header[p + 1 + i]);
        return p + 1 + lenOfLen + len;
    }
}
