// Preloaded into jsii's Node (NODE_OPTIONS --require, set by modules/_provider_packages.py).
//
// Why: a prebuilt provider package's lib/index.js is one `exports.<name> = require("./<name>");`
// line per resource (2,135 for aws, ~250 MB of JavaScript), so jsii's `load` of the package made
// Node read and compile all of it: ~3 s and ~400 MB per synth, for the few dozen resources used.
// This hook rewrites exactly those lines of @cdktf/provider-*/lib/index.js into getters that
// require the submodule on first access (jsii's kernel finds a class by walking the package's
// exports, which calls the getter). Nothing else is touched, and a line of any other shape is
// left as it is (then it loads eagerly, as before). The synthesized JSON is byte-identical
// (tests/stacks/test_fast_import.py compares it with a run without this hook).
"use strict";
const Module = require("module");
const fs = require("fs");

// The package as jsii links it into its kernel directory (node_modules/@cdktf/provider-aws/lib/
// index.js) or as it sits in jsii's package cache (@cdktf/provider-aws/<version>/<sha256>/lib/...).
const PROVIDER_INDEX = /[\\/]@cdktf[\\/]provider-[a-z0-9-]+[\\/](?:[^\\/]+[\\/][0-9a-f]{64}[\\/])?lib[\\/]index\.js$/;
const EAGER_EXPORT = /^exports\.([A-Za-z_$][\w$]*) = require\("(\.\/[\w./-]+)"\);$/gm;

const compileJs = Module._extensions[".js"];
Module._extensions[".js"] = function lazyProviderIndex(module, filename) {
  if (!PROVIDER_INDEX.test(filename)) {
    return compileJs(module, filename);
  }
  const source = fs.readFileSync(filename, "utf8").replace(
    EAGER_EXPORT,
    (_, name, path) =>
      `Object.defineProperty(exports, ${JSON.stringify(name)}, ` +
      `{ enumerable: true, configurable: true, get: () => require(${JSON.stringify(path)}) });`,
  );
  module._compile(source, filename);
};
