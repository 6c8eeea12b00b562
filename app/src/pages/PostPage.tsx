/**
 * Post a job: a registered model, a drawn or uploaded digit shown as the exact bytes the circuit
 * commits to (and the commitment), fixed price or reverse Dutch auction with its curve, collateral
 * and deadlines within the market's bounds, then one permit signature and one transaction — all
 * through the SDK (`imageToDigit`, `encodeDigits`, `encodePicture` for models that do not take
 * digits, `commitInput`, `priceAt`, `RequesterClient.postJob`).
 */
import { useEffect, useMemo, useState } from "react";
import { keccak256, parseUnits } from "ethers";
import {
  commitInput,
  encodeDigits,
  encodePicture,
  imageToDigit,
  inputSize,
  packedLength,
  sourceShape,
  takesDigits,
  type ModelArtifact,
  type Pricing,
  type RgbaImage,
} from "proofwork";
import { ActionProgress, Message, navigate } from "../components/common.tsx";
import { ByteGrid, DigitCanvas } from "../components/DigitCanvas.tsx";
import { PriceCurve } from "../components/charts.tsx";
import { FaucetButton } from "../components/WalletBar.tsx";
import { formatToken, type Env, type ModelEntry } from "../env.ts";
import { explain } from "../errors.ts";
import { bps, duration, hexRows, short } from "../format.ts";
import { useAction, useApp } from "../state.tsx";

/** A model's shape in words: `28×28 digit = 784 bytes`, `conv2d 12×12×8 → … → dense 10`. */
export function modelShape(m: ModelArtifact): { input: string; layers: string } {
  const n = inputSize(m);
  const src = sourceShape(m.input).join("×");
  const what = takesDigits(m) ? "28×28 digit" : `${src} picture or tensor`;
  const input =
    m.input.source.kind === "avgpool2x2"
      ? `${what}, 2×2 average-pooled to ${m.input.shape.join("×")} = ${n} bytes`
      : `${what} = ${n} bytes`;
  const layers = m.layers
    .filter((l) => l.kind !== "reshape")
    .map((l) => `${l.kind} ${l.outShape.join("×")}`)
    .join(" → ");
  return { input, layers };
}

/** The accuracy recorded in the artifact's metadata at import (when labelled data was given). */
export function accuracyText(m: ModelArtifact): string {
  const acc = m.meta?.["accuracy"] as
    { quantized?: number; float?: number; samples?: number; heldOut?: number } | undefined;
  if (acc?.quantized === undefined) return "not recorded";
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const samples = acc.samples ?? acc.heldOut;
  return `${pct(acc.quantized)}${samples !== undefined ? ` on ${samples.toLocaleString("en-US")} held-out samples` : ""} (quantized${acc.float !== undefined ? `; float ${pct(acc.float)}` : ""})`;
}

export function parseAmount(env: Env, s: string, what: string): bigint | string {
  const t = s.trim();
  if (t === "") return `${what}: enter an amount`;
  try {
    const v = parseUnits(t, env.token.decimals);
    if (v < 0n) return `${what} cannot be negative`;
    if (v >= 1n << 96n) return `${what} is too large`;
    return v;
  } catch {
    return `${what}: "${t}" is not an amount of ${env.token.symbol}`;
  }
}

export function parseSeconds(s: string, what: string, min: number, max: number): number | string {
  const v = Number(s.trim());
  if (!Number.isInteger(v)) return `${what}: a whole number of seconds`;
  if (v < min || v > max) return `${what} must be between ${duration(min)} and ${duration(max)}`;
  return v;
}

export function ModelPicker({
  models,
  value,
  onChange,
}: {
  models: ModelEntry[];
  value: string | undefined;
  onChange: (name: string) => void;
}) {
  return (
    <fieldset className="models">
      <legend className="visually-hidden">Model</legend>
      {models.map((m) => {
        const shape = modelShape(m.model!);
        return (
          <label key={m.record.name} className={`card choice ${value === m.record.name ? "selected" : ""}`}>
            <input
              type="radio"
              name="model"
              value={m.record.name}
              checked={value === m.record.name}
              onChange={() => onChange(m.record.name)}
            />
            <span>
              <strong>{m.model!.name}</strong> <span className="muted mono">({m.record.name})</span>
              <br />
              Input: {shape.input}
              <br />
              Layers: {shape.layers}, {m.model!.output.bits}-bit outputs
              <br />
              Accuracy: {accuracyText(m.model!)}
              <br />
              {m.record.sampling !== undefined ? (
                <>
                  Proofs: {m.record.sampling.slots} samples per proof (sampling circuit, trees of depth{" "}
                  {m.record.sampling.treeDepth})
                  <br />
                </>
              ) : null}
              {m.modelMatches === true ? (
                <span className="ok">✓ model.json matches the registry's model commitment</span>
              ) : (
                <span className="error-text">
                  ✗ model.json does not match the registry's model commitment
                </span>
              )}
              {!m.info.active && <span className="error-text"> · deactivated: no new jobs</span>}
            </span>
          </label>
        );
      })}
    </fieldset>
  );
}

