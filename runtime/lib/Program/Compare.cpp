//===- Compare.cpp - Field-wise Program comparison -------------------------===//

#include "trn/runtime/Trnx.h"

#include <fmt/format.h>

#include <cstring>
#include <type_traits>

namespace trnrt {
namespace {

/// Walks two programs in lockstep; stops at the first difference.
class Differ {
public:
  std::optional<std::string> diff;

  template <typename T> void field(const std::string &path, const T &a, const T &b) {
    if (diff)
      return;
    if constexpr (std::is_same_v<T, float>) {
      // Bitwise: NaN payloads and -0.0 must survive a round trip too.
      if (std::memcmp(&a, &b, sizeof(float)) != 0)
        diff = fmt::format("{}: {} vs {}", path, a, b);
    } else if constexpr (std::is_enum_v<T>) {
      if (a != b)
        diff = fmt::format("{}: {} vs {}", path, static_cast<int>(a), static_cast<int>(b));
    } else if constexpr (std::is_same_v<T, std::vector<uint8_t>>) {
      if (a != b)
        diff = fmt::format("{}: byte vectors differ (sizes {} vs {})", path, a.size(), b.size());
    } else if constexpr (std::is_same_v<T, std::vector<int64_t>> ||
                         std::is_same_v<T, std::vector<uint32_t>>) {
      if (a != b)
        diff = fmt::format("{}: [{}] vs [{}]", path, fmt::join(a, ", "), fmt::join(b, ", "));
    } else if constexpr (std::is_same_v<T, std::optional<uint32_t>>) {
      if (a != b)
        diff = fmt::format("{}: {} vs {}", path, a ? std::to_string(*a) : "none",
                           b ? std::to_string(*b) : "none");
    } else {
      if (a != b)
        diff = fmt::format("{}: {} vs {}", path, a, b);
    }
  }

  bool size(const std::string &path, size_t a, size_t b) {
    field(path + ".size", a, b);
    return !diff;
  }

  void ap(const std::string &p, const AccessPattern &a, const AccessPattern &b) {
    field(p + ".space", a.space, b.space);
    field(p + ".dtype", a.dtype, b.dtype);
    field(p + ".tensor", a.tensor, b.tensor);
    field(p + ".offset", a.offset, b.offset);
    field(p + ".startPartition", a.startPartition, b.startPartition);
    field(p + ".numPartitions", a.numPartitions, b.numPartitions);
    field(p + ".partitionStride", a.partitionStride, b.partitionStride);
    field(p + ".rank", a.rank, b.rank);
    for (uint32_t d = 0; d < a.rank && d < kMaxFreeDims && !diff; ++d) {
      field(fmt::format("{}.sizes[{}]", p, d), a.sizes[d], b.sizes[d]);
      field(fmt::format("{}.strides[{}]", p, d), a.strides[d], b.strides[d]);
    }
  }
  void ap(const std::string &p, const std::optional<AccessPattern> &a,
          const std::optional<AccessPattern> &b) {
    if (diff)
      return;
    if (a.has_value() != b.has_value()) {
      diff = fmt::format("{}: {} vs {}", p, a ? "present" : "absent", b ? "present" : "absent");
      return;
    }
    if (a)
      ap(p, *a, *b);
  }
  void scalar(const std::string &p, const ScalarOperand &a, const ScalarOperand &b) {
    field(p + ".imm", a.imm, b.imm);
    ap(p + ".ap", a.ap, b.ap);
  }

