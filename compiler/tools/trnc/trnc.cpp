//===- trnc.cpp - the trnc compiler driver --------------------------------===//
//
//   trnc INPUT.mlir -o OUT.trnx [--target=trn1|trn2|trn3] [--quant=none]
//        [--emit=STAGE]
//
// Parses the input, sets `trn.target`, runs the pass pipeline of
// docs/pipeline.md (trn::buildTrnPipeline) and serializes the scheduled
// module to a .trnx program (trnrt::writeProgramFile, atomic). `--emit=STAGE`
// prints the IR after a stage (or `program`: the trn-objdump listing)
// instead. An input that already contains trn instructions runs only
// allocate and schedule. Diagnostics: `error: file:line:col: message` on
// stderr, exit status 1, no output file.
//
//===----------------------------------------------------------------------===//

#include "QuantTools.h"
#include "trn/Dialect/Trn/IR/TrnOps.h"
#include "trn/Pipeline/Pipeline.h"
#include "trn/Serialize/Serialize.h"
#include "trn/Transforms/Passes.h"
#include "trn/runtime/Target.h"
#include "trn/runtime/Trnx.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory trncCategory("trnc options");
static cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<input.mlir>"),
                                          cl::cat(trncCategory));
static cl::opt<std::string> outputFilename("o", cl::desc("Output file (.trnx; with --emit: text, "
                                                         "default stdout)"),
                                           cl::value_desc("file"), cl::cat(trncCategory));
static cl::opt<std::string> targetName("target",
                                       cl::desc("Target: trn1, trn2 or trn3 (default: the "
                                                "module's trn.target, else trn2)"),
                                       cl::value_desc("name"), cl::cat(trncCategory));
static cl::opt<std::string> quantMode("quant",
                                      cl::desc("Quantization of matmul/conv operands: none, "
                                               "bf16, fp8-e4m3, fp8-e5m2, mxfp8, mxfp4 "
                                               "(docs/quantization.md)"),
                                      cl::init("none"), cl::value_desc("mode"),
                                      cl::cat(trncCategory));
static cl::opt<std::string> quantWeights(
    "quant-weights",
    cl::desc("Scales of constant matmul/conv operands: per-channel (default) or per-tensor"),
    cl::init("per-channel"), cl::value_desc("granularity"), cl::cat(trncCategory));
static cl::opt<std::string> quantScales(
    "quant-scales",
    cl::desc("Scales of activation operands: dynamic (amax on the device, default) or "
             "calibrated (needs --calibrate)"),
    cl::init("dynamic"), cl::value_desc("kind"), cl::cat(trncCategory));
static cl::opt<std::string> calibrateInputs(
    "calibrate",
    cl::desc("Example inputs (.npy, comma-separated, program input order): calibrate the "
             "activation scales on them (implies --quant-scales=calibrated)"),
    cl::value_desc("a.npy,b.npy"), cl::cat(trncCategory));
static cl::opt<std::string> quantReportInputs(
    "quant-report",
    cl::desc("Inputs (.npy, comma-separated): print per quantized op the SQNR and max error "
             "against the unquantized program on the emulator"),
    cl::value_desc("a.npy,b.npy"), cl::cat(trncCategory));
static cl::opt<std::string> emitStage(
    "emit",
    cl::desc("Print the IR after a stage instead of writing a program: input, entry, decompose, "
             "layout, tile, bufferize, place-memory, lower, unroll, allocate, schedule; or "
             "'program' for the trn-objdump-style listing"),
    cl::value_desc("stage"), cl::cat(trncCategory));

static cl::opt<std::string> tilingMode(
    "trn-tiling",
    cl::desc("GEMM blocking (docs/scheduling.md): auto (cost model, default), tile (per-tile "
             "fusion only), naive, hoist, block-mn, block-mnk"),
    cl::init("auto"), cl::value_desc("strategy"), cl::cat(trncCategory));

