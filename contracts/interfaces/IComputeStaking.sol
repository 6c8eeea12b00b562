// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IComputeStaking
/// @notice Provider registry and stake escrow of proofwork. Providers stake the protocol token,
/// register a capability record, and back every job they claim with collateral locked from their
/// stake. The two markets — the job market `market()` and the batch market `batchMarket()`, both
/// fixed at construction and the only callers allowed — lock, unlock and slash that collateral; no
/// governance role can reach a provider's stake.
///
/// Accounting of one provider (all amounts in token base units):
/// - `stake`: bonded stake. Only bonded stake backs new claims: `freeStake = stake - locked`
///   (0 when `locked >= stake`); claiming requires `freeStake >= collateral` (overcommit guard).
/// - `unbonding`: stake moved out by `requestUnstake`, withdrawable after the unbonding period. It
///   stays slashable: a slash draws from `stake` first, then from `unbonding`, and `withdraw` never
///   lets `stake + unbonding` fall below `locked`.
/// - `locked`: collateral of the provider's open (claimed, unsettled) jobs;
///   `locked <= stake + unbonding` always holds.
/// The unbonding period always exceeds `ProtocolBounds.MAX_JOB_LIFETIME + SLASH_WINDOW`.
interface IComputeStaking {
    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                          STRUCTS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Stake accounting and on-chain reputation of a provider (packed in three slots).
    /// @param stake Bonded stake.
    /// @param locked Collateral locked by open jobs.
    /// @param jailedUntil Timestamp until which the provider cannot claim (0 = never jailed).
    /// @param openJobs Number of claimed, unsettled jobs.
    /// @param consecutiveFailures Failures since the last success or jailing.
    /// @param unbonding Stake waiting for the end of its unbonding period.
    /// @param unbondingEnd Timestamp from which `unbonding` can be withdrawn.
    /// @param jobsCompleted Jobs settled with a valid proof.
    /// @param jobsFailed Jobs slashed for missing their deadline.
    /// @param totalSlashed Sum of all collateral slashed from this provider.
    struct Provider {
        uint96 stake;
        uint96 locked;
        uint40 jailedUntil;
        uint16 openJobs;
        uint8 consecutiveFailures;
        uint96 unbonding;
        uint40 unbondingEnd;
        uint32 jobsCompleted;
        uint32 jobsFailed;
        uint96 totalSlashed;
    }

    /// @notice Self-declared capabilities of a provider, used by requesters to choose collateral
    /// and by workers to advertise; only `maxConcurrentJobs` is enforced on-chain.
    /// @param gpuModel Free-form accelerator name (e.g. "NVIDIA L4", "cpu"), at most 64 bytes.
    /// @param memoryMB Accelerator (or host) memory in MiB.
    /// @param backends Bit set of supported execution backends: bit 0 cpu, 1 wasm, 2 webgl,
    /// 3 webgpu, 4 cuda, 5 metal; higher bits reserved.
    /// @param maxConcurrentJobs Most jobs the provider may hold claimed at once (1..65535).
    /// @param metadataURI Off-chain metadata (endpoint, operator contact, ...), at most 256 bytes.
    struct Capability {
        string gpuModel;
        uint32 memoryMB;
        uint32 backends;
        uint16 maxConcurrentJobs;
        string metadataURI;
    }

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           ERRORS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Thrown when an amount that must be positive is zero.
    error Staking__ZeroAmount();

    /// @notice Thrown when an address argument is the zero address.
    error Staking__ZeroAddress();

    /// @notice Thrown when an amount does not fit the packed 96-bit accounting.
    /// @param amount The amount that overflowed.
    error Staking__AmountTooLarge(uint256 amount);

    /// @notice Thrown when a provider has not enough free (bonded, unlocked) stake.
    /// @param have Free stake of the provider.
    /// @param need Amount required.
    error Staking__InsufficientStake(uint256 have, uint256 need);

    /// @notice Thrown when a provider's bonded stake is below the minimum to be active.
    /// @param have Bonded stake of the provider.
    /// @param need Current minimum stake.
    error Staking__BelowMinimumStake(uint256 have, uint256 need);

    /// @notice Thrown when the market locks collateral for a provider without capability record.
    /// @param provider The provider.
    error Staking__NotRegistered(address provider);

