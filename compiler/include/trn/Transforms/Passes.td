//===- Passes.td - trnc compiler passes --------------------*- tablegen -*-===//
//
// Every trnc pass is declared here (a `trn-*` command-line name, summary,
// description, options, dependent dialects) and implemented in its own file
// under compiler/lib/Transforms/. `registerTrnPasses()` (Passes.h) registers
// all of them with trn-opt and trnc.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_TRANSFORMS_PASSES_TD
#define TRN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

#endif // TRN_TRANSFORMS_PASSES_TD
