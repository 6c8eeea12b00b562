// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ProtocolBounds
/// @notice Constants that bound every governable parameter and every job's timing, shared by
/// `ComputeStaking`, `CircuitRegistry` and `JobMarket` so that the cross-contract safety relation
/// `unbondingPeriod > MAX_JOB_LIFETIME + SLASH_WINDOW` holds by construction.
library ProtocolBounds {
    /// @notice BN254 scalar field modulus `r`: every public signal must be `< R`.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Basis-point denominator (100%).
    uint16 internal constant BPS = 10_000;

    // ─── Job timing ────────────────────────────────────────────────────────────────────────────
    /// @notice Longest time between posting a job and its claim deadline.
    uint40 internal constant MAX_CLAIM_PERIOD = 7 days;
    /// @notice Shortest execution window a job may give its provider.
    uint32 internal constant MIN_EXECUTION_WINDOW = 1 minutes;
    /// @notice Longest execution window a job may give its provider.
    uint32 internal constant MAX_EXECUTION_WINDOW = 2 days;
    /// @notice Longest lifetime of a job: claimable until `MAX_CLAIM_PERIOD`, then executed within
    /// `MAX_EXECUTION_WINDOW`.
    uint40 internal constant MAX_JOB_LIFETIME = MAX_CLAIM_PERIOD + MAX_EXECUTION_WINDOW;
    /// @notice Time keepers are given after a job's deadline to slash it; unbonding stake must still
    /// be held by then.
    uint40 internal constant SLASH_WINDOW = 2 days;

    // ─── Staking ───────────────────────────────────────────────────────────────────────────────
    /// @notice Lower bound (exclusive) of the unbonding period.
    uint40 internal constant MIN_UNBONDING_PERIOD = MAX_JOB_LIFETIME + SLASH_WINDOW;
    /// @notice Upper bound (inclusive) of the unbonding period.
    uint40 internal constant MAX_UNBONDING_PERIOD = 90 days;
    /// @notice Lower bound of the minimum stake (one token of 18 decimals). A provider identity must
    /// cost something: with no minimum, an address with zero stake could claim zero-collateral jobs
    /// (holding them until their deadline) and jailing it would deter nothing, since a fresh
    /// address is free. One whole token is the smallest amount that is never dust for an 18-decimal
    /// token; deployments price the real minimum far above it.
    uint96 internal constant MIN_MIN_STAKE = 1e18;
    /// @notice Upper bound of the minimum stake (1e9 tokens of 18 decimals).
    uint96 internal constant MAX_MIN_STAKE = 1e27;
    /// @notice Bounds of the number of consecutive failures that jails a provider.
    uint8 internal constant MIN_JAIL_THRESHOLD = 1;
    uint8 internal constant MAX_JAIL_THRESHOLD = 100;
    /// @notice Upper bound of the jail period.
    uint40 internal constant MAX_JAIL_PERIOD = 90 days;

    // ─── Market ────────────────────────────────────────────────────────────────────────────────
    /// @notice Upper bound of the protocol fee taken from each paid price (10%).
    uint16 internal constant MAX_FEE_BPS = 1_000;
    /// @notice Upper bound of the slash bounty paid to the caller of `slashExpired` (20%).
    uint16 internal constant MAX_SLASH_BOUNTY_BPS = 2_000;
    /// @notice Lower bound of the treasury's share of slashed collateral (10%): the requester and
    /// bounty shares together are at most `BPS - MIN_SLASH_TREASURY_BPS`. A provider that posts a
    /// job to itself, lets it expire and slashes it itself gets the requester share and the bounty
    /// back; the treasury share is what such self-slashing (to reset or game reputation, or to
    /// move stake out without waiting for the unbonding period) always costs.
    uint16 internal constant MIN_SLASH_TREASURY_BPS = 1_000;

    // ─── Circuits ──────────────────────────────────────────────────────────────────────────────
    /// @notice Public signals of every job circuit: `[jobKey, inputCommitment, ...outputs]`.
    uint16 internal constant MIN_PUBLIC_SIGNALS = 2;
    /// @notice Upper bound on a circuit's public signals (bounds the verifier calldata).
    uint16 internal constant MAX_PUBLIC_SIGNALS = 64;

    // ─── Batch jobs (docs/BATCH.md) ─────────────────────────────────────────────────────────────
    /// @notice Blocks from a batch commit to the block whose RANDAO mix draws the sample: that mix
    /// depends on the reveals of the proposers of the blocks from the commit block on, so only a
    /// provider proposing all of them could know the sample when it commits.
    uint64 internal constant SAMPLE_DELAY = 4;
    /// @notice Largest number of samples k proven per batch job (k + 3 pairings in one check).
    uint8 internal constant MAX_SAMPLE_SIZE = 64;
    /// @notice Largest number of indices a requester may challenge per batch job.
    uint8 internal constant MAX_CHALLENGES = 32;

    // ─── Governance ────────────────────────────────────────────────────────────────────────────
    /// @notice Lower bound (exclusive) of the delay of the governance timelock: longer than any job
    /// can live plus its slash window, so every job posted before a change is announced settles
    /// (or is slashed) before the change can execute, and providers can unbond in between.
    uint40 internal constant MIN_GOVERNANCE_DELAY = MAX_JOB_LIFETIME + SLASH_WINDOW;
}
