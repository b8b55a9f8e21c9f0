// The library as one ES module for the pages the server serves (the try-it page imports it):
// `npm run bundle` writes src/http/console/imcluster-client.js, which the binary embeds, so
// the server builds without Node. The tests check the file matches the library's source.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const TARGET = fileURLToPath(new URL("../../../src/http/console/imcluster-client.js", import.meta.url));

/** The bundle's text. */
export async function bundle() {
  const out = await build({
    entryPoints: [fileURLToPath(new URL("../src/index.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    target: "es2020",
    write: false,
    legalComments: "none",
    banner: { js: "// @imcluster/client, bundled from clients/js by `npm run bundle`: do not edit." },
  });
  return out.outputFiles[0].text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(TARGET, await bundle());
  console.log(`wrote ${TARGET}`);
}
