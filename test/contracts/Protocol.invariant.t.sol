// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console} from "hardhat/console.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {BatchMarket} from "../../contracts/BatchMarket.sol";
import {CircuitRegistry} from "../../contracts/CircuitRegistry.sol";
import {ComputeStaking} from "../../contracts/ComputeStaking.sol";
import {JobMarket} from "../../contracts/JobMarket.sol";
import {ICircuitRegistry} from "../../contracts/interfaces/ICircuitRegistry.sol";
import {IBatchMarket} from "../../contracts/interfaces/IBatchMarket.sol";
import {IComputeStaking} from "../../contracts/interfaces/IComputeStaking.sol";
import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {AuctionPrice} from "../../contracts/libraries/AuctionPrice.sol";
import {ProtocolBounds} from "../../contracts/libraries/ProtocolBounds.sol";
import {MockVerifier} from "../../contracts/mocks/MockVerifier.sol";
import {SkewedToken} from "../../contracts/mocks/SkewedToken.sol";
import {TestBase} from "./utils/Vm.sol";
import {Deployer} from "./utils/Deployer.sol";

/// @notice The economics governance has set, as the governance handler recorded them.
/// (The batch handler lives in this file: with Hardhat 3.18's fuzzer, a handler imported from
/// another file was listed by `targetContracts()` but never called.)
interface IGovernanceRecord {
    function gFeeBps() external view returns (uint16);
    function gSlashRequesterBps() external view returns (uint16);
    function gSlashBountyBps() external view returns (uint16);
}

// G2 generator in the precompile's order (x_imag, x_real, y_imag, y_real).
uint256 constant G2_X_IM = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
uint256 constant G2_X_RE = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
uint256 constant G2_Y_IM = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
uint256 constant G2_Y_RE = 8495653923123431417604973247489272438418190587263600148770280649306958101930;

/// @notice A Groth16 verifier of 4 public signals in the snarkjs calling convention
/// (`verifyProof(uint[2], uint[2][2], uint[2], uint[4])`, what BatchMarket calls for a sampling
/// circuit), with a key whose trapdoor the batch handler knows: α = 11·G1, β = γ = δ = G2, IC_i =
/// u_i·G1 with u = (2, 3, 5, 7, 11). It runs the real pairing check e(A, B) = e(α, β)·e(L, γ)·e(C, δ)
/// with L = IC_0 + Σ x_i·IC_{i+1}; the handler, which could forge anything with this key, makes
/// proofs only of what a sound sampling circuit allows (drawn samples whose outputs are true).
contract TrapdoorSamplingVerifier {
    uint256 internal constant R = ProtocolBounds.R;
    uint256 internal constant Q =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;

    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[4] calldata x
    ) external view returns (bool) {
        uint256[5] memory u = [uint256(2), 3, 5, 7, 11];
        uint256 l = u[0];
        for (uint256 i; i < 4; ++i) {
            if (x[i] >= R) return false;
            l = addmod(l, mulmod(u[i + 1], x[i], R), R);
        }
        (uint256 lx, uint256 ly) = _mul(l);
        (uint256 ax, uint256 ay) = _mul(11);
        uint256[24] memory input = [
            a[0],
            a[1] == 0 ? 0 : Q - a[1],
            b[0][0],
            b[0][1],
            b[1][0],
            b[1][1],
            ax,
            ay,
            G2_X_IM,
            G2_X_RE,
            G2_Y_IM,
            G2_Y_RE,
            lx,
            ly,
            G2_X_IM,
            G2_X_RE,
            G2_Y_IM,
            G2_Y_RE,
            c[0],
            c[1],
            G2_X_IM,
            G2_X_RE,
            G2_Y_IM,
            G2_Y_RE
        ];
        (bool ok, bytes memory out) = address(0x08).staticcall(abi.encodePacked(input));
        return ok && out.length == 32 && abi.decode(out, (uint256)) == 1;
    }

    function _mul(uint256 s) private view returns (uint256, uint256) {
        (bool ok, bytes memory out) = address(0x07).staticcall(abi.encode(uint256(1), uint256(2), s));
        require(ok && out.length == 64, "ecMul");
        return abi.decode(out, (uint256, uint256));
    }
}

