//===- MatmulBlocking.cpp - GEMM blocking strategies chosen by cost -------===//
//
// See MatmulBlocking.h and docs/scheduling.md. The plan is chosen at tensor
// level (trn-tile) by evaluating candidates with the target cost model
// (trnrt::Target::durationNs on representative instructions) under the SBUF
// budget, and emitted by trn-lower-to-trn as straight-line trn code.
//
//===----------------------------------------------------------------------===//

#include "MatmulBlocking.h"

#include "LowerUtils.h"
#include "TileUtils.h"
#include "trn/Dialect/Trn/IR/TrnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace mlir::trn;
using namespace mlir::trn::blocking;

StringRef mlir::trn::blocking::strategyName(Strategy s) {
  switch (s) {
  case Strategy::Naive:
    return "naive";
  case Strategy::Hoist:
    return "hoist";
  case Strategy::BlockMN:
    return "block-mn";
  case Strategy::BlockMNK:
    return "block-mnk";
  }
  return "naive";
}

std::optional<Strategy> mlir::trn::blocking::parseStrategy(StringRef name) {
  for (Strategy s : {Strategy::Naive, Strategy::Hoist, Strategy::BlockMN, Strategy::BlockMNK})
    if (strategyName(s) == name)
      return s;
  return std::nullopt;
}

ArrayRef<StringRef> mlir::trn::blocking::tilingNames() {
  static const StringRef names[] = {"auto", "tile", "naive", "hoist", "block-mn", "block-mnk"};
  return names;
}

Tiles mlir::trn::blocking::tilesFor(const trnrt::Target &target) {
  return Tiles{std::min<int64_t>(target.maxStationaryFree, target.numPartitions),
               tileutils::matmulMaxN(target), static_cast<int64_t>(target.numPartitions)};
}

//===----------------------------------------------------------------------===//
// Cost estimate
//===----------------------------------------------------------------------===//

namespace {

/// Durations of the instructions a plan is made of, from the cost model.
struct Costs {
  const trnrt::Target &t;
  GemmShape s;
  Tiles tiles;

  double dmaLoad(int64_t rows, int64_t cols, int64_t rowStride) const {
    trnrt::Instruction inst;
    trnrt::DmaCopy d;
    d.src = trnrt::AccessPattern::hbm(0, s.in, 0, static_cast<uint32_t>(rows), rowStride,
                                      {static_cast<uint32_t>(cols)});
    d.dst = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, s.in, 0, 0,
                                       static_cast<uint32_t>(rows), {static_cast<uint32_t>(cols)});
    inst.body = d;
    return t.durationNs(inst, trnrt::kFirstDmaQueue, /*semaphoreTriggered=*/true);
  }
  double dmaStore(trnrt::DType dt) const {
    trnrt::Instruction inst;
    trnrt::DmaCopy d;
    d.src = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, dt, 0, 0,
                                       static_cast<uint32_t>(tiles.tm),
                                       {static_cast<uint32_t>(tiles.tn)});
    d.dst = trnrt::AccessPattern::hbm(0, dt, 0, static_cast<uint32_t>(tiles.tm), s.N,
                                      {static_cast<uint32_t>(tiles.tn)});
    inst.body = d;
    return t.durationNs(inst, trnrt::kFirstDmaQueue, true);
  }
  trnrt::AccessPattern psum() const {
    return trnrt::AccessPattern::tile(trnrt::MemSpace::PSUM, trnrt::DType::F32, 0, 0,
                                      static_cast<uint32_t>(tiles.tm),
                                      {static_cast<uint32_t>(tiles.tn)});
  }
  trnrt::AccessPattern sbuf(trnrt::DType dt) const {
    return trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, dt, 0, 0,
                                      static_cast<uint32_t>(tiles.tm),
                                      {static_cast<uint32_t>(tiles.tn)});
  }
  double matmul() const {
    trnrt::Instruction inst;
    trnrt::Matmul m;
    m.dst = psum();
    m.stationary = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, s.in, 0, 0,
                                              static_cast<uint32_t>(tiles.tk),
                                              {static_cast<uint32_t>(tiles.tm)});
    m.moving = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, s.in, 0, 0,
                                          static_cast<uint32_t>(tiles.tk),
                                          {static_cast<uint32_t>(tiles.tn)});
    inst.body = m;
    return t.durationNs(inst, trnrt::kQueuePE);
  }
  /// Copy of a [TM, TN] tile on `q` (PSUM or SBUF f32 source).
  double copy(trnrt::QueueId q, bool fromPsum, trnrt::DType dst) const {
    trnrt::Instruction inst;
    trnrt::TensorCopy c;
    c.src = fromPsum ? psum() : sbuf(trnrt::DType::F32);
    c.dst = sbuf(dst);
    inst.body = c;
    return t.durationNs(inst, q);
  }
  double add() const {
    trnrt::Instruction inst;
    trnrt::TensorTensor tt;
    tt.in0 = psum();
    tt.in1 = sbuf(trnrt::DType::F32);
    tt.dst = sbuf(trnrt::DType::F32);
    inst.body = tt;
    return t.durationNs(inst, trnrt::kQueueDVE);
  }
};

