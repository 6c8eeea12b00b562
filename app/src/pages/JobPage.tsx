/**
 * One job: its lifecycle (posted → claimed → proven → paid, or cancelled / reclaimed / slashed)
 * with block times and transactions, live countdowns, the provider's stake and record, the
 * actions that apply (cancel, reclaim, slash), the input it committed to, the decoded result — and
 * "verify": the SDK's `verifyResult` run in this page, each check shown as it completes.
 */
import { useEffect, useState } from "react";
import {
  ErrorCodes,
  JobStatus,
  claimedPrice,
  decodePredictions,
  hasClaimer,
  isExpired,
  isProofworkError,
  isProven,
  sendAndConfirm,
  verifyResult,
  type IndexedJob,
  type Job,
  type JobResult,
  type ProviderStatus,
  type TimelineEntry,
  type VerifyReport,
  type VerifyStep,
} from "proofwork";
import { ActionProgress, Address, Message, StatusBadge, TxHash } from "../components/common.tsx";
import { ByteGrid } from "../components/DigitCanvas.tsx";
import { LogitsChart, PriceCurve } from "../components/charts.tsx";
import { artifactLocation } from "../config.ts";
import { formatToken, type Env } from "../env.ts";
import { explain } from "../errors.ts";
import { bps, clock, duration, short, when } from "../format.ts";
import { useAction, useApp, useNow } from "../state.tsx";

const blockTimes = new Map<number, number>();

/** Timestamps of blocks (cached: they never change once final). */
function useBlockTimes(env: Env, numbers: number[]): Map<number, number> {
  const [, setVersion] = useState(0);
  const key = numbers.join(",");
  useEffect(() => {
    let stale = false;
    const missing = numbers.filter((n) => !blockTimes.has(n));
    if (missing.length === 0) return;
    void Promise.all(
      missing.map(async (n) => {
        const b = await env.provider.getBlock(n);
        if (b !== null) blockTimes.set(n, b.timestamp);
      }),
    ).then(() => {
      if (!stale) setVersion((v) => v + 1);
    });
    return () => {
      stale = true;
    };
  }, [env, key]);
  return blockTimes;
}

/** Seconds until a chain time, ticking. */
export function Countdown({ to, label, passed }: { to: number; label: string; passed: string }) {
  const app = useApp();
  useNow(1000);
  const left = to - app.chainNow();
  return (
    <div className={`countdown ${left <= 0 ? "passed" : ""}`} role="timer" aria-label={label}>
      <span className="muted">{label}</span> <strong>{left > 0 ? clock(left) : passed}</strong>{" "}
      <span className="muted">({when(to)})</span>
    </div>
  );
}

interface Stage {
  key: string;
  title: string;
  entry?: TimelineEntry;
  waiting?: string;
}

function stagesOf(job: Job, timeline: TimelineEntry[]): Stage[] {
  const find = (e: TimelineEntry["event"]) => timeline.find((t) => t.event === e);
  const stages: Stage[] = [{ key: "posted", title: "Posted", entry: find("JobPosted") }];
  if (job.status === JobStatus.Cancelled)
    return [...stages, { key: "cancelled", title: "Cancelled", entry: find("JobCancelled") }];
  if (job.status === JobStatus.Reclaimed)
    return [...stages, { key: "reclaimed", title: "Reclaimed", entry: find("JobReclaimed") }];
  stages.push({
    key: "claimed",
    title: "Claimed",
    entry: find("JobClaimed"),
    waiting: "waiting for a provider to claim it",
  });
  if (job.status === JobStatus.Slashed)
    return [...stages, { key: "slashed", title: "Slashed", entry: find("JobSlashed") }];
  stages.push({
    key: "proven",
    title: "Proven",
    entry: find("JobCompleted"),
    waiting: "waiting for the provider's proof",
  });
  stages.push({
    key: "paid",
    title: "Paid",
    entry: find("JobPaid"),
    waiting: "waiting for the provider to collect",
  });
  return stages;
}

