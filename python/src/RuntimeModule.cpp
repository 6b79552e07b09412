//===- RuntimeModule.cpp - trnc._runtime: load and run .trnx programs -----===//
//
// pybind11 bindings of the MLIR-free runtime: load/verify a program (file or
// bytes), its I/O signature, disassembly, and execution on the CPU emulator
// with NumPy arrays, returning outputs, the stats JSON and optionally a
// Chrome trace profile. Errors raise trnc._runtime.Error with the runtime's
// one-line message. NumPy mapping = trn-run's (docs/cli.md): f32/f16/i32/u32/
// i8/u8 natively; bf16 and the 8/4-bit formats take float32 arrays (converted
// with the device policy, exact for representable values) and come back as
// float32 (exact).
//
//===----------------------------------------------------------------------===//

#include "trn/runtime/Device.h"
#include "trn/runtime/ISA.h"
#include "trn/runtime/Numerics.h"
#include "trn/runtime/Trnx.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace py = pybind11;
using namespace trnrt;

namespace {

struct RuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The NumPy dtype an input of program dtype `t` must have (before casting).
py::dtype hostDType(DType t) {
  switch (t) {
  case DType::F16:
    return py::dtype("<f2");
  case DType::I32:
    return py::dtype("<i4");
  case DType::U32:
    return py::dtype("<u4");
  case DType::I8:
    return py::dtype("i1");
  case DType::U8:
    return py::dtype("u1");
  default:
    return py::dtype("<f4"); // f32, and the formats NumPy lacks (converted)
  }
}

bool nativeInNumpy(DType t) {
  return t == DType::F32 || t == DType::F16 || t == DType::I32 || t == DType::U32 ||
         t == DType::I8 || t == DType::U8;
}

std::string shapeStr(const std::vector<int64_t> &s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? ", " : "") + std::to_string(s[i]);
  return r + (s.size() == 1 ? ",)" : ")");
}

HostTensor toHost(const TensorDecl &decl, size_t index, py::handle obj) {
  py::array arr = py::array::ensure(obj);
  if (!arr)
    throw RuntimeError("input " + std::to_string(index) + " ('" + decl.name +
                       "'): expected a NumPy array");
  py::dtype want = hostDType(decl.dtype);
  py::dtype have = arr.dtype();
  // Accept any NumPy dtype that casts safely (e.g. float32 for f32; int64 ids
  // for i32 only through the Python layer, which checks ranges).
  if (!have.is(want) && !have.equal(want)) {
    bool ok = false;
    if (have.kind() == want.kind() && have.itemsize() <= want.itemsize())
      ok = true;
    if (!ok)
      throw RuntimeError("input " + std::to_string(index) + " ('" + decl.name + "'): dtype " +
                         std::string(py::str(have)) + " does not match the program's " +
                         dtypeName(decl.dtype) + " (pass " + std::string(py::str(want)) + ")");
  }
  std::vector<int64_t> shape(arr.shape(), arr.shape() + arr.ndim());
  if (shape != decl.shape)
    throw RuntimeError("input " + std::to_string(index) + " ('" + decl.name + "'): shape " +
                       shapeStr(shape) + " does not match the program's " + shapeStr(decl.shape));
  py::array c = py::array::ensure(arr.attr("astype")(want), py::array::c_style);
  HostTensor t;
  t.dtype = decl.dtype;
  t.shape = decl.shape;
  uint64_t n = t.numElements();
  if (nativeInNumpy(decl.dtype)) {
    t.data.resize(c.nbytes());
    if (c.nbytes())
      std::memcpy(t.data.data(), c.data(), c.nbytes());
  } else {
    t.data.assign(dtypeBytes(decl.dtype, n), 0);
    if (n)
      encodeFromF32(decl.dtype, static_cast<const float *>(c.data()), t.data.data(), 0, n);
  }
  return t;
}

py::array fromHost(const HostTensor &t) {
  std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
  if (nativeInNumpy(t.dtype)) {
    py::array out(hostDType(t.dtype), shape);
    if (out.nbytes())
      std::memcpy(out.mutable_data(), t.data.data(), std::min<size_t>(out.nbytes(), t.data.size()));
    return out;
  }
  std::vector<float> v = t.toF32();
  py::array_t<float> out(shape);
  if (!v.empty())
    std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(float));
  return out;
}

py::list signature(const Program &p, bool inputs) {
  py::list out;
  for (uint32_t i : inputs ? p.inputIndices() : p.outputIndices()) {
    const TensorDecl &d = p.tensors[i];
    py::dict e;
    e["name"] = d.name;
    e["dtype"] = std::string(dtypeName(d.dtype));
    e["shape"] = py::tuple(py::cast(d.shape));
    out.append(e);
  }
  return out;
}

struct PyProgram {
  std::shared_ptr<Program> program; // never modified after loading
  /// What the emulator derived from the program on an earlier run (skips
  /// verification, the timing loop and dependency analysis on later runs).
  /// Read and replaced only under the GIL.
  mutable std::shared_ptr<const PreparedProgram> prepared = nullptr;
};

