//===- Tile.cpp - trn-tile: TilingInterface tiling with producer fusion ---===//
//
// Tiles every compute root (matmul, element-wise generic, reduce) with
// scf::tileConsumerAndFuseProducersUsingSCF into scf.for loops whose tile
// sizes come from the target model: matmul M <= maxStationaryFree, N <=
// maxMovingFree (one PSUM bank), K untiled; element-wise/reduce ops <= the
// partition count on the partition dim and a free-size budget elsewhere.
// Element-wise consumers of a matmul are fused into the matmul's loop by
// tiling the last consumer of the chain and fusing its producers.
//
// Tap chains (a convolution decomposed into per-tap matmuls, each
// accumulating through its `outs` into the previous one, the first into a
// view of the conv's fill) become one fusion group: the chain is rewritten to
// start from a fresh f32 zero fill and to end in an element-wise eviction
// generic `out = acc + fill value` writing the original accumulator view, so
// the eviction is the root and all taps, their fill and the eviction share
// one (M, N) tile loop whose accumulator is one PSUM tile (trn-place-memory)
// that every tap's matmuls accumulate into (trn-lower-to-trn). The conv's
// own fill is dropped when the evictions overwrite all of it. Matmuls that
// read collapsed convolution windows tile N by whole output rows, and taps
// over few channels are stacked g = partitions / C per matmul (packTaps), so
// trn-lower-to-trn loads every moving tile straight from the input.
//
// Loops whose step does not divide the trip range are peeled so that every
// tile has a static shape (stage-4 contract); single-iteration loops are kept
// (they delimit the on-chip scope of a fused tile) but their induction
// variable is replaced by its constant value.
//
//===----------------------------------------------------------------------===//

#include "MatmulBlocking.h"
#include "TileUtils.h"
#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::trn {
#define GEN_PASS_DEF_TRNTILEPASS
#include "trn/Transforms/Passes.h.inc"
} // namespace mlir::trn

using namespace mlir;
using namespace mlir::trn;
using namespace mlir::trn::tileutils;

static constexpr StringLiteral kPeeledAttr = "trn.peeled";

namespace {

/// A root op and the producers fused into its tile loop.
struct FusionGroup {
  linalg::LinalgOp root;
  llvm::SetVector<Operation *> members; // fused producers (not the root)
  bool hasContraction = false;
  /// Output row length of the convolution windows every contraction of the
  /// group reads as its moving operand (windowRowLength), 0 if none/mixed.
  int64_t windowRow = -1;
};

class TrnTilePass : public trn::impl::TrnTilePassBase<TrnTilePass> {
public:
  using Base::Base;
  void runOnOperation() override {
    for (func::FuncOp func : llvm::make_early_inc_range(getOperation().getOps<func::FuncOp>()))
      if (!func.isExternal())
        runOnFunction(func);
  }
  void runOnFunction(func::FuncOp func);

private:
  LogicalResult tileGroup(FusionGroup &group, const trnrt::Target &target);
  SmallVector<int64_t> tileSizes(FusionGroup &group, const trnrt::Target &target);
};

} // namespace

static bool isTileRoot(Operation *op) {
  auto l = dyn_cast<linalg::LinalgOp>(op);
  if (!l || !l.hasPureTensorSemantics())
    return false;
  return isDeviceContraction(l) || isElementwiseGeneric(op) || isa<linalg::ReduceOp>(op);
}

/// Element-wise/contraction producer `producer` of `consumer`'s operand
/// `operand` may be fused when it has a single use, and the consumer reads it
/// with its own result map (so both share one on-chip layout).
static bool canFuseProducer(linalg::LinalgOp consumer, OpOperand &operand,
                            linalg::LinalgOp producer) {
  if (!producer.hasPureTensorSemantics() || producer->getNumResults() != 1 ||
      !producer->getResult(0).hasOneUse())
    return false;
  if (!isDeviceContraction(producer) && !isElementwiseGeneric(producer))
    return false;
  if (consumer.isDpsInit(&operand))
    return false;
  AffineMap consumerMap = consumer.getMatchingIndexingMap(&operand);
  AffineMap consumerOut = consumer.getIndexingMapsArray().back();
  if (consumerMap != consumerOut)
    return false;
  // The producer's result dims are its leading loop dims in order (identity
  // for element-wise ops, (b.., m, n) for a contraction).
  AffineMap producerOut = producer.getIndexingMapsArray().back();
  for (unsigned i = 0; i < producerOut.getNumResults(); ++i)
    if (!isa<AffineDimExpr>(producerOut.getResult(i)) || producerOut.getDimPosition(i) != i)
      return false;
  return true;
}

/// The output row length OW when the moving operand of the device-form
/// contraction `op` is a convolution window with its positions collapsed,
/// `collapse_shape(W [C, OH, OW]) [[0], [1, 2]]` (trn-decompose's Xwin, or a
/// stack of windows), else 0. An N tile made of whole rows of such an operand
/// is one strided [C, rows, OW] box of W, which trn-lower-to-trn reads
/// straight from the window's source (LowerMatmul.cpp).
static int64_t windowRowLength(linalg::LinalgOp op) {
  if (!isDeviceContraction(op) || isMxContraction(op) || op.getNumLoops() != 3)
    return 0;
  auto c = op.getDpsInputOperand(1)->get().getDefiningOp<tensor::CollapseShapeOp>();
  if (!c || c.getSrcType().getRank() != 3 || c.getResultType().getRank() != 2)
    return 0;
  SmallVector<ReassociationIndices> re = c.getReassociationIndices();
  if (re.size() != 2 || re[0] != ReassociationIndices{0} || re[1] != ReassociationIndices{1, 2})
    return 0;
  return c.getSrcType().getDimSize(2);
}

