//===- CheckEntry.cpp - trn-check-entry: verify the input contract --------===//
//
// Stage 1 of the trnc pipeline (docs/pipeline.md): every later pass may
// assume func.func bodies on ranked static f32/bf16 tensors built from the
// supported linalg/tensor/arith/math ops. This pass checks that contract
// before any other work and reports every violation (one diagnostic per
// offending op, naming the op, the reason and what is supported), then
// fails. It also makes the compilation target explicit: a module without
// `trn.target` gets `#trn.target<"<default-target>">`.
//
//===----------------------------------------------------------------------===//

#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::trn {
#define GEN_PASS_DEF_TRNCHECKENTRYPASS
#include "trn/Transforms/Passes.h.inc"
} // namespace mlir::trn

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kShapeHint =
    "inputs must be ranked static tensors of f32 or bf16";

/// The linalg ops trn-decompose knows how to bring to the stage-2 op set
/// (plus the stage-2 ops themselves and the region terminators/indices).
const llvm::StringSet<> &supportedLinalgOps() {
  static const llvm::StringSet<> ops = {
      // Contractions.
      "linalg.matmul", "linalg.batch_matmul", "linalg.matvec", "linalg.vecmat",
      "linalg.batch_matvec", "linalg.batch_vecmat", "linalg.dot",
      // Convolutions.
      "linalg.conv_2d_nchw_fchw", "linalg.conv_2d_nhwc_hwcf", "linalg.conv_2d_nhwc_fhwc",
      "linalg.conv_2d_ngchw_fgchw", "linalg.conv_2d_ngchw_gfchw", "linalg.conv_2d_nhwgc_gfhwc",
      "linalg.depthwise_conv_2d_nchw_chw", "linalg.depthwise_conv_2d_nhwc_hwc",
      "linalg.depthwise_conv_2d_nhwc_hwcm",
      // Pooling.
      "linalg.pooling_nchw_sum", "linalg.pooling_nchw_max", "linalg.pooling_nhwc_sum",
      "linalg.pooling_nhwc_max", "linalg.pooling_nhwc_min",
      // Normalization.
      "linalg.softmax",
      // Element-wise.
      "linalg.exp", "linalg.log", "linalg.abs", "linalg.ceil", "linalg.floor", "linalg.negf",
      "linalg.reciprocal", "linalg.round", "linalg.sqrt", "linalg.rsqrt", "linalg.square",
      "linalg.tanh", "linalg.erf", "linalg.add", "linalg.sub", "linalg.mul", "linalg.div",
      "linalg.max", "linalg.min", "linalg.powf", "linalg.select", "linalg.elementwise",
      "linalg.map",
      // Generic, reductions, data movement.
      "linalg.generic", "linalg.reduce", "linalg.transpose", "linalg.broadcast", "linalg.fill",
      "linalg.copy", "linalg.yield", "linalg.index"};
  return ops;
}

const llvm::StringSet<> &supportedTensorOps() {
  static const llvm::StringSet<> ops = {
      "tensor.empty",         "tensor.pad",           "tensor.yield",
      "tensor.extract_slice", "tensor.insert_slice",  "tensor.collapse_shape",
      "tensor.expand_shape",  "tensor.concat"};
  return ops;
}

constexpr llvm::StringLiteral kSupportedOps =
    "supported: func.func/func.return, arith, math, tensor.{empty, pad, extract_slice, "
    "insert_slice, collapse_shape, expand_shape, concat} and linalg named ops (matmul, "
    "batch_matmul, matvec, vecmat, dot, conv_2d/depthwise_conv_2d/pooling NCHW/NHWC, softmax, "
    "element-wise), generic, reduce, transpose, broadcast, fill, copy";

class Checker {
public:
  /// Checks `module`; returns the number of violations reported.
  unsigned run(ModuleOp module) {
    for (Operation &op : module.getBody()->getOperations())
      checkTopLevel(&op);
    return numErrors;
  }

private:
  unsigned numErrors = 0;

  InFlightDiagnostic report(Operation *op) {
    ++numErrors;
    return op->emitError() << "'" << op->getName() << "' op is not supported by trnc: ";
  }

