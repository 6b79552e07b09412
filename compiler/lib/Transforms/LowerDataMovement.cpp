//===- LowerDataMovement.cpp - fill/copy/transpose/broadcast -> DMA -------===//
//
// Data movement between HBM tensors is DMA with access patterns: copies are
// one HBM->HBM dma_copy, linalg.transpose walks the source with permuted
// strides, linalg.broadcast with stride 0 on the new dims. linalg.fill
// memsets one SBUF tile (<= 128 x SBUF/16 bytes) and DMAs it over the
// destination; a fill of an on-chip tile is a single memset.
//
//===----------------------------------------------------------------------===//

#include "LowerUtils.h"

using namespace mlir;
using namespace mlir::trn;
using namespace mlir::trn::lower;

static SmallVector<AccessDim> fullWalk(MemRefType t) {
  SmallVector<AccessDim> dims;
  for (int64_t i = 0; i < t.getRank(); ++i)
    dims.push_back({i, 0, t.getDimSize(i)});
  return dims;
}

LogicalResult mlir::trn::lower::lowerFill(RewriterBase &rewriter, linalg::FillOp op) {
  TileEmitter e(rewriter, op);
  std::optional<double> v = fillValue(op);
  if (!v)
    return op->emitOpError("fill value must be a floating-point constant");
  Value Y = op.getDpsInitOperand(0)->get();
  if (Value phys = TileEmitter::onChipRoot(Y)) {
    e.memset(static_cast<float>(*v), phys);
    return success();
  }
  auto yt = cast<MemRefType>(Y.getType());
  Type elem = yt.getElementType();
  if (!getDType(elem))
    return op->emitOpError("fill element type ") << elem << " is not a device dtype";
  int64_t r = yt.getRank();
  ArrayRef<int64_t> S = yt.getShape();
  int64_t cols = r == 0 ? 1 : S[r - 1];
  int64_t rows = r >= 2 ? S[r - 2] : 1;
  int64_t C = std::min(cols, e.freeBudget(elem));
  int64_t R = std::min<int64_t>(rows, e.target.numPartitions);
  Value tile = e.alloc({R, C}, elem);
  e.memset(static_cast<float>(*v), tile);
  SmallVector<int64_t> lead(S.begin(), S.begin() + std::max<int64_t>(0, r - 2));
  LogicalResult status = success();
  forEachIndex(lead, [&](ArrayRef<int64_t> idx) {
    for (int64_t p0 = 0; p0 < rows && succeeded(status); p0 += R) {
      int64_t pc = std::min(R, rows - p0);
      for (int64_t c0 = 0; c0 < cols; c0 += C) {
        int64_t cc = std::min(C, cols - c0);
        SmallVector<AccessDim> dims;
        for (auto [i, x] : llvm::enumerate(idx))
          dims.push_back({static_cast<int64_t>(i), x, 1});
        if (r >= 2)
          dims.push_back({r - 2, p0, pc});
        if (r >= 1)
          dims.push_back({r - 1, c0, cc});
        FailureOr<Value> view = e.hbmAccess(Y, dims);
        if (failed(view)) {
          status = failure();
          return;
        }
        e.dma(e.sliceTile(tile, 0, pc, 0, cc), *view);
      }
    }
  });
  return status;
}

/// Largest innermost source stride an HBM -> HBM copy is staged for.
static constexpr int64_t kMaxStagedStride = 4;

