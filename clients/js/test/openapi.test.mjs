// The REST helpers' types are generated from the server's OpenAPI document: the checked-in
// file must be what the document a pod serves now generates (else: npm run generate).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { TARGET, generate } from "../scripts/generate.mjs";
import { Pod } from "./pod.mjs";

test("the generated REST types match the served OpenAPI document", async () => {
  const pod = await Pod.start();
  try {
    const doc = await (await fetch(`${pod.base}/api/openapi.json`)).json();
    const fresh = await generate(doc);
    assert.ok(
      fresh === readFileSync(TARGET, "utf8"),
      "src/generated/openapi.ts is stale: run `npm run generate -- <a pod's URL>`",
    );
  } finally {
    await pod.stop();
  }
});
