//===- Bufferize.cpp - trn-bufferize: one-shot bufferization to HBM -------===//
//
// Converts the tiled tensor program (stage 4) to buffers (stage 5, first
// half): one-shot bufferization across function boundaries with identity
// layouts on the signature and every default buffer in #trn.mem<hbm>
// (tensor constants become `memref.global` in HBM), results turned into
// out-params with the result allocation hoisted (the program writes the
// output tensor directly, no copy), and every argument annotated with
// `trn.kind` ("input" | "output") and `trn.name`. A tile-loop result that is
// only reshaped into a whole destination buffer (a convolution's [F, OH*OW]
// into its NCHW tensor) is written there in place (writeResultsInPlace).
//
//===----------------------------------------------------------------------===//

#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotModuleBufferize.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Transforms.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::trn {
#define GEN_PASS_DEF_TRNBUFFERIZEPASS
#include "trn/Transforms/Passes.h.inc"
} // namespace mlir::trn

using namespace mlir;
using namespace mlir::trn;

namespace {

class TrnBufferizePass : public trn::impl::TrnBufferizePassBase<TrnBufferizePass> {
public:
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

static constexpr StringLiteral kKindAttr = "trn.kind";
static constexpr StringLiteral kNameAttr = "trn.name";

/// Reassociation grouping the dims of static `from` into the dims of `to`
/// (a collapse), if one exists.
static std::optional<SmallVector<ReassociationIndices>> collapseGroups(ArrayRef<int64_t> from,
                                                                      ArrayRef<int64_t> to) {
  SmallVector<ReassociationIndices> groups;
  size_t i = 0;
  for (int64_t size : to) {
    ReassociationIndices g;
    int64_t prod = 1;
    while (i < from.size() && (g.empty() || prod < size)) {
      prod *= from[i];
      g.push_back(static_cast<int64_t>(i++));
    }
    if (prod != size)
      return std::nullopt;
    groups.push_back(g);
  }
  while (i < from.size() && from[i] == 1 && !groups.empty())
    groups.back().push_back(static_cast<int64_t>(i++));
  if (i != from.size())
    return std::nullopt;
  return groups;
}

/// A tiled root whose result is reshaped into its destination ends with a
/// full-size HBM -> HBM copy: `S = alloc [F, OH*OW]` written by the tile
/// loops, then `copy(expand_shape(S), D)` with D all of a buffer B
/// ([1, F, OH, OW], e.g. a convolution's NCHW result). When S is used only by
/// writes/reads before the copy and B only after it, the loops write B in
/// place through a collapse_shape view of B (same identity-layout type as S):
/// the copy and S disappear.
static void writeResultsInPlace(RewriterBase &rewriter, func::FuncOp func) {
  if (func.isExternal())
    return;
  Block &body = func.getBody().front();
  SmallVector<memref::CopyOp> copies(body.getOps<memref::CopyOp>());
  for (memref::CopyOp copy : copies) {
    auto expand = copy.getSource().getDefiningOp<memref::ExpandShapeOp>();
    auto scratch = expand ? expand.getSrc().getDefiningOp<memref::AllocOp>() : nullptr;
    if (!scratch || scratch->getBlock() != &body || !expand->hasOneUse())
      continue;

    Value dst = copy.getTarget(), base = dst;
    if (auto sv = dst.getDefiningOp<memref::SubViewOp>()) {
      base = sv.getSource();
      if (!sv.hasZeroOffset() || sv.getSourceType().getNumElements() != sv.getType().getNumElements())
        continue;
    }
    auto bt = dyn_cast<MemRefType>(base.getType());
    MemRefType st = scratch.getType();
    if (!bt || !bt.hasStaticShape() || !bt.getLayout().isIdentity() ||
        bt.getElementType() != st.getElementType() || bt.getMemorySpace() != st.getMemorySpace())
      continue;
    std::optional<SmallVector<ReassociationIndices>> groups =
        collapseGroups(bt.getShape(), st.getShape());
    if (!groups)
      continue;
    auto baseAlloc = base.getDefiningOp<memref::AllocOp>();
    auto arg = dyn_cast<BlockArgument>(base);
    if (!(baseAlloc && baseAlloc->getBlock() == &body) && !(arg && arg.getOwner() == &body))
      continue;
    // S: every other use before the copy; B: every use except D after it.
    auto before = [&](Operation *user, Operation *op) {
      Operation *top = body.findAncestorOpInBlock(*user);
      return top && top->isBeforeInBlock(op);
    };
    bool ok = llvm::all_of(scratch->getUsers(), [&](Operation *u) {
      return u == expand.getOperation() || before(u, copy);
    });
    for (Operation *u : base.getUsers()) {
      Operation *top = body.findAncestorOpInBlock(*u);
      ok &= u == dst.getDefiningOp() || (top && copy->isBeforeInBlock(top));
    }
    if (!ok)
      continue;
    if (baseAlloc && scratch->isBeforeInBlock(baseAlloc))
      baseAlloc->moveBefore(scratch);
    rewriter.setInsertionPoint(scratch);
    Value view = memref::CollapseShapeOp::create(rewriter, scratch.getLoc(), base, *groups);
    if (view.getType() != st) {
      rewriter.eraseOp(view.getDefiningOp());
      continue;
    }
    rewriter.replaceAllUsesWith(scratch.getResult(), view);
    Operation *dstDef = dst.getDefiningOp();
    rewriter.eraseOp(copy);
    rewriter.eraseOp(expand);
    if (dstDef && dstDef->use_empty())
      rewriter.eraseOp(dstDef);
    rewriter.eraseOp(scratch);
  }
}

void TrnBufferizePass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  Attribute hbm = MemSpaceAttr::get(ctx, MemSpace::HBM);

