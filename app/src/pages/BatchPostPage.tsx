/**
 * Post a batch job (docs/BATCH.md): a model, a dataset — a published one (the datasets folder's
 * index.json), an uploaded `.npy`/`.json` tensor (published through the dev server's upload
 * endpoint) or an inputs file at a URL — whose inputs root and hash the page computes from the file
 * itself with the SDK (`buildBatchInputs`), the sample size k with its detection-probability table
 * (`detectionProbability`), challenges and their bond, price and collateral with the SDK's
 * minimum-collateral rule (`minimumBatchCollateral`), then approve + post (`BatchClient.postBatch`).
 */
import { useEffect, useState } from "react";
import {
  BatchClient,
  DETECTION_TABLE_FRACTIONS,
  MAX_CHALLENGES,
  MAX_SAMPLE_SIZE,
  batchMarketOf,
  batchProofFor,
  buildBatchInputs,
  detectionProbability,
  encodeTensor,
  inputSize,
  minimumBatchCollateral,
  parseNpy,
  resolveVerificationKey,
  tensorFromJson,
  type BatchInputs,
} from "proofwork";
import { ActionProgress, Message, navigate } from "../components/common.tsx";
import { FaucetButton } from "../components/WalletBar.tsx";
import { absoluteUrl } from "../config.ts";
import { datasetUrl, fetchBytes, loadDatasets, percent, type DatasetEntry } from "../datasets.ts";
import { formatToken } from "../env.ts";
import { explain } from "../errors.ts";
import { duration, grouped, short } from "../format.ts";
import { useAction, useApp } from "../state.tsx";
import { Field, ModelPicker, PostModeTabs, parseAmount, parseSeconds, useModelChoice } from "./PostPage.tsx";

type Source = "pick" | "upload" | "url";

/** The dataset being prepared: where it is published, and its commitments once computed. */
type Prepared =
  | { state: "none" }
  | { state: "working"; step: string }
  | { state: "failed"; message: string }
  | { state: "ready"; uri: string; inputs: BatchInputs; entry?: DatasetEntry };

/** The detection-probability table for one k (rows: the docs' fractions f). */
export function DetectionTable({ k, n }: { k: number; n: number }) {
  return (
    <table className="detection" aria-label={`Detection probability for k = ${k}`}>
      <thead>
        <tr>
          <th scope="col">Provider fakes a fraction f</th>
          <th scope="col">Caught by k = {k} samples: 1 − (1 − f)^k</th>
        </tr>
      </thead>
      <tbody>
        {DETECTION_TABLE_FRACTIONS.map((f) => (
          <tr key={f}>
            <th scope="row">{f < 0.01 ? `${(f * 100).toFixed(1)}%` : `${(f * 100).toFixed(0)}%`}</th>
            <td data-testid={`detection-${f}`}>{percent(detectionProbability(f, k))}</td>
          </tr>
        ))}
      </tbody>
      <caption className="muted">
        Sampling draws k distinct indices of {grouped(n)} after the outputs are committed, so it catches at
        least this often. Any single output you doubt can still be forced to a proof with a challenge.
      </caption>
    </table>
  );
}

