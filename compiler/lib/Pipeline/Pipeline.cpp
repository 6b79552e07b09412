//===- Pipeline.cpp - trnc dialect registry and pass pipeline -------------===//
//
// See include/trn/Pipeline/Pipeline.h and docs/pipeline.md.
//
//===----------------------------------------------------------------------===//

#include "trn/Pipeline/Pipeline.h"

#include "trn/Dialect/Trn/IR/TrnOps.h"
#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Affine/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Affine/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferViewFlowOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/Extensions/InlinerExtension.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/BufferViewFlowOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/IR/TensorInferTypeOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/TensorTilingInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

void mlir::trn::registerTrnDialects(DialectRegistry &registry) {
  registry.insert<affine::AffineDialect, arith::ArithDialect, bufferization::BufferizationDialect,
                  func::FuncDialect, linalg::LinalgDialect, math::MathDialect,
                  memref::MemRefDialect, scf::SCFDialect, tensor::TensorDialect,
                  trn::TrnDialect>();

  // Inliner.
  func::registerInlinerExtension(registry);
  // One-shot bufferization (incl. function boundaries).
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerSubsetOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerSubsetOpInterfaceExternalModels(registry);
  arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
  scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  arith::registerBufferViewFlowOpInterfaceExternalModels(registry);
  memref::registerBufferViewFlowOpInterfaceExternalModels(registry);
  memref::registerAllocationOpInterfaceExternalModels(registry);
  // TilingInterface and the shape reasoning tiling/fusion rely on.
  linalg::registerTilingInterfaceExternalModels(registry);
  tensor::registerTilingInterfaceExternalModels(registry);
  tensor::registerInferTypeOpInterfaceExternalModels(registry);
  affine::registerValueBoundsOpInterfaceExternalModels(registry);
  arith::registerValueBoundsOpInterfaceExternalModels(registry);
  linalg::registerValueBoundsOpInterfaceExternalModels(registry);
  memref::registerValueBoundsOpInterfaceExternalModels(registry);
  scf::registerValueBoundsOpInterfaceExternalModels(registry);
  tensor::registerValueBoundsOpInterfaceExternalModels(registry);
}

//===----------------------------------------------------------------------===//
// Stages
//===----------------------------------------------------------------------===//

namespace {
struct Stage {
  StringRef name;
  StringRef pass; // empty for "input"
};
// docs/pipeline.md: entry check -> decompose -> layout -> (quantize) ->
// fuse rows -> tile -> bufferize -> place memory -> lower -> unroll ->
// allocate -> schedule.
constexpr Stage kStages[] = {
    {"input", ""},
    {"entry", "trn-check-entry"},
    {"decompose", "trn-decompose"},
    {"layout", "trn-layout"},
    {"fuse-rows", "trn-fuse-rows"},
    {"tile", "trn-tile"},
    {"bufferize", "trn-bufferize"},
    {"place-memory", "trn-place-memory"},
    {"lower", "trn-lower-to-trn"},
    {"unroll", "trn-unroll"},
    {"allocate", "trn-allocate"},
    {"schedule", "trn-schedule"},
};
constexpr unsigned kFirstDeviceStage = 10; // "allocate"
constexpr unsigned kQuantizeAfterStage = 3; // "layout": quantization runs right after it
constexpr StringRef kQuantPass = "trn-quantize";
} // namespace

ArrayRef<StringRef> mlir::trn::getTrnStageNames() {
  static const SmallVector<StringRef> names = [] {
    SmallVector<StringRef> n;
    for (const Stage &s : kStages)
      n.push_back(s.name);
    return n;
  }();
  return names;
}

std::optional<unsigned> mlir::trn::getTrnStageIndex(StringRef stage) {
  for (auto [i, s] : llvm::enumerate(kStages))
    if (s.name == stage)
      return static_cast<unsigned>(i);
  return std::nullopt;
}

std::optional<StringRef> mlir::trn::getTrnStagePass(StringRef stage) {
  std::optional<unsigned> i = getTrnStageIndex(stage);
  if (!i || kStages[*i].pass.empty())
    return std::nullopt;
  return kStages[*i].pass;
}

unsigned mlir::trn::getTrnFirstDeviceStage() { return kFirstDeviceStage; }

ArrayRef<StringRef> mlir::trn::getTrnQuantModes() {
  static const StringRef modes[] = {"none", "bf16", "fp8-e4m3", "fp8-e5m2", "mxfp8", "mxfp4"};
  return modes;
}

static std::string joined(ArrayRef<StringRef> items) {
  std::string s;
  for (StringRef i : items)
    s += (s.empty() ? "" : ", ") + i.str();
  return s;
}

