//===- LowerReduce.cpp - linalg.reduce -> trn.tensor_reduce (+ PE transpose) ===//
//
// The partition dim is the largest kept dim (TileUtils.h), so a reduction
// with kept dims is a free-dim trn.tensor_reduce over an SBUF tile
// [P, other kept..., reduced...] staged by one DMA with permuted strides.
// A full reduction (rank-0 result) reduces each 128-row chunk over its free
// elements into a [P, 1] column, combines the chunks with tensor_tensor, moves
// the column onto one partition with a PE transpose (trn.transpose into PSUM)
// and reduces that row. A non-identity initial value (constant fill or an
// HBM tensor) is combined at the end with the reduction's own ALU op.
// A combiner of |element| (math.absf, e.g. max |x|) takes the absolute value
// of each loaded tile on chip (ScalarE activation abs, in place): one read of
// X, no |X| tensor in HBM.
//
//===----------------------------------------------------------------------===//

#include "LowerUtils.h"
#include "TileUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::trn;
using namespace mlir::trn::lower;

/// The reduction's combiner: one ALU op of the element and the accumulator,
/// optionally of |element| (`math.absf` of the input argument: max |x| for a
/// dynamic quantization amax). `abs` is set when the element is absolute.
static std::optional<AluOp> combinerOf(linalg::ReduceOp op, bool &abs) {
  Block &body = op.getCombiner().front();
  abs = false;
  if (body.getNumArguments() != 2)
    return std::nullopt;
  BlockArgument elem = body.getArgument(0), accArg = body.getArgument(1);
  auto ops = body.without_terminator();
  auto it = ops.begin();
  if (it == ops.end())
    return std::nullopt;
  Value x = elem;
  if (auto a = dyn_cast<math::AbsFOp>(*it); a && a.getOperand() == elem) {
    abs = true;
    x = a.getResult();
    ++it;
  }
  if (it == ops.end() || std::next(it) != ops.end())
    return std::nullopt;
  Operation &comb = *it;
  if (comb.getNumOperands() != 2 || comb.getNumResults() != 1 ||
      body.getTerminator()->getNumOperands() != 1 ||
      body.getTerminator()->getOperand(0) != comb.getResult(0))
    return std::nullopt;
  Value l = comb.getOperand(0), r = comb.getOperand(1);
  bool argsOk = abs ? ((l == x && r == accArg) || (l == accArg && r == x))
                    : llvm::all_of(comb.getOperands(), [&](Value v) {
                        return isa<BlockArgument>(v) &&
                               cast<BlockArgument>(v).getOwner() == &body;
                      });
  if (!argsOk)
    return std::nullopt;
  if (isa<arith::AddFOp>(comb))
    return AluOp::Add;
  if (isa<arith::MulFOp>(comb))
    return AluOp::Mul;
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(comb))
    return AluOp::Max;
  if (isa<arith::MinimumFOp, arith::MinNumFOp>(comb))
    return AluOp::Min;
  return std::nullopt;
}