/// Records `op`'s window row length in `group` (0 once two disagree).
static void noteWindowRow(FusionGroup &group, linalg::LinalgOp op) {
  int64_t row = windowRowLength(op);
  group.windowRow = group.windowRow < 0 || group.windowRow == row ? row : 0;
}

/// `prev` -> `next` is a link of a tap chain: both are (non-blocked)
/// device-form contractions of the same kind, maps and result type, and
/// `prev`'s result has a single use, as `next`'s accumulator (`outs`).
static bool isChainLink(linalg::LinalgOp prev, linalg::LinalgOp next) {
  if (!prev || !next || !prev.hasPureTensorSemantics() || !next.hasPureTensorSemantics())
    return false;
  if (!isDeviceContraction(prev) || !isDeviceContraction(next) ||
      isMxContraction(prev) != isMxContraction(next) ||
      prev->getName() != next->getName() || blocking::hasPlan(prev) || blocking::hasPlan(next))
    return false;
  if (prev->getNumResults() != 1 || !prev->getResult(0).hasOneUse() ||
      prev->getResult(0).getType() != next->getResult(0).getType())
    return false;
  if (next.getNumDpsInits() != 1 || next.getDpsInitOperand(0)->get() != prev->getResult(0))
    return false;
  return prev.getIndexingMapsArray() == next.getIndexingMapsArray();
}

