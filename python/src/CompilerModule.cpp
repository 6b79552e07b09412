//===- CompilerModule.cpp - trnc._compiler: MLIR text -> .trnx bytes ------===//
//
// The in-process form of the `trnc` driver (compiler/tools/trnc/trnc.cpp)
// built from the same libraries: parse, set `trn.target`, run the pipeline
// assembled by trn::buildTrnPipeline, serialize with trn::serializeModule.
// Every diagnostic is collected as "error: <loc>: message" text; on failure
// Python receives (False, diagnostics), on success (True, trnx_bytes) or
// (True, ir_text) for `emit`. The GIL is released while compiling.
//
//===----------------------------------------------------------------------===//

#include "trn/Dialect/Trn/IR/TrnOps.h"
#include "trn/Pipeline/Pipeline.h"
#include "trn/Serialize/Serialize.h"
#include "trn/Transforms/Passes.h"
#include "trn/runtime/Target.h"
#include "trn/runtime/Trnx.h"

#include "QuantTools.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <mutex>
#include <string>

namespace py = pybind11;
using namespace mlir;

namespace {

/// "layer1.0.conv1" for the importer's module-path NameLocs, "file:line:col"
/// for parsed text, both when present ("layer1.0.conv1 (file:3:5)").
std::string locationText(Location loc) {
  std::string name, file;
  loc->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l); n && name.empty())
      name = n.getName().str();
    if (auto f = dyn_cast<FileLineColLoc>(l); f && file.empty())
      file = f.getFilename().str() + ":" + std::to_string(f.getLine()) + ":" +
             std::to_string(f.getColumn());
    return WalkResult::advance();
  });
  if (!name.empty() && !file.empty())
    return name + " (" + file + ")";
  return !name.empty() ? name : !file.empty() ? file : std::string("unknown location");
}

void appendDiagnostic(std::string &out, Diagnostic &diag) {
  const char *kind = diag.getSeverity() == DiagnosticSeverity::Error     ? "error"
                     : diag.getSeverity() == DiagnosticSeverity::Warning ? "warning"
                     : diag.getSeverity() == DiagnosticSeverity::Note    ? "note"
                                                                          : "remark";
  out += std::string(kind) + ": " + locationText(diag.getLocation()) + ": " + diag.str() + "\n";
  for (Diagnostic &note : diag.getNotes())
    appendDiagnostic(out, note);
}

struct Result {
  bool ok = false;
  std::string payload; // trnx bytes, IR text, or diagnostics
};

/// The driver's options that the Python API exposes (trnc --quant-weights,
/// --calibrate, --trn-tiling; docs/python.md).
struct Options {
  std::string quantWeights = "per-channel";
  std::vector<std::string> calibrate; // .npy paths, program input order
  std::string tiling = "auto";
};

