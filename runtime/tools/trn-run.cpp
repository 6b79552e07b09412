//===- trn-run.cpp - Run a .trnx program on the emulator ------------------===//
//
//   trn-run PROGRAM.trnx IN0.npy IN1.npy ... [-o OUT0.npy -o OUT1.npy ...]
//           [--profile=FILE.json] [--stats] [--stats-top=N] [--stats-json=FILE] [--check]
//           [--timing-only]
//
// Contract (DESIGN.md section 8, docs/cli.md): inputs positional in program
// input order, outputs in program output order; every failure prints one
// `error: ...` line on stderr and exits 1; output files (.npy, profile, stats
// JSON) appear only after a successful run and all together or not at all.
//
//===----------------------------------------------------------------------===//
#include "trn/runtime/Device.h"
#include "trn/runtime/Npy.h"
#include "trn/runtime/Numerics.h"
#include "trn/runtime/Trnx.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

using namespace trnrt;

namespace {

const char *kUsage =
    R"(usage: trn-run PROGRAM.trnx IN0.npy IN1.npy ... [options]

Runs a compiled trnc program on the reference CPU emulator.

Inputs are .npy files given in the program's input order; outputs are written
in the program's output order (fewer -o than outputs is fine).

options:
  -o, --output FILE       write the next program output to FILE (.npy)
  --profile=FILE          write a Chrome trace-event JSON profile (Perfetto)
  --stats                 print run statistics (busy %, TensorE utilization,
                          DMA traffic, modeled time) after the run, and the
                          source operations (model layers) that cost the most
  --stats-top=N           rows of that per-source table (default 15, 0 = none)
  --stats-json=FILE       write the statistics as JSON
  --check                 enable the race checker and uninitialised-read checks
  --timing-only           model time only, skip arithmetic (no -o allowed); the
                          inputs may then be omitted (zeros are used)
  -h, --help              show this help

dtypes: .npy '<f4' f32, '<f2' f16, '<i4' i32, '<u4' u32, '|i1' i8, '|u1' u8.
Inputs of dtype bf16/f8e4m3/f8e5m2/f4e2m1/e8m0 take a '<f4' .npy, converted
with round-to-nearest-even (saturating); outputs of those dtypes are written
exactly as '<f4'. Exit status: 0 success, 1 any error.
)";

struct Options {
  std::string program;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::string profile;
  std::string statsJson;
  bool stats = false;
  size_t statsTop = 15;
  bool check = false;
  bool timingOnly = false;
  bool help = false;
};

/// A failure to report as one `error: ...` line.
struct Failure {
  std::string message;
};

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

uint64_t numel(const std::vector<int64_t> &shape) {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= static_cast<uint64_t>(d);
  return n;
}

/// Dtypes that have no NumPy equivalent and travel as f32 .npy files.
bool travelsAsF32(DType t) { return !npyDescr(t).has_value(); }

std::string dtypeDescription(DType t) {
  if (auto d = npyDescr(t))
    return fmt::format("{} (.npy '{}')", dtypeName(t), *d);
  return fmt::format("{} (given as a '<f4' .npy)", dtypeName(t));
}