  // Entry checks: the contract is static, ranked tensors.
  WalkResult check = module.walk([&](func::FuncOp func) {
    for (Type t : func.getFunctionType().getInputs())
      if (auto rt = dyn_cast<RankedTensorType>(t); !rt || !rt.hasStaticShape()) {
        func.emitOpError("argument type ") << t << " is not a static ranked tensor; "
                                           << "trn-bufferize expects stage-4 IR";
        return WalkResult::interrupt();
      }
    for (Type t : func.getFunctionType().getResults())
      if (auto rt = dyn_cast<RankedTensorType>(t); !rt || !rt.hasStaticShape()) {
        func.emitOpError("result type ") << t << " is not a static ranked tensor; "
                                         << "trn-bufferize expects stage-4 IR";
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  if (check.wasInterrupted())
    return signalPassFailure();

  // Input names (before the signature changes): keep an existing trn.name.
  // Inputs are read-only tensors of the program (trnrt rejects instructions
  // that write them), so one-shot bufferization must not update them in
  // place: e.g. a matmul accumulating into an argument (`outs(%c)`) works on a
  // copy.
  module.walk([&](func::FuncOp func) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      func.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                      BoolAttr::get(ctx, false));
      func.setArgAttr(i, kKindAttr, StringAttr::get(ctx, "input"));
      if (!func.getArgAttr(i, kNameAttr))
        func.setArgAttr(i, kNameAttr, StringAttr::get(ctx, "input" + std::to_string(i)));
    }
  });

  // Result names survive the out-param conversion through this map.
  llvm::DenseMap<StringAttr, SmallVector<StringAttr>> resultNames;
  module.walk([&](func::FuncOp func) {
    SmallVector<StringAttr> &names = resultNames[func.getSymNameAttr()];
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      auto name = dyn_cast_or_null<StringAttr>(func.getResultAttr(i, kNameAttr));
      names.push_back(name ? name : StringAttr::get(ctx, "output" + std::to_string(i)));
    }
  });

  // tensor.concat -> empty + insert_slices, tensor.pad -> fill + insert_slice
  // (their own bufferizations ignore memory spaces).
  {
    RewritePatternSet patterns(ctx);
    tensor::populateDecomposeTensorConcatPatterns(patterns);
    linalg::populateDecomposePadPatterns(patterns);
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      return signalPassFailure();
  }

  IRRewriter rewriter(ctx);
  if (failed(bufferization::eliminateEmptyTensors(rewriter, module)))
    return signalPassFailure();

