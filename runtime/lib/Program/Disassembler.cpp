//===- Disassembler.cpp - Readable assembly of programs -------------------===//
//
// The syntax printed by trn-objdump (docs/program-format.md):
//   pe[3]   matmul psum[0:128, @0x800, 512xf32] <- st sbuf[0:128, @0x0, 128xbf16],
//           mv sbuf[0:128, @0x100, 512xbf16] acc=1 wait(s3>=2) signal(s4)
// (on one line).
//
//===----------------------------------------------------------------------===//

#include "trn/runtime/Trnx.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace trnrt {
namespace {

std::string num(float v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v < 0 ? "-inf" : "inf";
  return fmt::format("{}", v);
}

std::string shapeText(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

bool rowMajor(const AccessPattern &ap) {
  int64_t expect = 1;
  for (uint32_t d = std::min<uint32_t>(ap.rank, kMaxFreeDims); d-- > 0;) {
    if (ap.sizes[d] != 1 && ap.strides[d] != expect)
      return false;
    expect *= ap.sizes[d];
  }
  return true;
}

class Printer {
public:
  explicit Printer(const Program &p) : p_(p) {}

  std::string ap(const AccessPattern &a) const {
    const uint32_t r = std::min<uint32_t>(a.rank, kMaxFreeDims);
    std::string free;
    for (uint32_t d = 0; d < r; ++d)
      free += fmt::format("{}x", a.sizes[d]);
    free += dtypeName(a.dtype);
    std::string strides;
    if (r == 0 || !rowMajor(a)) {
      std::vector<int64_t> s(a.strides.begin(), a.strides.begin() + r);
      strides = fmt::format(", strides=[{}]", fmt::join(s, ","));
    }
    if (a.space == MemSpace::HBM) {
      std::string name = a.tensor < p_.tensors.size() ? p_.tensors[a.tensor].name
                                                      : fmt::format("#{}", a.tensor);
      std::string rows = fmt::format("0:{}", a.numPartitions);
      if (a.numPartitions > 1 || a.partitionStride != 0)
        rows += fmt::format(" ps={}", a.partitionStride);
      if (a.startPartition != 0)
        rows += fmt::format(" start={}", a.startPartition);
      return fmt::format("hbm:{}[{}, @+{}, {}{}]", name, rows, a.offset, free, strides);
    }
    std::string ps = a.partitionStride != 0 ? fmt::format(" ps={}", a.partitionStride) : "";
    return fmt::format("{}[{}:{}{}, @{:#x}, {}{}]", memSpaceName(a.space), a.startPartition,
                       static_cast<uint64_t>(a.startPartition) + a.numPartitions, ps, a.offset,
                       free, strides);
  }

  std::string scalar(const ScalarOperand &s) const { return s.ap ? ap(*s.ap) : num(s.imm); }

  std::string body(const DmaCopy &b) const { return ap(b.dst) + " <- " + ap(b.src); }
  std::string body(const Matmul &b) const {
    std::string s = fmt::format("{} <- st {}, mv {} acc={}", ap(b.dst), ap(b.stationary),
                                ap(b.moving), b.accumulate ? 1 : 0);
    if (b.mode != MatmulMode::Normal)
      s += fmt::format(" mode={}", matmulModeName(b.mode));
    if (b.stationaryScale)
      s += " st_scale " + ap(*b.stationaryScale);
    if (b.movingScale)
      s += " mv_scale " + ap(*b.movingScale);
    return s;
  }
  std::string body(const Transpose &b) const { return ap(b.dst) + " <- " + ap(b.src); }
  std::string body(const Activation &b) const {
    std::string s = fmt::format("{} <- {}({} * {} + {})", ap(b.dst), actFuncName(b.func),
                                ap(b.src), scalar(b.scale), scalar(b.bias));
    if (b.accumDst)
      s += " accum " + ap(*b.accumDst);
    return s;
  }
  std::string body(const TensorTensor &b) const {
    return fmt::format("{} <- {}({}, {})", ap(b.dst), aluOpName(b.op), ap(b.in0), ap(b.in1));
  }
  std::string body(const TensorScalar &b) const {
    std::string x = ap(b.src), s0 = scalar(b.scalar0);
    std::string e = b.reverse0 ? fmt::format("{} {} {}", s0, aluOpName(b.op0), x)
                               : fmt::format("{} {} {}", x, aluOpName(b.op0), s0);
    if (b.op1 != AluOp::Bypass || b.reverse1 || b.scalar1.ap) {
      std::string s1 = scalar(b.scalar1);
      e = b.reverse1 ? fmt::format("{} {} ({})", s1, aluOpName(b.op1), e)
                     : fmt::format("({}) {} {}", e, aluOpName(b.op1), s1);
    }
    return fmt::format("{} <- {}", ap(b.dst), e);
  }
  std::string body(const TensorReduce &b) const {
    return fmt::format("{} <- {}{}({}, axes={:#x})", ap(b.dst), b.negate ? "-" : "",
                       aluOpName(b.op), ap(b.src), b.axisMask);
  }
  std::string body(const TensorCopy &b) const { return ap(b.dst) + " <- " + ap(b.src); }
  std::string body(const Select &b) const {
    return fmt::format("{} <- {} ? {} : {}", ap(b.dst), ap(b.pred), ap(b.onTrue), ap(b.onFalse));
  }
  std::string body(const Iota &b) const {
    return fmt::format("{} <- base={} chan={} mul=[{}]", ap(b.dst), b.base, b.channelMultiplier,
                       fmt::join(b.multipliers, ","));
  }
  std::string body(const Memset &b) const { return ap(b.dst) + " <- " + num(b.value); }
  std::string body(const QuantizeMx &b) const {
    return fmt::format("{}, scale {} <- {}", ap(b.dst), ap(b.scale), ap(b.src));
  }

  std::string instruction(const Instruction &inst) const {
    std::string s = opcodeName(inst.opcode());
    s += " ";
    s += std::visit([&](const auto &b) { return body(b); }, inst.body);
    if (!inst.waits.empty()) {
      std::vector<std::string> w;
      for (const SemWait &x : inst.waits)
        w.push_back(fmt::format("s{}>={}", x.sem, x.value));
      s += fmt::format(" wait({})", fmt::join(w, ", "));
    }
    if (!inst.signals.empty()) {
      std::vector<std::string> w;
      for (uint32_t x : inst.signals)
        w.push_back(fmt::format("s{}", x));
      s += fmt::format(" signal({})", fmt::join(w, ", "));
    }
    if (!inst.debug.empty())
      s += fmt::format("  ; {}", inst.debug);
    return s;
  }

  std::string program() const {
    std::string out;
    auto line = [&](const std::string &s) { out += s + "\n"; };
    line(fmt::format("program: {}", p_.name.empty() ? "<unnamed>" : p_.name));
    line(fmt::format("target: {}", p_.target));

    // I/O signature.
    line("signature:");
    size_t width = 1;
    for (const TensorDecl &t : p_.tensors)
      width = std::max(width, t.name.size());
    unsigned nIn = 0, nOut = 0;
    for (size_t i = 0; i < p_.tensors.size(); ++i) {
      const TensorDecl &t = p_.tensors[i];
      if (t.kind == TensorKind::Input)
        line(fmt::format("  input  {}  {:<{}}  {}{}  (tensor {})", nIn++, t.name, width,
                         dtypeName(t.dtype), shapeText(t.shape), i));
      else if (t.kind == TensorKind::Output)
        line(fmt::format("  output {}  {:<{}}  {}{}  (tensor {})", nOut++, t.name, width,
                         dtypeName(t.dtype), shapeText(t.shape), i));
    }
    if (nIn + nOut == 0)
      line("  (none)");

    line(fmt::format("tensors ({}):", p_.tensors.size()));
    for (size_t i = 0; i < p_.tensors.size(); ++i) {
      const TensorDecl &t = p_.tensors[i];
      std::string s = fmt::format("  t{:<3} {:<{}}  {:<8}  {}{}  {} bytes", i, t.name, width,
                                  tensorKindName(t.kind), dtypeName(t.dtype), shapeText(t.shape),
                                  t.byteSize());
      if (t.kind == TensorKind::Constant)
        s += fmt::format(", {} data bytes", t.data.size());
      if (t.scaleTensor)
        s += fmt::format(", scales t{}", *t.scaleTensor);
      line(s);
    }

    line(fmt::format("memory plan ({} buffers):", p_.buffers.size()));
    size_t bw = 1;
    for (const BufferDecl &b : p_.buffers)
      bw = std::max(bw, b.name.size());
    for (const BufferDecl &b : p_.buffers)
      line(fmt::format("  {:<{}}  {}[{}:{}, @{:#x}..{:#x}]  {} bytes/partition", b.name, bw,
                       memSpaceName(b.space), b.startPartition,
                       static_cast<uint64_t>(b.startPartition) + b.numPartitions, b.offset,
                       b.offset + b.bytesPerPartition, b.bytesPerPartition));

    line(fmt::format("semaphores: {}", p_.numSemaphores));
    line(fmt::format("instructions: {}", p_.numInstructions()));
    for (const Queue &q : p_.queues) {
      line(fmt::format("queue {} ({} instruction{}):", queueName(q.id), q.instructions.size(),
                       q.instructions.size() == 1 ? "" : "s"));
      for (size_t i = 0; i < q.instructions.size(); ++i) {
        std::string label = fmt::format("{}[{}]", queueName(q.id), i);
        line(fmt::format("  {:<9} {}", label, instruction(q.instructions[i])));
      }
    }
    return out;
  }

private:
  const Program &p_;
};

} // namespace

std::string formatAccessPattern(const Program &program, const AccessPattern &ap) {
  return Printer(program).ap(ap);
}

std::string formatInstruction(const Program &program, const Instruction &inst) {
  return Printer(program).instruction(inst);
}

std::string disassembleProgram(const Program &program) { return Printer(program).program(); }

} // namespace trnrt