LogicalResult mlir::trn::buildTrnPipeline(OpPassManager &pm, const PipelineOptions &options,
                                          std::string *error) {
  auto fail = [&](const Twine &msg) {
    if (error)
      *error = msg.str();
    return failure();
  };
  std::optional<unsigned> last = getTrnStageIndex(options.stopAfter);
  if (!last)
    return fail("unknown stage '" + options.stopAfter + "'; stages: " +
                joined(getTrnStageNames()) + ", program");
  if (!llvm::is_contained(getTrnQuantModes(), StringRef(options.quant)))
    return fail("unknown quantization mode '" + options.quant + "'; modes: " +
                joined(getTrnQuantModes()));
  bool quantize = options.quant != "none" || !options.quantOptions.empty();
  if (quantize && options.deviceOnly)
    return fail("--quant=" + options.quant +
                ": the input is already at device level; quantization applies to tensor-level "
                "inputs");
  if (quantize && !PassInfo::lookup(kQuantPass))
    return fail("--quant=" + options.quant + ": quantization is not available in this build");
  if (options.deviceOnly && *last != 0 && *last < kFirstDeviceStage)
    return fail("stage '" + options.stopAfter +
                "' does not run: the input is already at device level (contains trn "
                "instructions), so only allocate and schedule run");

  unsigned first = options.deviceOnly ? kFirstDeviceStage : 1;
  for (unsigned i = first; i <= *last; ++i) {
    const PassInfo *info = PassInfo::lookup(kStages[i].pass);
    if (!info)
      return fail("stage '" + kStages[i].name + "' needs pass '" + kStages[i].pass +
                  "', which is not available in this build");
    std::string passError;
    auto handler = [&](const Twine &msg) {
      passError = msg.str();
      return failure();
    };
    if (failed(info->addToPipeline(pm, "", handler)))
      return fail("cannot add pass '" + kStages[i].pass + "': " + passError);
    if (i == kQuantizeAfterStage && quantize) {
      const PassInfo *q = PassInfo::lookup(kQuantPass);
      if (failed(q->addToPipeline(pm, "mode=" + options.quant + " " + options.quantOptions,
                                  handler)))
        return fail("cannot add pass '" + kQuantPass + "': " + passError);
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// trn-pipeline
//===----------------------------------------------------------------------===//

namespace {
struct TrnPipelineCLOptions : public PassPipelineOptions<TrnPipelineCLOptions> {
  Option<std::string> quant{*this, "quant", llvm::cl::desc("Quantization mode (none, ...)"),
                            llvm::cl::init("none")};
  Option<std::string> stopAfter{*this, "stop-after",
                                llvm::cl::desc("Last stage to run (entry ... schedule)"),
                                llvm::cl::init("schedule")};
  Option<bool> deviceOnly{*this, "device-only",
                          llvm::cl::desc("Input is device level: run allocate and schedule only"),
                          llvm::cl::init(false)};
};
} // namespace

void mlir::trn::registerTrnPipelines() {
  registerPassPipeline(
      "trn-pipeline", "The trnc pass pipeline of docs/pipeline.md (stages entry..schedule)",
      [](OpPassManager &pm, StringRef optionsStr,
         function_ref<LogicalResult(const Twine &)> errorHandler) -> LogicalResult {
        TrnPipelineCLOptions cl;
        if (failed(cl.parseFromString(optionsStr)))
          return failure();
        PipelineOptions options;
        options.quant = cl.quant;
        options.stopAfter = cl.stopAfter;
        options.deviceOnly = cl.deviceOnly;
        std::string error;
        if (failed(buildTrnPipeline(pm, options, &error)))
          return errorHandler("trn-pipeline: " + error);
        return success();
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> optHandler) {
        optHandler(TrnPipelineCLOptions());
      });
}

bool mlir::trn::containsDeviceInstructions(ModuleOp module) {
  return module.walk([](TrnInstructionOpInterface) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

LogicalResult mlir::trn::applyTargetOption(ModuleOp module, StringRef target,
                                           StringRef optionSpelling) {
  StringRef attrName = TrnDialect::getTargetAttrName();
  Attribute existing = module->getAttr(attrName);
  if (!existing) {
    StringRef name = target.empty() ? TrnDialect::getDefaultTargetName() : target;
    module->setAttr(attrName, TargetAttr::get(module.getContext(), name));
    return success();
  }
  auto attr = dyn_cast<TargetAttr>(existing);
  if (!attr)
    return module->emitError() << "'" << attrName << "' must be a #trn.target attribute";
  if (!target.empty() && attr.getName() != target)
    return module->emitError() << optionSpelling << "=" << target << " conflicts with the module's "
                               << attrName << " = " << existing;
  return success();
}