/// The contractions accumulating into `last` through their `outs`, first tap
/// first, `last` included. Stops at ops in `claimed`.
static SmallVector<linalg::LinalgOp>
accumulationChain(linalg::LinalgOp last, const llvm::DenseSet<Operation *> &claimed) {
  SmallVector<linalg::LinalgOp> chain{last};
  while (true) {
    auto prev = chain.back().getDpsInitOperand(0)->get().getDefiningOp<linalg::LinalgOp>();
    if (!prev || claimed.contains(prev) || !isChainLink(prev, chain.back()))
      break;
    chain.push_back(prev);
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

static void collectGroup(FusionGroup &group, linalg::LinalgOp op,
                         const llvm::DenseSet<Operation *> &claimed) {
  for (OpOperand &operand : op->getOpOperands()) {
    Operation *def = operand.get().getDefiningOp();
    if (!def || claimed.contains(def) || group.members.contains(def))
      continue;
    if (isa<linalg::FillOp>(def) && op.isDpsInit(&operand)) {
      group.members.insert(def);
      continue;
    }
    auto producer = dyn_cast<linalg::LinalgOp>(def);
    if (!producer || !isElementwiseGeneric(op) || !canFuseProducer(op, operand, producer))
      continue;
    group.members.insert(def);
    if (isDeviceContraction(producer)) {
      group.hasContraction = true;
      // A tap chain accumulating into `producer` joins the group when it
      // starts from a fill (formTapChains): all taps share one PSUM tile.
      SmallVector<linalg::LinalgOp> chain = accumulationChain(producer, claimed);
      linalg::LinalgOp first = chain.front();
      if (chain.size() > 1 && first.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>())
        for (linalg::LinalgOp tap : ArrayRef(chain).drop_back())
          group.members.insert(tap);
      else
        first = producer;
      for (linalg::LinalgOp tap : chain)
        if (group.members.contains(tap))
          noteWindowRow(group, tap);
      // Fuse the accumulator initialisation (linalg.fill) as well.
      for (OpOperand &init : first.getDpsInitsMutable())
        if (auto fill = init.get().getDefiningOp<linalg::FillOp>())
          group.members.insert(fill);
      continue;
    }
    collectGroup(group, producer, claimed);
  }
}

/// Largest power of two <= v (v >= 1).
static int64_t floorPow2(int64_t v) {
  int64_t p = 1;
  while (p * 2 <= v)
    p *= 2;
  return p;
}

SmallVector<int64_t> TrnTilePass::tileSizes(FusionGroup &group, const trnrt::Target &target) {
  linalg::LinalgOp root = group.root;
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  unsigned n = root.getNumLoops();
  SmallVector<int64_t> sizes(n, 0);
  std::optional<unsigned> pDim = partitionLoopDim(root);
  if (!pDim)
    return sizes;

  // Free-element budget per partition for one tile of each operand: a 16th of
  // the SBUF partition leaves room for all operands, temporaries and several
  // tiles in flight (rotation).
  int64_t maxElemBytes = 1;
  for (Value v : root->getOperands())
    if (auto t = dyn_cast<ShapedType>(v.getType()))
      maxElemBytes = std::max<int64_t>(maxElemBytes, (t.getElementTypeBitWidth() + 7) / 8);
  int64_t budget = floorPow2(std::max<int64_t>(
      1, static_cast<int64_t>(target.sbufBytesPerPartition / 16) / maxElemBytes));
  budget = std::min<int64_t>(budget, target.maxApSize);

  auto iters = root.getIteratorTypesArray();
  bool contraction = isDeviceContraction(root) || group.hasContraction;
  if (iters[*pDim] != utils::IteratorType::parallel)
    return sizes; // full reduction: reduced dims are never tiled
  sizes[*pDim] = contraction ? std::min<int64_t>(target.maxStationaryFree, target.numPartitions)
                             : target.numPartitions;

  // Free dims in result order, innermost first get the budget.
  AffineMap out = root.getIndexingMapsArray().back();
  SmallVector<unsigned> freeDims;
  if (auto red = dyn_cast<linalg::ReduceOp>(root.getOperation())) {
    int64_t reducedElems = 1;
    for (int64_t d : red.getDimensions())
      reducedElems *= ranges[d];
    budget = std::max<int64_t>(1, budget / std::max<int64_t>(1, reducedElems));
    for (unsigned d = 0; d < n; ++d)
      if (d != *pDim && iters[d] == utils::IteratorType::parallel)
        freeDims.push_back(d);
  } else {
    for (unsigned r = 0; r < out.getNumResults(); ++r) {
      unsigned d = out.getDimPosition(r);
      if (d != *pDim && iters[d] == utils::IteratorType::parallel)
        freeDims.push_back(d);
    }
  }
  if (contraction) {
    // N (result dim rank-1) <= the moving free limit; batch dims tile by 1.
    // Convolution windows tile by whole output rows so that every moving
    // tile is one strided box of the window's source.
    unsigned nDim = out.getDimPosition(out.getNumResults() - 1);
    if (isDeviceContraction(root))
      noteWindowRow(group, root);
    int64_t nTile = matmulMaxN(target);
    if (group.windowRow > 0 && group.windowRow <= nTile)
      nTile -= nTile % group.windowRow;
    for (unsigned d : freeDims)
      sizes[d] = d == nDim ? nTile : 1;
    return sizes;
  }
  int64_t remaining = budget;
  for (unsigned d : llvm::reverse(freeDims)) {
    int64_t t = std::max<int64_t>(1, std::min(ranges[d], remaining));
    sizes[d] = t;
    remaining = std::max<int64_t>(1, remaining / t);
  }
  return sizes;
}

LogicalResult TrnTilePass::tileGroup(FusionGroup &group, const trnrt::Target &target) {
  SmallVector<int64_t> sizes = tileSizes(group, target);
  if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
    return success(); // rank-0 / full reduction: handled untiled by the lowering

  IRRewriter rewriter(group.root->getContext());
  rewriter.setInsertionPoint(group.root);
  scf::SCFTilingOptions tilingOptions;
  tilingOptions.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  tilingOptions.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tilingOptions);
  llvm::SetVector<Operation *> &members = group.members;
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer,
          bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (!members.contains(producer.getOwner()))
          return std::nullopt;
        return scf::SCFTileAndFuseOptions::ControlFnResult{};
      });
  FailureOr<scf::SCFTileAndFuseResult> result = scf::tileConsumerAndFuseProducersUsingSCF(
      rewriter, cast<TilingInterface>(group.root.getOperation()), options);
  if (failed(result))
    return group.root->emitOpError("could not be tiled with TilingInterface");
  for (OpResult res : group.root->getResults()) {
    auto it = result->replacements.find(res);
    if (it != result->replacements.end())
      rewriter.replaceAllUsesWith(res, it->second);
  }
  rewriter.eraseOp(group.root);
  // Erase fused producers that became dead (in reverse program order).
  SmallVector<Operation *> dead(members.begin(), members.end());
  llvm::sort(dead, [](Operation *a, Operation *b) { return b->isBeforeInBlock(a); });
  for (Operation *op : dead)
    if (op->use_empty())
      rewriter.eraseOp(op);
  return success();
}

/// Clones the device-form (non-MX) contraction `op` before `op` with
/// accumulator `wideInit` (an f32 tensor) and an f32 result; the body extends
/// the operands to f32 and accumulates in f32.
static Operation *widenContraction(RewriterBase &rewriter, linalg::LinalgOp op, Value wideInit) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  Type f32 = rewriter.getF32Type();
  Operation *wide = rewriter.clone(*op.getOperation());
  wide->setOperand(op.getDpsInitOperand(0)->getOperandNumber(), wideInit);
  wide->getResult(0).setType(wideInit.getType());
  auto wideOp = cast<linalg::LinalgOp>(wide);
  Block *body = wideOp.getBlock();
  body->getArgument(body->getNumArguments() - 1).setType(f32);
  Operation *yield = body->getTerminator();
  Value acc = body->getArgument(body->getNumArguments() - 1);
  rewriter.setInsertionPoint(yield);
  Value a = body->getArgument(0), b = body->getArgument(1);
  if (a.getType() != f32)
    a = arith::ExtFOp::create(rewriter, loc, f32, a);
  if (b.getType() != f32)
    b = arith::ExtFOp::create(rewriter, loc, f32, b);
  Value mul = arith::MulFOp::create(rewriter, loc, a, b);
  Value add = arith::AddFOp::create(rewriter, loc, acc, mul);
  SmallVector<Operation *> old;
  for (Operation &o : body->without_terminator())
    old.push_back(&o);
  yield->setOperand(0, add);
  for (Operation *o : llvm::reverse(old))
    if (o->use_empty())
      rewriter.eraseOp(o);
  return wide;
}

