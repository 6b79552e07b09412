//===- TileUtils.h - tile classification and on-chip layout rules -*- C++ -*-===//
//
// Rules shared by trn-tile, trn-place-memory and trn-lower-to-trn so that the
// three passes agree on which loop dimension of a tile-level op lives on the
// SBUF/PSUM partitions:
//
//  * contraction (device-form matmul / batch matmul): the M dim, i.e. result
//    dim rank-2;
//  * element-wise linalg.generic: the loop dim producing result dim rank-2
//    (rank-1 results: dim 0), which is the M dim when the generic consumes a
//    matmul result with the same indexing map;
//  * linalg.reduce: the kept (parallel) dim of largest extent (the first of
//    equals), so that no partition-dim reduction is needed and as many
//    partitions as possible work (LayerNorm's [1, T, D] reduced over D puts T
//    on partitions, not the unit batch; softmax's [H, T, T] puts the T query
//    rows there, like the element-wise ops around it); a full reduction puts
//    input dim 0 on partitions.
//
// All remaining loop dims are free dims, walked in result order.
//
// OCP MX (trn-quantize --quant=mxfp8/mxfp4): the scaled contraction (two
// extra E8M0 scale inputs) is a device contraction; the activation block-amax
// and quantize generics are neither tile roots nor element-wise generics
// (lowered together to trn.quantize_mx).
//
//===----------------------------------------------------------------------===//
#ifndef TRN_COMPILER_LIB_TRANSFORMS_TILEUTILS_H
#define TRN_COMPILER_LIB_TRANSFORMS_TILEUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/AffineMap.h"
#include "trn/runtime/Target.h"

#include <algorithm>

#include <optional>

namespace mlir::trn::tileutils {

/// Attributes of the OCP MX generics trn-quantize emits (docs/quantization.md):
/// the scaled contraction, the block amax of an activation and its
/// quantization (codes + E8M0 block scales), lowered to trn.matmul mode mx
/// and trn.quantize_mx.
inline constexpr llvm::StringLiteral kMxContractionAttr = "trnc.mx_contraction";
inline constexpr llvm::StringLiteral kMxBlockAmaxAttr = "trnc.mx_block_amax";
inline constexpr llvm::StringLiteral kMxQuantizeAttr = "trnc.mx_quantize";
/// Contraction elements per MX scale (OCP MX v1.0 block size).
inline constexpr int64_t kMxBlock = 32;

/// The map (b.., k, x) -> (b.., k floordiv 32, x) of an MX scale operand
/// whose data operand has `dataMap` (a projected permutation of rank >= 2).
inline AffineMap mxScaleMap(AffineMap dataMap) {
  SmallVector<AffineExpr> exprs(dataMap.getResults());
  exprs[exprs.size() - 2] = exprs[exprs.size() - 2].floorDiv(kMxBlock);
  return AffineMap::get(dataMap.getNumDims(), 0, exprs, dataMap.getContext());
}

/// OCP MX scaled contraction (trn-quantize --quant=mxfp8/mxfp4): a
/// linalg.generic (b.., m, n, k) with inputs L[b.., k, m], R[b.., k, n]
/// (FP8/FP4 codes), Ls[b.., k floordiv 32, m], Rs[b.., k floordiv 32, n]
/// (f8E8M0FNU) and an f32 accumulator C[b.., m, n]; body
/// C += scaling_extf(L, Ls) * scaling_extf(R, Rs).
inline bool isMxContraction(linalg::LinalgOp op) {
  auto g = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!g || !g->hasAttr(kMxContractionAttr) || g.getNumDpsInputs() != 4 ||
      g.getNumDpsInits() != 1)
    return false;
  unsigned n = g.getNumLoops();
  if (n < 3 || g.getNumReductionLoops() != 1 ||
      g.getIteratorTypesArray()[n - 1] != utils::IteratorType::reduction)
    return false;
  MLIRContext *ctx = g.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto map = [&](AffineExpr a, AffineExpr b) {
    SmallVector<AffineExpr> e;
    for (unsigned i = 0; i + 3 < n; ++i)
      e.push_back(d(i));
    e.push_back(a);
    e.push_back(b);
    return AffineMap::get(n, 0, e, ctx);
  };
  AffineExpr m = d(n - 3), nn = d(n - 2), k = d(n - 1);
  SmallVector<AffineMap> want = {map(k, m), map(k, nn), map(k.floorDiv(kMxBlock), m),
                                 map(k.floorDiv(kMxBlock), nn), map(m, nn)};
  if (g.getIndexingMapsArray() != want)
    return false;
  for (unsigned i = 2; i < 4; ++i)
    if (!isa<Float8E8M0FNUType>(getElementTypeOrSelf(g.getDpsInputs()[i].getType())))
      return false;
  return getElementTypeOrSelf(g.getDpsInits()[0].getType()).isF32();
}

/// The block-amax generic of an MX activation quantization:
/// amax[b.., k floordiv 32, x] = max |v[b.., k, x]| (k a reduction).
inline bool isMxBlockAmax(Operation *op) {
  auto g = dyn_cast<linalg::GenericOp>(op);
  return g && g->hasAttr(kMxBlockAmaxAttr) && g.getNumDpsInputs() == 1 &&
         g.getNumDpsInits() == 1;
}