int64_t bytesOf(trnrt::DType t, int64_t n) {
  return static_cast<int64_t>(trnrt::dtypeBytes(t, static_cast<uint64_t>(n)));
}

} // namespace

std::optional<Plan> mlir::trn::blocking::evaluatePlan(const trnrt::Target &target,
                                                      const GemmShape &shape, Strategy s,
                                                      int64_t bm, int64_t bn, int64_t bk) {
  Tiles tl = tilesFor(target);
  if (shape.M % tl.tm || shape.N % tl.tn || shape.K % tl.tk)
    return std::nullopt;
  const int64_t MT = shape.M / tl.tm, NT = shape.N / tl.tn, KT = shape.K / tl.tk;
  if (s == Strategy::Naive || s == Strategy::Hoist)
    bm = bn = 1;
  if (s != Strategy::BlockMNK)
    bk = KT;
  if (bm < 1 || bn < 1 || bk < 1 || MT % bm || NT % bn || KT % bk)
    return std::nullopt;
  Costs c{target, shape, tl};
  const double mm = c.matmul();
  const double numMatmuls = double(MT) * NT * KT;
  // Evictions (PSUM or f32 SBUF -> C dtype) are spread over ScalarE and
  // VectorE by the scheduler: the faster pair rate.
  auto evictPair = [&](bool fromPsum) {
    double a = c.copy(trnrt::kQueueACT, fromPsum, shape.out);
    double v = c.copy(trnrt::kQueueDVE, fromPsum, shape.out);
    return a * v / (a + v); // two engines in parallel
  };
  double dma = 0, evict = 0, dve = 0;
  int64_t live = 0, stream = 0; // resident and per-iteration (double-buffered) bytes
  const int64_t inB = bytesOf(shape.in, 1), outB = bytesOf(shape.out, 1);
  switch (s) {
  case Strategy::Naive:
    dma = numMatmuls * (c.dmaLoad(tl.tk, tl.tm, shape.M) + c.dmaLoad(tl.tk, tl.tn, shape.N));
    stream = (tl.tm + tl.tn) * inB * 2;
    break;
  case Strategy::Hoist:
    dma = double(MT) * KT * c.dmaLoad(tl.tk, tl.tm, shape.M) +
          numMatmuls * c.dmaLoad(tl.tk, tl.tn, shape.N);
    live = KT * tl.tm * inB;
    stream = KT * tl.tn * inB;
    break;
  case Strategy::BlockMN:
    dma = double(MT) * KT * c.dmaLoad(tl.tk, tl.tm, shape.M) +
          double(MT / bm) * NT * KT * c.dmaLoad(tl.tk, tl.tn, shape.N);
    live = bm * KT * tl.tm * inB;
    stream = bn * KT * tl.tn * inB;
    break;
  case Strategy::BlockMNK: {
    const int64_t NB = NT / bn, KB = KT / bk, MB = MT / bm;
    dma = double(NB) * KT * c.dmaLoad(tl.tk, bn * tl.tn, shape.N) +
          double(NB) * KT * MB * c.dmaLoad(tl.tk, bm * tl.tm, shape.M);
    // First K block copies PSUM into the f32 accumulator, later ones add.
    dve = double(NB) * MT * bn * ((KB - 1) * c.add() + c.copy(trnrt::kQueueDVE, true,
                                                               trnrt::DType::F32));
    live = MT * bn * tl.tn * 4;
    stream = bk * (bn * tl.tn + bm * tl.tm) * inB;
    break;
  }
  }
  const bool accInSbuf = s == Strategy::BlockMNK;
  if (!accInSbuf || shape.out != trnrt::DType::F32)
    evict = double(MT) * NT * evictPair(!accInSbuf);
  dma += double(MT) * NT * c.dmaStore(shape.out);
  stream += tl.tn * outB * 2;
  const int64_t budget = static_cast<int64_t>(target.sbufBytesPerPartition) * 7 / 8;
  if (live + stream > budget)
    return std::nullopt;
  const bool doubleBuffered = live + 2 * stream <= budget;
  const double pe = numMatmuls * mm;
  const double dmaQ = dma / target.dma.numEngines;
  double est = std::max({pe, dmaQ, evict, dve});
  if (!doubleBuffered)
    est = pe + dmaQ; // loads of a block cannot overlap the previous block's matmuls
  Plan p;
  p.strategy = s;
  p.bm = bm;
  p.bn = bn;
  p.bk = bk;
  p.estimatedNs = est;
  p.sbufBytes = live + (doubleBuffered ? 2 : 1) * stream;
  return p;
}