  void body(const std::string &p, const DmaCopy &a, const DmaCopy &b) {
    ap(p + ".dst", a.dst, b.dst);
    ap(p + ".src", a.src, b.src);
  }
  void body(const std::string &p, const Matmul &a, const Matmul &b) {
    ap(p + ".dst", a.dst, b.dst);
    ap(p + ".stationary", a.stationary, b.stationary);
    ap(p + ".moving", a.moving, b.moving);
    field(p + ".accumulate", a.accumulate, b.accumulate);
    field(p + ".mode", a.mode, b.mode);
    ap(p + ".stationaryScale", a.stationaryScale, b.stationaryScale);
    ap(p + ".movingScale", a.movingScale, b.movingScale);
  }
  void body(const std::string &p, const Transpose &a, const Transpose &b) {
    ap(p + ".dst", a.dst, b.dst);
    ap(p + ".src", a.src, b.src);
  }
  void body(const std::string &p, const Activation &a, const Activation &b) {
    ap(p + ".dst", a.dst, b.dst);
    ap(p + ".src", a.src, b.src);
    field(p + ".func", a.func, b.func);
    scalar(p + ".scale", a.scale, b.scale);
    scalar(p + ".bias", a.bias, b.bias);
    ap(p + ".accumDst", a.accumDst, b.accumDst);
  }
  void body(const std::string &p, const TensorTensor &a, const TensorTensor &b) {
    ap(p + ".dst", a.dst, b.dst);
    ap(p + ".in0", a.in0, b.in0);
    ap(p + ".in1", a.in1, b.in1);
    field(p + ".op", a.op, b.op);
  }
  void body(const std::string &p, const TensorScalar &a, const TensorScalar &b) {
    ap(p + ".dst", a.dst, b.dst);
    ap(p + ".src", a.src, b.src);
    field(p + ".op0", a.op0, b.op0);
    scalar(p + ".scalar0", a.scalar0, b.scalar0);
    field(p + ".reverse0", a.reverse0, b.reverse0);
    field(p + ".op1", a.op1, b.op1);
    scalar(p + ".scalar1", a.scalar1, b.scalar1);
    field(p + ".reverse1", a.reverse1, b.reverse1);
  }
  void body(const std::string &p, const TensorReduce &a, const TensorReduce &b) {
    ap(p + ".dst", a.dst, b.dst);
    ap(p + ".src", a.src, b.src);
    field(p + ".op", a.op, b.op);
    field(p + ".axisMask", a.axisMask, b.axisMask);
    field(p + ".negate", a.negate, b.negate);
  }
  void body(const std::string &p, const TensorCopy &a, const TensorCopy &b) {
    ap(p + ".dst", a.dst, b.dst);
    ap(p + ".src", a.src, b.src);
  }
  void body(const std::string &p, const Select &a, const Select &b) {
    ap(p + ".dst", a.dst, b.dst);
    ap(p + ".pred", a.pred, b.pred);
    ap(p + ".onTrue", a.onTrue, b.onTrue);
    ap(p + ".onFalse", a.onFalse, b.onFalse);
  }
  void body(const std::string &p, const Iota &a, const Iota &b) {
    ap(p + ".dst", a.dst, b.dst);
    field(p + ".base", a.base, b.base);
    field(p + ".channelMultiplier", a.channelMultiplier, b.channelMultiplier);
    for (unsigned d = 0; d < kMaxFreeDims; ++d)
      field(fmt::format("{}.multipliers[{}]", p, d), a.multipliers[d], b.multipliers[d]);
  }
  void body(const std::string &p, const Memset &a, const Memset &b) {
    ap(p + ".dst", a.dst, b.dst);
    field(p + ".value", a.value, b.value);
  }
  void body(const std::string &p, const QuantizeMx &a, const QuantizeMx &b) {
    ap(p + ".dst", a.dst, b.dst);
    ap(p + ".scale", a.scale, b.scale);
    ap(p + ".src", a.src, b.src);
  }

  void instruction(const std::string &p, const Instruction &a, const Instruction &b) {
    if (a.opcode() != b.opcode()) {
      diff = fmt::format("{}.opcode: {} vs {}", p, opcodeName(a.opcode()), opcodeName(b.opcode()));
      return;
    }
    std::visit(
        [&](const auto &x) {
          using T = std::decay_t<decltype(x)>;
          body(p, x, std::get<T>(b.body));
        },
        a.body);
    if (size(p + ".waits", a.waits.size(), b.waits.size()))
      for (size_t i = 0; i < a.waits.size(); ++i) {
        field(fmt::format("{}.waits[{}].sem", p, i), a.waits[i].sem, b.waits[i].sem);
        field(fmt::format("{}.waits[{}].value", p, i), a.waits[i].value, b.waits[i].value);
      }
    field(p + ".signals", a.signals, b.signals);
    field(p + ".debug", a.debug, b.debug);
  }

  void program(const Program &a, const Program &b) {
    field("target", a.target, b.target);
    field("name", a.name, b.name);
    field("numSemaphores", a.numSemaphores, b.numSemaphores);
    if (size("tensors", a.tensors.size(), b.tensors.size()))
      for (size_t i = 0; i < a.tensors.size(); ++i) {
        const std::string p = fmt::format("tensors[{}]", i);
        const TensorDecl &x = a.tensors[i], &y = b.tensors[i];
        field(p + ".name", x.name, y.name);
        field(p + ".kind", x.kind, y.kind);
        field(p + ".dtype", x.dtype, y.dtype);
        field(p + ".shape", x.shape, y.shape);
        field(p + ".data", x.data, y.data);
        field(p + ".scaleTensor", x.scaleTensor, y.scaleTensor);
      }
    if (size("buffers", a.buffers.size(), b.buffers.size()))
      for (size_t i = 0; i < a.buffers.size(); ++i) {
        const std::string p = fmt::format("buffers[{}]", i);
        const BufferDecl &x = a.buffers[i], &y = b.buffers[i];
        field(p + ".name", x.name, y.name);
        field(p + ".space", x.space, y.space);
        field(p + ".offset", x.offset, y.offset);
        field(p + ".bytesPerPartition", x.bytesPerPartition, y.bytesPerPartition);
        field(p + ".startPartition", x.startPartition, y.startPartition);
        field(p + ".numPartitions", x.numPartitions, y.numPartitions);
      }
    if (size("queues", a.queues.size(), b.queues.size()))
      for (size_t q = 0; q < a.queues.size() && !diff; ++q) {
        const std::string p = fmt::format("queues[{}]", q);
        field(p + ".id", a.queues[q].id, b.queues[q].id);
        const auto &x = a.queues[q].instructions, &y = b.queues[q].instructions;
        if (size(p + ".instructions", x.size(), y.size()))
          for (size_t i = 0; i < x.size() && !diff; ++i)
            instruction(fmt::format("{}.instructions[{}]", p, i), x[i], y[i]);
      }
  }
};

} // namespace

std::optional<std::string> diffPrograms(const Program &a, const Program &b) {
  Differ d;
  d.program(a, b);
  return d.diff;
}

} // namespace trnrt
