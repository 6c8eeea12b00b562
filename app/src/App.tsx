/**
 * The app shell: loads the runtime config and the environment (with progress, and a plain message
 * when the chain or the deployment is missing), then routes by the URL hash — `#/post`,
 * `#/job/<id>`, `#/explore` — so a static host can serve it from any path.
 */
import { useEffect, useState } from "react";
import { errorMessage } from "proofwork";
import { Message, navigate } from "./components/common.tsx";
import { WalletBar, chainName } from "./components/WalletBar.tsx";
import { Problem, loadAppConfig, loadEnv, type Env } from "./env.ts";
import { ExplorePage } from "./pages/ExplorePage.tsx";
import { BatchJobPage } from "./pages/BatchJobPage.tsx";
import { BatchPostPage } from "./pages/BatchPostPage.tsx";
import { JobPage } from "./pages/JobPage.tsx";
import { PostPage } from "./pages/PostPage.tsx";
import { AppProvider, useApp } from "./state.tsx";
import { short } from "./format.ts";

type Route =
  | { page: "post" }
  | { page: "post-batch" }
  | { page: "job"; jobId: bigint }
  | { page: "batch"; jobId: bigint }
  | { page: "explore" };

function parseRoute(hash: string): Route {
  const m = /^#\/job\/(\d+)/.exec(hash);
  if (m !== null && BigInt(m[1]!) > 0n) return { page: "job", jobId: BigInt(m[1]!) };
  const b = /^#\/batch\/(\d+)/.exec(hash);
  if (b !== null && BigInt(b[1]!) > 0n) return { page: "batch", jobId: BigInt(b[1]!) };
  if (hash.startsWith("#/post/batch")) return { page: "post-batch" };
  if (hash.startsWith("#/explore")) return { page: "explore" };
  return { page: "post" };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => {
      setRoute(parseRoute(window.location.hash));
      window.scrollTo(0, 0);
    };
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

type Loading =
  { state: "loading"; step: string } | { state: "failed"; problem: Problem } | { state: "ready"; env: Env };

export function App() {
  const [loading, setLoading] = useState<Loading>({ state: "loading", step: "Loading the configuration…" });
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      try {
        const base = window.location.href;
        const config = await loadAppConfig(base);
        if (!cancelled)
          setLoading({ state: "loading", step: "Connecting to the chain and reading the deployment…" });
        const env = await loadEnv(config, base);
        if (!cancelled) setLoading({ state: "ready", env });
      } catch (e) {
        const problem =
          e instanceof Problem
            ? e
            : new Problem("config", "The page could not start", errorMessage(e).split("\n")[0]!);
        if (!cancelled) setLoading({ state: "failed", problem });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  if (loading.state === "loading") {
    return (
      <Frame>
        <div className="progress" role="status">
          <span className="spinner" aria-hidden="true" /> {loading.step}
        </div>
      </Frame>
    );
  }
  if (loading.state === "failed") {
    const p = loading.problem;
    return (
      <Frame>
        <Message kind="error" title={p.title}>
          <p>{p.message}</p>
          {p.hint !== undefined && <p>{p.hint}</p>}
          <button type="button" onClick={() => window.location.reload()}>
            Try again
          </button>
        </Message>
      </Frame>
    );
  }
  return (
    <AppProvider env={loading.env}>
      <Shell />
    </AppProvider>
  );
}

function Frame({ children, nav }: { children: React.ReactNode; nav?: React.ReactNode }) {
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <div className="brand">
          <a href="#/post">proofwork</a>
          <span className="muted">verifiable ML inference</span>
        </div>
        {nav}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

function Shell() {
  const route = useRoute();
  const app = useApp();
  const { env } = app;
  const [lookup, setLookup] = useState("");
  const nav = (
    <>
      <nav aria-label="Main">
        <a
          href="#/post"
          aria-current={route.page === "post" || route.page === "post-batch" ? "page" : undefined}
        >
          Post a job
        </a>
        <a href="#/explore" aria-current={route.page === "explore" ? "page" : undefined}>
          Explore
        </a>
        <form
          className="lookup"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            const id = lookup.trim().replace(/^#/, "");
            if (/^\d+$/.test(id) && BigInt(id) > 0n) navigate(`#/job/${id}`);
          }}
        >
          <label htmlFor="job-lookup" className="visually-hidden">
            Job number
          </label>
          <input
            id="job-lookup"
            inputMode="numeric"
            placeholder="Job #"
            value={lookup}
            onChange={(e) => setLookup(e.currentTarget.value)}
          />
          <button type="submit">Open</button>
        </form>
      </nav>
      <WalletBar />
    </>
  );
  return (
    <Frame nav={nav}>
      {app.indexError !== undefined && (
        <Message kind="warning">Live updates paused: {app.indexError}</Message>
      )}
      {route.page === "post" && <PostPage />}
      {route.page === "post-batch" && <BatchPostPage />}
      {route.page === "job" && <JobPage jobId={route.jobId} key={route.jobId.toString()} />}
      {route.page === "batch" && <BatchJobPage jobId={route.jobId} key={`b${route.jobId}`} />}
      {route.page === "explore" && <ExplorePage />}
      <footer>
        {chainName(env.chainId)} · chain id {env.chainId.toString()} · block {app.head?.number ?? "…"} ·
        market <span className="mono">{short(env.deployment.contracts.market)}</span> · deployment of{" "}
        {new Date(env.deployment.deployedAt).toLocaleDateString()}
      </footer>
    </Frame>
  );
}
