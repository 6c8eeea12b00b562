pragma circom 2.1.6;

// The job binding + commitment gadget on its own: proves knowledge of `nBytes` bytes whose packed
// Poseidon commitment is the public `inputCommitment`, for the public `jobKey`.
// Public signals, in order: [jobKey, inputCommitment]. (snarkjs orders public signals as main's
// outputs first, then public inputs in declaration order; job circuits therefore declare every
// public signal as an input, jobKey first, so the order is the one the market builds.)

include "lib/commitment.circom";

template BindingTest(nBytes) {
    signal input jobKey;
    signal input inputCommitment;
    signal input bytes[nBytes];

    component binding = JobBinding();
    binding.jobKey <== jobKey;

    component commit = PackedBytesCommitment(nBytes);
    for (var i = 0; i < nBytes; i++) commit.bytes[i] <== bytes[i];
    commit.commitment === inputCommitment;
}

component main {public [jobKey, inputCommitment]} = BindingTest(62);
