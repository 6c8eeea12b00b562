import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProofworkError } from "../../sdk/errors.ts";
import { artifactUris } from "../../sdk/node.ts";
import { fetchUri, sha256File } from "../../worker/artifacts.ts";
import { ProverSlots } from "../../worker/execute.ts";

describe("worker/artifacts", () => {
  it("test_artifactUris_directoryConventionAndHints", () => {
    expect(artifactUris("file:///b/circuits/binding_test/")).to.deep.equal({
      name: "binding_test",
      wasm: "file:///b/circuits/binding_test/binding_test.wasm",
      zkey: "file:///b/circuits/binding_test/binding_test.zkey",
      vkey: "file:///b/circuits/binding_test/verification_key.json",
      model: "file:///b/circuits/binding_test/model.json",
    });
    expect(artifactUris("https://x/y", { name: "c", wasmUri: "https://w/c.wasm" })).to.deep.equal({
      name: "c",
      wasm: "https://w/c.wasm",
      zkey: "https://x/y/c.zkey",
      vkey: "https://x/y/verification_key.json",
      model: "https://x/y/model.json",
    });
  });

  it("test_fetchUri_httpAndFileAndFailure", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pw-art-"));
    const body = Buffer.from("circuit bytes");
    const server = createServer((req, res) => {
      if (req.url === "/a.wasm") res.writeHead(200).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      await fetchUri(`http://127.0.0.1:${port}/a.wasm`, join(dir, "h.wasm"));
      expect(readFileSync(join(dir, "h.wasm"))).to.deep.equal(body);
      writeFileSync(join(dir, "src.bin"), body);
      await fetchUri(`file://${join(dir, "src.bin")}`, join(dir, "f.bin"));
      expect(await sha256File(join(dir, "f.bin"))).to.equal(await sha256File(join(dir, "h.wasm")));
      try {
        await fetchUri(`http://127.0.0.1:${port}/missing`, join(dir, "m.bin"));
        expect.fail("should throw");
      } catch (e) {
        expect(isProofworkError(e, "ARTIFACT_FETCH_FAILED")).to.equal(true);
      }
    } finally {
      server.close();
    }
  });
});

describe("worker/execute ProverSlots", () => {
  it("test_slots_grantEarliestDeadlineFirst", async () => {
    const slots = new ProverSlots(1);
    const release0 = await slots.acquire(100);
    const order: number[] = [];
    const byDeadline = new Map<number, Promise<() => void>>();
    for (const d of [300, 200, 250])
      byDeadline.set(
        d,
        slots.acquire(d).then((rel) => (order.push(d), rel)),
      );
    release0();
    // each holder releases in turn; a wrong grant order would leave the awaited waiter pending
    for (const d of [200, 250, 300]) (await byDeadline.get(d)!)();
    expect(order).to.deep.equal([200, 250, 300]);
  });

  it("test_slots_abortRejectsWaiter", async () => {
    const slots = new ProverSlots(1);
    await slots.acquire(1);
    const ac = new AbortController();
    const p = slots.acquire(2, ac.signal);
    ac.abort();
    try {
      await p;
      expect.fail("should reject");
    } catch (e) {
      expect(isProofworkError(e, "WORKER_STOPPING")).to.equal(true);
    }
  });
});
