//===- LowerMatmulQuant.cpp - low-precision matmul modes in the lowering --===//
//
// Helpers of lowerMatmul (LowerMatmul.cpp) for quantized operands
// (docs/quantization.md): FP8 operands use the double-row data path where
// the target has it (trn2/trn3: two rows of K per partition, K = 256 per
// instruction, twice the bf16 rate); the stationary/moving tiles are staged
// as [P, 2, F] with contraction index k = row * P + partition.
//
//===----------------------------------------------------------------------===//

#include "LowerMatmulQuant.h"

#include "trn/runtime/Target.h"

using namespace mlir;
using namespace mlir::trn;
using namespace mlir::trn::lower;

bool mlir::trn::lower::useFp8DoubleRow(const trnrt::Target &target, Type lElem, Type rElem) {
  if (!target.supportsMatmulMode(trnrt::MatmulMode::Fp8DoubleRow))
    return false;
  std::optional<trnrt::DType> l = getDType(lElem), r = getDType(rElem);
  return l && r && target.isLegalMatmulOperand(trnrt::MatmulMode::Fp8DoubleRow, *l) &&
         target.isLegalMatmulOperand(trnrt::MatmulMode::Fp8DoubleRow, *r);
}

FailureOr<Value> mlir::trn::lower::stageRows(TileEmitter &e, Value src,
                                             ArrayRef<AccessDim> batchDims, int64_t kDim,
                                             int64_t k0, int64_t partitions, int64_t rows,
                                             int64_t f0, int64_t fc, Type elem) {
  Value tile = e.alloc({partitions, rows, fc}, elem);
  for (int64_t r = 0; r < rows; ++r) {
    SmallVector<AccessDim> dims(batchDims.begin(), batchDims.end());
    dims.push_back({kDim, k0 + r * partitions, partitions});
    dims.push_back({kDim + 1, f0, fc});
    FailureOr<Value> view = e.hbmAccess(src, dims);
    if (failed(view))
      return failure();
    SmallVector<OpFoldResult> offsets = {e.b.getIndexAttr(0), e.b.getIndexAttr(r),
                                         e.b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {e.b.getIndexAttr(partitions), e.b.getIndexAttr(1),
                                       e.b.getIndexAttr(fc)};
    SmallVector<OpFoldResult> strides(3, e.b.getIndexAttr(1));
    Value row = memref::SubViewOp::create(e.b, e.loc, tile, offsets, sizes, strides);
    e.dma(*view, row);
  }
  return tile;
}

void mlir::trn::lower::matmulInMode(TileEmitter &e, Value stationary, Value moving, Value dst,
                                    bool accumulate, MatmulMode mode) {
  MatmulOp::create(e.b, e.loc, stationary, moving, dst, Value(), Value(),
                   accumulate ? e.b.getUnitAttr() : UnitAttr(),
                   MatmulModeAttr::get(e.b.getContext(), mode), {}, {}, {});
}
