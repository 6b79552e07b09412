//===- Unroll.cpp - trn-unroll: straight-line device code (stage 6) -------===//
//
// Fully unrolls every scf.for (static trip counts) so that each tile
// iteration owns its trn.alloc buffers, then folds the index arithmetic until
// every memref.subview / memref.reinterpret_cast has static offsets, and
// forwards the source of every memref.cast into trn instructions (the static
// type is the one the serializer needs). Verifies the stage-6 contract:
// only trn instructions, trn.alloc, static views, memref.get_global,
// function-level HBM memref.alloc and func.return remain.
//
//===----------------------------------------------------------------------===//

#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <map>
#include <tuple>
#include <vector>

namespace mlir::trn {
#define GEN_PASS_DEF_TRNUNROLLPASS
#include "trn/Transforms/Passes.h.inc"
} // namespace mlir::trn

using namespace mlir;
using namespace mlir::trn;

namespace {

class TrnUnrollPass : public trn::impl::TrnUnrollPassBase<TrnUnrollPass> {
public:
  using Base::Base;
  void runOnOperation() override {
    for (func::FuncOp func : llvm::make_early_inc_range(getOperation().getOps<func::FuncOp>()))
      if (!func.isExternal())
        runOnFunction(func);
  }
  void runOnFunction(func::FuncOp func);
};

/// memref.reinterpret_cast with constant offset/size/stride operands -> the
/// static form, keeping the (more static) type for all users.
struct StaticReinterpretCast : OpRewritePattern<memref::ReinterpretCastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::ReinterpretCastOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getOffsets().empty() && op.getSizes().empty() && op.getStrides().empty())
      return failure();
    SmallVector<int64_t> offsets, sizes, strides;
    for (OpFoldResult o : op.getMixedOffsets()) {
      std::optional<int64_t> c = getConstantIntValue(o);
      if (!c)
        return failure();
      offsets.push_back(*c);
    }
    for (OpFoldResult o : op.getMixedSizes()) {
      std::optional<int64_t> c = getConstantIntValue(o);
      if (!c)
        return failure();
      sizes.push_back(*c);
    }
    for (OpFoldResult o : op.getMixedStrides()) {
      std::optional<int64_t> c = getConstantIntValue(o);
      if (!c)
        return failure();
      strides.push_back(*c);
    }
    auto oldType = op.getType();
    auto layout = StridedLayoutAttr::get(op.getContext(), offsets[0], strides);
    auto newType = MemRefType::get(sizes, oldType.getElementType(), layout,
                                   oldType.getMemorySpace());
    auto repl = memref::ReinterpretCastOp::create(rewriter, op.getLoc(), newType, op.getSource(),
                                                  offsets[0], sizes, strides);
    if (newType == oldType) {
      rewriter.replaceOp(op, repl.getResult());
      return success();
    }
    rewriter.replaceOpWithNewOp<memref::CastOp>(op, oldType, repl.getResult());
    return success();
  }
};

} // namespace

/// Replaces memref.cast results used by trn instructions with the cast source.
static bool forwardCasts(func::FuncOp func) {
  bool changed = false;
  func.walk([&](memref::CastOp cast) {
    for (OpOperand &use : llvm::make_early_inc_range(cast->getUses()))
      if (isa<TrnInstructionOpInterface>(use.getOwner())) {
        use.set(cast.getSource());
        changed = true;
      }
  });
  return changed;
}

static LogicalResult simplify(func::FuncOp func) {
  MLIRContext *ctx = func.getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName name : ctx->getRegisteredOperations())
    name.getCanonicalizationPatterns(patterns, ctx);
  patterns.add<StaticReinterpretCast>(ctx);
  FrozenRewritePatternSet frozen(std::move(patterns));
  for (int i = 0; i < 8; ++i) {
    if (failed(applyPatternsGreedily(func, frozen)))
      return failure();
    if (!forwardCasts(func))
      return success();
  }
  return success();
}

/// The HBM buffer a view walks, and whether nothing in the program writes
/// it (function inputs and constants).
static Value viewRoot(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto sv = dyn_cast<memref::SubViewOp>(def))
      v = sv.getSource();
    else if (auto rc = dyn_cast<memref::ReinterpretCastOp>(def))
      v = rc.getSource();
    else if (auto c = dyn_cast<memref::CastOp>(def))
      v = c.getSource();
    else
      break;
  }
  return v;
}

static bool isImmutableHbm(func::FuncOp func, Value root) {
  if (root.getDefiningOp<memref::GetGlobalOp>())
    return true;
  auto arg = dyn_cast<BlockArgument>(root);
  if (!arg || arg.getOwner() != &func.getBody().front())
    return false;
  auto kind = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "trn.kind");
  return kind && kind.getValue() == "input";
}

