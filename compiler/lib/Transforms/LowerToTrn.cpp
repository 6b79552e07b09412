//===- LowerToTrn.cpp - trn-lower-to-trn: tile-level ops -> trn instructions ===//
//
// Replaces every tile-level op of the buffer-level program (stage 5) by trn
// instruction ops: device-form matmuls (LowerMatmul.cpp), element-wise
// generics (LowerElementwise.cpp), reductions (LowerReduce.cpp), and data
// movement (LowerDataMovement.cpp). Fills that initialise a matmul
// accumulator or a reduction are absorbed by that op. Afterwards the views
// trn-place-memory created and any other dead view/index op are removed;
// the tile loops remain for trn-unroll.
//
//===----------------------------------------------------------------------===//

#include "LowerMatmulQuant.h"
#include "LowerUtils.h"
#include "MatmulBlocking.h"
#include "TileUtils.h"
#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::trn {
#define GEN_PASS_DEF_TRNLOWERTOTRNPASS
#include "trn/Transforms/Passes.h.inc"
} // namespace mlir::trn

using namespace mlir;
using namespace mlir::trn;
using namespace mlir::trn::lower;

namespace {

class TrnLowerToTrnPass : public trn::impl::TrnLowerToTrnPassBase<TrnLowerToTrnPass> {
public:
  using Base::Base;
  void runOnOperation() override {
    for (func::FuncOp func : llvm::make_early_inc_range(getOperation().getOps<func::FuncOp>()))
      if (!func.isExternal())
        runOnFunction(func);
  }
  void runOnFunction(func::FuncOp func);
};

} // namespace

static LogicalResult lowerOne(RewriterBase &rewriter, Operation *op,
                              const llvm::DenseMap<Operation *, linalg::FillOp> &initFills,
                              const WindowForwarding &windows) {
  linalg::FillOp initFill = initFills.lookup(op);
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return lowerCopy(rewriter, op, copy.getSource(), copy.getTarget());
  auto lop = dyn_cast<linalg::LinalgOp>(op);
  if (!lop)
    return success();
  if (!lop.hasPureBufferSemantics())
    return op->emitOpError("must operate on buffers; run trn-bufferize first");
  for (Value v : op->getOperands())
    if (auto t = dyn_cast<ShapedType>(v.getType()); t && !t.hasStaticShape())
      return op->emitOpError("has a dynamically shaped operand ") << t << "; run trn-tile";
  if (tileutils::isDeviceContraction(lop))
    return blocking::hasPlan(op) ? lowerMatmulBlocked(rewriter, lop, initFill)
                                 : lowerMatmul(rewriter, lop, initFill, &windows);
  if (tileutils::isMxQuantize(op))
    return lowerMxQuantize(rewriter, cast<linalg::GenericOp>(op));
  if (tileutils::isMxBlockAmax(op))
    return success(); // computed by the trn.quantize_mx of its user (isMxQuantize)
  if (auto reduce = dyn_cast<linalg::ReduceOp>(op))
    return lowerReduce(rewriter, reduce, initFill);
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return lowerFill(rewriter, fill);
  if (auto copy = dyn_cast<linalg::CopyOp>(op))
    return lowerCopy(rewriter, op, copy.getInputs()[0], copy.getOutputs()[0]);
  if (auto tr = dyn_cast<linalg::TransposeOp>(op))
    return lowerTranspose(rewriter, tr);
  if (auto br = dyn_cast<linalg::BroadcastOp>(op))
    return lowerBroadcast(rewriter, br);
  if (tileutils::isElementwiseGeneric(op))
    return lowerElementwise(rewriter, cast<linalg::GenericOp>(op));
  if (linalg::isaContractionOpInterface(lop))
    return op->emitOpError("is a contraction that is not in device form "
                           "(C[m,n] = sum_k L[k,m] R[k,n]); run trn-layout first");
  return op->emitOpError("is not supported by trn-lower-to-trn; supported: device-form "
                         "matmul/batch_matmul, element-wise linalg.generic, linalg.reduce, "
                         "fill, copy, transpose, broadcast");
}

void TrnLowerToTrnPass::runOnFunction(func::FuncOp func) {
  IRRewriter rewriter(&getContext());

  tileutils::generalizeOtherNamedOps(func);

  llvm::DenseMap<Operation *, linalg::FillOp> initFills;
  llvm::SmallPtrSet<Operation *, 16> absorbed;
  func.walk([&](linalg::LinalgOp op) {
    if (!tileutils::isDeviceContraction(op) && !isa<linalg::ReduceOp>(op) &&
        !tileutils::isMxBlockAmax(op))
      return;
    // A blocked GEMM overwrites all of C: its zero fill may lie before ops
    // that do not touch C (e.g. an operand conversion's loop nest).
    Value init = op.getDpsInitOperand(0)->get();
    if (linalg::FillOp fill = blocking::hasPlan(op) ? findInitFillAcross(op, init)
                                                    : findInitFill(op, init)) {
      initFills[op] = fill;
      absorbed.insert(fill);
    }
  });

  // The rescale epilogue and the operand quantizations of a blocked
  // quantized GEMM are applied by that GEMM's lowering (MatmulBlocking.h).
  func.walk([&](linalg::GenericOp op) {
    if (blocking::isAbsorbedByBlockedMatmul(op))
      absorbed.insert(op);
  });

  // Convolution window copies whose matmuls read the windows in place.
  WindowForwarding windows = analyzeWindowOperands(func, getTarget(func));
  for (Operation *copy : windows.copies)
    absorbed.insert(copy);

  SmallVector<Operation *> work;
  func.walk([&](Operation *op) {
    if (isa<linalg::LinalgOp, memref::CopyOp>(op))
      work.push_back(op);
  });
  for (Operation *op : work) {
    if (absorbed.contains(op))
      continue;
    if (failed(lowerOne(rewriter, op, initFills, windows)))
      return signalPassFailure();
    rewriter.eraseOp(op);
  }
  for (Operation *fill : absorbed)
    rewriter.eraseOp(fill);

  // Remove dead views and index arithmetic (bottom-up until stable).
  bool changed = true;
  while (changed) {
    changed = false;
    SmallVector<Operation *> dead;
    func.walk([&](Operation *op) {
      if (op->use_empty() && op->getNumResults() > 0 &&
          isa<memref::SubViewOp, memref::ReinterpretCastOp, memref::CastOp,
              memref::ExpandShapeOp, memref::CollapseShapeOp, memref::TransposeOp,
              arith::ConstantOp, arith::AddIOp, arith::MulIOp, affine::AffineApplyOp,
              affine::AffineMinOp, affine::AffineMaxOp>(op))
        dead.push_back(op);
    });
    for (Operation *op : dead)
      rewriter.eraseOp(op);
    changed = !dead.empty();
  }
  // trn.alloc buffers nobody uses any more (e.g. absorbed on-chip fills),
  // HBM scratch whose copies were absorbed (window scratches).
  func.walk([&](AllocOp a) {
    if (a->use_empty())
      rewriter.eraseOp(a);
  });
  for (auto &entry : windows.scratches)
    if (entry.first.use_empty())
      rewriter.eraseOp(entry.first.getDefiningOp());
}
