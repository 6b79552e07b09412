//===- Allocate.cpp - trn-allocate: SBUF/PSUM addresses by liveness -------===//
//
// Stage 7 of docs/pipeline.md. Input: straight-line device-level functions
// (stage 6). Every `trn.alloc` gets an `offset` (byte address within each
// partition) such that buffers of the same memory whose live ranges overlap
// never overlap in memory.
//
// * Live range of a buffer: from the first to the last operation (in program
//   order) using it directly or through memref.subview / memref.cast views.
// * Sizes are bytes per partition (free elements x element size), rounded up
//   to `alignment`; SBUF and PSUM are planned independently.
// * PSUM: a tile no larger than a bank never straddles a bank boundary; a
//   larger tile (trn3 multi-bank matmul outputs) starts on a bank boundary.
// * Placement strategies, tried in order until one fits:
//     rotate     - next-fit from the end of the previously placed buffer,
//                  wrapping around: a freed block is reused only after the
//                  rest of the memory has been cycled through, so the tiles
//                  of consecutive unrolled iterations land in different
//                  places (double/multi buffering) and the scheduler can
//                  overlap them;
//     first-fit  - lowest address in program order (tight packing);
//     size-first - largest buffers first, lowest address (tightest).
// * If the live bytes at some point exceed the memory, or no strategy fits,
//   the error is reported at the `trn.alloc` whose buffer cannot be placed.
// * The module records the plan in `trnc.memory_plan` (per-partition high
//   water mark and peak live bytes of SBUF and PSUM, and the strategy used).
//
//===----------------------------------------------------------------------===//

#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <numeric>

namespace mlir::trn {
#define GEN_PASS_DEF_TRNALLOCATEPASS
#include "trn/Transforms/Passes.h.inc"
} // namespace mlir::trn

using namespace mlir;
using namespace mlir::trn;

namespace {

struct Buffer {
  AllocOp op;
  MemSpace space = MemSpace::SBUF;
  uint64_t bytes = 0;   // aligned bytes per partition
  int64_t first = 0;    // live range [first, last] in op positions
  int64_t last = 0;
  std::optional<uint64_t> fixed; // pre-assigned offset (kept)
  uint64_t offset = 0;
  bool placed = false;
};

enum class Strategy { Rotate, FirstFit, SizeFirst };

const char *strategyName(Strategy s) {
  switch (s) {
  case Strategy::Rotate:
    return "rotate";
  case Strategy::FirstFit:
    return "first-fit";
  case Strategy::SizeFirst:
    return "size-first";
  }
  return "";
}

const char *spaceLabel(MemSpace s) { return s == MemSpace::PSUM ? "PSUM" : "SBUF"; }

struct MemoryModel {
  uint64_t capacity = 0;
  uint64_t bankBytes = 0; // PSUM only (0 = no bank rule)
};

/// Smallest offset >= `from` that is aligned and obeys the bank rule.
uint64_t legalize(uint64_t from, uint64_t bytes, uint64_t alignment, const MemoryModel &mem) {
  uint64_t off = llvm::alignTo(from, alignment);
  if (mem.bankBytes) {
    if (bytes > mem.bankBytes) {
      off = llvm::alignTo(off, mem.bankBytes);
    } else if (off / mem.bankBytes != (off + bytes - 1) / mem.bankBytes) {
      off = llvm::alignTo(off, mem.bankBytes);
    }
  }
  return off;
}

class Planner {
public:
  Planner(SmallVector<Buffer> &buffers, MemSpace space, const MemoryModel &mem, uint64_t alignment)
      : buffers(buffers), space(space), mem(mem), alignment(alignment) {}