/// @notice Drives `BatchMarket` through random sequences for the invariant campaign (docs/BATCH.md):
/// posts, cancels, reclaims, claims, commits (some with faked outputs), sample recordings, proofs,
/// challenges, answers, settlements, slashes and fee withdrawals; every action first brings a job
/// into the state it needs. It keeps a ghost of every batch job (terms built from governance's own
/// record of the economics, the record, the status the rules predict) and of every actor's balance.
///
/// Proofs: each sample is a Groth16 proof against a verifying key whose trapdoor this handler
/// knows (α = 11·G1, β = γ = δ = G2, IC_i = u_i·G1): the contract runs its real batch
/// verification, and the handler, which could forge anything with that key, produces proofs only
/// of the true outputs — what a sound circuit allows. A provider whose sample (or challenged index)
/// hits a faked output therefore cannot prove it and is slashed after the deadline. The sample
/// block's header is a minimal RLP header whose hash the handler installs as that block's hash
/// (`vm.setBlockhash`), so the contract's header check and `mixHash` parsing run for real.
contract BatchHandler is TestBase {
    SkewedToken public immutable token;
    JobMarket public immutable market;
    BatchMarket public immutable batch;
    ComputeStaking public immutable staking;
    IGovernanceRecord public immutable governance;
    bytes32 public immutable circuit;
    /// @notice A sampling circuit (4 public signals) checked by `TrapdoorSamplingVerifier`.
    bytes32 public immutable samplingCircuit;

    address[2] internal _requesters = [address(0x4001), address(0x4002)];
    address[3] internal _providers = [address(0x5001), address(0x5002), address(0x5003)];
    address public constant KEEPER = address(0x6001);
    address public constant TREASURY = address(0x7EA5);

    uint256 internal constant R = ProtocolBounds.R;
    uint256 internal constant MAX_N = 8;
    uint8 internal constant SLOTS = 3;
    uint8 internal constant DEPTH = 3;
    uint256 internal constant ALPHA = 11;

    /// @notice Ghost of a batch job.
    struct Ghost {
        IBatchMarket.BatchTerms terms;
        IBatchMarket.BatchStatus status;
        /// @dev status before a slash (the commitment is the one of that status)
        IBatchMarket.BatchStatus slashedFrom;
        address provider;
        uint40 claimedAt;
        bytes32 outputsRoot;
        uint64 sampleBlock;
        bytes32 randomness;
        uint32[] challenged;
        uint256 dataSeed;
        uint256 fakedMask;
    }

    uint256[] public jobIds;
    mapping(uint256 jobId => Ghost) internal _jobs;
    mapping(uint256 jobId => uint256) public timesPaid;
    mapping(address actor => uint256) public expectedBalance;
    mapping(address provider => uint256) public ghostLockedEver;
    uint256 public expectedAccrued;
    uint256 public ghostMinted;

    uint256 public actions;
    uint256 public effectiveActions;
    mapping(string name => uint256) public calls;
    string[] internal _callNames;

    IBatchMarket.VerifyingKey internal _key;
    bytes32 public keyHash;
    uint256[4] internal _u = [uint256(2), 3, 5, 7];

    constructor(
        SkewedToken token_,
        JobMarket market_,
        IGovernanceRecord governance_,
        bytes32 circuit_,
        bytes32 samplingCircuit_
    ) {
        samplingCircuit = samplingCircuit_;
        token = token_;
        market = market_;
        batch = BatchMarket(market_.batchMarket());
        staking = ComputeStaking(market_.staking());
        governance = governance_;
        circuit = circuit_;
        (uint256 ax, uint256 ay) = _mul(1, 2, ALPHA);
        _key.alpha = [ax, ay];
        _key.beta = [G2_X_IM, G2_X_RE, G2_Y_IM, G2_Y_RE];
        _key.gamma = _key.beta;
        _key.delta = _key.beta;
        for (uint256 i; i < 4; ++i) {
            (uint256 x, uint256 y) = _mul(1, 2, _u[i]);
            _key.ic.push(x);
            _key.ic.push(y);
        }
        keyHash = keccak256(abi.encode(_key));
        for (uint256 i; i < 2; ++i) {
            _mint(_requesters[i], 1_000_000 ether);
            vm.prank(_requesters[i]);
            token.approve(address(batch), type(uint256).max);
        }
        for (uint256 i; i < 3; ++i) {
            _mint(_providers[i], 1_000_000 ether);
            vm.prank(_providers[i]);
            token.approve(address(staking), type(uint256).max);
            _stake(_providers[i], 5_000 ether);
            vm.prank(_providers[i]);
            staking.register(
                IComputeStaking.Capability({
                    gpuModel: "gpu",
                    memoryMB: 1,
                    backends: 8,
                    maxConcurrentJobs: 16,
                    metadataURI: ""
                })
            );
        }
    }

    // ═══════════════════════════════════════ views ════════════════════════════════════════════

    function jobCount() external view returns (uint256) {
        return jobIds.length;
    }

    function ghostTerms(uint256 jobId) external view returns (IBatchMarket.BatchTerms memory) {
        return _jobs[jobId].terms;
    }

    function ghostStatus(
        uint256 jobId
    ) external view returns (IBatchMarket.BatchStatus, IBatchMarket.BatchStatus) {
        return (_jobs[jobId].status, _jobs[jobId].slashedFrom);
    }

    function ghostProvider(uint256 jobId) external view returns (address) {
        return _jobs[jobId].provider;
    }

    function ghostRecord(uint256 jobId) public view returns (IBatchMarket.BatchRecord memory r) {
        Ghost storage g = _jobs[jobId];
        r.provider = g.provider;
        r.claimedAt = g.claimedAt;
        r.outputsRoot = g.outputsRoot;
        r.sampleBlock = g.sampleBlock;
        r.randomness = g.randomness;
        r.challenged = g.challenged;
    }

    function providerAt(uint256 i) external view returns (address) {
        return _providers[i];
    }

    function requesterAt(uint256 i) external view returns (address) {
        return _requesters[i];
    }

    function callNames() external view returns (string[] memory) {
        return _callNames;
    }

    // ══════════════════════════════════════ actions ═══════════════════════════════════════════

    function post(uint256 who, uint256 seed) external {
        ++actions;
        _post(_requesters[who % 2], seed, false);
        ++effectiveActions;
    }

    function cancel(uint256 jobSeed, uint256 who) external {
        ++actions;
        (bool found, uint256 id) = _find(jobSeed, IBatchMarket.BatchStatus.Open);
        if (!found) id = _post(_requesters[who % 2], jobSeed, false);
        Ghost storage g = _jobs[id];
        vm.prank(g.terms.requester);
        batch.cancel(id, g.terms);
        _refundOpen(g, IBatchMarket.BatchStatus.Cancelled);
        _count("batchCancel");
        ++effectiveActions;
    }

    function reclaim(uint256 jobSeed, uint256 who) external {
        ++actions;
        (bool found, uint256 id) = _find(jobSeed, IBatchMarket.BatchStatus.Open);
        if (!found) id = _post(_requesters[who % 2], jobSeed, false);
        Ghost storage g = _jobs[id];
        if (block.timestamp <= g.terms.claimDeadline) vm.warp(uint256(g.terms.claimDeadline) + 1);
        vm.prank(KEEPER);
        batch.reclaim(id, g.terms);
        _refundOpen(g, IBatchMarket.BatchStatus.Reclaimed);
        _count("batchReclaim");
        ++effectiveActions;
    }

    function claim(uint256 jobSeed, uint256 who) external {
        ++actions;
        _claim(_claimable(jobSeed), who);
        ++effectiveActions;
    }

    function commit(uint256 jobSeed, uint256 fakeSeed) external {
        ++actions;
        _commit(_committable(jobSeed), fakeSeed);
        ++effectiveActions;
    }

    /// Records the sample block's randomness of a committed job.
    function sample(uint256 jobSeed) external {
        ++actions;
        uint256 id = _sampleable(jobSeed);
        Ghost storage g = _jobs[id];
        bytes memory header = _installHeader(id, g.sampleBlock);
        vm.prank(KEEPER);
        batch.sample(id, g.terms, ghostRecord(id), header);
        g.randomness = _mix(id, g.sampleBlock);
        g.status = IBatchMarket.BatchStatus.Sampled;
        _count("batchSample");
        ++effectiveActions;
    }

    /// Proves a committed job's drawn samples; a provider whose sample hits a faked output cannot,
    /// and is slashed after the prove deadline instead.
    function prove(uint256 jobSeed) external {
        ++actions;
        _proveOrSlash(_provable(jobSeed));
        ++effectiveActions;
    }

    function challenge(uint256 jobSeed, uint256 idxSeed) external {
        ++actions;
        _challenge(_challengeable(jobSeed), idxSeed);
        ++effectiveActions;
    }

    /// Answers a challenged job; a provider whose challenged index is faked cannot, and is slashed
    /// after the answer deadline instead.
    function answer(uint256 jobSeed, uint256 idxSeed) external {
        ++actions;
        (bool found, uint256 id) = _findLive(jobSeed, IBatchMarket.BatchStatus.Challenged);
        if (!found) id = _challenge(_challengeable(jobSeed), idxSeed);
        Ghost storage g = _jobs[id];
        if (_anyFaked(g, g.challenged)) {
            vm.warp(uint256(_deadline(id)) + 1);
            _slash(id);
        } else {
            if (g.terms.slots == 0) {
                IBatchMarket.SampleProof[] memory proofs = _proofs(id, g.challenged);
                vm.prank(g.provider);
                batch.answer(id, g.terms, ghostRecord(id), _key, proofs);
                _count("batchAnswer");
            } else {
                uint256[8][] memory proofs = _samplingProofs(id, g.challenged);
                vm.prank(g.provider);
                batch.answerSampled(id, g.terms, ghostRecord(id), proofs);
                _count("batchAnswerSampled");
            }
            _pay(id, uint256(g.terms.challengeBond) * g.challenged.length);
        }
        ++effectiveActions;
    }

    function settle(uint256 jobSeed) external {
        ++actions;
        (bool found, uint256 id) = _find(jobSeed, IBatchMarket.BatchStatus.Proven);
        if (!found) id = _proveOrSlash(_provable(jobSeed));
        Ghost storage g = _jobs[id];
        if (g.status == IBatchMarket.BatchStatus.Proven) {
            if (block.timestamp <= _deadline(id)) vm.warp(uint256(_deadline(id)) + 1);
            vm.prank(KEEPER);
            batch.settle(id, g.terms, ghostRecord(id));
            _pay(id, 0);
            _count("batchSettle");
        }
        ++effectiveActions;
    }

    function slashExpired(uint256 jobSeed, uint256 who) external {
        ++actions;
        (bool found, uint256 id) = _findSlashable(jobSeed);
        if (!found) id = _claim(_claimable(jobSeed), who);
        if (block.timestamp <= _deadline(id)) vm.warp(uint256(_deadline(id)) + 1);
        _slash(id);
        ++effectiveActions;
    }

    function withdrawFees(uint256 jobSeed, uint256 who) external {
        ++actions;
        if (batch.accruedFees() == 0) {
            // A slash of a job with collateral accrues the treasury's share (≥ 10%).
            uint256 id = _claim(_claimable(jobSeed), who);
            vm.warp(uint256(_deadline(id)) + 1);
            _slash(id);
        }
        if (batch.accruedFees() != 0) {
            uint256 amount = batch.withdrawFees();
            expectedBalance[TREASURY] += amount;
            expectedAccrued -= amount;
            _count("batchWithdrawFees");
        }
        ++effectiveActions;
    }

    // ═════════════════════════════════════ internals ══════════════════════════════════════════

    function _count(string memory name) private {
        if (calls[name] == 0) _callNames.push(name);
        ++calls[name];
    }

    function _mint(address to, uint256 amount) private {
        token.faucet(to, amount);
        ghostMinted += amount;
        expectedBalance[to] += amount;
    }

    function _stake(address p, uint256 amount) private {
        if (staking.paused()) staking.unpause();
        vm.prank(p);
        staking.stake(amount);
        expectedBalance[p] -= amount;
    }

    function _deadline(uint256 id) private view returns (uint40) {
        return batch.getBatch(id).deadline;
    }

    function _post(address requester, uint256 seed, bool challengeable) private returns (uint256 id) {
        if (market.paused()) market.unpause();
        IBatchMarket.PostBatchParams memory p;
        // Half the jobs are proven by a sampling circuit: 3 slots (k and m are at most 3: one
        // proof each) over trees of depth 3 (N ≤ 8), no key, a field element as the inputs root.
        bool sampling = (seed >> 100) & 1 == 1;
        p.circuitId = sampling ? samplingCircuit : circuit;
        p.keyHash = sampling ? bytes32(0) : keyHash;
        p.slots = sampling ? SLOTS : 0;
        p.treeDepth = sampling ? DEPTH : 0;
        uint256 n = bound(seed, 1, MAX_N);
        p.numSamples = uint32(n);
        p.sampleSize = uint8(bound(seed >> 8, 1, n < 3 ? n : 3));
        p.maxChallenges = uint8(bound(seed >> 16, challengeable ? 1 : 0, 3));
        p.challengeBond = uint96(bound(seed >> 24, 0, 5 ether));
        p.maxPrice = uint96(bound(uint256(keccak256(abi.encode(seed, "price"))), 0, 100 ether));
        p.minPrice = uint96(bound(seed >> 32, 0, p.maxPrice));
        p.rampDuration = p.minPrice == p.maxPrice ? 0 : uint32(bound(seed >> 40, 1, 1 days));
        p.collateral = uint96(bound(uint256(keccak256(abi.encode(seed, "collateral"))), 0, 200 ether));
        p.claimDeadline = uint40(block.timestamp + bound(seed >> 48, 0, 6 hours));
        p.commitWindow = uint32(bound(seed >> 56, 1 minutes, 2 hours));
        p.proveWindow = uint32(bound(seed >> 64, 1 minutes, 2 hours));
        p.challengeWindow = uint32(bound(seed >> 72, 1 minutes, 2 hours));
        p.answerWindow = uint32(bound(seed >> 80, 1 minutes, 2 hours));
        p.inputsURI = "ipfs://inputs";
        uint256 dataSeed = uint256(keccak256(abi.encode(seed, jobIds.length, "data")));
        p.inputsRoot = sampling ? _fieldRoot(_inputLeaves(dataSeed, n)) : _root(_inputLeaves(dataSeed, n));
        vm.prank(requester);
        id = batch.postBatch(p);

        Ghost storage g = _jobs[id];
        g.dataSeed = dataSeed;
        g.status = IBatchMarket.BatchStatus.Open;
        _setTerms(g.terms, p, requester);
        jobIds.push(id);
        expectedBalance[requester] -= p.maxPrice;
        _count("batchPost");
    }

    function _setTerms(
        IBatchMarket.BatchTerms storage t,
        IBatchMarket.PostBatchParams memory p,
        address requester
    ) private {
        t.requester = requester;
        t.circuitId = p.circuitId;
        t.numPublic = p.slots == 0 ? 3 : 4;
        t.keyHash = p.keyHash;
        t.slots = p.slots;
        t.treeDepth = p.treeDepth;
        t.inputsRoot = p.inputsRoot;
        t.inputsHash = p.inputsHash;
        t.numSamples = p.numSamples;
        t.sampleSize = p.sampleSize;
        t.maxChallenges = p.maxChallenges;
        t.challengeBond = p.challengeBond;
        t.minPrice = p.minPrice;
        t.maxPrice = p.maxPrice;
        t.rampDuration = p.rampDuration;
        t.collateral = p.collateral;
        t.postedAt = uint40(block.timestamp);
        t.claimDeadline = p.claimDeadline;
        t.commitWindow = p.commitWindow;
        t.proveWindow = p.proveWindow;
        t.challengeWindow = p.challengeWindow;
        t.answerWindow = p.answerWindow;
        // The deal in force now, from governance's own record (not read back from the markets).
        t.feeBps = governance.gFeeBps();
        t.slashRequesterBps = governance.gSlashRequesterBps();
        t.slashBountyBps = governance.gSlashBountyBps();
    }

    function _refundOpen(Ghost storage g, IBatchMarket.BatchStatus to) private {
        g.status = to;
        expectedBalance[g.terms.requester] += g.terms.maxPrice;
    }

    /// An open job claimable now (posts one if none).
    function _claimable(uint256 seed) private returns (uint256 id) {
        uint256 n = jobIds.length;
        for (uint256 k; k < n; ++k) {
            id = jobIds[((seed % (n == 0 ? 1 : n)) + k) % n];
            Ghost storage g = _jobs[id];
            if (g.status == IBatchMarket.BatchStatus.Open && block.timestamp <= g.terms.claimDeadline)
                return id;
        }
        return _post(_requesters[seed % 2], seed, false);
    }

    function _claim(uint256 id, uint256 who) private returns (uint256) {
        if (market.paused()) market.unpause();
        if (staking.paused()) staking.unpause();
        Ghost storage g = _jobs[id];
        address p = _readyProvider(who, g.terms.collateral);
        // Readying a provider may have let time pass: the job may no longer be claimable.
        if (block.timestamp > g.terms.claimDeadline)
            return _claim(_post(_requesters[who % 2], who, true), who);
        vm.prank(p);
        batch.claim(id, g.terms);
        g.provider = p;
        g.claimedAt = uint40(block.timestamp);
        g.status = IBatchMarket.BatchStatus.Claimed;
        ghostLockedEver[p] += g.terms.collateral;
        _count("batchClaim");
        return id;
    }

    /// A provider that can lock `collateral` now: stake topped up, jail waited out, open jobs
    /// settled below the concurrency limit.
    function _readyProvider(uint256 who, uint256 collateral) private returns (address p) {
        p = _providers[who % 3];
        if (staking.getProvider(p).openJobs >= 16) _freeSlot(p);
        uint40 jailedUntil = staking.getProvider(p).jailedUntil;
        if (jailedUntil > block.timestamp) vm.warp(jailedUntil);
        IComputeStaking.Provider memory info = staking.getProvider(p);
        uint256 need;
        if (uint256(info.locked) + collateral > info.stake)
            need = uint256(info.locked) + collateral - info.stake;
        uint256 minStake = staking.minStake();
        if (uint256(info.stake) + need < minStake) need = minStake - info.stake;
        if (need != 0) _stake(p, need);
    }

    /// A claimed job before its commit deadline (claims one if none).
    function _committable(uint256 seed) private returns (uint256 id) {
        bool found;
        (found, id) = _findLive(seed, IBatchMarket.BatchStatus.Claimed);
        if (!found) id = _claim(_claimable(seed), seed);
    }

    function _commit(uint256 id, uint256 fakeSeed) private returns (uint256) {
        Ghost storage g = _jobs[id];
        uint256 n = g.terms.numSamples;
        // A third of the commits fake some outputs.
        uint256 mask = fakeSeed % 3 == 0 ? (fakeSeed >> 8) & ((1 << n) - 1) : 0;
        bytes32 root =
            g.terms.slots == 0
                ? _root(_outputLeaves(g.dataSeed, n, mask))
                : _fieldRoot(_outputLeaves(g.dataSeed, n, mask));
        vm.prank(g.provider);
        batch.commit(id, g.terms, g.claimedAt, root, keccak256(abi.encode(root)), "ipfs://outputs");
        g.outputsRoot = root;
        g.fakedMask = mask;
        g.sampleBlock = uint64(block.number) + ProtocolBounds.SAMPLE_DELAY;
        g.status = IBatchMarket.BatchStatus.Committed;
        _count("batchCommit");
        return id;
    }

    /// A committed job whose sample block's hash is still available (commits one if none).
    function _sampleable(uint256 seed) private returns (uint256) {
        uint256 n = jobIds.length;
        for (uint256 k; k < n; ++k) {
            uint256 id = jobIds[((seed % n) + k) % n];
            Ghost storage g = _jobs[id];
            if (
                g.status == IBatchMarket.BatchStatus.Committed && block.number <= uint256(g.sampleBlock) + 200
            ) {
                return id;
            }
        }
        return _commit(_committable(seed), seed);
    }

    /// A committed or sampled job that can still be proven (commits one if none).
    function _provable(uint256 seed) private returns (uint256) {
        uint256 n = jobIds.length;
        for (uint256 k; k < n; ++k) {
            uint256 id = jobIds[((seed % n) + k) % n];
            Ghost storage g = _jobs[id];
            bool live = block.timestamp <= _deadline(id);
            if (
                live &&
                (g.status == IBatchMarket.BatchStatus.Sampled ||
                    (g.status == IBatchMarket.BatchStatus.Committed &&
                        block.number <= uint256(g.sampleBlock) + 200))
            ) return id;
        }
        return _commit(_committable(seed), seed);
    }

    function _proveOrSlash(uint256 id) private returns (uint256) {
        Ghost storage g = _jobs[id];
        bytes memory header;
        if (g.status == IBatchMarket.BatchStatus.Committed) {
            header = _installHeader(id, g.sampleBlock);
        }
        bytes32 randomness = _mix(id, g.sampleBlock);
        uint32[] memory drawn = _indices(id, randomness, g.terms.numSamples, g.terms.sampleSize);
        if (_anyFaked(g, drawn)) {
            // Caught by sampling: no proof exists for a faked output.
            vm.warp(uint256(_deadline(id)) + 1);
            _slash(id);
            return id;
        }
        if (g.terms.slots == 0) {
            IBatchMarket.SampleProof[] memory proofs = _proofs(id, drawn);
            vm.prank(g.provider);
            batch.prove(id, g.terms, ghostRecord(id), header, _key, proofs);
            _count("batchProve");
        } else {
            uint256[8][] memory proofs = _samplingProofs(id, drawn);
            vm.prank(g.provider);
            batch.proveSampled(id, g.terms, ghostRecord(id), header, proofs);
            _count("batchProveSampled");
        }
        g.status = IBatchMarket.BatchStatus.Proven;
        return id;
    }

    /// A proven job with challenges allowed and its window open (proves one if none).
    function _challengeable(uint256 seed) private returns (uint256) {
        uint256 n = jobIds.length;
        for (uint256 k; k < n; ++k) {
            uint256 id = jobIds[((seed % n) + k) % n];
            Ghost storage g = _jobs[id];
            if (
                g.status == IBatchMarket.BatchStatus.Proven &&
                g.terms.maxChallenges != 0 &&
                block.timestamp <= _deadline(id)
            ) return id;
        }
        // Post a challengeable job and take it to Proven (sampling may catch a faked output on the
        // way: then try again with an honest commit).
        uint256 fresh = _claim(_post(_requesters[seed % 2], seed, true), seed);
        _commit(fresh, 1);
        return _proveOrSlash(fresh);
    }

    function _challenge(uint256 id, uint256 idxSeed) private returns (uint256) {
        Ghost storage g = _jobs[id];
        uint256 n = g.terms.numSamples;
        uint256 count = bound(idxSeed, 1, g.terms.maxChallenges < n ? g.terms.maxChallenges : n);
        uint32[] memory indices = new uint32[](count);
        // `count` increasing indices below n, spread from a random start.
        uint256 start = (idxSeed >> 8) % (n - count + 1);
        for (uint256 i; i < count; ++i) indices[i] = uint32(start + i);
        vm.prank(g.terms.requester);
        batch.challenge(id, g.terms, ghostRecord(id), indices);
        g.challenged = indices;
        g.status = IBatchMarket.BatchStatus.Challenged;
        expectedBalance[g.terms.requester] -= uint256(g.terms.challengeBond) * count;
        _count("batchChallenge");
        return id;
    }

    function _pay(uint256 id, uint256 bonds) private {
        Ghost storage g = _jobs[id];
        IBatchMarket.BatchTerms storage t = g.terms;
        uint256 price = AuctionPrice.at(t.minPrice, t.maxPrice, t.postedAt, t.rampDuration, g.claimedAt);
        uint256 fee = (price * t.feeBps) / ProtocolBounds.BPS;
        expectedBalance[g.provider] += price - fee + bonds;
        expectedBalance[t.requester] += t.maxPrice - price;
        expectedAccrued += fee;
        g.status = IBatchMarket.BatchStatus.Paid;
        ++timesPaid[id];
    }

    function _slash(uint256 id) private {
        Ghost storage g = _jobs[id];
        IBatchMarket.BatchTerms storage t = g.terms;
        uint256 refund = t.maxPrice;
        if (g.status == IBatchMarket.BatchStatus.Challenged)
            refund += uint256(t.challengeBond) * g.challenged.length;
        vm.prank(KEEPER);
        batch.slashExpired(id, t, ghostRecord(id));
        uint256 toRequester = (uint256(t.collateral) * t.slashRequesterBps) / ProtocolBounds.BPS;
        uint256 bounty = (uint256(t.collateral) * t.slashBountyBps) / ProtocolBounds.BPS;
        expectedBalance[t.requester] += refund + toRequester;
        expectedBalance[KEEPER] += bounty;
        expectedAccrued += t.collateral - toRequester - bounty;
        g.slashedFrom = g.status;
        g.status = IBatchMarket.BatchStatus.Slashed;
        _count("batchSlash");
    }

    // ── finding jobs ──────────────────────────────────────────────────────────────────────────

    function _find(uint256 seed, IBatchMarket.BatchStatus status) private view returns (bool, uint256) {
        uint256 n = jobIds.length;
        for (uint256 k; k < n; ++k) {
            uint256 id = jobIds[((seed % n) + k) % n];
            if (_jobs[id].status == status) return (true, id);
        }
        return (false, 0);
    }

    /// A job in `status` before its deadline.
    function _findLive(uint256 seed, IBatchMarket.BatchStatus status) private view returns (bool, uint256) {
        uint256 n = jobIds.length;
        for (uint256 k; k < n; ++k) {
            uint256 id = jobIds[((seed % n) + k) % n];
            if (_jobs[id].status == status && block.timestamp <= _deadline(id)) return (true, id);
        }
        return (false, 0);
    }

    function _slashable(IBatchMarket.BatchStatus s) private pure returns (bool) {
        return
            s == IBatchMarket.BatchStatus.Claimed ||
            s == IBatchMarket.BatchStatus.Committed ||
            s == IBatchMarket.BatchStatus.Sampled ||
            s == IBatchMarket.BatchStatus.Challenged;
    }

    function _findSlashable(uint256 seed) private view returns (bool, uint256) {
        uint256 n = jobIds.length;
        for (uint256 k; k < n; ++k) {
            uint256 id = jobIds[((seed % n) + k) % n];
            if (_slashable(_jobs[id].status)) return (true, id);
        }
        return (false, 0);
    }

    /// Settles one of `p`'s open jobs: slashes an unfinished one, or settles a proven one.
    function _freeSlot(address p) private {
        for (uint256 k; k < jobIds.length; ++k) {
            uint256 id = jobIds[k];
            Ghost storage g = _jobs[id];
            if (g.provider != p) continue;
            bool proven = g.status == IBatchMarket.BatchStatus.Proven;
            if (!proven && !_slashable(g.status)) continue;
            if (block.timestamp <= _deadline(id)) vm.warp(uint256(_deadline(id)) + 1);
            if (proven) {
                vm.prank(KEEPER);
                batch.settle(id, g.terms, ghostRecord(id));
                _pay(id, 0);
                _count("batchSettle");
            } else {
                _slash(id);
            }
            return;
        }
    }

    // ── data, trees, sampling, proofs ─────────────────────────────────────────────────────────

    function _commitment(uint256 dataSeed, uint256 i) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(dataSeed, "c", i))) % R;
    }

    function _trueOutput(uint256 dataSeed, uint256 i) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(dataSeed, "o", i))) % R;
    }

    function _claimedOutput(Ghost storage g, uint256 i) private view returns (uint256) {
        uint256 o = _trueOutput(g.dataSeed, i);
        return (g.fakedMask >> i) & 1 == 1 ? (o + 1) % R : o;
    }

    function _inputLeaves(uint256 dataSeed, uint256 n) private pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i)
            leaves[i] = keccak256(abi.encodePacked(bytes1(0x01), i, _commitment(dataSeed, i)));
    }

    function _outputLeaves(
        uint256 dataSeed,
        uint256 n,
        uint256 mask
    ) private pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            uint256 o = _trueOutput(dataSeed, i);
            if ((mask >> i) & 1 == 1) o = (o + 1) % R;
            leaves[i] = keccak256(abi.encodePacked(bytes1(0x02), i, _commitment(dataSeed, i), o));
        }
    }

    /// The bottom level padded to 2^depth with zero leaves.
    function _padded(bytes32[] memory leaves) private pure returns (bytes32[] memory level) {
        uint256 size = 1;
        while (size < leaves.length) size <<= 1;
        level = new bytes32[](size);
        for (uint256 i; i < leaves.length; ++i) level[i] = leaves[i];
    }

    function _root(bytes32[] memory leaves) private pure returns (bytes32) {
        bytes32[] memory level = _padded(leaves);
        for (uint256 size = level.length; size > 1; size >>= 1) {
            for (uint256 i; i < size / 2; ++i)
                level[i] = keccak256(abi.encodePacked(level[2 * i], level[2 * i + 1]));
        }
        return level[0];
    }

    function _path(bytes32[] memory leaves, uint256 index) private pure returns (bytes32[] memory path) {
        bytes32[] memory level = _padded(leaves);
        uint256 depth;
        while ((uint256(1) << depth) < level.length) ++depth;
        path = new bytes32[](depth);
        for (uint256 l; l < depth; ++l) {
            path[l] = level[index ^ 1];
            for (uint256 i; i < level.length >> (l + 1); ++i) {
                level[i] = keccak256(abi.encodePacked(level[2 * i], level[2 * i + 1]));
            }
            index >>= 1;
        }
    }

    function _mix(uint256 id, uint64 sampleBlock) private pure returns (bytes32) {
        return keccak256(abi.encode("mix", id, sampleBlock));
    }

    /// A minimal RLP header (13 empty strings, the 32-byte mix, an 8-byte nonce, one more empty
    /// string: a 56-byte payload, i.e. a long list) installed as the sample block's hash.
    function _installHeader(uint256 id, uint64 sampleBlock) private returns (bytes memory header) {
        bytes memory empties = new bytes(13);
        for (uint256 i; i < 13; ++i) empties[i] = 0x80;
        header = abi.encodePacked(
            bytes2(0xf838),
            empties,
            bytes1(0xa0),
            _mix(id, sampleBlock),
            bytes1(0x88),
            bytes8(0),
            bytes1(0x80)
        );
        if (block.number <= sampleBlock) vm.roll(uint256(sampleBlock) + 1);
        vm.setBlockhash(sampleBlock, keccak256(header));
    }

    /// The contract's derivation, re-implemented (docs/BATCH.md).
    function _indices(
        uint256 id,
        bytes32 randomness,
        uint256 n,
        uint256 k
    ) private view returns (uint32[] memory out) {
        bytes32 seed = keccak256(abi.encode(randomness, block.chainid, address(batch), id));
        out = new uint32[](k);
        uint256 found;
        for (uint256 t; found < k; ++t) {
            uint256 x = uint256(keccak256(abi.encode(seed, t))) % n;
            bool seen;
            for (uint256 i; i < found; ++i) seen = seen || out[i] == x;
            if (!seen) out[found++] = uint32(x);
        }
    }

    function _anyFaked(Ghost storage g, uint32[] memory indices) private view returns (bool) {
        for (uint256 i; i < indices.length; ++i) if ((g.fakedMask >> indices[i]) & 1 == 1) return true;
        return false;
    }

    function _proofs(
        uint256 id,
        uint32[] memory indices
    ) private view returns (IBatchMarket.SampleProof[] memory out) {
        Ghost storage g = _jobs[id];
        uint256 n = g.terms.numSamples;
        bytes32[] memory inLeaves = _inputLeaves(g.dataSeed, n);
        bytes32[] memory outLeaves = _outputLeaves(g.dataSeed, n, g.fakedMask);
        uint256 jobKey = uint256(keccak256(abi.encode(block.chainid, address(batch), id, g.provider))) % R;
        out = new IBatchMarket.SampleProof[](indices.length);
        for (uint256 j; j < indices.length; ++j) {
            uint256 i = indices[j];
            IBatchMarket.SampleProof memory s = out[j];
            s.inputCommitment = _commitment(g.dataSeed, i);
            s.outputs = new uint256[](1);
            s.outputs[0] = _claimedOutput(g, i);
            s.inputPath = _path(inLeaves, i);
            s.outputPath = _path(outLeaves, i);
            s.proof = _trapdoorProof(jobKey, s.inputCommitment, s.outputs[0]);
        }
    }

    /// A sampling-circuit job's proofs of `indices` (≤ 3 = SLOTS: one chunk), for
    /// `TrapdoorSamplingVerifier`: public signals [jobKey, inputsRoot, outputsRoot, packed], the
    /// indices packed here independently of the contract (DEPTH bits each, the last repeated).
    function _samplingProofs(
        uint256 id,
        uint32[] memory indices
    ) private view returns (uint256[8][] memory out) {
        Ghost storage g = _jobs[id];
        uint256 packed;
        for (uint256 s; s < SLOTS; ++s) {
            uint256 i = indices[s < indices.length ? s : indices.length - 1];
            packed |= i << (s * DEPTH);
        }
        uint256 jobKey = uint256(keccak256(abi.encode(block.chainid, address(batch), id, g.provider))) % R;
        uint256[5] memory u = [uint256(2), 3, 5, 7, 11];
        uint256[4] memory x = [jobKey, uint256(g.terms.inputsRoot), uint256(g.outputsRoot), packed];
        uint256 l = u[0];
        for (uint256 j; j < 4; ++j) l = addmod(l, mulmod(u[j + 1], x[j], R), R);
        (uint256 ax, uint256 ay) = _mul(1, 2, addmod(addmod(ALPHA, l, R), 1, R));
        out = new uint256[8][](1);
        out[0] = [ax, ay, G2_X_IM, G2_X_RE, G2_Y_IM, G2_Y_RE, 1, 2];
    }

    /// A root for a sampling-circuit job: any field element committing to the leaves (the contract
    /// never rebuilds the tree; the circuit would).
    function _fieldRoot(bytes32[] memory leaves) private pure returns (bytes32) {
        return bytes32(uint256(keccak256(abi.encode(leaves))) % R);
    }

    /// A proof for public signals x with the trapdoor key: L = u0 + Σ u_i·x_i, A = (α + L + 1)·G1,
    /// B = G2, C = G1, so that e(A, B) = e(α, β)·e(L·G1, γ)·e(C, δ).
    function _trapdoorProof(
        uint256 jobKey,
        uint256 c,
        uint256 out
    ) private view returns (uint256[8] memory p) {
        uint256 l = addmod(
            addmod(_u[0], mulmod(_u[1], jobKey, R), R),
            addmod(mulmod(_u[2], c, R), mulmod(_u[3], out, R), R),
            R
        );
        (uint256 ax, uint256 ay) = _mul(1, 2, addmod(addmod(ALPHA, l, R), 1, R));
        p = [ax, ay, G2_X_IM, G2_X_RE, G2_Y_IM, G2_Y_RE, 1, 2];
    }

    function _mul(uint256 x, uint256 y, uint256 s) private view returns (uint256, uint256) {
        (bool ok, bytes memory out) = address(0x07).staticcall(abi.encode(x, y, s));
        require(ok && out.length == 64, "ecMul");
        return abi.decode(out, (uint256, uint256));
    }
}

