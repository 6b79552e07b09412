//===- QuantTools.cpp - trnc calibration and quantization report ----------===//
//
// See QuantTools.h and docs/quantization.md.
//
//===----------------------------------------------------------------------===//

#include "QuantTools.h"

#include "trn/Serialize/Serialize.h"
#include "trn/runtime/Device.h"
#include "trn/runtime/Npy.h"
#include "trn/runtime/Numerics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <map>
#include <memory>
#include <sstream>

using namespace mlir;

namespace {

llvm::raw_ostream *gErrors = nullptr; // setErrorStream; null: stderr

void error(const llvm::Twine &msg) {
  (gErrors ? *gErrors : llvm::errs()) << "error: " << msg << "\n";
}

/// A variant of `module` compiled with the given trn-quantize options.
struct Variant {
  trnrt::Program program;
  std::vector<std::string> descriptions; // trnc.quant_ops of the function, if any
};

bool compileVariant(ModuleOp module, const trn::PipelineOptions &base, const std::string &quant,
                    const std::string &quantOptions, Variant &out) {
  OwningOpRef<ModuleOp> clone(module.clone());
  trn::PipelineOptions options = base;
  options.quant = quant;
  options.quantOptions = quantOptions;
  options.stopAfter = "schedule";
  PassManager pm(module.getContext());
  std::string pipelineError;
  if (failed(trn::buildTrnPipeline(pm, options, &pipelineError))) {
    error(pipelineError);
    return false;
  }
  if (failed(pm.run(*clone)))
    return false;
  for (auto func : clone->getOps<func::FuncOp>())
    if (auto descs = func->getAttrOfType<ArrayAttr>("trnc.quant_ops"))
      for (Attribute a : descs)
        out.descriptions.push_back(cast<StringAttr>(a).getValue().str());
  FailureOr<trnrt::Program> program = trn::serializeModule(*clone);
  if (failed(program))
    return false;
  out.program = std::move(*program);
  return true;
}

/// Reads the .npy inputs and converts f32 data to the program's input dtypes
/// (as trn-run does: RNE, saturating).
bool readInputs(const trnrt::Program &program, const std::vector<std::string> &paths,
                std::vector<trnrt::HostTensor> &inputs) {
  std::vector<uint32_t> idx = program.inputIndices();
  if (paths.size() != idx.size()) {
    error("the program has " + llvm::Twine(idx.size()) + " inputs but " +
          llvm::Twine(paths.size()) + " .npy files were given");
    return false;
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    trnrt::Expected<trnrt::HostTensor> t = trnrt::readNpyFile(paths[i]);
    if (!t) {
      error(paths[i] + ": " + t.error().message);
      return false;
    }
    const trnrt::TensorDecl &decl = program.tensors[idx[i]];
    if (t->dtype != decl.dtype && t->dtype == trnrt::DType::F32 &&
        trnrt::isFloatType(decl.dtype)) {
      std::vector<float> v = t->toF32();
      trnrt::HostTensor c;
      c.dtype = decl.dtype;
      c.shape = t->shape;
      c.data.assign(trnrt::dtypeBytes(decl.dtype, v.size()), 0);
      trnrt::encodeFromF32(decl.dtype, v.data(), c.data.data(), 0, v.size());
      *t = std::move(c);
    }
    inputs.push_back(std::move(*t));
  }
  return true;
}

/// Runs `program` on the emulator; returns outputs by name.
bool runProgram(const trnrt::Program &program, const std::vector<trnrt::HostTensor> &inputs,
                std::map<std::string, std::vector<float>> &outputs) {
  std::unique_ptr<trnrt::Device> device = trnrt::createEmulatorDevice();
  trnrt::Expected<trnrt::RunResult> result = device->run(program, inputs, trnrt::RunOptions());
  if (!result) {
    error("emulator: " + result.error().message);
    return false;
  }
  std::vector<uint32_t> idx = program.outputIndices();
  for (size_t i = 0; i < idx.size() && i < result->outputs.size(); ++i)
    outputs[program.tensors[idx[i]].name] = result->outputs[i].toF32();
  return true;
}

} // namespace