/// An HBM -> HBM copy whose source walks its innermost dim with a small
/// stride (a stride-2 convolution's input taps, materialised before their
/// matmul) moves one element per DMA run. Staged through SBUF tiles, the load
/// becomes dense runs plus an on-chip compaction (TileEmitter::loadWidened)
/// and the store dense runs, spread over several DMAs. Returns std::nullopt
/// (nothing emitted) when the cost model prefers the single strided DMA.
static std::optional<LogicalResult> copyThroughSbuf(TileEmitter &e, Value src, Value dst) {
  auto st = cast<MemRefType>(src.getType());
  SmallVector<int64_t> strides;
  int64_t off;
  const int64_t r = st.getRank();
  if (r < 2 || !st.hasStaticShape() || failed(st.getStridesAndOffset(strides, off)) ||
      strides[r - 1] < 2 || strides[r - 1] > kMaxStagedStride)
    return std::nullopt;
  Type elem = st.getElementType();
  const int64_t budget = e.freeBudget(elem), P = e.target.numPartitions;
  ArrayRef<int64_t> S = st.getShape();
  // Partition dim k: the outermost dim whose trailing dims fit one tile row.
  int64_t k = r - 2, free = S[r - 1];
  while (k > 0 && free * S[k] <= budget)
    free *= S[k--];
  if (free > budget)
    return std::nullopt;
  const int64_t n = S[r - 1], s = strides[r - 1], wide = (n - 1) * s + 1;
  const int64_t eb = (elem.getIntOrFloatBitWidth() + 7) / 8;
  int64_t lead = 1;
  for (int64_t i = 0; i < k; ++i)
    lead *= S[i];
  auto bytes = [](int64_t v) { return static_cast<uint64_t>(v); };
  const int64_t total = lead * S[k] * free;
  double direct = e.target.dmaDurationNs(bytes(total * eb), bytes(eb), true);
  double staged = 0;
  for (int64_t p0 = 0; p0 < S[k]; p0 += P) {
    int64_t pc = std::min(P, S[k] - p0);
    staged += e.target.dmaDurationNs(bytes(pc * free / n * wide * eb), bytes(wide * eb), true) +
              static_cast<double>(free) / e.target.dve.clockGHz +
              e.target.dmaDurationNs(bytes(pc * free * eb), bytes(n * eb), true);
  }
  if (lead * staged >= direct)
    return std::nullopt;

  LogicalResult status = success();
  forEachIndex(S.take_front(k), [&](ArrayRef<int64_t> idx) {
    for (int64_t p0 = 0; p0 < S[k] && succeeded(status); p0 += P) {
      int64_t pc = std::min(P, S[k] - p0);
      SmallVector<AccessDim> dims;
      for (auto [i, x] : llvm::enumerate(idx))
        dims.push_back({static_cast<int64_t>(i), x, 1});
      dims.push_back({k, p0, pc});
      for (int64_t i = k + 1; i < r; ++i)
        dims.push_back({i, 0, S[i]});
      FailureOr<Value> in = e.hbmAccess(src, dims), out = e.hbmAccess(dst, dims);
      if (failed(in) || failed(out)) {
        status = failure();
        return;
      }
      Value tile = e.alloc({pc, free}, elem);
      e.dma(*in, tile);
      e.dma(tile, *out);
    }
  });
  return status;
}

LogicalResult mlir::trn::lower::lowerCopy(RewriterBase &rewriter, Operation *op, Value src,
                                          Value dst) {
  TileEmitter e(rewriter, op);
  auto st = cast<MemRefType>(src.getType()), dt = cast<MemRefType>(dst.getType());
  if (st.getElementType() != dt.getElementType())
    return op->emitOpError("copy converts ") << st.getElementType() << " to "
                                             << dt.getElementType()
                                             << "; DMA does not convert element types";
  if (st.getShape() != dt.getShape())
    return op->emitOpError("copy between different shapes");
  Value srcPhys = TileEmitter::onChipRoot(src), dstPhys = TileEmitter::onChipRoot(dst);
  if (srcPhys || dstPhys) {
    // A whole on-chip tile buffer (trn-place-memory layout: logical dim
    // rank-2 on partitions, the other dims flattened in order) <-> HBM.
    Value phys = srcPhys ? srcPhys : dstPhys;
    Value logical = srcPhys ? src : dst, other = srcPhys ? dst : src;
    auto lt = cast<MemRefType>(logical.getType());
    if ((srcPhys && dstPhys) || !logical.getDefiningOp<memref::ReinterpretCastOp>())
      return op->emitOpError("copies between on-chip tiles or of on-chip tile slices are not "
                             "supported");
    int64_t r = lt.getRank(), p = r >= 2 ? r - 2 : 0;
    SmallVector<AccessDim> walk;
    if (r > 0)
      walk.push_back({p, 0, lt.getDimSize(p)});
    for (int64_t i = 0; i < r; ++i)
      if (i != p)
        walk.push_back({i, 0, lt.getDimSize(i)});
    bool toHbm = static_cast<bool>(srcPhys);
    if (getMemSpace(phys.getType()) != MemSpace::PSUM)
      return e.transfer(other, walk, phys, toHbm);
    // DMA reaches PSUM only from SBUF (e.g. an accumulator initialised from
    // a value in HBM): stage through an SBUF tile and an engine copy.
    auto pt = cast<MemRefType>(phys.getType());
    Value staged = e.alloc(pt.getShape(), pt.getElementType());
    if (toHbm)
      e.tensorCopy(phys, staged);
    if (failed(e.transfer(other, walk, staged, toHbm)))
      return failure();
    if (!toHbm)
      e.tensorCopy(staged, phys);
    return success();
  }
  if (std::optional<LogicalResult> staged = copyThroughSbuf(e, src, dst))
    return *staged;
  FailureOr<Value> s = e.hbmAccess(src, fullWalk(st));
  FailureOr<Value> d = e.hbmAccess(dst, fullWalk(dt));
  if (failed(s) || failed(d))
    return failure();
  e.dma(*s, *d);
  return success();
}