/// @notice Drives the whole protocol — staking, market, registry and governance — through random
/// sequences in which (almost) every call does something: each action that finds no job or
/// provider in the state it needs first brings one there (posts, claims, tops up stake, lets time
/// pass to a deadline) instead of returning. It keeps a ghost model of every job and of every
/// actor's token balance computed from the protocol's rules and the job's own terms, so the
/// invariants can compare the contracts against an independent account. Proofs are checked by
/// MockVerifier (test-only, accepts all).
contract ProtocolHandler is TestBase {
    SkewedToken public immutable token;
    ComputeStaking public immutable staking;
    JobMarket public immutable market;
    CircuitRegistry public immutable registry;
    /// @notice Always active (2 public signals: no outputs).
    bytes32 public immutable stableCircuit;
    /// @notice Deactivated and reactivated by governance (3 public signals: one output).
    bytes32 public immutable toggledCircuit;

    address[3] internal _requesters = [address(0x1001), address(0x1002), address(0x1003)];
    address[3] internal _providers = [address(0x2001), address(0x2002), address(0x2003)];
    address public constant KEEPER = address(0x3001);

    /// @notice Ghost of a job: its terms (built from the handler's own record of the parameters in
    /// force, not read back), the claimer, the claim time and the status the rules predict.
    struct GhostJob {
        IJobMarket.JobTerms terms;
        address provider;
        uint40 claimedAt;
        IJobMarket.JobStatus status;
        uint256[] outputs;
    }

    uint256[] public jobIds;
    mapping(uint256 jobId => GhostJob) internal _jobs;
    mapping(uint256 jobId => uint256) public timesProven;
    mapping(uint256 jobId => uint256) public timesPaid;

    /// @notice Token balance every actor must have, by the protocol's rules.
    mapping(address actor => uint256) public expectedBalance;
    /// @notice Treasury fees the market must have accrued, by the rules.
    uint256 public expectedAccrued;
    mapping(address provider => uint256) public ghostLockedEver;
    uint256 public ghostSlashMismatch;
    uint256 public ghostMinted;

    // Governance parameters as this handler (the governance) last set them.
    uint16 public gFeeBps;
    uint16 public gSlashRequesterBps;
    uint16 public gSlashBountyBps;
    uint256 public gMinStake;

    // Effective-call accounting: every handler action, and which of them made their protocol call.
    uint256 public actions;
    uint256 public effectiveActions;
    mapping(string name => uint256) public calls;
    string[] internal _callNames;

    constructor(SkewedToken token_, JobMarket market_, bytes32 stableCircuit_, bytes32 toggledCircuit_) {
        token = token_;
        market = market_;
        staking = ComputeStaking(market_.staking());
        registry = CircuitRegistry(market_.registry());
        stableCircuit = stableCircuit_;
        toggledCircuit = toggledCircuit_;
        gFeeBps = market_.feeBps();
        gSlashRequesterBps = market_.slashRequesterBps();
        gSlashBountyBps = market_.slashBountyBps();
        gMinStake = staking.minStake();
        for (uint256 i; i < 3; ++i) {
            _mint(_requesters[i], 1_000_000 ether);
            vm.prank(_requesters[i]);
            token.approve(address(market), type(uint256).max);
            _mint(_providers[i], 1_000_000 ether);
            vm.prank(_providers[i]);
            token.approve(address(staking), type(uint256).max);
            _stake(_providers[i], 1_000 ether);
            vm.prank(_providers[i]);
            staking.register(
                IComputeStaking.Capability({
                    gpuModel: "cpu",
                    memoryMB: 1,
                    backends: 1,
                    maxConcurrentJobs: 16,
                    metadataURI: ""
                })
            );
        }
    }

    // ═══════════════════════════════════════ views ════════════════════════════════════════════

    function jobCount() external view returns (uint256) {
        return jobIds.length;
    }

    function ghost(uint256 jobId) external view returns (GhostJob memory) {
        return _jobs[jobId];
    }

    function providerAt(uint256 i) external view returns (address) {
        return _providers[i];
    }

    function requesterAt(uint256 i) external view returns (address) {
        return _requesters[i];
    }

    function callNames() external view returns (string[] memory) {
        return _callNames;
    }

    // ══════════════════════════════════ user actions ══════════════════════════════════════════

    function postJob(uint256 who, uint256 seed) external {
        _begin();
        _post(_requesters[who % 3], seed);
        _effective();
    }

    function claim(uint256 jobSeed, uint256 who) external {
        _begin();
        _claim(_claimableJob(jobSeed), who);
        _effective();
    }

    function submit(uint256 jobSeed, uint256 who) external {
        _begin();
        (bool found, uint256 id) = _find(jobSeed, _isSubmittable);
        if (!found) id = _claim(_claimableJob(jobSeed), who);
        _submit(id);
        _effective();
    }

    /// Pays out up to three completed jobs of one provider in one `collect` (anyone may call).
    function collect(uint256 jobSeed, uint256 who) external {
        _begin();
        _collect(jobSeed, who);
        _effective();
    }

    function cancel(uint256 jobSeed, uint256 who) external {
        _begin();
        (bool found, uint256 id) = _find(jobSeed, _isOpen);
        if (!found) id = _post(_requesters[who % 3], jobSeed);
        GhostJob storage j = _jobs[id];
        vm.prank(j.terms.requester);
        market.cancel(id, j.terms);
        j.status = IJobMarket.JobStatus.Cancelled;
        expectedBalance[j.terms.requester] += j.terms.maxPrice;
        _count("cancel");
        _effective();
    }

    function reclaim(uint256 jobSeed, uint256 who) external {
        _begin();
        (bool found, uint256 id) = _find(jobSeed, _isReclaimable);
        if (!found) {
            (found, id) = _find(jobSeed, _isOpen);
            if (!found) id = _post(_requesters[who % 3], jobSeed);
            // Claim deadlines are at most 6 hours after posting: a short jump.
            vm.warp(uint256(_jobs[id].terms.claimDeadline) + 1);
        }
        GhostJob storage j = _jobs[id];
        vm.prank(KEEPER);
        market.reclaim(id, j.terms);
        j.status = IJobMarket.JobStatus.Reclaimed;
        expectedBalance[j.terms.requester] += j.terms.maxPrice;
        _count("reclaim");
        _effective();
    }

    function slashExpired(uint256 jobSeed, uint256 who) external {
        _begin();
        (bool found, uint256 id) = _find(jobSeed, _isExpired);
        if (!found) {
            (found, id) = _find(jobSeed, _isClaimed);
            if (!found) id = _claim(_claimableJob(jobSeed), who);
            // Execution windows are at most 2 hours: a short jump.
            vm.warp(uint256(_jobs[id].claimedAt) + _jobs[id].terms.executionWindow + 1);
        }
        _slash(id);
        _effective();
    }

    function stake(uint256 who, uint256 amount) external {
        _begin();
        _stake(_providers[who % 3], bound(amount, 1, 500 ether));
        _effective();
    }

    function requestUnstake(uint256 who, uint256 amount) external {
        _begin();
        address p = _providers[who % 3];
        uint256 bonded = staking.getProvider(p).stake;
        if (bonded == 0) {
            _stake(p, 100 ether);
            bonded = 100 ether;
        }
        vm.prank(p);
        staking.requestUnstake(bound(amount, 1, bonded));
        _count("requestUnstake");
        _effective();
    }

    /// Withdraws matured unbonding stake; when none has matured, lets time pass to the end of the
    /// unbonding period (the one long jump of the campaign: open jobs then become reclaimable and
    /// claimed ones slashable, which the other actions pick up).
    function withdraw(uint256 who, uint256 amount) external {
        _begin();
        address p = _providers[who % 3];
        if (_withdrawable(p) == 0) {
            for (uint256 k = 1; k < 3 && _withdrawable(p) == 0; ++k) {
                address other = _providers[((who % 3) + k) % 3];
                if (_withdrawable(other) != 0 || _unbondingFree(other) != 0) p = other;
            }
            if (_unbondingFree(p) == 0) {
                // Unbond only stake above the locked collateral, so none of it backs open jobs.
                IComputeStaking.Provider memory info = staking.getProvider(p);
                if (uint256(info.stake) < uint256(info.locked) + 1 ether) {
                    _stake(p, uint256(info.locked) + 1 ether - info.stake);
                    info = staking.getProvider(p);
                }
                vm.prank(p);
                staking.requestUnstake(bound(amount, 1, info.stake - info.locked));
                _count("requestUnstake");
            }
            uint256 end = staking.getProvider(p).unbondingEnd;
            if (block.timestamp < end) vm.warp(end);
        }
        uint256 expected = _withdrawable(p);
        vm.prank(p);
        uint256 amountOut = staking.withdraw();
        assertEq(amountOut, expected, "withdraw amount");
        expectedBalance[p] += amountOut;
        _count("withdraw");
        _effective();
    }

    function withdrawFees(uint256 jobSeed, uint256 who) external {
        _begin();
        if (market.accruedFees() == 0) _collect(jobSeed, who);
        if (market.accruedFees() != 0) {
            address t = market.treasury();
            uint256 amount = market.withdrawFees();
            expectedBalance[t] += amount;
            expectedAccrued -= amount;
            _count("withdrawFees");
            _effective();
        }
    }

    /// A deposit with a token that delivers a different amount than asked (fee-on-transfer, or
    /// a rebase inside the transfer) is refused with the exact custom error; nothing moves.
    function skewedDeposit(uint256 who, uint256 amount, int16 skew, bool viaMarket) external {
        _begin();
        amount = bound(amount, 10_000, 100 ether);
        int16 s = int16(int256(bound(uint256(int256(skew) + 10_000), 1, 19_999)) - 10_000);
        if (s == 0) s = -100;
        uint256 delta = (amount * uint256(int256(s < 0 ? -s : s))) / 10_000;
        if (delta == 0) {
            s = -100;
            delta = amount / 100;
        }
        uint256 received = s < 0 ? amount - delta : amount + delta;
        token.setSkew(s);
        if (viaMarket) {
            _unpauseMarketIfNeeded();
            address r = _requesters[who % 3];
            IJobMarket.PostJobParams memory params = _params(bytes32(0), amount, amount, 1);
            vm.expectRevert(
                abi.encodeWithSelector(IJobMarket.Market__TransferMismatch.selector, amount, received)
            );
            vm.prank(r);
            market.postJob(params);
        } else {
            _unpauseStakingIfNeeded();
            vm.expectRevert(
                abi.encodeWithSelector(IComputeStaking.Staking__TransferMismatch.selector, amount, received)
            );
            vm.prank(_providers[who % 3]);
            staking.stake(amount);
        }
        token.setSkew(0);
        _count("skewedDepositRefused");
        _effective();
    }

    function warp(uint256 seconds_) external {
        _begin();
        vm.warp(block.timestamp + bound(seconds_, 1, 3 hours));
        _count("warp");
        _effective();
    }

    // ══════════════════════════════ governance (mid-job) ══════════════════════════════════════

    function govSetFee(uint256 feeBps) external {
        _begin();
        uint16 fee = uint16(bound(feeBps, 0, ProtocolBounds.MAX_FEE_BPS));
        market.setFee(fee);
        gFeeBps = fee;
        _count("setFee");
        _effective();
    }

    function govSetSlashSplit(uint256 requesterBps, uint256 bountyBps) external {
        _begin();
        uint256 room = ProtocolBounds.BPS - ProtocolBounds.MIN_SLASH_TREASURY_BPS;
        uint16 bounty = uint16(bound(bountyBps, 0, ProtocolBounds.MAX_SLASH_BOUNTY_BPS));
        uint16 req = uint16(bound(requesterBps, 0, room - bounty));
        market.setSlashSplit(req, bounty);
        gSlashRequesterBps = req;
        gSlashBountyBps = bounty;
        _count("setSlashSplit");
        _effective();
    }

    function govSetMinStake(uint256 minStake) external {
        _begin();
        uint256 m = bound(minStake, ProtocolBounds.MIN_MIN_STAKE, 300 ether);
        staking.setMinStake(m);
        gMinStake = m;
        _count("setMinStake");
        _effective();
    }

    function govSetJailPolicy(uint256 threshold, uint256 period) external {
        _begin();
        staking.setJailPolicy(uint8(bound(threshold, 1, 5)), uint40(bound(period, 0, 1 days)));
        _count("setJailPolicy");
        _effective();
    }

    function govTogglePause(bool onMarket) external {
        _begin();
        if (onMarket) {
            if (market.paused()) market.unpause();
            else market.pause();
        } else {
            if (staking.paused()) staking.unpause();
            else staking.pause();
        }
        _count("pauseToggle");
        _effective();
    }

    function govToggleCircuit() external {
        _begin();
        registry.setActive(toggledCircuit, !registry.isActive(toggledCircuit));
        _count("circuitToggle");
        _effective();
    }

    // ═════════════════════════════════════ internals ══════════════════════════════════════════

    function _begin() private {
        ++actions;
    }

    function _effective() private {
        ++effectiveActions;
    }

    function _count(string memory name) private {
        if (calls[name] == 0) _callNames.push(name);
        ++calls[name];
    }

    function _mint(address to, uint256 amount) private {
        token.faucet(to, amount);
        ghostMinted += amount;
        expectedBalance[to] += amount;
    }

    function _params(
        bytes32 circuit,
        uint256 seed,
        uint256 priceSeed,
        uint256 collateralSeed
    ) private view returns (IJobMarket.PostJobParams memory) {
        if (circuit == bytes32(0)) circuit = stableCircuit;
        uint96 maxPrice = uint96(bound(priceSeed, 0, 100 ether));
        uint96 minPrice = uint96(bound(seed >> 8, 0, maxPrice));
        uint32 ramp = minPrice == maxPrice ? 0 : uint32(bound(seed >> 16, 1, 1 days));
        return
            IJobMarket.PostJobParams({
                circuitId: circuit,
                inputCommitment: uint256(keccak256(abi.encode(jobIds.length, seed))) % 2 ** 250,
                input: hex"00ff",
                inputURI: "",
                minPrice: minPrice,
                maxPrice: maxPrice,
                rampDuration: ramp,
                collateral: uint96(bound(collateralSeed, 0, 200 ether)),
                claimDeadline: uint40(block.timestamp + bound(seed >> 24, 0, 6 hours)),
                executionWindow: uint32(bound(seed >> 32, 1 minutes, 2 hours)),
                verificationMode: IJobMarket.VerificationMode.Full
            });
    }

    function _post(address requester, uint256 seed) private returns (uint256 id) {
        _unpauseMarketIfNeeded();
        bytes32 circuit =
            (seed & 1 == 1 && registry.isActive(toggledCircuit)) ? toggledCircuit : stableCircuit;
        IJobMarket.PostJobParams memory params = _params(
            circuit,
            seed,
            uint256(keccak256(abi.encode(seed, "price"))),
            uint256(keccak256(abi.encode(seed, "collateral")))
        );
        vm.prank(requester);
        id = market.postJob(params);

        (address verifier_, bytes4 selector, uint16 numPublic, ) = registry.getVerifier(circuit);
        GhostJob storage j = _jobs[id];
        j.terms = IJobMarket.JobTerms({
            requester: requester,
            circuitId: circuit,
            verifier: verifier_,
            selector: selector,
            numPublic: numPublic,
            inputCommitment: params.inputCommitment,
            inputHash: keccak256(params.input),
            minPrice: params.minPrice,
            maxPrice: params.maxPrice,
            rampDuration: params.rampDuration,
            collateral: params.collateral,
            postedAt: uint40(block.timestamp),
            claimDeadline: params.claimDeadline,
            executionWindow: params.executionWindow,
            // The deal in force now, from governance's own record (not read back from the market).
            feeBps: gFeeBps,
            slashRequesterBps: gSlashRequesterBps,
            slashBountyBps: gSlashBountyBps,
            verificationMode: params.verificationMode
        });
        j.status = IJobMarket.JobStatus.Open;
        assertTrue(
            market.getJob(id).commitment == market.termsCommitment(j.terms),
            "posted terms carry the parameters in force"
        );
        jobIds.push(id);
        expectedBalance[requester] -= params.maxPrice;
        _count("postJob");
    }

    /// An open job claimable now; posts one when there is none.
    function _claimableJob(uint256 seed) private returns (uint256 id) {
        bool found;
        (found, id) = _find(seed, _isClaimable);
        if (!found) id = _post(_requesters[seed % 3], seed);
    }

    /// Claims `id` by a provider able to (made able: stake topped up, jail waited out).
    function _claim(uint256 id, uint256 who) private returns (uint256) {
        _unpauseMarketIfNeeded();
        _unpauseStakingIfNeeded();
        GhostJob storage j = _jobs[id];
        address p = _providers[who % 3];
        for (uint256 k; k < 3; ++k) {
            address candidate = _providers[((who % 3) + k) % 3];
            if (_canClaim(candidate, j.terms.collateral)) {
                p = candidate;
                break;
            }
        }
        if (!_canClaim(p, j.terms.collateral)) {
            if (staking.getProvider(p).openJobs >= 16) {
                // Settle one of its jobs first: submit one in time, or slash one that expired.
                (bool found, uint256 open) = _findOf(p, id, _isSubmittable);
                if (found) _submit(open);
                else {
                    (found, open) = _findOf(p, id, _isExpired);
                    if (found) _slash(open);
                }
            }
            uint40 jailedUntil = staking.getProvider(p).jailedUntil;
            if (jailedUntil > block.timestamp) {
                vm.warp(jailedUntil);
                // The wait may have passed this job's claim deadline: take (or post) another.
                if (block.timestamp > j.terms.claimDeadline) return _claim(_claimableJob(id), who);
            }
            IComputeStaking.Provider memory info = staking.getProvider(p);
            // free = stake - locked must cover the collateral, and stake must reach the minimum.
            uint256 need;
            if (uint256(info.locked) + j.terms.collateral > info.stake) {
                need = uint256(info.locked) + j.terms.collateral - info.stake;
            }
            if (uint256(info.stake) + need < gMinStake) need = gMinStake - info.stake;
            if (need != 0) _stake(p, need);
        }
        vm.prank(p);
        market.claim(id, j.terms);
        j.provider = p;
        j.claimedAt = uint40(block.timestamp);
        j.status = IJobMarket.JobStatus.Claimed;
        ghostLockedEver[p] += j.terms.collateral;
        _count("claim");
        return id;
    }

    function _submit(uint256 id) private {
        GhostJob storage j = _jobs[id];
        uint256[] memory outputs = new uint256[](j.terms.numPublic - 2);
        for (uint256 i; i < outputs.length; ++i)
            outputs[i] = uint256(keccak256(abi.encode(id, i))) % 2 ** 250;
        vm.prank(j.provider);
        market.submit(id, j.terms, [uint256(1), 2, 3, 4, 5, 6, 7, 8], outputs);
        j.outputs = outputs;
        j.status = IJobMarket.JobStatus.Completed;
        ++timesProven[id];
        _count("submit");
    }

    function _collect(uint256 jobSeed, uint256 who) private {
        address p = _providers[who % 3];
        uint256[3] memory found;
        uint256 count;
        uint256 n = jobIds.length;
        for (uint256 pass; pass < 2 && count == 0; ++pass) {
            for (uint256 k; k < n && count < 3; ++k) {
                uint256 id = jobIds[((jobSeed % n) + k) % n];
                if (_jobs[id].status == IJobMarket.JobStatus.Completed && _jobs[id].provider == p) {
                    found[count++] = id;
                }
            }
            if (count == 0 && pass == 0) {
                // Complete one for this provider first.
                uint256 id = _claim(_claimableJob(jobSeed), who);
                _submit(id);
                p = _jobs[id].provider;
                n = jobIds.length;
            }
        }
        IJobMarket.Collection[] memory batch = new IJobMarket.Collection[](count);
        uint256 payout;
        for (uint256 i; i < count; ++i) {
            GhostJob storage j = _jobs[found[i]];
            IJobMarket.JobTerms memory t = j.terms;
            batch[i] = IJobMarket.Collection({jobId: found[i], terms: t, outputs: j.outputs});
            // Price fixed at the claim, fee of the job's own terms.
            uint256 price = AuctionPrice.at(t.minPrice, t.maxPrice, t.postedAt, t.rampDuration, j.claimedAt);
            uint256 fee = (price * t.feeBps) / ProtocolBounds.BPS;
            payout += price - fee;
            expectedAccrued += fee;
            expectedBalance[t.requester] += t.maxPrice - price;
            j.status = IJobMarket.JobStatus.Paid;
        }
        vm.prank(KEEPER);
        uint256 paid = market.collect(p, batch);
        assertEq(paid, payout, "collect payout");
        expectedBalance[p] += payout;
        for (uint256 i; i < count; ++i) ++timesPaid[batch[i].jobId];
        _count("collect");
    }

    function _slash(uint256 id) private {
        GhostJob storage j = _jobs[id];
        IJobMarket.JobTerms memory t = j.terms;
        IComputeStaking.Provider memory before = staking.getProvider(j.provider);
        vm.prank(KEEPER);
        market.slashExpired(id, t, j.provider);
        IComputeStaking.Provider memory afterSlash = staking.getProvider(j.provider);
        uint256 slashed = uint256(before.stake) + before.unbonding - afterSlash.stake - afterSlash.unbonding;
        if (slashed > before.locked || slashed != t.collateral) ++ghostSlashMismatch;

        // The split of the job's own terms, not the market's current one.
        uint256 toRequester = (uint256(t.collateral) * t.slashRequesterBps) / ProtocolBounds.BPS;
        uint256 bounty = (uint256(t.collateral) * t.slashBountyBps) / ProtocolBounds.BPS;
        expectedBalance[t.requester] += uint256(t.maxPrice) + toRequester;
        expectedBalance[KEEPER] += bounty;
        expectedAccrued += t.collateral - toRequester - bounty;
        j.status = IJobMarket.JobStatus.Slashed;
        _count("slashExpired");
    }

    function _stake(address p, uint256 amount) private {
        _unpauseStakingIfNeeded();
        vm.prank(p);
        staking.stake(amount);
        expectedBalance[p] -= amount;
        _count("stake");
    }

    function _unpauseMarketIfNeeded() private {
        if (market.paused()) {
            market.unpause();
            _count("pauseToggle");
        }
    }

    function _unpauseStakingIfNeeded() private {
        if (staking.paused()) {
            staking.unpause();
            _count("pauseToggle");
        }
    }

    function _canClaim(address p, uint256 collateral) private view returns (bool) {
        return staking.isActive(p) && staking.freeStake(p) >= collateral;
    }

    function _withdrawable(address p) private view returns (uint256) {
        IComputeStaking.Provider memory info = staking.getProvider(p);
        if (block.timestamp < info.unbondingEnd) return 0;
        return _unbondingFree(p);
    }

    function _unbondingFree(address p) private view returns (uint256) {
        IComputeStaking.Provider memory info = staking.getProvider(p);
        uint256 backing = info.locked > info.stake ? info.locked - info.stake : 0;
        return info.unbonding > backing ? info.unbonding - backing : 0;
    }

    // Job predicates (on the ghost status; the invariants check it equals the contract's).

    function _isOpen(uint256 id) private view returns (bool) {
        return _jobs[id].status == IJobMarket.JobStatus.Open;
    }

    function _isClaimable(uint256 id) private view returns (bool) {
        GhostJob storage j = _jobs[id];
        return
            j.status == IJobMarket.JobStatus.Open &&
            block.timestamp <= j.terms.claimDeadline &&
            registry.isActive(j.terms.circuitId);
    }

    function _isReclaimable(uint256 id) private view returns (bool) {
        GhostJob storage j = _jobs[id];
        return
            j.status == IJobMarket.JobStatus.Open &&
            (block.timestamp > j.terms.claimDeadline || !registry.isActive(j.terms.circuitId));
    }

    function _isClaimed(uint256 id) private view returns (bool) {
        return _jobs[id].status == IJobMarket.JobStatus.Claimed;
    }

    function _isSubmittable(uint256 id) private view returns (bool) {
        GhostJob storage j = _jobs[id];
        return
            j.status == IJobMarket.JobStatus.Claimed &&
            block.timestamp <= uint256(j.claimedAt) + j.terms.executionWindow;
    }

    function _isExpired(uint256 id) private view returns (bool) {
        GhostJob storage j = _jobs[id];
        return
            j.status == IJobMarket.JobStatus.Claimed &&
            block.timestamp > uint256(j.claimedAt) + j.terms.executionWindow;
    }

    /// @dev First job satisfying `pred`, scanning every job from a random start.
    function _find(
        uint256 seed,
        function(uint256) view returns (bool) pred
    ) private view returns (bool, uint256) {
        uint256 n = jobIds.length;
        for (uint256 k; k < n; ++k) {
            uint256 id = jobIds[((seed % n) + k) % n];
            if (pred(id)) return (true, id);
        }
        return (false, 0);
    }

    function _findOf(
        address p,
        uint256 seed,
        function(uint256) view returns (bool) pred
    ) private view returns (bool, uint256) {
        uint256 n = jobIds.length;
        for (uint256 k; k < n; ++k) {
            uint256 id = jobIds[((seed % n) + k) % n];
            if (_jobs[id].provider == p && pred(id)) return (true, id);
        }
        return (false, 0);
    }
}

