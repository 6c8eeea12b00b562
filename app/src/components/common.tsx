/** Small shared pieces: addresses and hashes, messages, transaction progress, status badges. */
import type { ReactNode } from "react";
import { useApp, type ActionState } from "../state.tsx";
import { short } from "../format.ts";

/** Goes to a page of the app (`#/post`, `#/job/<id>`, `#/explore`). */
export function navigate(hash: string): void {
  window.location.hash = hash;
}

/** A transaction hash: a link when an explorer is configured, else copyable text. */
export function TxHash({ hash }: { hash: string }) {
  const { env } = useApp();
  const base = env.config.explorerUrl;
  return base !== undefined ? (
    <a
      className="mono"
      href={`${base.replace(/\/$/, "")}/tx/${hash}`}
      target="_blank"
      rel="noreferrer"
      title={hash}
    >
      {short(hash, 10, 8)}
    </a>
  ) : (
    <span className="mono" title={hash}>
      {short(hash, 10, 8)}
    </span>
  );
}

/** An address: a link when an explorer is configured; marks the connected account. */
export function Address({ address, full = false }: { address: string; full?: boolean }) {
  const { env, wallet } = useApp();
  const mine = wallet.status === "connected" && wallet.address.toLowerCase() === address.toLowerCase();
  const text = full ? address : short(address);
  const base = env.config.explorerUrl;
  return (
    <span className="mono" title={address}>
      {base !== undefined ? (
        <a href={`${base.replace(/\/$/, "")}/address/${address}`} target="_blank" rel="noreferrer">
          {text}
        </a>
      ) : (
        text
      )}
      {mine && <span className="you"> (you)</span>}
    </span>
  );
}

export function Message({
  kind,
  title,
  children,
}: {
  kind: "error" | "warning" | "info" | "success";
  title?: string;
  children?: ReactNode;
}) {
  return (
    <div className={`message ${kind}`} role={kind === "error" || kind === "warning" ? "alert" : "status"}>
      {title !== undefined && <strong>{title}</strong>}
      {children !== undefined && <div>{children}</div>}
    </div>
  );
}

/** The life of a transaction (or an action made of several). */
export function ActionProgress({ state }: { state: ActionState }) {
  if (state.phase === "idle") return null;
  if (state.phase === "running") {
    return (
      <div className="progress" role="status" aria-live="polite">
        <span className="spinner" aria-hidden="true" /> {state.step}
        {state.hash !== undefined && (
          <div>
            transaction <TxHash hash={state.hash} />
          </div>
        )}
      </div>
    );
  }
  if (state.phase === "done") {
    return (
      <Message kind="success">
        {state.message}
        {state.hash !== undefined && (
          <>
            {" "}
            (transaction <TxHash hash={state.hash} />)
          </>
        )}
      </Message>
    );
  }
  return (
    <Message kind={state.rejected ? "warning" : "error"} title={state.rejected ? "Cancelled" : "Failed"}>
      {state.message}
    </Message>
  );
}

const STATUS_CLASS: Record<string, string> = {
  Open: "open",
  Claimed: "claimed",
  Completed: "proven",
  Committed: "claimed",
  Sampled: "claimed",
  Proven: "proven",
  Challenged: "claimed",
  Paid: "paid",
  Cancelled: "ended",
  Reclaimed: "ended",
  Slashed: "slashed",
};

/** A job status badge (`Completed` reads "Proven"). */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge ${STATUS_CLASS[status] ?? ""}`}>
      {status === "Completed" ? "Proven" : status}
    </span>
  );
}
