//===- LowerMatmul.cpp - device-form matmul -> trn.matmul K-groups --------===//
//
// `C[b.., m, n] (+)= sum_k L[b.., k, m] * R[b.., k, n]`: per batch index and
// per (M <= maxStationaryFree, N <= maxMovingFree) chunk, the K loop is one
// PSUM accumulation group of trn.matmul over K chunks of <= numPartitions
// (accumulate unset on the first), with the stationary/moving chunks staged
// HBM -> SBUF by DMA. A PSUM accumulator placed by trn-place-memory is left
// for the fused consumers; otherwise ScalarE evicts PSUM into an SBUF tile
// of C's dtype (bf16 results round there) that is DMAed to C. The matmul's
// initial value: a preceding zero fill is absorbed, a constant fill becomes
// the eviction bias, an HBM C without fill is loaded and added. An on-chip
// (PSUM) accumulator without fill that an earlier matmul of the same tile
// already wrote continues that accumulation group (accumulate set from the
// first K chunk): the taps of a convolution fused by trn-tile accumulate
// into one PSUM tile and are evicted once.
// OCP MX scaled contractions (trn3) run `mode mx` per 512-deep K chunk with
// E8M0 scale tiles (LowerMatmulQuant.cpp).
//
//===----------------------------------------------------------------------===//

#include "LowerMatmulQuant.h"
#include "LowerUtils.h"
#include "MatmulBlocking.h"
#include "TileUtils.h"

using namespace mlir;
using namespace mlir::trn;
using namespace mlir::trn::lower;

/// Whether an op before `op` in its block already wrote the on-chip buffer
/// `root` as a matmul accumulator (a trn.matmul lowered from an earlier tap
/// of the same PSUM accumulation group, or a not yet lowered contraction).
static bool continuesAccumulation(Operation *op, Value root) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto mm = dyn_cast<MatmulOp>(prev))
      if (TileEmitter::onChipRoot(mm.getDst()) == root)
        return true;
    if (auto l = dyn_cast<linalg::LinalgOp>(prev))
      if (tileutils::isDeviceContraction(l) && l.getNumDpsInits() == 1 &&
          TileEmitter::onChipRoot(l.getDpsInitOperand(0)->get()) == root)
        return true;
  }
  return false;
}

