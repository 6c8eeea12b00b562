pragma circom 2.1.6;

// Gadgets for proofwork-qmodel-v2 job circuits (circuits/model-gen.ts) beyond the dense/requant ones
// of lib/mlp.circom. The arithmetic they enforce is sdk/model/reference.ts exactly.

include "circomlib/circuits/bitify.circom";

// out = max(a, b) for values statically known to satisfy |a - b| < 2^W (both in [lo, hi] with
// hi - lo < 2^W, from the artifact's static bounds): no 254-bit comparator.
//
//   d = a - b + 2^W                lies in (0, 2^(W+1)) over the integers, far below p
//   d = Σ_{i<=W} bits[i] · 2^i     (Num2Bits(W+1): W+1 boolean constraints; the sum is linear)
//   sel = bits[W]                  = 1 iff d >= 2^W iff a >= b (d < 2^(W+1) forces this bit)
//   out = b + sel · (a - b)        (one multiplication)
// A prover claiming the smaller value must flip sel, and then no boolean assignment of the other
// W bits sums to d (their sum would be >= 2^W or < 0): the decomposition rejects it.
template Max2(W) {
    signal input a;
    signal input b;
    signal output out;

    assert(W >= 1 && W <= 250);
    component bits = Num2Bits(W + 1);
    bits.in <== a - b + 2 ** W;
    out <== bits.out[W] * (a - b) + b;
}