function detailsOf(env: Env, e: TimelineEntry): string {
  const f = (k: string) => formatToken(env, BigInt(e.details[k] ?? "0"));
  switch (e.event) {
    case "JobPosted":
      return `by ${short(e.details.requester ?? "")}, ${f("maxPrice")} escrowed`;
    case "JobClaimed":
      return `by ${short(e.details.provider ?? "")} at ${f("price")}, proof due ${when(Number(e.details.deadline))}`;
    case "JobCompleted":
      return "proof verified on-chain, result recorded";
    case "JobPaid":
      return `provider paid ${f("payout")}, fee ${f("fee")}, ${f("refund")} refunded to the requester`;
    case "JobCancelled":
    case "JobReclaimed":
      return `${f("refund")} refunded to the requester`;
    case "JobSlashed":
      return `collateral split: ${f("toRequester")} to the requester, ${f("bounty")} bounty, ${f("toTreasury")} to the treasury`;
  }
}

function Timeline({ job, indexed }: { job: Job; indexed: IndexedJob | undefined }) {
  const app = useApp();
  const { env } = app;
  const timeline = indexed?.timeline ?? [];
  const times = useBlockTimes(
    env,
    timeline.map((t) => t.blockNumber),
  );
  const stages = stagesOf(job, timeline);
  return (
    <ol className="timeline" aria-label="Job lifecycle">
      {stages.map((s) => (
        <li key={s.key} className={s.entry !== undefined ? "done" : "waiting"}>
          <div className="stage">
            <strong>{s.title}</strong>
            {s.entry !== undefined ? (
              <span className="muted">
                {" "}
                block {s.entry.blockNumber}
                {times.has(s.entry.blockNumber) ? ` · ${when(times.get(s.entry.blockNumber)!)}` : ""}
              </span>
            ) : (
              <span className="muted"> — {s.waiting ?? "…"}</span>
            )}
          </div>
          {s.entry !== undefined && (
            <div className="small">
              {detailsOf(env, s.entry)} · tx <TxHash hash={s.entry.txHash} />
            </div>
          )}
        </li>
      ))}
    </ol>
  );
}

