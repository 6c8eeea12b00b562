/**
 * One batch job (docs/BATCH.md): its timeline (posted → claimed → committed → sampled → proven →
 * (challenged → answered) → paid, or cancelled / reclaimed / slashed) read by the SDK's
 * `BatchClient.getBatchJob`, the drawn indices once proven, live deadlines, "download & verify
 * outputs" (the inputs file checked against the posted hash and root with `checkBatchInputs`, the
 * outputs file against the committed hash and root with `verifyBatchOutputs`, predictions decoded
 * with `decodePredictions`, scored against the dataset's labels when it has them), and the
 * requester's actions: challenge chosen indices (bond shown), cancel, settle.
 */
import { useEffect, useMemo, useState } from "react";
import {
  BatchClient,
  BatchStatus,
  checkBatchInputs,
  decodePredictions,
  batchOutputsPerSample,
  verifyBatchOutputs,
  type BatchJob,
} from "proofwork";
import { ActionProgress, Address, Message, StatusBadge, TxHash } from "../components/common.tsx";
import { fetchBytes, loadDatasets, type DatasetEntry } from "../datasets.ts";
import { formatToken } from "../env.ts";
import { explain } from "../errors.ts";
import { grouped, short } from "../format.ts";
import { useAction, useApp } from "../state.tsx";
import { DetectionTable } from "./BatchPostPage.tsx";
import { Countdown, ProviderCard } from "./JobPage.tsx";

interface Stage {
  key: string;
  title: string;
  done: boolean;
  detail?: React.ReactNode;
  tx?: string;
  waiting?: string;
}

function stagesOf(job: BatchJob, fmt: (v: bigint) => string): Stage[] {
  const s = job.status;
  const t = job.terms;
  const stages: Stage[] = [
    {
      key: "posted",
      title: "Posted",
      done: true,
      detail: `${grouped(t.numSamples)} samples, k = ${t.sampleSize}, up to ${t.maxChallenges} challenges, ${fmt(t.maxPrice)} escrowed`,
      tx: job.txs.posted,
    },
  ];
  if (s === BatchStatus.Cancelled || s === BatchStatus.Reclaimed) {
    stages.push({
      key: "ended",
      title: s === BatchStatus.Cancelled ? "Cancelled" : "Reclaimed",
      done: true,
      detail: `${fmt(t.maxPrice)} refunded to the requester`,
    });
    return stages;
  }
  stages.push({
    key: "claimed",
    title: "Claimed",
    done: job.txs.claimed !== undefined,
    detail:
      job.price !== undefined ? `at ${fmt(job.price)}; ${fmt(t.collateral)} collateral locked` : undefined,
    tx: job.txs.claimed,
    waiting: "waiting for a provider",
  });
  stages.push({
    key: "committed",
    title: "Outputs committed",
    done: job.txs.committed !== undefined,
    detail:
      job.txs.committed !== undefined
        ? `outputs root ${short(job.record.outputsRoot, 10, 6)}; sampling randomness from block ${job.record.sampleBlock}`
        : undefined,
    tx: job.txs.committed,
    waiting: "the provider runs all samples",
  });
  stages.push({
    key: "sampled",
    title: "Sampled",
    done: job.provenIndices !== undefined,
    detail: job.provenIndices !== undefined ? `indices ${job.provenIndices.join(", ")} drawn` : undefined,
    waiting: "randomness of a later block draws k indices",
  });
  stages.push({
    key: "proven",
    title: "Proven",
    done: job.txs.proven !== undefined,
    detail:
      job.txs.proven !== undefined
        ? `${t.sampleSize} zk proofs verified on-chain in one transaction`
        : undefined,
    tx: job.txs.proven,
    waiting: "the provider proves the drawn samples",
  });
  if (job.txs.challenged !== undefined) {
    stages.push({
      key: "challenged",
      title: "Challenged",
      done: true,
      detail: `indices ${job.record.challenged.join(", ")}; bond ${fmt(t.challengeBond * BigInt(job.record.challenged.length))}`,
      tx: job.txs.challenged,
    });
    stages.push({
      key: "answered",
      title: "Answered",
      done: s === BatchStatus.Paid,
      detail: s === BatchStatus.Paid ? "every challenged output proven" : undefined,
      waiting: "the provider must prove each challenged output",
    });
  }
  if (s === BatchStatus.Slashed) {
    stages.push({
      key: "slashed",
      title: "Slashed",
      done: true,
      detail:
        job.slashed !== undefined
          ? `${fmt(job.slashed.toRequester)} of the collateral to the requester, ${fmt(job.slashed.refund)} refunded`
          : undefined,
      tx: job.slashed?.txHash,
    });
  } else {
    stages.push({
      key: "paid",
      title: "Paid",
      done: s === BatchStatus.Paid,
      detail:
        job.paid !== undefined
          ? `${fmt(job.paid.payout)} to the provider, ${fmt(job.paid.fee)} fee, ${fmt(job.paid.refund)} refunded`
          : undefined,
      tx: job.paid?.txHash,
      waiting: "after the challenge window",
    });
  }
  return stages;
}