/// Whether two static, unit-stride slices of the same tensor touch disjoint
/// regions (some dim's ranges do not overlap).
static bool disjointSlices(OffsetSizeAndStrideOpInterface a, OffsetSizeAndStrideOpInterface b) {
  ArrayRef<int64_t> ao = a.getStaticOffsets(), as = a.getStaticSizes();
  ArrayRef<int64_t> bo = b.getStaticOffsets(), bs = b.getStaticSizes();
  if (!a.hasUnitStride() || !b.hasUnitStride() || ao.size() != bo.size() ||
      ShapedType::isDynamicShape(ao) || ShapedType::isDynamicShape(as) ||
      ShapedType::isDynamicShape(bo) || ShapedType::isDynamicShape(bs))
    return false;
  for (size_t d = 0; d < ao.size(); ++d)
    if (ao[d] + as[d] <= bo[d] || bo[d] + bs[d] <= ao[d])
      return true;
  return false;
}

/// Follows tensor view ops (extract_slice, collapse/expand_shape) from `v`
/// back to the linalg.fill they view, if any.
static linalg::FillOp fillThroughViews(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto fill = dyn_cast<linalg::FillOp>(def))
      return fill;
    if (auto s = dyn_cast<tensor::ExtractSliceOp>(def)) {
      // Skip insert_slices that wrote a region disjoint from this slice
      // (the previous images/groups of a convolution).
      v = s.getSource();
      while (auto ins = v.getDefiningOp<tensor::InsertSliceOp>()) {
        if (!disjointSlices(s, ins))
          return {};
        v = ins.getDest();
      }
    } else if (auto c = dyn_cast<tensor::CollapseShapeOp>(def)) {
      v = c.getSrc();
    } else if (auto e = dyn_cast<tensor::ExpandShapeOp>(def)) {
      v = e.getSrc();
    } else {
      return {};
    }
  }
  return {};
}

/// Whether `v` reaches, through single-use reshapes, only the `outs` of an
/// eviction generic in `evictions` (which never reads it).
static bool onlyEvictionDest(Value v, const llvm::DenseSet<Operation *> &evictions) {
  while (v.hasOneUse()) {
    OpOperand &use = *v.use_begin();
    Operation *user = use.getOwner();
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(user)) {
      v = user->getResult(0);
      continue;
    }
    auto g = dyn_cast<linalg::GenericOp>(user);
    return g && evictions.contains(g) && g.isDpsInit(&use) &&
           !g.payloadUsesValueFromOperand(&use);
  }
  return false;
}

/// Whether `v` is (a reshape of) the result of an eviction in `evictions`.
static bool isEvictionResult(Value v, const llvm::DenseSet<Operation *> &evictions) {
  while (Operation *def = v.getDefiningOp()) {
    if (evictions.contains(def))
      return true;
    if (auto c = dyn_cast<tensor::CollapseShapeOp>(def))
      v = c.getSrc();
    else if (auto e = dyn_cast<tensor::ExpandShapeOp>(def))
      v = e.getSrc();
    else
      return false;
  }
  return false;
}

/// The conv's fill `F` is dead when tap-chain evictions overwrite all of it:
/// F -> insert_slice I1 -> insert_slice I2 ..., where each Ik writes (a
/// reshape of) an eviction's result into the region that the eviction's
/// `outs` views (extract_slice of the same tensor, same offsets and sizes),
/// and the regions are disjoint and cover F. Then F's uses take F's
/// destination instead, saving the HBM memset of the whole output.
static void dropOverwrittenFill(linalg::FillOp fill, const llvm::DenseSet<Operation *> &evictions) {
  auto type = dyn_cast<RankedTensorType>(fill->getResult(0).getType());
  if (!type || !type.hasStaticShape())
    return;
  SmallVector<std::pair<SmallVector<int64_t>, SmallVector<int64_t>>> boxes;
  Value cur = fill->getResult(0);
  while (true) {
    tensor::ExtractSliceOp slice;
    tensor::InsertSliceOp insert;
    unsigned uses = 0;
    for (OpOperand &use : cur.getUses()) {
      ++uses;
      if (auto s = dyn_cast<tensor::ExtractSliceOp>(use.getOwner()); s && !slice)
        slice = s;
      else if (auto i = dyn_cast<tensor::InsertSliceOp>(use.getOwner());
               i && !insert && use.getOperandNumber() == 1)
        insert = i;
    }
    if (!insert) {
      if (cur != fill->getResult(0))
        break; // the final value: any uses
      // No insert_slice: the conv's result left through a reshape of the
      // eviction (trn-decompose folds one image's full-size insert_slice),
      // so F is dead when its only use is a view that an eviction fully
      // overwrites.
      if (uses != 1 || !slice || !onlyEvictionDest(slice.getResult(), evictions) ||
          !slice.hasUnitStride() || ShapedType::isDynamicShape(slice.getStaticSizes()))
        return;
      boxes.push_back({llvm::to_vector(slice.getStaticOffsets()),
                       llvm::to_vector(slice.getStaticSizes())});
      break;
    }
    if (uses != 2)
      return; // the fill's value (or a partly written state) is read elsewhere
    if (!slice || !onlyEvictionDest(slice.getResult(), evictions) ||
        !isEvictionResult(insert.getSource(), evictions))
      return;
    if (!slice.hasUnitStride() || !insert.hasUnitStride() ||
        slice.getStaticOffsets() != insert.getStaticOffsets() ||
        slice.getStaticSizes() != insert.getStaticSizes() ||
        ShapedType::isDynamicShape(slice.getStaticOffsets()) ||
        ShapedType::isDynamicShape(slice.getStaticSizes()))
      return;
    boxes.push_back({llvm::to_vector(slice.getStaticOffsets()),
                     llvm::to_vector(slice.getStaticSizes())});
    cur = insert.getResult();
  }
  // Disjoint boxes whose volumes add up to the tensor's cover it.
  int64_t covered = 0;
  for (size_t i = 0; i < boxes.size(); ++i) {
    int64_t vol = 1;
    for (int64_t s : boxes[i].second)
      vol *= s;
    covered += vol;
    for (size_t j = 0; j < i; ++j) {
      bool overlap = true;
      for (size_t d = 0; d < boxes[i].first.size(); ++d) {
        int64_t a0 = boxes[i].first[d], a1 = a0 + boxes[i].second[d];
        int64_t b0 = boxes[j].first[d], b1 = b0 + boxes[j].second[d];
        overlap &= a0 < b1 && b0 < a1;
      }
      if (overlap)
        return;
    }
  }
  if (boxes.empty() || covered != type.getNumElements())
    return;
  IRRewriter rewriter(fill->getContext());
  rewriter.replaceAllUsesWith(fill->getResult(0), fill.getDpsInitOperand(0)->get());
  rewriter.eraseOp(fill);
}

