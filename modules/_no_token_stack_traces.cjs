// Preloaded into jsii's Node (NODE_OPTIONS --require, set by modules/_provider_packages.py) unless
// PLATFORM_SYNTH_SPEEDUPS leaves out "traces" (modules/_synth_speedups.py).
//
// Why: cdktf 0.21 records a full JavaScript stack trace (Error.stackTraceLimit raised to
// Number.MAX_SAFE_INTEGER, then formatted and split) for every token it creates: each Lazy,
// Intrinsic, dynamic block/expression and computed list (lib/tokens/private/stack-trace.js,
// called from lib/tokens/lazy.js, lib/tokens/private/intrinsic.js and others). It has no switch for
// these: App's `stackTraces: false` (context "@cdktf/disable_stack_trace_in_metadata",
// lib/app.js and lib/annotations.js) covers only Annotations. Driven from Python, such a trace
// holds only jsii kernel frames, never the Python line that made the token, and is read only in
// the text of a token-resolution error ("Object creation stack", lib/tokens/resolvable.js). So
// this hook makes cdktf's captureStackTrace return no frames; nothing is written from it, and the
// synthesized JSON is byte-identical (tests/stacks/test_synth_speedups.py).
"use strict";
const Module = require("module");

// cdktf as jsii links it into its kernel directory (node_modules/cdktf/lib/...) or as it sits in
// jsii's package cache (cdktf/<version>/<sha256>/lib/...).
const STACK_TRACE = /[\\/]cdktf[\\/](?:[^\\/]+[\\/][0-9a-f]{64}[\\/])?lib[\\/]tokens[\\/]private[\\/]stack-trace\.js$/;

const compileJs = Module._extensions[".js"];
Module._extensions[".js"] = function noTokenStackTraces(module, filename) {
  compileJs(module, filename);
  if (STACK_TRACE.test(filename) && typeof module.exports.captureStackTrace === "function") {
    // Callers read it as `(0, stack_trace_1.captureStackTrace)()` on every call: replacing the
    // export is enough. An empty list is what it returns when V8 gives no stack.
    module.exports.captureStackTrace = () => [];
  }
};