/// Reduces the walk `rows` (partition entry) x `reduced` of X over all
/// reduced elements into the f32 column `col` [pc, 1]. Walks longer than the
/// per-tile budget are reduced in chunks of the outermost reduced walk dim,
/// combined with tensor_tensor. With `abs`, each loaded tile is replaced by
/// its absolute value on ScalarE (exact, in place) before VectorE reduces it.
static LogicalResult reduceRows(TileEmitter &e, AluOp alu, bool abs, Value X, AccessDim rows,
                                ArrayRef<AccessDim> reduced, Value col) {
  Type xElem = cast<MemRefType>(X.getType()).getElementType();
  int64_t budget = 4 * e.freeBudget(xElem);
  if (abs) {
    // max |x| (a dynamic quantization amax that a GEMM waits for): loads of
    // the DMA's full-rate size per partition, as fast per byte as larger
    // ones, so the first tile arrives early and ScalarE/VectorE pipeline
    // with the remaining loads (4096^3 bf16: the amax is ready ~24 us
    // earlier than with 4x larger loads).
    int64_t elemBytes = std::max<int64_t>(1, (xElem.getIntOrFloatBitWidth() + 7) / 8);
    int64_t fullRate = static_cast<int64_t>(e.target.dma.fullRateBytesPerPartition) / elemBytes;
    budget = std::min(budget, std::max<int64_t>(1, fullRate));
  }
  int64_t total = 1;
  for (const AccessDim &d : reduced)
    total *= d.size;
  auto reduceWalk = [&](ArrayRef<AccessDim> walk, Value dst) -> LogicalResult {
    SmallVector<AccessDim> full{rows};
    full.append(walk.begin(), walk.end());
    FailureOr<Value> t = e.loadWalk(X, full, xElem);
    if (failed(t))
      return failure();
    if (abs)
      e.activation(ActFunc::Abs, *t, *t);
    e.tensorReduce(alu, *t, dst, {0});
    return success();
  };
  if (total <= budget || reduced.empty())
    return reduceWalk(reduced, col);
  int64_t inner = total / reduced.front().size;
  if (inner > static_cast<int64_t>(e.target.maxFreeElemsSbuf))
    return e.op->emitOpError("reduction needs ")
           << inner << " elements per partition in one step, exceeding the " << e.target.name
           << " limit of " << e.target.maxFreeElemsSbuf;
  const AccessDim &outer = reduced.front();
  int64_t chunk = std::max<int64_t>(1, budget / inner);
  for (int64_t i = 0; i < outer.size; i += chunk) {
    SmallVector<AccessDim> walk{{outer.dim, outer.start + i, std::min(chunk, outer.size - i)}};
    walk.append(reduced.begin() + 1, reduced.end());
    if (i == 0) {
      if (failed(reduceWalk(walk, col)))
        return failure();
      continue;
    }
    int64_t pc = cast<MemRefType>(col.getType()).getDimSize(0);
    Value part = e.alloc({pc, 1}, e.f32());
    if (failed(reduceWalk(walk, part)))
      return failure();
    e.tensorTensor(alu, col, part, col);
  }
  return success();
}

/// A row tile of trn-fuse-rows: X [P, K] (on chip, or an HBM view loaded
/// here) reduced over K into Y [P] (an on-chip column, or HBM). One
/// tensor_reduce; the initial value is combined as in the HBM form.
static LogicalResult lowerRowTileReduce(TileEmitter &e, linalg::ReduceOp op, AluOp alu, bool abs,
                                        linalg::FillOp initFill) {
  Value X = op.getDpsInputOperand(0)->get(), Y = op.getDpsInitOperand(0)->get();
  auto xt = cast<MemRefType>(X.getType()), yt = cast<MemRefType>(Y.getType());
  if (xt.getRank() != 2 || yt.getRank() != 1 || op.getDimensions() != ArrayRef<int64_t>{1})
    return op->emitOpError("reduction of an on-chip tile must reduce a [P, K] tile over K "
                           "into a [P] column (trn-fuse-rows form)");
  const int64_t P = xt.getDimSize(0), K = xt.getDimSize(1);
  Type f32 = e.f32(), yElem = yt.getElementType();
  Value x = TileEmitter::onChipRoot(X);
  if (!x) {
    FailureOr<Value> view = e.hbmAccess(X, {{0, 0, P}, {1, 0, K}});
    if (failed(view))
      return failure();
    x = e.load(*view, {P, K}, xt.getElementType());
    if (abs)
      e.activation(ActFunc::Abs, x, x);
  } else if (abs) {
    Value t = e.alloc({P, K}, f32); // X is read by others: |X| in a copy
    e.activation(ActFunc::Abs, x, t);
    x = t;
  }
  std::optional<double> init;
  if (initFill) {
    init = fillValue(initFill);
    if (!init)
      return initFill->emitOpError("reduction init fill must be a constant");
  }
  const bool identity = init && static_cast<float>(*init) == reductionIdentity(alu);
  Value y = TileEmitter::onChipRoot(Y);
  Value out = y ? y : e.alloc({P, 1}, yElem);
  Value red = identity && yElem == f32 ? out : e.alloc({P, 1}, f32);
  e.tensorReduce(alu, x, red, {0}); // free-dim axis: K
  if (init && !identity) {
    e.tensorScalar(red, out, alu, Scalar::ofImm(static_cast<float>(*init)));
  } else if (!init) { // the initial values are Y's contents
    Value prev = y;
    if (!prev) {
      FailureOr<Value> view = e.hbmAccess(Y, {{0, 0, P}});
      if (failed(view))
        return failure();
      prev = e.load(*view, {P, 1}, yElem);
    }
    e.tensorTensor(alu, red, prev, out);
  } else if (red != out) {
    e.tensorCopy(red, out);
  }
  if (!y) {
    FailureOr<Value> view = e.hbmAccess(Y, {{0, 0, P}});
    if (failed(view))
      return failure();
    e.dma(out, *view);
  }
  return success();
}