/// HBM whose loads may be reused: immutable tensors, and scratch tensors and
/// outputs between the writes to them (reuseLoads invalidates on a write).
/// Straight-line code in program order is a correct sequential program, and
/// DMAs are the only writers of HBM.
static bool isReusableHbm(func::FuncOp func, Value root) {
  if (isImmutableHbm(func, root))
    return true;
  if (auto alloc = root.getDefiningOp<memref::AllocOp>())
    return alloc->getParentOp() == func.getOperation();
  auto arg = dyn_cast<BlockArgument>(root);
  return arg && arg.getOwner() == &func.getBody().front();
}

/// Whether `alloc` is written only by `writer` and used directly (no views)
/// by trn instructions.
static bool writtenOnlyBy(Value alloc, Operation *writer) {
  for (OpOperand &use : alloc.getUses()) {
    auto inst = dyn_cast<TrnInstructionOpInterface>(use.getOwner());
    if (!inst)
      return false;
    if (use.getOwner() == writer)
      continue;
    SmallVector<OpOperand *> reads, writes;
    inst.getTileAccesses(reads, writes);
    if (llvm::is_contained(writes, &use))
      return false;
  }
  return true;
}

/// Load reuse on straight-line code: a DMA of an HBM region (input, constant,
/// or a scratch tensor/output not written since) into a fresh SBUF tile that
/// an earlier, still cached tile already holds is removed and its readers use
/// the earlier tile (e.g. the stationary chunk of a matmul reloaded for every
/// N tile, an activation reloaded for every M tile). The cache holds
/// at most a third of the SBUF partition (first come, first kept), so reuse
/// leaves most of SBUF to the working set trn-allocate has to place.
static void reuseLoads(func::FuncOp func, const trnrt::Target &target) {
  using Key = std::tuple<const void *, int64_t, std::vector<int64_t>, std::vector<int64_t>,
                         const void *, const void *>;
  // Each DMA in program order: the HBM tensor it writes (or null) and, for a
  // reusable load, its key.
  struct Step {
    DmaCopyOp dma;
    const void *writes = nullptr;
    int key = -1;          // index into `keys`
    bool reloaded = false; // the same key is loaded again before a write
  };
  SmallVector<Step> steps;
  std::vector<Key> keys;
  func.walk([&](DmaCopyOp dma) {
    Step st;
    st.dma = dma;
    if (auto dstType = dyn_cast<MemRefType>(dma.getDst().getType());
        dstType && getMemSpace(dstType) == MemSpace::HBM)
      st.writes = viewRoot(dma.getDst()).getAsOpaquePointer();
    auto dst = dma.getDst().getDefiningOp<AllocOp>();
    auto srcType = dyn_cast<MemRefType>(dma.getSrc().getType());
    // (A blocked GEMM's loads, trnc.no_reuse, are placed by its strategy.)
    if (!dma->hasAttr("trnc.no_reuse") && dst && srcType &&
        getMemSpace(srcType) == MemSpace::HBM && getMemSpace(dst.getType()) == MemSpace::SBUF) {
      Value root = viewRoot(dma.getSrc());
      SmallVector<int64_t> strides;
      int64_t offset;
      if (isReusableHbm(func, root) && succeeded(srcType.getStridesAndOffset(strides, offset)) &&
          !ShapedType::isDynamic(offset) && !llvm::any_of(strides, ShapedType::isDynamic) &&
          writtenOnlyBy(dst.getResult(), dma)) {
        st.key = static_cast<int>(keys.size());
        keys.emplace_back(root.getAsOpaquePointer(), offset,
                          std::vector<int64_t>(srcType.getShape().begin(), srcType.getShape().end()),
                          std::vector<int64_t>(strides.begin(), strides.end()),
                          srcType.getElementType().getAsOpaquePointer(),
                          dst.getType().getAsOpaquePointer());
      }
    }
    steps.push_back(std::move(st));
  });
  // A write to an HBM tensor (a scratch intermediate, an output) ends the
  // reuse of what was loaded from it: later loads see the new bytes.
  auto invalidate = [](auto &map, const void *root, auto onErase) {
    for (auto it = map.begin(); it != map.end();) {
      if (std::get<0>(it->first) == root) {
        onErase(it->second);
        it = map.erase(it);
      } else {
        ++it;
      }
    }
  };
  // Pass 1: which loads are loaded again (so caching them pays).
  {
    std::map<Key, size_t> last;
    for (size_t i = 0; i < steps.size(); ++i) {
      if (steps[i].writes)
        invalidate(last, steps[i].writes, [](size_t) {});
      if (steps[i].key < 0)
        continue;
      auto [it, fresh] = last.try_emplace(keys[steps[i].key], i);
      if (!fresh) {
        steps[it->second].reloaded = true;
        it->second = i;
      }
    }
  }
  // Pass 2: reuse, caching only tiles that are loaded again.
  struct Entry {
    Value tile;
    int64_t bytes;
  };
  std::map<Key, Entry> cache;
  const int64_t budget = static_cast<int64_t>(target.sbufBytesPerPartition / 3);
  int64_t cached = 0;
  for (Step &st : steps) {
    if (st.writes)
      invalidate(cache, st.writes, [&](const Entry &e) { cached -= e.bytes; });
    if (st.key < 0)
      continue;
    auto dst = st.dma.getDst().getDefiningOp<AllocOp>();
    auto it = cache.find(keys[st.key]);
    if (it != cache.end()) {
      dst.getResult().replaceAllUsesWith(it->second.tile);
      st.dma->erase();
      dst->erase();
      continue;
    }
    if (!st.reloaded)
      continue;
    std::optional<trnrt::DType> dt = getDType(dst.getType().getElementType());
    int64_t free = 1;
    for (int64_t d : dst.getType().getShape().drop_front())
      free *= d;
    int64_t bytes = static_cast<int64_t>(trnrt::dtypeBytes(dt ? *dt : trnrt::DType::F32, free));
    // Keep-first: tiles cached earlier stay (a cyclic sweep over more data
    // than the budget still hits on the cached part, where LRU would always
    // miss).
    if (cached + bytes > budget)
      continue;
    cache[keys[st.key]] = Entry{dst.getResult(), bytes};
    cached += bytes;
  }
}