export function BatchPostPage() {
  const app = useApp();
  const { env, wallet, balances } = app;
  const { models, circuit, setCircuit, entry, model } = useModelChoice(env.models);
  const perSample = model !== undefined ? inputSize(model) : 0;
  const base = window.location.href;

  // ---- the batch market's bounds (windows, claim period)
  const [bounds, setBounds] = useState<{
    minWindow: number;
    maxTotalWindow: number;
    maxClaimPeriod: number;
  }>();
  useEffect(() => {
    let stale = false;
    void batchMarketOf(env.deployment, env.provider)
      .bounds()
      .then((b) => {
        if (!stale)
          setBounds({
            minWindow: Number(b.minWindow),
            maxTotalWindow: Number(b.maxTotalWindow),
            maxClaimPeriod: Number(b.maxClaimPeriod),
          });
      })
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [env]);

  // ---- dataset
  const [source, setSource] = useState<Source>("pick");
  const [published, setPublished] = useState<DatasetEntry[]>();
  useEffect(() => {
    let stale = false;
    void loadDatasets(env.config.datasetsUrl, base).then((d) => {
      if (!stale) setPublished(d);
    });
    return () => {
      stale = true;
    };
  }, [env, base]);
  const choices = (published ?? []).filter((d) => d.circuit === circuit && d.inputBytes === perSample);
  const [picked, setPicked] = useState("");
  const [url, setUrl] = useState("");
  const [prepared, setPrepared] = useState<Prepared>({ state: "none" });

  /** Downloads (or takes) an inputs file and computes its commitments with the SDK. */
  const prepare = async (uri: string, file: Uint8Array | undefined, ds?: DatasetEntry) => {
    try {
      let bytes = file;
      if (bytes === undefined) {
        setPrepared({ state: "working", step: "Downloading the inputs file…" });
        bytes = await fetchBytes(uri, (done, total) =>
          setPrepared({
            state: "working",
            step: `Downloading the inputs file: ${grouped(done)}${total > 0 ? ` of ${grouped(total)}` : ""} bytes…`,
          }),
        );
      }
      const inputs = await buildBatchInputs(
        { file: bytes, inputBytes: perSample },
        (done, total) =>
          setPrepared({
            state: "working",
            step: `Computing the input commitments (Poseidon): ${grouped(done)} of ${grouped(total)} samples…`,
          }),
        // a sampling circuit's job posts the Poseidon root of its depth (docs/BATCH.md "Design 2")
        entry?.record.sampling?.treeDepth ?? 0,
      );
      setPrepared({ state: "ready", uri, inputs, ...(ds !== undefined ? { entry: ds } : {}) });
    } catch (e) {
      setPrepared({ state: "failed", message: explain(e).message });
    }
  };

  const pick = (file: string) => {
    setPicked(file);
    const ds = choices.find((d) => d.file === file);
    if (ds === undefined || env.config.datasetsUrl === undefined) return setPrepared({ state: "none" });
    void prepare(datasetUrl(ds, env.config.datasetsUrl, base), undefined, ds);
  };

  const upload = async (f: File) => {
    if (model === undefined || entry === undefined) return;
    const uploadUrl = env.config.datasetUploadUrl;
    try {
      setPrepared({ state: "working", step: `Reading ${f.name}…` });
      const raw = new Uint8Array(await f.arrayBuffer());
      const tensor = /\.npy$/i.test(f.name)
        ? parseNpy(raw)
        : tensorFromJson(JSON.parse(new TextDecoder().decode(raw)) as unknown);
      const bytes = encodeTensor(model, tensor);
      if (uploadUrl === undefined) {
        throw new Error(
          "this page has no upload endpoint: publish the inputs file at a URL providers can reach, then use “Inputs file at a URL”",
        );
      }
      setPrepared({ state: "working", step: `Publishing ${grouped(bytes.length)} bytes…` });
      const q = new URLSearchParams({
        circuit: entry.record.name,
        inputBytes: String(perSample),
        name: f.name,
      });
      const res = await fetch(`${absoluteUrl(uploadUrl, base)}?${q}`, {
        method: "POST",
        body: new Uint8Array(bytes),
      });
      const body = (await res.json().catch(() => ({}))) as Partial<DatasetEntry> & { error?: string };
      if (!res.ok || body.file === undefined)
        throw new Error(body.error ?? `the upload answered HTTP ${res.status}`);
      const ds = body as DatasetEntry;
      await prepare(datasetUrl(ds, env.config.datasetsUrl ?? "/datasets/", base), bytes, ds);
    } catch (e) {
      setPrepared({ state: "failed", message: `${f.name}: ${explain(e).message}` });
    }
  };

  // reset when the model changes
  useEffect(() => {
    setPicked("");
    setPrepared({ state: "none" });
  }, [circuit]);

  // ---- terms
  const n = prepared.state === "ready" ? prepared.inputs.numSamples : 0;
  const kMax = Math.max(1, Math.min(n || MAX_SAMPLE_SIZE, MAX_SAMPLE_SIZE));
  const [kText, setK] = useState("16");
  const [mText, setM] = useState("4");
  const [bond, setBond] = useState("1");
  const [price, setPrice] = useState("10");
  const [collateral, setCollateral] = useState("");
  const [gain, setGain] = useState("0");
  const [claimPeriod, setClaimPeriod] = useState("3600");
  const [challengeWindow, setChallengeWindow] = useState("600");

  const errors: Record<string, string> = {};
  const k = Number(kText.trim());
  if (!Number.isInteger(k) || k < 1 || k > kMax) errors.k = `k must be a whole number from 1 to ${kMax}`;
  const m = Number(mText.trim());
  if (!Number.isInteger(m) || m < 0 || m > MAX_CHALLENGES)
    errors.m = `a whole number from 0 to ${MAX_CHALLENGES}`;
  const num = (s: string, what: string, key: string): bigint | undefined => {
    const v = parseAmount(env, s, what);
    if (typeof v === "string") {
      errors[key] = v;
      return undefined;
    }
    return v;
  };
  const bondValue = num(bond, "Bond", "bond");
  const priceValue = num(price, "Price", "price");
  if (priceValue === 0n) errors.price = "Price must be above zero";
  const gainValue = num(gain, "Outside gain", "gain");
  const collateralValue = collateral.trim() === "" ? priceValue : num(collateral, "Collateral", "collateral");
  const maxClaim = bounds?.maxClaimPeriod ?? env.bounds.maxClaimPeriod;
  const claim = parseSeconds(claimPeriod, "Claim period", 1, maxClaim);
  if (typeof claim === "string") errors.claim = claim;
  // the other windows keep BatchClient's defaults (commit, prove and answer: 1 h each)
  const maxChallenge = bounds !== undefined ? bounds.maxTotalWindow - 3 * 3600 : 30 * 86400;
  const challengeSecs = parseSeconds(
    challengeWindow,
    "Challenge window",
    bounds?.minWindow ?? 1,
    maxChallenge,
  );
  if (typeof challengeSecs === "string") errors.challenge = challengeSecs;
  const minCollateral =
    gainValue !== undefined && priceValue !== undefined && n > 0 && errors.k === undefined
      ? minimumBatchCollateral({ gainPerSample: gainValue, numSamples: n, price: priceValue, sampleSize: k })
      : undefined;
  const valid = Object.keys(errors).length === 0 && priceValue !== undefined && bondValue !== undefined;

  const fmt = (v: bigint) => formatToken(env, v);
  const action = useAction();
  const connected = wallet.status === "connected";
  const shortOfTokens =
    connected && balances !== undefined && priceValue !== undefined && balances.token < priceValue;
  const busy = action.state.phase === "running";
  const blocker = !connected
    ? "Connect a wallet to post."
    : prepared.state !== "ready"
      ? "Pick, upload or link a dataset first."
      : !valid
        ? "Fix the terms above first."
        : shortOfTokens
          ? "Not enough funds (see above)."
          : undefined;

  const post = async () => {
    if (blocker !== undefined || prepared.state !== "ready" || entry === undefined) return;
    const ready = prepared;
    const r = await action.run(
      "Posting the batch job",
      async (signer) => {
        // a sampling circuit: its shape, no key; else the circuit's verification key, checked
        // against the registered verifier (its hash is a term)
        const { key } = await batchProofFor(
          entry.record,
          async () =>
            (
              await resolveVerificationKey(env.provider, entry.info, {
                fetch: env.fetcher,
                ...(entry.record.vkUri !== undefined && entry.record.vkUri !== ""
                  ? { vkeyUri: entry.record.vkUri }
                  : {}),
              })
            ).vkey,
        );
        return new BatchClient(env.deployment, signer).postBatch({
          circuit: entry.record.name,
          inputs: ready.inputs,
          inputsURI: ready.uri,
          key,
          sampleSize: k,
          maxChallenges: m,
          challengeBond: bondValue!,
          pricing: { price: priceValue! },
          collateral: collateralValue!,
          claimPeriod: claim as number,
          windows: { challenge: challengeSecs as number },
        });
      },
      (p) => `Batch job #${p.jobId} posted.`,
    );
    if (r !== undefined) navigate(`#/batch/${r.jobId}`);
  };

  if (models.length === 0) {
    return <Message kind="warning" title="No model to post to" />;
  }

  return (
    <form
      className="page post"
      onSubmit={(e) => {
        e.preventDefault();
        void post();
      }}
      noValidate
    >
      <PostModeTabs current="batch" />
      <h1>Post a batch job</h1>
      <p className="lead">
        A provider runs the model over a whole dataset and commits to all outputs; the chain then draws k of
        them at random and checks each with a zk proof. You can force a proof of any output you doubt.
      </p>

      <section aria-labelledby="h-bmodel">
        <h2 id="h-bmodel">1. Model</h2>
        <ModelPicker models={models} value={circuit} onChange={setCircuit} />
      </section>

      <section aria-labelledby="h-dataset">
        <h2 id="h-dataset">2. Dataset</h2>
        <fieldset className="row wrap" aria-label="Dataset source">
          {(
            [
              ["pick", "Published dataset"],
              ["upload", "Upload a .npy / .json tensor"],
              ["url", "Inputs file at a URL"],
            ] as const
          ).map(([v, label]) => (
            <label key={v}>
              <input
                type="radio"
                name="source"
                checked={source === v}
                onChange={() => {
                  setSource(v);
                  setPrepared({ state: "none" });
                  setPicked("");
                }}
              />{" "}
              {label}
            </label>
          ))}
        </fieldset>
        {source === "pick" && (
          <div className="field">
            <label htmlFor="dataset">Dataset</label>
            <select id="dataset" value={picked} onChange={(e) => pick(e.currentTarget.value)}>
              <option value="">{published === undefined ? "loading…" : "choose a dataset"}</option>
              {choices.map((d) => (
                <option key={d.file} value={d.file}>
                  {d.name} · {grouped(d.numSamples)} samples
                </option>
              ))}
            </select>
            <small className="muted">
              {published !== undefined && choices.length === 0
                ? "No dataset is published for this model here (npm run app:local publishes the MNIST held-out digits)."
                : "Published next to this page: its URL is what the provider downloads."}
            </small>
          </div>
        )}
        {source === "upload" && (
          <div className="field">
            <label htmlFor="upload">Tensor file (.npy or .json, samples first)</label>
            <input
              id="upload"
              type="file"
              accept=".npy,.json"
              onChange={(e) => {
                const f = e.currentTarget.files?.[0];
                if (f !== undefined) void upload(f);
              }}
            />
            <small className="muted">
              {env.config.datasetUploadUrl !== undefined
                ? "Encoded for the model in this page, then published by this app's server so the provider can fetch it."
                : "This host takes no uploads: publish the inputs file at a URL providers can reach and use “Inputs file at a URL”."}
            </small>
          </div>
        )}
        {source === "url" && (
          <div className="field">
            <label htmlFor="inputs-url">Inputs file URL</label>
            <div className="row">
              <input
                id="inputs-url"
                value={url}
                placeholder="https://…/dataset.inputs.bin"
                onChange={(e) => setUrl(e.currentTarget.value)}
              />
              <button
                type="button"
                disabled={!/^https?:\/\//.test(url.trim())}
                onClick={() => void prepare(url.trim(), undefined)}
              >
                Load
              </button>
            </div>
            <small className="muted">
              The samples' input bytes concatenated ({perSample} bytes each), served where providers can reach
              it (and readable by this page: CORS).
            </small>
          </div>
        )}
        {prepared.state === "working" && (
          <div className="progress" role="status" aria-live="polite">
            <span className="spinner" aria-hidden="true" /> {prepared.step}
          </div>
        )}
        {prepared.state === "failed" && (
          <Message kind="error" title="This dataset cannot be used">
            {prepared.message}
          </Message>
        )}
        {prepared.state === "ready" && (
          <dl className="facts" aria-label="Dataset commitments">
            <dt>Samples (N)</dt>
            <dd data-testid="num-samples">{grouped(prepared.inputs.numSamples)}</dd>
            <dt>Inputs root</dt>
            <dd className="mono wrap-anywhere" data-testid="inputs-root">
              {prepared.inputs.inputsRoot}
            </dd>
            <dt>Inputs hash (keccak256)</dt>
            <dd className="mono wrap-anywhere" data-testid="inputs-hash">
              {prepared.inputs.inputsHash}
            </dd>
            <dt>Inputs URI</dt>
            <dd className="mono wrap-anywhere">{prepared.uri}</dd>
          </dl>
        )}
      </section>

      <section aria-labelledby="h-sampling">
        <h2 id="h-sampling">3. Sampling and challenges</h2>
        <div className="grid two">
          <div className="fields">
            <Field
              id="k"
              label="Samples proven on-chain (k)"
              value={kText}
              onChange={setK}
              error={errors.k}
              hint={`1 to ${kMax}; each costs the provider one proof`}
            />
            <Field
              id="m"
              label="Challenges you may make (m)"
              value={mText}
              onChange={setM}
              error={errors.m}
              hint={`indices you may force to a proof after sampling (0 to ${MAX_CHALLENGES})`}
            />
            <Field
              id="bond"
              label={`Bond per challenged index (${env.token.symbol})`}
              value={bond}
              onChange={setBond}
              error={errors.bond}
              hint="paid to the provider when it answers, returned to you when it does not"
            />
            <Field
              id="challenge"
              label="Challenge window (seconds)"
              value={challengeWindow}
              onChange={setChallengeWindow}
              error={errors.challenge}
              hint={
                typeof challengeSecs === "number"
                  ? `${duration(challengeSecs)} after the samples are proven`
                  : ""
              }
            />
          </div>
          {errors.k === undefined && <DetectionTable k={k} n={n || k} />}
        </div>
      </section>

      <section aria-labelledby="h-bprice">
        <h2 id="h-bprice">4. Price and collateral</h2>
        <div className="fields grid two">
          <Field
            id="bprice"
            label={`Price (${env.token.symbol})`}
            value={price}
            onChange={setPrice}
            error={errors.price}
            hint="for the whole batch; escrowed now"
          />
          <Field
            id="gain"
            label={`Outside gain per faked output (${env.token.symbol})`}
            value={gain}
            onChange={setGain}
            error={errors.gain}
            hint="what a wrong output could be worth to someone: sizes the collateral"
          />
          <Field
            id="bcollateral"
            label={`Collateral (${env.token.symbol})`}
            value={collateral}
            onChange={setCollateral}
            error={errors.collateral}
            placeholder={priceValue !== undefined ? `${fmt(priceValue)} (the price)` : "the price"}
            hint="locked from the provider's stake; lost in full if a sampled or challenged output fails"
          />
          <Field
            id="bclaim"
            label="Claim period (seconds)"
            value={claimPeriod}
            onChange={setClaimPeriod}
            error={errors.claim}
            hint={`1 s to ${duration(maxClaim)}`}
          />
        </div>
        {minCollateral !== undefined && (
          <p data-testid="min-collateral">
            Minimum collateral (SDK rule X ≥ g·N − P, docs/BATCH.md): <strong>{fmt(minCollateral)}</strong>
            {collateralValue !== undefined && collateralValue < minCollateral && (
              <span className="error-text"> — the collateral above is lower: cheating could pay.</span>
            )}
          </p>
        )}
      </section>

      <section aria-labelledby="h-bpost">
        <h2 id="h-bpost">5. Post</h2>
        {valid && priceValue !== undefined && (
          <p>
            You escrow <strong>{fmt(priceValue)}</strong> now (one approval, then the post). Challenging costs{" "}
            {bondValue !== undefined ? fmt(bondValue) : "the bond"} per index.
          </p>
        )}
        {shortOfTokens && (
          <Message kind="warning" title={`Not enough ${env.token.symbol}`}>
            Your balance is {fmt(balances!.token)}, and this job escrows {fmt(priceValue!)}.{" "}
            {env.local ? <FaucetButton /> : `Get ${env.token.symbol} into this account first.`}
          </Message>
        )}
        <div className="row wrap">
          <button type="submit" className="primary big" disabled={blocker !== undefined || busy}>
            {busy ? "Posting…" : "Post batch job"}
          </button>
          {blocker !== undefined && !busy && <span className="muted">{blocker}</span>}
        </div>
        <ActionProgress state={action.state} />
        {prepared.state === "ready" && (
          <p className="muted small">
            Inputs root {short(prepared.inputs.inputsRoot, 10, 6)} over {grouped(prepared.inputs.numSamples)}{" "}
            samples.
          </p>
        )}
      </section>
    </form>
  );
}