/// The function's maximal accumulation chains of (non-blocked) device
/// contractions, first tap first, the last chain in program order first
/// (single contractions are chains of one).
static SmallVector<SmallVector<linalg::LinalgOp>> tapChains(func::FuncOp func) {
  SmallVector<linalg::LinalgOp> contractions;
  for (Operation &op : func.getBody().front())
    if (auto l = dyn_cast<linalg::LinalgOp>(&op);
        l && l.hasPureTensorSemantics() && isDeviceContraction(l) && !blocking::hasPlan(l))
      contractions.push_back(l);
  llvm::DenseSet<Operation *> seen;
  const llvm::DenseSet<Operation *> none;
  SmallVector<SmallVector<linalg::LinalgOp>> chains;
  for (linalg::LinalgOp last : llvm::reverse(contractions)) {
    if (seen.contains(last))
      continue;
    chains.push_back(accumulationChain(last, none));
    for (linalg::LinalgOp tap : chains.back())
      seen.insert(tap);
  }
  return chains;
}

/// Tap chains T1 -> ... -> Tn (isChainLink) whose first accumulator `v` is a
/// (view of a) constant fill `c` are rewritten so that the whole chain can
/// live in one PSUM tile: T1 accumulates into a fresh f32 zero fill, every
/// tap accumulates in f32 (bf16 chains are widened), and an element-wise
/// eviction generic `out = acc + c` (rounded to v's type) into `v` replaces
/// Tn's result. The eviction generic is the tile root (collectGroup pulls the
/// chain in). Chains whose first accumulator is anything else keep their form.
static void formTapChains(func::FuncOp func) {
  llvm::SetVector<linalg::FillOp> viewedFills;
  llvm::DenseSet<Operation *> evictions;
  for (SmallVector<linalg::LinalgOp> &chain : tapChains(func)) {
    linalg::LinalgOp last = chain.back();
    // A convolution with one (1x1, or packTaps-stacked) tap is a chain too:
    // evicting into the output view beats loading and re-adding the fill.
    if (chain.size() < 2 && windowRowLength(last) == 0)
      continue;
    Value v = chain.front().getDpsInitOperand(0)->get();
    linalg::FillOp fill = fillThroughViews(v);
    if (!fill)
      continue;
    auto cst = fill.getDpsInputOperand(0)->get().getDefiningOp<arith::ConstantOp>();
    auto cAttr = cst ? dyn_cast<FloatAttr>(cst.getValue()) : FloatAttr();
    auto type = cast<RankedTensorType>(last->getResult(0).getType());
    bool mx = isMxContraction(last);
    if (!cAttr || (mx && !type.getElementType().isF32()))
      continue;

    IRRewriter rewriter(func.getContext());
    linalg::LinalgOp first = chain.front();
    rewriter.setInsertionPoint(first);
    Location loc = first.getLoc();
    Type f32 = rewriter.getF32Type();
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0.0f));
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(), f32);
    Value acc = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    SmallVector<Operation *> replaced;
    for (linalg::LinalgOp tap : chain) {
      if (type.getElementType().isF32()) {
        rewriter.modifyOpInPlace(tap, [&] { tap.getDpsInitOperand(0)->set(acc); });
        acc = tap->getResult(0);
        continue;
      }
      Operation *wide = widenContraction(rewriter, tap, acc);
      acc = wide->getResult(0);
      replaced.push_back(tap);
    }
    // Eviction: out = acc + c, rounded once to the accumulator's type.
    rewriter.setInsertionPointAfter(acc.getDefiningOp());
    Location lastLoc = last.getLoc();
    unsigned rank = type.getRank();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    double c = cAttr.getValueAsDouble();
    Type elem = type.getElementType();
    // The eviction does not read its `outs`: a direct fill is not needed
    // (its destination is), a view of a fill keeps the conv's buffer.
    Value dest = v == fill->getResult(0) ? fill.getDpsInitOperand(0)->get() : v;
    auto evict = linalg::GenericOp::create(
        rewriter, lastLoc, TypeRange{type}, ValueRange{acc}, ValueRange{dest},
        ArrayRef<AffineMap>{id, id}, iters, [&](OpBuilder &b, Location l, ValueRange args) {
          Value cv = arith::ConstantOp::create(b, l, b.getF32FloatAttr(static_cast<float>(c)));
          Value r = arith::AddFOp::create(b, l, args[0], cv);
          if (elem != f32)
            r = arith::TruncFOp::create(b, l, elem, r);
          linalg::YieldOp::create(b, l, r);
        });
    rewriter.replaceAllUsesExcept(last->getResult(0), evict.getResult(0), evict);
    // Widened taps: the originals are dead now (each was used only by the
    // next original tap or, for the last, by the eviction's users).
    for (Operation *op : llvm::reverse(replaced))
      rewriter.eraseOp(op);
    if (fill->use_empty())
      rewriter.eraseOp(fill);
    else
      viewedFills.insert(fill);
    evictions.insert(evict);
  }
  for (linalg::FillOp fill : viewedFills)
    dropOverwrittenFill(fill, evictions);
}

