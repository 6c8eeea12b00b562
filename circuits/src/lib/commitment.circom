pragma circom 2.1.6;

// Job binding and input commitment gadgets shared by every proofwork job circuit.
// The packing and hashing here must match sdk/commitment.ts bit for bit (docs/ARCHITECTURE.md).

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";

// Binds a public job key into the proof. jobKey is otherwise unused by the computation; without a
// constraint touching it, a prover could claim any jobKey for the same witness (the Groth16 proof
// would not depend on it being a specific value). Squaring it into a dummy signal makes it part of
// the constraint system, Semaphore-style, so a proof for one (chain, market, job, provider) cannot
// be replayed for another.
template JobBinding() {
    signal input jobKey;
    signal jobKeySquared;
    jobKeySquared <== jobKey * jobKey;
}

// Range-checks each input byte to [0, 256) and exposes its bits (reused by circuits that need them).
// Num2Bits(8) forces `in == Σ bits[i]·2^i` with each bit boolean, so any value ≥ 256 (including
// field elements near the modulus) has no satisfying assignment.
template Bytes(nBytes) {
    signal input in[nBytes];
    signal output bits[nBytes][8];
    component n2b[nBytes];
    for (var i = 0; i < nBytes; i++) {
        n2b[i] = Num2Bits(8);
        n2b[i].in <== in[i];
        for (var j = 0; j < 8; j++) bits[i][j] <== n2b[i].out[j];
    }
}

// Poseidon chain over `n` field elements: h = Poseidon(e[0..16)), then h = Poseidon([h, next ≤15])
// for each following chunk.
template PoseidonChain(n) {
    signal input in[n];
    signal output out;

    var first = n < 16 ? n : 16;
    var nRest = n - first;
    var nChunks = (nRest + 14) \ 15;

    component head = Poseidon(first);
    for (var i = 0; i < first; i++) head.inputs[i] <== in[i];

    component link[nChunks];
    signal acc[nChunks + 1];
    acc[0] <== head.out;
    for (var c = 0; c < nChunks; c++) {
        var start = first + 15 * c;
        var len = n - start < 15 ? n - start : 15;
        link[c] = Poseidon(len + 1);
        link[c].inputs[0] <== acc[c];
        for (var i = 0; i < len; i++) link[c].inputs[i + 1] <== in[start + i];
        acc[c + 1] <== link[c].out;
    }
    out <== acc[nChunks];
}

// Commitment to `nBytes` input bytes: each byte range-checked to 8 bits, bytes packed 31 per field
// element little-endian (248 bits < 254, so packing is injective), then a Poseidon chain.
// Packing is a linear combination: it costs no constraints.
template PackedBytesCommitment(nBytes) {
    signal input bytes[nBytes];
    signal output commitment;

    // Range check: every byte is in [0, 256).
    component range = Bytes(nBytes);
    for (var i = 0; i < nBytes; i++) range.in[i] <== bytes[i];

    var nElems = (nBytes + 30) \ 31;
    component chain = PoseidonChain(nElems);
    for (var k = 0; k < nElems; k++) {
        var lc = 0;
        var mul = 1;
        for (var i = 31 * k; i < 31 * k + 31 && i < nBytes; i++) {
            lc += bytes[i] * mul;
            mul *= 256;
        }
        chain.in[k] <== lc;
    }
    commitment <== chain.out;
}
