// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title TestToken
/// @notice ERC20 with EIP-2612 permit and an open faucet, for local networks and testnets only.
/// Anyone can mint up to `FAUCET_LIMIT` per call: never deploy it where the token must have value.
contract TestToken is ERC20, ERC20Permit {
    /// @notice Most tokens (base units) one `faucet` call mints.
    uint256 public constant FAUCET_LIMIT = 1_000_000 ether;

    /// @notice Thrown when a faucet call asks for more than `FAUCET_LIMIT`.
    /// @param amount Amount asked.
    /// @param limit `FAUCET_LIMIT`.
    error TestToken__FaucetLimit(uint256 amount, uint256 limit);

    constructor(string memory name, string memory symbol) ERC20(name, symbol) ERC20Permit(name) {}

    /// @notice Mints `amount` (≤ `FAUCET_LIMIT`) to `to`.
    function faucet(address to, uint256 amount) external {
        if (amount > FAUCET_LIMIT) revert TestToken__FaucetLimit(amount, FAUCET_LIMIT);
        _mint(to, amount);
    }
}
