/**
 * Page-wide state: the environment (env.ts), the wallet state machine (wallet.ts) and its
 * actions, the market index kept live from events (the SDK's `MarketIndex`, synced every second),
 * chain time, and the connected account's balances.
 */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
} from "react";
import type { ReactNode } from "react";
import type { Signer } from "ethers";
import { MarketIndex, ProviderAccount, RequesterClient } from "proofwork";
import type { Env } from "./env.ts";
import { explain } from "./errors.ts";
import { formatToken } from "./env.ts";
import {
  DEV_ACCOUNTS,
  ObservedSigner,
  devAccount,
  injectedProvider,
  injectedSigner,
  requestInjected,
  switchChain,
  walletReducer,
  type TxEvent,
  type WalletState,
} from "./wallet.ts";

export interface Balances {
  token: bigint;
  eth: bigint;
}

export interface AppState {
  env: Env;
  wallet: WalletState;
  /** Why the last wallet action failed (plain words), until the next one. */
  walletError?: string;
  connectInjected(): Promise<void>;
  connectDev(index: number): Promise<void>;
  switchNetwork(): Promise<void>;
  disconnect(): void;
  balances?: Balances;
  /** Mints test tokens to the connected account (TestToken faucet, local chains). */
  faucet(amount: bigint): Promise<void>;
  index: MarketIndex;
  /** Bumped whenever the index applied new events. */
  indexVersion: number;
  indexError?: string;
  head?: { number: number; timestamp: number };
  /** Estimated chain time now (seconds). */
  chainNow(): number;
  refresh(): void;
}

const Ctx = createContext<AppState | undefined>(undefined);

export function useApp(): AppState {
  const s = useContext(Ctx);
  if (s === undefined) throw new Error("useApp outside AppProvider");
  return s;
}

/** Re-renders every `ms` (countdowns). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

const DEV_KEY = "proofwork.devAccount";

export function AppProvider({ env, children }: { env: Env; children: ReactNode }) {
  const [wallet, dispatch] = useReducer(walletReducer, { status: "disconnected" } as WalletState);
  const [walletError, setWalletError] = useState<string>();
  const [balances, setBalances] = useState<Balances>();
  const [indexVersion, setIndexVersion] = useState(0);
  const [indexError, setIndexError] = useState<string>();
  const [head, setHead] = useState<{ number: number; timestamp: number }>();
  const offset = useRef(0);
  const [tick, setTick] = useState(0);

  const index = useMemo(
    () =>
      new MarketIndex(env.provider, {
        market: env.deployment.contracts.market,
        registry: env.deployment.contracts.registry,
        fromBlock: env.deployment.startBlock,
        chunkSize: 5000,
      }),
    [env],
  );

  // the index, chain time and head, every second
  useEffect(() => {
    let stopped = false;
    let running = false;
    const step = async () => {
      if (running || stopped) return;
      running = true;
      try {
        const applied = await index.sync();
        const latest = await env.provider.getBlock("latest");
        if (stopped) return;
        if (latest !== null) {
          offset.current = Math.max(0, latest.timestamp - Date.now() / 1000);
          setHead((h) =>
            h?.number === latest.number ? h : { number: latest.number, timestamp: latest.timestamp },
          );
        }
        if (applied > 0) setIndexVersion((v) => v + 1);
        setIndexError(undefined);
      } catch (e) {
        if (!stopped) setIndexError(explain(e).message);
      } finally {
        running = false;
      }
    };
    void step();
    const t = setInterval(() => void step(), 1000);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, [env, index]);

  const address = wallet.status === "connected" ? wallet.address : undefined;
  // balances of the connected account, on every new block and on demand
  useEffect(() => {
    if (address === undefined) {
      setBalances(undefined);
      return;
    }
    let stale = false;
    void Promise.all([env.reader.contracts.token.balanceOf(address), env.provider.getBalance(address)])
      .then(([token, eth]) => {
        if (!stale) setBalances({ token, eth });
      })
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [env, address, head?.number, tick]);

  const connectDev = useCallback(
    async (i: number) => {
      setWalletError(undefined);
      dispatch({ type: "connect", source: "dev" });
      const w = devAccount(i, env.signingProvider);
      try {
        localStorage.setItem(DEV_KEY, String(i));
      } catch {
        // storage unavailable: nothing to remember
      }
      dispatch({ type: "connected", source: "dev", address: w.address, signer: w, devIndex: i });
    },
    [env],
  );

  const adoptInjected = useCallback(
    async (address: string, chainId: bigint) => {
      const eth = injectedProvider();
      if (eth === undefined) return;
      if (chainId !== env.chainId) {
        dispatch({ type: "wrong-network", address, chainId });
        return;
      }
      dispatch({
        type: "connected",
        source: "injected",
        address,
        signer: await injectedSigner(eth, address),
      });
    },
    [env],
  );

  const connectInjected = useCallback(async () => {
    setWalletError(undefined);
    const eth = injectedProvider();
    if (eth === undefined) {
      setWalletError(
        "No browser wallet found. Install one (e.g. MetaMask)" +
          (env.local ? ", or use the dev wallet." : "."),
      );
      return;
    }
    dispatch({ type: "connect", source: "injected" });
    try {
      const { address, chainId } = await requestInjected(eth);
      await adoptInjected(address, chainId);
    } catch (e) {
      dispatch({ type: "disconnect" });
      setWalletError(explain(e).message);
    }
  }, [env, adoptInjected]);

  // follow the injected wallet's account and chain
  const injectedActive =
    wallet.status !== "disconnected" && wallet.status !== "connecting" && wallet.source === "injected";
  useEffect(() => {
    const eth = injectedProvider();
    if (!injectedActive || eth?.on === undefined) return;
    const refreshWallet = () => {
      void (async () => {
        try {
          const accounts = (await eth.request({ method: "eth_accounts" })) as string[];
          if (accounts.length === 0) return dispatch({ type: "disconnect" });
          const chainId = BigInt((await eth.request({ method: "eth_chainId" })) as string);
          await adoptInjected(accounts[0]!, chainId);
        } catch (e) {
          setWalletError(explain(e).message);
        }
      })();
    };
    eth.on("accountsChanged", refreshWallet);
    eth.on("chainChanged", refreshWallet);
    return () => {
      eth.removeListener?.("accountsChanged", refreshWallet);
      eth.removeListener?.("chainChanged", refreshWallet);
    };
  }, [injectedActive, adoptInjected]);

  const switchNetwork = useCallback(async () => {
    const eth = injectedProvider();
    if (eth === undefined || wallet.status !== "wrong-network") return;
    setWalletError(undefined);
    try {
      await switchChain(eth, env.chainId, {
        chainName: env.local ? "Hardhat (local)" : `Chain ${env.chainId}`,
        rpcUrl: env.config.walletRpcUrl ?? env.rpcUrl,
        symbol: "ETH",
      });
      const chainId = BigInt((await eth.request({ method: "eth_chainId" })) as string);
      await adoptInjected(wallet.address, chainId);
    } catch (e) {
      setWalletError(explain(e).message);
    }
  }, [env, wallet, adoptInjected]);

  const disconnect = useCallback(() => {
    setWalletError(undefined);
    dispatch({ type: "disconnect" });
  }, []);

  const faucet = useCallback(
    async (amount: bigint) => {
      if (wallet.status !== "connected") return;
      await new ProviderAccount(env.deployment, wallet.signer).faucet(amount);
      setTick((t) => t + 1);
    },
    [env, wallet],
  );

  const state: AppState = {
    env,
    wallet,
    walletError,
    connectInjected,
    connectDev,
    switchNetwork,
    disconnect,
    balances,
    faucet,
    index,
    indexVersion,
    indexError,
    head,
    chainNow: () => Date.now() / 1000 + offset.current,
    refresh: () => setTick((t) => t + 1),
  };
  return <Ctx.Provider value={state}>{children}</Ctx.Provider>;
}

/** The dev account remembered from the last visit (default #2, the README's requester). */
export function rememberedDevAccount(): number {
  try {
    const v = Number(localStorage.getItem(DEV_KEY));
    return Number.isInteger(v) && v >= 0 && v < DEV_ACCOUNTS && localStorage.getItem(DEV_KEY) !== null
      ? v
      : 2;
  } catch {
    return 2;
  }
}