Options parseArgs(int argc, char **argv) {
  Options o;
  std::vector<std::string> positional;
  bool endOfOptions = false;
  auto valueOf = [&](int &i, const std::string &arg, const std::string &name) -> std::string {
    // "--name=value" or "--name value".
    if (arg.size() > name.size() && arg[name.size()] == '=')
      return arg.substr(name.size() + 1);
    if (i + 1 >= argc)
      throw Failure{fmt::format("option '{}' needs a value", name)};
    return argv[++i];
  };
  auto isOption = [](const std::string &arg, const std::string &name) {
    return arg == name || arg.rfind(name + "=", 0) == 0;
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (endOfOptions || arg.empty() || arg[0] != '-' || arg == "-") {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      endOfOptions = true;
    } else if (arg == "-h" || arg == "--help") {
      o.help = true;
    } else if (arg == "-o") {
      if (i + 1 >= argc)
        throw Failure{"option '-o' needs a value"};
      o.outputs.push_back(argv[++i]);
    } else if (arg.rfind("-o", 0) == 0 && arg.rfind("--", 0) != 0) {
      o.outputs.push_back(arg.substr(2)); // -oFILE
    } else if (isOption(arg, "--output")) {
      o.outputs.push_back(valueOf(i, arg, "--output"));
    } else if (isOption(arg, "--profile")) {
      o.profile = valueOf(i, arg, "--profile");
    } else if (isOption(arg, "--stats-json")) {
      o.statsJson = valueOf(i, arg, "--stats-json");
    } else if (arg == "--stats") {
      o.stats = true;
    } else if (isOption(arg, "--stats-top")) {
      std::string v = valueOf(i, arg, "--stats-top");
      char *end = nullptr;
      errno = 0;
      unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-')
        throw Failure{fmt::format("--stats-top needs a row count, got '{}'", v)};
      o.statsTop = static_cast<size_t>(n);
    } else if (arg == "--check") {
      o.check = true;
    } else if (arg == "--timing-only") {
      o.timingOnly = true;
    } else {
      throw Failure{fmt::format("unknown option '{}' (see trn-run --help)", arg)};
    }
  }
  if (o.help)
    return o;
  if (positional.empty())
    throw Failure{"no program given (usage: trn-run PROGRAM.trnx IN.npy ... [-o OUT.npy ...]; "
                  "see --help)"};
  o.program = positional[0];
  o.inputs.assign(positional.begin() + 1, positional.end());
  for (const std::string &p : o.outputs)
    if (p.empty())
      throw Failure{"empty output path"};
  if (o.timingOnly && !o.outputs.empty())
    throw Failure{"--timing-only computes no output values; -o cannot be used with it"};
  // Every file written must be distinct, or one would silently replace another.
  std::set<std::string> seen;
  auto claim = [&](const std::string &p) {
    if (!p.empty() && !seen.insert(p).second)
      throw Failure{fmt::format("output file '{}' is named more than once", p)};
  };
  for (const std::string &p : o.outputs)
    claim(p);
  claim(o.profile);
  claim(o.statsJson);
  return o;
}

std::string signatureText(const Program &program, const std::vector<uint32_t> &indices) {
  std::string s;
  for (uint32_t idx : indices) {
    const TensorDecl &t = program.tensors[idx];
    s += fmt::format("{}{}: {}{}", s.empty() ? "" : ", ", t.name, dtypeName(t.dtype),
                     shapeText(t.shape));
  }
  return s.empty() ? "none" : s;
}

/// Loads input `pos` and adapts it to the program's declared dtype/shape.
HostTensor loadInput(const Program &program, size_t pos, uint32_t tensorIndex,
                     const std::string &path) {
  const TensorDecl &decl = program.tensors[tensorIndex];
  auto npy = readNpyFile(path);
  if (!npy)
    throw Failure{npy.error().message};
  HostTensor t = std::move(*npy);
  std::string what = fmt::format("{}: input {} '{}'", path, pos, decl.name);
  if (t.shape != decl.shape)
    throw Failure{fmt::format("{} expects shape {}, got {}", what, shapeText(decl.shape),
                              shapeText(t.shape))};
  if (t.dtype == decl.dtype)
    return t;
  if (travelsAsF32(decl.dtype) && t.dtype == DType::F32) {
    HostTensor converted;
    converted.dtype = decl.dtype;
    converted.shape = t.shape;
    uint64_t n = numel(t.shape);
    converted.data.assign(dtypeBytes(decl.dtype, n), 0);
    std::vector<float> values(n);
    if (n)
      std::memcpy(values.data(), t.data.data(), n * sizeof(float));
    encodeFromF32(decl.dtype, values.data(), converted.data.data(), 0, n, Overflow::Saturate);
    return converted;
  }
  throw Failure{fmt::format("{} expects dtype {}, got '{}' ({})", what,
                            dtypeDescription(decl.dtype), *npyDescr(t.dtype),
                            dtypeName(t.dtype))};
}