/// The constant (dense attribute) `v` is defined by, if any.
static DenseElementsAttr constantOf(Value v) {
  DenseElementsAttr attr;
  if (auto c = v.getDefiningOp<arith::ConstantOp>())
    attr = dyn_cast<DenseElementsAttr>(c.getValue());
  return attr;
}

/// Tap packing: a tap chain whose taps contract over few channels (C <
/// partitions, e.g. a network's RGB stem: C = 3, 49 taps) wastes the PE
/// array's rows and pays one matmul per tap. Runs of g = partitions / C
/// consecutive taps become one matmul contracting g*C rows: the stationary
/// operands (constant filter taps [C, M]) are stacked at compile time, the
/// moving windows with tensor.concat along the channel dim before the
/// collapse, so the matmul still reads a collapsed window stack (which
/// trn-lower-to-trn loads with one DMA per regular run of windows).
/// Applies to linalg.matmul taps with constant filters, f32/bf16 operands and
/// collapsed-window moving operands (windowRowLength) of one shape.
static void packTaps(func::FuncOp func, const trnrt::Target &target) {
  for (SmallVector<linalg::LinalgOp> &chain : tapChains(func)) {
    if (chain.size() < 2 || !llvm::all_of(chain, [](linalg::LinalgOp t) {
          return isa<linalg::MatmulOp>(t.getOperation()) && windowRowLength(t) > 0 &&
                 constantOf(t.getDpsInputOperand(0)->get());
        }))
      continue;
    auto rType = cast<RankedTensorType>(chain.front().getDpsInputOperand(1)->get().getType());
    auto lType = cast<RankedTensorType>(chain.front().getDpsInputOperand(0)->get().getType());
    auto isWide = [](Type t) { return t.isF32() || t.isBF16(); };
    bool uniform = llvm::all_of(chain, [&](linalg::LinalgOp t) {
      return t.getDpsInputOperand(1)->get().getType() == rType &&
             t.getDpsInputOperand(0)->get().getType() == lType;
    });
    const int64_t C = rType.getDimSize(0);
    const int64_t g = static_cast<int64_t>(target.numPartitions) / C;
    if (!uniform || g < 2 || !isWide(lType.getElementType()) || !isWide(rType.getElementType()))
      continue;
    IRRewriter rewriter(func.getContext());
    for (size_t b = 0; b + 1 < chain.size(); b += g) {
      ArrayRef<linalg::LinalgOp> pack = ArrayRef(chain).slice(b, std::min<size_t>(g, chain.size() - b));
      if (pack.size() < 2)
        break;
      const int64_t n = static_cast<int64_t>(pack.size());
      // Stationary: the filter taps stacked along K (row-major, so the
      // element lists concatenate).
      SmallVector<Attribute> values;
      SmallVector<Value> windows;
      for (linalg::LinalgOp tap : pack) {
        llvm::append_range(values, constantOf(tap.getDpsInputOperand(0)->get()).getValues<Attribute>());
        windows.push_back(
            tap.getDpsInputOperand(1)->get().getDefiningOp<tensor::CollapseShapeOp>().getSrc());
      }
      linalg::LinalgOp first = pack.front(), lastTap = pack.back();
      rewriter.setInsertionPoint(lastTap);
      Location loc = lastTap.getLoc();
      auto stType = RankedTensorType::get({n * C, lType.getDimSize(1)}, lType.getElementType());
      Value st = arith::ConstantOp::create(rewriter, loc, DenseElementsAttr::get(stType, values));
      Value stack = tensor::ConcatOp::create(rewriter, loc, /*dim=*/0, windows);
      auto srcType = cast<RankedTensorType>(stack.getType());
      Value mv = tensor::CollapseShapeOp::create(
          rewriter, loc,
          RankedTensorType::get({srcType.getDimSize(0), srcType.getDimSize(1) * srcType.getDimSize(2)},
                                srcType.getElementType()),
          stack, SmallVector<ReassociationIndices>{{0}, {1, 2}});
      Operation *packed = rewriter.clone(*lastTap.getOperation());
      auto pl = cast<linalg::LinalgOp>(packed);
      packed->setOperand(pl.getDpsInputOperand(0)->getOperandNumber(), st);
      packed->setOperand(pl.getDpsInputOperand(1)->getOperandNumber(), mv);
      packed->setOperand(pl.getDpsInitOperand(0)->getOperandNumber(),
                         first.getDpsInitOperand(0)->get());
      rewriter.replaceOp(lastTap, packed->getResults());
      for (linalg::LinalgOp tap : llvm::reverse(pack.drop_back()))
        rewriter.eraseOp(tap);
    }
  }
}