/// @notice Invariants of the whole on-chain half under the handler above, with governance changing
/// parameters, pausing and deactivating circuits in the middle of jobs. `afterInvariant` requires
/// every run to be at least 95% effective handler calls, so each invariant is checked after
/// ≥ 66 × 160 × 0.95 = 10,032 effective calls (in practice all 10,560); each handler call makes
/// one or more protocol calls. `ProtocolCampaignTest` below prints the per-function counts.
/// forge-config: default.invariant.runs = 66
/// forge-config: default.invariant.depth = 160
/// forge-config: default.invariant.fail-on-revert = true
/// @notice The campaign's deployment: the protocol on a token that can skew transfers, the two
/// circuits of the job handler, the batch circuit (3 public signals, always active), the job
/// handler as governance (every role) and the batch handler (pauser of market and staking only, to
/// lift a pause governance left in its way).
abstract contract CampaignSetup is TestBase, Deployer {
    bytes32 internal constant TOGGLED_CIRCUIT = keccak256("toggled-circuit");
    bytes32 internal constant BATCH_CIRCUIT = keccak256("batch-circuit");
    bytes32 internal constant SAMPLING_CIRCUIT = keccak256("sampling-circuit");

    function _setUpCampaign(SkewedToken skewed) internal returns (ProtocolHandler h, BatchHandler b) {
        _deployWith(IERC20(address(skewed)), 250, 5_000, 1_000);
        for (uint256 i; i < 2; ++i) {
            registry.registerCircuit(
                i == 0 ? TOGGLED_CIRCUIT : BATCH_CIRCUIT,
                ICircuitRegistry.Circuit({
                    verifier: address(verifier),
                    selector: registry.snarkjsSelector(3),
                    numPublic: 3,
                    active: true,
                    modelCommitment: bytes32(0),
                    zkeyHash: bytes32(0),
                    wasmHash: bytes32(0),
                    artifactsURI: ""
                })
            );
        }
        h = new ProtocolHandler(skewed, market, CIRCUIT_ID, TOGGLED_CIRCUIT);
        // The job handler is the governance: every admin, pauser and circuit-admin role.
        market.grantRole(market.DEFAULT_ADMIN_ROLE(), address(h));
        market.grantRole(market.PAUSER_ROLE(), address(h));
        staking.grantRole(staking.DEFAULT_ADMIN_ROLE(), address(h));
        staking.grantRole(staking.PAUSER_ROLE(), address(h));
        registry.grantRole(registry.CIRCUIT_ADMIN_ROLE(), address(h));
        registry.registerCircuit(
            SAMPLING_CIRCUIT,
            ICircuitRegistry.Circuit({
                verifier: address(new TrapdoorSamplingVerifier()),
                selector: registry.snarkjsSelector(4),
                numPublic: 4,
                active: true,
                modelCommitment: bytes32(0),
                zkeyHash: bytes32(0),
                wasmHash: bytes32(0),
                artifactsURI: ""
            })
        );
        b = new BatchHandler(skewed, market, IGovernanceRecord(address(h)), BATCH_CIRCUIT, SAMPLING_CIRCUIT);
        market.grantRole(market.PAUSER_ROLE(), address(b));
        staking.grantRole(staking.PAUSER_ROLE(), address(b));
    }
}