namespace {

std::string locationPrefix(Location loc) {
  std::string s;
  loc->walk([&](Location l) {
    if (auto f = dyn_cast<FileLineColLoc>(l)) {
      s = f.getFilename().str() + ":" + std::to_string(f.getLine()) + ":" +
          std::to_string(f.getColumn()) + ": ";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return s;
}

/// "error: file:line:col: message" (DESIGN.md section 8), notes likewise.
void printDiagnostic(Diagnostic &diag) {
  const char *kind = "error";
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error:
    kind = "error";
    break;
  case DiagnosticSeverity::Warning:
    kind = "warning";
    break;
  case DiagnosticSeverity::Note:
    kind = "note";
    break;
  case DiagnosticSeverity::Remark:
    kind = "remark";
    break;
  }
  llvm::errs() << kind << ": " << locationPrefix(diag.getLocation()) << diag.str() << "\n";
  for (Diagnostic &note : diag.getNotes())
    printDiagnostic(note);
}

int fail(const Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return 1;
}

/// Writes text to `path` ("-" or empty = stdout) through a temporary file
/// renamed into place (llvm::writeToOutput): no partial file on failure.
int writeText(const std::string &path, llvm::function_ref<void(raw_ostream &)> print) {
  std::string target = path.empty() ? "-" : path;
  llvm::Error err = llvm::writeToOutput(target, [&](raw_ostream &os) -> llvm::Error {
    print(os);
    return llvm::Error::success();
  });
  if (err)
    return fail("cannot write '" + target + "': " + llvm::toString(std::move(err)));
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  {
    std::string clErrors;
    llvm::raw_string_ostream clErrs(clErrors);
    if (!cl::ParseCommandLineOptions(
            argc, argv, "trnc: compile a linalg/tensor MLIR function to a .trnx program\n",
            &clErrs)) {
      StringRef first = StringRef(clErrs.str()).split('\n').first;
      first.consume_front(StringRef(argv[0]));
      first.consume_front(": ");
      first.consume_front("trnc: ");
      return fail(first.trim());
    }
  }

  // Options first: nothing is read or written when they are wrong.
  if (inputFilename.empty())
    return fail("no input file (usage: trnc INPUT.mlir -o OUT.trnx [--target=trn1|trn2|trn3] "
                "[--quant=none] [--emit=STAGE])");
  bool emitProgram = emitStage == "program";
  if (!emitStage.empty() && !emitProgram && !trn::getTrnStageIndex(emitStage)) {
    std::string stages;
    for (StringRef s : trn::getTrnStageNames())
      stages += s.str() + ", ";
    return fail("--emit=" + emitStage + ": unknown stage; stages: " + stages + "program");
  }
  if (!llvm::is_contained(trn::getTrnQuantModes(), StringRef(quantMode))) {
    std::string modes;
    for (StringRef m : trn::getTrnQuantModes())
      modes += (modes.empty() ? "" : ", ") + m.str();
    return fail("--quant=" + quantMode + ": unknown quantization mode; modes: " + modes);
  }
  if (quantWeights != "per-channel" && quantWeights != "per-tensor")
    return fail("--quant-weights=" + quantWeights + ": expected per-channel or per-tensor");
  if (quantScales != "dynamic" && quantScales != "calibrated")
    return fail("--quant-scales=" + quantScales + ": expected dynamic or calibrated");
  bool scaledMode = quantMode == "fp8-e4m3" || quantMode == "fp8-e5m2";
  if (!calibrateInputs.empty() && !scaledMode)
    return fail("--calibrate needs --quant=fp8-e4m3 or fp8-e5m2 (the modes with activation "
                "scales)");
  if (quantScales == "calibrated" && calibrateInputs.empty())
    return fail("--quant-scales=calibrated needs --calibrate=INPUTS.npy");
  if (!quantReportInputs.empty() && quantMode == "none")
    return fail("--quant-report needs a --quant mode other than none");
  if (!targetName.empty() && !trnrt::Target::get(targetName)) {
    std::string names;
    for (const std::string &n : trnrt::Target::names())
      names += (names.empty() ? "" : ", ") + n;
    return fail("--target=" + targetName + ": unknown target; targets: " + names);
  }
  static const char *const kTilings[] = {"auto", "tile", "naive", "hoist", "block-mn", "block-mnk"};
  if (!llvm::is_contained(kTilings, StringRef(tilingMode).split(':').first))
    return fail("--trn-tiling=" + tilingMode +
                ": unknown strategy; strategies: auto, tile, naive, hoist, block-mn, block-mnk "
                "(optionally with block sizes, e.g. block-mnk:16x2x8)");
  if (emitStage.empty() && outputFilename.empty())
    return fail("no output file: use -o OUT.trnx (or --emit=STAGE to print the IR)");

  DialectRegistry registry;
  trn::registerTrnDialects(registry);
  trn::registerTrnPasses();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // One line per diagnostic (DESIGN.md section 8): no generic-form dump of the
  // failing operation.
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler handler(&context, [](Diagnostic &diag) {
    printDiagnostic(diag);
    return success();
  });

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(inputFilename, &errorMessage);
  if (!file)
    return fail("cannot read '" + inputFilename + "': " + errorMessage);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1; // The parser reported the error.

  // trn.target: from --target, else kept, else the default.
  if (failed(trn::applyTargetOption(*module, targetName, "--target")))
    return 1;

  // Read by trn-tile (MatmulBlocking.h), which rejects unknown values.
  if (tilingMode != "auto")
    (*module)->setAttr("trnc.matmul_tiling", StringAttr::get(&context, tilingMode));

  bool deviceLevel = trn::containsDeviceInstructions(*module);
  if (emitStage == "input")
    return writeText(outputFilename, [&](raw_ostream &os) { (*module)->print(os); os << "\n"; });

  trn::PipelineOptions options;
  options.quant = quantMode;
  options.deviceOnly = deviceLevel;
  if (!emitStage.empty() && !emitProgram)
    options.stopAfter = emitStage;
  if (quantMode != "none" && !deviceLevel) {
    options.quantOptions = "weight-scales=" + quantWeights;
    if (!calibrateInputs.empty() &&
        !trnc::calibrate(*module, options, trnc::splitList(calibrateInputs),
                         options.quantOptions))
      return 1;
    if (!quantReportInputs.empty() &&
        !trnc::quantReport(*module, options, trnc::splitList(quantReportInputs), llvm::outs()))
      return 1;
  }
  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return fail("invalid pass manager options");
  DefaultTimingManager timing;
  applyDefaultTimingManagerCLOptions(timing);
  TimingScope rootTiming = timing.getRootScope();
  pm.enableTiming(rootTiming);
  std::string pipelineError;
  if (failed(trn::buildTrnPipeline(pm, options, &pipelineError)))
    return fail(pipelineError);
  if (failed(pm.run(*module)))
    return 1;
  if (!emitStage.empty() && !emitProgram)
    return writeText(outputFilename, [&](raw_ostream &os) { (*module)->print(os); os << "\n"; });

  TimingScope serializeTiming = rootTiming.nest("serialize");
  FailureOr<trnrt::Program> program = trn::serializeModule(*module);
  serializeTiming.stop();
  if (failed(program))
    return 1;
  if (emitProgram)
    return writeText(outputFilename,
                     [&](raw_ostream &os) { os << trnrt::disassembleProgram(*program); });
  if (std::optional<trnrt::Error> err = trnrt::writeProgramFile(*program, outputFilename))
    return fail(err->message);
  return 0;
}
