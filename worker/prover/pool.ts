/**
 * Groth16 prover pool: long-lived worker threads (prover/thread.mjs), each keeping the witness wasm
 * and proving key of the circuits it served in memory, so a job pays neither process start nor key
 * loading (measured here: ~0.6 s per 8k-constraint proof in a warm process vs 1.2 s for a CLI run).
 * Jobs queue FIFO and go to the first idle thread.
 *
 *   const pool = createProverPool({ threads: 1 });
 *   const { proof, publicSignals, calldata } = await pool.prove(circuit, input);
 *   await pool.terminate();
 */
import { Worker } from "node:worker_threads";
import type { Groth16Proof } from "snarkjs";
import { ErrorCodes, ProofworkError } from "../../sdk/node.ts";
import { encodeProof, type OnChainProof } from "../../sdk/node.ts";
import type { ModelCircuitSignals as CircuitInput } from "../../sdk/node.ts";

/** The files a circuit is proven with. */
export interface ProverCircuit {
  name: string;
  wasm: string;
  zkey: string;
}

export interface ProveResult {
  proof: Groth16Proof;
  /** decimal strings, `[jobKey, inputCommitment, ...outputs]` */
  publicSignals: string[];
  /** what `JobMarket.submit` takes: the proof as uint256[8] (ARCHITECTURE order) and the outputs */
  calldata: { proof: OnChainProof; outputs: bigint[] };
  timings: { witnessMs: number; proveMs: number };
}

export interface ProverPool {
  prove(circuit: ProverCircuit, input: CircuitInput): Promise<ProveResult>;
  /** Stops every thread; pending and later `prove` calls reject. */
  terminate(): Promise<void>;
  readonly threads: number;
}

type Reply =
  | { id: number; ok: true; proof: Groth16Proof; publicSignals: string[]; witnessMs: number; proveMs: number }
  | { id: number; ok: false; code: "WITNESS_FAILED" | "PROOF_FAILED"; message: string };

interface Task {
  id: number;
  circuit: ProverCircuit;
  input: CircuitInput;
  resolve: (r: ProveResult) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  task?: Task;
}

export function createProverPool(opts: { threads?: number } = {}): ProverPool {
  const nThreads = Math.max(1, opts.threads ?? 1);
  const queue: Task[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const settle = (slot: Slot, reply: Reply): void => {
    const task = slot.task;
    slot.task = undefined;
    if (task && task.id === reply.id) {
      if (reply.ok) {
        task.resolve({
          proof: reply.proof,
          publicSignals: reply.publicSignals,
          calldata: {
            proof: encodeProof(reply.proof),
            outputs: reply.publicSignals.slice(2).map((s) => BigInt(s)),
          },
          timings: { witnessMs: reply.witnessMs, proveMs: reply.proveMs },
        });
      } else {
        const code = reply.code === "WITNESS_FAILED" ? ErrorCodes.WITNESS_FAILED : ErrorCodes.PROOF_FAILED;
        task.reject(
          new ProofworkError(code, `${task.circuit.name}: ${reply.message}`, { circuit: task.circuit.name }),
        );
      }
    }
    dispatch();
  };

  const spawn = (): Slot => {
    const slot: Slot = { worker: new Worker(new URL("./thread.mjs", import.meta.url)) };
    slot.worker.on("message", (reply: Reply) => settle(slot, reply));
    slot.worker.on("error", (e) => {
      // A crashed thread fails its task and is replaced.
      const task = slot.task;
      slot.task = undefined;
      task?.reject(
        new ProofworkError(ErrorCodes.PROOF_FAILED, `prover thread crashed: ${e.message}`, {}, { cause: e }),
      );
      const i = slots.indexOf(slot);
      if (i >= 0 && !closed) slots[i] = spawn();
      dispatch();
    });
    return slot;
  };

  const dispatch = (): void => {
    for (const slot of slots) {
      if (closed || queue.length === 0) return;
      if (slot.task) continue;
      const task = queue.shift()!;
      slot.task = task;
      slot.worker.postMessage({
        type: "prove",
        id: task.id,
        circuit: { wasm: task.circuit.wasm, zkey: task.circuit.zkey },
        input: task.input,
      });
    }
  };

  for (let i = 0; i < nThreads; i++) slots.push(spawn());

  return {
    threads: nThreads,
    prove(circuit, input) {
      if (closed)
        return Promise.reject(new ProofworkError(ErrorCodes.PROOF_FAILED, "prover pool is terminated"));
      return new Promise<ProveResult>((resolve, reject) => {
        queue.push({ id: nextId++, circuit, input, resolve, reject });
        dispatch();
      });
    },
    async terminate() {
      if (closed) return;
      closed = true;
      for (const t of queue.splice(0))
        t.reject(new ProofworkError(ErrorCodes.PROOF_FAILED, "prover pool terminated"));
      await Promise.all(
        slots.map(async (s) => {
          s.task?.reject(new ProofworkError(ErrorCodes.PROOF_FAILED, "prover pool terminated"));
          s.task = undefined;
          await s.worker.terminate();
        }),
      );
    },
  };
}
