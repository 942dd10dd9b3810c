// Bundles src/ into one minified file for the reference server to serve at /widget.js, and prints its
// gzipped size. Fails when the bundle is over the budget.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const OUTFILE = "../reference_server/src/interview_engine_server/widget_build/widget.js";
const BUDGET_GZ_BYTES = 40 * 1024;

await build({
  entryPoints: ["src/index.ts"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none",
  outfile: OUTFILE,
  logLevel: "warning",
});

const code = readFileSync(OUTFILE);
const gzipped = gzipSync(code, { level: 9 }).length;
const hash = createHash("sha256").update(code).digest("hex").slice(0, 16);
console.log(`widget.js: ${code.length} bytes, ${gzipped} bytes gzipped (budget ${BUDGET_GZ_BYTES}), version ${hash}`);
if (gzipped > BUDGET_GZ_BYTES) {
  console.error(`widget.js is over its size budget: ${gzipped} > ${BUDGET_GZ_BYTES} bytes gzipped`);
  process.exit(1);
}
