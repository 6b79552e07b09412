//===- Passes.h - trnc compiler passes --------------------------*- C++ -*-===//
//
// Declarations and registration of the passes in Passes.td.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_TRANSFORMS_PASSES_H
#define TRN_TRANSFORMS_PASSES_H

#include "trn/Dialect/Trn/IR/TrnOps.h"

#include "mlir/Pass/Pass.h"

namespace mlir::trn {

#define GEN_PASS_DECL
#include "trn/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trn/Transforms/Passes.h.inc"

} // namespace mlir::trn

#endif // TRN_TRANSFORMS_PASSES_H
