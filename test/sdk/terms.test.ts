import { expect } from "chai";
import { Interface, ZeroAddress, getBytes, hexlify, keccak256 } from "ethers";
import { inputFromPostCalldata } from "../../sdk/terms.ts";

/**
 * Job input bytes are not re-emitted by the market: the SDK and the worker recover them from the
 * posting transaction's calldata, including when the post was wrapped by another contract.
 */
describe("sdk/terms: input bytes from posting calldata", function () {
  const input = getBytes(hexlify(Uint8Array.from({ length: 784 }, (_, i) => (i * 31 + 7) % 256)));
  const inputHash = keccak256(input);
  // Any call carrying the input as an ABI `bytes` value (the shape of postJob's params.input).
  const inner = new Interface(["function post(uint256 id, bytes input, string uri)"]).encodeFunctionData(
    "post",
    [7n, input, ""],
  );

  it("test_inputFromPostCalldata_findsInputInsideAMulticall", function () {
    const wrapped = new Interface(["function multicall(bytes[] calls)"]).encodeFunctionData("multicall", [
      ["0x12345678", inner],
    ]);
    expect(hexlify(inputFromPostCalldata(wrapped, { inputHash })!)).to.equal(hexlify(input));
  });

  it("test_inputFromPostCalldata_findsInputInsideASmartWalletExecution", function () {
    const wrapped = new Interface([
      "function execTransaction(address to, uint256 value, bytes data, uint8 operation, bytes signatures)",
    ]).encodeFunctionData("execTransaction", [ZeroAddress, 0n, inner, 0, "0xabcdef"]);
    expect(hexlify(inputFromPostCalldata(wrapped, { inputHash })!)).to.equal(hexlify(input));
  });

  it("test_inputFromPostCalldata_undefinedWhenNoBytesMatchTheHash", function () {
    const tampered = Uint8Array.from(input);
    tampered[100] ^= 1;
    const call = new Interface(["function post(uint256 id, bytes input, string uri)"]).encodeFunctionData(
      "post",
      [7n, tampered, ""],
    );
    expect(inputFromPostCalldata(call, { inputHash })).to.equal(undefined);
    expect(inputFromPostCalldata("0x", { inputHash })).to.equal(undefined);
  });
});