/// An output as a tensor NumPy can hold (bf16/FP8/FP4/E8M0 widened to f32).
HostTensor npyCompatible(const HostTensor &t) {
  if (!travelsAsF32(t.dtype))
    return t;
  HostTensor out;
  out.dtype = DType::F32;
  out.shape = t.shape;
  uint64_t n = numel(t.shape);
  std::vector<float> values(n);
  decodeToF32(t.dtype, t.data.data(), 0, values.data(), n);
  out.data.resize(n * sizeof(float));
  if (n)
    std::memcpy(out.data.data(), values.data(), n * sizeof(float));
  return out;
}

int run(const Options &o) {
  auto loaded = readProgramFile(o.program);
  if (!loaded)
    throw Failure{loaded.error().message};
  const Program &program = *loaded;
  std::vector<uint32_t> inIdx = program.inputIndices(), outIdx = program.outputIndices();
  // --timing-only never reads input values: with no inputs given, zero
  // tensors of the declared signature stand in (bench/ models huge GEMMs
  // without writing their operands to disk).
  const bool zeroInputs = o.timingOnly && o.inputs.empty();
  if (!zeroInputs && o.inputs.size() != inIdx.size())
    throw Failure{fmt::format("{}: program takes {} input{} ({}), got {}", o.program,
                              inIdx.size(), inIdx.size() == 1 ? "" : "s",
                              signatureText(program, inIdx), o.inputs.size())};
  if (o.outputs.size() > outIdx.size())
    throw Failure{fmt::format("{}: program has {} output{} ({}), got {} -o", o.program,
                              outIdx.size(), outIdx.size() == 1 ? "" : "s",
                              signatureText(program, outIdx), o.outputs.size())};

  std::vector<HostTensor> inputs;
  inputs.reserve(o.inputs.size());
  for (size_t i = 0; i < o.inputs.size(); ++i)
    inputs.push_back(loadInput(program, i, inIdx[i], o.inputs[i]));
  if (zeroInputs)
    for (uint32_t idx : inIdx) {
      const TensorDecl &decl = program.tensors[idx];
      HostTensor t;
      t.dtype = decl.dtype;
      t.shape = decl.shape;
      t.data.assign(dtypeBytes(decl.dtype, t.numElements()), 0);
      inputs.push_back(std::move(t));
    }

  RunOptions ro;
  ro.timingOnly = o.timingOnly;
  ro.check = o.check;
  ro.recordTrace = !o.profile.empty() || (o.stats && o.statsTop > 0);
  auto device = createEmulatorDevice();
  auto result = device->run(program, inputs, ro);
  if (!result)
    throw Failure{result.error().message};

  // Stage every data file, then write the profile, then publish all at once.
  StagedFiles staged;
  if (!o.timingOnly && result->outputs.size() < o.outputs.size())
    throw Failure{fmt::format("the device returned {} outputs, expected {}",
                              result->outputs.size(), outIdx.size())};
  for (size_t i = 0; i < o.outputs.size(); ++i) {
    auto bytes = serializeNpy(npyCompatible(result->outputs[i]));
    if (!bytes)
      throw Failure{fmt::format("{}: {}", o.outputs[i], bytes.error().message)};
    if (auto e = staged.stage(o.outputs[i], bytes->data(), bytes->size()))
      throw Failure{e->message};
  }
  if (!o.statsJson.empty()) {
    std::string text = statsToJson(program, result->stats);
    if (auto e = staged.stage(o.statsJson, text.data(), text.size()))
      throw Failure{e->message};
  }
  if (!o.profile.empty())
    if (auto e = writeChromeTrace(program, result->stats, o.profile))
      throw Failure{e->message}; // `staged` removes its temporaries
  if (auto e = staged.commit()) {
    if (!o.profile.empty())
      ::unlink(o.profile.c_str());
    throw Failure{e->message};
  }
  if (o.stats)
    std::fputs((statsToTable(program, result->stats) +
                costBySourceTable(program, result->stats, o.statsTop))
                   .c_str(),
               stdout);
  return 0;
}

int fail(const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  try {
    Options o = parseArgs(argc, argv);
    if (o.help) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    return run(o);
  } catch (const Failure &f) {
    return fail(f.message);
  } catch (const std::bad_alloc &) {
    return fail("out of memory");
  } catch (const std::exception &e) {
    return fail(fmt::format("internal error: {}", e.what()));
  }
}
