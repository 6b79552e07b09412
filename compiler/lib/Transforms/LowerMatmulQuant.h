//===- LowerMatmulQuant.h - low-precision matmul modes ----------*- C++ -*-===//
//
// Helpers of lowerMatmul for quantized (FP8, OCP MX) operands; see
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

/// MX operand tiles of contraction rows [k0, k0 + 4 * partitions): codes
/// [partitions, 4, fc] (k = k0 + row * partitions + p) and E8M0 scales
/// [partitions / 32, 4, fc] (the scale of (row r, partition p) at scale
/// partition p / 32, row r: HBM block k0 / 32 + r * partitions / 32 + p / 32,
/// the ISA rule). Rows at or beyond K are zero codes with scale 1 (code 127);
/// FP4 codes (not writable on the device) get copies of real rows there, which
/// the other operand's zero rows cancel.
struct MxTiles {
  Value data, scale;
};
FailureOr<MxTiles> stageMx(TileEmitter &e, Value data, Value scales,
                           ArrayRef<AccessDim> batchDims, int64_t kDim, int64_t K, int64_t k0,
                           int64_t partitions, int64_t f0, int64_t fc);

/// trn.matmul mode mx with E8M0 scale tiles.
void matmulMx(TileEmitter &e, const MxTiles &stationary, const MxTiles &moving, Value dst,
              bool accumulate);

/// Lowers an MX activation quantization (tileutils::isMxQuantize) over HBM
/// buffers: per [partitions (K), F] tile one DMA in, one trn.quantize_mx
/// (codes and one E8M0 scale per 32 partitions) and two DMAs out. A K tail
/// that is not a multiple of 32 is zero-padded on chip (zeros never raise a
/// block's amax).
LogicalResult lowerMxQuantize(RewriterBase &rewriter, linalg::GenericOp op);

} // namespace mlir::trn::lower

#endif // TRN_COMPILER_LIB_TRANSFORMS_LOWERMATMULQUANT_H
