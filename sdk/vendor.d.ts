// Minimal typings for untyped dependencies (only what proofwork uses).
declare module "circomlibjs" {
  interface PoseidonField {
    toObject(v: Uint8Array): bigint;
  }
  interface Poseidon {
    (inputs: (bigint | number)[]): Uint8Array;
    F: PoseidonField;
  }
  export function buildPoseidon(): Promise<Poseidon>;
}
