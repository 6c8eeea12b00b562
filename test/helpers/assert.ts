import { expect } from "chai";

/** Asserts that `p` rejects (optionally with a message matching `pattern`) and returns the error. */
export async function expectRejects(
  p: Promise<unknown>,
  pattern?: RegExp,
  label = "promise",
): Promise<Error> {
  let error: unknown;
  try {
    await p;
  } catch (e) {
    error = e;
  }
  expect(error, `${label} should have rejected`).to.be.instanceOf(Error);
  if (pattern) expect((error as Error).message).to.match(pattern);
  return error as Error;
}
