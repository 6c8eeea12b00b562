// Minimal typings for `circom_runtime` (snarkjs' own witness calculator; untyped upstream).
declare module "circom_runtime" {
  export interface WitnessCalculator {
    /** The `.wtns` file bytes for `input`; rejects when an assertion or `===` fails. */
    calculateWTNSBin(input: Record<string, unknown>, sanityCheck?: boolean): Promise<Uint8Array>;
  }
  export function WitnessCalculatorBuilder(
    code: Uint8Array,
    options?: Record<string, unknown>,
  ): Promise<WitnessCalculator>;
}