LogicalResult mlir::trn::lower::lowerReduce(RewriterBase &rewriter, linalg::ReduceOp op,
                                            linalg::FillOp initFill) {
  TileEmitter e(rewriter, op);
  if (op.getNumDpsInputs() != 1)
    return op->emitOpError("reductions of several operands are not supported by trnc");
  bool abs = false;
  std::optional<AluOp> alu = combinerOf(op, abs);
  if (!alu)
    return op->emitOpError("reduction body must be a single arith addf/mulf/maximumf/minimumf "
                           "of the element and the accumulator (the element optionally "
                           "through math.absf)");
  Value X = op.getDpsInputOperand(0)->get(), Y = op.getDpsInitOperand(0)->get();
  if (TileEmitter::isOnChip(X) || TileEmitter::isOnChip(Y))
    return lowerRowTileReduce(e, op, *alu, abs, initFill);
  auto xt = cast<MemRefType>(X.getType()), yt = cast<MemRefType>(Y.getType());
  Type xElem = xt.getElementType(), yElem = yt.getElementType(), f32 = e.f32();
  ArrayRef<int64_t> S = xt.getShape();
  ArrayRef<int64_t> reduced = op.getDimensions();
  SmallVector<int64_t> kept;
  for (int64_t d = 0; d < xt.getRank(); ++d)
    if (!llvm::is_contained(reduced, d))
      kept.push_back(d);

  enum class Init { None, Constant, Tensor } init = Init::Tensor;
  float initValue = 0.0f;
  if (initFill) {
    std::optional<double> v = fillValue(initFill);
    if (!v)
      return initFill->emitOpError("reduction init fill must be a constant");
    initValue = static_cast<float>(*v);
    init = initValue == reductionIdentity(*alu) ? Init::None : Init::Constant;
  }
  // Combines the f32 partial `red` with the initial value into `out`.
  auto finish = [&](Value red, Value out, Value yView, ArrayRef<int64_t> shape) {
    if (init == Init::Constant) {
      e.tensorScalar(red, out, *alu, Scalar::ofImm(initValue));
    } else if (init == Init::Tensor) {
      Value yin = e.load(yView, shape, yElem);
      e.tensorTensor(*alu, red, yin, out);
    } else if (red != out) {
      e.tensorCopy(red, out);
    }
    e.dma(out, yView);
  };
  const int64_t pStep = e.target.numPartitions;

  if (!kept.empty()) {
    // Partition dim first, the other kept dims in order: `keptOrder[j]` is
    // the index in `kept` (= the result dim) of the tile's j-th kept dim.
    const int64_t pd = tileutils::reducePartitionDim(S, reduced);
    SmallVector<int64_t> keptOrder{
        static_cast<int64_t>(llvm::find(kept, pd) - kept.begin())};
    for (int64_t j = 0; j < static_cast<int64_t>(kept.size()); ++j)
      if (kept[j] != pd)
        keptOrder.push_back(j);
    int64_t Fk = 1, Fr = 1;
    for (int64_t j : ArrayRef<int64_t>(keptOrder).drop_front())
      Fk *= S[kept[j]];
    for (int64_t d : reduced)
      Fr *= S[d];
    if (Fk > 1 && static_cast<uint64_t>(Fk * Fr) > e.target.maxFreeElemsSbuf)
      return op->emitOpError("reduction tile has ")
             << Fk * Fr << " elements per partition, exceeding the " << e.target.name
             << " limit of " << e.target.maxFreeElemsSbuf;
    for (int64_t p0 = 0; p0 < S[pd]; p0 += pStep) {
      int64_t pc = std::min(pStep, S[pd] - p0);
      SmallVector<AccessDim> src{{pd, p0, pc}};
      for (int64_t j : ArrayRef<int64_t>(keptOrder).drop_front())
        src.push_back({kept[j], 0, S[kept[j]]});
      for (int64_t d : reduced)
        src.push_back({d, 0, S[d]});
      FailureOr<Value> xView = Fk == 1 ? FailureOr<Value>(Value()) : e.hbmAccess(X, src);
      SmallVector<AccessDim> dst{{keptOrder.front(), p0, pc}};
      for (int64_t j : ArrayRef<int64_t>(keptOrder).drop_front())
        dst.push_back({j, 0, S[kept[j]]});
      FailureOr<Value> yView = e.hbmAccess(Y, dst);
      if (failed(xView) || failed(yView))
        return failure();
      SmallVector<int64_t> tileShape = Fk == 1 ? SmallVector<int64_t>{pc, Fr}
                                               : SmallVector<int64_t>{pc, Fk, Fr};
      SmallVector<int64_t> redShape{pc, Fk};
      Value out = e.alloc(redShape, yElem);
      if (Fk == 1) {
        // One column: chunked free-dim reduction accumulated in f32.
        Value red = init == Init::None && yElem == f32 ? out : e.alloc(redShape, f32);
        SmallVector<AccessDim> reducedWalk(src.begin() + 1, src.end());
        if (failed(reduceRows(e, *alu, abs, X, src.front(), reducedWalk, red)))
          return failure();
        finish(red, out, *yView, redShape);
        continue;
      }
      Value t = e.load(*xView, tileShape, xElem);
      if (abs)
        e.activation(ActFunc::Abs, t, t);
      Value red = init == Init::None ? out : e.alloc(redShape, f32);
      e.tensorReduce(*alu, t, red, {1});
      finish(red, out, *yView, redShape);
    }
    return success();
  }

  // Full reduction to a scalar.
  int64_t rows = xt.getRank() == 0 ? 1 : S[0];
  int64_t Fr = 1;
  for (int64_t d = 1; d < xt.getRank(); ++d)
    Fr *= S[d];
  int64_t pc0 = std::min(pStep, rows);
  Value acc = e.alloc({pc0, 1}, f32);
  for (int64_t p0 = 0; p0 < rows; p0 += pStep) {
    int64_t pc = std::min(pStep, rows - p0);
    SmallVector<AccessDim> src;
    if (xt.getRank() > 0)
      src.push_back({0, p0, pc});
    for (int64_t d = 1; d < xt.getRank(); ++d)
      src.push_back({d, 0, S[d]});
    AccessDim rowsWalk = src.empty() ? AccessDim{-1, 0, 1} : src.front();
    SmallVector<AccessDim> reducedWalk(src.begin() + (src.empty() ? 0 : 1), src.end());
    if (p0 == 0) {
      if (failed(reduceRows(e, *alu, abs, X, rowsWalk, reducedWalk, acc)))
        return failure();
      continue;
    }
    Value part = e.alloc({pc, 1}, f32);
    if (failed(reduceRows(e, *alu, abs, X, rowsWalk, reducedWalk, part)))
      return failure();
    Value accRows = e.sliceTile(acc, 0, pc, 0, 1);
    e.tensorTensor(*alu, accRows, part, accRows);
  }
  FailureOr<Value> yView = e.hbmAccess(Y, {});
  if (failed(yView))
    return failure();
  Value out = e.alloc({1, 1}, yElem);
  Value total = acc;
  if (pc0 > 1) {
    Value row = e.alloc({1, pc0}, f32, MemSpace::PSUM);
    e.transpose(acc, row);
    total = init == Init::None ? out : e.alloc({1, 1}, f32);
    e.tensorReduce(*alu, row, total, {0});
  }
  finish(total, out, *yView, {1, 1});
  return success();
}