/** Single input or batch: the two ways to post, as tabs (`#/post`, `#/post/batch`). */
export function PostModeTabs({ current }: { current: "single" | "batch" }) {
  return (
    <nav className="tabs" aria-label="Kind of job">
      <a href="#/post" aria-current={current === "single" ? "page" : undefined}>
        Single input
      </a>
      <a href="#/post/batch" aria-current={current === "batch" ? "page" : undefined}>
        Batch (dataset)
      </a>
    </nav>
  );
}

/** The registered models that have a model file, and the one picked (the first active by default). */
export function useModelChoice(all: readonly ModelEntry[]) {
  const models = all.filter((m) => m.model !== undefined);
  const [circuit, setCircuit] = useState(models.find((m) => m.info.active)?.record.name);
  const entry = models.find((m) => m.record.name === circuit);
  return { models, circuit, setCircuit, entry, model: entry?.model };
}

export function PostPage() {
  const app = useApp();
  const { env, wallet, balances } = app;
  // a sampling circuit proves batch jobs only
  const { models, circuit, setCircuit, entry, model } = useModelChoice(
    useMemo(() => env.models.filter((m) => m.record.sampling === undefined), [env.models]),
  );

  // ---- input
  const [image, setImage] = useState<RgbaImage>();
  // digit models: the picture normalised as an MNIST digit; other models: resized to their input
  const digitModel = model !== undefined && takesDigits(model);
  const digit = useMemo(() => {
    if (image === undefined || model === undefined) return undefined;
    try {
      if (!digitModel) return { bytes: encodePicture(model, image, { mode: "resize" }) };
      const d = imageToDigit(image);
      return { digit: d, bytes: encodeDigits(model, [d]) };
    } catch (e) {
      return { error: explain(e).message };
    }
  }, [image, model, digitModel]);
  const input = digit?.bytes;
  const [commitment, setCommitment] = useState<bigint>();
  useEffect(() => {
    setCommitment(undefined);
    if (input === undefined) return;
    let stale = false;
    void commitInput(input).then((c) => {
      if (!stale) setCommitment(c);
    });
    return () => {
      stale = true;
    };
  }, [input]);

  // ---- terms
  const [mode, setMode] = useState<"fixed" | "auction">("fixed");
  const [price, setPrice] = useState("2");
  const [start, setStart] = useState("0.5");
  const [end, setEnd] = useState("2");
  const [ramp, setRamp] = useState("120");
  const [collateral, setCollateral] = useState("");
  const [claimPeriod, setClaimPeriod] = useState("3600");
  const [execWindow, setExecWindow] = useState(
    String(Math.min(Math.max(600, env.bounds.minExecutionWindow), env.bounds.maxExecutionWindow)),
  );

  const errors: Record<string, string> = {};
  let pricing: Pricing | undefined;
  let maxPrice = 0n;
  if (mode === "fixed") {
    const p = parseAmount(env, price, "Price");
    if (typeof p === "string") errors.price = p;
    else if (p === 0n) errors.price = "Price must be above zero";
    else {
      pricing = { price: p };
      maxPrice = p;
    }
  } else {
    const a = parseAmount(env, start, "Start price");
    const b = parseAmount(env, end, "End price");
    const r = parseSeconds(ramp, "Ramp", 1, env.bounds.maxClaimPeriod);
    if (typeof a === "string") errors.start = a;
    if (typeof b === "string") errors.end = b;
    if (typeof r === "string") errors.ramp = r;
    if (typeof a === "bigint" && typeof b === "bigint" && a >= b)
      errors.end = "The end price must be above the start price (the price rises until a provider claims)";
    if (errors.start === undefined && errors.end === undefined && errors.ramp === undefined) {
      pricing = { minPrice: a as bigint, maxPrice: b as bigint, rampDuration: r as number };
      maxPrice = b as bigint;
    }
  }
  let collateralValue: bigint | undefined;
  if (collateral.trim() !== "") {
    const c = parseAmount(env, collateral, "Collateral");
    if (typeof c === "string") errors.collateral = c;
    else collateralValue = c;
  }
  const claim = parseSeconds(claimPeriod, "Claim period", 1, env.bounds.maxClaimPeriod);
  if (typeof claim === "string") errors.claim = claim;
  const exec = parseSeconds(
    execWindow,
    "Execution window",
    env.bounds.minExecutionWindow,
    env.bounds.maxExecutionWindow,
  );
  if (typeof exec === "string") errors.window = exec;
  const valid = Object.keys(errors).length === 0 && pricing !== undefined;

  const fmt = (v: bigint) => formatToken(env, v);
  const action = useAction();
  const connected = wallet.status === "connected";
  const shortOfTokens = connected && balances !== undefined && valid && balances.token < maxPrice;
  const noGas = connected && balances !== undefined && balances.eth === 0n;
  const busy = action.state.phase === "running";
  const blocker = !connected
    ? "Connect a wallet to post."
    : input === undefined
      ? "Draw, upload or pick a digit first."
      : !valid
        ? "Fix the terms above first."
        : shortOfTokens || noGas
          ? "Not enough funds (see above)."
          : undefined;

  const post = async () => {
    if (blocker !== undefined || pricing === undefined || input === undefined || entry === undefined) return;
    const r = await action.run(
      "Posting the job",
      (_signer, client) =>
        client.postJob({
          circuit: entry.record.name,
          input,
          pricing: pricing!,
          ...(collateralValue !== undefined ? { collateral: collateralValue } : {}),
          claimPeriod: claim as number,
          executionWindow: exec as number,
        }),
      (p) =>
        `Job #${p.jobId} posted${p.usedPermit ? " — escrow authorised by permit, in one signature" : ""}.`,
    );
    if (r !== undefined) navigate(`#/job/${r.jobId}`);
  };

  if (models.length === 0) {
    return (
      <Message kind="warning" title="No model to post to">
        This deployment registers no circuit compiled from a model (or its model.json could not be read:{" "}
        {env.models
          .map((m) => m.modelError)
          .filter(Boolean)
          .join("; ") || "none published"}
        ).
      </Message>
    );
  }

  const side = model !== undefined ? Math.round(Math.sqrt(inputSize(model))) : 0;
  const now = app.chainNow();
  const horizon =
    mode === "auction" && typeof pricing === "object" && "rampDuration" in pricing
      ? Math.ceil(pricing.rampDuration * 1.3)
      : typeof claim === "number"
        ? claim
        : 3600;

  return (
    <form
      className="page post"
      onSubmit={(e) => {
        e.preventDefault();
        void post();
      }}
      noValidate
    >
      <PostModeTabs current="single" />
      <h1>Post an inference job</h1>
      <p className="lead">
        A provider runs the model on your input, proves the result with a Groth16 proof that the market
        verifies on-chain, and is paid only then. You can re-check the proof here, in your browser.
      </p>

      <section aria-labelledby="h-model">
        <h2 id="h-model">1. Model</h2>
        <ModelPicker models={models} value={circuit} onChange={setCircuit} />
      </section>

      <section aria-labelledby="h-input">
        <h2 id="h-input">2. Input</h2>
        <div className="grid two">
          <DigitCanvas onImage={(img) => setImage(img)} />
          <div>
            {digit?.error !== undefined && <Message kind="warning">{digit.error}</Message>}
            {input === undefined || model === undefined ? (
              <p className="muted">Draw a digit (white on black), upload a picture, or pick a sample.</p>
            ) : (
              <div className="committed">
                <h3>What the circuit commits to</h3>
                <div className="row">
                  {digit?.digit !== undefined && (
                    <figure>
                      <ByteGrid
                        bytes={digit.digit}
                        side={28}
                        label="The digit, normalised to 28×28 (MNIST style)"
                      />
                      <figcaption>28×28 digit</figcaption>
                    </figure>
                  )}
                  {model.input.source.kind !== "identity" && (
                    <figure>
                      <ByteGrid
                        bytes={input}
                        side={side}
                        label={`The ${input.length} input bytes as a ${side}×${side} picture`}
                      />
                      <figcaption>
                        {side}×{side} input
                      </figcaption>
                    </figure>
                  )}
                </div>
                <dl className="facts">
                  <dt>Input bytes</dt>
                  <dd>
                    {input.length} bytes (one per pixel, row-major), packed into {packedLength(input.length)}{" "}
                    field elements
                  </dd>
                  <dt>Input commitment</dt>
                  <dd className="mono" data-testid="commitment">
                    {commitment === undefined ? "computing…" : short(commitment.toString(), 12, 8)}
                  </dd>
                  <dt>Input hash</dt>
                  <dd className="mono">{short(keccak256(input), 12, 8)}</dd>
                </dl>
                <details>
                  <summary>Show the {input.length} bytes and the full commitment</summary>
                  <pre className="hex" aria-label="input bytes in hex">
                    {hexRows(input, side).join("\n")}
                  </pre>
                  <p className="mono wrap-anywhere">Poseidon commitment: {commitment?.toString() ?? "…"}</p>
                </details>
              </div>
            )}
          </div>
        </div>
      </section>

      <section aria-labelledby="h-price">
        <h2 id="h-price">3. Price</h2>
        <fieldset className="row wrap" aria-label="Pricing">
          <label>
            <input type="radio" name="mode" checked={mode === "fixed"} onChange={() => setMode("fixed")} />{" "}
            Fixed price
          </label>
          <label>
            <input
              type="radio"
              name="mode"
              checked={mode === "auction"}
              onChange={() => setMode("auction")}
            />{" "}
            Reverse Dutch auction
          </label>
        </fieldset>
        <div className="grid two">
          <div className="fields">
            {mode === "fixed" ? (
              <Field
                id="price"
                label={`Price (${env.token.symbol})`}
                value={price}
                onChange={setPrice}
                error={errors.price}
              />
            ) : (
              <>
                <Field
                  id="start"
                  label={`Start price (${env.token.symbol})`}
                  value={start}
                  onChange={setStart}
                  error={errors.start}
                  hint="what a provider claiming right away gets"
                />
                <Field
                  id="end"
                  label={`End price (${env.token.symbol})`}
                  value={end}
                  onChange={setEnd}
                  error={errors.end}
                  hint="escrowed now; the unused part comes back"
                />
                <Field
                  id="ramp"
                  label="Ramp (seconds)"
                  value={ramp}
                  onChange={setRamp}
                  error={errors.ramp}
                  hint={`at most ${duration(env.bounds.maxClaimPeriod)}`}
                />
              </>
            )}
          </div>
          {pricing !== undefined && (
            <PriceCurve
              pricing={{
                minPrice: "price" in pricing ? pricing.price : pricing.minPrice,
                maxPrice: maxPrice,
                rampDuration: "price" in pricing ? 0 : pricing.rampDuration,
                postedAt: Math.floor(now),
              }}
              horizon={horizon}
              format={fmt}
            />
          )}
        </div>
      </section>

      <section aria-labelledby="h-terms">
        <h2 id="h-terms">4. Collateral and deadlines</h2>
        <div className="fields grid two">
          <Field
            id="collateral"
            label={`Collateral (${env.token.symbol})`}
            value={collateral}
            onChange={setCollateral}
            error={errors.collateral}
            placeholder={valid ? `${fmt(maxPrice)} (the max price)` : "the max price"}
            hint={`locked from the provider's stake when it claims; if it misses the deadline, ${bps(env.economics.slashRequesterBps)} goes to you, ${bps(env.economics.slashBountyBps)} to whoever reports it, the rest to the treasury`}
          />
          <Field
            id="claim"
            label="Claim period (seconds)"
            value={claimPeriod}
            onChange={setClaimPeriod}
            error={errors.claim}
            hint={`how long providers may claim it: 1 s to ${duration(env.bounds.maxClaimPeriod)}; after it, you can reclaim the escrow`}
          />
          <Field
            id="window"
            label="Execution window (seconds)"
            value={execWindow}
            onChange={setExecWindow}
            error={errors.window}
            hint={`time from claim to proof: ${duration(env.bounds.minExecutionWindow)} to ${duration(env.bounds.maxExecutionWindow)}`}
          />
        </div>
      </section>

      <section aria-labelledby="h-post">
        <h2 id="h-post">5. Post</h2>
        {valid && (
          <p>
            You escrow <strong>{fmt(maxPrice)}</strong> now (refunded if you cancel before a claim or nobody
            claims). The provider is paid the {mode === "auction" ? "price at its claim" : "price"} minus the{" "}
            {bps(env.economics.feeBps)} protocol fee once the proof verifies; the rest of the escrow comes
            back to you.
          </p>
        )}
        {shortOfTokens && (
          <Message kind="warning" title={`Not enough ${env.token.symbol}`}>
            Your balance is {fmt(balances!.token)}, and this job escrows {fmt(maxPrice)}.{" "}
            {env.local ? <FaucetButton /> : `Get ${env.token.symbol} into this account first.`}
          </Message>
        )}
        {noGas && (
          <Message kind="warning" title="No ETH for gas">
            This account has no ETH to pay for the transaction fee.
          </Message>
        )}
        <div className="row wrap">
          <button type="submit" className="primary big" disabled={blocker !== undefined || busy}>
            {busy ? "Posting…" : "Post job"}
          </button>
          {blocker !== undefined && !busy && <span className="muted">{blocker}</span>}
        </div>
        <ActionProgress state={action.state} />
      </section>
    </form>
  );
}

export function Field({
  id,
  label,
  value,
  onChange,
  error,
  hint,
  placeholder,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  hint?: string;
  placeholder?: string;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        inputMode="decimal"
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.currentTarget.value)}
        aria-invalid={error !== undefined}
        aria-describedby={`${id}-note`}
      />
      <small id={`${id}-note`} className={error !== undefined ? "error-text" : "muted"}>
        {error ?? hint}
      </small>
    </div>
  );
}
