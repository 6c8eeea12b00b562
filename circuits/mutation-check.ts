/**
 * Mutation check for the soundness tests (rerunnable):
 *
 *   npx tsx circuits/mutation-check.ts [--model path/to/artifact.qmodel.json]
 *
 * For each guarded property it builds the circuit twice — as generated, and in a scratch build
 * with the guarding constraint deleted (circuits/soundness/forgeries.ts MUTATIONS) — and runs the
 * sharp forgery that the soundness tests use. A test is sharp when its forgery is rejected by the
 * real circuit (only by the targeted gadget) and ACCEPTED by the mutant: deleting the constraint
 * makes the matching test fail. Default model: the tiny test CNN (every gadget kind), generated
 * from test/model/fixtures.ts. Exit code 1 when any mutation goes unnoticed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadArtifact } from "../sdk/node/model-files.ts";
import type { ModelArtifactV2 } from "../sdk/model/format.ts";
import { compileScratch } from "./soundness/compile.ts";
import {
  MUTATIONS,
  runForgery,
  scratchSource,
  type Forgery,
  type ForgeryContext,
} from "./soundness/forgeries.ts";
import { circuitName } from "./model-gen.ts";

export interface MutationRow {
  forgery: string;
  mutation: string;
  removes: string;
  /** constraints rejecting the forgery in the real circuit */
  realFailing: number;
  /** of those, how many lie outside the targeted gadget instance */
  outsideTarget: number;
  /** constraints rejecting it once the guarding constraint is deleted (0 = the test would fail) */
  mutantFailing: number;
  sharp: boolean;
}

export async function mutationCheck(
  ctx: ForgeryContext,
  forgeries: Forgery[],
  log = (_: string) => {},
): Promise<MutationRow[]> {
  const name = circuitName(ctx.artifact, 1);
  const source = scratchSource(ctx.artifact);
  const real = await compileScratch(name, source);
  const rows: MutationRow[] = [];
  for (const f of forgeries) {
    const m = MUTATIONS[f.mutation];
    const r = await runForgery(ctx, real, f);
    const mutant = await compileScratch(name, source, m);
    const mr = await runForgery(ctx, mutant, f);
    const row: MutationRow = {
      forgery: f.id,
      mutation: m.id,
      removes: m.removes,
      realFailing: r.failing.length,
      outsideTarget: r.outsideTarget.length,
      mutantFailing: mr.failing.length,
      sharp: r.failing.length > 0 && r.outsideTarget.length === 0 && mr.failing.length === 0,
    };
    log(
      `${row.sharp ? "SHARP " : "BLUNT "} ${f.id.padEnd(22)} real circuit: ${row.realFailing} failing (${row.outsideTarget} outside target) | without ${m.id}: ${row.mutantFailing} failing`,
    );
    rows.push(row);
  }
  return rows;
}

/** The standard forgery set for an artifact and sample (sites chosen from the honest trace). */
export async function standardForgeries(ctx: ForgeryContext): Promise<Forgery[]> {
  const F = await import("./soundness/forgeries.ts");
  const { traceSample } = await import("../sdk/model/reference.ts");
  const t = traceSample(ctx.artifact, ctx.bytes);
  const out: Forgery[] = [];
  const px = ctx.bytes.findIndex(
    (v, i) => i % 31 !== 30 && i + 1 < ctx.bytes.length && ctx.bytes[i + 1]! > 0 && v === 0,
  );
  if (px >= 0) out.push(F.byteMoveForgery(ctx, px));
  ctx.artifact.layers.forEach((l, k) => {
    const pos = t[k]!.out.findIndex((v) => v > 0n);
    const requantized =
      (l.kind === "conv2d" || l.kind === "dense" || l.kind === "avgpool") &&
      (l.relu || (typeof l.shift === "number" ? l.shift > 0 : l.shift.some((s) => s > 0)));
    if (requantized && pos >= 0) {
      const shift =
        l.kind === "avgpool" ? l.shift : (l as { shift: number[] }).shift[pos % l.outShape.at(-1)!]!;
      if (shift > 0) out.push(F.remainderForgery(k, pos));
      if (l.relu) out.push(F.reluSignForgery(k, pos));
    }
    if (l.kind === "maxpool") {
      // first window whose first two taps differ
      const x = k === 0 ? Array.from(ctx.bytes, BigInt) : t[k - 1]!.out;
      const [, w, c] = l.inShape as [number, number, number];
      for (let o = 0; o < t[k]!.out.length; o++) {
        const ch = o % c;
        const cell = Math.floor(o / c);
        const oy = Math.floor(cell / l.outShape[1]!);
        const ox = cell % l.outShape[1]!;
        const a0 = x[(oy * l.strides[0] * w + ox * l.strides[1]) * c + ch]!;
        const a1 = x[(oy * l.strides[0] * w + ox * l.strides[1] + 1) * c + ch]!;
        if (a0 !== a1) {
          out.push(F.wrongMaxForgery(k, o, 1));
          break;
        }
      }
    }
  });
  out.push(F.wrongOutputForgery());
  return out;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { model: { type: "string" } } });
  let artifact: ModelArtifactV2;
  let bytes: Uint8Array;
  if (values.model) {
    artifact = loadArtifact(values.model);
    const { encodeImageBytes } = await import("../sdk/model/encode.ts");
    const { heldOutInterleaved } = await import("../model/data.ts");
    bytes = encodeImageBytes(artifact, heldOutInterleaved()[3]!.image);
  } else {
    const { tinyArtifact } = await import("../test/model/fixtures.ts");
    const dir = mkdtempSync(path.join(tmpdir(), "proofwork-mut-"));
    try {
      ({ artifact, bytes } = await tinyArtifact(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const ctx = { artifact, bytes };
  console.log(`mutation check on ${artifact.name} (${artifact.hash.slice(0, 12)}…)`);
  const rows = await mutationCheck(ctx, await standardForgeries(ctx), (l) => console.log(l));
  const blunt = rows.filter((r) => !r.sharp);
  console.log(`${rows.length - blunt.length} of ${rows.length} tests sharp`);
  return blunt.length ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
  process.exit();
}
