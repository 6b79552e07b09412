//===- AccessPatternUtil.h - Footprints and operands of instructions -*- C++ -*-===//
//
// The one implementation of "which memory does this access pattern touch",
// shared by the program verifier (bounds checks), the emulator (bounds and
// race checks) and the tools. All arithmetic is overflow-safe: a pattern whose
// extent does not fit in 64 bits yields std::nullopt instead of a wrong range.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_RUNTIME_ACCESSPATTERNUTIL_H
#define TRN_RUNTIME_ACCESSPATTERNUTIL_H

#include "trn/runtime/ISA.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trnrt {

/// Smallest and largest element offset, relative to the pattern's origin,
/// reached by walking the free dims (sizes >= 1; strides may be negative or
/// zero): sum over dims of min/max(0, (size - 1) * stride). nullopt if a size
/// is 0, the rank is outside 1..kMaxFreeDims or the span overflows int64.
struct ElemSpan {
  int64_t min = 0;
  int64_t max = 0;
};
std::optional<ElemSpan> apFreeSpan(const AccessPattern &ap);

/// SBUF/PSUM: the byte range [begin, end) touched inside each accessed
/// partition (offset + span, scaled by the element size; FP4 rounds out to
/// whole bytes). nullopt if the range starts below 0, overflows, or `ap` is
/// an HBM pattern.
struct ByteRange {
  uint64_t begin = 0;
  uint64_t end = 0; // exclusive
  uint64_t size() const { return end - begin; }
};
std::optional<ByteRange> apByteRange(const AccessPattern &ap);

/// HBM: the element index range [min, max] (inclusive) reached in the
/// tensor: offset + p * partitionStride + free span, p in [0, numPartitions).
/// Indices may be negative (out of bounds) - callers compare against
/// [0, numel). nullopt on overflow, zero sizes/partitions, or a non-HBM `ap`.
struct ElemRange {
  int64_t min = 0;
  int64_t max = 0;
};
std::optional<ElemRange> apHbmElementRange(const AccessPattern &ap);

/// A conservative rectangle covering everything an access touches:
/// on-chip: partitions [partBegin, partEnd) x bytes [byteBegin, byteEnd) of
/// `space`; HBM: bytes [byteBegin, byteEnd) of tensor `tensor` (partitions
/// are reported as [0, 1)). Two accesses can only conflict if their
/// footprints overlap. nullopt when the range is invalid (see above).
struct ApFootprint {
  MemSpace space = MemSpace::SBUF;
  uint32_t tensor = 0; // HBM only
  uint32_t partBegin = 0, partEnd = 0;
  uint64_t byteBegin = 0, byteEnd = 0;
};
std::optional<ApFootprint> apFootprint(const AccessPattern &ap);
bool footprintsOverlap(const ApFootprint &a, const ApFootprint &b);

/// One operand of an instruction, in a fixed order (destinations first).
/// `role` is a stable name used in diagnostics ("dst", "moving",
/// "scale.ap", "accum_dst", ...).
struct ApOperand {
  const AccessPattern *ap = nullptr;
  bool write = false;
  const char *role = "";
};
/// Every access pattern an instruction reads or writes (optional operands
/// only when present).
std::vector<ApOperand> instructionOperands(const Instruction &inst);

/// Shape text used in diagnostics and the disassembly: "[P=128, 4x512]".
std::string apShapeString(const AccessPattern &ap);

} // namespace trnrt

#endif // TRN_RUNTIME_ACCESSPATTERNUTIL_H