std::vector<std::string> trnc::splitList(const std::string &list) {
  std::vector<std::string> out;
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(list).split(parts, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef p : parts)
    out.push_back(p.trim().str());
  return out;
}

void trnc::setErrorStream(llvm::raw_ostream *os) { gErrors = os; }

bool trnc::calibrate(ModuleOp module, const trn::PipelineOptions &options,
                     const std::vector<std::string> &inputs, std::string &quantOptions) {
  Variant v;
  if (!compileVariant(module, options, "none", "calibration-outputs=true", v))
    return false;
  std::vector<trnrt::HostTensor> in;
  if (!readInputs(v.program, inputs, in))
    return false;
  std::map<std::string, std::vector<float>> out;
  if (!runProgram(v.program, in, out))
    return false;
  std::string amax;
  for (unsigned i = 0;; ++i) {
    auto it = out.find("quant.calib" + std::to_string(i));
    if (it == out.end())
      break;
    float m = 0.0f;
    for (float x : it->second) {
      if (std::isnan(x)) {
        error("--calibrate: activation " + llvm::Twine(i) + " contains NaN on these inputs");
        return false;
      }
      m = std::max(m, std::fabs(x));
    }
    if (!std::isfinite(m)) {
      error("--calibrate: activation " + llvm::Twine(i) + " contains Inf on these inputs");
      return false;
    }
    std::ostringstream s;
    s.precision(9);
    s << m;
    amax += (amax.empty() ? "" : ",") + s.str();
  }
  quantOptions += " activation-scales=static";
  if (!amax.empty())
    quantOptions += " activation-amax=" + amax;
  return true;
}

bool trnc::quantReport(ModuleOp module, const trn::PipelineOptions &options,
                       const std::vector<std::string> &inputs, llvm::raw_ostream &os) {
  Variant ref, quant;
  std::string extra = options.quantOptions + " debug-outputs=true";
  if (!compileVariant(module, options, "none", "debug-outputs=true", ref) ||
      !compileVariant(module, options, options.quant, extra, quant))
    return false;
  std::vector<trnrt::HostTensor> in;
  if (!readInputs(ref.program, inputs, in))
    return false;
  std::map<std::string, std::vector<float>> refOut, quantOut;
  if (!runProgram(ref.program, in, refOut) || !runProgram(quant.program, in, quantOut))
    return false;
  os << "quantization report: --quant=" << options.quant << ", target " << ref.program.target
     << ", " << ref.descriptions.size() << " quantized ops\n";
  os << llvm::format("%-4s %10s %12s %12s  %s\n", "op", "SQNR(dB)", "max|err|", "max|ref|",
                     "operation");
  for (size_t i = 0; i < ref.descriptions.size(); ++i) {
    std::string name = "quant.op" + std::to_string(i);
    auto r = refOut.find(name), q = quantOut.find(name);
    if (r == refOut.end() || q == quantOut.end() || r->second.size() != q->second.size()) {
      error("quantization report: debug output " + name + " is missing");
      return false;
    }
    double sig = 0, noise = 0, maxErr = 0, maxRef = 0;
    for (size_t j = 0; j < r->second.size(); ++j) {
      double a = r->second[j], b = q->second[j];
      sig += a * a;
      noise += (b - a) * (b - a);
      maxErr = std::max(maxErr, std::fabs(b - a));
      maxRef = std::max(maxRef, std::fabs(a));
    }
    double sqnr = noise == 0 ? INFINITY : 10.0 * std::log10(sig / noise);
    os << llvm::format("%-4zu %10.2f %12.4g %12.4g  %s\n", i, sqnr, maxErr, maxRef,
                       ref.descriptions[i].c_str());
  }
  return true;
}