function BatchTimeline({ job }: { job: BatchJob }) {
  const { env } = useApp();
  const stages = stagesOf(job, (v) => formatToken(env, v));
  const final = (
    [BatchStatus.Paid, BatchStatus.Cancelled, BatchStatus.Reclaimed, BatchStatus.Slashed] as number[]
  ).includes(job.status);
  return (
    <ol className="timeline" aria-label="Batch job lifecycle">
      {stages.map((s) => (
        <li key={s.key} className={s.done ? "done" : "waiting"}>
          <div className="stage">
            <strong>{s.title}</strong>
            {!s.done && <span className="muted"> — {final ? "not reached" : (s.waiting ?? "…")}</span>}
          </div>
          {s.done && (s.detail !== undefined || s.tx !== undefined) && (
            <div className="small">
              {s.detail}
              {s.tx !== undefined && (
                <>
                  {" "}
                  · tx <TxHash hash={s.tx} />
                </>
              )}
            </div>
          )}
        </li>
      ))}
    </ol>
  );
}

interface Verified {
  predictions: number[];
  labels?: number[];
  correct?: number;
}

const VERIFY_STEPS = [
  "Inputs file downloaded",
  "Inputs file's keccak256 is the posted inputsHash",
  "Inputs tree root is the posted inputsRoot",
  "Outputs file downloaded",
  "Outputs file's hash and tree root are the committed ones",
] as const;

