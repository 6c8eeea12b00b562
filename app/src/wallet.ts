/**
 * The wallet as a state machine: disconnected → (connecting) → wrong network → connected, each
 * state with its message and its action (STYLE.md, "Web dApp"). Two sources:
 *   - an injected EIP-1193 wallet (`window.ethereum`: MetaMask and friends), whose chain may be
 *     the wrong one — the page then offers to switch (or add) the deployment's chain;
 *   - on a local development chain, Hardhat's development accounts as a "dev wallet": public keys,
 *     signing in the page, labelled as such everywhere.
 * Plus `ObservedSigner`, which reports a transaction's life (awaiting signature → pending with
 * its hash) while the SDK sends it.
 */
import {
  AbstractSigner,
  BrowserProvider,
  HDNodeWallet,
  Wallet,
  getAddress,
  toBeHex,
  type Eip1193Provider,
  type Provider,
  type Signer,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";

/** Hardhat's well-known development mnemonic: its accounts are public, for local chains only. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
/** Dev accounts offered (Hardhat funds 20; the README's roles use #0 deployer, #1 provider, #2 requester). */
export const DEV_ACCOUNTS = 10;

export type WalletSource = "injected" | "dev";

export type WalletState =
  | { status: "disconnected" }
  | { status: "connecting"; source: WalletSource }
  | { status: "wrong-network"; source: "injected"; address: string; chainId: bigint }
  | {
      status: "connected";
      source: WalletSource;
      address: string;
      signer: Signer;
      /** The dev account's index (dev wallet only). */
      devIndex?: number;
    };

export type WalletEvent =
  | { type: "connect"; source: WalletSource }
  | { type: "connected"; source: WalletSource; address: string; signer: Signer; devIndex?: number }
  | { type: "wrong-network"; address: string; chainId: bigint }
  | { type: "disconnect" };

/** The transitions of the wallet state machine. */
export function walletReducer(state: WalletState, event: WalletEvent): WalletState {
  switch (event.type) {
    case "connect":
      return { status: "connecting", source: event.source };
    case "connected":
      return {
        status: "connected",
        source: event.source,
        address: getAddress(event.address),
        signer: event.signer,
        ...(event.devIndex !== undefined ? { devIndex: event.devIndex } : {}),
      };
    case "wrong-network":
      return {
        status: "wrong-network",
        source: "injected",
        address: getAddress(event.address),
        chainId: event.chainId,
      };
    case "disconnect":
      return { status: "disconnected" };
  }
  return state;
}

// ---------------------------------------------------------------------------------------------
// Injected wallet (EIP-1193)
// ---------------------------------------------------------------------------------------------

/** An EIP-1193 provider with the optional event interface wallets implement. */
export interface InjectedProvider extends Eip1193Provider {
  on?(event: string, listener: (...args: unknown[]) => void): void;
  removeListener?(event: string, listener: (...args: unknown[]) => void): void;
}

/** The page's injected wallet, if any (`window.ethereum`). */
export function injectedProvider(): InjectedProvider | undefined {
  return (globalThis as { ethereum?: InjectedProvider }).ethereum;
}

/** Asks the wallet for an account and its chain. */
export async function requestInjected(eth: InjectedProvider): Promise<{ address: string; chainId: bigint }> {
  const accounts = (await eth.request({ method: "eth_requestAccounts" })) as string[];
  if (accounts.length === 0) throw new Error("the wallet shared no account");
  const chainId = BigInt((await eth.request({ method: "eth_chainId" })) as string);
  return { address: getAddress(accounts[0]!), chainId };
}

/** A signer of the injected wallet's account. */
export async function injectedSigner(eth: InjectedProvider, address: string): Promise<Signer> {
  return new BrowserProvider(eth).getSigner(address);
}

/** Asks the wallet to switch to `chainId`, adding the chain first when it does not know it. */
export async function switchChain(
  eth: InjectedProvider,
  chainId: bigint,
  add: { chainName: string; rpcUrl: string; symbol: string },
): Promise<void> {
  const hex = toBeHex(chainId);
  try {
    await eth.request({ method: "wallet_switchEthereumChain", params: [{ chainId: hex }] });
  } catch (e) {
    // 4902: unknown chain
    if ((e as { code?: unknown }).code !== 4902) throw e;
    await eth.request({
      method: "wallet_addEthereumChain",
      params: [
        {
          chainId: hex,
          chainName: add.chainName,
          rpcUrls: [add.rpcUrl],
          nativeCurrency: { name: "Ether", symbol: add.symbol, decimals: 18 },
        },
      ],
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Dev wallet (local chains)
// ---------------------------------------------------------------------------------------------

let devRoot: HDNodeWallet | undefined;

/** Hardhat development account `index` (m/44'/60'/0'/0/index of the public mnemonic). */
export function devAccount(index: number, provider: Provider): Wallet {
  devRoot ??= HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0");
  const child = devRoot.deriveChild(index);
  return new Wallet(child.privateKey, provider);
}

// ---------------------------------------------------------------------------------------------
// Transaction life
// ---------------------------------------------------------------------------------------------

/** What happens to a transaction (or signature) while an action runs. */
export type TxEvent =
  { kind: "signing" } | { kind: "signed" } | { kind: "sending" } | { kind: "pending"; hash: string };

/** A signer that reports signature requests and sent transactions, delegating everything. */
export class ObservedSigner extends AbstractSigner {
  constructor(
    private readonly inner: Signer,
    private readonly report: (e: TxEvent) => void,
  ) {
    super(inner.provider);
  }

  override connect(provider: Provider | null): Signer {
    return new ObservedSigner(this.inner.connect(provider), this.report);
  }

  override getAddress(): Promise<string> {
    return this.inner.getAddress();
  }

  override signTransaction(tx: TransactionRequest): Promise<string> {
    return this.inner.signTransaction(tx);
  }

  override signMessage(message: string | Uint8Array): Promise<string> {
    return this.inner.signMessage(message);
  }

  override async signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    this.report({ kind: "signing" });
    const sig = await this.inner.signTypedData(domain, types, value);
    this.report({ kind: "signed" });
    return sig;
  }

  override async sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    this.report({ kind: "sending" });
    const sent = await this.inner.sendTransaction(tx);
    this.report({ kind: "pending", hash: sent.hash });
    return sent;
  }
}
