//===- Layout.cpp - trn-layout: device-form contractions ------------------===//
//
// Stage 3 of the trnc pipeline (docs/pipeline.md). The TensorEngine computes
// C[m, n] = sum_k L[k, m] * R[k, n] with K on the partitions of both
// operands, so every linalg.matmul / batch_matmul is rewritten to that
// "device form" (maps (k, m), (k, n), (m, n), batch dim leading), with
// explicit linalg.transpose ops where an operand is stored the other way.
// Then transposes are removed where a cheaper layout exists:
//   * transposes of constants (and of static slices of constants) are folded
//     at compile time;
//   * transpose pairs compose/cancel;
//   * a transpose of a single-use element-wise generic or device matmul is
//     absorbed by producing that value in the transposed layout (for a
//     matmul: swapping L and R computes C^T), and an element-wise generic
//     that reads a single-use producer through a permuting map makes the
//     producer write that layout instead.
//   * transposes move through collapse_shape, tensor.pad and sibling
//     extract_slices to their source, so the windows of a conv input share
//     one transpose.
// Chains of layers therefore stay feature-major (Y^T = sum_k W[k, out]
// X^T[k, B], L = W as stored) with at most one transpose of the
// activations at the input and one at the output. Function signatures are
// never changed.
//
//===----------------------------------------------------------------------===//

#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstring>

namespace mlir::trn {
#define GEN_PASS_DEF_TRNLAYOUTPASS
#include "trn/Transforms/Passes.h.inc"
} // namespace mlir::trn

using namespace mlir;

namespace {

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

SmallVector<int64_t> permutedShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> r;
  for (int64_t p : perm)
    r.push_back(shape[p]);
  return r;
}

/// The swap of the last two dims (identity on a leading batch dim).
SmallVector<int64_t> swapLastTwo(int64_t rank) {
  SmallVector<int64_t> p = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(p[rank - 2], p[rank - 1]);
  return p;
}

Value createTranspose(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  auto t = tensorType(v);
  Value empty =
      tensor::EmptyOp::create(b, loc, permutedShape(t.getShape(), perm), t.getElementType());
  return linalg::TransposeOp::create(b, loc, v, empty, perm).getResult()[0];
}

//===----------------------------------------------------------------------===//
// Device form
//===----------------------------------------------------------------------===//

/// Maps of C[m, n] = sum_k L[k, m] R[k, n] (batch: a leading b on all).
SmallVector<AffineMap> deviceMaps(MLIRContext *ctx, bool batch) {
  unsigned nd = batch ? 4 : 3, o = batch ? 1 : 0;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto mk = [&](unsigned x, unsigned y) {
    SmallVector<AffineExpr> r;
    if (batch)
      r.push_back(d(0));
    r.push_back(d(x + o));
    r.push_back(d(y + o));
    return AffineMap::get(nd, 0, r, ctx);
  };
  return {mk(2, 0), mk(2, 1), mk(0, 1)};
}

bool isDeviceForm(linalg::LinalgOp op) {
  bool batch = isa<linalg::BatchMatmulOp>(op);
  if (!batch && !isa<linalg::MatmulOp>(op))
    return false;
  return op.getIndexingMapsArray() == deviceMaps(op->getContext(), batch);
}

Value createDeviceMatmul(OpBuilder &b, Location loc, Value l, Value r, Value init, bool batch) {
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("indexing_maps", b.getAffineMapArrayAttr(deviceMaps(b.getContext(), batch)))};
  if (batch)
    return linalg::BatchMatmulOp::create(b, loc, TypeRange{init.getType()}, ValueRange{l, r},
                                         ValueRange{init}, attrs)
        .getResult(0);
  return linalg::MatmulOp::create(b, loc, TypeRange{init.getType()}, ValueRange{l, r},
                                  ValueRange{init}, attrs)
      .getResult(0);
}

