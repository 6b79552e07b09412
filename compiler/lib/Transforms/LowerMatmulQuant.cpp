//===- LowerMatmulQuant.cpp - low-precision matmul modes in the lowering --===//
//
// Helpers of lowerMatmul (LowerMatmul.cpp) for quantized operands
// (docs/quantization.md): FP8 operands use the double-row data path where
// the target has it (trn2/trn3: two rows of K per partition, K = 256 per
// instruction, twice the bf16 rate); the stationary/moving tiles are staged
// as [P, 2, F] with contraction index k = row * P + partition.
// OCP MX operands (trn3, `mode mx`) are staged per 512-deep K chunk as
// [P, 4, F] codes and [P/32, 4, F] E8M0 scales (stageMx); activations are
// quantized on chip by trn.quantize_mx (lowerMxQuantize).
//
//===----------------------------------------------------------------------===//

#include "LowerMatmulQuant.h"
#include "TileUtils.h"

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

/// Partitions [p0, p0 + count) of row `r` of a [P, rows, F] tile.
static Value rowOfTile(TileEmitter &e, Value tile, int64_t p0, int64_t count, int64_t r) {
  int64_t fc = cast<MemRefType>(tile.getType()).getDimSize(2);
  SmallVector<OpFoldResult> offsets = {e.b.getIndexAttr(p0), e.b.getIndexAttr(r),
                                       e.b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {e.b.getIndexAttr(count), e.b.getIndexAttr(1),
                                     e.b.getIndexAttr(fc)};
  SmallVector<OpFoldResult> strides(3, e.b.getIndexAttr(1));
  return memref::SubViewOp::create(e.b, e.loc, tile, offsets, sizes, strides);
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
    e.dma(*view, rowOfTile(e, tile, 0, partitions, r));
  }
  return tile;
}

void mlir::trn::lower::matmulInMode(TileEmitter &e, Value stationary, Value moving, Value dst,
                                    bool accumulate, MatmulMode mode) {
  MatmulOp::create(e.b, e.loc, stationary, moving, dst, Value(), Value(),
                   accumulate ? e.b.getUnitAttr() : UnitAttr(),
                   MatmulModeAttr::get(e.b.getContext(), mode), {}, {}, {});
}

FailureOr<MxTiles> mlir::trn::lower::stageMx(TileEmitter &e, Value data, Value scales,
                                             ArrayRef<AccessDim> batchDims, int64_t kDim,
                                             int64_t K, int64_t k0, int64_t partitions,
                                             int64_t f0, int64_t fc) {
  const int64_t rows = trnrt::Target::matmulRowsPerPartition(trnrt::MatmulMode::Mx);
  const int64_t blk = tileutils::kMxBlock;
  Type elem = cast<MemRefType>(data.getType()).getElementType();
  Type scaleElem = cast<MemRefType>(scales.getType()).getElementType();
  // One [count, 1, fc] DMA per row: rows [start, start + count) of dim kDim.
  auto stage = [&](Value src, Value tile, int64_t start, int64_t limit, int64_t parts,
                   float pad) -> LogicalResult {
    bool partial = start + rows * parts > limit;
    // FP4 cannot be written on the device (no memset): the padding rows of
    // an FP4 tile are filled with copies of real (finite) rows instead; the
    // other operand's padding rows are zero (trn-quantize never pairs two
    // FP4 operands that need padding), so their products vanish.
    bool fillWithData = partial && isa<Float4E2M1FNType>(elem) && src == data;
    if (partial && !fillWithData)
      e.memset(pad, tile);
    // DMA of rows [s, s + cnt) of src into partitions [p0, p0 + cnt) of row r.
    auto copyRows = [&](int64_t r, int64_t p0, int64_t s, int64_t cnt) -> LogicalResult {
      SmallVector<AccessDim> dims(batchDims.begin(), batchDims.end());
      dims.push_back({kDim, s, cnt});
      dims.push_back({kDim + 1, f0, fc});
      FailureOr<Value> view = e.hbmAccess(src, dims);
      if (failed(view))
        return failure();
      e.dma(*view, rowOfTile(e, tile, p0, cnt, r));
      return success();
    };
    if (!partial) {
      // All rows present: one DMA walking (p, r, c) of the HBM rows
      // [start, start + rows * parts) viewed as [rows, parts, fc] (an
      // expand_shape of the row block), into the tile [parts, rows, fc].
      SmallVector<AccessDim> dims(batchDims.begin(), batchDims.end());
      dims.push_back({kDim, start, rows * parts});
      dims.push_back({kDim + 1, f0, fc});
      FailureOr<Value> block = e.hbmAccess(src, dims);
      if (failed(block))
        return failure();
      auto bt = cast<MemRefType>(block->getType());
      if (bt.getRank() == 2) {
        SmallVector<int64_t> strides;
        int64_t off;
        if (succeeded(bt.getStridesAndOffset(strides, off))) {
          SmallVector<int64_t> shape = {rows, parts, fc};
          SmallVector<int64_t> eStrides = {strides[0] * parts, strides[0], strides[1]};
          auto et = MemRefType::get(shape, bt.getElementType(),
                                    StridedLayoutAttr::get(e.b.getContext(), off, eStrides),
                                    bt.getMemorySpace());
          Value expanded = memref::ExpandShapeOp::create(
              e.b, e.loc, et, *block, ArrayRef<ReassociationIndices>{{0, 1}, {2}},
              ArrayRef<OpFoldResult>{e.b.getIndexAttr(rows), e.b.getIndexAttr(parts),
                                     e.b.getIndexAttr(fc)});
          FailureOr<Value> view = e.hbmAccess(expanded, {{1, 0, parts}, {0, 0, rows}, {2, 0, fc}});
          if (failed(view))
            return failure();
          e.dma(*view, tile);
          return success();
        }
      }
    }
    if (fillWithData && limit < parts)
      return e.op->emitOpError("MXFP4 operand with K = ")
             << limit << " < " << parts
             << " cannot be padded on the device; trn-quantize stores it as MXFP8",
             failure();
    for (int64_t r = 0; r < rows; ++r) {
      int64_t s = start + r * parts;
      int64_t cnt = std::clamp<int64_t>(limit - s, 0, parts);
      // A whole row of real data first (accesses start at partition 0, the
      // start-partition rule), then the row's own data over it.
      if (fillWithData && cnt < parts && failed(copyRows(r, 0, 0, parts)))
        return failure();
      if (cnt > 0 && failed(copyRows(r, 0, s, cnt)))
        return failure();
    }
    return success();
  };
  MxTiles t;
  t.data = e.alloc({partitions, rows, fc}, elem);
  t.scale = e.alloc({partitions / blk, rows, fc}, scaleElem);
  if (failed(stage(data, t.data, k0, K, partitions, 0.0f)) ||
      failed(stage(scales, t.scale, k0 / blk, llvm::divideCeil(K, blk), partitions / blk, 1.0f)))
    return failure();
  return t;
}