  InFlightDiagnostic reportFunc(func::FuncOp func) {
    ++numErrors;
    return func.emitError() << "function @" << func.getSymName() << " is not supported by trnc: ";
  }

  /// Why `type` (of a value at function/tensor level) is not supported, or
  /// an empty string.
  static std::string tensorTypeProblem(Type type) {
    if (isa<MemRefType, UnrankedMemRefType>(type))
      return "memrefs are not supported (trnc compiles tensor programs)";
    if (isa<VectorType>(type))
      return "vector types are not supported";
    if (isa<UnrankedTensorType>(type))
      return "unranked tensors are not supported";
    if (auto t = dyn_cast<RankedTensorType>(type)) {
      if (!t.hasStaticShape())
        return "dynamic shapes are not supported";
      if (llvm::is_contained(t.getShape(), 0))
        return "empty tensors (a dimension of size 0) are not supported";
      if (t.getEncoding())
        return "tensor encodings are not supported";
      Type e = t.getElementType();
      // i1 tensors are the conditions of linalg.select / element-wise selects.
      if (!e.isF32() && !e.isBF16() && !e.isInteger(1)) {
        std::string s;
        llvm::raw_string_ostream os(s);
        os << "element type '" << e << "' is not supported";
        return s;
      }
      return "";
    }
    return scalarTypeProblem(type);
  }

  /// Scalars appear as arith constants, linalg.fill values and inside
  /// region bodies (index computations use index/i32/i64).
  static std::string scalarTypeProblem(Type type) {
    if (type.isF32() || type.isBF16() || type.isIndex() || type.isInteger(1) ||
        type.isInteger(32) || type.isInteger(64))
      return "";
    if (isa<ShapedType>(type))
      return tensorTypeProblem(type);
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "type '" << type << "' is not supported";
    return s;
  }

  void checkTopLevel(Operation *op) {
    auto func = dyn_cast<func::FuncOp>(op);
    if (!func) {
      report(op) << "only func.func is supported at module level";
      return;
    }
    if (func.isExternal()) {
      report(op) << "function declarations without a body are not supported; every function "
                    "must be defined in the module";
      return;
    }
    FunctionType ft = func.getFunctionType();
    for (auto [i, t] : llvm::enumerate(ft.getInputs())) {
      std::string p = tensorTypeProblem(t);
      if (p.empty() && !isa<RankedTensorType>(t))
        p = "scalar arguments are not supported";
      if (!p.empty())
        reportFunc(func) << "argument #" << i << " of type " << t << ": " << p << "; " << kShapeHint;
    }
    for (auto [i, t] : llvm::enumerate(ft.getResults())) {
      std::string p = tensorTypeProblem(t);
      if (p.empty() && !isa<RankedTensorType>(t))
        p = "scalar results are not supported";
      if (!p.empty())
        reportFunc(func) << "result #" << i << " of type " << t << ": " << p << "; " << kShapeHint;
    }
    if (!func.getBody().hasOneBlock()) {
      report(op) << "function bodies must be a single block (no control flow)";
      return;
    }
    for (Operation &inner : func.getBody().front())
      checkOp(&inner, /*inBody=*/false);
  }

