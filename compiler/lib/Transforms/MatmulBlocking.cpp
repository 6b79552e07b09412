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
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

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
  /// Store of a [TM, cols] tile of C.
  double dmaStore(trnrt::DType dt, int64_t cols) const {
    trnrt::Instruction inst;
    trnrt::DmaCopy d;
    d.src = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, dt, 0, 0,
                                       static_cast<uint32_t>(tiles.tm),
                                       {static_cast<uint32_t>(cols)});
    d.dst = trnrt::AccessPattern::hbm(0, dt, 0, static_cast<uint32_t>(tiles.tm), s.N,
                                      {static_cast<uint32_t>(cols)});
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
  double add(trnrt::DType acc) const {
    trnrt::Instruction inst;
    trnrt::TensorTensor tt;
    tt.in0 = psum();
    tt.in1 = sbuf(acc);
    tt.dst = sbuf(acc);
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
                                                      int64_t bm, int64_t bn, int64_t bk,
                                                      bool accInOutputType, bool fullBudget) {
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
  if (s != Strategy::BlockMNK)
    accInOutputType = false;
  const trnrt::DType accType = accInOutputType ? shape.out : trnrt::DType::F32;
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
  // SBUF per partition: `live` stays resident, `outer` is reloaded per outer
  // block (block-mnk: the moving block of one K block), `inner` per inner
  // iteration; prefetching the next inner block needs a second copy of it.
  int64_t live = 0, outer = 0, inner = 0;
  const int64_t inB = bytesOf(shape.in, 1), outB = bytesOf(shape.out, 1);
  switch (s) {
  case Strategy::Naive:
    dma = numMatmuls * (c.dmaLoad(tl.tk, tl.tm, shape.M) + c.dmaLoad(tl.tk, tl.tn, shape.N));
    inner = (tl.tm + tl.tn) * inB;
    break;
  case Strategy::Hoist:
    dma = double(MT) * KT * c.dmaLoad(tl.tk, tl.tm, shape.M) +
          numMatmuls * c.dmaLoad(tl.tk, tl.tn, shape.N);
    live = KT * tl.tm * inB;
    inner = KT * tl.tn * inB;
    break;
  case Strategy::BlockMN:
    dma = double(MT) * KT * c.dmaLoad(tl.tk, tl.tm, shape.M) +
          double(MT / bm) * NT * KT * c.dmaLoad(tl.tk, tl.tn, shape.N);
    live = bm * KT * tl.tm * inB;
    inner = bn * KT * tl.tn * inB;
    break;
  case Strategy::BlockMNK: {
    const int64_t NB = NT / bn, KB = KT / bk, MB = MT / bm;
    dma = double(NB) * KT * c.dmaLoad(tl.tk, bn * tl.tn, shape.N) +
          double(NB) * KT * MB * c.dmaLoad(tl.tk, bm * tl.tm, shape.M);
    // First K block copies PSUM into the f32 accumulator, later ones add.
    dve = double(NB) * MT * bn * ((KB - 1) * c.add(accType) +
                                  c.copy(trnrt::kQueueDVE, true, accType));
    live = MT * bn * tl.tn * bytesOf(accType, 1);
    outer = bk * bn * tl.tn * inB;
    inner = bk * bm * tl.tm * inB;
    break;
  }
  }
  // block-mnk converts to C's dtype in its last add: no separate eviction.
  if (s != Strategy::BlockMNK)
    evict = double(MT) * NT * evictPair(/*fromPsum=*/true);
  dma += double(MT) * NT * c.dmaStore(shape.out, tl.tn);
  live += 2 * tl.tn * outB; // eviction tiles in flight
  // Room for the allocator's alignment and fragmentation, unless the caller
  // asked for exact block sizes (the allocator then reports a misfit).
  const int64_t sbuf = static_cast<int64_t>(target.sbufBytesPerPartition);
  const int64_t budget = fullBudget ? sbuf : sbuf * 15 / 16;
  const int64_t single = live + outer + inner;
  if (single > budget)
    return std::nullopt;
  const bool doubleBuffered = single + inner <= budget;
  const double pe = numMatmuls * mm;
  const double dmaQ = dma / target.dma.numEngines;
  // Engines overlap (the scheduler runs every queue in parallel): the busiest
  // bounds the time. Overlap is imperfect when several engines are loaded,
  // so 5% of the other engines' work is added (a tie-breaker among
  // PE-bound plans, preferring less DMA/VectorE pressure); without room to
  // prefetch the next inner block, half of the shorter of PE and DMA time
  // is exposed.
  double est = std::max({pe, dmaQ, evict, dve});
  est += 0.05 * (pe + dmaQ + evict + dve - est);
  if (!doubleBuffered)
    est += 0.5 * std::min(pe, dmaQ);
  // Pipeline fill and drain: nothing computes before the first blocks have
  // arrived (at the full DMA bandwidth at best), and the last output tiles
  // are stored after the last matmuls.
  const double bytesPerNs = target.dma.bandwidthGBps;
  const double latency = target.dma.fixedLatencyNs + target.dma.descriptorNs;
  est += latency + static_cast<double>(outer + inner) * tl.tk / bytesPerNs;
  est += latency + static_cast<double>(bm * bn * tl.tm * tl.tn * outB) /
                       (bytesPerNs * target.dma.efficiency(static_cast<uint64_t>(tl.tn * outB)));
  Plan p;
  p.strategy = s;
  p.bm = bm;
  p.bn = bn;
  p.bk = bk;
  p.accInOutputType = accInOutputType;
  p.estimatedNs = est;
  p.sbufBytes = single + (doubleBuffered ? inner : 0);
  return p;
}