export function ProviderCard({ address }: { address: string }) {
  const app = useApp();
  const { env } = app;
  const [status, setStatus] = useState<ProviderStatus>();
  useEffect(() => {
    let stale = false;
    void env.providers
      .status(address)
      .then((s) => {
        if (!stale) setStatus(s);
      })
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [env, address, app.head?.number]);
  const f = (v: bigint) => formatToken(env, v);
  return (
    <section className="card" aria-labelledby="h-provider">
      <h2 id="h-provider">Provider</h2>
      <p className="wrap-anywhere">
        <Address address={address} full />
      </p>
      {status === undefined ? (
        <p className="muted">reading its stake…</p>
      ) : (
        <dl className="facts">
          <dt>Stake</dt>
          <dd>
            {f(status.stake)} ({f(status.locked)} locked as collateral, {f(status.freeStake)} free)
          </dd>
          <dt>Record</dt>
          <dd>
            {status.jobsCompleted} completed · {status.jobsFailed} failed · {f(status.totalSlashed)} slashed
            in all
          </dd>
          <dt>State</dt>
          <dd>
            {status.jailedUntil > BigInt(Math.floor(app.chainNow()))
              ? `jailed until ${when(Number(status.jailedUntil))}`
              : status.active
                ? "active"
                : "inactive"}
            {status.capability !== undefined &&
              ` · ${status.capability.gpuModel || "unnamed hardware"} (${status.capability.backends.join(", ") || "no backend listed"}), up to ${status.capability.maxConcurrentJobs} jobs at once`}
          </dd>
        </dl>
      )}
    </section>
  );
}

const STEP_LABELS: Record<VerifyStep["id"], string> = {
  proof: "Proof read from the submit transaction",
  outputs: "Outputs match the result committed on-chain",
  commitment: "Input commitment recomputed from the input bytes",
  signals: "Public signals rebuilt (jobKey, commitment, outputs)",
  key: "Verification key fetched and matched to the registered verifier",
  groth16: "Groth16 proof verified in this browser (snarkjs)",
  onchain: "The registered verifier contract agrees (eth_call)",
};
const STEP_ORDER = Object.keys(STEP_LABELS) as VerifyStep["id"][];

function VerifyPanel({ jobId }: { jobId: bigint }) {
  const { env } = useApp();
  const [deep, setDeep] = useState(false);
  const [steps, setSteps] = useState<VerifyStep[]>([]);
  const [state, setState] = useState<"idle" | "running" | "done" | "failed">("idle");
  const [report, setReport] = useState<VerifyReport>();
  const [error, setError] = useState<string>();
  const [elapsed, setElapsed] = useState(0);

  const run = async () => {
    setSteps([]);
    setReport(undefined);
    setError(undefined);
    setState("running");
    const t0 = performance.now();
    try {
      const r = await verifyResult(env.reader, jobId, {
        fetch: env.fetcher,
        deep,
        onStep: (s) => setSteps((prev) => [...prev, s]),
      });
      setReport(r);
      setState("done");
    } catch (e) {
      setError(explain(e).message);
      setState("failed");
    }
    setElapsed((performance.now() - t0) / 1000);
  };

  const byId = new Map(steps.map((s) => [s.id, s]));
  return (
    <section className="card verify" aria-labelledby="h-verify">
      <h2 id="h-verify">Verify in your browser</h2>
      <p className="muted">
        Re-checks everything from the chain alone, in this page: the proof from the provider's transaction,
        the input commitment, the public signals, the verification key and the Groth16 pairing check.
      </p>
      <div className="row wrap">
        <button type="button" className="primary" onClick={() => void run()} disabled={state === "running"}>
          {state === "running" ? "Verifying…" : state === "idle" ? "Verify" : "Verify again"}
        </button>
        <label>
          <input type="checkbox" checked={deep} onChange={(e) => setDeep(e.currentTarget.checked)} /> also
          download the proving key and check the verification key against it
        </label>
      </div>
      {state !== "idle" && (
        <ol className="checks" aria-label="Verification steps">
          {STEP_ORDER.map((id) => {
            const s = byId.get(id);
            const mark = s === undefined ? (state === "running" ? "…" : "–") : s.ok ? "✓" : "✗";
            return (
              <li key={id} className={s === undefined ? "pending" : s.ok ? "ok" : "bad"} data-step={id}>
                <span className="mark" aria-hidden="true">
                  {mark}
                </span>{" "}
                <span>
                  <strong>{STEP_LABELS[id]}</strong>
                  <span className="visually-hidden">
                    {s === undefined ? ": pending" : s.ok ? ": passed" : ": failed"}
                  </span>
                  {s !== undefined && <span className="small muted wrap-anywhere"> — {s.detail}</span>}
                </span>
              </li>
            );
          })}
        </ol>
      )}
      {state === "running" && (
        <div className="progress" role="status">
          <span className="spinner" aria-hidden="true" /> Checking… (the first run loads the verifier code)
        </div>
      )}
      {state === "done" && report !== undefined && (
        <Message
          kind={report.valid ? "success" : "error"}
          title={report.valid ? "✓ Verified in your browser" : "✗ Verification failed"}
        >
          {report.valid
            ? `The proof is valid for this job, this input and these outputs, under the key the market's verifier uses (${elapsed.toFixed(1)} s).`
            : "At least one check failed (marked ✗ above): do not trust this result."}{" "}
          Verification key sha256 <span className="mono">{short(report.key.sha256, 10, 8)}</span>
          {report.key.uri !== "given" &&
          artifactLocation(env.config, report.key.uri, window.location.href) !== report.key.uri
            ? `, fetched by this page from ${artifactLocation(env.config, report.key.uri, window.location.href)} (the registered location is ${report.key.uri})`
            : ""}
          .
        </Message>
      )}
      {state === "failed" && error !== undefined && (
        <Message kind="error" title="Verification could not run">
          {error}
        </Message>
      )}
    </section>
  );
}

function ResultCard({ job, result, env }: { job: Job; result: JobResult; env: Env }) {
  const entry = env.models.find((m) => m.record.id.toLowerCase() === job.terms.circuitId.toLowerCase());
  const f = (v: bigint) => formatToken(env, v);
  let prediction;
  try {
    prediction = entry?.model !== undefined ? decodePredictions(entry.model, result.outputs)[0] : undefined;
  } catch {
    prediction = undefined;
  }
  return (
    <section className="card result" aria-labelledby="h-result">
      <h2 id="h-result">Result</h2>
      {prediction !== undefined ? (
        <>
          <p className="prediction">
            Predicted class: <strong data-testid="predicted">{prediction.predicted}</strong>
          </p>
          <LogitsChart logits={prediction.logits} predicted={prediction.predicted} />
        </>
      ) : (
        <p className="mono wrap-anywhere">outputs: {result.outputs.map(String).join(", ")}</p>
      )}
      <dl className="facts">
        <dt>Proven in</dt>
        <dd>
          block {result.blockNumber}, tx <TxHash hash={result.txHash} /> (
          {result.gasUsed.toLocaleString("en-US")} gas)
        </dd>
        <dt>Payment</dt>
        <dd>
          price {f(result.price)}: provider {f(result.payout)}, fee {f(result.fee)}, refund to you{" "}
          {f(result.refund)}
          {result.paid ? " — paid" : " — to be collected"}
        </dd>
      </dl>
    </section>
  );
}

function InputCard({ jobId, job }: { jobId: bigint; job: Job }) {
  const { env } = useApp();
  const [input, setInput] = useState<Uint8Array>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let stale = false;
    env.reader
      .getJobInput(jobId)
      .then((r) => {
        if (!stale) setInput(r.input);
      })
      .catch((e: unknown) => {
        if (!stale) setError(explain(e).message);
      });
    return () => {
      stale = true;
    };
  }, [env, jobId]);
  const side = input !== undefined ? Math.round(Math.sqrt(input.length)) : 0;
  return (
    <section className="card" aria-labelledby="h-input">
      <h2 id="h-input">Input</h2>
      {input !== undefined && side * side === input.length && (
        <ByteGrid
          bytes={input}
          side={side}
          label={`The job's ${input.length} input bytes as a ${side}×${side} picture`}
        />
      )}
      {error !== undefined && <p className="error-text">{error}</p>}
      <dl className="facts">
        <dt>Input bytes</dt>
        <dd>{input?.length ?? "…"} bytes, read from the posting transaction's calldata</dd>
        <dt>Commitment</dt>
        <dd className="mono wrap-anywhere">{job.terms.inputCommitment.toString()}</dd>
      </dl>
    </section>
  );
}

