//===- LowerMatmulQuant.h - low-precision matmul modes ----------*- C++ -*-===//
//
// Helpers of lowerMatmul for quantized (FP8) operands; see
// LowerMatmulQuant.cpp and docs/quantization.md.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_COMPILER_LIB_TRANSFORMS_LOWERMATMULQUANT_H
#define TRN_COMPILER_LIB_TRANSFORMS_LOWERMATMULQUANT_H

#include "LowerUtils.h"

namespace mlir::trn::lower {

/// Whether a matmul with these operand element types runs on the FP8
/// double-row data path of `target` (both operands FP8, trn2/trn3).
bool useFp8DoubleRow(const trnrt::Target &target, Type lElem, Type rElem);

/// Stages rows * partitions contraction rows [k0, k0 + rows * partitions) of
/// the HBM operand `src` (contraction dim `kDim`, free dim kDim + 1 from `f0`
/// for `fc`; `batchDims` select the batch) into an SBUF tile
/// [partitions, rows, fc] with contraction index k0 + row * partitions + p
/// (one DMA per row).
FailureOr<Value> stageRows(TileEmitter &e, Value src, ArrayRef<AccessDim> batchDims,
                           int64_t kDim, int64_t k0, int64_t partitions, int64_t rows,
                           int64_t f0, int64_t fc, Type elem);

/// trn.matmul in the given data-path mode.
void matmulInMode(TileEmitter &e, Value stationary, Value moving, Value dst, bool accumulate,
                  MatmulMode mode);

} // namespace mlir::trn::lower

#endif // TRN_COMPILER_LIB_TRANSFORMS_LOWERMATMULQUANT_H