/// @notice Invariants of the whole on-chain half under the two handlers above (single jobs and
/// batch jobs sharing the staking contract), with governance changing parameters, pausing and
/// deactivating circuits in the middle of jobs. `afterInvariant` requires every run to be at least
/// 95% effective handler calls, so each invariant is checked after ≥ 66 × 160 × 0.95 = 10,032
/// effective calls (in practice all 10,560); each handler call makes one or more protocol calls.
/// `ProtocolCampaignTest` below prints the per-function counts.
/// forge-config: default.invariant.runs = 66
/// forge-config: default.invariant.depth = 160
/// forge-config: default.invariant.fail-on-revert = true
contract ProtocolInvariantTest is CampaignSetup {
    ProtocolHandler internal handler;
    BatchHandler internal batchHandler;
    SkewedToken internal skewed;

    function setUp() public {
        vm.warp(1_700_000_000);
        skewed = new SkewedToken();
        (handler, batchHandler) = _setUpCampaign(skewed);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](2);
        targets[0] = address(handler);
        targets[1] = address(batchHandler);
    }

    /// After each run: the run was (almost) all effective calls (`ProtocolCampaignTest` prints
    /// what such a sequence does, per protocol function).
    function afterInvariant() public view {
        assertLe(
            (handler.actions() + batchHandler.actions()) * 95,
            (handler.effectiveActions() + batchHandler.effectiveActions()) * 100,
            "effective handler calls >= 95%"
        );
    }

    /// Token balances equal the accounting, exactly: staking holds Σ(stake + unbonding) of the
    /// providers of both markets; the job market holds the max price of every open, claimed or
    /// completed (unpaid) job plus accrued fees; the batch market holds the max price of every
    /// unsettled batch job, the bonds of challenged ones and its accrued treasury shares; nothing
    /// is created or lost.
    function invariant_tokensEqualStakesPlusEscrow() public view {
        uint256 staked;
        for (uint256 i; i < 3; ++i) {
            IComputeStaking.Provider memory p = staking.getProvider(handler.providerAt(i));
            staked += uint256(p.stake) + p.unbonding;
            p = staking.getProvider(batchHandler.providerAt(i));
            staked += uint256(p.stake) + p.unbonding;
        }
        assertEq(staking.totalStaked(), staked, "totalStaked == sum of stakes");
        assertEq(skewed.balanceOf(address(staking)), staked, "staking balance == stakes + unbonding");

        uint256 escrow;
        uint256 n = handler.jobCount();
        for (uint256 k; k < n; ++k) {
            ProtocolHandler.GhostJob memory j = handler.ghost(handler.jobIds(k));
            if (
                j.status == IJobMarket.JobStatus.Open ||
                j.status == IJobMarket.JobStatus.Claimed ||
                j.status == IJobMarket.JobStatus.Completed
            ) {
                escrow += j.terms.maxPrice;
            }
        }
        assertEq(market.totalEscrowed(), escrow, "totalEscrowed == open/claimed/unpaid max prices");
        assertEq(market.accruedFees(), handler.expectedAccrued(), "accrued fees == fees + treasury shares");
        assertEq(
            skewed.balanceOf(address(market)),
            escrow + market.accruedFees(),
            "market balance == escrow + fees"
        );
        assertEq(
            skewed.totalSupply(),
            handler.ghostMinted() + batchHandler.ghostMinted(),
            "no token created or burnt"
        );

        uint256 batchEscrow = _batchEscrow();
        assertEq(batchMarket.totalEscrowed(), batchEscrow, "batch totalEscrowed == unsettled prices + bonds");
        assertEq(batchMarket.accruedFees(), batchHandler.expectedAccrued(), "batch accrued == fees + shares");
        assertEq(
            skewed.balanceOf(address(batchMarket)),
            batchEscrow + batchMarket.accruedFees(),
            "batch market balance == escrow + fees"
        );
    }

    /// Σ maxPrice of unsettled batch jobs + the bonds of challenged ones, from the ghost.
    function _batchEscrow() private view returns (uint256 escrow) {
        uint256 n = batchHandler.jobCount();
        for (uint256 k; k < n; ++k) {
            uint256 id = batchHandler.jobIds(k);
            (IBatchMarket.BatchStatus status, ) = batchHandler.ghostStatus(id);
            IBatchMarket.BatchTerms memory t = batchHandler.ghostTerms(id);
            if (
                status == IBatchMarket.BatchStatus.Paid ||
                status == IBatchMarket.BatchStatus.Cancelled ||
                status == IBatchMarket.BatchStatus.Reclaimed ||
                status == IBatchMarket.BatchStatus.Slashed
            ) continue;
            escrow += t.maxPrice;
            if (status == IBatchMarket.BatchStatus.Challenged) {
                escrow += uint256(t.challengeBond) * batchHandler.ghostRecord(id).challenged.length;
            }
        }
    }

    /// Every actor holds exactly what the protocol's rules (applied to each job's own terms) give
    /// it, and the governance — which changed fees, splits, stakes, jail policy, pauses and circuits
    /// throughout — holds and moved nothing: no role but the protocol moves a token.
    function invariant_onlyTheProtocolMovesTokens() public view {
        for (uint256 i; i < 3; ++i) {
            address r = handler.requesterAt(i);
            address p = handler.providerAt(i);
            assertEq(skewed.balanceOf(r), handler.expectedBalance(r), "requester balance by the rules");
            assertEq(skewed.balanceOf(p), handler.expectedBalance(p), "provider balance by the rules");
        }
        for (uint256 i; i < 3; ++i) {
            address p = batchHandler.providerAt(i);
            assertEq(
                skewed.balanceOf(p),
                batchHandler.expectedBalance(p),
                "batch provider balance by the rules"
            );
            if (i == 2) continue;
            address r = batchHandler.requesterAt(i);
            assertEq(
                skewed.balanceOf(r),
                batchHandler.expectedBalance(r),
                "batch requester balance by the rules"
            );
        }
        address keeper = handler.KEEPER();
        assertEq(skewed.balanceOf(keeper), handler.expectedBalance(keeper), "keeper balance by the rules");
        address batchKeeper = batchHandler.KEEPER();
        assertEq(
            skewed.balanceOf(batchKeeper),
            batchHandler.expectedBalance(batchKeeper),
            "batch keeper balance by the rules"
        );
        assertEq(
            skewed.balanceOf(TREASURY),
            handler.expectedBalance(TREASURY) + batchHandler.expectedBalance(TREASURY),
            "treasury balance by the rules"
        );
        assertEq(skewed.balanceOf(address(handler)), 0, "governance holds nothing");
        assertEq(skewed.balanceOf(address(batchHandler)), 0, "the batch handler holds nothing");
        assertEq(skewed.balanceOf(address(this)), 0, "deployer holds nothing");
    }

    /// Every job's on-chain status is the one the rules predict; a job is proven at most once and
    /// paid at most once; the stored commitment is the job's terms (with the fee and split in
    /// force at its post, as governance had set them), its claimer and its outputs.
    function invariant_jobsFollowTheirTerms() public view {
        uint256 n = handler.jobCount();
        for (uint256 k; k < n; ++k) {
            uint256 id = handler.jobIds(k);
            ProtocolHandler.GhostJob memory j = handler.ghost(id);
            IJobMarket.Job memory job = market.getJob(id);
            assertEq(uint256(job.status), uint256(j.status), "status as the rules predict");
            assertLe(handler.timesProven(id), 1, "proven at most once");
            assertLe(handler.timesPaid(id), 1, "paid at most once");
            bool proven = j.status == IJobMarket.JobStatus.Completed || j.status == IJobMarket.JobStatus.Paid;
            assertEq(handler.timesProven(id), proven ? 1 : 0, "proven iff completed or paid");
            assertEq(
                handler.timesPaid(id),
                j.status == IJobMarket.JobStatus.Paid ? 1 : 0,
                "paid iff collected"
            );
            bytes26 expected;
            if (
                j.status == IJobMarket.JobStatus.Open ||
                j.status == IJobMarket.JobStatus.Cancelled ||
                j.status == IJobMarket.JobStatus.Reclaimed
            ) {
                expected = market.termsCommitment(j.terms);
            } else if (j.status == IJobMarket.JobStatus.Claimed || j.status == IJobMarket.JobStatus.Slashed) {
                expected = market.claimCommitment(j.terms, j.provider);
            } else {
                expected = market.resultCommitment(j.terms, j.provider, j.outputs);
                assertTrue(market.checkResult(id, j.terms, j.provider, j.outputs), "result checkable");
            }
            assertTrue(job.commitment == expected, "commitment == terms (+ claimer, + outputs)");
        }
    }

    /// Every slash took exactly the job's collateral and never more than was locked; a provider's
    /// total slashed never exceeds all collateral it ever locked.
    function invariant_slashedNeverExceedsLocked() public view {
        assertEq(handler.ghostSlashMismatch(), 0, "slash != collateral or above locked");
        for (uint256 i; i < 3; ++i) {
            address p = handler.providerAt(i);
            assertLe(
                staking.getProvider(p).totalSlashed,
                handler.ghostLockedEver(p),
                "totalSlashed <= locked ever"
            );
            p = batchHandler.providerAt(i);
            assertLe(
                staking.getProvider(p).totalSlashed,
                batchHandler.ghostLockedEver(p),
                "batch provider: totalSlashed <= locked ever"
            );
        }
    }

    /// A provider's locked collateral is covered by its stake, and equals the collateral of its
    /// claimed jobs (no leak on any settlement path).
    function invariant_lockedCoveredByStake() public view {
        uint256[3] memory claimedCollateral;
        uint256[3] memory claimedCount;
        uint256 n = handler.jobCount();
        for (uint256 k; k < n; ++k) {
            ProtocolHandler.GhostJob memory j = handler.ghost(handler.jobIds(k));
            if (j.status != IJobMarket.JobStatus.Claimed) continue;
            for (uint256 i; i < 3; ++i) {
                if (j.provider == handler.providerAt(i)) {
                    claimedCollateral[i] += j.terms.collateral;
                    ++claimedCount[i];
                }
            }
        }
        for (uint256 i; i < 3; ++i) {
            IComputeStaking.Provider memory p = staking.getProvider(handler.providerAt(i));
            assertLe(p.locked, uint256(p.stake) + p.unbonding, "locked <= stake + unbonding");
            assertEq(p.locked, claimedCollateral[i], "locked == collateral of claimed jobs");
            assertEq(p.openJobs, claimedCount[i], "openJobs == claimed jobs");
        }
        _batchLockedCoveredByStake();
    }

    /// The same for the batch market's providers: a batch job holds its collateral from its claim
    /// until it is paid or slashed.
    function _batchLockedCoveredByStake() private view {
        uint256[3] memory collateral;
        uint256[3] memory count;
        uint256 n = batchHandler.jobCount();
        for (uint256 k; k < n; ++k) {
            uint256 id = batchHandler.jobIds(k);
            (IBatchMarket.BatchStatus s, ) = batchHandler.ghostStatus(id);
            if (
                s != IBatchMarket.BatchStatus.Claimed &&
                s != IBatchMarket.BatchStatus.Committed &&
                s != IBatchMarket.BatchStatus.Sampled &&
                s != IBatchMarket.BatchStatus.Proven &&
                s != IBatchMarket.BatchStatus.Challenged
            ) continue;
            address provider = batchHandler.ghostProvider(id);
            for (uint256 i; i < 3; ++i) {
                if (provider == batchHandler.providerAt(i)) {
                    collateral[i] += batchHandler.ghostTerms(id).collateral;
                    ++count[i];
                }
            }
        }
        for (uint256 i; i < 3; ++i) {
            IComputeStaking.Provider memory p = staking.getProvider(batchHandler.providerAt(i));
            assertLe(p.locked, uint256(p.stake) + p.unbonding, "batch: locked <= stake + unbonding");
            assertEq(p.locked, collateral[i], "batch: locked == collateral of unsettled batch jobs");
            assertEq(p.openJobs, count[i], "batch: openJobs == unsettled batch jobs");
        }
    }

    /// Every batch job's on-chain status is the one the rules predict, its commitment is its terms
    /// (with the economics in force at its post) and record; a batch job is paid at most once, and
    /// exactly when its status is Paid.
    function invariant_batchJobsFollowTheirTerms() public view {
        uint256 n = batchHandler.jobCount();
        for (uint256 k; k < n; ++k) {
            uint256 id = batchHandler.jobIds(k);
            (IBatchMarket.BatchStatus status, IBatchMarket.BatchStatus slashedFrom) = batchHandler
                .ghostStatus(id);
            IBatchMarket.Batch memory job = batchMarket.getBatch(id);
            assertEq(uint256(job.status), uint256(status), "batch status as the rules predict");
            IBatchMarket.BatchStatus committedAs =
                status == IBatchMarket.BatchStatus.Slashed ? slashedFrom : status;
            assertTrue(
                job.commitment ==
                    batchMarket.commitmentOf(
                        batchHandler.ghostTerms(id),
                        committedAs,
                        batchHandler.ghostRecord(id)
                    ),
                "batch commitment == terms + record"
            );
            assertEq(
                batchHandler.timesPaid(id),
                status == IBatchMarket.BatchStatus.Paid ? 1 : 0,
                "batch paid once iff Paid"
            );
        }
    }
}

