/**
 * Sharp forgeries against a generated model circuit, and the constraint deletions (mutations) that
 * each one targets. A forgery is a witness consistent everywhere except one gadget instance (see
 * witness.ts); `runForgery` reports which constraints reject it. Soundness tests assert that it is
 * rejected and only by constraints of the targeted gadget instance; the mutation check
 * (circuits/mutation-check.ts) rebuilds the circuit with the targeted constraint deleted and shows
 * the same forgery is then ACCEPTED — i.e. the matching test would fail, so the test is sharp.
 */
import { packBytes } from "../../sdk/commitment.ts";
import { inputSize, type ModelArtifactV2 } from "../../sdk/model/format.ts";
import { modelCircuitInput } from "../../sdk/model/circuit-input.ts";
import { calculateWitness, parseWtns } from "../../worker/prover/wtns.ts";
import { generateCircuit } from "../model-gen.ts";
import { compileScratch, type Mutation, type ScratchBuild } from "./compile.ts";
import { constraintWires, failingConstraints, readR1cs, readSym } from "./r1cs.ts";
import { bitsOf, forcedBits, modelSignals, overlayWitness, type Tamper } from "./witness.ts";

/** The constraint deletions, one per guarded property. */
export const MUTATIONS = {
  byteRange: {
    id: "byteRange",
    removes: "the 8-bit range check of the input bytes (PackedBytesCommitment's Bytes component)",
    file: "lib/commitment.circom",
    find: "    component range = Bytes(nBytes);\n    for (var i = 0; i < nBytes; i++) range.in[i] <== bytes[i];\n",
    replace: "",
  },
  remainderRange: {
    id: "remainderRange",
    removes: "RequantRelu's remainder range check (r < 2^SHIFT)",
    file: "lib/mlp.circom",
    find: "        component rBits = Num2Bits(SHIFT);\n        rBits.in <== r;\n",
    replace: "",
  },
  quotientLink: {
    id: "quotientLink",
    removes: "the link between RequantRelu's quotient and its bit decomposition (range + ReLU sign)",
    file: "lib/mlp.circom",
    find: "    qBits.in <== q;\n",
    replace: "    qBits.in <-- q;\n",
  },
  maxDecomposition: {
    id: "maxDecomposition",
    removes: "the link between Max2's difference a − b + 2^W and its bit decomposition (the selector)",
    file: "lib/model.circom",
    find: "    bits.in <== a - b + 2 ** W;\n",
    replace: "    bits.in <-- a - b + 2 ** W;\n",
  },
  outputEquality: {
    id: "outputEquality",
    removes: "the equality between the public outputs and the packed last-layer values",
    file: "main",
    find: "            outputs[b * E + e] === pack[b][e].out;\n",
    replace: "",
  },
} as const satisfies Record<string, Mutation>;

export type MutationId = keyof typeof MUTATIONS;

export interface ForgeryContext {
  artifact: ModelArtifactV2;
  /** one sample's input bytes (batch 1) */
  bytes: Uint8Array;
}

export interface Forgery {
  id: string;
  /** what the forgery claims, in words */
  claim: string;
  /** the constraint deletion that lets it through */
  mutation: MutationId;
  /** signal-name prefixes of the gadget instance that must be the only one to object */
  target: string[];
  tamper: Tamper;
}

/**
 * Byte range: move 256 from one pixel to its neighbour inside the same packed element (bytes i and
 * i+1 become v_i + 256 and v_{i+1} − 1), so the packed commitment is unchanged; byte i's bits are
 * the attacker's best decomposition of v_i + 256.
 */
export function byteMoveForgery(ctx: ForgeryContext, i: number): Forgery {
  if (i % 31 === 30 || ctx.bytes[i + 1]! < 1)
    throw new Error(`pixel ${i}: needs a non-zero right neighbour in its element`);
  return {
    id: `byteMove@${i}`,
    claim: `pixel ${i} holds ${ctx.bytes[i]! + 256} and pixel ${i + 1} one less: same packed commitment`,
    mutation: "byteRange",
    target: [`main.commit.range.n2b[${i}].`, `main.commit.range.bits[${i}][`],
    tamper: {
      bytes: (h) => h.map((v, k) => (k === i ? v + 256n : k === i + 1 ? v - 1n : v)),
      byteBits: (k, v) => (k === i ? forcedBits(v, 8) : undefined),
    },
  };
}

/** Remainder: move one unit of 2^shift from the remainder into the quotient of one requant. */
export function remainderForgery(layer: number, index: number): Forgery {
  return {
    id: `remainder@${layer}:${index}`,
    claim: `requant ${layer}[${index}]: quotient + 1 and remainder − 2^shift (the output is one more)`,
    mutation: "remainderRange",
    target: [`main.rq${layer}[0][${index}].`],
    tamper: {
      requant: (s, h) => {
        if (s.layer !== layer || s.index !== index || s.sample !== 0) return undefined;
        if (s.shift === 0) throw new Error("remainder forgery needs a shift");
        const q = h.q + 1n;
        const r = h.r - (1n << BigInt(s.shift));
        const qBits = bitsOf(q, s.bits - s.shift);
        const qoff = 1n << BigInt(s.bits - 1 - s.shift);
        return {
          q,
          r,
          qBits,
          rBits: forcedBits(r, s.shift),
          out: s.relu ? qBits.at(-1)! * (q - qoff) : q - qoff,
        };
      },
    },
  };
}