  bufferization::OneShotBufferizationOptions options;
  options.bufferizeFunctionBoundaries = true;
  options.setFunctionBoundaryTypeConversion(bufferization::LayoutMapOption::IdentityLayoutMap);
  options.defaultMemorySpaceFn = [hbm](TensorType) -> std::optional<Attribute> { return hbm; };
  options.allowReturnAllocsFromLoops = true;
  bufferization::BufferizationState state;
  if (failed(bufferization::runOneShotModuleBufferize(module, options, state)))
    return signalPassFailure();

  module.walk([&](func::FuncOp func) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      func.removeArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName);
  });

  // Tile loops carry their output buffer through iter_args that are yielded
  // unchanged: forward the init so the function returns the allocation
  // itself, then fold the write-back copies the tensor insert_slices left
  // behind (copies of a subview onto an identical subview).
  module.walk([&](scf::ForOp loop) {
    for (auto [init, arg, res, yielded] :
         llvm::zip(loop.getInitArgs(), loop.getRegionIterArgs(), loop.getResults(),
                   loop.getYieldedValues())) {
      if (yielded != arg || !isa<BaseMemRefType>(arg.getType()))
        continue;
      arg.replaceAllUsesWith(init);
      res.replaceAllUsesWith(init);
    }
  });
  DominanceInfo dom(module);
  eliminateCommonSubExpressions(rewriter, dom, module);
  module.walk([&](memref::CopyOp copy) {
    if (copy.getSource() == copy.getTarget())
      rewriter.eraseOp(copy);
  });

  // Every result becomes its own out-param: a buffer returned more than once
  // (`return %r, %r`) is copied into a fresh buffer for each repetition
  // (promoteBufferResultsToOutParams expects distinct buffers).
  module.walk([&](func::ReturnOp ret) {
    llvm::SmallPtrSet<Value, 4> seen;
    for (OpOperand &operand : ret->getOpOperands()) {
      auto type = dyn_cast<MemRefType>(operand.get().getType());
      if (!type || seen.insert(operand.get()).second)
        continue;
      rewriter.setInsertionPoint(ret);
      auto fresh = MemRefType::get(type.getShape(), type.getElementType(),
                                   MemRefLayoutAttrInterface{}, type.getMemorySpace());
      Value copy = memref::AllocOp::create(rewriter, ret.getLoc(), fresh);
      memref::CopyOp::create(rewriter, ret.getLoc(), operand.get(), copy);
      operand.set(copy);
    }
  });

  bufferization::BufferResultsToOutParamsOpts outOpts;
  outOpts.hoistStaticAllocs = true;
  outOpts.modifyPublicFunctions = true;
  outOpts.addResultAttribute = false;
  if (failed(bufferization::promoteBufferResultsToOutParams(module, outOpts)))
    return signalPassFailure();

  module.walk([&](func::FuncOp func) { writeResultsInPlace(rewriter, func); });

  // Annotate the out-params, check memory spaces.
  WalkResult wr = module.walk([&](func::FuncOp func) {
    unsigned firstOut = 0;
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (func.getArgAttr(i, kKindAttr))
        firstOut = i + 1;
    ArrayRef<StringAttr> names = resultNames[func.getSymNameAttr()];
    for (unsigned i = firstOut; i < func.getNumArguments(); ++i) {
      unsigned r = i - firstOut;
      func.setArgAttr(i, kKindAttr, StringAttr::get(ctx, "output"));
      func.setArgAttr(i, kNameAttr,
                      r < names.size() ? names[r]
                                       : StringAttr::get(ctx, "output" + std::to_string(r)));
    }
    for (BlockArgument arg : func.getArguments()) {
      auto mt = dyn_cast<MemRefType>(arg.getType());
      if (!mt || mt.getMemorySpace() != hbm) {
        func.emitOpError("argument ") << arg.getArgNumber() << " has type " << arg.getType()
                                      << " after bufferization; expected a memref in "
                                      << "#trn.mem<hbm>";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  if (wr.wasInterrupted())
    signalPassFailure();
}
