// Builds the browser assets into app/web/static/dist (run by `make`; never fetched at run time):
// vendor files copied from node_modules, and our entry points (assets/*.entry.js) bundled
// with esbuild, so pages load only files the application serves itself.
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const dist = join(here, "..", "static", "dist");
const modules = join(root, "node_modules");

// [source under node_modules, target under dist/vendor]
const VENDOR = [
  ["@picocss/pico/css/pico.min.css", "pico.min.css"],
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-navigated-viewer.js"],
  ["bpmn-js/dist/bpmn-modeler.production.min.js", "bpmn-js/bpmn-modeler.js"],
  ["bpmn-js/dist/assets", "bpmn-js/assets"],
  ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui-standalone-preset.js", "swagger-ui/swagger-ui-standalone-preset.js"],
  ["swagger-ui-dist/swagger-ui.css", "swagger-ui/swagger-ui.css"],
  ["swagger-ui-dist/favicon-32x32.png", "swagger-ui/favicon-32x32.png"],
];

rmSync(dist, { recursive: true, force: true });
for (const [source, target] of VENDOR) {
  mkdirSync(dirname(join(dist, "vendor", target)), { recursive: true });
  cpSync(join(modules, source), join(dist, "vendor", target), { recursive: true });
}

const entries = readdirSync(here).filter((name) => name.endsWith(".entry.js"));
if (entries.length) {
  await build({
    entryPoints: Object.fromEntries(entries.map((n) => [n.replace(".entry.js", ""), join(here, n)])),
    outdir: dist,
    bundle: true,
    minify: true,
    sourcemap: true,
    format: "iife",
    target: ["chrome110", "firefox110", "safari16"],
    loader: { ".bpmn": "text", ".css": "css" },
    logLevel: "warning",
  });
}
console.log(`assets: ${VENDOR.length} vendor files, ${entries.length} bundles -> ${dist}`);