function Actions({ job }: { job: Job }) {
  const app = useApp();
  const { env, wallet } = app;
  const action = useAction();
  useNow(1000);
  const now = app.chainNow();
  const f = (v: bigint) => formatToken(env, v);
  const me = wallet.status === "connected" ? wallet.address.toLowerCase() : undefined;
  const isRequester = me === job.terms.requester.toLowerCase();
  const expired = isExpired(job, Math.floor(now));
  const buttons = [];
  if (job.status === JobStatus.Open && !expired && isRequester) {
    buttons.push(
      <button
        key="cancel"
        type="button"
        onClick={() =>
          void action.run(
            `Cancelling job ${job.jobId}`,
            (_s, c) => c.cancel(job.jobId),
            () => `Job #${job.jobId} cancelled: ${f(job.terms.maxPrice)} refunded to you.`,
          )
        }
      >
        Cancel and refund {f(job.terms.maxPrice)}
      </button>,
    );
  }
  if (job.status === JobStatus.Open && expired) {
    buttons.push(
      <button
        key="reclaim"
        type="button"
        onClick={() =>
          void action.run(
            `Reclaiming job ${job.jobId}`,
            (_s, c) => c.reclaim(job.jobId),
            () => `Job #${job.jobId} reclaimed: ${f(job.terms.maxPrice)} refunded to the requester.`,
          )
        }
      >
        Reclaim the escrow ({f(job.terms.maxPrice)} to the requester)
      </button>,
    );
  }
  if (job.status === JobStatus.Claimed && expired) {
    buttons.push(
      <button
        key="slash"
        type="button"
        onClick={() =>
          void action.run(
            `Slashing the provider of job ${job.jobId}`,
            (_s, c) =>
              sendAndConfirm(`slashing the provider of job ${job.jobId}`, 1, () =>
                c.contracts.market.slashExpired(job.jobId, job.terms, job.provider),
              ),
            () => `The provider of job #${job.jobId} was slashed; the escrow went back to the requester.`,
          )
        }
      >
        Slash the provider (it missed the deadline)
      </button>,
    );
  }
  if (buttons.length === 0 && action.state.phase === "idle") return null;
  return (
    <section className="card" aria-labelledby="h-actions">
      <h2 id="h-actions">Actions</h2>
      {wallet.status !== "connected" && buttons.length > 0 ? (
        <p className="muted">Connect a wallet to act on this job.</p>
      ) : (
        <div className="row wrap">{buttons}</div>
      )}
      <ActionProgress state={action.state} />
    </section>
  );
}