  /// Tries `strategy`; on failure returns the buffer that could not be placed.
  Buffer *run(Strategy strategy) {
    SmallVector<Buffer *> order;
    for (Buffer &b : buffers) {
      if (b.space != space)
        continue;
      b.placed = false;
      if (b.fixed) {
        b.offset = *b.fixed;
        b.placed = true;
      } else {
        order.push_back(&b);
      }
    }
    if (strategy == Strategy::SizeFirst)
      llvm::stable_sort(order, [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
    uint64_t cursor = 0;
    for (Buffer *b : order) {
      std::optional<uint64_t> off = place(*b, strategy == Strategy::Rotate ? cursor : 0);
      if (!off)
        return b;
      b->offset = *off;
      b->placed = true;
      cursor = *off + b->bytes;
      if (cursor >= mem.capacity)
        cursor = 0;
    }
    return nullptr;
  }

private:
  /// Lowest legal offset at or after `start` (wrapping around to 0) where `b`
  /// fits between the placed buffers whose live ranges overlap b's.
  std::optional<uint64_t> place(const Buffer &b, uint64_t start) {
    SmallVector<std::pair<uint64_t, uint64_t>> busy; // [begin, end)
    for (const Buffer &o : buffers)
      if (o.space == space && o.placed && &o != &b && o.first <= b.last && b.first <= o.last)
        busy.push_back({o.offset, o.offset + o.bytes});
    llvm::sort(busy);
    auto firstFitFrom = [&](uint64_t from, uint64_t limit) -> std::optional<uint64_t> {
      uint64_t off = legalize(from, b.bytes, alignment, mem);
      for (auto [bb, be] : busy) {
        if (off + b.bytes <= bb)
          break;
        if (be > off)
          off = legalize(be, b.bytes, alignment, mem);
      }
      if (off + b.bytes <= limit)
        return off;
      return std::nullopt;
    };
    if (start) {
      if (std::optional<uint64_t> off = firstFitFrom(start, mem.capacity))
        return off;
    }
    return firstFitFrom(0, mem.capacity);
  }

  SmallVector<Buffer> &buffers;
  MemSpace space;
  MemoryModel mem;
  uint64_t alignment;
};

struct TrnAllocatePass : public trn::impl::TrnAllocatePassBase<TrnAllocatePass> {
  using TrnAllocatePassBase::TrnAllocatePassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    const trnrt::Target &target = getTarget(module);
    uint64_t align = alignment;
    if (align == 0 || !llvm::isPowerOf2_64(align)) {
      module.emitError() << "trn-allocate: alignment must be a power of two, got " << align;
      return signalPassFailure();
    }
    uint64_t sbufHigh = 0, psumHigh = 0, sbufPeak = 0, psumPeak = 0;
    SmallVector<Strategy> used;
    for (func::FuncOp func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      FailureOr<FuncStats> stats = allocateFunction(func, target);
      if (failed(stats))
        return signalPassFailure();
      sbufHigh = std::max(sbufHigh, stats->high[0]);
      psumHigh = std::max(psumHigh, stats->high[1]);
      sbufPeak = std::max(sbufPeak, stats->peak[0]);
      psumPeak = std::max(psumPeak, stats->peak[1]);
      used.push_back(std::max(stats->strategy[0], stats->strategy[1]));
    }
    Strategy worst = used.empty() ? Strategy::Rotate : *llvm::max_element(used);
    Builder b(module.getContext());
    module->setAttr("trnc.memory_plan",
                    b.getDictionaryAttr({
                        b.getNamedAttr("psum_high_water", b.getI64IntegerAttr(psumHigh)),
                        b.getNamedAttr("psum_peak_live", b.getI64IntegerAttr(psumPeak)),
                        b.getNamedAttr("sbuf_high_water", b.getI64IntegerAttr(sbufHigh)),
                        b.getNamedAttr("sbuf_peak_live", b.getI64IntegerAttr(sbufPeak)),
                        b.getNamedAttr("strategy", b.getStringAttr(strategyName(worst))),
                    }));
  }

  struct FuncStats {
    uint64_t high[2] = {0, 0};
    uint64_t peak[2] = {0, 0};
    Strategy strategy[2] = {Strategy::Rotate, Strategy::Rotate};
  };

  FailureOr<FuncStats> allocateFunction(func::FuncOp func, const trnrt::Target &target) {
    if (!func.getBody().hasOneBlock()) {
      func.emitOpError() << "trn-allocate expects straight-line code (one block); the "
                            "function has "
                         << func.getBody().getBlocks().size() << " blocks";
      return failure();
    }
    Block &block = func.getBody().front();
    DenseMap<Operation *, int64_t> position;
    int64_t pos = 0;
    for (Operation &op : block) {
      if (op.getNumRegions() != 0) {
        op.emitOpError() << "trn-allocate expects straight-line code (stage 6: unrolled, no "
                            "regions); run trn-unroll first";
        return failure();
      }
      position[&op] = pos++;
    }

    SmallVector<Buffer> buffers;
    for (AllocOp alloc : block.getOps<AllocOp>()) {
      MemRefType type = alloc.getBuffer().getType();
      std::optional<MemSpace> space = getMemSpace(type);
      std::optional<trnrt::DType> dtype = getDType(type.getElementType());
      if (!space || *space == MemSpace::HBM || !dtype || !type.hasStaticShape()) {
        alloc.emitOpError() << "cannot be allocated: expected a static SBUF/PSUM buffer, got "
                            << type;
        return failure();
      }
      Buffer b;
      b.op = alloc;
      b.space = *space;
      uint64_t freeElems = 1;
      for (int64_t d : type.getShape().drop_front())
        freeElems *= static_cast<uint64_t>(d);
      b.bytes = llvm::alignTo(trnrt::dtypeBytes(*dtype, freeElems), alignment);
      b.fixed = alloc.getOffset();
      // Live range through views.
      int64_t first = position[alloc], last = position[alloc];
      bool used = false;
      SmallVector<Value> work{alloc.getBuffer()};
      while (!work.empty()) {
        Value v = work.pop_back_val();
        for (Operation *user : v.getUsers()) {
          if (isa<memref::SubViewOp, memref::CastOp, memref::ReinterpretCastOp>(user)) {
            work.push_back(user->getResult(0));
            continue;
          }
          Operation *anc = block.findAncestorOpInBlock(*user);
          if (!anc)
            continue;
          int64_t p = position[anc];
          if (!used) {
            first = last = p;
            used = true;
          } else {
            first = std::min(first, p);
            last = std::max(last, p);
          }
        }
      }
      b.first = first;
      b.last = last;
      buffers.push_back(b);
    }

    FuncStats stats;
    for (MemSpace space : {MemSpace::SBUF, MemSpace::PSUM}) {
      unsigned si = space == MemSpace::SBUF ? 0 : 1;
      MemoryModel mem;
      if (space == MemSpace::SBUF) {
        mem.capacity = target.sbufBytesPerPartition;
      } else {
        mem.capacity = target.psumBytesPerPartition();
        mem.bankBytes = target.psumBankBytes;
      }
      if (failed(checkPeak(buffers, space, mem, target, stats.peak[si])))
        return failure();
      Planner planner(buffers, space, mem, alignment);
      SmallVector<Strategy> strategies;
      if (rotate)
        strategies.push_back(Strategy::Rotate);
      strategies.append({Strategy::FirstFit, Strategy::SizeFirst});
      Buffer *failedAt = nullptr;
      bool done = false;
      for (Strategy s : strategies) {
        failedAt = planner.run(s);
        if (!failedAt) {
          stats.strategy[si] = s;
          done = true;
          break;
        }
      }
      if (!done) {
        uint64_t live = liveBytesAt(buffers, space, *failedAt);
        failedAt->op.emitOpError()
            << spaceLabel(space) << " needs " << live
            << " bytes per partition at this point (this buffer: " << failedAt->bytes
            << " bytes), the " << target.name << " limit is " << mem.capacity
            << "; no free range is large enough (fragmentation"
            << (mem.bankBytes ? " or PSUM bank boundaries" : "") << ")";
        return failure();
      }
      // Verify pre-assigned offsets and record the high-water mark.
      for (Buffer &b : buffers) {
        if (b.space != space)
          continue;
        if (b.offset + b.bytes > mem.capacity) {
          b.op.emitOpError() << "offset " << b.offset << " with " << b.bytes
                             << " bytes per partition exceeds the " << target.name << " "
                             << spaceLabel(space) << " limit of " << mem.capacity;
          return failure();
        }
        stats.high[si] = std::max(stats.high[si], b.offset + b.bytes);
      }
      for (size_t i = 0; i < buffers.size(); ++i)
        for (size_t j = i + 1; j < buffers.size(); ++j) {
          Buffer &a = buffers[i], &c = buffers[j];
          if (a.space != space || c.space != space || !a.fixed || !c.fixed)
            continue;
          if (a.first <= c.last && c.first <= a.last && a.offset < c.offset + c.bytes &&
              c.offset < a.offset + a.bytes) {
            InFlightDiagnostic d = c.op.emitOpError()
                                   << "pre-assigned offset " << c.offset
                                   << " overlaps a live buffer at offset " << a.offset;
            d.attachNote(a.op.getLoc()) << "the other buffer";
            return failure();
          }
        }
    }
    OpBuilder builder(func.getContext());
    for (Buffer &b : buffers)
      b.op.setOffsetAttr(builder.getI64IntegerAttr(static_cast<int64_t>(b.offset)));
    return stats;
  }

  static uint64_t liveBytesAt(ArrayRef<Buffer> buffers, MemSpace space, const Buffer &at) {
    uint64_t sum = 0;
    for (const Buffer &o : buffers)
      if (o.space == space && o.first <= at.first && at.first <= o.last)
        sum += o.bytes;
    return sum;
  }

  /// The live bytes at every point must fit; otherwise report at the buffer
  /// whose first use makes the sum exceed the capacity.
  LogicalResult checkPeak(ArrayRef<Buffer> buffers, MemSpace space, const MemoryModel &mem,
                          const trnrt::Target &target, uint64_t &peak) {
    SmallVector<const Buffer *> order;
    for (const Buffer &b : buffers)
      if (b.space == space)
        order.push_back(&b);
    llvm::stable_sort(order, [](const Buffer *a, const Buffer *b) { return a->first < b->first; });
    for (const Buffer *b : order) {
      uint64_t live = liveBytesAt(buffers, space, *b);
      peak = std::max(peak, live);
      if (live > mem.capacity) {
        AllocOp op = b->op;
        op.emitOpError() << spaceLabel(space) << " needs " << live
                            << " bytes per partition at this point, the " << target.name
                            << " limit is " << mem.capacity;
        return failure();
      }
    }
    return success();
  }
};

} // namespace