void mlir::trn::lower::matmulMx(TileEmitter &e, const MxTiles &stationary, const MxTiles &moving,
                                Value dst, bool accumulate) {
  MatmulOp::create(e.b, e.loc, stationary.data, moving.data, dst, stationary.scale, moving.scale,
                   accumulate ? e.b.getUnitAttr() : UnitAttr(),
                   MatmulModeAttr::get(e.b.getContext(), MatmulMode::Mx), {}, {}, {});
}

LogicalResult mlir::trn::lower::lowerMxQuantize(RewriterBase &rewriter, linalg::GenericOp op) {
  TileEmitter e(rewriter, op);
  if (!e.target.hasQuantizeMx)
    return op->emitOpError("MX quantization needs trn.quantize_mx, which ")
           << e.target.name << " does not have";
  Value x = op.getDpsInputs()[0], codes = op.getDpsInits()[0], scales = op.getDpsInits()[1];
  for (Value v : {x, codes, scales})
    if (TileEmitter::isOnChip(v))
      return op->emitOpError("MX quantization operands must be HBM tensors");
  auto xt = cast<MemRefType>(x.getType());
  unsigned rank = xt.getRank();
  if (rank < 2 || !op.getIndexingMapsArray()[0].isIdentity())
    return op->emitOpError("MX quantization needs an identity-mapped operand of rank >= 2");
  const int64_t nb = rank - 2, K = xt.getDimSize(nb), X = xt.getDimSize(nb + 1);
  const int64_t P = e.target.numPartitions, blk = tileutils::kMxBlock;
  const int64_t fStep = std::min<int64_t>(X, e.freeBudget(e.f32()));
  Type codeElem = cast<MemRefType>(codes.getType()).getElementType();
  Type scaleElem = cast<MemRefType>(scales.getType()).getElementType();
  LogicalResult status = success();
  forEachIndex(xt.getShape().take_front(nb), [&](ArrayRef<int64_t> bIdx) {
    for (int64_t k0 = 0; k0 < K && succeeded(status); k0 += P) {
      const int64_t kc = std::min(P, K - k0), kp = llvm::alignTo(kc, blk);
      for (int64_t x0 = 0; x0 < X && succeeded(status); x0 += fStep) {
        const int64_t fc = std::min(fStep, X - x0);
        auto dims = [&](int64_t start, int64_t count) {
          SmallVector<AccessDim> d;
          for (int64_t i = 0; i < nb; ++i)
            d.push_back({i, bIdx[i], 1});
          d.push_back({nb, start, count});
          d.push_back({nb + 1, x0, fc});
          return d;
        };
        Value src = e.alloc({kp, fc}, xt.getElementType());
        if (kp > kc)
          e.memset(0.0f, src);
        if (failed(e.transfer(x, dims(k0, kc), e.sliceTile(src, 0, kc, 0, fc), false))) {
          status = failure();
          return;
        }
        Value q = e.alloc({kp, fc}, codeElem);
        Value s = e.alloc({kp / blk, fc}, scaleElem);
        QuantizeMxOp::create(e.b, e.loc, src, q, s, {}, {}, {});
        if (failed(e.transfer(codes, dims(k0, kc), e.sliceTile(q, 0, kc, 0, fc), true)) ||
            failed(e.transfer(scales, dims(k0 / blk, kp / blk), s, true))) {
          status = failure();
          return;
        }
      }
    }
  });
  return status;
}