LogicalResult mlir::trn::lower::lowerMatmul(RewriterBase &rewriter, linalg::LinalgOp op,
                                            linalg::FillOp initFill) {
  const bool mx = tileutils::isMxContraction(op);
  if (blocking::hasPlan(op) && !mx)
    return lowerMatmulBlocked(rewriter, op, initFill);
  TileEmitter e(rewriter, op);
  if (mx && !e.target.supportsMatmulMode(trnrt::MatmulMode::Mx))
    return op->emitOpError("MX scaled contraction needs the MX matmul, which ")
           << e.target.name << " does not have";
  Value L = op.getDpsInputOperand(0)->get(), R = op.getDpsInputOperand(1)->get();
  Value C = op.getDpsInitOperand(0)->get();
  auto lt = cast<MemRefType>(L.getType()), rt = cast<MemRefType>(R.getType());
  auto ct = cast<MemRefType>(C.getType());
  if (TileEmitter::isOnChip(L) || TileEmitter::isOnChip(R))
    return op->emitOpError("matmul operands computed on chip are not supported; the stationary "
                           "and moving operands must be HBM tensors");
  int64_t nb = lt.getRank() - 2;
  ArrayRef<int64_t> batchShape = lt.getShape().take_front(nb);
  const int64_t K = lt.getDimSize(nb), M = lt.getDimSize(nb + 1), N = rt.getDimSize(nb + 1);
  const int64_t mStep = std::min<int64_t>(e.target.maxStationaryFree, e.target.numPartitions);
  const int64_t nStep = tileutils::matmulMaxN(e.target);
  const int64_t kStep = e.target.numPartitions;

  enum class Init { Zero, Constant, Tensor } init = Init::Zero;
  float initValue = 0.0f;
  Value cPhys = TileEmitter::onChipRoot(C);
  if (initFill) {
    std::optional<double> v = fillValue(initFill);
    if (!v)
      return initFill->emitOpError("matmul accumulator fill must be a constant");
    initValue = static_cast<float>(*v);
    init = initValue == 0.0f ? Init::Zero : Init::Constant;
  } else if (!cPhys) {
    init = Init::Tensor;
  }
  // A fill-less PSUM accumulator that earlier taps wrote: keep accumulating.
  const bool continues = cPhys && !initFill && continuesAccumulation(op, cPhys);
  if (cPhys) {
    int64_t batchElems = 1;
    for (int64_t s : batchShape)
      batchElems *= s;
    if (batchElems != 1 || M > mStep || N > nStep)
      return op->emitOpError("on-chip matmul accumulator of shape ")
             << ct.getShape() << " exceeds one PSUM tile (" << mStep << "x" << nStep << ")";
  }

  Type lElem = lt.getElementType(), rElem = rt.getElementType();
  Type common = lElem == rElem ? lElem : e.f32();
  const bool doubleRow = useFp8DoubleRow(e.target, lElem, rElem);
  Type f32 = e.f32();
  LogicalResult status = success();
  forEachIndex(batchShape, [&](ArrayRef<int64_t> bIdx) {
    if (failed(status))
      return;
    for (int64_t m0 = 0; m0 < M; m0 += mStep) {
      int64_t mc = std::min(mStep, M - m0);
      for (int64_t n0 = 0; n0 < N; n0 += nStep) {
        int64_t nc = std::min(nStep, N - n0);
        Value psum = cPhys ? cPhys : e.alloc({mc, nc}, f32, MemSpace::PSUM);
        for (int64_t k0 = 0, kc = 0; k0 < K; k0 += kc) {
          kc = std::min(kStep, K - k0);
          if (mx) { // OCP MX: K = 4 * partitions per matmul, tail zero-padded
            const int64_t rows = trnrt::Target::matmulRowsPerPartition(trnrt::MatmulMode::Mx);
            kc = std::min(rows * kStep, K - k0);
            // Fewest partitions (a multiple of the 32-row scale block) covering kc.
            int64_t parts = std::min<int64_t>(
                kStep, llvm::alignTo(llvm::divideCeil(kc, rows), tileutils::kMxBlock));
            SmallVector<AccessDim> bd;
            for (int64_t i = 0; i < nb; ++i)
              bd.push_back({i, bIdx[i], 1});
            Value Ls = op.getDpsInputOperand(2)->get(), Rs = op.getDpsInputOperand(3)->get();
            FailureOr<MxTiles> st = stageMx(e, L, Ls, bd, nb, K, k0, parts, m0, mc);
            FailureOr<MxTiles> mv =
                failed(st) ? FailureOr<MxTiles>(failure())
                           : stageMx(e, R, Rs, bd, nb, K, k0, parts, n0, nc);
            if (failed(st) || failed(mv)) {
              status = failure();
              return;
            }
            matmulMx(e, *st, *mv, psum, continues || k0 > 0);
            continue;
          }
          if (doubleRow && K - k0 >= 2 * kStep) { // FP8: K = 2 * partitions per matmul
            kc = 2 * kStep;
            SmallVector<AccessDim> bd;
            for (int64_t i = 0; i < nb; ++i)
              bd.push_back({i, bIdx[i], 1});
            FailureOr<Value> st = stageRows(e, L, bd, nb, k0, kStep, 2, m0, mc, lElem);
            FailureOr<Value> mv = stageRows(e, R, bd, nb, k0, kStep, 2, n0, nc, rElem);
            if (failed(st) || failed(mv)) {
              status = failure();
              return;
            }
            matmulInMode(e, *st, *mv, psum, continues || k0 > 0, MatmulMode::Fp8DoubleRow);
            continue;
          }
          auto stage = [&](Value src, int64_t f0, int64_t fc, Type elem) -> Value {
            SmallVector<AccessDim> dims;
            for (int64_t i = 0; i < nb; ++i)
              dims.push_back({i, bIdx[i], 1});
            dims.push_back({nb, k0, kc});
            dims.push_back({nb + 1, f0, fc});
            FailureOr<Value> view = e.hbmAccess(src, dims);
            if (failed(view)) {
              status = failure();
              return Value();
            }
            Value t = e.load(*view, {kc, fc}, elem);
            if (elem == common)
              return t;
            Value c = e.alloc({kc, fc}, common);
            e.tensorCopy(t, c);
            return c;
          };
          Value st = stage(L, m0, mc, lElem);
          Value mv = stage(R, n0, nc, rElem);
          if (failed(status))
            return;
          e.matmul(st, mv, psum, continues || k0 > 0);
        }
        if (cPhys) {
          if (init == Init::Constant)
            e.tensorScalar(psum, psum, AluOp::Add, Scalar::ofImm(initValue));
          continue;
        }
        SmallVector<AccessDim> cdims;
        for (int64_t i = 0; i < nb; ++i)
          cdims.push_back({i, bIdx[i], 1});
        cdims.push_back({nb, m0, mc});
        cdims.push_back({nb + 1, n0, nc});
        FailureOr<Value> cView = e.hbmAccess(C, cdims);
        if (failed(cView)) {
          status = failure();
          return;
        }
        Value out = e.alloc({mc, nc}, ct.getElementType());
        if (init == Init::Tensor) {
          Value cin = e.load(*cView, {mc, nc}, ct.getElementType());
          e.tensorTensor(AluOp::Add, psum, cin, out);
        } else {
          e.activation(ActFunc::Identity, psum, out, Scalar::ofImm(1.0f),
                       Scalar::ofImm(initValue));
        }
        e.dma(out, *cView);
      }
    }
  });
  return status;
}