/// Rewrites one contraction to device form (normal orientation: C keeps its
/// layout). Emits a diagnostic and returns failure for forms it cannot
/// handle (broadcast operands).
LogicalResult toDeviceForm(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (isDeviceForm(op))
    return success();
  bool batch = isa<linalg::BatchMatmulOp>(op);
  unsigned o = batch ? 1 : 0;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto dims = [&](AffineMap m) {
    SmallVector<unsigned> r;
    for (AffineExpr e : m.getResults()) {
      auto d = dyn_cast<AffineDimExpr>(e);
      r.push_back(d ? d.getPosition() : ~0u);
    }
    return r;
  };
  unsigned rank = batch ? 3 : 2;
  for (AffineMap m : maps)
    if (m.getNumResults() != rank || !m.isProjectedPermutation() ||
        (batch && dims(m)[0] != 0))
      return op->emitError() << "'" << op->getName()
                             << "' op cannot be brought to device form by trn-layout: operands "
                                "with broadcast or batch-permuting indexing maps are not "
                                "supported; supported: transposed (m, k)/(k, m) and (k, n)/(n, k) "
                                "operands";
  unsigned m = o, n = o + 1, k = o + 2;
  SmallVector<unsigned> a = dims(maps[0]), bm = dims(maps[1]), c = dims(maps[2]);
  if (c[o] != m || c[o + 1] != n)
    return op->emitError() << "'" << op->getName()
                           << "' op cannot be brought to device form by trn-layout: the result "
                              "map must be (m, n)";
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value l = op.getDpsInputs()[0], r = op.getDpsInputs()[1];
  // L must be [k, m]; R must be [k, n].
  if (a[o] == m && a[o + 1] == k)
    l = createTranspose(rewriter, loc, l, swapLastTwo(rank));
  if (bm[o] == n && bm[o + 1] == k)
    r = createTranspose(rewriter, loc, r, swapLastTwo(rank));
  Value res = createDeviceMatmul(rewriter, loc, l, r, op.getDpsInits()[0], batch);
  rewriter.replaceOp(op, res);
  return success();
}

//===----------------------------------------------------------------------===//
// Transpose removal
//===----------------------------------------------------------------------===//

/// An element-wise generic the pass may re-create in another layout: all
/// parallel, one result written through the identity map and never read
/// (its init only provides the shape), inputs through projected
/// permutations, and no linalg.index.
bool isRelayoutableElementwise(linalg::GenericOp g) {
  if (!g.hasPureTensorSemantics() || g.getNumDpsInits() != 1 || g.getNumReductionLoops() != 0)
    return false;
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  if (!maps.back().isIdentity())
    return false;
  for (AffineMap m : maps)
    if (!m.isProjectedPermutation())
      return false;
  Block &body = g.getRegion().front();
  if (!body.getArguments().back().use_empty())
    return false;
  return body.getOps<linalg::IndexOp>().empty();
}

/// Re-creates `g` producing transpose(g, perm) (result dim i = dim perm[i]).
Value transposeGeneric(RewriterBase &rewriter, linalg::GenericOp g, ArrayRef<int64_t> perm) {
  MLIRContext *ctx = rewriter.getContext();
  Location loc = g.getLoc();
  unsigned n = g.getNumLoops();
  SmallVector<int64_t> inv = invertPermutationVector(perm);
  // New loops e: e_i = d_perm[i], so d_j = e_inv[j].
  SmallVector<AffineExpr> sub;
  for (unsigned j = 0; j < n; ++j)
    sub.push_back(getAffineDimExpr(inv[j], ctx));
  AffineMap p = AffineMap::get(n, 0, sub, ctx);
  SmallVector<AffineMap> maps;
  for (AffineMap m : g.getIndexingMapsArray())
    maps.push_back(m.compose(p));
  maps.back() = AffineMap::getMultiDimIdentityMap(n, ctx);
  auto t = tensorType(g.getResult(0));
  rewriter.setInsertionPoint(g);
  Value empty = tensor::EmptyOp::create(rewriter, loc, permutedShape(t.getShape(), perm),
                                        t.getElementType());
  SmallVector<utils::IteratorType> iters(n, utils::IteratorType::parallel);
  auto ng = linalg::GenericOp::create(rewriter, loc, TypeRange{empty.getType()},
                                      g.getDpsInputs(), ValueRange{empty}, maps, iters);
  rewriter.cloneRegionBefore(g.getRegion(), ng.getRegion(), ng.getRegion().end());
  return ng.getResult(0);
}

