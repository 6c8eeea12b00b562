/**
 * The market explorer, live from the SDK's `MarketIndex`: totals (jobs, volume, fees, gas per
 * completed job from the receipts), jobs filterable by status, requester and provider, providers
 * with their stake, capability and record, and the registered models with their constraints.
 */
import { useEffect, useMemo, useState } from "react";
import {
  BatchClient,
  JOB_STATUS_NAMES,
  MarketIndex,
  type BatchListing,
  type IndexedJob,
  type JobStatusName,
  type ProviderStatus,
} from "proofwork";
import { Address, StatusBadge } from "../components/common.tsx";
import { formatToken, type Env } from "../env.ts";
import { grouped, short } from "../format.ts";
import { useApp } from "../state.tsx";
import { accuracyText, modelShape } from "./PostPage.tsx";

const gasOf = new Map<string, bigint>();

/** Average gas of a completed job: post + claim + submit + its share of the batched collect. */
function useGasPerJob(env: Env, jobs: IndexedJob[], version: number): { avg: bigint; n: number } | undefined {
  const [value, setValue] = useState<{ avg: bigint; n: number }>();
  useEffect(() => {
    let stale = false;
    const done = jobs.filter((j) => j.status === "Completed" || j.status === "Paid").slice(0, 50);
    if (done.length === 0) {
      setValue(undefined);
      return;
    }
    // jobs paid by each collect transaction
    const perCollect = new Map<string, number>();
    for (const j of jobs)
      for (const t of j.timeline)
        if (t.event === "JobPaid") perCollect.set(t.txHash, (perCollect.get(t.txHash) ?? 0) + 1);
    void (async () => {
      const hashes = [...new Set(done.flatMap((j) => j.timeline.map((t) => t.txHash)))].filter(
        (h) => !gasOf.has(h),
      );
      await Promise.all(
        hashes.map(async (h) => {
          const r = await env.provider.getTransactionReceipt(h);
          if (r !== null) gasOf.set(h, r.gasUsed);
        }),
      );
      let total = 0n;
      for (const j of done) {
        for (const t of j.timeline) {
          const g = gasOf.get(t.txHash) ?? 0n;
          total += t.event === "JobPaid" ? g / BigInt(perCollect.get(t.txHash) ?? 1) : g;
        }
      }
      if (!stale) setValue({ avg: total / BigInt(done.length), n: done.length });
    })().catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [env, jobs, version]);
  return value;
}

function Totals({ jobs }: { jobs: IndexedJob[] }) {
  const app = useApp();
  const { env, index, indexVersion } = app;
  const totals = index.totals();
  const gas = useGasPerJob(env, jobs, indexVersion);
  const f = (v: string) => formatToken(env, BigInt(v));
  return (
    <section aria-labelledby="h-totals">
      <h2 id="h-totals">Market</h2>
      <div className="tiles">
        <div className="tile">
          <span className="muted">Jobs</span>
          <strong data-testid="total-jobs">{totals.jobs}</strong>
          <span className="small">
            {totals.byStatus.Open} open · {totals.byStatus.Claimed} claimed ·{" "}
            {totals.byStatus.Completed + totals.byStatus.Paid} proven
          </span>
        </div>
        <div className="tile">
          <span className="muted">Volume paid to providers</span>
          <strong>{f(totals.volume)}</strong>
          <span className="small">fees {f(totals.fees)}</span>
        </div>
        <div className="tile">
          <span className="muted">Gas per proven job</span>
          <strong>{gas === undefined ? "—" : grouped(gas.avg)}</strong>
          <span className="small">
            {gas === undefined
              ? "no proven job yet"
              : `post + claim + submit + collect share, over ${gas.n} job(s)`}
          </span>
        </div>
        <div className="tile">
          <span className="muted">Ended without a proof</span>
          <strong>{totals.byStatus.Cancelled + totals.byStatus.Reclaimed + totals.byStatus.Slashed}</strong>
          <span className="small">
            {totals.byStatus.Cancelled} cancelled · {totals.byStatus.Reclaimed} reclaimed ·{" "}
            {totals.byStatus.Slashed} slashed
          </span>
        </div>
      </div>
    </section>
  );
}

function Jobs() {
  const app = useApp();
  const { env, index, indexVersion, wallet } = app;
  const [status, setStatus] = useState<"" | JobStatusName>("");
  const [requester, setRequester] = useState("");
  const [provider, setProvider] = useState("");
  const clean = (s: string) => (/^0x[0-9a-fA-F]{40}$/.test(s.trim()) ? s.trim() : undefined);
  const jobs = useMemo(
    () =>
      index.jobs({
        ...(status !== "" ? { status } : {}),
        ...(clean(requester) !== undefined ? { requester: clean(requester) } : {}),
        ...(clean(provider) !== undefined ? { provider: clean(provider) } : {}),
      }),
    [index, indexVersion, status, requester, provider],
  );
  const byId = new Map(env.models.map((m) => [m.record.id.toLowerCase(), m]));
  const f = (v: bigint) => formatToken(env, v);
  const badFilter = (s: string) => s.trim() !== "" && clean(s) === undefined;
  return (
    <section aria-labelledby="h-jobs">
      <h2 id="h-jobs">Jobs</h2>
      <div className="filters row wrap" role="group" aria-label="Filter jobs">
        <label>
          Status{" "}
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value as JobStatusName | "")}>
            <option value="">all</option>
            {JOB_STATUS_NAMES.filter((s) => s !== "None").map((s) => (
              <option key={s} value={s}>
                {s === "Completed" ? "Proven (Completed)" : s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Requester{" "}
          <input
            value={requester}
            placeholder="0x…"
            onChange={(e) => setRequester(e.currentTarget.value)}
            aria-invalid={badFilter(requester)}
          />
        </label>
        <label>
          Provider{" "}
          <input
            value={provider}
            placeholder="0x…"
            onChange={(e) => setProvider(e.currentTarget.value)}
            aria-invalid={badFilter(provider)}
          />
        </label>
        {wallet.status === "connected" && (
          <button type="button" onClick={() => setRequester(wallet.address)}>
            My jobs
          </button>
        )}
      </div>
      {jobs.length === 0 ? (
        <p className="muted">No job matches.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Model</th>
                <th scope="col">Price</th>
                <th scope="col">Requester</th>
                <th scope="col">Provider</th>
                <th scope="col">Posted in block</th>
              </tr>
            </thead>
            <tbody>
              {jobs.slice(0, 200).map((j) => {
                const claimed = MarketIndex.claimedPrice(j);
                return (
                  <tr key={j.jobId}>
                    <td>
                      <a href={`#/job/${j.jobId}`}>#{j.jobId}</a>
                    </td>
                    <td>
                      <StatusBadge status={j.status} />
                    </td>
                    <td>
                      {byId.get(j.terms.circuitId.toLowerCase())?.record.name ?? short(j.terms.circuitId)}
                    </td>
                    <td>
                      {claimed !== undefined
                        ? f(claimed)
                        : j.terms.rampDuration > 0
                          ? `${f(j.terms.minPrice)} → ${f(j.terms.maxPrice)}`
                          : f(j.terms.maxPrice)}
                    </td>
                    <td>
                      <Address address={j.terms.requester} />
                    </td>
                    <td>
                      {j.provider !== undefined ? (
                        <Address address={j.provider} />
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>{j.timeline[0]?.blockNumber}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Providers() {
  const app = useApp();
  const { env, index, indexVersion } = app;
  const [registered, setRegistered] = useState<string[]>([]);
  const [status, setStatus] = useState<Map<string, ProviderStatus>>(new Map());
  const stats = useMemo(() => index.providers(), [index, indexVersion]);
  // registered providers (from the staking contract's events), including those that never claimed
  useEffect(() => {
    let stale = false;
    const staking = env.reader.contracts.staking;
    void staking
      .queryFilter(staking.filters.ProviderRegistered(), env.deployment.startBlock)
      .then((logs) => {
        if (!stale)
          setRegistered(
            logs.map((l) => String((l as { args?: { provider?: string } }).args?.provider ?? "")),
          );
      })
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [env, indexVersion]);
  const addresses = useMemo(
    () => [
      ...new Set(
        [...stats.map((s) => s.address), ...registered].filter((a) => a !== "").map((a) => a.toLowerCase()),
      ),
    ],
    [stats, registered],
  );
  useEffect(() => {
    let stale = false;
    void Promise.all(addresses.map((a) => env.providers.status(a)))
      .then((all) => {
        if (!stale) setStatus(new Map(all.map((s) => [s.address.toLowerCase(), s])));
      })
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [env, addresses, app.head?.number]);
  const f = (v: bigint) => formatToken(env, v);
  return (
    <section aria-labelledby="h-providers">
      <h2 id="h-providers">Providers</h2>
      {addresses.length === 0 ? (
        <p className="muted">No provider has registered yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col">Stake</th>
                <th scope="col">Capability</th>
                <th scope="col">Claimed</th>
                <th scope="col">Completed</th>
                <th scope="col">Failed</th>
                <th scope="col">Slashed</th>
                <th scope="col">Earned</th>
              </tr>
            </thead>
            <tbody>
              {addresses.map((a) => {
                const s = status.get(a);
                const st = stats.find((x) => x.address.toLowerCase() === a);
                return (
                  <tr key={a}>
                    <td>
                      <Address address={s?.address ?? a} />
                      <div className="small muted">
                        {s === undefined ? "…" : s.active ? "active" : "inactive"}
                      </div>
                    </td>
                    <td>
                      {s === undefined ? "…" : f(s.stake)}
                      {s !== undefined && s.locked > 0n && (
                        <div className="small muted">{f(s.locked)} locked</div>
                      )}
                    </td>
                    <td>
                      {s?.capability === undefined
                        ? "—"
                        : `${s.capability.gpuModel || "unnamed"} · ${s.capability.backends.join(", ") || "—"} · ${s.capability.maxConcurrentJobs} at once`}
                    </td>
                    <td>{st?.claimed ?? 0}</td>
                    <td>{s?.jobsCompleted ?? st?.completed ?? 0}</td>
                    <td>{s?.jobsFailed ?? 0}</td>
                    <td>
                      {st?.slashed ?? 0}
                      {s !== undefined && s.totalSlashed > 0n && (
                        <div className="small muted">{f(s.totalSlashed)}</div>
                      )}
                    </td>
                    <td>{st !== undefined ? f(BigInt(st.earned)) : "—"}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Models() {
  const { env, index, indexVersion } = useApp();
  const circuits = useMemo(
    () => new Map(index.circuits().map((c) => [c.circuitId.toLowerCase(), c])),
    [index, indexVersion],
  );
  return (
    <section aria-labelledby="h-models">
      <h2 id="h-models">Models</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Circuit</th>
              <th scope="col">Input</th>
              <th scope="col">Layers</th>
              <th scope="col">Accuracy</th>
              <th scope="col">Constraints</th>
              <th scope="col">Public signals</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {env.models.map((m) => {
              const live = circuits.get(m.record.id.toLowerCase());
              const active = live?.active ?? m.info.active;
              return (
                <tr key={m.record.id}>
                  <td>
                    <strong>{m.record.name}</strong>
                    <div className="small muted mono" title={m.record.id}>
                      id {short(m.record.id, 10, 6)} · verifier {short(m.info.verifier)}
                    </div>
                  </td>
                  <td>
                    {m.model !== undefined ? modelShape(m.model).input : `${m.record.inputBytes} bytes`}
                  </td>
                  <td>
                    {m.model !== undefined ? (
                      <>
                        {modelShape(m.model).layers}
                        <div className="small muted">
                          {m.model.output.bits}-bit outputs · model {short(m.model.hash, 10, 6)}{" "}
                          {m.modelMatches === true
                            ? "✓ matches the registry"
                            : "✗ does not match the registry"}
                        </div>
                      </>
                    ) : (
                      <span className="muted">{m.modelError ?? "no model (a test circuit)"}</span>
                    )}
                  </td>
                  <td>{m.model !== undefined ? accuracyText(m.model) : "—"}</td>
                  <td>
                    {m.record.constraints !== undefined ? m.record.constraints.toLocaleString("en-US") : "—"}
                  </td>
                  <td>
                    {m.info.numPublic} (jobKey, commitment, {m.info.numPublic - 2} output)
                  </td>
                  <td>{active ? "active" : "deactivated"}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function ExplorePage() {
  const { index, indexVersion } = useApp();
  const all = useMemo(() => index.jobs(), [index, indexVersion]);
  return (
    <div className="page explore">
      <h1>Explore the market</h1>
      <Totals jobs={all} />
      <Jobs />
      <Providers />
      <Models />
      <BatchJobs />
    </div>
  );
}

/** Batch jobs (their own market): the latest 50 posts, with their status (SDK `listBatchJobs`), read every few blocks. */
function BatchJobs() {
  const app = useApp();
  const { env } = app;
  const [rows, setRows] = useState<BatchListing[]>();
  const [error, setError] = useState<string>();
  const every = Math.floor((app.head?.number ?? 0) / 3);
  useEffect(() => {
    if (env.deployment.contracts.batchMarket === undefined) return;
    let stale = false;
    void (async () => {
      try {
        const out = await new BatchClient(env.deployment, env.provider).listBatchJobs({ limit: 50 });
        if (!stale) setRows(out);
      } catch (e) {
        if (!stale) setError(e instanceof Error ? e.message.split("\n")[0] : String(e));
      }
    })();
    return () => {
      stale = true;
    };
  }, [env, every]);
  if (env.deployment.contracts.batchMarket === undefined) return null;
  const f = (v: bigint) => formatToken(env, v);
  return (
    <section aria-labelledby="h-batch-jobs">
      <h2 id="h-batch-jobs">Batch jobs</h2>
      {error !== undefined && <p className="error-text">{error}</p>}
      {rows === undefined ? (
        <p className="muted">reading batch jobs…</p>
      ) : rows.length === 0 ? (
        <p className="muted">
          No batch job yet: <a href="#/post/batch">post one</a>.
        </p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Batch jobs">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Samples</th>
                <th scope="col">k</th>
                <th scope="col">Price</th>
                <th scope="col">Requester</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.jobId.toString()}>
                  <td>
                    <a href={`#/batch/${r.jobId}`}>#{r.jobId.toString()}</a>
                  </td>
                  <td>
                    <StatusBadge status={r.statusName} />
                  </td>
                  <td>{grouped(r.terms.numSamples)}</td>
                  <td>{r.terms.sampleSize}</td>
                  <td>{f(r.terms.maxPrice)}</td>
                  <td>
                    <Address address={r.terms.requester} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