std::optional<Plan> mlir::trn::blocking::choosePlan(const trnrt::Target &target,
                                                    const GemmShape &shape, StringRef tiling) {
  std::optional<Plan> best;
  auto consider = [&](std::optional<Plan> p) {
    if (p && (!best || p->estimatedNs < best->estimatedNs))
      best = p;
  };
  static const int64_t sizes[] = {1, 2, 4, 8, 16, 32, 64};
  auto sweep = [&](Strategy s) {
    for (int64_t bm : sizes)
      for (int64_t bn : sizes)
        for (int64_t bk : sizes)
          consider(evaluatePlan(target, shape, s, bm, bn, bk));
  };
  if (tiling == "auto") {
    for (Strategy s : {Strategy::Naive, Strategy::Hoist, Strategy::BlockMN, Strategy::BlockMNK})
      sweep(s);
    return best;
  }
  std::optional<Strategy> s = parseStrategy(tiling);
  if (!s)
    return std::nullopt;
  // The tutorial's block sizes (NKI matmul tutorial: block free dims 2 x 2;
  // fully optimised 16 x 2 x 8) when they divide the shape and fit.
  if (*s == Strategy::BlockMN)
    consider(evaluatePlan(target, shape, *s, 2, 2, 1));
  else if (*s == Strategy::BlockMNK)
    consider(evaluatePlan(target, shape, *s, 16, 2, 8));
  else
    consider(evaluatePlan(target, shape, *s, 1, 1, 1));
  if (!best)
    sweep(*s);
  return best;
}

//===----------------------------------------------------------------------===//
// Marking (trn-tile)
//===----------------------------------------------------------------------===//

bool mlir::trn::blocking::hasPlan(Operation *op) { return op->hasAttr(kPlanAttr); }