/// An init of the transposed shape for a device matmul producing C^T: only
/// for inits that carry no data layout (empty, or a fill of an empty).
Value transposedInit(RewriterBase &rewriter, Value init, ArrayRef<int64_t> perm) {
  auto t = tensorType(init);
  Location loc = init.getLoc();
  SmallVector<int64_t> shape = permutedShape(t.getShape(), perm);
  if (init.getDefiningOp<tensor::EmptyOp>())
    return tensor::EmptyOp::create(rewriter, loc, shape, t.getElementType());
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    if (fill.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>()) {
      Value e = tensor::EmptyOp::create(rewriter, loc, shape, t.getElementType());
      return linalg::FillOp::create(rewriter, loc, fill.getDpsInputs()[0], e).getResult(0);
    }
  return {};
}

/// Produces transpose(v, perm) by re-creating v's single-use producer in
/// the transposed layout, or null if that is not possible.
Value relayoutProducer(RewriterBase &rewriter, Value v, ArrayRef<int64_t> perm) {
  if (!v.hasOneUse())
    return {};
  if (auto g = v.getDefiningOp<linalg::GenericOp>()) {
    if (isRelayoutableElementwise(g))
      return transposeGeneric(rewriter, g, perm);
    return {};
  }
  if (auto mm = v.getDefiningOp<linalg::LinalgOp>()) {
    if (!isDeviceForm(mm))
      return {};
    int64_t rank = tensorType(v).getRank();
    if (ArrayRef<int64_t>(swapLastTwo(rank)) != perm)
      return {};
    rewriter.setInsertionPoint(mm);
    Value init = transposedInit(rewriter, mm.getDpsInits()[0], perm);
    if (!init)
      return {};
    // C^T[n, m] = sum_k R[k, n] L[k, m]: swap the stationary and moving
    // operands.
    return createDeviceMatmul(rewriter, mm.getLoc(), mm.getDpsInputs()[1],
                              mm.getDpsInputs()[0], init, isa<linalg::BatchMatmulOp>(mm));
  }
  return {};
}

/// transpose(v, perm) for `v`, reusing an existing identical transpose that
/// precedes `user` in its block (sibling window slices of one input share
/// one transpose).
Value getOrCreateTranspose(RewriterBase &rewriter, Value v, ArrayRef<int64_t> perm,
                           Operation *user) {
  for (Operation *u : v.getUsers()) {
    auto t = dyn_cast<linalg::TransposeOp>(u);
    if (t && t.getInput() == v && t.getPermutation() == perm &&
        t->getBlock() == user->getBlock() && t->isBeforeInBlock(user))
      return t.getResult()[0];
  }
  OpBuilder::InsertionGuard guard(rewriter);
  if (Operation *def = v.getDefiningOp())
    rewriter.setInsertionPointAfter(def);
  else
    rewriter.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
  return createTranspose(rewriter, v.getLoc(), v, perm);
}

/// transpose(collapse_shape(s)) -> collapse_shape(transpose(s)): the
/// permutation moves whole reassociation groups.
struct TransposeThroughCollapse : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op, PatternRewriter &rewriter) const override {
    auto collapse = op.getInput().getDefiningOp<tensor::CollapseShapeOp>();
    if (!collapse)
      return failure();
    ArrayRef<int64_t> perm = op.getPermutation();
    SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
    SmallVector<int64_t> srcPerm;
    SmallVector<ReassociationIndices> newGroups;
    for (int64_t g : perm) {
      ReassociationIndices ng;
      for (int64_t d : groups[g]) {
        ng.push_back(srcPerm.size());
        srcPerm.push_back(d);
      }
      newGroups.push_back(ng);
    }
    Value t = getOrCreateTranspose(rewriter, collapse.getSrc(), srcPerm, op);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, op.getResult()[0].getType(), t,
                                                         newGroups);
    return success();
  }
};