// ---------------------------------------------------------------------------------------------
// Transactions with a visible life
// ---------------------------------------------------------------------------------------------

export type ActionState =
  | { phase: "idle" }
  | { phase: "running"; step: string; hash?: string }
  | { phase: "done"; message: string; hash?: string }
  | { phase: "failed"; message: string; rejected: boolean; revert?: string };

/**
 * Runs an action that signs and sends with the connected wallet, showing its life: awaiting
 * signature → pending (hash) → confirmed, or the failure in words.
 */
export function useAction(): {
  state: ActionState;
  run: <R>(
    label: string,
    fn: (signer: Signer, client: RequesterClient) => Promise<R>,
    done: (r: R) => string,
  ) => Promise<R | undefined>;
  reset: () => void;
} {
  const app = useApp();
  const [state, setState] = useState<ActionState>({ phase: "idle" });
  const lastHash = useRef<string | undefined>(undefined);
  const run = useCallback(
    async <R,>(
      label: string,
      fn: (signer: Signer, client: RequesterClient) => Promise<R>,
      done: (r: R) => string,
    ): Promise<R | undefined> => {
      if (app.wallet.status !== "connected") {
        setState({ phase: "failed", message: "Connect a wallet first.", rejected: false });
        return undefined;
      }
      const wallet = app.wallet;
      const waitWord =
        wallet.source === "dev" ? "Signing with the dev wallet" : "Waiting for your signature in the wallet";
      lastHash.current = undefined;
      const report = (e: TxEvent) => {
        if (e.kind === "signing")
          setState({ phase: "running", step: `${waitWord} (permit: the escrow in one signature)…` });
        if (e.kind === "signed") setState({ phase: "running", step: `${label}: permit signed, sending…` });
        if (e.kind === "sending") setState({ phase: "running", step: `${waitWord} (transaction)…` });
        if (e.kind === "pending") {
          lastHash.current = e.hash;
          setState({ phase: "running", step: `${label}: pending, waiting for the block…`, hash: e.hash });
        }
      };
      setState({ phase: "running", step: `${label}: preparing…` });
      try {
        const signer = new ObservedSigner(wallet.signer, report);
        const client = new RequesterClient(app.env.deployment, signer, { confirmations: 1 });
        const r = await fn(signer, client);
        setState({ phase: "done", message: done(r), hash: lastHash.current });
        app.refresh();
        return r;
      } catch (e) {
        const x = explain(e, (v) => formatToken(app.env, v));
        setState({
          phase: "failed",
          message: x.message,
          rejected: x.rejected,
          ...(x.revert !== undefined ? { revert: x.revert } : {}),
        });
        return undefined;
      }
    },
    [app],
  );
  return { state, run, reset: () => setState({ phase: "idle" }) };
}