/// A device-form contraction whose result type is not f32 (bf16) and whose
/// accumulator is initialised by a constant fill is rewritten to accumulate
/// into an f32 tensor followed by an element-wise truncf: PSUM accumulates in
/// f32 and the result is rounded once, when the (fusable) truncf evicts it.
static void widenAccumulators(func::FuncOp func) {
  SmallVector<linalg::LinalgOp> todo;
  func.walk([&](linalg::LinalgOp op) {
    if (!op.hasPureTensorSemantics() || !isDeviceContraction(op))
      return;
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    if (blocking::hasPlan(op))
      return; // blocked GEMMs accumulate in f32 and round on eviction themselves
    if (!type.getElementType().isF32() && op.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>())
      todo.push_back(op);
  });
  for (linalg::LinalgOp op : todo) {
    IRRewriter rewriter(op->getContext());
    rewriter.setInsertionPoint(op);
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    auto fill = op.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
    Type f32 = rewriter.getF32Type();
    Value value = fill.getDpsInputOperand(0)->get();
    if (value.getType() != f32)
      value = arith::ExtFOp::create(rewriter, loc, f32, value);
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(), f32);
    Value wideInit = linalg::FillOp::create(rewriter, loc, value, empty).getResult(0);
    Operation *wide = widenContraction(rewriter, op, wideInit);
    // Round once: out = truncf(wide).
    rewriter.setInsertionPointAfter(wide);
    Value outEmpty = tensor::EmptyOp::create(rewriter, loc, type.getShape(), type.getElementType());
    unsigned rank = type.getRank();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto trunc = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{wide->getResult(0)}, ValueRange{outEmpty},
        ArrayRef<AffineMap>{id, id}, iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value t = arith::TruncFOp::create(b, l, type.getElementType(), args[0]);
          linalg::YieldOp::create(b, l, t);
        });
    rewriter.replaceOp(op, trunc.getResult(0));
    if (fill->use_empty())
      rewriter.eraseOp(fill);
  }
}

/// i1 tensors (comparison results feeding selects) have no device dtype: an
/// element-wise generic producing i1 is rewritten to produce f32 0.0/1.0 and
/// its element-wise consumers test `!= 0`.
static LogicalResult widenPredicates(func::FuncOp func) {
  SmallVector<linalg::GenericOp> producers;
  func.walk([&](linalg::GenericOp g) {
    if (g.hasPureTensorSemantics() && g->getNumResults() == 1 &&
        getElementTypeOrSelf(g->getResult(0).getType()).isInteger(1))
      producers.push_back(g);
  });
  for (linalg::GenericOp g : producers) {
    for (OpOperand &use : g->getResult(0).getUses()) {
      auto consumer = dyn_cast<linalg::GenericOp>(use.getOwner());
      if (!consumer || consumer.isDpsInit(&use))
        return use.getOwner()->emitOpError("uses an i1 tensor; trnc supports i1 tensors only "
                                           "as inputs of element-wise operations"),
               failure();
    }
    IRRewriter rewriter(g->getContext());
    Location loc = g.getLoc();
    auto type = cast<RankedTensorType>(g->getResult(0).getType());
    Type f32 = rewriter.getF32Type();
    rewriter.setInsertionPoint(g);
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(), f32);
    auto wide = linalg::GenericOp::create(
        rewriter, loc, TypeRange{RankedTensorType::get(type.getShape(), f32)}, g.getInputs(),
        ValueRange{empty}, g.getIndexingMapsArray(), g.getIteratorTypesArray());
    IRMapping map;
    Block *oldBody = g.getBody();
    SmallVector<Type> argTypes;
    SmallVector<Location> argLocs;
    for (BlockArgument a : oldBody->getArguments()) {
      argTypes.push_back(a.getType());
      argLocs.push_back(a.getLoc());
    }
    argTypes.back() = f32;
    Block *body = rewriter.createBlock(&wide.getRegion(), {}, argTypes, argLocs);
    for (auto [o, n] : llvm::zip(oldBody->getArguments(), body->getArguments()))
      map.map(o, n);
    rewriter.setInsertionPointToStart(body);
    for (Operation &op : oldBody->without_terminator())
      rewriter.clone(op, map);
    Value pred = map.lookup(oldBody->getTerminator()->getOperand(0));
    Value one = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(1.0f));
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0.0f));
    Value asFloat = arith::SelectOp::create(rewriter, loc, pred, one, zero);
    linalg::YieldOp::create(rewriter, loc, asFloat);
    // Consumers: the i1 block argument becomes f32, tested against 0.
    for (OpOperand &use : llvm::make_early_inc_range(g->getResult(0).getUses())) {
      auto consumer = cast<linalg::GenericOp>(use.getOwner());
      BlockArgument arg = consumer.getMatchingBlockArgument(&use);
      arg.setType(f32);
      rewriter.setInsertionPointToStart(consumer.getBody());
      Value z = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0.0f));
      Value test = arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::UNE, arg, z);
      rewriter.replaceAllUsesExcept(arg, test, test.getDefiningOp());
      use.set(wide->getResult(0));
    }
    rewriter.eraseOp(g);
  }
  return success();
}