    /// @notice Thrown when a provider registers twice (use `updateCapability`).
    /// @param provider The provider.
    error Staking__AlreadyRegistered(address provider);

    /// @notice Thrown when a capability record is malformed.
    /// @param reason 1: maxConcurrentJobs is 0, 2: gpuModel too long, 3: metadataURI too long.
    error Staking__InvalidCapability(uint8 reason);

    /// @notice Thrown when a jailed provider tries to claim.
    /// @param provider The provider.
    /// @param jailedUntil Timestamp at which the jail ends.
    error Staking__Jailed(address provider, uint40 jailedUntil);

    /// @notice Thrown when a claim would exceed the provider's declared `maxConcurrentJobs`.
    /// @param provider The provider.
    /// @param openJobs Jobs currently open.
    /// @param maxConcurrentJobs Declared maximum.
    error Staking__TooManyOpenJobs(address provider, uint16 openJobs, uint16 maxConcurrentJobs);

    /// @notice Thrown when `withdraw` is called before the unbonding period ended.
    /// @param unbondingEnd Timestamp from which withdrawal is possible.
    error Staking__StillUnbonding(uint40 unbondingEnd);

    /// @notice Thrown when `withdraw` finds nothing withdrawable (nothing unbonding, or all of it
    /// still backing locked collateral).
    /// @param unbonding Stake unbonding.
    /// @param locked Collateral locked.
    error Staking__NothingToWithdraw(uint256 unbonding, uint256 locked);

    /// @notice Thrown when the market unlocks or slashes more than is locked.
    /// @param locked Collateral locked for the provider.
    /// @param amount Amount requested.
    error Staking__ExceedsLocked(uint256 locked, uint256 amount);

    /// @notice Thrown when a governance parameter is outside its constant bounds.
    /// @param value Proposed value.
    /// @param min Inclusive lower bound.
    /// @param max Inclusive upper bound.
    error Staking__ParameterOutOfBounds(uint256 value, uint256 min, uint256 max);

    /// @notice Thrown when anyone but the two markets fixed at construction calls `lock`, `unlock`
    /// or `slash`.
    /// @param caller The caller.
    error Staking__NotMarket(address caller);

    /// @notice Thrown when a deposit moved a different amount than asked (a fee-on-transfer or
    /// rebasing token): such tokens are unsupported and refused at the door.
    /// @param expected Amount the transfer was asked to move.
    /// @param received Amount the contract's balance actually grew by.
    error Staking__TransferMismatch(uint256 expected, uint256 received);

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           EVENTS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Emitted when a provider added bonded stake.
    event Staked(address indexed provider, uint256 amount, uint256 newStake);

    /// @notice Emitted when a provider moved bonded stake into unbonding.
    event UnstakeRequested(address indexed provider, uint256 amount, uint256 unbonding, uint40 unbondingEnd);

    /// @notice Emitted when a provider withdrew unbonded stake.
    event Withdrawn(address indexed provider, uint256 amount);

    /// @notice Emitted when a provider registered its capability record.
    event ProviderRegistered(address indexed provider, Capability capability);

    /// @notice Emitted when a provider updated its capability record.
    event CapabilityUpdated(address indexed provider, Capability capability);

    /// @notice Emitted when the market locked collateral for a claimed job.
    event CollateralLocked(address indexed provider, uint256 amount, uint256 locked);

    /// @notice Emitted when the market released collateral of a job settled with a valid proof.
    event CollateralUnlocked(address indexed provider, uint256 amount, uint256 locked);

    /// @notice Emitted when the market slashed collateral of an expired job.
    event Slashed(address indexed provider, uint256 amount, address indexed recipient);

    /// @notice Emitted when a provider was jailed after too many consecutive failures.
    event Jailed(address indexed provider, uint40 jailedUntil);

    /// @notice Emitted when governance changed the minimum stake.
    event MinStakeSet(uint256 minStake);

    /// @notice Emitted when governance changed the unbonding period.
    event UnbondingPeriodSet(uint40 unbondingPeriod);

    /// @notice Emitted when governance changed the jail policy.
    event JailPolicySet(uint8 threshold, uint40 period);

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                     PROVIDER FUNCTIONS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Adds `amount` of the token (pulled from the caller) to the caller's bonded stake.
    /// @dev Reverts while paused.
    function stake(uint256 amount) external;