function VerifyOutputs({ job, dataset }: { job: BatchJob; dataset: DatasetEntry | undefined }) {
  const { env } = useApp();
  const entry = env.models.find((m) => m.record.id.toLowerCase() === job.terms.circuitId.toLowerCase());
  const [passed, setPassed] = useState(0);
  const [state, setState] = useState<"idle" | "running" | "done" | "failed">("idle");
  const [progress, setProgress] = useState("");
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<Verified>();
  const proven = new Set(job.provenIndices ?? []);

  const run = async () => {
    setPassed(0);
    setError(undefined);
    setResult(undefined);
    setState("running");
    try {
      if (entry?.model === undefined)
        throw new Error("this job's model is not published: outputs cannot be decoded");
      const file = await fetchBytes(job.inputsURI, (d, t) =>
        setProgress(`inputs: ${grouped(d)}${t > 0 ? ` of ${grouped(t)}` : ""} bytes`),
      );
      setPassed(1);
      // checks the hash, then recomputes every commitment and the tree (SDK)
      const inputs = await checkBatchInputs(job.terms, file, (d, t) =>
        setProgress(`input commitments: ${grouped(d)} of ${grouped(t)}`),
      );
      setPassed(3);
      const outputsFile = await fetchBytes(job.outputsURI!, (d, t) =>
        setProgress(`outputs: ${grouped(d)}${t > 0 ? ` of ${grouped(t)}` : ""} bytes`),
      );
      setPassed(4);
      const rows = await verifyBatchOutputs({
        file: outputsFile,
        outputsHash: job.outputsHash!,
        outputsRoot: job.record.outputsRoot,
        commitments: inputs.commitments,
        perSample: batchOutputsPerSample(job.terms, { model: entry.model }),
        treeDepth: job.terms.treeDepth,
      });
      setPassed(5);
      const predictions = rows.map((r) => decodePredictions(entry.model!, r)[0]!.predicted);
      const labels = dataset?.labels?.length === predictions.length ? dataset.labels : undefined;
      setResult({
        predictions,
        ...(labels !== undefined
          ? { labels, correct: predictions.filter((p, i) => p === labels[i]).length }
          : {}),
      });
      setState("done");
    } catch (e) {
      setError(explain(e).message);
      setState("failed");
    }
    setProgress("");
  };

  return (
    <section className="card verify" aria-labelledby="h-outputs">
      <h2 id="h-outputs">Outputs</h2>
      <p className="muted">
        Downloads the inputs and outputs files and checks them against what the chain holds: the posted inputs
        hash and root, the committed outputs hash and root (the root the proven samples were checked against).
        Then decodes every prediction.
      </p>
      <button type="button" className="primary" onClick={() => void run()} disabled={state === "running"}>
        {state === "running" ? "Verifying…" : "Download & verify outputs"}
      </button>
      {state !== "idle" && (
        <ol className="checks" aria-label="Outputs checks">
          {VERIFY_STEPS.map((label, i) => {
            const ok = i < passed;
            const failed = state === "failed" && i === passed;
            return (
              <li key={label} className={ok ? "ok" : failed ? "bad" : "pending"}>
                <span className="mark" aria-hidden="true">
                  {ok ? "✓" : failed ? "✗" : "…"}
                </span>{" "}
                <span>
                  {label}: {ok ? "passed" : failed ? "failed" : state === "running" ? "…" : "not reached"}
                </span>
              </li>
            );
          })}
        </ol>
      )}
      {progress !== "" && (
        <div className="progress" role="status">
          <span className="spinner" aria-hidden="true" /> {progress}
        </div>
      )}
      {error !== undefined && (
        <Message kind="error" title="Not verified">
          {error}
        </Message>
      )}
      {result !== undefined && (
        <>
          <Message kind="success">
            ✓ Outputs verified: {grouped(result.predictions.length)} predictions match the committed root
          </Message>
          {result.correct !== undefined && (
            <p data-testid="accuracy">
              Accuracy against the dataset's labels:{" "}
              <strong>
                {result.correct}/{result.predictions.length}
              </strong>{" "}
              ({((100 * result.correct) / result.predictions.length).toFixed(1)}%)
            </p>
          )}
          <details open={result.predictions.length <= 100}>
            <summary>Predictions ({grouped(result.predictions.length)}; ✓ marks the proven samples)</summary>
            <ol className="predictions" aria-label="Predictions" start={0}>
              {result.predictions.slice(0, 2000).map((p, i) => (
                <li key={i} data-index={i} className={proven.has(i) ? "proven" : ""}>
                  <span className="muted">#{i}</span> <strong>{p}</strong>
                  {result.labels !== undefined && (
                    <span className={result.labels[i] === p ? "muted" : "error-text"}>
                      {" "}
                      ({result.labels[i]})
                    </span>
                  )}
                  {proven.has(i) && <span title="proven on-chain"> ✓</span>}
                </li>
              ))}
            </ol>
          </details>
        </>
      )}
    </section>
  );
}

/** Parses `3, 17 40` into indices (undefined and a reason when it cannot). */
function parseIndices(text: string, n: number): number[] | string {
  const parts = text.split(/[\s,]+/).filter((p) => p !== "");
  if (parts.length === 0) return "name at least one index";
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p) || Number(p) >= n) return `“${p}” is not a sample index (0 to ${n - 1})`;
    out.push(Number(p));
  }
  return out;
}

