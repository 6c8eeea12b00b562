/** The auction's price curve (from the SDK's `priceAt`) and the bar chart of a result's logits. */
import { ZERO_TERMS, priceAt, type JobTerms } from "proofwork";
import { duration } from "../format.ts";

type Pricing = Pick<JobTerms, "minPrice" | "maxPrice" | "rampDuration" | "postedAt">;

/**
 * Price over time from posting: rises from the start price to the end price over the ramp, then
 * stays. `now` and `claimedAt` (seconds since posting) are marked.
 */
export function PriceCurve({
  pricing,
  horizon,
  format,
  now,
  claimedAt,
}: {
  pricing: Pricing;
  /** Seconds shown (at least the ramp). */
  horizon: number;
  format: (v: bigint) => string;
  now?: number;
  claimedAt?: number;
}) {
  const W = 360;
  const H = 170;
  const pad = { l: 8, r: 8, t: 22, b: 30 };
  const span = Math.max(horizon, pricing.rampDuration, 1);
  const terms: JobTerms = { ...ZERO_TERMS, ...pricing };
  const max = pricing.maxPrice > 0n ? pricing.maxPrice : 1n;
  const x = (t: number) => pad.l + ((W - pad.l - pad.r) * t) / span;
  const y = (p: bigint) => H - pad.b - Number((BigInt(H - pad.t - pad.b) * 1000n * p) / max) / 1000;
  const N = 64;
  const points = Array.from({ length: N + 1 }, (_, i) => {
    const t = (span * i) / N;
    return `${x(t).toFixed(1)},${y(priceAt(terms, pricing.postedAt + Math.round(t))).toFixed(1)}`;
  }).join(" ");
  const marker = (t: number, label: string, cls: string) => {
    const p = priceAt(terms, pricing.postedAt + Math.round(t));
    return (
      <g className={cls}>
        <line x1={x(t)} x2={x(t)} y1={pad.t - 6} y2={H - pad.b} />
        <circle cx={x(t)} cy={y(p)} r={4} />
        <text x={Math.min(x(t) + 4, W - 120)} y={pad.t - 8}>
          {label}: {format(p)}
        </text>
      </g>
    );
  };
  const summary =
    pricing.rampDuration === 0
      ? `Fixed price ${format(pricing.maxPrice)}`
      : `Price rises from ${format(pricing.minPrice)} to ${format(pricing.maxPrice)} over ${duration(pricing.rampDuration)}, then stays at ${format(pricing.maxPrice)}`;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        <line className="axis" x1={pad.l} x2={W - pad.r} y1={H - pad.b} y2={H - pad.b} />
        <polyline className="curve" points={points} />
        {pricing.rampDuration > 0 && pricing.rampDuration < span && (
          <line
            className="guide"
            x1={x(pricing.rampDuration)}
            x2={x(pricing.rampDuration)}
            y1={pad.t}
            y2={H - pad.b}
          />
        )}
        <text className="tick" x={pad.l} y={H - 10}>
          posted
        </text>
        <text className="tick" x={W - pad.r} y={H - 10} textAnchor="end">
          +{duration(span)}
        </text>
        <text className="tick" x={x(span * 0.98)} y={y(pricing.maxPrice) - 6} textAnchor="end">
          {format(pricing.maxPrice)}
        </text>
        {pricing.rampDuration > 0 && (
          <text className="tick" x={pad.l + 4} y={y(pricing.minPrice) - 6}>
            {format(pricing.minPrice)}
          </text>
        )}
        {pricing.rampDuration > 0 && pricing.rampDuration < span * 0.85 && (
          <text className="tick" x={x(pricing.rampDuration)} y={H - 10} textAnchor="middle">
            +{duration(pricing.rampDuration)}
          </text>
        )}
        {now !== undefined && now >= 0 && now <= span && claimedAt === undefined && marker(now, "now", "now")}
        {claimedAt !== undefined && marker(Math.min(claimedAt, span), "claimed at", "claimed")}
      </svg>
      <figcaption>{summary}.</figcaption>
    </figure>
  );
}

/** The logits of one sample as horizontal bars around zero; the predicted class highlighted. */
export function LogitsChart({ logits, predicted }: { logits: bigint[]; predicted: number }) {
  const values = logits.map(Number);
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const range = hi - lo || 1;
  const W = 360;
  const row = 22;
  const labelW = 26;
  const valueW = 70;
  const plot = W - labelW - valueW;
  const zero = labelW + (plot * (0 - lo)) / range;
  const H = row * values.length + 4;
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Logits per class: ${values.map((v, k) => `${k}: ${v}`).join(", ")}; predicted ${predicted}`}
      >
        {values.map((v, k) => {
          const x0 = labelW + (plot * (Math.min(v, 0) - lo)) / range;
          const w = (plot * Math.abs(v)) / range;
          return (
            <g
              key={k}
              className={k === predicted ? "bar predicted" : "bar"}
              transform={`translate(0 ${k * row + 2})`}
            >
              <text x={4} y={row * 0.7}>
                {k}
              </text>
              <rect x={x0} y={3} width={Math.max(w, 1)} height={row - 6} rx={2} />
              <text x={W - valueW + 6} y={row * 0.7} className="value">
                {v}
              </text>
            </g>
          );
        })}
        <line className="axis" x1={zero} x2={zero} y1={0} y2={H} />
      </svg>
      <figcaption>
        Logits (the circuit's 10 integer outputs); the highest one is the predicted class.
      </figcaption>
    </figure>
  );
}