/// The permutation of an extract_slice source that yields transpose(slice,
/// perm) when sliced: the kept dims in permuted order, then the dims the
/// slice drops (size 1).
std::optional<SmallVector<int64_t>> slicePermutation(tensor::ExtractSliceOp slice,
                                                     ArrayRef<int64_t> perm) {
  int64_t srcRank = slice.getSourceType().getRank();
  llvm::SmallBitVector dropped = slice.getDroppedDims();
  SmallVector<int64_t> kept;
  for (int64_t d = 0; d < srcRank; ++d)
    if (!dropped.test(d))
      kept.push_back(d);
  if (kept.size() != perm.size())
    return std::nullopt;
  SmallVector<int64_t> srcPerm;
  for (int64_t p : perm)
    srcPerm.push_back(kept[p]);
  for (int64_t d = 0; d < srcRank; ++d)
    if (dropped.test(d))
      srcPerm.push_back(d);
  return srcPerm;
}

/// transpose(extract_slice(x)) -> extract_slice(transpose(x)): one transpose
/// of an input shared by all its window slices (conv taps) instead of one
/// per slice. All sibling slices transposed the same way are rewritten
/// together; a lone slice only when it covers at least half of the source
/// (otherwise transposing the whole source would move more data).
struct TransposeThroughExtractSlice : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op, PatternRewriter &rewriter) const override {
    auto slice = op.getInput().getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice)
      return failure();
    Value src = slice.getSource();
    if (matchPattern(src, m_Constant()))
      return failure(); // Constant slices fold instead.
    std::optional<SmallVector<int64_t>> srcPerm = slicePermutation(slice, op.getPermutation());
    if (!srcPerm)
      return failure();
    // Siblings: other single-use slices of `src` whose transpose needs the
    // same source permutation.
    SmallVector<std::pair<linalg::TransposeOp, tensor::ExtractSliceOp>> group = {{op, slice}};
    for (Operation *u : src.getUsers()) {
      auto s2 = dyn_cast<tensor::ExtractSliceOp>(u);
      if (!s2 || s2 == slice || !s2->hasOneUse())
        continue;
      auto t2 = dyn_cast<linalg::TransposeOp>(*s2->getUsers().begin());
      if (!t2 || t2.getInput() != s2.getResult())
        continue;
      std::optional<SmallVector<int64_t>> p2 = slicePermutation(s2, t2.getPermutation());
      if (p2 && *p2 == *srcPerm)
        group.push_back({t2, s2});
    }
    int64_t srcElems = slice.getSourceType().getNumElements();
    if (group.size() < 2 && 2 * slice.getType().getNumElements() < srcElems)
      return failure();

    Value t = getOrCreateTranspose(rewriter, src, *srcPerm, op);
    auto permute = [&](ArrayRef<OpFoldResult> v) {
      SmallVector<OpFoldResult> r;
      for (int64_t d : *srcPerm)
        r.push_back(v[d]);
      return r;
    };
    for (auto [tr, sl] : group) {
      rewriter.setInsertionPoint(tr);
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          tr, cast<RankedTensorType>(tr.getResult()[0].getType()), t,
          permute(sl.getMixedOffsets()), permute(sl.getMixedSizes()),
          permute(sl.getMixedStrides()));
    }
    return success();
  }
};

