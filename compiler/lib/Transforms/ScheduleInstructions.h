//===- ScheduleInstructions.h - trn ops as trnrt::Instructions --*- C++ -*-===//
//
// The one translation of a device-level `trn` instruction op into the
// runtime's `trnrt::Instruction` (ISA.h), shared by `trn-schedule` (which
// needs the cost model's durations and exact memory footprints) and the
// serializer (lib/Serialize, which writes the program).
//
// A tile operand is a memref value reached from its buffer (the root: a
// `trn.alloc`, a function argument, a `memref.get_global` or a function-level
// `memref.alloc` in HBM) through `memref.subview`/`memref.cast`/
// `memref.reinterpret_cast` (HBM walks a subview cannot express). Its static
// strided layout (memref::getStridesAndOffset) gives the element offset and
// strides relative to the root's identity layout; for on-chip roots the
// linear offset splits into start partition (offset / free elements) and
// free offset, and dim 0 must walk partitions with unit step.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_LIB_TRANSFORMS_SCHEDULEINSTRUCTIONS_H
#define TRN_LIB_TRANSFORMS_SCHEDULEINSTRUCTIONS_H

#include "trn/Dialect/Trn/IR/TrnOps.h"
#include "trn/runtime/ISA.h"
#include "trn/runtime/Target.h"

#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir::trn {

/// Maps the root buffer of an HBM tile (function argument, get_global or
/// memref.alloc result) to the program tensor index; std::nullopt when the
/// root is not a program tensor (the caller's diagnostic names the root).
using HbmTensorIndexFn = llvm::function_ref<std::optional<uint32_t>(Value root)>;

/// The buffer a tile value views: follows memref.subview / memref.cast /
/// memref.reinterpret_cast.
Value getTileRoot(Value tile);

/// Access pattern of `tile` used by `user` (diagnostics go to `user`).
/// On-chip roots must be `trn.alloc` ops with an `offset` unless
/// `allowMissingOffset` (then offset 0 is assumed; used for cost estimates).
FailureOr<trnrt::AccessPattern> buildAccessPattern(Value tile, Operation *user,
                                                   HbmTensorIndexFn hbmIndex,
                                                   bool allowMissingOffset = false);

/// The instruction body of `op` plus its waits/signals (`sync`) and debug
/// string ("trn.matmul loc(...)"). Emits an error at `op` and fails for any
/// operand it cannot express.
FailureOr<trnrt::Instruction> buildInstruction(TrnInstructionOpInterface op,
                                               HbmTensorIndexFn hbmIndex,
                                               bool allowMissingOffset = false);

/// "trn.matmul at file.mlir:12:3" - the provenance string of an op.
std::string describeOp(Operation *op);

/// Whether two access patterns (after buildAccessPattern) may touch a common
/// byte: same memory (same tensor for HBM), overlapping partitions, and an
/// exact element-level intersection of the strided byte sets when their
/// bounding boxes overlap (conservatively true when enumeration would be too
/// large).
bool accessPatternsOverlap(const trnrt::AccessPattern &a, const trnrt::AccessPattern &b);

} // namespace mlir::trn

#endif // TRN_LIB_TRANSFORMS_SCHEDULEINSTRUCTIONS_H