PyProgram unwrap(Expected<Program> p) {
  if (!p)
    throw RuntimeError(p.error().message);
  return PyProgram{std::make_shared<Program>(std::move(*p))};
}

py::tuple run(const PyProgram &self, const py::sequence &inputs, const std::string &profile,
              bool check, unsigned threads, bool bySource) {
  const Program &p = *self.program;
  std::vector<uint32_t> ins = p.inputIndices();
  if (py::len(inputs) != ins.size())
    throw RuntimeError("the program takes " + std::to_string(ins.size()) + " input(s), got " +
                       std::to_string(py::len(inputs)));
  std::vector<HostTensor> host;
  for (size_t i = 0; i < ins.size(); ++i)
    host.push_back(toHost(p.tensors[ins[i]], i, inputs[i]));
  RunOptions options;
  options.check = check;
  options.recordTrace = !profile.empty() || bySource;
  options.threads = threads;
  options.prepared = self.prepared;
  Expected<RunResult> result = Error{""};
  {
    py::gil_scoped_release release;
    result = createEmulatorDevice()->run(p, host, options);
  }
  if (!result)
    throw RuntimeError(result.error().message);
  if (result->prepared)
    self.prepared = result->prepared;
  if (!profile.empty())
    if (std::optional<Error> err = writeChromeTrace(p, result->stats, profile))
      throw RuntimeError(err->message);
  py::list outs;
  for (const HostTensor &t : result->outputs)
    outs.append(fromHost(t));
  // Modeled busy time per source operation (model layer), most expensive first.
  py::list sources;
  std::string table = statsToTable(p, result->stats);
  if (bySource) {
    for (const SourceCost &c : costBySource(p, result->stats)) {
      py::dict d;
      d["source"] = c.source;
      d["instructions"] = c.instructions;
      py::dict engines;
      for (const auto &kv : c.engineNs)
        engines[py::str(kv.first)] = kv.second / 1000.0;
      d["engine_busy_us"] = engines;
      d["dma_busy_us"] = c.dmaNs / 1000.0;
      d["dma_bytes"] = c.dmaBytes;
      d["first_us"] = c.firstNs / 1000.0;
      d["last_us"] = c.lastNs / 1000.0;
      sources.append(d);
    }
    table += costBySourceTable(p, result->stats, 15);
  }
  return py::make_tuple(outs, statsToJson(p, result->stats), table, sources);
}

} // namespace

PYBIND11_MODULE(_runtime, m) {
  m.doc() = "trnc runtime: load, verify, disassemble and run .trnx programs on the emulator";
  py::register_exception<RuntimeError>(m, "Error");

  py::class_<PyProgram>(m, "Program")
      .def_static(
          "from_file", [](const std::string &path) { return unwrap(readProgramFile(path)); },
          py::arg("path"), "Loads and fully verifies a .trnx file.")
      .def_static(
          "from_bytes",
          [](const py::bytes &b) {
            std::string s = b;
            return unwrap(deserializeProgram(reinterpret_cast<const uint8_t *>(s.data()), s.size()));
          },
          py::arg("data"), "Parses and fully verifies a .trnx buffer.")
      .def("to_bytes",
           [](const PyProgram &self) {
             std::vector<uint8_t> b = serializeProgram(*self.program);
             return py::bytes(reinterpret_cast<const char *>(b.data()), b.size());
           })
      .def(
          "save",
          [](const PyProgram &self, const std::string &path) {
            if (std::optional<Error> err = writeProgramFile(*self.program, path))
              throw RuntimeError(err->message);
          },
          py::arg("path"), "Writes the program atomically (no partial file on failure).")
      .def("disassemble", [](const PyProgram &self) { return disassembleProgram(*self.program); })
      .def_property_readonly("target", [](const PyProgram &self) { return self.program->target; })
      .def_property_readonly("name", [](const PyProgram &self) { return self.program->name; })
      .def_property_readonly("inputs", [](const PyProgram &self) { return signature(*self.program, true); })
      .def_property_readonly("outputs",
                             [](const PyProgram &self) { return signature(*self.program, false); })
      .def_property_readonly("num_instructions",
                             [](const PyProgram &self) { return self.program->numInstructions(); })
      .def("run", &run, py::arg("inputs"), py::arg("profile") = std::string(),
           py::arg("check") = false, py::arg("threads") = 0u, py::arg("by_source") = false,
           "Runs on the emulator; returns (outputs, stats_json, stats_table, by_source). With "
           "`profile`, writes the Chrome trace-event JSON there. `threads`: emulator threads (0 = "
           "all cores, 1 = sequential; results do not depend on it). `by_source`: modeled busy "
           "time per source operation (model layer), most expensive first, as a list of dicts "
           "(source, instructions, engine_busy_us, dma_busy_us, dma_bytes, first_us, last_us) "
           "and appended to the table.");
}