/// transpose(pad(x, c)) -> pad(transpose(x), c) with permuted padding.
struct TransposeThroughPad : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op, PatternRewriter &rewriter) const override {
    auto pad = op.getInput().getDefiningOp<tensor::PadOp>();
    if (!pad)
      return failure();
    Value cst = pad.getConstantPaddingValue();
    if (!cst || ShapedType::isDynamicShape(pad.getStaticLow()) ||
        ShapedType::isDynamicShape(pad.getStaticHigh()))
      return failure();
    ArrayRef<int64_t> perm = op.getPermutation();
    SmallVector<int64_t> low, high;
    for (int64_t p : perm) {
      low.push_back(pad.getStaticLow()[p]);
      high.push_back(pad.getStaticHigh()[p]);
    }
    Value t = getOrCreateTranspose(rewriter, pad.getSource(), perm, op);
    // Reuse an identical pad of the transposed source (one per input, not
    // one per window slice).
    for (Operation *u : t.getUsers()) {
      auto other = dyn_cast<tensor::PadOp>(u);
      if (other && other.getSource() == t && other.getStaticLow() == ArrayRef<int64_t>(low) &&
          other.getStaticHigh() == ArrayRef<int64_t>(high) &&
          other.getResultType() == op.getResult()[0].getType() &&
          other->getBlock() == op->getBlock() && other->isBeforeInBlock(op)) {
        Value ocst = other.getConstantPaddingValue();
        Attribute a, b;
        if (ocst && matchPattern(ocst, m_Constant(&a)) && matchPattern(cst, m_Constant(&b)) &&
            a == b) {
          rewriter.replaceOp(op, other.getResult());
          return success();
        }
      }
    }
    // Right after the transpose, so later window slices can reuse it.
    rewriter.setInsertionPointAfterValue(t);
    auto newPad = tensor::PadOp::create(rewriter, op.getLoc(), op.getResult()[0].getType(), t,
                                        low, high, ValueRange{}, ValueRange{});
    // Body: yield the constant (defined outside the pad).
    SmallVector<Type> argTypes(perm.size(), rewriter.getIndexType());
    SmallVector<Location> argLocs(perm.size(), op.getLoc());
    Block *body = rewriter.createBlock(&newPad.getRegion(), {}, argTypes, argLocs);
    rewriter.setInsertionPointToEnd(body);
    if (cst.getParentRegion() == &pad.getRegion())
      cst = rewriter.clone(*cst.getDefiningOp())->getResult(0); // A constant in the old body.
    tensor::YieldOp::create(rewriter, op.getLoc(), cst);
    rewriter.replaceOp(op, newPad.getResult());
    return success();
  }
};

/// transpose(transpose(x)) -> transpose(x) with the composed permutation,
/// identity transposes -> x.
struct ComposeTransposes : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op, PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> perm = op.getPermutation();
    if (isIdentityPermutation(perm)) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    auto inner = op.getInput().getDefiningOp<linalg::TransposeOp>();
    if (!inner)
      return failure();
    // out[i] = mid[perm[i]] = in[innerPerm[perm[i]]].
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(inner.getPermutation()[p]);
    if (isIdentityPermutation(composed)) {
      rewriter.replaceOp(op, inner.getInput());
      return success();
    }
    rewriter.replaceOp(op, createTranspose(rewriter, op.getLoc(), inner.getInput(), composed));
    return success();
  }
};

/// transpose(arith.constant dense) -> arith.constant (transposed).
struct FoldConstantTranspose : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op, PatternRewriter &rewriter) const override {
    DenseElementsAttr attr;
    if (!matchPattern(op.getInput(), m_Constant(&attr)))
      return failure();
    auto outType = tensorType(op.getResult()[0]);
    DenseElementsAttr folded;
    if (attr.isSplat()) {
      folded = attr.resizeSplat(outType);
    } else {
      ArrayRef<int64_t> perm = op.getPermutation();
      SmallVector<int64_t> inStrides = computeStrides(attr.getType().getShape());
      SmallVector<int64_t> outStrides = computeStrides(outType.getShape());
      int64_t numElements = outType.getNumElements();
      // out[idx] = in[j] with j[perm[i]] = idx[i].
      auto source = [&](int64_t lin) {
        SmallVector<int64_t> idx = delinearize(lin, outStrides);
        int64_t src = 0;
        for (size_t i = 0; i < perm.size(); ++i)
          src += idx[i] * inStrides[perm[i]];
        return src;
      };
      unsigned bits = outType.getElementTypeBitWidth();
      if (bits % 8 == 0 && !isa<ComplexType>(outType.getElementType())) {
        // Byte-wise permutation of the raw storage: weights can be large.
        size_t bytes = bits / 8;
        ArrayRef<char> raw = attr.getRawData();
        SmallVector<char> buffer(raw.size());
        for (int64_t lin = 0; lin < numElements; ++lin)
          std::memcpy(buffer.data() + lin * bytes, raw.data() + source(lin) * bytes, bytes);
        folded = DenseElementsAttr::getFromRawBuffer(outType, buffer);
      } else {
        SmallVector<Attribute> in(attr.getValues<Attribute>());
        SmallVector<Attribute> out(numElements);
        for (int64_t lin = 0; lin < numElements; ++lin)
          out[lin] = in[source(lin)];
        folded = DenseElementsAttr::get(outType, out);
      }
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, outType, folded);
    return success();
  }
};

