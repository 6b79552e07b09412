//===- trn-opt.cpp - mlir-opt with the trn dialect and trnc passes --------===//
//
// Registers the dialects of the trnc pipeline (trn::registerTrnDialects:
// upstream dialects with the external models one-shot bufferization,
// TilingInterface and the inliner need, and the trn dialect), the upstream
// passes, every trnc pass and the trn-pipeline pass pipeline.
//
//===----------------------------------------------------------------------===//

#include "trn/Dialect/Trn/IR/TrnOps.h"
#include "trn/Pipeline/Pipeline.h"
#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Affine/Transforms/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

static void registerPasses() {
  registerTransformsPasses(); // canonicalize, cse, inline, symbol-dce, ...
  affine::registerAffinePasses();
  arith::registerArithPasses();
  bufferization::registerBufferizationPasses();
  func::registerFuncPasses();
  registerLinalgPasses();
  math::registerMathPasses();
  memref::registerMemRefPasses();
  registerSCFPasses();
  tensor::registerTensorPasses();
  trn::registerTrnPasses();
  trn::registerTrnPipelines(); // trn-pipeline
}

int main(int argc, char **argv) {
  DialectRegistry registry;
  trn::registerTrnDialects(registry);
  registerPasses();
  return asMainReturnCode(
      MlirOptMain(argc, argv, "trnc optimizer driver (trn dialect and trnc passes)\n", registry));
}