/// Swap of the last two dims (batched 2-D transpose) of f32/bf16 data: per
/// 128x128 block, DMA in, PE transpose into PSUM, copy out of PSUM, DMA out.
static LogicalResult lowerTransposeOnPE(TileEmitter &e, Value X, Value Y) {
  auto xt = cast<MemRefType>(X.getType()), yt = cast<MemRefType>(Y.getType());
  int64_t r = xt.getRank();
  ArrayRef<int64_t> S = xt.getShape();
  const int64_t step = std::min<int64_t>(e.target.numPartitions, e.target.maxStationaryFree);
  LogicalResult status = success();
  forEachIndex(S.take_front(r - 2), [&](ArrayRef<int64_t> lead) {
    for (int64_t i0 = 0; i0 < S[r - 2] && succeeded(status); i0 += step) {
      int64_t bi = std::min(step, S[r - 2] - i0);
      for (int64_t j0 = 0; j0 < S[r - 1]; j0 += step) {
        int64_t bj = std::min(step, S[r - 1] - j0);
        SmallVector<AccessDim> src, dst;
        for (auto [d, x] : llvm::enumerate(lead)) {
          src.push_back({static_cast<int64_t>(d), x, 1});
          dst.push_back({static_cast<int64_t>(d), x, 1});
        }
        src.push_back({r - 2, i0, bi});
        src.push_back({r - 1, j0, bj});
        dst.push_back({r - 2, j0, bj});
        dst.push_back({r - 1, i0, bi});
        FailureOr<Value> sv = e.hbmAccess(X, src), dv = e.hbmAccess(Y, dst);
        if (failed(sv) || failed(dv)) {
          status = failure();
          return;
        }
        Value in = e.load(*sv, {bi, bj}, xt.getElementType());
        Value ps = e.alloc({bj, bi}, e.f32(), MemSpace::PSUM);
        e.transpose(in, ps);
        Value out = e.alloc({bj, bi}, yt.getElementType());
        e.tensorCopy(ps, out);
        e.dma(out, *dv);
      }
    }
  });
  return status;
}

/// [P, K] on-chip tile -> [K, P] (on chip, K <= partitions, or in HBM, in
/// blocks of <= 128 columns): PE transposes into PSUM and copies out
/// (trn-fuse-rows' transposed sinks).
static LogicalResult lowerTileTranspose(TileEmitter &e, linalg::TransposeOp op) {
  Value X = op.getInput(), Y = op.getInit();
  Value x = TileEmitter::onChipRoot(X), y = TileEmitter::onChipRoot(Y);
  auto xt = cast<MemRefType>(X.getType()), yt = cast<MemRefType>(Y.getType());
  Type elem = yt.getElementType();
  if (!x || xt.getRank() != 2 || op.getPermutation() != ArrayRef<int64_t>{1, 0} ||
      !(elem.isF32() || elem.isBF16()) || xt.getElementType() != elem)
    return op->emitOpError("transposes of on-chip tiles must swap the two dims of a whole "
                           "f32/bf16 [P, K] tile");
  const int64_t P = xt.getDimSize(0), K = xt.getDimSize(1);
  const int64_t step = e.target.numPartitions;
  if (P > static_cast<int64_t>(e.target.maxStationaryFree) || (y && K > step))
    return op->emitOpError("on-chip transpose of a [")
           << P << ", " << K << "] tile exceeds the PE transpose limits of " << e.target.name;
  if (y) {
    Value ps = e.alloc({K, P}, e.f32(), MemSpace::PSUM);
    e.transpose(x, ps);
    e.tensorCopy(ps, y);
    return success();
  }
  // To HBM: blocks of <= 128 columns, each stored as rows of P elements.
  for (int64_t k0 = 0; k0 < K; k0 += step) {
    const int64_t kc = std::min(step, K - k0);
    Value ps = e.alloc({kc, P}, e.f32(), MemSpace::PSUM);
    e.transpose(e.sliceTile(x, 0, P, k0, kc), ps);
    Value out = e.alloc({kc, P}, elem);
    e.tensorCopy(ps, out);
    FailureOr<Value> view = e.hbmAccess(Y, {{0, k0, kc}, {1, 0, P}});
    if (failed(view))
      return failure();
    e.dma(out, *view);
  }
  return success();
}

