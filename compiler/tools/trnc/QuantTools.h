//===- QuantTools.h - trnc calibration and quantization report --*- C++ -*-===//
//
// `trnc --calibrate=IN.npy,...` and `trnc --quant-report=IN.npy,...`
// (docs/quantization.md): both compile extra variants of the input module
// (trn-quantize with calibration / debug outputs), run them on the reference
// emulator and read the extra outputs.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_TOOLS_TRNC_QUANTTOOLS_H
#define TRN_TOOLS_TRNC_QUANTTOOLS_H

#include "trn/Pipeline/Pipeline.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace trnc {

/// Where calibrate/quantReport print their errors (null: stderr); the
/// Python API collects them. Not thread-safe: callers serialise.
void setErrorStream(llvm::raw_ostream *os);

/// Splits "a.npy,b.npy" into paths.
std::vector<std::string> splitList(const std::string &list);

/// Runs the unquantized program (trn-quantize mode=none calibration-outputs)
/// on `inputs` and returns the trn-quantize option string with the observed
/// amax per activation root ("activation-scales=static activation-amax=...").
/// Errors are printed; returns false on failure.
bool calibrate(mlir::ModuleOp module, const mlir::trn::PipelineOptions &options,
               const std::vector<std::string> &inputs, std::string &quantOptions);

/// Compiles the module twice with debug outputs (unquantized and with
/// `options`), runs both on `inputs` and prints per quantized op the SQNR
/// (dB) and max |error| of the quantized result against the unquantized one.
bool quantReport(mlir::ModuleOp module, const mlir::trn::PipelineOptions &options,
                 const std::vector<std::string> &inputs, llvm::raw_ostream &os);

} // namespace trnc

#endif // TRN_TOOLS_TRNC_QUANTTOOLS_H
