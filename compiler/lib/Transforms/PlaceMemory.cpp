//===- PlaceMemory.cpp - trn-place-memory: on-chip buffers for tiles ------===//
//
// Buffers allocated inside tile loops (the intermediates of a fused tile)
// move on chip: `memref.alloc` -> `trn.alloc` in PSUM when a matmul
// accumulates into it, in SBUF otherwise. The physical on-chip layout is
// [partition, free...] with the partition dim chosen by the rule of
// TileUtils.h (logical dim rank-2, or 0 for rank-1 buffers) and all other
// dims flattened, in order, into one free dim; the logical view the linalg
// ops keep using is a `memref.reinterpret_cast` of the physical buffer.
// Function-level allocations stay in HBM (scratch tensors).
//
//===----------------------------------------------------------------------===//

#include "TileUtils.h"
#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::trn {
#define GEN_PASS_DEF_TRNPLACEMEMORYPASS
#include "trn/Transforms/Passes.h.inc"
} // namespace mlir::trn

using namespace mlir;
using namespace mlir::trn;

namespace {

class TrnPlaceMemoryPass : public trn::impl::TrnPlaceMemoryPassBase<TrnPlaceMemoryPass> {
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

/// Whether a device-form contraction writes `buffer` (its accumulator).
static bool isAccumulator(Value buffer) {
  for (OpOperand &use : buffer.getUses()) {
    auto l = dyn_cast<linalg::LinalgOp>(use.getOwner());
    if (l && l.isDpsInit(&use) && trn::tileutils::isDeviceContraction(l))
      return true;
  }
  return false;
}

/// The op that should carry a diagnostic about `alloc`: its first linalg
/// writer, else the allocation itself.
static Operation *diagnosticAnchor(memref::AllocOp alloc) {
  for (OpOperand &use : alloc->getUses()) {
    auto l = dyn_cast<linalg::LinalgOp>(use.getOwner());
    if (l && l.isDpsInit(&use))
      return l;
  }
  return alloc;
}

void TrnPlaceMemoryPass::runOnFunction(func::FuncOp func) {
  MLIRContext *ctx = &getContext();
  const trnrt::Target &target = getTarget(func);
  IRRewriter rewriter(ctx);
  Attribute hbm = MemSpaceAttr::get(ctx, MemSpace::HBM);

  SmallVector<memref::AllocOp> allocs;
  func.walk([&](memref::AllocOp a) { allocs.push_back(a); });
  for (memref::AllocOp alloc : allocs) {
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
      alloc.emitOpError("must have a static shape and identity layout, got ") << type;
      return signalPassFailure();
    }
    if (!alloc->getParentOfType<scf::ForOp>()) {
      // Function-level scratch tensor: HBM.
      if (type.getMemorySpace() != hbm) {
        auto newType = MemRefType::get(type.getShape(), type.getElementType(),
                                       MemRefLayoutAttrInterface(), hbm);
        alloc.getResult().setType(newType);
      }
      continue;
    }
    std::optional<trnrt::DType> dtype = getDType(type.getElementType());
    Operation *anchor = diagnosticAnchor(alloc);
    if (!dtype) {
      anchor->emitOpError("tile element type ")
          << type.getElementType() << " is not a device dtype";
      return signalPassFailure();
    }
    // Physical [P, F] shape.
    ArrayRef<int64_t> shape = type.getShape();
    int64_t rank = type.getRank();
    int64_t p = rank >= 2 ? rank - 2 : 0;
    int64_t partitions = rank == 0 ? 1 : shape[p];
    int64_t freeElems = 1;
    for (int64_t i = 0; i < rank; ++i)
      if (i != p)
        freeElems *= shape[i];
    bool psum = isAccumulator(alloc.getResult());
    uint64_t bytes = trnrt::dtypeBytes(*dtype, static_cast<uint64_t>(freeElems));
    if (partitions > static_cast<int64_t>(target.numPartitions)) {
      anchor->emitOpError("on-chip tile has ")
          << partitions << " partitions, exceeding the " << target.name << " limit of "
          << target.numPartitions;
      return signalPassFailure();
    }
    if (psum && bytes > target.psumBankBytes) {
      anchor->emitOpError("matmul accumulator tile needs ")
          << bytes << " bytes per partition, exceeding one " << target.name << " PSUM bank ("
          << target.psumBankBytes << " bytes)";
      return signalPassFailure();
    }
    if (!psum && bytes > target.sbufBytesPerPartition) {
      anchor->emitOpError("on-chip tile needs ")
          << bytes << " bytes per partition, exceeding the " << target.name
          << " SBUF partition size of " << target.sbufBytesPerPartition << " bytes";
      return signalPassFailure();
    }
    if (!psum && static_cast<uint64_t>(freeElems) > target.maxFreeElemsSbuf) {
      anchor->emitOpError("on-chip tile has ")
          << freeElems << " elements per partition, exceeding the " << target.name
          << " engine limit of " << target.maxFreeElemsSbuf;
      return signalPassFailure();
    }
    MemSpace space = psum ? MemSpace::PSUM : MemSpace::SBUF;
    MemRefType physType =
        getTileType({partitions, freeElems}, type.getElementType(), space);
    rewriter.setInsertionPoint(alloc);
    Value phys = AllocOp::create(rewriter, alloc.getLoc(), physType, IntegerAttr());

    // Logical view: dim p strides by F, the other dims row-major within F.
    SmallVector<int64_t> strides(rank, 1);
    int64_t running = 1;
    for (int64_t i = rank - 1; i >= 0; --i) {
      if (i == p)
        continue;
      strides[i] = running;
      running *= shape[i];
    }
    if (rank > 0)
      strides[p] = freeElems;
    Attribute layout = StridedLayoutAttr::get(ctx, 0, strides);
    auto viewType = MemRefType::get(shape, type.getElementType(),
                                    cast<MemRefLayoutAttrInterface>(layout),
                                    MemSpaceAttr::get(ctx, space));
    Value view = memref::ReinterpretCastOp::create(
        rewriter, alloc.getLoc(), viewType, phys, /*offset=*/0, shape, strides);
    // The uses keep their logical shape; only layout and memory space change.
    for (OpOperand &use : llvm::make_early_inc_range(alloc->getUses())) {
      Operation *user = use.getOwner();
      if (!isa<linalg::LinalgOp, memref::CopyOp>(user)) {
        user->emitOpError("uses an on-chip tile buffer in an unsupported way; expected "
                          "linalg or memref.copy users");
        return signalPassFailure();
      }
      use.set(view);
    }
    rewriter.eraseOp(alloc);
  }
}
