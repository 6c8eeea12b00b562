// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

/// @title ReentrantToken
/// @notice TEST ONLY. ERC20 that, once armed, calls `target` with `data` from inside its next
/// transfer (as an ERC777-style hook would) and bubbles up any revert, so tests can check that
/// the protocol's token-moving functions cannot be re-entered.
contract ReentrantToken is ERC20 {
    address private _target;
    bytes private _data;
    bool private _armed;

    constructor() ERC20("Reentrant", "REENT") {}

    /// @notice Mints freely (same signature as `TestToken.faucet`).
    function faucet(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the hook: the next transfer calls `target` with `data`.
    function arm(address target, bytes calldata data) external {
        _target = target;
        _data = data;
        _armed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (_armed && from != address(0)) {
            _armed = false;
            Address.functionCall(_target, _data);
        }
    }
}