/** ReLU sign: claim a positive activation is negative (output 0) by clearing the quotient's top bit. */
export function reluSignForgery(layer: number, index: number): Forgery {
  return {
    id: `reluSign@${layer}:${index}`,
    claim: `requant ${layer}[${index}]: a positive activation reported as 0`,
    mutation: "quotientLink",
    target: [`main.rq${layer}[0][${index}].`],
    tamper: {
      requant: (s, h) => {
        if (s.layer !== layer || s.index !== index || s.sample !== 0) return undefined;
        const n = s.bits - s.shift;
        if (!s.relu || h.qBits[n - 1] !== 1n || h.out === 0n) throw new Error("needs a positive ReLU output");
        const qIn = h.q - (1n << BigInt(n - 1));
        return { ...h, qBits: bitsOf(qIn, n), out: 0n, qIn };
      },
    },
  };
}

/** Max: report the smaller of two window values as their max. */
export function wrongMaxForgery(layer: number, index: number, tap: number): Forgery {
  return {
    id: `wrongMax@${layer}:${index}:${tap}`,
    claim: `max pool ${layer}[${index}] tap ${tap}: the smaller value reported as the max`,
    mutation: "maxDecomposition",
    target: [`main.mx${layer}[0][${index}][${tap - 1}].`],
    tamper: {
      max: (s) => {
        if (s.layer !== layer || s.index !== index || s.tap !== tap || s.sample !== 0) return undefined;
        if (s.a === s.b) throw new Error("needs two different values");
        // flip the selector: the decomposition of d ∓ 2^W (valid bits), out = the other value
        const d = s.a - s.b + (1n << BigInt(s.width));
        const flipped = s.a > s.b ? d - (1n << BigInt(s.width)) : d + (1n << BigInt(s.width));
        return { bits: bitsOf(flipped, s.width + 1), out: s.a > s.b ? s.b : s.a, bitsIn: flipped };
      },
    },
  };
}

/** Output: claim a different packed output than the computed one (first value + 1). */
export function wrongOutputForgery(): Forgery {
  return {
    id: "wrongOutput",
    claim: "the public output says the first logit is one more than computed",
    mutation: "outputEquality",
    target: ["main.outputs["],
    tamper: { outputs: (h) => h.map((v, i) => (i === 0 ? v + 1n : v)) },
  };
}

export interface ForgeryResult {
  /** indices of violated constraints (−1: wire 0 ≠ 1) */
  failing: number[];
  /** failing constraints that touch no signal of the target gadget instance */
  outsideTarget: number[];
  /** names of the wires of the first failing constraint (diagnostics) */
  firstWires: string[];
}

/** Builds `f` against a scratch build of the artifact's circuit (batch 1) and checks it. */
export async function runForgery(
  ctx: ForgeryContext,
  build: ScratchBuild,
  f: Forgery,
): Promise<ForgeryResult> {
  const ci = await modelCircuitInput(ctx.artifact, 1, { jobKey: 77n, bytes: ctx.bytes });
  const honest = parseWtns(await calculateWitness(build.wasm, ci.input)).values;
  const { byName, byWire } = readSym(build.sym);
  const w = overlayWitness(honest, byName, modelSignals(ctx.artifact, 1, ctx.bytes, f.tamper));
  const r1cs = readR1cs(build.r1cs);
  const failing = failingConstraints(r1cs, w);
  const touches = (c: number): boolean =>
    c >= 0 &&
    constraintWires(r1cs, c).some((wire) =>
      (byWire.get(wire) ?? []).some((n) => f.target.some((t) => n.startsWith(t))),
    );
  const first = failing[0];
  return {
    failing,
    outsideTarget: failing.filter((c) => !touches(c)),
    firstWires:
      first === undefined || first < 0
        ? []
        : constraintWires(r1cs, first).flatMap((x) => byWire.get(x) ?? [`#${x}`]),
  };
}

/** Honest check: the mirror reproduces the wasm witness on every modelled wire. */
export async function mirrorMismatches(ctx: ForgeryContext, build: ScratchBuild): Promise<string[]> {
  const ci = await modelCircuitInput(ctx.artifact, 1, { jobKey: 77n, bytes: ctx.bytes });
  const honest = parseWtns(await calculateWitness(build.wasm, ci.input)).values;
  const { byName } = readSym(build.sym);
  const bad: string[] = [];
  let matched = 0;
  for (const [name, v] of modelSignals(ctx.artifact, 1, ctx.bytes)) {
    const wire = byName.get(name);
    if (wire === undefined) continue;
    matched++;
    if (honest[wire] !== v) bad.push(`${name}: wasm ${honest[wire]} mirror ${v}`);
  }
  if (matched === 0) bad.push("no modelled signal is a witness wire");
  return bad;
}

/** The generated source of an artifact at batch 1, optionally mutated. */
export function scratchSource(a: ModelArtifactV2): string {
  return generateCircuit(a, { batch: 1 });
}

/** Same packed elements before and after the byte move (sanity for the byte forgery). */
export function packedEqual(a: Uint8Array | bigint[], b: bigint[]): boolean {
  const pa = a instanceof Uint8Array ? packBytes(a) : packBigints(a);
  const pb = packBigints(b);
  return pa.length === pb.length && pa.every((v, i) => v === pb[i]);
}

function packBigints(v: bigint[]): bigint[] {
  const out: bigint[] = [];
  for (let k = 0; k < v.length; k += 31) {
    let acc = 0n;
    for (let i = Math.min(k + 31, v.length) - 1; i >= k; i--) acc = acc * 256n + v[i]!;
    out.push(acc);
  }
  return out;
}

export { compileScratch, inputSize };