LogicalResult mlir::trn::blocking::markBlockedMatmuls(func::FuncOp func) {
  StringRef tiling = "auto";
  auto module = func->getParentOfType<ModuleOp>();
  if (module) {
    if (Attribute a = module->getAttr(kTilingAttr)) {
      auto s = dyn_cast<StringAttr>(a);
      if (!s || !llvm::is_contained(tilingNames(), s.getValue())) {
        std::string names;
        for (StringRef n : tilingNames())
          names += (names.empty() ? "" : ", ") + n.str();
        return module.emitError() << "unknown matmul tiling " << a << "; expected one of "
                                  << names,
               failure();
      }
      tiling = s.getValue();
    }
  }
  if (tiling == "tile")
    return success();
  const trnrt::Target &target = getTarget(func);
  func.walk([&](linalg::MatmulOp op) {
    auto lop = cast<linalg::LinalgOp>(op.getOperation());
    if (!lop.hasPureTensorSemantics() || !tileutils::isDeviceContraction(lop) ||
        lop.getNumLoops() != 3)
      return;
    auto fill = op.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
    if (!fill)
      return;
    std::optional<double> v = lower::fillValue(fill);
    if (!v || *v != 0.0)
      return;
    if (!llvm::all_of(op->getUsers(), [](Operation *u) { return isa<func::ReturnOp>(u); }))
      return;
    auto lt = cast<RankedTensorType>(op.getDpsInputOperand(0)->get().getType());
    auto rt = cast<RankedTensorType>(op.getDpsInputOperand(1)->get().getType());
    auto ct = cast<RankedTensorType>(op->getResult(0).getType());
    if (!lt.hasStaticShape() || !rt.hasStaticShape() || !ct.hasStaticShape() ||
        lt.getElementType() != rt.getElementType())
      return;
    std::optional<trnrt::DType> in = getDType(lt.getElementType());
    std::optional<trnrt::DType> out = getDType(ct.getElementType());
    if (!in || !out ||
        !llvm::is_contained({trnrt::DType::F32, trnrt::DType::BF16, trnrt::DType::F16}, *in) ||
        !llvm::is_contained({trnrt::DType::F32, trnrt::DType::BF16}, *out))
      return;
    GemmShape shape{ct.getDimSize(0), ct.getDimSize(1), lt.getDimSize(0), *in, *out};
    std::optional<Plan> plan = choosePlan(target, shape, tiling);
    if (!plan)
      return; // does not divide into tiles / blocks: per-tile lowering
    Builder b(op->getContext());
    op->setAttr(kPlanAttr,
                b.getDictionaryAttr({
                    b.getNamedAttr("strategy", b.getStringAttr(strategyName(plan->strategy))),
                    b.getNamedAttr("bm", b.getI64IntegerAttr(plan->bm)),
                    b.getNamedAttr("bn", b.getI64IntegerAttr(plan->bn)),
                    b.getNamedAttr("bk", b.getI64IntegerAttr(plan->bk)),
                    b.getNamedAttr("estimated_ns", b.getF64FloatAttr(plan->estimatedNs)),
                    b.getNamedAttr("sbuf_bytes", b.getI64IntegerAttr(plan->sbufBytes)),
                }));
  });
  return success();
}

//===----------------------------------------------------------------------===//
// Emission (trn-lower-to-trn)
//===----------------------------------------------------------------------===//

