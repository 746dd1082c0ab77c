// Builds the browser assets into app/web/static/dist (run by `make`; never fetched at run time):
// vendor files copied from node_modules, and our entry points (assets/*.entry.js) bundled
// with esbuild, so pages load only files the application serves itself.
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
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

// The model editor's bpmnlint rules, compiled at build time from bpmnlint.json (bpmnlint's own
// compiler writes a module that imports every enabled rule; bundles import it as
// "virtual:bpmnlint-config"), since there is no webpack loader here.
const compileConfig = createRequire(import.meta.url)("bpmnlint/lib/support/compile-config");
const bpmnlintConfig = {
  name: "bpmnlint-config",
  setup(b) {
    b.onResolve({ filter: /^virtual:bpmnlint-config$/ }, () => ({ path: "bpmnlint-config", namespace: "bpmnlint" }));
    b.onLoad({ filter: /.*/, namespace: "bpmnlint" }, async () => ({
      contents: await compileConfig(JSON.parse(readFileSync(join(here, "bpmnlint.json"), "utf8"))),
      resolveDir: root, loader: "js", watchFiles: [join(here, "bpmnlint.json")],
    }));
  },
};

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
    loader: { ".bpmn": "text", ".css": "css", ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file" },
    jsx: "automatic",  // the properties panel's components (preact, as @bpmn-io/properties-panel uses it)
    jsxImportSource: "@bpmn-io/properties-panel/preact",
    plugins: [bpmnlintConfig],
    logLevel: "warning",
  });
}
const sizes = entries.map((n) => n.replace(".entry.js", "")).flatMap((n) => [`${n}.js`, `${n}.css`])
  .filter((f) => { try { return statSync(join(dist, f)); } catch { return false; } })
  .map((f) => `${f} ${Math.round(statSync(join(dist, f)).size / 1024)} KB`);
console.log(`assets: ${VENDOR.length} vendor files, ${entries.length} bundles -> ${dist} (${sizes.join(", ")})`);
