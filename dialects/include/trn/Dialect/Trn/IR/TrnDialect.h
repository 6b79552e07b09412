//===- TrnDialect.h - trn dialect, attributes, target helpers ---*- C++ -*-===//
//
// The trn dialect and its attributes, the mapping between MLIR element types
// and device dtypes (trnrt::DType), enum conversions to ISA.h, the lookup of
// the target model for an operation, and the static partition range of a
// tile value.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_DIALECT_TRN_IR_TRNDIALECT_H
#define TRN_DIALECT_TRN_IR_TRNDIALECT_H

#include "trn/runtime/ISA.h"
#include "trn/runtime/Target.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"

#include <cstdint>
#include <optional>

#include "trn/Dialect/Trn/IR/TrnOpsDialect.h.inc"
#include "trn/Dialect/Trn/IR/TrnOpsEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "trn/Dialect/Trn/IR/TrnOpsAttrDefs.h.inc"

namespace mlir::trn {

//===----------------------------------------------------------------------===//
// Element types <-> device dtypes
//===----------------------------------------------------------------------===//

/// The device dtype stored for an MLIR element type: f32, bf16, f16,
/// f8E4M3FN, f8E5M2, f4E2M1FN, f8E8M0FNU, i32/si32, ui32, i8/si8, ui8.
/// std::nullopt for any other type.
std::optional<trnrt::DType> getDType(Type elementType);
/// The canonical MLIR element type of a device dtype (signless for I32/I8).
Type getElementType(MLIRContext *ctx, trnrt::DType dtype);
/// "f32, bf16, f16, ..." - the MLIR spelling of every device dtype.
std::string getSupportedElementTypesString(MLIRContext *ctx);

//===----------------------------------------------------------------------===//
// Enum conversions (the ODS enums mirror ISA.h value by value)
//===----------------------------------------------------------------------===//

trnrt::MemSpace toISA(MemSpace m);
trnrt::Engine toISA(Engine e);
trnrt::AluOp toISA(AluOp op);
trnrt::ActFunc toISA(ActFunc f);
trnrt::MatmulMode toISA(MatmulMode m);
MemSpace fromISA(trnrt::MemSpace m);
Engine fromISA(trnrt::Engine e);
AluOp fromISA(trnrt::AluOp op);
ActFunc fromISA(trnrt::ActFunc f);
MatmulMode fromISA(trnrt::MatmulMode m);

//===----------------------------------------------------------------------===//
// Tiles
//===----------------------------------------------------------------------===//

/// The memory space of a memref whose memory space is a #trn.mem attribute.
std::optional<MemSpace> getMemSpace(Type type);
/// memref<shape x elementType, #trn.mem<space>> with the identity layout.
MemRefType getTileType(ArrayRef<int64_t> shape, Type elementType, MemSpace space);

/// Physical partitions of an on-chip tile: partition i of the tile is
/// physical partition `start + step * i` of its buffer.
struct PartitionRange {
  int64_t start = 0;
  int64_t step = 1;
};
/// Follows `memref.subview` (static dim-0 offset and stride) and
/// `memref.cast` back to the buffer (a block argument or an allocation, whose
/// range is {0, 1}). std::nullopt when the range is not statically known (a
/// dynamic offset, a subview dropping dim 0, or any other producer).
std::optional<PartitionRange> getStaticPartitionRange(Value tile);
/// The static start partition of a tile value (see getStaticPartitionRange).
std::optional<int64_t> getStaticStartPartition(Value tile);

//===----------------------------------------------------------------------===//
// Target
//===----------------------------------------------------------------------===//

/// The #trn.target on `op` or its closest ancestor carrying `trn.target`;
/// null if there is none.
TargetAttr getTargetAttr(Operation *op);
/// The target model for `op` (default: trn2, TrnDialect::getDefaultTargetName).
const trnrt::Target &getTarget(Operation *op);

} // namespace mlir::trn

#endif // TRN_DIALECT_TRN_IR_TRNDIALECT_H