  /// `inBody`: the op is inside a linalg/tensor.pad region (scalar code).
  void checkOp(Operation *op, bool inBody) {
    StringRef name = op->getName().getStringRef();
    StringRef dialect = op->getName().getDialectNamespace();

    // Op-specific reasons first: they are more helpful than the generic one.
    if (isa<tensor::DimOp>(op) || name == "memref.dim") {
      report(op) << "dynamic shapes are not supported; " << kShapeHint;
      return;
    }
    if (isa<func::CallOp, func::CallIndirectOp>(op)) {
      report(op) << "function calls are not supported; inline the callee first (e.g. "
                    "`trn-opt --inline`)";
      return;
    }
    if (dialect == "scf" || dialect == "cf" || dialect == "affine") {
      report(op) << "control flow is not supported; express loops and conditionals with "
                    "linalg ops (e.g. linalg.generic, arith.select)";
      return;
    }
    if (dialect == "memref" || dialect == "bufferization") {
      report(op) << "buffer operations are not supported (trnc compiles tensor programs); "
                 << kShapeHint;
      return;
    }

    bool known = false;
    if (dialect == "arith" || dialect == "math") {
      known = true;
    } else if (name == "func.return") {
      known = !inBody;
    } else if (dialect == "linalg") {
      // Inside a body only linalg.yield / linalg.index are meaningful.
      known = supportedLinalgOps().contains(name) &&
              (!inBody || isa<linalg::YieldOp, linalg::IndexOp>(op));
    } else if (dialect == "tensor") {
      known = supportedTensorOps().contains(name) && (!inBody || isa<tensor::YieldOp>(op));
    }
    if (!known) {
      if (isa<tensor::GenerateOp, tensor::SplatOp, tensor::FromElementsOp>(op))
        report(op) << "build tensors with arith.constant or linalg.fill; " << kSupportedOps;
      else if (isa<tensor::ExtractOp, tensor::InsertOp>(op))
        report(op) << "element access by index is not supported; " << kSupportedOps;
      else if (isa<linalg::ContractOp, linalg::BatchReduceMatmulOp>(op))
        report(op) << "use linalg.matmul/linalg.batch_matmul (with indexing_maps for transposed "
                      "operands); "
                   << kSupportedOps;
      else
        report(op) << "unsupported operation; " << kSupportedOps;
      return;
    }

    // Types of everything the op touches.
    auto check = [&](Type t, StringRef what, unsigned i) -> bool {
      std::string p = inBody ? scalarTypeProblem(t) : tensorTypeProblem(t);
      if (inBody && p.empty() && isa<ShapedType>(t))
        p = "shaped values inside region bodies are not supported";
      if (p.empty())
        return true;
      report(op) << what << " #" << i << " of type " << t << ": " << p << "; " << kShapeHint;
      return false;
    };
    for (auto [i, v] : llvm::enumerate(op->getOperands()))
      if (!check(v.getType(), "operand", i))
        return;
    for (auto [i, v] : llvm::enumerate(op->getResults()))
      if (!check(v.getType(), "result", i))
        return;

    if (auto pad = dyn_cast<tensor::PadOp>(op)) {
      if (!pad.getConstantPaddingValue()) {
        report(op) << "the padding value must be a constant (or a value defined outside the "
                      "pad), not computed per element inside the pad's region";
        return;
      }
    }
    for (Region &region : op->getRegions())
      for (Block &block : region) {
        for (BlockArgument arg : block.getArguments()) {
          std::string p = scalarTypeProblem(arg.getType());
          if (!p.empty() || isa<ShapedType>(arg.getType())) {
            report(op) << "region argument of type " << arg.getType() << ": "
                       << (p.empty() ? "shaped region arguments are not supported" : p) << "; "
                       << kShapeHint;
            return;
          }
        }
        for (Operation &inner : block)
          checkOp(&inner, /*inBody=*/true);
      }
  }
};

struct TrnCheckEntryPass : trn::impl::TrnCheckEntryPassBase<TrnCheckEntryPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    StringRef attrName = trn::TrnDialect::getTargetAttrName();

    bool failed = false;
    if (Attribute attr = module->getAttr(attrName)) {
      // The dialect verifier already rejects a non-#trn.target value; keep
      // the check so the pass never relies on verification having run.
      if (!isa<trn::TargetAttr>(attr)) {
        module.emitError() << "'" << attrName << "' must be a #trn.target attribute, got "
                           << attr;
        failed = true;
      }
    } else {
      if (!trnrt::Target::get(defaultTarget)) {
        std::string known;
        llvm::raw_string_ostream os(known);
        llvm::interleaveComma(trnrt::Target::names(), os);
        module.emitError() << "trn-check-entry: unknown default-target '" << defaultTarget
                           << "'; known targets: " << known;
        return signalPassFailure();
      }
      module->setAttr(attrName, trn::TargetAttr::get(ctx, defaultTarget));
    }

    Checker checker;
    if (checker.run(module) != 0 || failed)
      signalPassFailure();
  }
};

} // namespace
