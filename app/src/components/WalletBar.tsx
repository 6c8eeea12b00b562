/** The wallet state machine on screen: each state with its message and its action. */
import { useState } from "react";
import { parseUnits } from "ethers";
import { formatToken } from "../env.ts";
import { explain } from "../errors.ts";
import { rememberedDevAccount, useApp } from "../state.tsx";
import { DEV_ACCOUNTS, injectedProvider } from "../wallet.ts";
import { Address, Message } from "./common.tsx";

const CHAIN_NAMES: Record<string, string> = {
  "1": "Ethereum mainnet",
  "11155111": "Sepolia",
  "17000": "Holesky",
  "31337": "Hardhat (local)",
  "1337": "local chain",
};

export function chainName(id: bigint): string {
  return CHAIN_NAMES[id.toString()] ?? `chain ${id}`;
}

/** Amount the faucet button mints. */
const FAUCET_AMOUNT = "100";

export function FaucetButton({ label }: { label?: string }) {
  const app = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (!app.env.local || app.wallet.status !== "connected") return null;
  const amount = parseUnits(FAUCET_AMOUNT, app.env.token.decimals);
  return (
    <>
      <button
        type="button"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setError(undefined);
          app
            .faucet(amount)
            .catch((e: unknown) => setError(explain(e).message))
            .finally(() => setBusy(false));
        }}
      >
        {busy ? "Minting…" : (label ?? `Get ${formatToken(app.env, amount)} (test faucet)`)}
      </button>
      {error !== undefined && <span className="error-text"> {error}</span>}
    </>
  );
}

export function WalletBar() {
  const app = useApp();
  const { wallet, env } = app;
  const [devIndex, setDevIndex] = useState(rememberedDevAccount);
  const hasInjected = injectedProvider() !== undefined;

  let body;
  if (wallet.status === "disconnected" || wallet.status === "connecting") {
    const busy = wallet.status === "connecting";
    body = (
      <div className="row wrap">
        <button
          type="button"
          className="primary"
          disabled={busy}
          onClick={() => void app.connectInjected()}
          title={hasInjected ? "Connect MetaMask or another browser wallet" : "No browser wallet detected"}
        >
          {busy && wallet.source === "injected" ? "Connecting…" : "Connect wallet"}
        </button>
        {env.local && (
          <span className="row dev-choice">
            <label htmlFor="dev-account" className="visually-hidden">
              Dev account
            </label>
            <select
              id="dev-account"
              value={devIndex}
              onChange={(e) => setDevIndex(Number(e.currentTarget.value))}
            >
              {Array.from({ length: DEV_ACCOUNTS }, (_, i) => (
                <option key={i} value={i}>
                  Hardhat account #{i}
                </option>
              ))}
            </select>
            <button type="button" disabled={busy} onClick={() => void app.connectDev(devIndex)}>
              Use dev wallet
            </button>
          </span>
        )}
      </div>
    );
  } else if (wallet.status === "wrong-network") {
    body = (
      <Message kind="warning" title="Wrong network">
        Your wallet is on {chainName(wallet.chainId)} (chain id {wallet.chainId.toString()}), but this
        deployment is on {chainName(env.chainId)} (chain id {env.chainId.toString()}). Switch your wallet to
        it to continue.
        <div className="row wrap">
          <button type="button" className="primary" onClick={() => void app.switchNetwork()}>
            Switch to {chainName(env.chainId)}
          </button>
          <button type="button" onClick={app.disconnect}>
            Disconnect
          </button>
        </div>
      </Message>
    );
  } else {
    body = (
      <div className="row wrap wallet-connected">
        {wallet.source === "dev" ? (
          <span
            className="badge dev"
            title="Hardhat's public development key: never use it on a real network"
          >
            Dev wallet · Hardhat account #{wallet.devIndex} · public test key
          </span>
        ) : (
          <span className="badge">Browser wallet</span>
        )}
        <Address address={wallet.address} />
        {app.balances !== undefined && (
          <span className="muted" aria-label="balances">
            {formatToken(env, app.balances.token)}
          </span>
        )}
        <button type="button" onClick={app.disconnect}>
          Disconnect
        </button>
      </div>
    );
  }
  return (
    <div className="wallet" aria-label="Wallet">
      {body}
      {app.walletError !== undefined && <Message kind="error">{app.walletError}</Message>}
    </div>
  );
}