Result compile(const std::string &text, const std::string &target, const std::string &quant,
               const std::string &emit, const Options &opts) {
  static std::once_flag once;
  std::call_once(once, [] { trn::registerTrnPasses(); });
  Result r;
  if (!llvm::is_contained(trn::getTrnQuantModes(), StringRef(quant))) {
    std::string modes;
    for (StringRef m : trn::getTrnQuantModes())
      modes += (modes.empty() ? "" : ", ") + m.str();
    r.payload = "error: quant='" + quant + "': unknown quantization mode; modes: " + modes + "\n";
    return r;
  }
  if (!trnrt::Target::get(target)) {
    std::string names;
    for (const std::string &n : trnrt::Target::names())
      names += (names.empty() ? "" : ", ") + n;
    r.payload = "error: target='" + target + "': unknown target; targets: " + names + "\n";
    return r;
  }
  if (opts.quantWeights != "per-channel" && opts.quantWeights != "per-tensor") {
    r.payload = "error: quant_weights='" + opts.quantWeights +
                "': expected 'per-channel' or 'per-tensor'\n";
    return r;
  }
  if (!opts.calibrate.empty() && quant != "fp8-e4m3" && quant != "fp8-e5m2") {
    r.payload = "error: calibration needs quant='fp8-e4m3' or 'fp8-e5m2' (the modes with "
                "activation scales)\n";
    return r;
  }
  if (!emit.empty() && emit != "program" && !trn::getTrnStageIndex(emit)) {
    r.payload = "error: emit='" + emit + "': unknown stage\n";
    return r;
  }

  DialectRegistry registry;
  trn::registerTrnDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  // One line per diagnostic, as the trnc driver prints them: no generic-form
  // dump of the failing operation ("see current operation: ...").
  context.printOpOnDiagnostic(false);
  std::string diags;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    appendDiagnostic(diags, diag);
    return success();
  });
  auto fail = [&]() {
    r.ok = false;
    r.payload = diags.empty() ? "error: compilation failed without a diagnostic\n" : diags;
    return r;
  };

  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, "<trnc.compile_mlir>"),
                               llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return fail();
  if (failed(trn::applyTargetOption(*module, target, "target")))
    return fail();
  // Read by trn-tile (MatmulBlocking.h), which rejects malformed tile counts.
  if (opts.tiling != "auto")
    (*module)->setAttr("trnc.matmul_tiling", StringAttr::get(&context, opts.tiling));
  if (emit == "input") {
    llvm::raw_string_ostream os(r.payload);
    (*module)->print(os);
    r.ok = true;
    return r;
  }

  trn::PipelineOptions options;
  options.quant = quant;
  options.deviceOnly = trn::containsDeviceInstructions(*module);
  if (!emit.empty() && emit != "program")
    options.stopAfter = emit;
  if (quant != "none" && !options.deviceOnly) {
    options.quantOptions = "weight-scales=" + opts.quantWeights;
    if (!opts.calibrate.empty()) {
      // Calibration prints its errors; collect them as the diagnostics.
      static std::mutex calibrationMutex;
      std::lock_guard<std::mutex> lock(calibrationMutex);
      std::string calibrationErrors;
      llvm::raw_string_ostream errs(calibrationErrors);
      trnc::setErrorStream(&errs);
      bool ok = trnc::calibrate(*module, options, opts.calibrate, options.quantOptions);
      trnc::setErrorStream(nullptr);
      if (!ok) {
        r.payload = calibrationErrors.empty() ? diags : calibrationErrors;
        if (r.payload.empty())
          r.payload = "error: calibration failed\n";
        return r;
      }
    }
  }
  PassManager pm(&context);
  std::string pipelineError;
  if (failed(trn::buildTrnPipeline(pm, options, &pipelineError))) {
    r.payload = "error: " + pipelineError + "\n";
    return r;
  }
  if (failed(pm.run(*module)))
    return fail();
  if (!emit.empty() && emit != "program") {
    llvm::raw_string_ostream os(r.payload);
    (*module)->print(os);
    r.ok = true;
    return r;
  }
  FailureOr<trnrt::Program> program = trn::serializeModule(*module);
  if (failed(program))
    return fail();
  if (emit == "program") {
    r.payload = trnrt::disassembleProgram(*program);
  } else {
    std::vector<uint8_t> bytes = trnrt::serializeProgram(*program);
    r.payload.assign(bytes.begin(), bytes.end());
  }
  r.ok = true;
  return r;
}

} // namespace

PYBIND11_MODULE(_compiler, m) {
  m.doc() = "trnc compiler: linalg MLIR text -> .trnx program (the trnc driver in-process)";
  m.def(
      "compile",
      [](const std::string &text, const std::string &target, const std::string &quant,
         const std::string &emit, const std::string &quantWeights,
         const std::vector<std::string> &calibrate, const std::string &tiling) {
        Options opts;
        opts.quantWeights = quantWeights;
        opts.calibrate = calibrate;
        opts.tiling = tiling;
        Result r;
        {
          py::gil_scoped_release release;
          r = compile(text, target, quant, emit, opts);
        }
        if (r.ok && (emit.empty()))
          return py::make_tuple(true, py::bytes(r.payload));
        return py::make_tuple(r.ok, py::str(r.payload));
      },
      py::arg("text"), py::arg("target") = "trn2", py::arg("quant") = "none",
      py::arg("emit") = "", py::arg("quant_weights") = "per-channel",
      py::arg("calibrate") = std::vector<std::string>(), py::arg("tiling") = "auto",
      "Returns (True, trnx_bytes) / (True, text) for emit, or (False, diagnostics).");
  m.def("stages", [] {
    std::vector<std::string> s;
    for (StringRef n : trn::getTrnStageNames())
      s.push_back(n.str());
    return s;
  });
  m.def("quant_modes", [] {
    std::vector<std::string> s;
    for (StringRef n : trn::getTrnQuantModes())
      s.push_back(n.str());
    return s;
  });
}