/// Modeled time of `plan` measured with the real back end: a slice of the GEMM
/// that the plan repeats (block-mnk: one N block; the others: one M block;
/// the whole GEMM when it is small) is compiled with exactly this plan by
/// trn-tile .. trn-schedule on a scratch module, and the list scheduler's
/// makespan (the time the emulator reports for the program) is scaled by the
/// number of repetitions. nullopt if the slice does not compile (e.g. the
/// allocator cannot place it).
static std::optional<double> measurePlan(MLIRContext *ctx, const trnrt::Target &target,
                                         const GemmShape &shape, const Plan &plan) {
  Tiles tl = tilesFor(target);
  GemmShape slice = shape;
  int64_t reps = 1;
  const int64_t matmuls = (shape.M / tl.tm) * (shape.N / tl.tn) * (shape.K / tl.tk);
  if (matmuls > 2048) {
    if (plan.strategy == Strategy::BlockMNK) {
      slice.N = plan.bn * tl.tn;
      reps = shape.N / slice.N;
    } else {
      slice.M = plan.bm * tl.tm;
      reps = shape.M / slice.M;
    }
  }
  auto ty = [](trnrt::DType t) { return std::string(trnrt::dtypeName(t)); };
  std::string lt = llvm::formatv("tensor<{0}x{1}x{2}>", slice.K, slice.M, ty(slice.in));
  std::string rt = llvm::formatv("tensor<{0}x{1}x{2}>", slice.K, slice.N, ty(slice.in));
  std::string ct = llvm::formatv("tensor<{0}x{1}x{2}>", slice.M, slice.N, ty(slice.out));
  std::string text = llvm::formatv(
      "module attributes {{trn.target = #trn.target<\"{0}\">, trnc.matmul_tiling = "
      "\"{1}:{2}x{3}x{4}\"} {{\n"
      "func.func @slice(%l: {5}, %r: {6}) -> {7} {{\n"
      "  %e = tensor.empty() : {7}\n"
      "  %z = arith.constant 0.0 : {8}\n"
      "  %f = linalg.fill ins(%z : {8}) outs(%e : {7}) -> {7}\n"
      "  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, "
      "affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] "
      "ins(%l, %r : {5}, {6}) outs(%f : {7}) -> {7}\n"
      "  return %m : {7}\n}\n}\n",
      target.name, strategyName(plan.strategy), plan.bm, plan.bn, plan.bk, lt, rt, ct,
      ty(slice.out));
  // Candidates that do not fit are expected: their diagnostics stay silent.
  ScopedDiagnosticHandler silence(ctx, [](Diagnostic &) { return success(); });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, ParserConfig(ctx));
  if (!module)
    return std::nullopt;
  PassManager pm(ctx);
  std::string pipelineErrors;
  llvm::raw_string_ostream errs(pipelineErrors);
  if (failed(parsePassPipeline("trn-tile,trn-bufferize,trn-place-memory,trn-lower-to-trn,"
                               "trn-unroll,trn-allocate,trn-schedule",
                               pm, errs)) ||
      failed(pm.run(*module)))
    return std::nullopt;
  double ns = 0;
  for (auto func : module->getOps<func::FuncOp>())
    if (auto a = func->getAttrOfType<FloatAttr>("trnc.estimated_ns"))
      ns = std::max(ns, a.getValueAsDouble());
  if (ns <= 0)
    return std::nullopt;
  return ns * static_cast<double>(reps);
}