/// The quantization generic of an MX activation: ins(v, amax), outs(codes,
/// scales), codes[b.., k, x] and scales[b.., k floordiv 32, x] by the OCP MX
/// rule along k (one trn.quantize_mx per [partitions, F] tile).
inline bool isMxQuantize(Operation *op) {
  auto g = dyn_cast<linalg::GenericOp>(op);
  return g && g->hasAttr(kMxQuantizeAttr) && g.getNumDpsInputs() == 2 &&
         g.getNumDpsInits() == 2;
}

/// Device-form contraction: linalg.matmul / batch_matmul (or an equivalent
/// generic) with maps (b.., m, n, k) -> [(b.., k, m), (b.., k, n), (b.., m, n)],
/// or an MX scaled contraction (isMxContraction).
inline bool isDeviceContraction(linalg::LinalgOp op) {
  if (isMxContraction(op))
    return true;
  if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::GenericOp>(op.getOperation()))
    return false;
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op))
    return false;
  unsigned n = op.getNumLoops();
  if (n < 3 || op.getNumReductionLoops() != 1)
    return false;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  unsigned k = n - 1, m = n - 3, nn = n - 2;
  auto expect = [&](AffineMap map, unsigned a, unsigned b) {
    if (map.getNumResults() != n - 1 || !map.isProjectedPermutation())
      return false;
    for (unsigned i = 0; i < n - 3; ++i)
      if (map.getDimPosition(i) != i)
        return false;
    return map.getDimPosition(n - 3) == a && map.getDimPosition(n - 2) == b;
  };
  auto iters = op.getIteratorTypesArray();
  if (iters[k] != utils::IteratorType::reduction)
    return false;
  return expect(maps[0], k, m) && expect(maps[1], k, nn) && expect(maps[2], m, nn);
}

/// Largest N of one matmul tile: the moving free limit, capped so that the
/// f32 accumulator stays inside one PSUM bank (the allocator keeps
/// accumulation groups bank-local on every target).
inline int64_t matmulMaxN(const trnrt::Target &target) {
  int64_t bankElems = static_cast<int64_t>(target.psumBankBytes / 4);
  return std::min<int64_t>(target.maxMovingFreeFor(trnrt::DType::F32), bankElems);
}

/// All-parallel single-result linalg.generic whose maps are projected
/// permutations (broadcasting/transposing inputs) and whose result map is a
/// permutation.
inline bool isElementwiseGeneric(Operation *op) {
  auto g = dyn_cast<linalg::GenericOp>(op);
  if (!g || g.getNumDpsInits() != 1 || g.getNumReductionLoops() != 0 || isMxQuantize(op))
    return false;
  for (AffineMap m : g.getIndexingMapsArray())
    if (!m.isProjectedPermutation())
      return false;
  return g.getIndexingMapsArray().back().isPermutation();
}

/// The input dim of a reduction over `reduced` of a `shape` tensor that lives
/// on partitions (see file comment): the kept dim of largest extent, the
/// first of equals; 0 for a full reduction.
inline unsigned reducePartitionDim(ArrayRef<int64_t> shape, ArrayRef<int64_t> reduced) {
  std::optional<unsigned> best;
  for (unsigned d = 0; d < shape.size(); ++d)
    if (!llvm::is_contained(reduced, static_cast<int64_t>(d)) &&
        (!best || shape[d] > shape[*best]))
      best = d;
  return best.value_or(0u);
}

/// The loop dim placed on partitions (see file comment), or std::nullopt for
/// rank-0 iteration spaces.
inline std::optional<unsigned> partitionLoopDim(linalg::LinalgOp op) {
  if (op.getNumLoops() == 0)
    return std::nullopt;
  if (auto red = dyn_cast<linalg::ReduceOp>(op.getOperation()))
    return reducePartitionDim(op.getStaticLoopRanges(), red.getDimensions());
  AffineMap out = op.getIndexingMapsArray().back();
  unsigned r = out.getNumResults();
  if (r == 0)
    return 0u;
  unsigned pos = r >= 2 ? r - 2 : 0;
  if (auto e = dyn_cast<AffineDimExpr>(out.getResult(pos)))
    return e.getPosition();
  return std::nullopt;
}

/// Named linalg ops other than those the pipeline handles by name
/// (contractions, reduce, fill, copy, transpose, broadcast) are generalized
/// (e.g. linalg.map, linalg.add that reach trn-tile or trn-lower-to-trn).
inline void generalizeOtherNamedOps(Operation *root) {
  SmallVector<linalg::LinalgOp> todo;
  root->walk([&](linalg::LinalgOp op) {
    if (!isa<linalg::GenericOp, linalg::MatmulOp, linalg::BatchMatmulOp, linalg::ReduceOp,
             linalg::FillOp, linalg::CopyOp, linalg::TransposeOp, linalg::BroadcastOp>(
            op.getOperation()))
      todo.push_back(op);
  });
  IRRewriter rewriter(root->getContext());
  for (linalg::LinalgOp op : todo) {
    rewriter.setInsertionPoint(op);
    (void)linalg::generalizeNamedOp(rewriter, op);
  }
}

} // namespace mlir::trn::tileutils

#endif // TRN_COMPILER_LIB_TRANSFORMS_TILEUTILS_H
