//===- AccessPatternUtil.cpp - Footprints and operands of instructions ----===//

#include "trn/runtime/AccessPatternUtil.h"

#include <fmt/format.h>

#include <limits>
#include <type_traits>

namespace trnrt {
namespace {

using i128 = __int128;

constexpr i128 kI64Min = std::numeric_limits<int64_t>::min();
constexpr i128 kI64Max = std::numeric_limits<int64_t>::max();

bool fitsI64(i128 v) { return v >= kI64Min && v <= kI64Max; }

/// Free-dim span in 128-bit arithmetic: |(size-1)*stride| < 2^32 * 2^63, four
/// dims < 2^97, so nothing here can overflow.
std::optional<std::pair<i128, i128>> freeSpan128(const AccessPattern &ap) {
  if (ap.rank < 1 || ap.rank > kMaxFreeDims)
    return std::nullopt;
  i128 lo = 0, hi = 0;
  for (uint32_t d = 0; d < ap.rank; ++d) {
    if (ap.sizes[d] == 0)
      return std::nullopt;
    i128 ext = static_cast<i128>(ap.sizes[d] - 1) * ap.strides[d];
    if (ext < 0)
      lo += ext;
    else
      hi += ext;
  }
  return std::make_pair(lo, hi);
}

} // namespace

std::optional<ElemSpan> apFreeSpan(const AccessPattern &ap) {
  auto s = freeSpan128(ap);
  if (!s || !fitsI64(s->first) || !fitsI64(s->second))
    return std::nullopt;
  return ElemSpan{static_cast<int64_t>(s->first), static_cast<int64_t>(s->second)};
}

std::optional<ByteRange> apByteRange(const AccessPattern &ap) {
  if (ap.space == MemSpace::HBM)
    return std::nullopt;
  auto s = freeSpan128(ap);
  if (!s)
    return std::nullopt;
  const i128 bits = dtypeBits(ap.dtype);
  // Bit positions relative to the byte address `offset`.
  i128 firstBit = static_cast<i128>(ap.offset) * 8 + s->first * bits;
  i128 endBit = static_cast<i128>(ap.offset) * 8 + (s->second + 1) * bits;
  if (firstBit < 0)
    return std::nullopt;
  i128 begin = firstBit / 8;
  i128 end = (endBit + 7) / 8;
  if (end > static_cast<i128>(std::numeric_limits<uint64_t>::max()))
    return std::nullopt;
  return ByteRange{static_cast<uint64_t>(begin), static_cast<uint64_t>(end)};
}

std::optional<ElemRange> apHbmElementRange(const AccessPattern &ap) {
  if (ap.space != MemSpace::HBM || ap.numPartitions == 0)
    return std::nullopt;
  auto s = freeSpan128(ap);
  if (!s)
    return std::nullopt;
  i128 lo = static_cast<i128>(ap.offset) + s->first;
  i128 hi = static_cast<i128>(ap.offset) + s->second;
  i128 rows = static_cast<i128>(ap.numPartitions - 1) * ap.partitionStride;
  if (rows < 0)
    lo += rows;
  else
    hi += rows;
  if (!fitsI64(lo) || !fitsI64(hi))
    return std::nullopt;
  return ElemRange{static_cast<int64_t>(lo), static_cast<int64_t>(hi)};
}

std::optional<ApFootprint> apFootprint(const AccessPattern &ap) {
  ApFootprint f;
  f.space = ap.space;
  if (ap.space == MemSpace::HBM) {
    auto r = apHbmElementRange(ap);
    if (!r || r->min < 0)
      return std::nullopt;
    const i128 bits = dtypeBits(ap.dtype);
    i128 begin = static_cast<i128>(r->min) * bits / 8;
    i128 end = ((static_cast<i128>(r->max) + 1) * bits + 7) / 8;
    if (end > static_cast<i128>(std::numeric_limits<uint64_t>::max()))
      return std::nullopt;
    f.tensor = ap.tensor;
    f.partBegin = 0;
    f.partEnd = 1;
    f.byteBegin = static_cast<uint64_t>(begin);
    f.byteEnd = static_cast<uint64_t>(end);
    return f;
  }
  auto r = apByteRange(ap);
  if (!r || ap.numPartitions == 0)
    return std::nullopt;
  uint64_t partEnd = static_cast<uint64_t>(ap.startPartition) + ap.numPartitions;
  if (partEnd > std::numeric_limits<uint32_t>::max())
    return std::nullopt;
  f.partBegin = ap.startPartition;
  f.partEnd = static_cast<uint32_t>(partEnd);
  f.byteBegin = r->begin;
  f.byteEnd = r->end;
  return f;
}

bool footprintsOverlap(const ApFootprint &a, const ApFootprint &b) {
  if (a.space != b.space)
    return false;
  if (a.space == MemSpace::HBM && a.tensor != b.tensor)
    return false;
  bool parts = a.partBegin < b.partEnd && b.partBegin < a.partEnd;
  bool bytes = a.byteBegin < b.byteEnd && b.byteBegin < a.byteEnd;
  return parts && bytes;
}

std::vector<ApOperand> instructionOperands(const Instruction &inst) {
  std::vector<ApOperand> ops;
  auto add = [&](const AccessPattern &ap, bool write, const char *role) {
    ops.push_back(ApOperand{&ap, write, role});
  };
  auto addOpt = [&](const std::optional<AccessPattern> &ap, bool write, const char *role) {
    if (ap)
      add(*ap, write, role);
  };
  std::visit(
      [&](const auto &b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, DmaCopy> || std::is_same_v<T, Transpose> ||
                      std::is_same_v<T, TensorCopy>) {
          add(b.dst, true, "dst");
          add(b.src, false, "src");
        } else if constexpr (std::is_same_v<T, Matmul>) {
          add(b.dst, true, "dst");
          add(b.stationary, false, "stationary");
          add(b.moving, false, "moving");
          addOpt(b.stationaryScale, false, "stationary_scale");
          addOpt(b.movingScale, false, "moving_scale");
        } else if constexpr (std::is_same_v<T, Activation>) {
          add(b.dst, true, "dst");
          addOpt(b.accumDst, true, "accum_dst");
          add(b.src, false, "src");
          addOpt(b.scale.ap, false, "scale");
          addOpt(b.bias.ap, false, "bias");
        } else if constexpr (std::is_same_v<T, TensorTensor>) {
          add(b.dst, true, "dst");
          add(b.in0, false, "in0");
          add(b.in1, false, "in1");
        } else if constexpr (std::is_same_v<T, TensorScalar>) {
          add(b.dst, true, "dst");
          add(b.src, false, "src");
          addOpt(b.scalar0.ap, false, "scalar0");
          addOpt(b.scalar1.ap, false, "scalar1");
        } else if constexpr (std::is_same_v<T, TensorReduce>) {
          add(b.dst, true, "dst");
          add(b.src, false, "src");
        } else if constexpr (std::is_same_v<T, Select>) {
          add(b.dst, true, "dst");
          add(b.pred, false, "pred");
          add(b.onTrue, false, "on_true");
          add(b.onFalse, false, "on_false");
        } else if constexpr (std::is_same_v<T, Iota> || std::is_same_v<T, Memset>) {
          add(b.dst, true, "dst");
        } else if constexpr (std::is_same_v<T, QuantizeMx>) {
          add(b.dst, true, "dst");
          add(b.scale, true, "scale");
          add(b.src, false, "src");
        } else {
          static_assert(sizeof(T) == 0, "unhandled instruction");
        }
      },
      inst.body);
  return ops;
}

std::string apShapeString(const AccessPattern &ap) {
  std::string s = fmt::format("[P={}, ", ap.numPartitions);
  uint32_t r = ap.rank <= kMaxFreeDims ? ap.rank : kMaxFreeDims;
  for (uint32_t d = 0; d < r; ++d)
    s += fmt::format("{}{}", d ? "x" : "", ap.sizes[d]);
  if (r == 0)
    s += "-";
  return s + "]";
}

} // namespace trnrt
