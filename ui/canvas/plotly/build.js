// plotly.js with only the trace types the app draws (package.json "optviz.traces"): about 2 MB instead of 4.8, and
// less than half the time for the browser to parse and run it on every page load. The options are plotly.js's own
// (its esbuild-config.js); the banner names the version and the traces, which ui/canvas reads back.
// Run with `make plotly-bundle` (Node.js 20 or newer and npm).
const esbuild = require("esbuild");
const { environmentPlugin } = require("esbuild-plugin-environment");
const { glsl } = require("esbuild-plugin-glsl");
const InlineCSSPlugin = require("esbuild-plugin-inline-css");
const { version } = require("plotly.js/package.json");
const { traces } = require("./package.json").optviz;

const registered = traces.filter((name) => name !== "scatter"); // the core has scatter already
const entry = [
  'var Plotly = require("plotly.js/lib/core");',
  `Plotly.register([${registered.map((name) => `require("plotly.js/lib/${name}")`).join(", ")}]);`,
  "module.exports = Plotly;",
].join("\n");

esbuild
  .build({
    stdin: { contents: entry, resolveDir: __dirname, loader: "js" },
    outfile: "plotly-optviz.min.js",
    banner: { js: `/*! plotly.js ${version} traces: ${traces.join(",")} (ui/canvas/plotly/build.js) */` },
    format: "iife",
    globalName: "Plotly",
    bundle: true,
    minify: true,
    legalComments: "eof",
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: "@plotly/regl", stream: "stream-browserify" },
    define: { global: "window", "define.amd": "false" },
    target: "es2016",
    logLevel: "info",
  })
  .catch(() => process.exit(1));
