/**
 * docs/ERRORS.md is generated from ERROR_CATALOG (sdk/errors.ts) and must be current; every code
 * has its entry (the catalog's type enforces it) and the CLI's --json error carries the fix.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as prettier from "prettier";
import { ERROR_CATALOG, ErrorCodes, renderErrorReference } from "../../sdk/node.ts";
import { runCli } from "../helpers/cli.ts";

const ROOT = join(import.meta.dirname, "..", "..");

describe("docs: the error reference", function () {
  it("test_errorsMd_isTheRenderedCatalog", async function () {
    const file = join(ROOT, "docs", "ERRORS.md");
    const options = { ...(await prettier.resolveConfig(file)), filepath: file };
    const fresh = await prettier.format(renderErrorReference(), options);
    expect(readFileSync(file, "utf8"), "regenerate docs/ERRORS.md (see its header)").to.equal(fresh);
    for (const code of Object.values(ErrorCodes)) expect(fresh).to.contain(`\`${code}\``);
  });

  it("test_cliJsonError_carriesModuleAndFix", async function () {
    const r = await runCli(["--json", "job", "status", "not-a-number"]);
    expect(r.code).to.equal(1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; module: string; fix: string } };
    expect(doc.ok).to.equal(false);
    expect(doc.error.code).to.equal("BAD_NUMBER");
    expect(doc.error.fix).to.equal(ERROR_CATALOG.BAD_NUMBER.fix);
  });
});
