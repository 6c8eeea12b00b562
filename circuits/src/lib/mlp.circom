pragma circom 2.1.6;

// Quantized MLP gadgets. The arithmetic they enforce is sdk/quant.ts exactly:
//   acc = W·x + b  (constant int8 weights, integer biases)
//   y   = floor(acc / 2^SHIFT), then max(y, 0) when RELU
//   packed = Σ_k (logit_k + 2^(OUT_BITS-1)) · 2^(OUT_BITS·k)
// Weights and biases are compile-time constants (template parameters), so a dense layer is a set
// of linear combinations and costs no multiplication constraint; all the cost is in the range
// checks that make rescaling and ReLU sound.
//
// Soundness relies on static bounds computed by circuits/mlp-gen.ts from the weights (sdk/model.ts
// `modelBounds`): given inputs in [0, 256) (range-checked once, by PackedBytesCommitment), every
// accumulator of neuron j is an integer with |acc| < 2^(BITS[j]-1), far below the field modulus, so
// the integer equations below hold over the integers and have exactly one solution.

include "circomlib/circuits/bitify.circom";

// Signed floor division by 2^SHIFT with both quotient and remainder range-checked, then optional
// ReLU, for an accumulator known (statically) to satisfy -2^(BITS-1) <= acc < 2^(BITS-1).
//
//   A = acc + 2^(BITS-1)          in [0, 2^BITS): shift to non-negative (no constraint, linear)
//   A = q · 2^SHIFT + r            (constraint, linear)
//   r in [0, 2^SHIFT)             (Num2Bits(SHIFT): SHIFT boolean constraints)
//   q in [0, 2^(BITS-SHIFT))      (Num2Bits(BITS-SHIFT): BITS-SHIFT boolean constraints)
// Since A < 2^BITS ≪ p, these force q = floor(A / 2^SHIFT) and r = A mod 2^SHIFT: a prover cannot
// move value between q and r (r is bounded), nor pick q off by a multiple of p/2^SHIFT (q is
// bounded). Checking only r (as some public circom ML code does, with an assert) is unsound.
// floor(acc / 2^SHIFT) = q - 2^(BITS-1-SHIFT), because 2^(BITS-1) is a multiple of 2^SHIFT.
//
// ReLU: floor(acc / 2^SHIFT) >= 0  ⇔  q >= 2^(BITS-1-SHIFT)  ⇔  the top bit of q is 1 (q < 2^(BITS-SHIFT)).
// So out = topBit · (q - 2^(BITS-1-SHIFT)): one multiplication constraint, reusing q's bits — a
// BITS-bit comparison rather than a 254-bit one.
template RequantRelu(BITS, SHIFT, RELU) {
    signal input acc;
    signal output out;

    assert(BITS >= 1 && SHIFT >= 0 && BITS - 1 >= SHIFT && BITS <= 250);
    var OFFSET = 2 ** (BITS - 1);
    var QOFFSET = 2 ** (BITS - 1 - SHIFT);

    signal q;
    signal r;
    // Hints (not constraints): the witness generator computes them; the constraints below check them.
    q <-- (acc + OFFSET) \ (2 ** SHIFT);
    r <-- (acc + OFFSET) % (2 ** SHIFT);

    // Division identity.
    acc + OFFSET === q * (2 ** SHIFT) + r;

    // Remainder range: r < 2^SHIFT (a zero shift forces r = 0).
    if (SHIFT > 0) {
        component rBits = Num2Bits(SHIFT);
        rBits.in <== r;
    } else {
        r === 0;
    }

    // Quotient range: q < 2^(BITS-SHIFT); its top bit is the sign of floor(acc / 2^SHIFT).
    component qBits = Num2Bits(BITS - SHIFT);
    qBits.in <== q;

    if (RELU == 1) {
        out <== qBits.out[BITS - SHIFT - 1] * (q - QOFFSET);
    } else {
        out <== q - QOFFSET;
    }
}

// One dense layer with constant weights W[N_OUT][N_IN] and biases B[N_OUT], rescaled by 2^SHIFT,
// optional ReLU. BITS[j] is neuron j's static accumulator width (see RequantRelu).
// When SHIFT == 0 and RELU == 0 (the logits layer) the output is the accumulator itself: a linear
// combination of already-constrained signals, which needs no range check because its bound
// follows from the bounds on its inputs.
template DenseLayer(N_IN, N_OUT, W, B, SHIFT, RELU, BITS) {
    signal input in[N_IN];
    signal output out[N_OUT];

    component rq[N_OUT];
    for (var j = 0; j < N_OUT; j++) {
        // acc_j = Σ_i W[j][i]·in[i] + B[j]: constant coefficients, so a linear combination (free).
        var acc = B[j];
        for (var i = 0; i < N_IN; i++) {
            if (W[j][i] != 0) acc += W[j][i] * in[i];
        }
        if (SHIFT == 0 && RELU == 0) {
            out[j] <== acc;
        } else {
            rq[j] = RequantRelu(BITS[j], SHIFT, RELU);
            rq[j].acc <== acc;
            out[j] <== rq[j].out;
        }
    }
}

// Packs N signed values, each statically known to satisfy -2^(BITS-1) <= v < 2^(BITS-1), into one
// field element: Σ_k (v_k + 2^(BITS-1)) · 2^(BITS·k). Requires N·BITS <= 253 so the packing is
// injective (no wrap modulo p). Linear: no constraint beyond the equality the caller writes.
template PackSigned(N, BITS) {
    signal input in[N];
    signal output out;

    assert(N * BITS <= 253);
    var packed = 0;
    for (var k = 0; k < N; k++) packed += (in[k] + 2 ** (BITS - 1)) * 2 ** (BITS * k);
    out <== packed;
}
