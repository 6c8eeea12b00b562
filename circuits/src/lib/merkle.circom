pragma circom 2.1.6;

// Fixed-depth binary Poseidon Merkle trees (batch jobs' sampling circuits, docs/BATCH.md "Design 2").
// Must match sdk/sampling.ts bit for bit: node = Poseidon(left, right), empty leaves 0.

include "circomlib/circuits/poseidon.circom";

// The root of the tree holding `leaf` at the position whose bits (least significant first: bit d
// is 1 when the node at level d is a right child) are `bits`, given the siblings along the path.
// The caller makes `bits` boolean (Num2Bits): a non-boolean bit would select a blend of the two
// children. Two constraints per level besides the hash: the selection `left` (one product) and
// `right` (linear).
template MerkleRoot(DEPTH) {
    signal input leaf;
    signal input bits[DEPTH];
    signal input siblings[DEPTH];
    signal output root;

    component h[DEPTH];
    signal cur[DEPTH + 1];
    signal left[DEPTH];
    signal right[DEPTH];
    cur[0] <== leaf;
    for (var d = 0; d < DEPTH; d++) {
        left[d] <== cur[d] + bits[d] * (siblings[d] - cur[d]);
        right[d] <== siblings[d] + cur[d] - left[d];
        h[d] = Poseidon(2);
        h[d].inputs[0] <== left[d];
        h[d].inputs[1] <== right[d];
        cur[d + 1] <== h[d].out;
    }
    root <== cur[DEPTH];
}