/// @notice One long deterministic campaign through the same handler (every action drawn from a
/// seeded sequence, governance changes included), printing how many times each protocol function
/// was really called and how many jobs ended in each status — what the invariant runs above do,
/// made visible — and requiring that every action and every job status is reached many times.
contract ProtocolCampaignTest is CampaignSetup {
    uint256 internal constant CALLS = 700;

    /// The campaign's sampling-circuit verifier runs a real pairing check: the trapdoor proof of
    /// signals x verifies, the same proof for x with any one signal changed does not, and neither
    /// does a signal outside the field.
    function test_trapdoorSamplingVerifier_acceptsItsSignalsOnly() public {
        TrapdoorSamplingVerifier v = new TrapdoorSamplingVerifier();
        uint256[4] memory x = [uint256(123), 456, 789, 5 | (6 << 3) | (6 << 6)];
        uint256[5] memory u = [uint256(2), 3, 5, 7, 11];
        uint256 l = u[0];
        for (uint256 j; j < 4; ++j) l = addmod(l, mulmod(u[j + 1], x[j], ProtocolBounds.R), ProtocolBounds.R);
        (bool ok, bytes memory out) = address(0x07).staticcall(
            abi.encode(uint256(1), uint256(2), addmod(addmod(11, l, ProtocolBounds.R), 1, ProtocolBounds.R))
        );
        assertTrue(ok, "ecMul");
        (uint256 ax, uint256 ay) = abi.decode(out, (uint256, uint256));
        uint256[2] memory a = [ax, ay];
        uint256[2][2] memory b = [[G2_X_IM, G2_X_RE], [G2_Y_IM, G2_Y_RE]];
        uint256[2] memory c = [uint256(1), 2];
        assertTrue(v.verifyProof(a, b, c, x), "its own signals verify");
        for (uint256 j; j < 4; ++j) {
            uint256[4] memory y = [x[0], x[1], x[2], x[3]];
            y[j] += 1;
            assertTrue(!v.verifyProof(a, b, c, y), "another signal does not");
        }
        x[3] = ProtocolBounds.R;
        assertTrue(!v.verifyProof(a, b, c, x), "a signal outside the field does not");
    }

    function test_campaign_reachesEveryStateWithEffectiveCalls() public {
        vm.warp(1_700_000_000);
        SkewedToken skewed = new SkewedToken();
        (ProtocolHandler h, BatchHandler b) = _setUpCampaign(skewed);

        for (uint256 i; i < CALLS; ++i) _dispatch(h, b, uint256(keccak256(abi.encode("campaign", i))));

        console.log(
            string.concat(
                "campaign: ",
                _str(h.effectiveActions()),
                " of ",
                _str(h.actions()),
                " handler calls effective; protocol calls by function:"
            )
        );
        string[] memory names = h.callNames();
        for (uint256 i; i < names.length; ++i) {
            console.log(string.concat("  ", names[i], ": ", _str(h.calls(names[i]))));
            assertLe(10, h.calls(names[i]), string.concat(names[i], " called at least 10 times"));
        }
        assertEq(names.length, 19, "every protocol and governance function exercised");
        assertLe(h.actions() * 95, h.effectiveActions() * 100, "effective handler calls >= 95%");

        uint256[8] memory byStatus;
        for (uint256 k; k < h.jobCount(); ++k) ++byStatus[uint256(market.getJob(h.jobIds(k)).status)];
        string[8] memory statusNames = [
            "None",
            "Open",
            "Claimed",
            "Completed",
            "Cancelled",
            "Reclaimed",
            "Slashed",
            "Paid"
        ];
        console.log(string.concat("jobs: ", _str(h.jobCount()), " posted; by final status:"));
        for (uint256 st = 1; st < 8; ++st) {
            console.log(string.concat("  ", statusNames[st], ": ", _str(byStatus[st])));
        }
        // Open and Claimed are transient (drained by the campaign's own settling); the final
        // states must each hold many jobs.
        for (uint256 st = 3; st < 8; ++st) {
            assertLe(5, byStatus[st], string.concat(statusNames[st], ": at least 5 jobs end there"));
        }
        _reportBatch(b);
    }

    /// Prints the batch handler's protocol calls and the batch jobs per final status, and requires
    /// every batch function and every final status to be reached.
    function _reportBatch(BatchHandler b) private view {
        console.log(
            string.concat(
                "batch: ",
                _str(b.effectiveActions()),
                " of ",
                _str(b.actions()),
                " handler calls effective; protocol calls by function:"
            )
        );
        string[] memory names = b.callNames();
        for (uint256 i; i < names.length; ++i) {
            console.log(string.concat("  ", names[i], ": ", _str(b.calls(names[i]))));
            assertLe(5, b.calls(names[i]), string.concat(names[i], " called at least 5 times"));
        }
        assertEq(names.length, 14, "every batch function exercised (both proof systems)");
        assertLe(b.actions() * 95, b.effectiveActions() * 100, "batch: effective handler calls >= 95%");
        uint256[11] memory byStatus;
        for (uint256 k; k < b.jobCount(); ++k) ++byStatus[uint256(batchMarket.getBatch(b.jobIds(k)).status)];
        string[11] memory statusNames = [
            "None",
            "Open",
            "Claimed",
            "Committed",
            "Sampled",
            "Proven",
            "Challenged",
            "Paid",
            "Cancelled",
            "Reclaimed",
            "Slashed"
        ];
        console.log(string.concat("batch jobs: ", _str(b.jobCount()), " posted; by final status:"));
        for (uint256 st = 1; st < 11; ++st) {
            console.log(string.concat("  ", statusNames[st], ": ", _str(byStatus[st])));
        }
        for (uint256 st = 7; st < 11; ++st) {
            assertLe(
                3,
                byStatus[st],
                string.concat("batch ", statusNames[st], ": at least 3 jobs end there")
            );
        }
    }

    /// Draws one handler action from `r` (weights roughly those of the fuzzer's uniform choice:
    /// about a third batch actions).
    function _dispatch(ProtocolHandler h, BatchHandler bh, uint256 r) private {
        uint256 a = uint256(keccak256(abi.encode(r, "a")));
        uint256 b = uint256(keccak256(abi.encode(r, "b")));
        if (uint256(keccak256(abi.encode(r, "market"))) % 3 == 0) {
            _dispatchBatch(bh, r, a, b);
            return;
        }
        uint256 which = r % 21;
        if (which == 0) h.postJob(a, b);
        else if (which == 1) h.claim(a, b);
        else if (which == 2) h.submit(a, b);
        else if (which == 3) h.collect(a, b);
        else if (which == 4) h.cancel(a, b);
        else if (which == 5) h.reclaim(a, b);
        else if (which == 6) h.slashExpired(a, b);
        else if (which == 7) h.stake(a, b);
        else if (which == 8) h.requestUnstake(a, b);
        else if (which == 9) h.withdraw(a, b);
        else if (which == 10) h.withdrawFees(a, b);
        else if (which == 11) h.skewedDeposit(a, b, int16(int256(b % 20_000)) - 10_000, a % 2 == 0);
        else if (which == 12) h.warp(a);
        else if (which == 13) h.govSetFee(a);
        else if (which == 14) h.govSetSlashSplit(a, b);
        else if (which == 15) h.govSetMinStake(a);
        else if (which == 16) h.govSetJailPolicy(a, b);
        else if (which == 17) h.govTogglePause(a % 2 == 0);
        else if (which == 18) h.govToggleCircuit();
        else if (which == 19) h.claim(a, b);
        else h.submit(a, b);
    }

    function _dispatchBatch(BatchHandler bh, uint256 r, uint256 a, uint256 b) private {
        uint256 which = r % 12;
        if (which == 0) bh.post(a, b);
        else if (which == 1) bh.cancel(a, b);
        else if (which == 2) bh.reclaim(a, b);
        else if (which == 3) bh.claim(a, b);
        else if (which == 4) bh.commit(a, b);
        else if (which == 5) bh.sample(a);
        else if (which == 6) bh.prove(a);
        else if (which == 7) bh.challenge(a, b);
        else if (which == 8) bh.answer(a, b);
        else if (which == 9) bh.settle(a);
        else if (which == 10) bh.slashExpired(a, b);
        else bh.withdrawFees(a, b);
    }
}
