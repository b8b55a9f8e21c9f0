// The try-it page's copy of the library (embedded in the server) is the library as it is.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { TARGET, bundle } from "../scripts/bundle.mjs";

test("the bundle the server embeds matches the library's source", async () => {
  assert.ok(
    (await bundle()) === readFileSync(TARGET, "utf8"),
    "src/http/console/imcluster-client.js is stale: run `npm run bundle` in clients/js",
  );
});