/// transpose(v) where v's single-use producer can write the transposed
/// layout directly.
struct AbsorbTransposeIntoProducer : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op, PatternRewriter &rewriter) const override {
    Value v = relayoutProducer(rewriter, op.getInput(), op.getPermutation());
    if (!v)
      return failure();
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// An element-wise generic reading an operand through a full permutation
/// map: read a transpose op's source directly (composing the maps), or make
/// a single-use producer write the permuted layout and read it through the
/// identity.
struct PropagateIntoElementwise : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g, PatternRewriter &rewriter) const override {
    if (!g.hasPureTensorSemantics() || g.getNumReductionLoops() != 0 || g.getNumDpsInits() != 1)
      return failure();
    SmallVector<AffineMap> maps = g.getIndexingMapsArray();
    for (OpOperand *operand : g.getDpsInputOperands()) {
      unsigned idx = operand->getOperandNumber();
      AffineMap m = maps[idx];
      Value v = operand->get();
      // Read through a transpose: in[map(d)] with in = transpose(src, p)
      // is src[x] with x[p[i]] = map(d)[i].
      if (auto t = v.getDefiningOp<linalg::TransposeOp>()) {
        if (!m.isProjectedPermutation())
          continue;
        ArrayRef<int64_t> p = t.getPermutation();
        SmallVector<AffineExpr> srcExprs(p.size());
        for (size_t i = 0; i < p.size(); ++i)
          srcExprs[p[i]] = m.getResult(i);
        maps[idx] = AffineMap::get(m.getNumDims(), 0, srcExprs, rewriter.getContext());
        rewriter.modifyOpInPlace(g, [&] {
          operand->set(t.getInput());
          g.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
        });
        return success();
      }
      if (!m.isPermutation() || m.isIdentity())
        continue;
      // operand[m(d)]: the producer writes V' = transpose(V, perm) with
      // V'[d] = V[m(d)], i.e. perm = m's inverse.
      SmallVector<int64_t> perm(m.getNumResults());
      for (unsigned j = 0; j < m.getNumResults(); ++j)
        perm[m.getDimPosition(j)] = j;
      Value nv = relayoutProducer(rewriter, v, perm);
      if (!nv)
        continue;
      maps[idx] = AffineMap::getMultiDimIdentityMap(m.getNumDims(), rewriter.getContext());
      rewriter.modifyOpInPlace(g, [&] {
        operand->set(nv);
        g.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
      });
      return success();
    }
    return failure();
  }
};

struct TrnLayoutPass : trn::impl::TrnLayoutPassBase<TrnLayoutPass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    MLIRContext *ctx = &getContext();

    SmallVector<linalg::LinalgOp> contractions;
    root->walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op))
        contractions.push_back(op);
    });
    IRRewriter rewriter(ctx);
    bool ok = true;
    for (linalg::LinalgOp op : contractions) {
      if (!op.hasPureTensorSemantics()) {
        op->emitError() << "'" << op->getName()
                        << "' op cannot be brought to device form by trn-layout: operands must "
                           "be tensors";
        ok = false;
        continue;
      }
      if (failed(toDeviceForm(rewriter, op)))
        ok = false;
    }
    if (!ok)
      return signalPassFailure();

    RewritePatternSet patterns(ctx);
    patterns.add<ComposeTransposes, FoldConstantTranspose, AbsorbTransposeIntoProducer,
                 PropagateIntoElementwise, TransposeThroughCollapse,
                 TransposeThroughExtractSlice, TransposeThroughPad>(ctx);
    // Static slices of constants (e.g. conv filter taps) fold, so their
    // transposes fold too.
    tensor::populateFoldConstantExtractSlicePatterns(
        patterns, [](tensor::ExtractSliceOp) { return true; });
    if (failed(applyPatternsGreedily(root, std::move(patterns)))) {
      root->emitError() << "trn-layout: layout propagation did not converge";
      return signalPassFailure();
    }
    root->walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) && !isDeviceForm(op)) {
        op->emitError() << "trn-layout: contraction is not in device form after layout";
        ok = false;
      }
    });
    if (!ok)
      signalPassFailure();
  }
};

} // namespace