/// Makes every tile static: divisible loops stay, single-iteration loops get
/// a constant induction variable, others are peeled into a full-tile loop and
/// a one-iteration remainder.
static void peelLoops(func::FuncOp func) {
  IRRewriter rewriter(func.getContext());
  auto constantIv = [&](scf::ForOp loop) {
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
    if (!lb)
      return;
    rewriter.setInsertionPointToStart(loop.getBody());
    Value c = arith::ConstantIndexOp::create(rewriter, loop.getLoc(), *lb);
    rewriter.replaceAllUsesWith(loop.getInductionVar(), c);
  };
  bool changed = true;
  while (changed) {
    changed = false;
    SmallVector<scf::ForOp> loops;
    func.walk<WalkOrder::PreOrder>([&](scf::ForOp loop) {
      if (!loop->hasAttr(kPeeledAttr))
        loops.push_back(loop);
    });
    for (scf::ForOp loop : loops) {
      changed = true;
      loop->setAttr(kPeeledAttr, rewriter.getUnitAttr());
      std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
      std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
      std::optional<int64_t> step = getConstantIntValue(loop.getStep());
      if (!lb || !ub || !step)
        continue;
      if (*ub - *lb <= *step) {
        constantIv(loop);
        continue;
      }
      if ((*ub - *lb) % *step == 0)
        continue;
      scf::ForOp partial;
      if (succeeded(scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial))) {
        partial->setAttr(kPeeledAttr, rewriter.getUnitAttr());
        constantIv(partial);
      }
      // Inner loops were cloned into the partial iteration: rescan.
      break;
    }
  }
  func.walk([&](scf::ForOp loop) { loop->removeAttr(kPeeledAttr); });
}

/// Canonicalization of everything except scf loops (single-iteration tile
/// loops must survive until trn-unroll: they delimit on-chip tiles).
static LogicalResult simplifyTiles(func::FuncOp func) {
  MLIRContext *ctx = func.getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *dialect : ctx->getLoadedDialects())
    if (dialect->getNamespace() != "scf")
      dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName name : ctx->getRegisteredOperations())
    if (name.getDialectNamespace() != "scf")
      name.getCanonicalizationPatterns(patterns, ctx);
  tensor::populateFoldTensorEmptyPatterns(patterns);
  GreedyRewriteConfig config;
  config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
  return applyPatternsGreedily(func, std::move(patterns), config);
}

void TrnTilePass::runOnFunction(func::FuncOp func) {
  const trnrt::Target &target = getTarget(func);

  // Stage-3 contract: static shapes only.
  WalkResult dyn = func.walk([&](linalg::LinalgOp op) {
    for (Value v : op->getOperands())
      if (auto t = dyn_cast<ShapedType>(v.getType()); t && !t.hasStaticShape()) {
        op->emitOpError("has a dynamically shaped operand ")
            << t << "; trn-tile needs static shapes (stage-3 contract)";
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  if (dyn.wasInterrupted())
    return signalPassFailure();

  generalizeOtherNamedOps(func);
  if (failed(blocking::markBlockedMatmuls(func)))
    return signalPassFailure();
  packTaps(func, target);
  formTapChains(func);
  widenAccumulators(func);
  if (failed(widenPredicates(func)))
    return signalPassFailure();

  // Choose roots bottom-up: the last op of a fusable chain is tiled and pulls
  // its producers into its loop nest.
  SmallVector<Operation *> ops;
  for (Operation &op : func.getBody().front())
    if (isTileRoot(&op))
      ops.push_back(&op);
  llvm::DenseSet<Operation *> claimed;
  SmallVector<FusionGroup> groups;
  for (Operation *op : llvm::reverse(ops)) {
    if (claimed.contains(op))
      continue;
    FusionGroup group;
    group.root = cast<linalg::LinalgOp>(op);
    collectGroup(group, group.root, claimed);
    claimed.insert(op);
    for (Operation *m : group.members)
      if (!isa<linalg::FillOp>(m))
        claimed.insert(m);
    groups.push_back(std::move(group));
  }
  for (FusionGroup &group : groups) {
    if (!group.root.hasPureTensorSemantics() || blocking::hasPlan(group.root))
      continue; // blocked GEMMs are lowered as one loop nest (MatmulBlocking.h)
    if (failed(tileGroup(group, target)))
      return signalPassFailure();
  }
  peelLoops(func);
  if (failed(simplifyTiles(func))) {
    func.emitError("trn-tile: tile shape simplification did not converge");
    return signalPassFailure();
  }
  // Contract check: every tile-level op inside a loop has static shapes.
  WalkResult wr = func.walk([&](linalg::LinalgOp op) {
    for (Value v : op->getOperands())
      if (auto t = dyn_cast<ShapedType>(v.getType()); t && !t.hasStaticShape()) {
        op->emitOpError("has a dynamically shaped tile after trn-tile: ") << t;
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  if (wr.wasInterrupted())
    signalPassFailure();
}