export function BatchJobPage({ jobId }: { jobId: bigint }) {
  const app = useApp();
  const { env, wallet } = app;
  const client = useMemo(() => new BatchClient(env.deployment, env.provider), [env]);
  const [job, setJob] = useState<BatchJob>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  const [datasets, setDatasets] = useState<DatasetEntry[]>([]);
  useEffect(() => {
    void loadDatasets(env.config.datasetsUrl, window.location.href).then(setDatasets);
  }, [env]);
  useEffect(() => {
    let stale = false;
    void client
      .getBatchJob(jobId)
      .then((j) => {
        if (!stale) {
          setJob(j);
          setError(undefined);
        }
      })
      .catch((e: unknown) => {
        if (!stale) setError(explain(e).message);
      });
    return () => {
      stale = true;
    };
  }, [client, jobId, app.head?.number, tick]);

  const action = useAction();
  const [indicesText, setIndicesText] = useState("");
  const fmt = (v: bigint) => formatToken(env, v);

  if (job === undefined) {
    return error !== undefined ? (
      <Message kind="error" title={`Batch job #${jobId}`}>
        {error}
      </Message>
    ) : (
      <div className="progress" role="status">
        <span className="spinner" aria-hidden="true" /> Reading batch job #{jobId.toString()}…
      </div>
    );
  }
  const t = job.terms;
  const mine = wallet.status === "connected" && wallet.address.toLowerCase() === t.requester.toLowerCase();
  const dataset = datasets.find((d) => d.inputsHash.toLowerCase() === t.inputsHash.toLowerCase());
  const model = env.models.find((m) => m.record.id.toLowerCase() === t.circuitId.toLowerCase());
  const now = app.chainNow();
  const inWindow = job.challengeDeadline !== undefined && now <= job.challengeDeadline;
  const parsed = parseIndices(indicesText, t.numSamples);
  const expirable = (
    [BatchStatus.Claimed, BatchStatus.Committed, BatchStatus.Sampled, BatchStatus.Challenged] as number[]
  ).includes(job.status);
  const after = (r: unknown) => {
    setTick((x) => x + 1);
    return r;
  };

  return (
    <div className="page job">
      <h1>
        Batch job #{jobId.toString()} <StatusBadge status={job.statusName} />
      </h1>
      <div className="grid two">
        <div>
          <BatchTimeline job={job} />
          {job.status === BatchStatus.Open && (
            <Countdown to={t.claimDeadline} label="Claim deadline in" passed="passed" />
          )}
          {(job.status === BatchStatus.Claimed ||
            job.status === BatchStatus.Committed ||
            job.status === BatchStatus.Sampled) && (
            <Countdown
              to={Number(job.deadline)}
              label={job.status === BatchStatus.Claimed ? "Commit due in" : "Proof due in"}
              passed="passed"
            />
          )}
          {job.status === BatchStatus.Proven && job.challengeDeadline !== undefined && (
            <Countdown to={job.challengeDeadline} label="Challenge window closes in" passed="closed" />
          )}
          {job.status === BatchStatus.Challenged && (
            <Countdown to={Number(job.deadline)} label="Answers due in" passed="passed" />
          )}
        </div>
        <section className="card" aria-labelledby="h-terms">
          <h2 id="h-terms">Terms</h2>
          <dl className="facts">
            <dt>Model</dt>
            <dd>{model?.record.name ?? short(t.circuitId)}</dd>
            <dt>Dataset</dt>
            <dd>
              {dataset?.name ?? "—"} · {grouped(t.numSamples)} samples
              <div className="mono wrap-anywhere small">{job.inputsURI}</div>
            </dd>
            <dt>Inputs root</dt>
            <dd className="mono wrap-anywhere">{t.inputsRoot}</dd>
            <dt>Requester</dt>
            <dd>
              <Address address={t.requester} />
            </dd>
            <dt>Price</dt>
            <dd>{fmt(t.maxPrice)}</dd>
            <dt>Collateral</dt>
            <dd>{fmt(t.collateral)}</dd>
            <dt>Challenges</dt>
            <dd>
              up to {t.maxChallenges}, bond {fmt(t.challengeBond)} each
            </dd>
            {job.provenIndices !== undefined && (
              <>
                <dt>Sampled indices</dt>
                <dd data-testid="sampled-indices">{job.provenIndices.join(", ")}</dd>
              </>
            )}
          </dl>
          <DetectionTable k={t.sampleSize} n={t.numSamples} />
        </section>
      </div>

      {job.record.provider !== "0x" + "00".repeat(20) && <ProviderCard address={job.record.provider} />}

      {job.outputsURI !== undefined && <VerifyOutputs job={job} dataset={dataset} />}

      {job.status === BatchStatus.Proven && inWindow && t.maxChallenges > 0 && (
        <section className="card" aria-labelledby="h-challenge">
          <h2 id="h-challenge">Challenge outputs</h2>
          <p className="muted">
            Name up to {t.maxChallenges} indices you doubt: the provider must prove each of them or lose its
            whole collateral. The bond ({fmt(t.challengeBond)} per index) goes to the provider when it
            answers, back to you when it does not.
          </p>
          <div className="field">
            <label htmlFor="challenge-indices">Indices to challenge</label>
            <input
              id="challenge-indices"
              inputMode="numeric"
              placeholder="e.g. 3, 17"
              value={indicesText}
              onChange={(e) => setIndicesText(e.currentTarget.value)}
              aria-describedby="challenge-note"
            />
            <small
              id="challenge-note"
              className={typeof parsed === "string" && indicesText !== "" ? "error-text" : "muted"}
            >
              {typeof parsed === "string"
                ? indicesText === ""
                  ? `0 to ${t.numSamples - 1}, separated by commas or spaces`
                  : parsed
                : `bond: ${fmt(t.challengeBond * BigInt(parsed.length))} for ${parsed.length} ${parsed.length === 1 ? "index" : "indices"}`}
            </small>
          </div>
          <button
            type="button"
            disabled={!mine || typeof parsed === "string" || action.state.phase === "running"}
            onClick={() =>
              typeof parsed !== "string" &&
              void action
                .run(
                  "Challenging",
                  (signer) => new BatchClient(env.deployment, signer).challenge(jobId, parsed),
                  () =>
                    `Challenged ${parsed.length} ${parsed.length === 1 ? "index" : "indices"}: the provider must prove them.`,
                )
                .then(after)
            }
          >
            Challenge
          </button>
          {!mine && <span className="muted"> Only the requester can challenge.</span>}
        </section>
      )}

      {job.status === BatchStatus.Open && mine && (
        <button
          type="button"
          onClick={() =>
            void action
              .run(
                "Cancelling",
                (signer) => new BatchClient(env.deployment, signer).cancel(jobId),
                () => `Batch job cancelled: ${fmt(t.maxPrice)} refunded to you.`,
              )
              .then(after)
          }
        >
          Cancel and refund {fmt(t.maxPrice)}
        </button>
      )}
      {job.status === BatchStatus.Open && now > t.claimDeadline && wallet.status === "connected" && (
        <button
          type="button"
          onClick={() =>
            void action
              .run(
                "Reclaiming",
                (signer) => new BatchClient(env.deployment, signer).reclaim(jobId),
                () => `Reclaimed: ${fmt(t.maxPrice)} refunded to the requester.`,
              )
              .then(after)
          }
        >
          Reclaim the escrow ({fmt(t.maxPrice)} to the requester)
        </button>
      )}
      {expirable && now > Number(job.deadline) && wallet.status === "connected" && (
        <button
          type="button"
          onClick={() =>
            void action
              .run(
                "Slashing",
                (signer) => new BatchClient(env.deployment, signer).slashExpired(jobId),
                () => `Slashed: the provider's ${fmt(t.collateral)} collateral is split as the terms say.`,
              )
              .then(after)
          }
        >
          Slash the provider (it missed the deadline)
        </button>
      )}
      {job.status === BatchStatus.Proven && !inWindow && wallet.status === "connected" && (
        <button
          type="button"
          onClick={() =>
            void action
              .run(
                "Settling",
                (signer) => new BatchClient(env.deployment, signer).settle(jobId),
                () => "Settled: the provider is paid.",
              )
              .then(after)
          }
        >
          Settle (pay the provider)
        </button>
      )}
      <ActionProgress state={action.state} />
    </div>
  );
}