LogicalResult mlir::trn::lower::lowerMatmulBlocked(RewriterBase &rewriter, linalg::LinalgOp op,
                                                   linalg::FillOp initFill) {
  auto planAttr = op->getAttrOfType<DictionaryAttr>(kPlanAttr);
  auto stratAttr = planAttr ? planAttr.getAs<StringAttr>("strategy") : StringAttr();
  std::optional<Strategy> strategy = stratAttr ? parseStrategy(stratAttr.getValue())
                                               : std::nullopt;
  auto intOf = [&](StringRef name) -> int64_t {
    auto a = planAttr ? planAttr.getAs<IntegerAttr>(name) : IntegerAttr();
    return a ? a.getInt() : 0;
  };
  if (!strategy)
    return op->emitOpError("has a malformed ") << kPlanAttr << " attribute";
  TileEmitter e(rewriter, op);
  Value L = op.getDpsInputOperand(0)->get(), R = op.getDpsInputOperand(1)->get();
  Value C = op.getDpsInitOperand(0)->get();
  if (TileEmitter::isOnChip(L) || TileEmitter::isOnChip(R) || TileEmitter::isOnChip(C))
    return op->emitOpError("blocked matmul operands must be HBM tensors");
  if (initFill) {
    std::optional<double> v = fillValue(initFill);
    if (!v || *v != 0.0)
      return initFill->emitOpError("blocked matmul expects a zero accumulator fill");
  } else {
    return op->emitOpError("blocked matmul expects a zero accumulator fill");
  }
  auto lt = cast<MemRefType>(L.getType()), ct = cast<MemRefType>(C.getType());
  const Tiles tl = tilesFor(e.target);
  const int64_t K = lt.getDimSize(0), M = lt.getDimSize(1), N = ct.getDimSize(1);
  const int64_t bm = intOf("bm"), bn = intOf("bn"), bk = intOf("bk");
  if (M % tl.tm || N % tl.tn || K % tl.tk || bm < 1 || bn < 1 || bk < 1 ||
      (M / tl.tm) % bm || (N / tl.tn) % bn || (K / tl.tk) % bk)
    return op->emitOpError("blocked matmul plan does not divide the shape ")
           << M << "x" << N << "x" << K;
  const int64_t MT = M / tl.tm, NT = N / tl.tn, KT = K / tl.tk;
  Type inElem = lt.getElementType(), outElem = ct.getElementType(), f32 = e.f32();
  UnitAttr unit = rewriter.getUnitAttr();
  LogicalResult status = success();

  // [rows, cols] tile of the [K, *] operand `src` at (k0, f0), loaded once.
  auto load = [&](Value src, int64_t k0, int64_t f0, int64_t cols) -> Value {
    FailureOr<Value> view = e.hbmAccess(src, {{0, k0, tl.tk}, {1, f0, cols}});
    if (failed(view)) {
      status = failure();
      return Value();
    }
    Value t = e.alloc({tl.tk, cols}, inElem);
    auto dma = DmaCopyOp::create(e.b, e.loc, *view, t, {}, {}, {});
    dma->setAttr(kNoReuseAttr, unit);
    return t;
  };
  // Evicts an f32 [TM, TN] tile (PSUM or SBUF) to C[m0, n0] in C's dtype.
  auto store = [&](Value acc, int64_t m0, int64_t n0, bool accIsSbuf) {
    FailureOr<Value> view = e.hbmAccess(C, {{0, m0, tl.tm}, {1, n0, tl.tn}});
    if (failed(view)) {
      status = failure();
      return;
    }
    Value out = acc;
    if (!accIsSbuf || outElem != f32) {
      out = e.alloc({tl.tm, tl.tn}, outElem);
      e.tensorCopy(acc, out);
    }
    e.dma(out, *view);
  };
  // Column slices of block tiles, created once per (tile, column).
  DenseMap<std::pair<void *, int64_t>, Value> slices;
  auto slice = [&](Value tile, int64_t col, int64_t width) {
    Value &s = slices[{tile.getAsOpaquePointer(), col}];
    if (!s)
      s = e.sliceTile(tile, 0, tl.tk, col, width);
    return s;
  };
  auto matmuls = [&](ArrayRef<Value> st, ArrayRef<Value> mv, int64_t stCol, int64_t mvCol,
                     Value psum) {
    for (size_t k = 0; k < st.size(); ++k)
      e.matmul(slice(st[k], stCol, tl.tm), slice(mv[k], mvCol, tl.tn), psum, k > 0);
  };

  switch (*strategy) {
  case Strategy::Naive:
    for (int64_t m = 0; m < MT && succeeded(status); ++m)
      for (int64_t n = 0; n < NT && succeeded(status); ++n) {
        Value psum = e.alloc({tl.tm, tl.tn}, f32, MemSpace::PSUM);
        for (int64_t k = 0; k < KT; ++k) {
          Value st = load(L, k * tl.tk, m * tl.tm, tl.tm);
          Value mv = load(R, k * tl.tk, n * tl.tn, tl.tn);
          if (failed(status))
            return failure();
          e.matmul(st, mv, psum, k > 0);
        }
        store(psum, m * tl.tm, n * tl.tn, false);
      }
    break;
  case Strategy::Hoist:
  case Strategy::BlockMN: {
    const int64_t BM = *strategy == Strategy::Hoist ? 1 : bm;
    const int64_t BN = *strategy == Strategy::Hoist ? 1 : bn;
    for (int64_t mb = 0; mb < MT / BM && succeeded(status); ++mb) {
      SmallVector<SmallVector<Value>> st(BM);
      for (int64_t i = 0; i < BM; ++i)
        for (int64_t k = 0; k < KT; ++k)
          st[i].push_back(load(L, k * tl.tk, (mb * BM + i) * tl.tm, tl.tm));
      for (int64_t nb = 0; nb < NT / BN && succeeded(status); ++nb) {
        SmallVector<SmallVector<Value>> mv(BN);
        for (int64_t j = 0; j < BN; ++j)
          for (int64_t k = 0; k < KT; ++k)
            mv[j].push_back(load(R, k * tl.tk, (nb * BN + j) * tl.tn, tl.tn));
        if (failed(status))
          return failure();
        for (int64_t i = 0; i < BM; ++i)
          for (int64_t j = 0; j < BN; ++j) {
            Value psum = e.alloc({tl.tm, tl.tn}, f32, MemSpace::PSUM);
            matmuls(st[i], mv[j], 0, 0, psum);
            store(psum, (mb * BM + i) * tl.tm, (nb * BN + j) * tl.tn, false);
          }
      }
    }
    break;
  }
  case Strategy::BlockMNK: {
    for (int64_t nb = 0; nb < NT / bn && succeeded(status); ++nb) {
      // f32 accumulators of the whole [M, bn * TN] column of C.
      SmallVector<SmallVector<Value>> acc(MT, SmallVector<Value>(bn));
      for (int64_t kb = 0; kb < KT / bk && succeeded(status); ++kb) {
        SmallVector<Value> mv;
        for (int64_t k = 0; k < bk; ++k)
          mv.push_back(load(R, (kb * bk + k) * tl.tk, nb * bn * tl.tn, bn * tl.tn));
        for (int64_t mb = 0; mb < MT / bm && succeeded(status); ++mb) {
          SmallVector<Value> st;
          for (int64_t k = 0; k < bk; ++k)
            st.push_back(load(L, (kb * bk + k) * tl.tk, mb * bm * tl.tm, bm * tl.tm));
          if (failed(status))
            return failure();
          for (int64_t j = 0; j < bn; ++j)
            for (int64_t i = 0; i < bm; ++i) {
              Value psum = e.alloc({tl.tm, tl.tn}, f32, MemSpace::PSUM);
              matmuls(st, mv, i * tl.tm, j * tl.tn, psum);
              Value &a = acc[mb * bm + i][j];
              if (kb == 0) {
                a = e.alloc({tl.tm, tl.tn}, f32);
                e.tensorCopy(psum, a);
              } else {
                e.tensorTensor(AluOp::Add, psum, a, a);
              }
            }
        }
      }
      for (int64_t m = 0; m < MT && succeeded(status); ++m)
        for (int64_t j = 0; j < bn; ++j)
          store(acc[m][j], m * tl.tm, (nb * bn + j) * tl.tn, true);
    }
    break;
  }
  }
  return status;
}
