//===- Pipeline.h - trnc dialect registry and pass pipeline ----*- C++ -*-===//
//
// The dialects (with the external models bufferization, TilingInterface and
// the inliner need) every trnc tool registers, and the pass pipeline of
// docs/pipeline.md assembled by stage name.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_PIPELINE_PIPELINE_H
#define TRN_PIPELINE_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir::trn {

/// Upstream dialects of the pipeline (affine, arith, bufferization, func,
/// linalg, math, memref, scf, tensor), their external interface models and
/// the trn dialect.
void registerTrnDialects(DialectRegistry &registry);

/// Registers the `trn-pipeline` pass pipeline (options `quant`,
/// `stop-after`, `device-only`). Call after trn::registerTrnPasses().
void registerTrnPipelines();

/// Stage names accepted by `trnc --emit` (besides `program`), in pipeline
/// order: input, entry, decompose, layout, tile, bufferize, place-memory,
/// lower, unroll, allocate, schedule.
ArrayRef<StringRef> getTrnStageNames();
/// The pass that produces `stage` ("tile" -> "trn-tile"); std::nullopt for
/// "input" and unknown names.
std::optional<StringRef> getTrnStagePass(StringRef stage);
/// Index of a stage in getTrnStageNames(), or std::nullopt.
std::optional<unsigned> getTrnStageIndex(StringRef stage);
/// Index of the first device-level stage ("allocate").
unsigned getTrnFirstDeviceStage();

/// Quantization modes known to the design (DESIGN.md section 6).
ArrayRef<StringRef> getTrnQuantModes();

struct PipelineOptions {
  /// Quantization mode: "none", or a known mode when `trn-quantize` exists.
  std::string quant = "none";
  /// Further `trn-quantize` options ("weight-scales=per-tensor
  /// debug-outputs=true ..."); when non-empty the pass also runs for
  /// quant == "none" (debug/calibration outputs of the unquantized program).
  std::string quantOptions;
  /// Last stage to run (a getTrnStageNames() entry); default: everything.
  std::string stopAfter = "schedule";
  /// The input is already at device level: run only allocate and schedule.
  bool deviceOnly = false;
};

/// Appends the passes of docs/pipeline.md up to `options.stopAfter` to `pm`
/// (a module pass manager), looking each pass up by its registered name
/// (trn::registerTrnPasses() must have run). Fails with a message in
/// `*error` for an unknown stage or quantization mode, a stage not available
/// for a device-level input, or a pass that is not in this build.
LogicalResult buildTrnPipeline(OpPassManager &pm, const PipelineOptions &options,
                               std::string *error = nullptr);

/// Whether `module` already holds device instructions: such input skips the
/// tensor and buffer stages (PipelineOptions::deviceOnly).
bool containsDeviceInstructions(ModuleOp module);

/// Applies the driver's target option to `module`: a module without
/// `trn.target` gets `target` (or the default target when `target` is empty);
/// a module that has one keeps it, and a different non-empty `target` is an
/// error naming `optionSpelling` (e.g. "--target" for trnc, "target" for
/// Python). Diagnostics go to the module's location.
LogicalResult applyTargetOption(ModuleOp module, StringRef target, StringRef optionSpelling);

} // namespace mlir::trn

#endif // TRN_PIPELINE_PIPELINE_H
