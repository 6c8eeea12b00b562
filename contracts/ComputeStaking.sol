// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {TransientReentrancyGuard} from "./utils/TransientReentrancyGuard.sol";

import {IComputeStaking} from "./interfaces/IComputeStaking.sol";
import {ProtocolBounds} from "./libraries/ProtocolBounds.sol";

/// @title ComputeStaking
/// @notice Provider registry, stake escrow and reputation of proofwork. See {IComputeStaking}.
/// @dev The two markets that may lock, unlock and slash collateral — the `JobMarket` and its
/// `BatchMarket` — are fixed at construction (the `JobMarket` deploys this contract and the batch
/// market from its own constructor) and no role can change them or call those functions:
/// governance has no path to a provider's stake. Tokens that do not move exactly
/// the amount asked (fee-on-transfer, rebasing) are refused at deposit (`Staking__TransferMismatch`).
contract ComputeStaking is IComputeStaking, AccessControl, Pausable, TransientReentrancyGuard {
    using SafeERC20 for IERC20;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          STORAGE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Role allowed to pause and unpause.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice Longest accepted `Capability.gpuModel`, in bytes.
    uint256 public constant MAX_GPU_MODEL_LENGTH = 64;
    /// @notice Longest accepted `Capability.metadataURI`, in bytes.
    uint256 public constant MAX_METADATA_URI_LENGTH = 256;

    IERC20 private immutable _token;
    address private immutable _market;
    address private immutable _batchMarket;

    // One slot: the parameters `lock` and `slash` read. Declared first so that they share the slot
    // of Pausable's `_paused` (the last base variable in the inheritance order): `lock` reads the
    // pause flag and the minimum stake with one SLOAD.
    uint96 private _minStake;
    uint40 private _unbondingPeriod;
    uint8 private _jailThreshold;
    uint40 private _jailPeriod;

    /// @inheritdoc IComputeStaking
    uint256 public totalStaked;

    /// @dev Storage form of a provider (`getProvider` returns the `Provider` view of it): the first
    /// slot holds everything `unlock` writes (so settling a job touches one slot), the second what
    /// only `lock`, unbonding and slashing read — including a copy of the capability's
    /// `maxConcurrentJobs` (0 = not registered), so `lock` reads two provider slots, not three.
    struct StoredProvider {
        uint96 stake;
        uint96 locked;
        uint16 openJobs;
        uint8 consecutiveFailures;
        uint32 jobsCompleted;
        uint96 unbonding;
        uint40 unbondingEnd;
        uint40 jailedUntil;
        uint32 jobsFailed;
        uint16 maxConcurrentJobs;
        uint96 totalSlashed;
    }

    mapping(address provider => StoredProvider) private _providers;
    mapping(address provider => Capability) private _capabilities;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                         MODIFIERS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @dev Only the two markets fixed at construction: no role grants this.
    modifier onlyMarket() {
        if (msg.sender != _market && msg.sender != _batchMarket) revert Staking__NotMarket(msg.sender);
        _;
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                        CONSTRUCTOR
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @param token_ Stake and payment token.
    /// @param market_ May lock, unlock and slash collateral (immutable): the `JobMarket` passes
    /// itself when it deploys this contract.
    /// @param batchMarket_ The other address that may (immutable): the `BatchMarket` the
    /// `JobMarket` deploys next.
    /// @param admin Receives `DEFAULT_ADMIN_ROLE` and `PAUSER_ROLE`.
    /// @param minStake_ Minimum bonded stake of an active provider.
    /// @param unbondingPeriod_ Unbonding period (> `MIN_UNBONDING_PERIOD`).
    /// @param jailThreshold_ Consecutive failures that jail a provider.
    /// @param jailPeriod_ Jail duration.
    constructor(
        IERC20 token_,
        address market_,
        address batchMarket_,
        address admin,
        uint256 minStake_,
        uint40 unbondingPeriod_,
        uint8 jailThreshold_,
        uint40 jailPeriod_
    ) {
        if (
            address(token_) == address(0) ||
            market_ == address(0) ||
            batchMarket_ == address(0) ||
            admin == address(0)
        ) {
            revert Staking__ZeroAddress();
        }
        _token = token_;
        _market = market_;
        _batchMarket = batchMarket_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _setMinStake(minStake_);
        _setUnbondingPeriod(unbondingPeriod_);
        _setJailPolicy(jailThreshold_, jailPeriod_);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                     PROVIDER FUNCTIONS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IComputeStaking
    function stake(uint256 amount) external whenNotPaused nonReentrant {
        if (amount == 0) revert Staking__ZeroAmount();
        StoredProvider storage p = _providers[msg.sender];
        uint256 newStake = p.stake + amount;
        if (newStake > type(uint96).max) revert Staking__AmountTooLarge(newStake);

        p.stake = uint96(newStake);
        totalStaked += amount;
        emit Staked(msg.sender, amount, newStake);

        // The balance delta check refuses tokens that deliver less (or more) than `amount`
        // (fee-on-transfer, rebasing): the accounting above would otherwise exceed the balance.
        uint256 balanceBefore = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert Staking__TransferMismatch(amount, received);
    }

    /// @inheritdoc IComputeStaking
    function requestUnstake(uint256 amount) external {
        if (amount == 0) revert Staking__ZeroAmount();
        StoredProvider storage p = _providers[msg.sender];
        uint96 bonded = p.stake;
        if (amount > bonded) revert Staking__InsufficientStake(bonded, amount);

        // amount <= bonded < 2^96, so the casts are exact; the addition is checked.
        uint96 unbonding = p.unbonding + uint96(amount);
        uint40 end = uint40(block.timestamp) + _unbondingPeriod;
        p.stake = bonded - uint96(amount);
        p.unbonding = unbonding;
        p.unbondingEnd = end;
        emit UnstakeRequested(msg.sender, amount, unbonding, end);
    }

    /// @inheritdoc IComputeStaking
    function withdraw() external nonReentrant returns (uint256 amount) {
        StoredProvider storage p = _providers[msg.sender];
        uint96 unbonding = p.unbonding;
        uint96 locked = p.locked;
        if (unbonding == 0) revert Staking__NothingToWithdraw(0, locked);
        if (block.timestamp < p.unbondingEnd) revert Staking__StillUnbonding(p.unbondingEnd);

        // Part of the unbonding stake that still backs locked collateral (locked <= stake +
        // unbonding always holds, so backing <= unbonding).
        uint96 bonded = p.stake;
        uint96 backing = locked > bonded ? locked - bonded : 0;
        amount = unbonding - backing;
        if (amount == 0) revert Staking__NothingToWithdraw(unbonding, locked);

        p.unbonding = backing;
        totalStaked -= amount;
        emit Withdrawn(msg.sender, amount);

        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IComputeStaking
    function register(Capability calldata capability) external {
        if (_providers[msg.sender].maxConcurrentJobs != 0) revert Staking__AlreadyRegistered(msg.sender);
        _setCapability(capability);
        emit ProviderRegistered(msg.sender, capability);
    }

    /// @inheritdoc IComputeStaking
    function updateCapability(Capability calldata capability) external {
        if (_providers[msg.sender].maxConcurrentJobs == 0) revert Staking__NotRegistered(msg.sender);
        _setCapability(capability);
        emit CapabilityUpdated(msg.sender, capability);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                      MARKET FUNCTIONS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IComputeStaking
    function lock(address provider, uint256 amount) external onlyMarket whenNotPaused {
        StoredProvider storage p = _providers[provider];
        uint16 maxJobs = p.maxConcurrentJobs;
        if (maxJobs == 0) revert Staking__NotRegistered(provider);

        uint96 bonded = p.stake;
        uint96 locked = p.locked;
        uint16 openJobs = p.openJobs;
        if (p.jailedUntil > block.timestamp) revert Staking__Jailed(provider, p.jailedUntil);
        uint96 minStake_ = _minStake;
        if (bonded < minStake_) revert Staking__BelowMinimumStake(bonded, minStake_);
        if (openJobs >= maxJobs) revert Staking__TooManyOpenJobs(provider, openJobs, maxJobs);
        uint256 free = bonded > locked ? bonded - locked : 0;
        if (amount > free) revert Staking__InsufficientStake(free, amount);

        unchecked {
            // amount <= bonded - locked, so locked + amount <= bonded < 2^96; openJobs < maxJobs
            // <= type(uint16).max.
            p.locked = locked + uint96(amount);
            p.openJobs = openJobs + 1;
        }
        emit CollateralLocked(provider, amount, locked + amount);
    }

    /// @inheritdoc IComputeStaking
    function unlock(address provider, uint256 amount) external onlyMarket {
        StoredProvider storage p = _providers[provider];
        uint96 locked = p.locked;
        if (amount > locked) revert Staking__ExceedsLocked(locked, amount);

        unchecked {
            // amount <= locked (checked above).
            locked -= uint96(amount);
        }
        p.locked = locked;
        --p.openJobs;
        p.consecutiveFailures = 0;
        ++p.jobsCompleted;
        emit CollateralUnlocked(provider, amount, locked);
    }

    /// @inheritdoc IComputeStaking
    function slash(address provider, uint256 amount, address recipient) external onlyMarket nonReentrant {
        StoredProvider storage p = _providers[provider];
        uint96 locked = p.locked;
        if (amount > locked) revert Staking__ExceedsLocked(locked, amount);
        // amount <= locked < 2^96.
        uint96 slashed = uint96(amount);

        p.locked = locked - slashed;
        --p.openJobs;
        // Bonded stake first, then unbonding stake: locked <= stake + unbonding covers it.
        uint96 bonded = p.stake;
        if (slashed <= bonded) {
            p.stake = bonded - slashed;
        } else {
            p.stake = 0;
            p.unbonding -= slashed - bonded;
        }
        p.totalSlashed += slashed;
        ++p.jobsFailed;
        totalStaked -= amount;

        uint8 failures = p.consecutiveFailures + 1;
        if (failures >= _jailThreshold) {
            uint40 until = uint40(block.timestamp) + _jailPeriod;
            p.jailedUntil = until;
            p.consecutiveFailures = 0;
            emit Jailed(provider, until);
        } else {
            p.consecutiveFailures = failures;
        }
        emit Slashed(provider, amount, recipient);

        if (amount != 0) _token.safeTransfer(recipient, amount);
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                         GOVERNANCE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IComputeStaking
    function setMinStake(uint256 minStake_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinStake(minStake_);
    }

    /// @inheritdoc IComputeStaking
    function setUnbondingPeriod(uint40 unbondingPeriod_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUnbondingPeriod(unbondingPeriod_);
    }

    /// @inheritdoc IComputeStaking
    function setJailPolicy(uint8 threshold, uint40 period) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setJailPolicy(threshold, period);
    }

    /// @inheritdoc IComputeStaking
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IComputeStaking
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           VIEWS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @inheritdoc IComputeStaking
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IComputeStaking
    function market() external view returns (address) {
        return _market;
    }

    /// @inheritdoc IComputeStaking
    function batchMarket() external view returns (address) {
        return _batchMarket;
    }

    /// @inheritdoc IComputeStaking
    function getProvider(address provider) external view returns (Provider memory) {
        StoredProvider storage p = _providers[provider];
        return
            Provider({
                stake: p.stake,
                locked: p.locked,
                jailedUntil: p.jailedUntil,
                openJobs: p.openJobs,
                consecutiveFailures: p.consecutiveFailures,
                unbonding: p.unbonding,
                unbondingEnd: p.unbondingEnd,
                jobsCompleted: p.jobsCompleted,
                jobsFailed: p.jobsFailed,
                totalSlashed: p.totalSlashed
            });
    }

    /// @inheritdoc IComputeStaking
    function getCapability(address provider) external view returns (Capability memory) {
        return _capabilities[provider];
    }

    /// @inheritdoc IComputeStaking
    function isRegistered(address provider) external view returns (bool) {
        return _providers[provider].maxConcurrentJobs != 0;
    }

    /// @inheritdoc IComputeStaking
    function freeStake(address provider) external view returns (uint256) {
        StoredProvider storage p = _providers[provider];
        return p.stake > p.locked ? p.stake - p.locked : 0;
    }

    /// @inheritdoc IComputeStaking
    function isActive(address provider) external view returns (bool) {
        StoredProvider storage p = _providers[provider];
        uint16 maxJobs = p.maxConcurrentJobs;
        return
            maxJobs != 0 && p.stake >= _minStake && p.jailedUntil <= block.timestamp && p.openJobs < maxJobs;
    }

    /// @inheritdoc IComputeStaking
    function minStake() external view returns (uint256) {
        return _minStake;
    }

    /// @inheritdoc IComputeStaking
    function unbondingPeriod() external view returns (uint40) {
        return _unbondingPeriod;
    }

    /// @inheritdoc IComputeStaking
    function jailThreshold() external view returns (uint8) {
        return _jailThreshold;
    }

    /// @inheritdoc IComputeStaking
    function jailPeriod() external view returns (uint40) {
        return _jailPeriod;
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          INTERNAL
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    function _setCapability(Capability calldata capability) private {
        if (capability.maxConcurrentJobs == 0) revert Staking__InvalidCapability(1);
        if (bytes(capability.gpuModel).length > MAX_GPU_MODEL_LENGTH) revert Staking__InvalidCapability(2);
        if (bytes(capability.metadataURI).length > MAX_METADATA_URI_LENGTH)
            revert Staking__InvalidCapability(3);
        _capabilities[msg.sender] = capability;
        _providers[msg.sender].maxConcurrentJobs = capability.maxConcurrentJobs;
    }

    function _setMinStake(uint256 minStake_) private {
        if (minStake_ < ProtocolBounds.MIN_MIN_STAKE || minStake_ > ProtocolBounds.MAX_MIN_STAKE) {
            revert Staking__ParameterOutOfBounds(
                minStake_,
                ProtocolBounds.MIN_MIN_STAKE,
                ProtocolBounds.MAX_MIN_STAKE
            );
        }
        // Bounded by MAX_MIN_STAKE < 2^96.
        _minStake = uint96(minStake_);
        emit MinStakeSet(minStake_);
    }

    function _setUnbondingPeriod(uint40 unbondingPeriod_) private {
        if (
            unbondingPeriod_ <= ProtocolBounds.MIN_UNBONDING_PERIOD ||
            unbondingPeriod_ > ProtocolBounds.MAX_UNBONDING_PERIOD
        ) {
            revert Staking__ParameterOutOfBounds(
                unbondingPeriod_,
                ProtocolBounds.MIN_UNBONDING_PERIOD + 1,
                ProtocolBounds.MAX_UNBONDING_PERIOD
            );
        }
        _unbondingPeriod = unbondingPeriod_;
        emit UnbondingPeriodSet(unbondingPeriod_);
    }

    function _setJailPolicy(uint8 threshold, uint40 period) private {
        if (threshold < ProtocolBounds.MIN_JAIL_THRESHOLD || threshold > ProtocolBounds.MAX_JAIL_THRESHOLD) {
            revert Staking__ParameterOutOfBounds(
                threshold,
                ProtocolBounds.MIN_JAIL_THRESHOLD,
                ProtocolBounds.MAX_JAIL_THRESHOLD
            );
        }
        if (period > ProtocolBounds.MAX_JAIL_PERIOD) {
            revert Staking__ParameterOutOfBounds(period, 0, ProtocolBounds.MAX_JAIL_PERIOD);
        }
        _jailThreshold = threshold;
        _jailPeriod = period;
        emit JailPolicySet(threshold, period);
    }
}