    /// @notice Moves `amount` of bonded stake into unbonding and restarts the unbonding period.
    /// Locked collateral may be unbonded: it stays slashable until its jobs settle.
    function requestUnstake(uint256 amount) external;

    /// @notice Withdraws unbonded stake once the unbonding period has ended: all of it, except what
    /// still backs locked collateral. Never blocked by pause.
    /// @return amount The amount transferred to the caller.
    function withdraw() external returns (uint256 amount);

    /// @notice Registers the caller's capability record (once).
    function register(Capability calldata capability) external;

    /// @notice Replaces the caller's capability record.
    function updateCapability(Capability calldata capability) external;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                      MARKET FUNCTIONS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Locks `amount` of `provider`'s free stake as collateral of a claimed job.
    /// @dev Markets only (`Staking__NotMarket`). Checks registration, minimum stake, jail, concurrency and the
    /// overcommit guard; `amount` may be 0 (the other checks still apply).
    function lock(address provider, uint256 amount) external;

    /// @notice Releases `amount` of collateral of a job settled with a valid proof and records a
    /// completed job (resets consecutive failures).
    /// @dev Markets only (`Staking__NotMarket`).
    function unlock(address provider, uint256 amount) external;

    /// @notice Slashes `amount` of locked collateral of an expired job, transfers it to
    /// `recipient` (the market, which splits it), and records a failure (may jail).
    /// @dev Markets only (`Staking__NotMarket`).
    function slash(address provider, uint256 amount, address recipient) external;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                         GOVERNANCE
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice Sets the minimum bonded stake of an active provider (`MIN_MIN_STAKE` ≤ value ≤
    /// `MAX_MIN_STAKE`; see `ProtocolBounds` for why the lower bound is above zero).
    function setMinStake(uint256 minStake) external;

    /// @notice Sets the unbonding period (> `MIN_UNBONDING_PERIOD`, ≤ `MAX_UNBONDING_PERIOD`).
    /// Applies to later `requestUnstake` calls.
    function setUnbondingPeriod(uint40 unbondingPeriod) external;

    /// @notice Sets how many consecutive failures jail a provider and for how long.
    function setJailPolicy(uint8 threshold, uint40 period) external;

    /// @notice Stops `stake` (and with it, through `lock`, new claims). Never stops withdraw/slash.
    function pause() external;

    /// @notice Lifts the pause.
    function unpause() external;

    // ═══════════════════════════════════════════════════════════════════════════════════════════
    //                                           VIEWS
    // ═══════════════════════════════════════════════════════════════════════════════════════════

    /// @notice The staking and payment token.
    function token() external view returns (address);

    /// @notice The job market: one of the two addresses that may lock, unlock and slash (immutable).
    function market() external view returns (address);

    /// @notice The batch market: the other address that may lock, unlock and slash (immutable).
    function batchMarket() external view returns (address);

    /// @notice Accounting and reputation of `provider`.
    function getProvider(address provider) external view returns (Provider memory);

    /// @notice Capability record of `provider` (empty if not registered).
    function getCapability(address provider) external view returns (Capability memory);

    /// @notice Whether `provider` registered a capability record.
    function isRegistered(address provider) external view returns (bool);

    /// @notice Bonded stake not locked by open jobs: the most collateral a new claim can lock.
    function freeStake(address provider) external view returns (uint256);

    /// @notice Whether `provider` may claim now: registered, bonded stake ≥ minimum, not jailed,
    /// below its concurrency limit.
    function isActive(address provider) external view returns (bool);

    /// @notice Current minimum bonded stake.
    function minStake() external view returns (uint256);

    /// @notice Current unbonding period in seconds.
    function unbondingPeriod() external view returns (uint40);

    /// @notice Consecutive failures that jail a provider.
    function jailThreshold() external view returns (uint8);

    /// @notice Jail duration in seconds.
    function jailPeriod() external view returns (uint40);

    /// @notice Sum of bonded and unbonding stake of all providers; equals the token balance of
    /// this contract unless tokens were sent to it directly.
    function totalStaked() external view returns (uint256);
}