std::optional<Plan> mlir::trn::blocking::choosePlan(const trnrt::Target &target,
                                                    const GemmShape &shape, StringRef tiling,
                                                    MLIRContext *measureIn) {
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
    std::vector<Plan> all;
    for (Strategy s : {Strategy::Naive, Strategy::Hoist, Strategy::BlockMN, Strategy::BlockMNK})
      for (int64_t bm : sizes)
        for (int64_t bn : sizes)
          for (int64_t bk : sizes)
            if (std::optional<Plan> p = evaluatePlan(target, shape, s, bm, bn, bk);
                p && llvm::none_of(all, [&](const Plan &q) {
                  return q.strategy == p->strategy && q.bm == p->bm && q.bn == p->bn &&
                         q.bk == p->bk;
                }))
              all.push_back(*p);
    if (all.empty())
      return std::nullopt;
    llvm::stable_sort(all, [](const Plan &a, const Plan &b) {
      return a.estimatedNs < b.estimatedNs;
    });
    if (!measureIn)
      return all.front();
    // The analytic estimate ranks; the best few are measured with the real
    // allocator and list scheduler (their interaction decides how much
    // prefetch actually happens).
    for (Plan &p : llvm::make_range(all.begin(), all.begin() + std::min<size_t>(6, all.size())))
      if (std::optional<double> ns = measurePlan(measureIn, target, shape, p)) {
        p.estimatedNs = *ns;
        if (!best || p.estimatedNs < best->estimatedNs)
          best = p;
      }
    return best ? best : std::optional<Plan>(all.front());
  }
  auto [name, blocks] = tiling.split(':');
  std::optional<Strategy> s = parseStrategy(name);
  if (!s)
    return std::nullopt;
  if (!blocks.empty()) {
    SmallVector<StringRef, 3> parts;
    blocks.split(parts, 'x');
    int64_t v[3] = {1, 1, 1};
    if (parts.size() != 3 || parts[0].getAsInteger(10, v[0]) || parts[1].getAsInteger(10, v[1]) ||
        parts[2].getAsInteger(10, v[2]))
      return std::nullopt;
    return evaluatePlan(target, shape, *s, v[0], v[1], v[2], false, /*fullBudget=*/true);
  }
  // The tutorial's block sizes (NKI matmul tutorial: block free dims 2 x 2;
  // fully optimised 16 x 2 x 8 with result tiles in the output dtype) when
  // they divide the shape and fit.
  if (*s == Strategy::BlockMN)
    consider(evaluatePlan(target, shape, *s, 2, 2, 1));
  else if (*s == Strategy::BlockMNK)
    consider(evaluatePlan(target, shape, *s, 16, 2, 8, /*accInOutputType=*/true));
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
      if (!s || !(llvm::is_contained(tilingNames(), s.getValue()) ||
                  (s.getValue().contains(':') &&
                   parseStrategy(s.getValue().split(':').first)))) {
        std::string names;
        for (StringRef n : tilingNames())
          names += (names.empty() ? "" : ", ") + n.str();
        return module.emitError() << "unknown matmul tiling " << a << "; expected one of "
                                  << names << " (a strategy may name its block sizes: "
                                  << "block-mnk:16x2x8)",
               failure();
      }
      tiling = s.getValue();
    }
  }
  if (tiling == "tile")
    return success();
  const trnrt::Target &target = getTarget(func);
  bool failed = false;
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
    std::optional<Plan> plan = choosePlan(target, shape, tiling, op->getContext());
    if (!plan && tiling.contains(':')) {
      Tiles tl = tilesFor(target);
      op->emitOpError("matmul tiling '")
          << tiling << "' does not apply: the block sizes must divide the "
          << shape.M / tl.tm << "x" << shape.N / tl.tn << "x" << shape.K / tl.tk
          << " grid of " << tl.tm << "x" << tl.tn << "x" << tl.tk
          << " tiles and the blocks must fit in SBUF (" << target.sbufBytesPerPartition
          << " bytes per partition on " << target.name << ")";
      failed = true;
      return;
    }
    if (!plan)
      return; // does not divide into tiles / blocks: per-tile lowering
    Builder b(op->getContext());
    op->setAttr(kPlanAttr,
                b.getDictionaryAttr({
                    b.getNamedAttr("strategy", b.getStringAttr(strategyName(plan->strategy))),
                    b.getNamedAttr("bm", b.getI64IntegerAttr(plan->bm)),
                    b.getNamedAttr("bn", b.getI64IntegerAttr(plan->bn)),
                    b.getNamedAttr("bk", b.getI64IntegerAttr(plan->bk)),
                    b.getNamedAttr("acc", b.getStringAttr(plan->accInOutputType
                                                              ? trnrt::dtypeName(*out)
                                                              : "f32")),
                    b.getNamedAttr("estimated_ns", b.getF64FloatAttr(plan->estimatedNs)),
                    b.getNamedAttr("sbuf_bytes", b.getI64IntegerAttr(plan->sbufBytes)),
                }));
  });
  return failure(failed);
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
  auto accName = planAttr.getAs<StringAttr>("acc");
  const bool accInOutputType = accName && accName.getValue() != "f32";
  if (M % tl.tm || N % tl.tn || K % tl.tk || bm < 1 || bn < 1 || bk < 1 ||
      (M / tl.tm) % bm || (N / tl.tn) % bn || (K / tl.tk) % bk)
    return op->emitOpError("blocked matmul plan does not divide the shape ")
           << M << "x" << N << "x" << K;
  const int64_t MT = M / tl.tm, NT = N / tl.tn, KT = K / tl.tk;
  // Partition pieces of latency-critical transfers (32 partitions each: a
  // legal start partition for any count on every target).
  const int64_t kLatencyPieces = tl.tk % 4 == 0 && tl.tm % 4 == 0 ? 4 : 1;
  Type inElem = lt.getElementType(), outElem = ct.getElementType(), f32 = e.f32();
  Type accElem = accInOutputType ? outElem : f32;
  UnitAttr unit = rewriter.getUnitAttr();
  LogicalResult status = success();

  // [rows, cols] tile of the [K, *] operand `src` at (k0, f0), loaded once.
  // With `pieces` > 1 the transfer is split by partition ranges into that
  // many DMAs (same contiguous runs, so the same efficiency) that the
  // scheduler spreads over idle queues: used where latency matters, for the
  // first blocks (the TensorE waits for them) and the last stores.
  auto load = [&](Value src, int64_t k0, int64_t f0, int64_t cols, int64_t pieces = 1) -> Value {
    Value t = e.alloc({tl.tk, cols}, inElem);
    const int64_t rows = tl.tk / pieces;
    for (int64_t p = 0; p < pieces; ++p) {
      FailureOr<Value> view = e.hbmAccess(src, {{0, k0 + p * rows, rows}, {1, f0, cols}});
      if (failed(view)) {
        status = failure();
        return Value();
      }
      auto dma = DmaCopyOp::create(e.b, e.loc, *view, e.sliceTile(t, p * rows, rows, 0, cols),
                                   {}, {}, {});
      dma->setAttr(kNoReuseAttr, unit);
    }
    return t;
  };
  // Evicts a [TM, TN] tile (f32 PSUM, or an SBUF accumulator) to C[m0, n0]
  // in C's dtype.
  auto store = [&](Value acc, int64_t m0, int64_t n0, bool accIsSbuf, int64_t pieces = 1) {
    Value out = acc;
    if (!accIsSbuf || cast<MemRefType>(acc.getType()).getElementType() != outElem) {
      out = e.alloc({tl.tm, tl.tn}, outElem);
      e.tensorCopy(acc, out);
    }
    const int64_t rows = tl.tm / pieces;
    const int64_t cols = cast<MemRefType>(out.getType()).getDimSize(1);
    for (int64_t p = 0; p < pieces; ++p) {
      FailureOr<Value> view = e.hbmAccess(C, {{0, m0 + p * rows, rows}, {1, n0, cols}});
      if (failed(view)) {
        status = failure();
        return;
      }
      e.dma(e.sliceTile(out, p * rows, rows, 0, cols), *view);
    }
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
      // Accumulators (f32, or C's dtype) of the whole [M, bn * TN] column of C.
      SmallVector<SmallVector<Value>> acc(MT, SmallVector<Value>(bn));
      for (int64_t kb = 0; kb < KT / bk && succeeded(status); ++kb) {
        SmallVector<Value> mv;
        const bool first = nb == 0 && kb == 0;
        for (int64_t k = 0; k < bk; ++k)
          mv.push_back(load(R, (kb * bk + k) * tl.tk, nb * bn * tl.tn, bn * tl.tn,
                            first ? kLatencyPieces : 1));
        for (int64_t mb = 0; mb < MT / bm && succeeded(status); ++mb) {
          SmallVector<Value> st;
          for (int64_t k = 0; k < bk; ++k)
            st.push_back(load(L, (kb * bk + k) * tl.tk, mb * bm * tl.tm, bm * tl.tm,
                              first && mb < 4 ? kLatencyPieces : 1));
          if (failed(status))
            return failure();
          for (int64_t j = 0; j < bn; ++j)
            for (int64_t i = 0; i < bm; ++i) {
              Value psum = e.alloc({tl.tm, tl.tn}, f32, MemSpace::PSUM);
              matmuls(st, mv, i * tl.tm, j * tl.tn, psum);
              // The last K block writes C's dtype directly (the
              // conversion is fused into the last add or copy).
              Value &a = acc[mb * bm + i][j];
              Type dstElem = kb + 1 == KT / bk ? outElem : accElem;
              Value dst = kb > 0 && dstElem == accElem ? a : e.alloc({tl.tm, tl.tn}, dstElem);
              if (kb == 0)
                e.tensorCopy(psum, dst);
              else
                e.tensorTensor(AluOp::Add, psum, a, dst);
              a = dst;
            }
        }
      }
      const bool lastN = nb + 1 == NT / bn;
      for (int64_t m = 0; m < MT && succeeded(status); ++m)
        for (int64_t j = 0; j < bn; ++j)
          store(acc[m][j], m * tl.tm, (nb * bn + j) * tl.tn, true,
                lastN && m >= MT - std::max<int64_t>(bm, 4) ? kLatencyPieces : 1);
    }
    break;
  }
  }
  return status;
}