export function JobPage({ jobId }: { jobId: bigint }) {
  const app = useApp();
  const { env } = app;
  const [job, setJob] = useState<Job>();
  const [problem, setProblem] = useState<string>();
  const [missing, setMissing] = useState(false);
  const [result, setResult] = useState<JobResult>();

  useEffect(() => {
    let stale = false;
    env.reader
      .getJob(jobId)
      .then((j) => {
        if (stale) return;
        setJob(j);
        setProblem(undefined);
      })
      .catch((e: unknown) => {
        if (stale) return;
        if (isProofworkError(e, ErrorCodes.JOB_NOT_FOUND)) setMissing(true);
        else setProblem(explain(e).message);
      });
    return () => {
      stale = true;
    };
  }, [env, jobId, app.head?.number, app.indexVersion]);

  const status = job?.status;
  useEffect(() => {
    if (status === undefined || !isProven(status)) return;
    let stale = false;
    void env.reader.findCompletion(jobId).then((r) => {
      if (!stale && r !== undefined) setResult(r);
    });
    return () => {
      stale = true;
    };
  }, [env, jobId, status]);

  if (missing) {
    return (
      <Message kind="warning" title={`Job #${jobId} does not exist`}>
        No job with this number was posted on this deployment.
      </Message>
    );
  }
  if (job === undefined) {
    return problem !== undefined ? (
      <Message kind="error">{problem}</Message>
    ) : (
      <div className="progress" role="status">
        <span className="spinner" aria-hidden="true" /> Reading job #{jobId.toString()}…
      </div>
    );
  }
  const indexed = app.index.job(jobId);
  const entry = env.models.find((m) => m.record.id.toLowerCase() === job.terms.circuitId.toLowerCase());
  const t = job.terms;
  const f = (v: bigint) => formatToken(env, v);
  const auction = t.rampDuration > 0;
  const now = app.chainNow();
  return (
    <div className="page job">
      <h1>
        Job #{jobId.toString()} <StatusBadge status={job.statusName} />
      </h1>
      {problem !== undefined && <Message kind="warning">{problem}</Message>}
      <div className="grid two">
        <div>
          <section className="card" aria-labelledby="h-life">
            <h2 id="h-life">Lifecycle</h2>
            <Timeline job={job} indexed={indexed} />
            {job.status === JobStatus.Open && (
              <Countdown
                to={t.claimDeadline}
                label="Claim deadline in"
                passed="passed — the escrow can be reclaimed"
              />
            )}
            {job.status === JobStatus.Claimed && (
              <Countdown
                to={job.deadline}
                label="Proof due in"
                passed="passed — the provider can be slashed"
              />
            )}
          </section>
          <Actions job={job} />
          {result !== undefined && <ResultCard job={job} result={result} env={env} />}
          {isProven(job.status) && <VerifyPanel jobId={jobId} />}
        </div>
        <div>
          <section className="card" aria-labelledby="h-terms">
            <h2 id="h-terms">Terms</h2>
            <dl className="facts">
              <dt>Requester</dt>
              <dd>
                <Address address={t.requester} />
              </dd>
              <dt>Model</dt>
              <dd>
                {entry?.model?.name ?? "unknown"}{" "}
                <span className="muted mono">({entry?.record.name ?? short(t.circuitId)})</span>
              </dd>
              <dt>Price</dt>
              <dd>
                {auction
                  ? `auction from ${f(t.minPrice)} to ${f(t.maxPrice)} over ${duration(t.rampDuration)}`
                  : `fixed ${f(t.maxPrice)}`}
                {hasClaimer(job.status) && ` · claimed at ${f(claimedPrice(t, job.deadline))}`}
              </dd>
              <dt>Collateral</dt>
              <dd>{f(t.collateral)}</dd>
              <dt>Deadlines</dt>
              <dd>
                claim by {when(t.claimDeadline)}; prove within {duration(t.executionWindow)} of the claim
              </dd>
              <dt>Fee</dt>
              <dd>
                {bps(t.feeBps)} of the price; if slashed, {bps(t.slashRequesterBps)} of the collateral to the
                requester
              </dd>
            </dl>
            {auction && (
              <PriceCurve
                pricing={t}
                horizon={Math.ceil(t.rampDuration * 1.3)}
                format={f}
                now={job.status === JobStatus.Open ? now - t.postedAt : undefined}
                claimedAt={hasClaimer(job.status) ? job.deadline - t.executionWindow - t.postedAt : undefined}
              />
            )}
          </section>
          {hasClaimer(job.status) && <ProviderCard address={job.provider} />}
          <InputCard jobId={jobId} job={job} />
        </div>
      </div>
    </div>
  );
}