void TrnUnrollPass::runOnFunction(func::FuncOp func) {
  // Innermost loops first, until none is left.
  while (true) {
    SmallVector<scf::ForOp> loops;
    func.walk([&](scf::ForOp loop) {
      if (loop.getBody()->getOps<scf::ForOp>().empty())
        loops.push_back(loop);
    });
    if (loops.empty())
      break;
    for (scf::ForOp loop : loops) {
      std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
      std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
      std::optional<int64_t> step = getConstantIntValue(loop.getStep());
      if (!lb || !ub || !step) {
        loop.emitOpError("has a non-constant trip count; trn-unroll needs static tile loops");
        return signalPassFailure();
      }
      if (failed(loopUnrollFull(loop))) {
        loop.emitOpError("could not be unrolled");
        return signalPassFailure();
      }
    }
  }
  if (failed(simplify(func))) {
    func.emitError("trn-unroll: index folding did not converge");
    return signalPassFailure();
  }
  reuseLoads(func, getTarget(func));
  // Dead views of removed loads.
  SmallVector<Operation *> deadViews;
  func.walk([&](Operation *op) {
    if (isa<memref::SubViewOp, memref::ReinterpretCastOp, memref::CastOp>(op) && op->use_empty())
      deadViews.push_back(op);
  });
  for (Operation *op : llvm::reverse(deadViews))
    if (op->use_empty())
      op->erase();

  // Stage-6 contract.
  WalkResult wr = func.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (op == func.getOperation() || isa<TrnInstructionOpInterface, AllocOp, func::ReturnOp,
                                         memref::GetGlobalOp>(op))
      return WalkResult::advance();
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      if (getMemSpace(alloc.getType()) != MemSpace::HBM || !alloc.getType().hasStaticShape()) {
        op->emitOpError("function-level scratch must be a static buffer in #trn.mem<hbm>");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    }
    if (isa<memref::SubViewOp, memref::ReinterpretCastOp>(op)) {
      auto type = cast<MemRefType>(op->getResult(0).getType());
      SmallVector<int64_t> strides;
      int64_t offset;
      if (failed(type.getStridesAndOffset(strides, offset)) || ShapedType::isDynamic(offset) ||
          llvm::any_of(strides, ShapedType::isDynamic)) {
        op->emitOpError("view does not have static offsets and strides after unrolling");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    }
    if (isa<memref::CastOp>(op) && op->use_empty())
      return WalkResult::advance();
    op->emitOpError("is not allowed in straight-line device code (stage 6); expected trn "
                    "instructions, trn.alloc, static memref views, memref.get_global and "
                    "HBM memref.alloc");
    return WalkResult::interrupt();
  });
  if (wr.wasInterrupted())
    signalPassFailure();
}