LogicalResult mlir::trn::lower::lowerTranspose(RewriterBase &rewriter, linalg::TransposeOp op) {
  TileEmitter e(rewriter, op);
  Value X = op.getInput(), Y = op.getInit();
  if (TileEmitter::isOnChip(X) || TileEmitter::isOnChip(Y))
    return lowerTileTranspose(e, op);
  auto yt = cast<MemRefType>(Y.getType());
  ArrayRef<int64_t> perm = op.getPermutation();
  int64_t r = yt.getRank();
  bool lastTwo = r >= 2 && perm[r - 2] == r - 1 && perm[r - 1] == r - 2;
  for (int64_t i = 0; i + 2 < r; ++i)
    lastTwo &= perm[i] == i;
  Type elem = yt.getElementType();
  if (lastTwo && (elem.isF32() || elem.isBF16()))
    return lowerTransposeOnPE(e, X, Y);
  if (r >= 2 && perm[r - 1] != r - 1 && (elem.isF32() || elem.isBF16())) {
    // The innermost (contiguous) dim changes: batched 2-D PE transposes over
    // (b = the source dim that becomes innermost, a = the source innermost
    // dim), enumerating every other dim, so both DMAs walk contiguous runs.
    auto xt = cast<MemRefType>(X.getType());
    ArrayRef<int64_t> S = xt.getShape();
    int64_t a = r - 1, b = perm[r - 1];
    int64_t pa = -1;
    for (int64_t i = 0; i < r; ++i)
      if (perm[i] == a)
        pa = i;
    const int64_t step = std::min<int64_t>(e.target.numPartitions, e.target.maxStationaryFree);
    SmallVector<int64_t> others, otherShape;
    for (int64_t d = 0; d < r; ++d)
      if (d != a && d != b) {
        others.push_back(d);
        otherShape.push_back(S[d]);
      }
    int64_t blocks = ((S[a] + step - 1) / step) * ((S[b] + step - 1) / step);
    for (int64_t s : otherShape)
      blocks *= s;
    if (blocks <= 1024) {
      LogicalResult status = success();
      forEachIndex(otherShape, [&](ArrayRef<int64_t> idx) {
        for (int64_t b0 = 0; b0 < S[b] && succeeded(status); b0 += step) {
          int64_t bc = std::min(step, S[b] - b0);
          for (int64_t a0 = 0; a0 < S[a]; a0 += step) {
            int64_t ac = std::min(step, S[a] - a0);
            // Source walk (b, a) with the other dims fixed.
            SmallVector<AccessDim> src;
            for (auto [k, d] : llvm::enumerate(others))
              src.push_back({d, idx[k], 1});
            src.push_back({b, b0, bc});
            src.push_back({a, a0, ac});
            // Destination walk (pa, last) where dest dim i holds source dim perm[i].
            SmallVector<AccessDim> dst;
            for (int64_t i = 0; i < r; ++i) {
              int64_t sd = perm[i];
              if (i == pa || i == r - 1)
                continue;
              auto it = llvm::find(others, sd);
              dst.push_back({i, idx[it - others.begin()], 1});
            }
            dst.push_back({pa, a0, ac});
            dst.push_back({r - 1, b0, bc});
            FailureOr<Value> sv = e.hbmAccess(X, src), dv = e.hbmAccess(Y, dst);
            if (failed(sv) || failed(dv)) {
              status = failure();
              return;
            }
            Value in = e.load(*sv, {bc, ac}, xt.getElementType());
            Value ps = e.alloc({ac, bc}, e.f32(), MemSpace::PSUM);
            e.transpose(in, ps);
            Value out = e.alloc({ac, bc}, elem);
            e.tensorCopy(ps, out);
            e.dma(out, *dv);
          }
        }
      });
      return status;
    }
  }
  SmallVector<AccessDim> src;
  for (auto [i, p] : llvm::enumerate(op.getPermutation()))
    src.push_back({p, 0, yt.getDimSize(i)});
  FailureOr<Value> s = e.hbmAccess(X, src);
  FailureOr<Value> d = e.hbmAccess(Y, fullWalk(yt));
  if (failed(s) || failed(d))
    return failure();
  e.dma(*s, *d);
  return success();
}

LogicalResult mlir::trn::lower::lowerBroadcast(RewriterBase &rewriter, linalg::BroadcastOp op) {
  TileEmitter e(rewriter, op);
  Value X = op.getInput(), Y = op.getInit();
  if (TileEmitter::isOnChip(X) || TileEmitter::isOnChip(Y))
    return op->emitOpError("broadcasts of on-chip tiles are not supported");
  auto yt = cast<MemRefType>(Y.getType());
  SmallVector<AccessDim> src;
  int64_t next = 0;
  for (int64_t i = 0; i < yt.getRank(); ++i) {
    if (llvm::is_contained(op.getDimensions(), i))
      src.push_back({-1, 0, yt.getDimSize(i)});
    else
      src.push_back({next++, 0, yt.getDimSize(i)});
  }
  FailureOr<Value> s = e.hbmAccess(X, src);
  FailureOr<Value> d = e.hbmAccess(Y, fullWalk(yt));
  if (failed(s) || failed(d))
    return failure();
  e.dma(*s, *d);
  return success();
}
