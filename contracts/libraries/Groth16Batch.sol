// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchMarket} from "../interfaces/IBatchMarket.sol";
import {ProtocolBounds} from "./ProtocolBounds.sol";

/// @title Groth16Batch
/// @notice Checks k Groth16 proofs of one circuit (BN254, snarkjs conventions) with one randomized
/// pairing check: with `ρ_0 = 1` and 128-bit `ρ_j` derived from a hash of the key, every proof and
/// every public signal (Fiat–Shamir: the prover fixes all of them first),
///
///   ∏_j e(ρ_j·A_j, B_j) · e(−(Σρ_j)·α, β) · e(−Σ_j ρ_j·L_j, γ) · e(−Σ_j ρ_j·C_j, δ) = 1,
///
/// where `Σ_j ρ_j·L_j = (Σρ_j)·IC_0 + Σ_i (Σ_j ρ_j·x_{j,i})·IC_i`: k + 3 pairings and 2k + n
/// scalar multiplications (n public signals) instead of 4k pairings and k(n + 1) multiplications
/// for k separate verifications. If any proof is invalid the check passes with probability at most
/// 2^-127. Each k = 1 check is the ordinary Groth16 equation. See docs/BATCH.md.
/// @dev Callers check that every public signal is `< r` (a value ≥ r would alias value − r) and
/// that the key has `n + 1` IC points. Precompiles: 0x06 ecAdd, 0x07 ecMul, 0x08 ecPairing; the
/// pairing precompile checks that B_j are in G2's subgroup, ecAdd/ecMul/ecPairing that G1 points are
/// on the curve.
library Groth16Batch {
    /// @notice BN254 base field modulus q (point coordinates are below it).
    uint256 internal constant Q =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;

    /// @notice `keccak256(abi.encode(key))`: what a job's terms commit to.
    function hash(IBatchMarket.VerifyingKey calldata key) internal pure returns (bytes32) {
        return keccak256(abi.encode(key));
    }

    /// @notice Whether all proofs verify.
    /// @param key The verifying key (with `n + 1` IC points).
    /// @param keyHash `hash(key)` (bound into the transcript).
    /// @param proofs k proofs, 8 words each: `[a0, a1, b00, b01, b10, b11, c0, c1]`.
    /// @param publics k × n public signals, row-major.
    function verify(
        IBatchMarket.VerifyingKey calldata key,
        bytes32 keyHash,
        uint256[] memory proofs,
        uint256[] memory publics
    ) internal view returns (bool) {
        uint256 k = proofs.length / 8;
        uint256 n = key.ic.length / 2 - 1;
        bytes32 transcript = keccak256(abi.encode(keyHash, proofs, publics));
        // (k + 3) pairs of (G1, G2): 6 words each.
        uint256[] memory pairs = new uint256[](6 * (k + 3));
        // scalars[0] = Σρ_j; scalars[1 + i] = Σ_j ρ_j·x_{j,i} (mod r).
        uint256[] memory scalars = new uint256[](n + 1);
        uint256[2] memory sumC;
        bool ok = true;
        for (uint256 j; j < k; ++j) {
            uint256 rho = _rho(transcript, j);
            ok = ok && _scaledProof(proofs, j, rho, pairs, sumC);
            scalars[0] = addmod(scalars[0], rho, ProtocolBounds.R);
            for (uint256 i; i < n; ++i) {
                scalars[1 + i] = addmod(
                    scalars[1 + i],
                    mulmod(rho, publics[j * n + i], ProtocolBounds.R),
                    ProtocolBounds.R
                );
            }
        }
        ok = ok && _fixedPairs(key, scalars, sumC, pairs, 6 * k);
        return ok && _pairing(pairs);
    }

    /// @dev ρ_0 = 1; ρ_j = a 128-bit odd number from the transcript (odd: never 0).
    function _rho(bytes32 transcript, uint256 j) private pure returns (uint256) {
        if (j == 0) return 1;
        return (uint256(keccak256(abi.encode(transcript, j))) >> 128) | 1;
    }

    /// @dev Writes the pair (ρ·A_j, B_j) at `pairs[6j..]` and adds ρ·C_j to `sumC`.
    function _scaledProof(
        uint256[] memory proofs,
        uint256 j,
        uint256 rho,
        uint256[] memory pairs,
        uint256[2] memory sumC
    ) private view returns (bool ok) {
        uint256 p = 8 * j;
        uint256 o = 6 * j;
        uint256 ax = proofs[p];
        uint256 ay = proofs[p + 1];
        uint256 cx = proofs[p + 6];
        uint256 cy = proofs[p + 7];
        ok = true;
        // ρ_0 = 1 needs no multiplication: the pairing and ecAdd precompiles still check the points.
        if (rho != 1) {
            bool okA;
            bool okC;
            (ax, ay, okA) = _mul(ax, ay, rho);
            (cx, cy, okC) = _mul(cx, cy, rho);
            ok = okA && okC;
        }
        pairs[o] = ax;
        pairs[o + 1] = ay;
        pairs[o + 2] = proofs[p + 2];
        pairs[o + 3] = proofs[p + 3];
        pairs[o + 4] = proofs[p + 4];
        pairs[o + 5] = proofs[p + 5];
        bool okSum;
        (sumC[0], sumC[1], okSum) = _add(sumC[0], sumC[1], cx, cy);
        return ok && okSum;
    }

    /// @dev Writes (−(Σρ)·α, β), (−Σρ·L, γ), (−Σρ·C, δ) at `pairs[at..]`.
    function _fixedPairs(
        IBatchMarket.VerifyingKey calldata key,
        uint256[] memory scalars,
        uint256[2] memory sumC,
        uint256[] memory pairs,
        uint256 at
    ) private view returns (bool ok) {
        (uint256 x, uint256 y, bool okAlpha) = _mul(key.alpha[0], key.alpha[1], scalars[0]);
        ok = okAlpha;
        _writePair(pairs, at, x, y, key.beta);
        (x, y, ok) = _linearCombination(key.ic, scalars, ok);
        _writePair(pairs, at + 6, x, y, key.gamma);
        _writePair(pairs, at + 12, sumC[0], sumC[1], key.delta);
    }

    /// @dev Σ_i scalars[i]·IC_i.
    function _linearCombination(
        uint256[] calldata ic,
        uint256[] memory scalars,
        bool okIn
    ) private view returns (uint256 x, uint256 y, bool ok) {
        ok = okIn;
        for (uint256 i; i < scalars.length; ++i) {
            (uint256 px, uint256 py, bool okMul) = _mul(ic[2 * i], ic[2 * i + 1], scalars[i]);
            bool okAdd;
            (x, y, okAdd) = _add(x, y, px, py);
            ok = ok && okMul && okAdd;
        }
    }

    /// @dev pairs[at..at+6) = (−(x, y), g2).
    function _writePair(
        uint256[] memory pairs,
        uint256 at,
        uint256 x,
        uint256 y,
        uint256[4] calldata g2
    ) private pure {
        pairs[at] = x;
        // The negation of (x, y) is (x, q − y); the point at infinity (0, 0) is its own negation.
        pairs[at + 1] = y == 0 ? 0 : Q - (y % Q);
        pairs[at + 2] = g2[0];
        pairs[at + 3] = g2[1];
        pairs[at + 4] = g2[2];
        pairs[at + 5] = g2[3];
    }

    function _mul(uint256 x, uint256 y, uint256 s) private view returns (uint256, uint256, bool) {
        (bool ok, bytes memory out) = address(0x07).staticcall(abi.encode(x, y, s));
        if (!ok || out.length != 64) return (0, 0, false);
        (uint256 rx, uint256 ry) = abi.decode(out, (uint256, uint256));
        return (rx, ry, true);
    }

    function _add(
        uint256 x1,
        uint256 y1,
        uint256 x2,
        uint256 y2
    ) private view returns (uint256, uint256, bool) {
        (bool ok, bytes memory out) = address(0x06).staticcall(abi.encode(x1, y1, x2, y2));
        if (!ok || out.length != 64) return (0, 0, false);
        (uint256 rx, uint256 ry) = abi.decode(out, (uint256, uint256));
        return (rx, ry, true);
    }

    function _pairing(uint256[] memory pairs) private view returns (bool) {
        (bool ok, bytes memory out) = address(0x08).staticcall(abi.encodePacked(pairs));
        return ok && out.length == 32 && abi.decode(out, (uint256)) == 1;
    }
}
