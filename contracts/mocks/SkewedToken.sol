// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title SkewedToken
/// @notice TEST ONLY. An ERC20 whose transfers, once skewed, deliver a different amount than asked:
/// a negative skew takes a fee from every transfer (fee-on-transfer tokens), a positive one credits
/// extra (a rebase landing inside a transfer). Used to show that the protocol refuses such tokens at
/// deposit. With a zero skew it is a plain ERC20 with a free `faucet`.
contract SkewedToken is ERC20 {
    /// @notice Basis points added to (positive) or taken from (negative) every transferred amount.
    int16 public skewBps;

    constructor() ERC20("Skewed", "SKEW") {}

    /// @notice Mints freely (same signature as `TestToken.faucet`).
    function faucet(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets the skew (−10,000 … 10,000 basis points).
    function setSkew(int16 skewBps_) external {
        skewBps = skewBps_;
    }

    function _update(address from, address to, uint256 value) internal override {
        int16 skew = skewBps;
        if (skew == 0 || from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 delta = (value * uint256(int256(skew < 0 ? -skew : skew))) / 10_000;
        if (skew < 0) {
            // fee-on-transfer: the fee is burnt, the recipient gets less
            super._update(from, to, value - delta);
            super._update(from, address(0), delta);
        } else {
            // the recipient gets more than was sent (minted on the fly)
            super._update(from, to, value);
            super._update(address(0), to, delta);
        }
    }
}
