//===- MatmulBlocking.cpp - GEMM blocking strategies chosen by cost -------===//
//
// See MatmulBlocking.h and docs/scheduling.md. The plan is chosen at tensor
// level (trn-tile) by evaluating candidates with the target cost model
// (trnrt::Target::durationNs on representative instructions) under the SBUF
// budget, and emitted by trn-lower-to-trn as straight-line trn code.
//
//===----------------------------------------------------------------------===//

#include "MatmulBlocking.h"

#include "LowerMatmulQuant.h"
#include "LowerUtils.h"
#include "TileUtils.h"
#include "trn/Dialect/Trn/IR/TrnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
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

Tiles mlir::trn::blocking::tilesFor(const trnrt::Target &target, trnrt::MatmulMode mode) {
  const int64_t rows = trnrt::Target::matmulRowsPerPartition(mode);
  return Tiles{std::min<int64_t>(target.maxStationaryFree, target.numPartitions),
               tileutils::matmulMaxN(target), static_cast<int64_t>(target.numPartitions) * rows,
               rows};
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

  /// Free shape of one K tile's operand slice of `cols` columns per
  /// partition: [cols], or [rows, cols] in a multi-row matmul mode.
  std::vector<uint32_t> kTileFree(int64_t cols) const {
    if (tiles.rows == 1)
      return {static_cast<uint32_t>(cols)};
    return {static_cast<uint32_t>(tiles.rows), static_cast<uint32_t>(cols)};
  }
  /// Load of one K tile [TK, cols] of an operand with `rowStride` elements
  /// per HBM row (multi-row modes: [P, rows, cols], one DMA); `parts`
  /// partitions instead of TK / rows for an MX scale tile [P/32, rows, cols].
  double dmaLoad(int64_t cols, int64_t rowStride, trnrt::DType dt, int64_t parts = 0) const {
    const uint32_t p = static_cast<uint32_t>(parts ? parts : tiles.tk / tiles.rows);
    trnrt::Instruction inst;
    trnrt::DmaCopy d;
    std::vector<int64_t> strides;
    if (tiles.rows > 1)
      strides = {int64_t(p) * rowStride, 1};
    d.src = trnrt::AccessPattern::hbm(0, dt, 0, p, rowStride, kTileFree(cols), strides);
    d.dst = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, dt, 0, 0, p, kTileFree(cols));
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
    const uint32_t p = static_cast<uint32_t>(tiles.tk / tiles.rows);
    m.stationary =
        trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, s.in, 0, 0, p, kTileFree(tiles.tm));
    m.moving = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, s.inR.value_or(s.in), 0, 0, p,
                                          kTileFree(tiles.tn));
    m.mode = s.mode;
    if (s.mode == trnrt::MatmulMode::Mx) {
      const uint32_t sp = p / static_cast<uint32_t>(tileutils::kMxBlock);
      m.stationaryScale = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, trnrt::DType::E8M0,
                                                     0, 0, sp, kTileFree(tiles.tm));
      m.movingScale = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, trnrt::DType::E8M0, 0,
                                                 0, sp, kTileFree(tiles.tn));
    }
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
  /// On-chip quantization of one staged K tile of `cols` columns (`src` ->
  /// FP8, times the scale) on ScalarE and VectorE in parallel: pair rate.
  double quantize(int64_t cols, trnrt::DType src) const {
    const uint32_t p = static_cast<uint32_t>(tiles.tk / tiles.rows);
    auto in = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, src, 0, 0, p, kTileFree(cols));
    auto out = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, s.in, 0, 0, p, kTileFree(cols));
    trnrt::Instruction a, v;
    trnrt::Activation act;
    act.src = in;
    act.dst = out;
    a.body = act;
    trnrt::TensorScalar ts;
    ts.src = in;
    ts.dst = out;
    v.body = ts;
    double ta = t.durationNs(a, trnrt::kQueueACT), tv = t.durationNs(v, trnrt::kQueueDVE);
    return ta * tv / (ta + tv);
  }
  /// trn.quantize_mx (VectorE) of one staged K tile [P, rows, cols].
  double quantizeMx(int64_t cols, trnrt::DType src) const {
    const uint32_t p = static_cast<uint32_t>(tiles.tk / tiles.rows);
    trnrt::Instruction inst;
    trnrt::QuantizeMx q;
    q.src = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, src, 0, 0, p, kTileFree(cols));
    q.dst = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, s.in, 0, 0, p, kTileFree(cols));
    q.scale = trnrt::AccessPattern::tile(trnrt::MemSpace::SBUF, trnrt::DType::E8M0, 0, 0,
                                         p / static_cast<uint32_t>(tileutils::kMxBlock),
                                         kTileFree(cols));
    inst.body = q;
    return t.durationNs(inst, trnrt::kQueueDVE);
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

/// MX scale tiles sharing one allocation (one per 32-partition quadrant)
/// when `batch` K tiles are loaded together: 4, 2 or 1.
int64_t mxScalePack(int64_t batch) { return batch % 4 == 0 ? 4 : batch % 2 == 0 ? 2 : 1; }

} // namespace

std::optional<Plan> mlir::trn::blocking::evaluatePlan(const trnrt::Target &target,
                                                      const GemmShape &shape, Strategy s,
                                                      int64_t bm, int64_t bn, int64_t bk,
                                                      bool accInOutputType, bool fullBudget) {
  Tiles tl = tilesFor(target, shape.mode);
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
  // Bytes per partition of one column of a K tile (rows of the matmul mode
  // stack in the free dims), and of one output element.
  // An operand quantized on chip is loaded in its source dtype and
  // staged twice (source and FP8 tile).
  // MX: each operand K tile comes with its E8M0 scale tile [P/32, rows,
  // cols], which occupies `rows` bytes per column in every partition (the
  // allocator reserves byte ranges across all partitions; up to 4 tiles of
  // one block share an allocation, mxScalePack) and is loaded by a DMA of
  // its own (1/32 of the codes' bytes).
  const bool mx = shape.mode == trnrt::MatmulMode::Mx;
  const int64_t scaleBatch = s == Strategy::Naive ? 1 : bk; // bk == KT unless block-mnk
  const int64_t scaleB = mx ? llvm::divideCeil(bytesOf(trnrt::DType::E8M0, tl.rows),
                                               mxScalePack(scaleBatch))
                            : 0;
  const trnrt::DType inR = shape.inR.value_or(shape.in);
  const int64_t outB = bytesOf(shape.out, 1);
  // MX operands quantized on chip (trn.quantize_mx after the load of a K
  // tile of the source) keep one source K tile in flight (two with
  // prefetch), not one per K tile: counted below. An MX operand that the
  // plan would reload is not quantized on chip (it would be re-quantized).
  const int64_t lB = bytesOf(shape.in, tl.rows) + scaleB +
                     (shape.quantSrcL && !mx ? bytesOf(*shape.quantSrcL, tl.rows) : 0);
  const int64_t rB = bytesOf(inR, tl.rows) + scaleB +
                     (shape.quantSrcR && !mx ? bytesOf(*shape.quantSrcR, tl.rows) : 0);
  if (mx && shape.quantSrcL &&
      !(s == Strategy::Hoist || s == Strategy::BlockMN || shape.N / tl.tn == bn))
    return std::nullopt;
  if (mx && shape.quantSrcR && !(s == Strategy::BlockMNK || bm == MT))
    return std::nullopt;
  const trnrt::DType lLoad = shape.quantSrcL.value_or(shape.in);
  const trnrt::DType rLoad = shape.quantSrcR.value_or(inR);
  // K-tile loads of L (`nL` of `wL` columns) and R, for the DMA and the
  // on-chip quantization cost.
  double nL = 0, nR = 0;
  int64_t wL = tl.tm, wR = tl.tn;
  switch (s) {
  case Strategy::Naive:
    nL = nR = numMatmuls;
    inner = tl.tm * lB + tl.tn * rB;
    break;
  case Strategy::Hoist:
    nL = double(MT) * KT;
    nR = numMatmuls;
    live = KT * tl.tm * lB;
    inner = KT * tl.tn * rB;
    break;
  case Strategy::BlockMN:
    nL = double(MT) * KT;
    nR = double(MT / bm) * NT * KT;
    if (mx) { // panels of bm / bn tiles per K tile (lowerMatmulBlocked)
      nL /= bm;
      wL = bm * tl.tm;
      nR /= bn;
      wR = bn * tl.tn;
    }
    live = bm * KT * tl.tm * lB;
    inner = bn * KT * tl.tn * rB;
    break;
  case Strategy::BlockMNK: {
    const int64_t NB = NT / bn, KB = KT / bk, MB = MT / bm;
    nR = double(NB) * KT;
    wR = bn * tl.tn;
    nL = double(NB) * KT * MB;
    wL = bm * tl.tm;
    // First K block copies PSUM into the f32 accumulator, later ones add.
    dve = double(NB) * MT * bn * ((KB - 1) * c.add(accType) +
                                  c.copy(trnrt::kQueueDVE, true, accType));
    live = MT * bn * tl.tn * bytesOf(accType, 1);
    outer = bk * bn * tl.tn * rB;
    inner = bk * bm * tl.tm * lB;
    break;
  }
  }
  dma = nL * c.dmaLoad(wL, shape.M, lLoad) + nR * c.dmaLoad(wR, shape.N, rLoad);
  if (mx) {
    const int64_t sp = tl.tk / tl.rows / tileutils::kMxBlock;
    dma += nL * c.dmaLoad(wL, shape.M, trnrt::DType::E8M0, sp) +
           nR * c.dmaLoad(wR, shape.N, trnrt::DType::E8M0, sp);
  }
  // On-chip quantization shares ScalarE/VectorE with the evictions.
  double quant = 0;
  if (shape.quantSrcL)
    quant += nL * (mx ? c.quantizeMx(wL, *shape.quantSrcL) : c.quantize(wL, *shape.quantSrcL));
  if (shape.quantSrcR)
    quant += nR * (mx ? c.quantizeMx(wR, *shape.quantSrcR) : c.quantize(wR, *shape.quantSrcR));
  // block-mnk converts to C's dtype in its last add: no separate eviction.
  if (s != Strategy::BlockMNK)
    evict = double(MT) * NT * evictPair(/*fromPsum=*/true);
  evict += quant;
  dma += double(MT) * NT * c.dmaStore(shape.out, tl.tn);
  live += 2 * tl.tn * outB; // eviction tiles in flight
  if (mx && shape.quantSrcL)
    live += 2 * wL * bytesOf(*shape.quantSrcL, tl.rows);
  if (mx && shape.quantSrcR)
    live += 2 * wR * bytesOf(*shape.quantSrcR, tl.rows);
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
  est += latency + static_cast<double>(outer + inner) * (tl.tk / tl.rows) / bytesPerNs;
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
  p.quantL = shape.quantSrcL.has_value();
  p.quantR = shape.quantSrcR.has_value();
  return p;
}

/// Time of trn-quantize's separate quantization pass over a [K, F] operand
/// (read `src`, write FP8, over all DMA queues), which the GEMM waits for:
/// the cost of not quantizing that operand on chip.
static double separateQuantNs(const trnrt::Target &target, int64_t K, int64_t F,
                              trnrt::DType src) {
  const double bw = target.dma.bandwidthGBps;
  const uint64_t srcRun = trnrt::dtypeBytes(src, static_cast<uint64_t>(F));
  const double readBytes = double(K) * static_cast<double>(srcRun);
  const double writeBytes = double(K) * static_cast<double>(F);
  return target.dma.fixedLatencyNs + readBytes / (bw * target.dma.efficiency(srcRun)) +
         writeBytes / (bw * target.dma.efficiency(static_cast<uint64_t>(F)));
}

/// The MLIR spelling of a GEMM element type.
static std::string mlirTypeName(trnrt::DType t) {
  switch (t) {
  case trnrt::DType::F8E4M3:
    return "f8E4M3FN";
  case trnrt::DType::F8E5M2:
    return "f8E5M2";
  case trnrt::DType::F4E2M1:
    return "f4E2M1FN";
  case trnrt::DType::E8M0:
    return "f8E8M0FNU";
  default:
    return trnrt::dtypeName(t);
  }
}

/// The scratch module of an MX slice: trn-quantize's scaled contraction
/// (codes and E8M0 block scales as function arguments).
static std::string mxSliceText(const trnrt::Target &target, const GemmShape &slice,
                               const Plan &plan) {
  auto tensor = [](int64_t rows, int64_t cols, trnrt::DType t) {
    return llvm::formatv("tensor<{0}x{1}x{2}>", rows, cols, mlirTypeName(t)).str();
  };
  const trnrt::DType inR = slice.inR.value_or(slice.in);
  const int64_t kb = slice.K / tileutils::kMxBlock;
  std::string lt = tensor(slice.K, slice.M, slice.in), rt = tensor(slice.K, slice.N, inR);
  std::string lst = tensor(kb, slice.M, trnrt::DType::E8M0);
  std::string rst = tensor(kb, slice.N, trnrt::DType::E8M0);
  std::string ct = tensor(slice.M, slice.N, trnrt::DType::F32);
  return llvm::formatv(
             "module attributes {{trn.target = #trn.target<\"{0}\">, trnc.matmul_tiling = "
             "\"{1}:{2}x{3}x{4}\"} {{\n"
             "func.func @slice(%l: {5}, %r: {6}, %ls: {7}, %rs: {8}) -> {9} {{\n"
             "  %e = tensor.empty() : {9}\n"
             "  %z = arith.constant 0.0 : f32\n"
             "  %f = linalg.fill ins(%z : f32) outs(%e : {9}) -> {9}\n"
             "  %m = linalg.generic {{indexing_maps = [affine_map<(m, n, k) -> (k, m)>, "
             "affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (k floordiv 32, m)>, "
             "affine_map<(m, n, k) -> (k floordiv 32, n)>, affine_map<(m, n, k) -> (m, n)>], "
             "iterator_types = [\"parallel\", \"parallel\", \"reduction\"]} "
             "ins(%l, %r, %ls, %rs : {5}, {6}, {7}, {8}) outs(%f : {9}) "
             "attrs = {{trnc.mx_contraction} {{\n"
             "  ^bb0(%a: {10}, %b: {11}, %sa: f8E8M0FNU, %sb: f8E8M0FNU, %o: f32):\n"
             "    %x = arith.scaling_extf %a, %sa : {10}, f8E8M0FNU to f32\n"
             "    %y = arith.scaling_extf %b, %sb : {11}, f8E8M0FNU to f32\n"
             "    %p = arith.mulf %x, %y : f32\n"
             "    %s = arith.addf %o, %p : f32\n"
             "    linalg.yield %s : f32\n  } -> {9}\n"
             "  return %m : {9}\n}\n}\n",
             target.name, strategyName(plan.strategy), plan.bm, plan.bn, plan.bk, lt, rt, lst,
             rst, ct, mlirTypeName(slice.in), mlirTypeName(inR))
      .str();
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
  Tiles tl = tilesFor(target, shape.mode);
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
  auto ty = [](trnrt::DType t) { return mlirTypeName(t); };
  std::string lt = llvm::formatv("tensor<{0}x{1}x{2}>", slice.K, slice.M, ty(slice.in));
  std::string rt = llvm::formatv("tensor<{0}x{1}x{2}>", slice.K, slice.N, ty(slice.in));
  std::string ct = llvm::formatv("tensor<{0}x{1}x{2}>", slice.M, slice.N, ty(slice.out));
  // Operands quantized on chip enter in their source dtype, through the
  // quantization the blocked lowering fuses (unit scale).
  std::string quants;
  auto operand = [&](StringRef name, int64_t cols, std::optional<trnrt::DType> src,
                     const std::string &qt) -> std::string {
    if (!src)
      return qt;
    std::string st = llvm::formatv("tensor<{0}x{1}x{2}>", slice.K, cols, ty(*src));
    std::string ext = *src == trnrt::DType::F32
                          ? "%x" + name.str()
                          : llvm::formatv("%w{0}", name).str();
    quants += llvm::formatv(
        "  %e{0} = tensor.empty() : {1}\n"
        "  %q{0} = linalg.generic {{indexing_maps = [affine_map<(a, b) -> (a, b)>, "
        "affine_map<(a, b) -> (a, b)>], iterator_types = [\"parallel\", \"parallel\"]} "
        "ins(%{0} : {2}) outs(%e{0} : {1}) {{\n"
        "  ^bb0(%x{0}: {3}, %o{0}: {4}):\n{5}"
        "    %s{0} = arith.constant 1.0 : f32\n"
        "    %m{0} = arith.mulf {6}, %s{0} : f32\n"
        "    %t{0} = arith.truncf %m{0} : f32 to {4}\n"
        "    linalg.yield %t{0} : {4}\n  } -> {1}\n",
        name, qt, st, ty(*src), ty(slice.in),
        *src == trnrt::DType::F32
            ? std::string()
            : llvm::formatv("    %w{0} = arith.extf %x{0} : {1} to f32\n", name, ty(*src))
                  .str(),
        ext);
    return st;
  };
  std::string lArg = operand("l", slice.M, slice.quantSrcL, lt);
  std::string rArg = operand("r", slice.N, slice.quantSrcR, rt);
  std::string lIn = slice.quantSrcL ? "%ql" : "%l", rIn = slice.quantSrcR ? "%qr" : "%r";
  std::string text = slice.mode == trnrt::MatmulMode::Mx ? mxSliceText(target, slice, plan)
                                                        : llvm::formatv(
      "module attributes {{trn.target = #trn.target<\"{0}\">, trnc.matmul_tiling = "
      "\"{1}:{2}x{3}x{4}\"} {{\n"
      "func.func @slice(%l: {9}, %r: {10}) -> {7} {{\n{11}"
      "  %e = tensor.empty() : {7}\n"
      "  %z = arith.constant 0.0 : {8}\n"
      "  %f = linalg.fill ins(%z : {8}) outs(%e : {7}) -> {7}\n"
      "  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, "
      "affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] "
      "ins({12}, {13} : {5}, {6}) outs(%f : {7}) -> {7}\n"
      "  return %m : {7}\n}\n}\n",
      target.name, strategyName(plan.strategy), plan.bm, plan.bn, plan.bk, lt, rt, ct,
      ty(slice.out), lArg, rArg, quants, lIn, rIn).str();
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
    // Each device-quantized operand is quantized either on chip after its
    // loads (cheap when it is loaded once, costly when the plan reloads it
    // in its wider source dtype) or by the separate pass: both are ranked.
    auto variant = [&](bool fuseL, bool fuseR) {
      GemmShape v = shape;
      if (!fuseL)
        v.quantSrcL.reset();
      if (!fuseR)
        v.quantSrcR.reset();
      return v;
    };
    auto passNs = [&](const Plan &p) {
      double ns = 0;
      if (shape.quantSrcL && !p.quantL)
        ns += separateQuantNs(target, shape.K, shape.M, *shape.quantSrcL);
      if (shape.quantSrcR && !p.quantR)
        ns += separateQuantNs(target, shape.K, shape.N, *shape.quantSrcR);
      return ns;
    };
    for (unsigned mask = 0; mask < 4; ++mask) {
      const bool fuseL = mask & 1, fuseR = mask & 2;
      if ((fuseL && !shape.quantSrcL) || (fuseR && !shape.quantSrcR))
        continue;
      GemmShape v = variant(fuseL, fuseR);
      for (Strategy s : {Strategy::Naive, Strategy::Hoist, Strategy::BlockMN, Strategy::BlockMNK})
        for (int64_t bm : sizes)
          for (int64_t bn : sizes)
            for (int64_t bk : sizes)
              if (std::optional<Plan> p = evaluatePlan(target, v, s, bm, bn, bk);
                  p && llvm::none_of(all, [&](const Plan &q) {
                    return q.strategy == p->strategy && q.bm == p->bm && q.bn == p->bn &&
                           q.bk == p->bk && q.quantL == p->quantL && q.quantR == p->quantR;
                  })) {
                p->estimatedNs += passNs(*p);
                all.push_back(*p);
              }
    }
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
      if (std::optional<double> ns =
              measurePlan(measureIn, target, variant(p.quantL, p.quantR), p)) {
        p.estimatedNs = *ns + passNs(p);
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

bool mlir::trn::blocking::hasPlan(Operation *op) {
  return op->hasAttr(kPlanAttr) || isAbsorbedByBlockedMatmul(op);
}

bool mlir::trn::blocking::isAbsorbedByBlockedMatmul(Operation *op) {
  return op->hasAttr(kEpilogueAttr) || op->hasAttr(kOperandQuantAttr);
}

namespace {

bool isFp8(trnrt::DType t) { return t == trnrt::DType::F8E4M3 || t == trnrt::DType::F8E5M2; }

/// trn-quantize's rescale of a quantized contraction `q`:
/// `out = [truncf](mulf(...mulf([extf](q), f1)..., fn))` where the factors
/// f_i do not depend on q (nor on the output's init) and the other inputs
/// are rank-0 tensors (map `()`) or per-row [M] vectors (map `(m, n) -> (m)`).
struct Rescale {
  linalg::GenericOp op;
  unsigned qInput = 0;          // input index of q
  SmallVector<Value> factors;   // values of the body (f32 or narrower)
  bool perRow = false;          // some factor input is an [M] vector
};

/// Whether `v` (a value of `body`) depends on block argument `arg`.
bool dependsOn(Value v, BlockArgument arg, Block *body) {
  if (v == arg)
    return true;
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != body)
    return false;
  return llvm::any_of(def->getOperands(), [&](Value o) { return dependsOn(o, arg, body); });
}

/// Whether the body of the element-wise `g` is `[truncf](mulf(...mulf([extf](
/// x), f1)..., fn))` with x the block argument of input `xInput` and f32
/// factors f_i independent of x and of the init; collects the factors.
bool matchScaleChain(linalg::GenericOp g, unsigned xInput, SmallVectorImpl<Value> &factors) {
  Block *body = g.getBody();
  BlockArgument xArg = body->getArgument(xInput);
  BlockArgument outArg = body->getArguments().back();
  Value v = body->getTerminator()->getOperand(0);
  if (auto tr = v.getDefiningOp<arith::TruncFOp>(); tr && tr->getBlock() == body)
    v = tr.getIn();
  while (v != xArg) {
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != body)
      return false;
    if (auto ext = dyn_cast<arith::ExtFOp>(def)) {
      v = ext.getIn();
      continue;
    }
    auto mul = dyn_cast<arith::MulFOp>(def);
    if (!mul)
      return false;
    Value a = mul.getLhs(), b = mul.getRhs();
    bool da = dependsOn(a, xArg, body), db = dependsOn(b, xArg, body);
    if (da == db)
      return false;
    Value factor = da ? b : a;
    if (dependsOn(factor, outArg, body) || !factor.getType().isF32())
      return false;
    factors.push_back(factor);
    v = da ? a : b;
  }
  return true;
}

std::optional<Rescale> matchRescale(linalg::MatmulOp mm) {
  Value q = mm->getResult(0);
  if (!q.hasOneUse())
    return std::nullopt;
  auto g = dyn_cast<linalg::GenericOp>(*q.getUsers().begin());
  if (!g || !g.hasPureTensorSemantics() || g->getNumResults() != 1 || g.getNumDpsInits() != 1 ||
      g.getNumLoops() != 2 || g.getNumReductionLoops() != 0 ||
      !llvm::all_of(g->getResult(0).getUsers(), [](Operation *u) { return isa<func::ReturnOp>(u); }))
    return std::nullopt;
  auto ct = cast<RankedTensorType>(q.getType());
  if (cast<RankedTensorType>(g->getResult(0).getType()).getShape() != ct.getShape())
    return std::nullopt;
  Rescale r;
  r.op = g;
  MLIRContext *ctx = mm->getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
  bool seenQ = false;
  for (OpOperand *in : g.getDpsInputOperands()) {
    AffineMap map = g.getMatchingIndexingMap(in);
    auto t = dyn_cast<RankedTensorType>(in->get().getType());
    if (!t)
      return std::nullopt;
    if (in->get() == q) {
      if (seenQ || map != id)
        return std::nullopt;
      seenQ = true;
      r.qInput = in->getOperandNumber();
      continue;
    }
    if (t.getRank() == 0 && map.getNumResults() == 0)
      continue;
    if (t.getRank() == 1 && map == row && t.getDimSize(0) == ct.getDimSize(0)) {
      r.perRow = true;
      continue;
    }
    return std::nullopt;
  }
  if (!seenQ || g.getDpsInitOperand(0)->get() == q)
    return std::nullopt;
  if (!matchScaleChain(g, r.qInput, r.factors))
    return std::nullopt;
  return r;
}

std::optional<float> evalConstant(Value v);

/// Whether `fill` writes a constant zero (possibly `extf` of a narrower
/// constant, as trn-quantize widens a bf16 accumulator's init).
/// The static operand and result types of a 2-D contraction `C[M, N] =
/// L[K, M]^T R[K, N]` and its operands' device dtypes; nullopt when a shape is
/// dynamic or an operand is not a device dtype.
struct ContractionTypes {
  RankedTensorType l, r, c;
  trnrt::DType in, inR;
};
std::optional<ContractionTypes> contractionTypes(linalg::LinalgOp op) {
  auto lt = cast<RankedTensorType>(op.getDpsInputOperand(0)->get().getType());
  auto rt = cast<RankedTensorType>(op.getDpsInputOperand(1)->get().getType());
  auto ct = cast<RankedTensorType>(op->getResult(0).getType());
  if (!lt.hasStaticShape() || !rt.hasStaticShape() || !ct.hasStaticShape())
    return std::nullopt;
  std::optional<trnrt::DType> in = getDType(lt.getElementType());
  std::optional<trnrt::DType> inR = getDType(rt.getElementType());
  if (!in || !inR)
    return std::nullopt;
  return ContractionTypes{lt, rt, ct, *in, *inR};
}

bool isZeroFill(linalg::FillOp fill) {
  std::optional<float> v = evalConstant(fill.getDpsInputOperand(0)->get());
  return v && *v == 0.0f;
}

/// The only user of `r` when it is `out = truncf(r)` (an element-wise
/// identity-mapped generic to a fresh init of r's shape).
linalg::GenericOp matchConvert(Value r) {
  if (!r.hasOneUse())
    return {};
  auto g = dyn_cast<linalg::GenericOp>(*r.getUsers().begin());
  if (!g || !g.hasPureTensorSemantics() || g.getNumDpsInputs() != 1 ||
      g.getNumDpsInits() != 1 || g->getNumResults() != 1 || g.getNumReductionLoops() != 0 ||
      g.getDpsInputOperand(0)->get() != r || g.getDpsInitOperand(0)->get() == r ||
      !llvm::all_of(g.getIndexingMapsArray(), [](AffineMap m) { return m.isIdentity(); }) ||
      cast<RankedTensorType>(g->getResult(0).getType()).getShape() !=
          cast<RankedTensorType>(r.getType()).getShape())
    return {};
  Block *body = g.getBody();
  auto tr = body->getTerminator()->getOperand(0).getDefiningOp<arith::TruncFOp>();
  if (!tr || tr->getBlock() != body || tr.getIn() != body->getArgument(0) ||
      body->getOperations().size() != 2)
    return {};
  return g;
}

/// Folds a scalar computation of compile-time constants (the factors of a
/// calibrated / per-tensor-weight rescale) in f32 arithmetic.
std::optional<float> evalConstant(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (auto c = dyn_cast<arith::ConstantOp>(def)) {
    auto f = dyn_cast<FloatAttr>(c.getValue());
    if (!f)
      return std::nullopt;
    return static_cast<float>(f.getValueAsDouble());
  }
  auto operand = [&](unsigned i) { return evalConstant(def->getOperand(i)); };
  if (isa<arith::ExtFOp>(def))
    return operand(0);
  if (isa<arith::NegFOp>(def)) {
    std::optional<float> a = operand(0);
    return a ? std::optional<float>(-*a) : std::nullopt;
  }
  if (def->getNumOperands() != 2 || !def->getResult(0).getType().isF32())
    return std::nullopt;
  std::optional<float> a = operand(0), b = operand(1);
  if (!a || !b)
    return std::nullopt;
  if (isa<arith::MulFOp>(def))
    return *a * *b;
  if (isa<arith::DivFOp>(def))
    return *a / *b;
  if (isa<arith::AddFOp>(def))
    return *a + *b;
  if (isa<arith::SubFOp>(def))
    return *a - *b;
  if (isa<arith::MaximumFOp>(def))
    return std::isnan(*a) || std::isnan(*b) ? std::nanf("") : std::max(*a, *b);
  if (isa<arith::MinimumFOp>(def))
    return std::isnan(*a) || std::isnan(*b) ? std::nanf("") : std::min(*a, *b);
  return std::nullopt;
}

/// The product of the factors of `g`'s scale chain (input `xInput`): an
/// immediate when they fold to a constant, else a tensor (rank-0, or [M]
/// with `perRow`) computed by a new element-wise generic (inserted before
/// `g`) from `g`'s other inputs with clones of the factor computations.
struct ScaleSource {
  std::optional<float> imm;
  Value tensor;
};

ScaleSource buildScale(IRRewriter &rw, linalg::GenericOp g, unsigned xInput,
                       ArrayRef<Value> factors, bool perRow) {
  MLIRContext *ctx = g->getContext();
  Location loc = g.getLoc();
  Type f32 = rw.getF32Type();
  Block *body = g.getBody();
  auto outType = cast<RankedTensorType>(g->getResult(0).getType());
  // Constant factors: one immediate.
  std::optional<float> imm = 1.0f;
  for (Value f : factors) {
    std::optional<float> v = evalConstant(f);
    if (!v) {
      imm.reset();
      break;
    }
    *imm *= *v;
  }
  rw.setInsertionPoint(g);
  Value scale;
  if (!imm) {
    // s[m] (or s[]) = product of the factors, computed from the rescale's
    // factor inputs by cloning the factor computations.
    SmallVector<int64_t> shape;
    if (perRow)
      shape.push_back(outType.getDimSize(0));
    unsigned rank = shape.size();
    SmallVector<Value> ins;
    SmallVector<AffineMap> maps;
    SmallVector<BlockArgument> oldArgs;
    for (OpOperand *in : g.getDpsInputOperands()) {
      if (in->getOperandNumber() == xInput)
        continue;
      auto t = cast<RankedTensorType>(in->get().getType());
      ins.push_back(in->get());
      maps.push_back(t.getRank() == 0 ? AffineMap::get(rank, 0, {}, ctx)
                                      : AffineMap::getMultiDimIdentityMap(rank, ctx));
      oldArgs.push_back(g.getMatchingBlockArgument(in));
    }
    maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
    auto sType = RankedTensorType::get(shape, f32);
    Value empty = tensor::EmptyOp::create(rw, loc, shape, f32);
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto sGen = linalg::GenericOp::create(
        rw, loc, TypeRange{sType}, ins, ValueRange{empty}, maps, iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          IRMapping map;
          for (auto [o, n] : llvm::zip(oldArgs, args))
            map.map(o, n);
          // The body ops the factors are computed from, in body order.
          llvm::SmallPtrSet<Operation *, 16> needed;
          SmallVector<Value> todo(factors.begin(), factors.end());
          while (!todo.empty()) {
            Operation *def = todo.pop_back_val().getDefiningOp();
            if (!def || def->getBlock() != body || !needed.insert(def).second)
              continue;
            todo.append(def->operand_begin(), def->operand_end());
          }
          for (Operation &op : body->without_terminator())
            if (needed.contains(&op))
              b.clone(op, map);
          Value prod;
          for (Value f : factors) {
            Value nf = map.lookupOrDefault(f);
            prod = prod ? arith::MulFOp::create(b, l, prod, nf).getResult() : nf;
          }
          linalg::YieldOp::create(b, l, prod);
        });
    scale = sGen->getResult(0);
  }

  return ScaleSource{imm, scale};
}

/// trn-quantize's device quantization of an activation operand of `mm`
/// (operand `idx`): an element-wise generic `truncf(extf(x) * f...)` to FP8
/// used only by `mm`, with x read by the identity map and the factor inputs
/// rank-0 tensors (per-tensor scale: dynamic amax or calibrated constant).
struct OperandQuant {
  linalg::GenericOp op;
  unsigned xInput = 0;
  SmallVector<Value> factors;
  trnrt::DType src = trnrt::DType::BF16; // x's dtype (what the GEMM loads)
};

std::optional<OperandQuant> matchOperandQuant(linalg::MatmulOp mm, unsigned idx) {
  Value v = mm.getDpsInputOperand(idx)->get();
  auto g = v.getDefiningOp<linalg::GenericOp>();
  if (!g || !v.hasOneUse() || !g.hasPureTensorSemantics() || g->getNumResults() != 1 ||
      g.getNumDpsInits() != 1 || g.getNumLoops() != 2 || g.getNumReductionLoops() != 0 ||
      g->hasAttr(kEpilogueAttr))
    return std::nullopt;
  auto vt = cast<RankedTensorType>(v.getType());
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, g->getContext());
  OperandQuant q;
  q.op = g;
  bool seenX = false;
  for (OpOperand *in : g.getDpsInputOperands()) {
    auto t = dyn_cast<RankedTensorType>(in->get().getType());
    AffineMap map = g.getMatchingIndexingMap(in);
    if (!t)
      return std::nullopt;
    if (t.getRank() == 0 && map.getNumResults() == 0)
      continue;
    std::optional<trnrt::DType> dt = getDType(t.getElementType());
    if (seenX || map != id || t.getShape() != vt.getShape() || !dt ||
        !llvm::is_contained({trnrt::DType::F32, trnrt::DType::BF16}, *dt))
      return std::nullopt;
    seenX = true;
    q.xInput = in->getOperandNumber();
    q.src = *dt;
  }
  if (!seenX || !g.getBody()->getTerminator()->getOperand(0).getDefiningOp<arith::TruncFOp>() ||
      !matchScaleChain(g, q.xInput, q.factors))
    return std::nullopt;
  return q;
}

/// Replaces the quantization `q` of an operand by the marked form
/// `truncf(extf(x) * s)` (kOperandQuantAttr; s an immediate or a rank-0
/// tensor input) that the blocked lowering fuses into its operand loads;
/// records the scale in `entries` under `prefix` ("quant_l" / "quant_r").
void rewriteOperandQuant(OperandQuant &q, SmallVectorImpl<NamedAttribute> &entries,
                         StringRef prefix) {
  IRRewriter rw(q.op->getContext());
  ScaleSource src = buildScale(rw, q.op, q.xInput, q.factors, /*perRow=*/false);
  rw.setInsertionPoint(q.op);
  MLIRContext *ctx = q.op->getContext();
  Location loc = q.op.getLoc();
  auto type = cast<RankedTensorType>(q.op->getResult(0).getType());
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  SmallVector<Value> ins = {q.op.getDpsInputOperand(q.xInput)->get()};
  SmallVector<AffineMap> maps = {id};
  if (src.tensor) {
    ins.push_back(src.tensor);
    maps.push_back(AffineMap::get(2, 0, {}, ctx));
  }
  maps.push_back(id);
  SmallVector<utils::IteratorType> iters(2, utils::IteratorType::parallel);
  Type f32 = rw.getF32Type();
  auto fused = linalg::GenericOp::create(
      rw, loc, TypeRange{type}, ins, q.op.getDpsInits(), maps, iters,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value x = args[0];
        if (x.getType() != f32)
          x = arith::ExtFOp::create(b, l, f32, x);
        Value sc = src.tensor
                       ? args[1]
                       : arith::ConstantOp::create(b, l, b.getF32FloatAttr(*src.imm)).getResult();
        Value y = arith::MulFOp::create(b, l, x, sc);
        linalg::YieldOp::create(b, l, arith::TruncFOp::create(b, l, type.getElementType(), y)
                                          .getResult());
      });
  fused->setAttr(kOperandQuantAttr, rw.getUnitAttr());
  rw.replaceOp(q.op, fused->getResults());
  entries.push_back(rw.getNamedAttr(prefix, rw.getStringAttr(src.imm ? "immediate" : "tensor")));
  if (src.imm)
    entries.push_back(rw.getNamedAttr((prefix + "_scale").str(), rw.getF32FloatAttr(*src.imm)));
}

/// Rewrites `mm` + its rescale `r` into the blocked form: the matmul (result
/// in the output type, zero fill) carrying `planAttr`, followed by the
/// in-place epilogue `C = truncf(extf(C) * s)` marked kEpilogueAttr, with `s`
/// an immediate (constant factors; also stored in the plan as `scale`) or a
/// scale tensor (rank-0 or [M] f32) computed by a new element-wise generic
/// from the rescale's factor inputs.
void rewriteRescale(linalg::MatmulOp mm, Rescale &r, DictionaryAttr planAttr) {
  IRRewriter rw(mm->getContext());
  Location loc = r.op.getLoc();
  MLIRContext *ctx = mm->getContext();
  Type f32 = rw.getF32Type();
  auto outType = cast<RankedTensorType>(r.op->getResult(0).getType());
  Type outElem = outType.getElementType();
  ScaleSource src = buildScale(rw, r.op, r.qInput, r.factors, r.perRow);
  std::optional<float> imm = src.imm;
  Value scale = src.tensor;
  rw.setInsertionPoint(r.op);
  // The matmul writes the output type (rounded once at eviction).
  Value cEmpty = tensor::EmptyOp::create(rw, loc, outType.getShape(), outElem);
  Value zero = arith::ConstantOp::create(rw, loc, rw.getFloatAttr(outElem, 0.0));
  Value fill = linalg::FillOp::create(rw, loc, zero, cEmpty).getResult(0);
  rw.setInsertionPoint(r.op);
  auto newMm = cast<linalg::MatmulOp>(rw.clone(*mm.getOperation()));
  newMm->setOperand(newMm.getDpsInitOperand(0)->getOperandNumber(), fill);
  newMm->getResult(0).setType(outType);
  SmallVector<NamedAttribute> planEntries(planAttr.begin(), planAttr.end());
  planEntries.push_back(rw.getNamedAttr("rescale", rw.getStringAttr(imm ? "immediate" : "tensor")));
  if (imm)
    planEntries.push_back(rw.getNamedAttr("scale", rw.getF32FloatAttr(*imm)));
  newMm->setAttr(kPlanAttr, rw.getDictionaryAttr(planEntries));

  // In place: C = truncf(extf(C) * s).
  SmallVector<Value> eIns;
  SmallVector<AffineMap> eMaps;
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  if (scale) {
    eIns.push_back(scale);
    eMaps.push_back(r.perRow ? AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx)
                             : AffineMap::get(2, 0, {}, ctx));
  }
  eMaps.push_back(id);
  SmallVector<utils::IteratorType> iters(2, utils::IteratorType::parallel);
  auto epi = linalg::GenericOp::create(
      rw, loc, TypeRange{outType}, eIns, ValueRange{newMm->getResult(0)}, eMaps, iters,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value c = args.back();
        if (c.getType() != f32)
          c = arith::ExtFOp::create(b, l, f32, c);
        Value s = scale ? args.front()
                        : arith::ConstantOp::create(b, l, b.getF32FloatAttr(*imm)).getResult();
        Value y = arith::MulFOp::create(b, l, c, s);
        if (outElem != f32)
          y = arith::TruncFOp::create(b, l, outElem, y);
        linalg::YieldOp::create(b, l, y);
      });
  epi->setAttr(kEpilogueAttr, rw.getUnitAttr());
  rw.replaceOp(r.op, epi->getResults());
  Operation *oldFill = mm.getDpsInitOperand(0)->get().getDefiningOp();
  rw.eraseOp(mm);
  if (oldFill && oldFill->use_empty())
    rw.eraseOp(oldFill);
}

} // namespace

/// An explicit `--trn-tiling=STRATEGY:BMxBNxBK` that does not fit the GEMM.
static void emitTilingMismatch(Operation *op, StringRef tiling, const GemmShape &shape,
                               const trnrt::Target &target) {
  Tiles tl = tilesFor(target, shape.mode);
  op->emitOpError("matmul tiling '")
      << tiling << "' does not apply: the block sizes must divide the " << shape.M / tl.tm
      << "x" << shape.N / tl.tn << "x" << shape.K / tl.tk << " grid of " << tl.tm << "x"
      << tl.tn << "x" << tl.tk << " tiles and the blocks must fit in SBUF ("
      << target.sbufBytesPerPartition << " bytes per partition on " << target.name << ")";
}


/// The `trnc.matmul_plan` entries every plan has (MatmulBlocking.h), with
/// accumulators of type `acc`.
static SmallVector<NamedAttribute> planEntries(Builder &b, const Plan &plan, StringRef acc) {
  return {b.getNamedAttr("strategy", b.getStringAttr(strategyName(plan.strategy))),
          b.getNamedAttr("bm", b.getI64IntegerAttr(plan.bm)),
          b.getNamedAttr("bn", b.getI64IntegerAttr(plan.bn)),
          b.getNamedAttr("bk", b.getI64IntegerAttr(plan.bk)),
          b.getNamedAttr("acc", b.getStringAttr(acc)),
          b.getNamedAttr("estimated_ns", b.getF64FloatAttr(plan.estimatedNs)),
          b.getNamedAttr("sbuf_bytes", b.getI64IntegerAttr(plan.sbufBytes))};
}

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
  SmallVector<std::tuple<linalg::MatmulOp, Rescale, DictionaryAttr>> rescales;
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
    std::optional<ContractionTypes> types = contractionTypes(lop);
    if (!types)
      return;
    RankedTensorType lt = types->l, rt = types->r, ct = types->c;
    std::optional<trnrt::DType> in = types->in, inR = types->inR;
    std::optional<trnrt::DType> out = getDType(ct.getElementType());
    if (!out)
      return;
    // FP8 operands (trn-quantize): E4M3 and E5M2 may mix; double-row where
    // the target has it, else the normal data path (trn1: bf16 rate).
    const bool fp8 = isFp8(*in) && isFp8(*inR);
    if (!fp8 && (*in != *inR ||
                 !llvm::is_contained({trnrt::DType::F32, trnrt::DType::BF16, trnrt::DType::F16},
                                     *in)))
      return;
    std::optional<Rescale> rescale;
    if (!llvm::all_of(op->getUsers(), [](Operation *u) { return isa<func::ReturnOp>(u); })) {
      if (fp8)
        rescale = matchRescale(op);
      if (!rescale)
        return;
      ct = cast<RankedTensorType>(rescale->op->getResult(0).getType());
      out = getDType(ct.getElementType());
    }
    if (!out || !llvm::is_contained({trnrt::DType::F32, trnrt::DType::BF16}, *out))
      return;
    GemmShape shape;
    shape.M = ct.getDimSize(0);
    shape.N = ct.getDimSize(1);
    shape.K = lt.getDimSize(0);
    shape.in = *in;
    shape.out = *out;
    if (fp8 && lower::useFp8DoubleRow(target, lt.getElementType(), rt.getElementType()))
      shape.mode = trnrt::MatmulMode::Fp8DoubleRow;
    // Activation operands quantized on the device are quantized where the
    // GEMM stages them (on chip, right after the load) instead of by a
    // separate pass over HBM.
    std::optional<OperandQuant> quant[2];
    if (fp8)
      for (unsigned i = 0; i < 2; ++i)
        if ((quant[i] = matchOperandQuant(op, i)))
          (i == 0 ? shape.quantSrcL : shape.quantSrcR) = quant[i]->src;
    std::optional<Plan> plan = choosePlan(target, shape, tiling, op->getContext());
    if (!plan && tiling.contains(':')) {
      emitTilingMismatch(op, tiling, shape, target);
      failed = true;
      return;
    }
    if (!plan)
      return; // does not divide into tiles / blocks: per-tile lowering
    Builder b(op->getContext());
    SmallVector<NamedAttribute> entries =
        planEntries(b, *plan, plan->accInOutputType ? trnrt::dtypeName(*out) : "f32");
    if (shape.mode != trnrt::MatmulMode::Normal)
      entries.push_back(
          b.getNamedAttr("mode", b.getStringAttr(trnrt::matmulModeName(shape.mode))));
    for (unsigned i = 0; i < 2; ++i)
      if (quant[i] && (i == 0 ? plan->quantL : plan->quantR))
        rewriteOperandQuant(*quant[i], entries, i == 0 ? "quant_l" : "quant_r");
    DictionaryAttr planAttr = b.getDictionaryAttr(entries);
    if (rescale)
      rescales.push_back({op, *rescale, planAttr});
    else
      op->setAttr(kPlanAttr, planAttr);
  });
  for (auto &[op, rescale, planAttr] : rescales)
    rewriteRescale(op, rescale, planAttr);
  if (failed)
    return failure();

  // OCP MX scaled contractions: codes and E8M0 block scales already in HBM
  // (constants, or trn.quantize_mx's outputs), result in real units (f32).
  if (!target.supportsMatmulMode(trnrt::MatmulMode::Mx))
    return success(); // the per-tile lowering reports the missing mode
  func.walk([&](linalg::GenericOp g) {
    auto lop = cast<linalg::LinalgOp>(g.getOperation());
    if (!lop.hasPureTensorSemantics() || !tileutils::isMxContraction(lop) ||
        lop.getNumLoops() != 3 || g->getNumResults() != 1)
      return;
    auto fill = g.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
    if (!fill || !isZeroFill(fill))
      return;
    auto returned = [](Value r) {
      return llvm::all_of(r.getUsers(), [](Operation *u) { return isa<func::ReturnOp>(u); });
    };
    // A narrower result (bf16) is trn-quantize's f32 contraction followed by
    // `truncf`: the blocked lowering evicts into the converted result.
    linalg::GenericOp convert;
    if (!returned(g->getResult(0))) {
      convert = matchConvert(g->getResult(0));
      if (!convert || !returned(convert->getResult(0)))
        return;
    }
    std::optional<ContractionTypes> types = contractionTypes(lop);
    if (!types || !target.isLegalMatmulOperand(trnrt::MatmulMode::Mx, types->in) ||
        !target.isLegalMatmulOperand(trnrt::MatmulMode::Mx, types->inR))
      return;
    RankedTensorType lt = types->l, ct = types->c;
    std::optional<trnrt::DType> in = types->in, inR = types->inR;
    GemmShape shape;
    shape.M = ct.getDimSize(0);
    shape.N = ct.getDimSize(1);
    shape.K = lt.getDimSize(0);
    shape.in = *in;
    if (*inR != *in)
      shape.inR = *inR;
    shape.out = trnrt::DType::F32;
    if (convert) {
      std::optional<trnrt::DType> out =
          getDType(cast<RankedTensorType>(convert->getResult(0).getType()).getElementType());
      if (!out || *out != trnrt::DType::BF16)
        return;
      shape.out = *out;
    }
    shape.mode = trnrt::MatmulMode::Mx;
    // Activations quantized on the device (trn.quantize_mx generics whose
    // codes and scales only this contraction reads): quantized on chip
    // where the GEMM loads them, when the cost model prefers it.
    linalg::GenericOp mxQuant[2];
    for (unsigned i = 0; i < 2; ++i) {
      Value codes = g.getDpsInputOperand(i)->get(), scales = g.getDpsInputOperand(2 + i)->get();
      auto q = codes.getDefiningOp<linalg::GenericOp>();
      if (!q || !tileutils::isMxQuantize(q) || !q.hasPureTensorSemantics() ||
          q->getResult(0) != codes || q->getResult(1) != scales || !codes.hasOneUse() ||
          !scales.hasOneUse() || g.getDpsInputOperand(i)->get() == g.getDpsInputOperand(1 - i)->get())
        continue;
      auto xt = dyn_cast<RankedTensorType>(q.getDpsInputOperand(0)->get().getType());
      std::optional<trnrt::DType> src = xt ? getDType(xt.getElementType()) : std::nullopt;
      if (!src || xt.getShape() != cast<RankedTensorType>(codes.getType()).getShape() ||
          !q.getMatchingIndexingMap(q.getDpsInputOperand(0)).isIdentity() ||
          !llvm::is_contained({trnrt::DType::F32, trnrt::DType::BF16}, *src))
        continue;
      mxQuant[i] = q;
      (i == 0 ? shape.quantSrcL : shape.quantSrcR) = *src;
    }
    std::optional<Plan> plan = choosePlan(target, shape, tiling, g->getContext());
    // An explicit strategy that reloads an activation operand quantizes it
    // by the separate pass (on-chip quantization applies to operands loaded
    // once).
    for (unsigned drop = 1; !plan && drop < 4 && (shape.quantSrcL || shape.quantSrcR); ++drop) {
      GemmShape v = shape;
      if (drop & 1)
        v.quantSrcL.reset();
      if (drop & 2)
        v.quantSrcR.reset();
      plan = choosePlan(target, v, tiling, g->getContext());
    }
    if (!plan && tiling.contains(':')) {
      emitTilingMismatch(g, tiling, shape, target);
      failed = true;
      return;
    }
    if (!plan)
      return; // a ragged shape (e.g. K not a multiple of 512): per-tile lowering
    Builder b(g->getContext());
    SmallVector<NamedAttribute> entries = planEntries(b, *plan, "f32");
    entries.push_back(b.getNamedAttr("mode", b.getStringAttr(trnrt::matmulModeName(shape.mode))));
    if (convert) {
      entries.push_back(b.getNamedAttr("output", b.getStringAttr("convert")));
      convert->setAttr(kEpilogueAttr, b.getUnitAttr());
    }
    for (unsigned i = 0; i < 2; ++i)
      if (mxQuant[i] && (i == 0 ? plan->quantL : plan->quantR)) {
        entries.push_back(b.getNamedAttr(i == 0 ? "quant_l" : "quant_r", b.getStringAttr("mx")));
        mxQuant[i]->setAttr(kOperandQuantAttr, b.getUnitAttr());
      }
    g->setAttr(kPlanAttr, b.getDictionaryAttr(entries));
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
  // `output = "convert"` (MX with a bf16 result): the marked `truncf`
  // generic reading C writes the result; the lowering evicts into it (C, the
  // f32 contraction result, is never written).
  if (auto out = planAttr.getAs<StringAttr>("output"); out && out.getValue() == "convert") {
    linalg::GenericOp convert;
    for (Operation *u : C.getUsers())
      if (auto g = dyn_cast<linalg::GenericOp>(u);
          g && g->hasAttr(kEpilogueAttr) && g.getNumDpsInputs() == 1 &&
          g.getDpsInputOperand(0)->get() == C && g.getNumDpsInits() == 1)
        convert = g;
    if (!convert)
      return op->emitOpError("blocked matmul: its result conversion ('")
             << kEpilogueAttr << "' reading the result buffer) is missing";
    C = convert.getDpsInitOperand(0)->get();
  }
  if (TileEmitter::isOnChip(L) || TileEmitter::isOnChip(R) || TileEmitter::isOnChip(C))
    return op->emitOpError("blocked matmul operands must be HBM tensors");
  if (initFill) {
    if (!isZeroFill(initFill))
      return initFill->emitOpError("blocked matmul expects a zero accumulator fill");
  } else {
    return op->emitOpError("blocked matmul expects a zero accumulator fill");
  }
  auto lt = cast<MemRefType>(L.getType()), ct = cast<MemRefType>(C.getType());
  auto rtype = cast<MemRefType>(R.getType());
  Type lElem = lt.getElementType(), rElem = rtype.getElementType();
  // OCP MX: codes L, R with their E8M0 block scales Ls, Rs (inputs 2, 3).
  const bool mx = tileutils::isMxContraction(op);
  if (mx && !e.target.supportsMatmulMode(trnrt::MatmulMode::Mx))
    return op->emitOpError("MX scaled contraction needs the MX matmul, which ")
           << e.target.name << " does not have";
  const trnrt::MatmulMode mode = mx ? trnrt::MatmulMode::Mx
                                 : useFp8DoubleRow(e.target, lElem, rElem)
                                     ? trnrt::MatmulMode::Fp8DoubleRow
                                     : trnrt::MatmulMode::Normal;
  DenseMap<Value, Value> scalesOf; // codes operand -> its HBM scales
  if (mx) {
    for (unsigned i = 0; i < 2; ++i) {
      Value s = op.getDpsInputOperand(2 + i)->get();
      if (TileEmitter::isOnChip(s))
        return op->emitOpError("blocked matmul operands must be HBM tensors");
      scalesOf[i == 0 ? L : R] = s;
    }
  }
  const Tiles tl = tilesFor(e.target, mode);
  const int64_t P = tl.tk / tl.rows; // partitions of a K tile
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
  constexpr int64_t kSplitBytes = 128 * 1024;
  Type outElem = ct.getElementType(), f32 = e.f32();
  {
    std::optional<trnrt::DType> l = getDType(lElem), r = getDType(rElem);
    if (!mx && (!l || !r || (*l != *r && !(isFp8(*l) && isFp8(*r)))))
      return op->emitOpError("blocked matmul operands must have one element type (or both FP8)");
  }

  // Rescale of a quantized GEMM (kEpilogueAttr): an immediate from the plan
  // or a scale tensor (rank-0, or [M] read per partition), applied where the
  // result is evicted in C's dtype. The epilogue updates C in place.
  auto rescaleAttr = planAttr.getAs<StringAttr>("rescale");
  const bool rescaled = rescaleAttr && rescaleAttr.getValue() != "none";
  float scaleImm = 1.0f;
  Value scaleTensor;
  if (rescaled) {
    linalg::GenericOp epi;
    for (Operation *u : C.getUsers())
      if (auto g = dyn_cast<linalg::GenericOp>(u); g && g->hasAttr(kEpilogueAttr))
        epi = g;
    if (!epi || epi.getNumDpsInits() != 1 || epi.getDpsInitOperand(0)->get() != C)
      return op->emitOpError("blocked quantized matmul: its in-place rescale epilogue ('")
             << kEpilogueAttr << "') on the result buffer is missing";
    if (rescaleAttr.getValue() == "immediate") {
      auto sa = planAttr.getAs<FloatAttr>("scale");
      if (!sa || epi.getNumDpsInputs() != 0)
        return op->emitOpError("has a malformed ") << kPlanAttr << " rescale";
      scaleImm = static_cast<float>(sa.getValueAsDouble());
    } else {
      if (epi.getNumDpsInputs() != 1)
        return op->emitOpError("has a malformed ") << kPlanAttr << " rescale";
      scaleTensor = epi.getDpsInputOperand(0)->get();
      auto st = dyn_cast<MemRefType>(scaleTensor.getType());
      if (!st || !st.getElementType().isF32() || st.getRank() > 1 ||
          TileEmitter::isOnChip(scaleTensor))
        return op->emitOpError("blocked quantized matmul: the scale must be an f32 rank-0 or "
                               "[M] HBM tensor");
    }
  }
  Type accElem = accInOutputType ? outElem : f32;
  UnitAttr unit = rewriter.getUnitAttr();
  LogicalResult status = success();

  // [rows, cols] tile of the [K, *] operand `src` at (k0, f0), loaded once.
  // With `pieces` > 1 the transfer is split by partition ranges into that
  // many DMAs (same contiguous runs, so the same efficiency) that the
  // scheduler spreads over idle queues: used where latency matters, for the
  // first blocks (the TensorE waits for them) and the last stores.
  // Operands quantized on chip (kOperandQuantAttr on the op that would write
  // the FP8 operand buffer): the source X is loaded instead and each staged
  // tile is quantized right after its load.
  struct OperandQuant {
    Value src;          // X (HBM, f32/bf16)
    float imm = 1.0f;   // immediate scale, or
    Value scaleTensor;  // rank-0 f32 HBM scale
  };
  DenseMap<Value, OperandQuant> quantOf;
  // MX operands quantized on chip (quant_l / quant_r = "mx"): codes operand
  // -> the HBM source its marked trn.quantize_mx generic reads.
  DenseMap<Value, Value> mxSourceOf;
  for (auto [operand, prefix] : {std::pair<Value, StringRef>{L, "quant_l"}, {R, "quant_r"}}) {
    auto kind = planAttr.getAs<StringAttr>(prefix);
    if (!kind)
      continue;
    if (kind.getValue() == "mx") {
      linalg::GenericOp q;
      for (Operation *u : operand.getUsers())
        if (auto g = dyn_cast<linalg::GenericOp>(u);
            g && g->hasAttr(kOperandQuantAttr) && tileutils::isMxQuantize(g) &&
            g.getDpsInitOperand(0)->get() == operand &&
            g.getDpsInitOperand(1)->get() == scalesOf.lookup(operand))
          q = g;
      Value src = q ? q.getDpsInputOperand(0)->get() : Value();
      auto st = src ? dyn_cast<MemRefType>(src.getType()) : MemRefType();
      if (!mx || !q || !st || TileEmitter::isOnChip(src) ||
          st.getShape() != cast<MemRefType>(operand.getType()).getShape())
        return op->emitOpError("blocked MX matmul: the on-chip quantization ('")
               << kOperandQuantAttr << "', an HBM source of the codes' shape) of operand "
               << (operand == L ? "L" : "R") << " is missing";
      mxSourceOf[operand] = src;
      continue;
    }
    linalg::GenericOp q;
    for (Operation *u : operand.getUsers())
      if (auto g = dyn_cast<linalg::GenericOp>(u);
          g && g->hasAttr(kOperandQuantAttr) && g.getNumDpsInits() == 1 &&
          g.getDpsInitOperand(0)->get() == operand)
        q = g;
    if (!q)
      return op->emitOpError("blocked quantized matmul: the on-chip quantization ('")
             << kOperandQuantAttr << "') of operand " << (operand == L ? "L" : "R")
             << " is missing";
    OperandQuant oq;
    oq.src = q.getDpsInputOperand(0)->get();
    auto st = dyn_cast<MemRefType>(oq.src.getType());
    if (!st || st.getShape() != cast<MemRefType>(operand.getType()).getShape() ||
        TileEmitter::isOnChip(oq.src))
      return op->emitOpError("blocked quantized matmul: the quantized operand's source must "
                             "be an HBM tensor of the operand's shape");
    if (kind.getValue() == "immediate") {
      auto sa = planAttr.getAs<FloatAttr>((prefix + "_scale").str());
      if (!sa || q.getNumDpsInputs() != 1)
        return op->emitOpError("has a malformed ") << kPlanAttr << " " << prefix;
      oq.imm = static_cast<float>(sa.getValueAsDouble());
    } else {
      if (q.getNumDpsInputs() != 2)
        return op->emitOpError("has a malformed ") << kPlanAttr << " " << prefix;
      oq.scaleTensor = q.getDpsInputOperand(1)->get();
      auto sct = dyn_cast<MemRefType>(oq.scaleTensor.getType());
      if (!sct || sct.getRank() != 0 || !sct.getElementType().isF32())
        return op->emitOpError("blocked quantized matmul: an operand scale must be a rank-0 f32 "
                               "HBM tensor");
    }
    quantOf[operand] = oq;
  }
  // Scales as [P, 1] columns (rank-0 tensors broadcast over the partitions).
  DenseMap<Value, Value> scaleColumns;
  auto scaleColumn = [&](Value scalar, int64_t partitions) -> Value {
    Value &t = scaleColumns[scalar];
    if (!t) {
      t = e.alloc({partitions, 1}, f32);
      if (failed(e.transfer(scalar, {{-1, 0, partitions}}, t, /*toHbm=*/false)))
        status = failure();
    }
    return t;
  };
  int64_t quantizations = 0;
  // block-mnk keeps VectorE busy with its K-block additions: its on-chip
  // quantizations all go to ScalarE.
  const int64_t quantPeriod = *strategy == Strategy::BlockMNK ? 1 : 2;
  // Quantizes the staged source tile `x` into a new FP8 tile (ScalarE, or
  // ScalarE and VectorE alternately; the conversion saturates like the
  // per-tile pass).
  auto quantize = [&](Value x, const OperandQuant &oq, Type fp8) -> Value {
    auto xt = cast<MemRefType>(x.getType());
    Value t = e.alloc(xt.getShape(), fp8);
    Scalar sc = oq.scaleTensor ? Scalar::ofTile(scaleColumn(oq.scaleTensor, xt.getDimSize(0)))
                               : Scalar::ofImm(oq.imm);
    if (quantizations++ % quantPeriod == 0)
      e.activation(ActFunc::Identity, x, t, sc, Scalar::ofImm(0.0f));
    else
      e.tensorScalar(x, t, AluOp::Mul, sc);
    return t;
  };

  // Multi-row modes: the [K, F] operand viewed as [K / TK, rows, P, F]
  // (created once; erased as a dead view after lowering) so that a K tile
  // [P, rows, cols] is one DMA (runs of `cols` elements) when the operand is
  // a plain HBM buffer; otherwise one DMA per row.
  // An MX scale operand [K / 32, F] is viewed the same way with P / 32
  // partitions: [K / TK, rows, P / 32, F] (the ISA scale layout, stageMx).
  DenseMap<Value, Value> rowViews;
  auto rowView = [&](Value src, int64_t parts) -> Value {
    if (tl.rows == 1)
      return Value();
    auto it = rowViews.find(src);
    if (it != rowViews.end())
      return it->second;
    auto t = cast<MemRefType>(src.getType());
    Value v;
    if (t.getLayout().isIdentity() && t.getRank() == 2 &&
        t.getDimSize(0) % (tl.rows * parts) == 0) {
      auto vt = MemRefType::get({t.getDimSize(0) / (tl.rows * parts), tl.rows, parts,
                                 t.getDimSize(1)},
                                t.getElementType(), MemRefLayoutAttrInterface(),
                                t.getMemorySpace());
      SmallVector<ReassociationIndices> reassoc = {{0, 1, 2}, {3}};
      v = memref::ExpandShapeOp::create(e.b, e.loc, vt, src, reassoc);
    }
    rowViews[src] = v;
    return v;
  };
  // K tile `kt` of `src` as [parts, rows, cols] (parts = P for operand
  // codes, P / 32 for MX scales): row r, partition p holds HBM row
  // kt * rows * parts + r * parts + p.
  // `dst`: a given [parts, rows, cols] destination instead of a new tile.
  auto loadRows = [&](Value src, int64_t kt, int64_t f0, int64_t cols, int64_t pieces,
                      int64_t parts, Value dst = Value()) -> Value {
    Type elem = cast<MemRefType>(src.getType()).getElementType();
    Value t = dst ? dst : e.alloc({parts, tl.rows, cols}, elem);
    // A multi-row K tile is large (e.g. [128, 2, 1024] bf16 = 512 KiB when
    // quantized on chip): one DMA would move it at one queue's rate while
    // the TensorE waits, so it is split by partition ranges over several
    // queues as well (same runs, same efficiency).
    const int64_t bytes = parts * tl.rows * cols * elem.getIntOrFloatBitWidth() / 8;
    if (bytes >= kSplitBytes)
      pieces = std::max(pieces, kLatencyPieces);
    if (parts % pieces || parts / pieces < tileutils::kMxBlock)
      pieces = 1; // small tiles (MX scales: 4 partitions) are one DMA
    const int64_t pr = parts / pieces;
    auto part = [&](int64_t p0, int64_t r0, int64_t nr) {
      SmallVector<OpFoldResult> offs = {e.b.getIndexAttr(p0), e.b.getIndexAttr(r0),
                                        e.b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {e.b.getIndexAttr(pr), e.b.getIndexAttr(nr),
                                         e.b.getIndexAttr(cols)};
      SmallVector<OpFoldResult> ones(3, e.b.getIndexAttr(1));
      return memref::SubViewOp::create(e.b, e.loc, t, offs, sizes, ones).getResult();
    };
    for (int64_t p = 0; p < pieces; ++p) {
      SmallVector<std::pair<FailureOr<Value>, Value>> dmas;
      if (Value v = rowView(src, parts)) {
        dmas.push_back({e.hbmAccess(v, {{2, p * pr, pr}, {1, 0, tl.rows}, {3, f0, cols},
                                        {0, kt, 1}}),
                        part(p * pr, 0, tl.rows)});
      } else {
        for (int64_t r = 0; r < tl.rows; ++r)
          dmas.push_back({e.hbmAccess(src, {{0, (kt * tl.rows + r) * parts + p * pr, pr},
                                            {1, f0, cols}}),
                          part(p * pr, r, 1)});
      }
      for (auto &[view, dst] : dmas) {
        if (failed(view)) {
          status = failure();
          return Value();
        }
        auto dma = DmaCopyOp::create(e.b, e.loc, *view, dst, {}, {}, {});
        dma->setAttr(kNoReuseAttr, unit);
      }
    }
    return t;
  };
  auto loadRaw = [&](Value src, int64_t k0, int64_t f0, int64_t cols, int64_t pieces) -> Value {
    if (tl.rows > 1)
      return loadRows(src, k0 / tl.tk, f0, cols, pieces, P);
    Value t = e.alloc({tl.tk, cols}, cast<MemRefType>(src.getType()).getElementType());
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
  // MX code tiles -> their scale tiles (same K tile and columns). A scale
  // tile has P / 32 partitions but the allocator reserves its bytes in every
  // partition: the scale tiles of `pack` consecutive K tiles loaded together
  // (one block of the strategy) share one allocation, each at its own
  // 32-partition quadrant (a legal start partition for P / 32 partitions).
  DenseMap<Value, Value> scaleTileOf;
  const int64_t batch = *strategy == Strategy::Naive      ? 1
                        : *strategy == Strategy::BlockMNK ? bk
                                                          : KT;
  const int64_t pack = mxScalePack(batch);
  const int64_t quadrant = static_cast<int64_t>(e.target.numPartitions) / 4;
  DenseMap<std::tuple<void *, int64_t, int64_t>, Value> scalePacks; // (scales, f0, cols)
  // The scale tile of K tile `kt` of the MX operand `src`, columns
  // [f0, f0 + cols).
  // (`load` false: only the tile, written by an on-chip quantization.)
  auto loadScales = [&](Value src, int64_t kt, int64_t f0, int64_t cols,
                        bool loadIt = true) -> Value {
    const int64_t sp = P / tileutils::kMxBlock;
    Value scales = scalesOf.lookup(src);
    Value dst;
    if (pack > 1) {
      Value &buf = scalePacks[{scales.getAsOpaquePointer(), f0, cols}];
      if (!buf || kt % pack == 0)
        buf = e.alloc({(pack - 1) * quadrant + sp, tl.rows, cols},
                      cast<MemRefType>(scales.getType()).getElementType());
      SmallVector<OpFoldResult> offs = {e.b.getIndexAttr((kt % pack) * quadrant),
                                        e.b.getIndexAttr(0), e.b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {e.b.getIndexAttr(sp), e.b.getIndexAttr(tl.rows),
                                         e.b.getIndexAttr(cols)};
      SmallVector<OpFoldResult> ones(3, e.b.getIndexAttr(1));
      dst = memref::SubViewOp::create(e.b, e.loc, buf, offs, sizes, ones);
    }
    if (!loadIt)
      return dst ? dst : e.alloc({sp, tl.rows, cols},
                                 cast<MemRefType>(scales.getType()).getElementType());
    return loadRows(scales, kt, f0, cols, 1, sp, dst);
  };
  // Constant MX codes re-laid out tile-contiguous in HBM (a private copy of
  // the constant global): chunk c of K tile kt is rows
  // [(kt * chunks + c) * P, +P) of a [KT * chunks * P, rows, cw] global, the
  // `rows` x `cw` codes of one partition contiguous, cw = the DMA's full-rate
  // bytes per partition / rows. With the natural [K, F] layout a K tile
  // [P, rows, cw] walks `rows` runs of cw bytes (the DMA moves runs below
  // its full-rate size at half rate); here one run of rows * cw bytes, in
  // SBUF too (the panel is [P, chunks * rows, cw]: chunk-major, see
  // chunkWidthOf). Only dense constant globals of byte-sized codes.
  DenseMap<Value, int64_t> chunkWidthOf; // chunk-major panel tiles -> cw
  auto tiledConstant = [&](Value src) -> std::pair<Value, int64_t> {
    auto g = src.getDefiningOp<memref::GetGlobalOp>();
    auto t = cast<MemRefType>(src.getType());
    const int64_t bits = t.getElementType().getIntOrFloatBitWidth();
    if (!g || tl.rows < 2 || bits != 8 || t.getRank() != 2 || !t.getLayout().isIdentity() ||
        !t.hasStaticShape())
      return {};
    const int64_t cw = static_cast<int64_t>(e.target.dma.fullRateBytesPerPartition) * 8 /
                       (tl.rows * bits);
    const int64_t K = t.getDimSize(0), F = t.getDimSize(1);
    if (cw < tl.tm || cw % tl.tm || F % cw || K % (tl.rows * P))
      return {};
    auto module = op->getParentOfType<ModuleOp>();
    SymbolTable symbols(module);
    auto global = symbols.lookup<memref::GlobalOp>(g.getName());
    auto init = global ? dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr())
                       : DenseElementsAttr();
    if (!global || !global.getConstant() || !init)
      return {};
    const int64_t kts = K / (tl.rows * P), chunks = F / cw;
    auto type = MemRefType::get({kts * chunks * P, tl.rows, cw}, t.getElementType(),
                                MemRefLayoutAttrInterface(), t.getMemorySpace());
    const std::string name = (global.getSymName() + "_tiled").str();
    auto tiled = symbols.lookup<memref::GlobalOp>(name);
    if (!tiled || tiled.getType() != type) {
      auto tensorType = RankedTensorType::get(type.getShape(), t.getElementType());
      DenseElementsAttr data;
      if (init.isSplat()) {
        data = init.resizeSplat(tensorType);
      } else {
        ArrayRef<char> raw = init.getRawData();
        if (static_cast<int64_t>(raw.size()) != K * F)
          return {};
        std::vector<char> out(raw.size());
        for (int64_t kt = 0; kt < kts; ++kt)
          for (int64_t c = 0; c < chunks; ++c)
            for (int64_t p = 0; p < P; ++p)
              for (int64_t r = 0; r < tl.rows; ++r)
                std::copy_n(raw.begin() + ((kt * tl.rows + r) * P + p) * F + c * cw, cw,
                            out.begin() + (((kt * chunks + c) * P + p) * tl.rows + r) * cw);
        data = DenseElementsAttr::getFromRawBuffer(tensorType, out);
      }
      OpBuilder gb(global);
      tiled = memref::GlobalOp::create(gb, global.getLoc(), name, gb.getStringAttr("private"),
                                       type, data, /*constant=*/true, global.getAlignmentAttr());
      symbols.insert(tiled);
    }
    OpBuilder vb(g);
    Value v = memref::GetGlobalOp::create(vb, g.getLoc(), type, tiled.getSymName());
    return {v, cw};
  };
  // The panel [P, chunks * rows, cw] of K tiles 0..KT of the tiled constant
  // `tiled` (of `src`), columns [f0, f0 + cols), loaded chunk-major (the first
  // output tiles' chunk of every K tile first), each chunk of a K tile in
  // partition pieces; the scale tiles as loadPanels.
  auto loadTiledPanels = [&](Value src, Value tiled, int64_t cw, int64_t f0,
                             int64_t cols) -> SmallVector<Value> {
    Type elem = cast<MemRefType>(src.getType()).getElementType();
    const int64_t chunks = cast<MemRefType>(src.getType()).getDimSize(1) / cw;
    SmallVector<Value> tiles;
    for (int64_t k = 0; k < KT; ++k) {
      Value t = e.alloc({P, cols / cw * tl.rows, cw}, elem);
      Value st = loadScales(src, k, f0, cols);
      if (!st)
        return {};
      scaleTileOf[t] = st;
      chunkWidthOf[t] = cw;
      tiles.push_back(t);
    }
    const int64_t pieces = P % kLatencyPieces == 0 ? kLatencyPieces : 1, pr = P / pieces;
    for (int64_t c = 0; c < cols / cw; ++c)
      for (int64_t k = 0; k < KT; ++k)
        for (int64_t p = 0; p < pieces; ++p) {
          FailureOr<Value> view = e.hbmAccess(
              tiled, {{0, ((k * chunks + f0 / cw + c) * P + p * pr), pr}, {1, 0, tl.rows},
                      {2, 0, cw}});
          if (failed(view)) {
            status = failure();
            return {};
          }
          SmallVector<OpFoldResult> offs = {e.b.getIndexAttr(p * pr),
                                            e.b.getIndexAttr(c * tl.rows), e.b.getIndexAttr(0)};
          SmallVector<OpFoldResult> sizes = {e.b.getIndexAttr(pr), e.b.getIndexAttr(tl.rows),
                                             e.b.getIndexAttr(cw)};
          SmallVector<OpFoldResult> ones(3, e.b.getIndexAttr(1));
          Value dst = memref::SubViewOp::create(e.b, e.loc, tiles[k], offs, sizes, ones);
          auto dma = DmaCopyOp::create(e.b, e.loc, *view, dst, {}, {}, {});
          dma->setAttr(kNoReuseAttr, unit);
        }
    return tiles;
  };
  // MX panels: K tiles [kFirst, kFirst + count) of `src`, columns [f0, f0 +
  // cols), with their scale tiles. The codes are loaded in column chunks of
  // `chunk`, chunk-major over the K tiles, so that the first output tiles'
  // operands arrive first (a wide panel is one DMA per K tile otherwise).
  struct Chunk {
    Value src, tile;
    int64_t kt, f0, c0, w;
  };
  SmallVector<Chunk> pendingChunks;
  auto finishPanels = [&]() -> LogicalResult {
    for (const Chunk &c : pendingChunks) {
      SmallVector<OpFoldResult> offs = {e.b.getIndexAttr(0), e.b.getIndexAttr(0),
                                        e.b.getIndexAttr(c.c0)};
      SmallVector<OpFoldResult> sizes = {e.b.getIndexAttr(P), e.b.getIndexAttr(tl.rows),
                                         e.b.getIndexAttr(c.w)};
      SmallVector<OpFoldResult> ones(3, e.b.getIndexAttr(1));
      Value dst = memref::SubViewOp::create(e.b, e.loc, c.tile, offs, sizes, ones);
      if (!loadRows(c.src, c.kt, c.f0 + c.c0, c.w, 1, P, dst))
        return failure();
    }
    pendingChunks.clear();
    return success();
  };
  auto loadPanels = [&](Value src, int64_t kFirst, int64_t count, int64_t f0, int64_t cols,
                        int64_t chunk, int64_t pieces = 1,
                        int64_t chunksNow = -1) -> SmallVector<Value> {
    Type elem = cast<MemRefType>(src.getType()).getElementType();
    SmallVector<Value> tiles;
    if (Value x = mxSourceOf.lookup(src)) {
      // Quantized on chip: per K tile, the source [P, rows, cols] (one
      // load) and one trn.quantize_mx into the code and scale tiles (its
      // 32-partition blocks at each (row, column) are the MX blocks along K).
      for (int64_t k = 0; k < count; ++k) {
        Value xt = loadRows(x, kFirst + k, f0, cols, pieces, P);
        Value t = e.alloc({P, tl.rows, cols}, elem);
        Value st = xt ? loadScales(src, kFirst + k, f0, cols, /*loadIt=*/false) : Value();
        if (!st)
          return {};
        QuantizeMxOp::create(e.b, e.loc, xt, t, st, {}, {}, {});
        scaleTileOf[t] = st;
        tiles.push_back(t);
      }
      return tiles;
    }
    for (int64_t k = 0; k < count; ++k) {
      Value t = e.alloc({P, tl.rows, cols}, elem);
      Value st = loadScales(src, kFirst + k, f0, cols);
      if (!st)
        return {};
      scaleTileOf[t] = st;
      tiles.push_back(t);
    }
    // Chunks past `chunksNow` are emitted by finishPanels (after the loads
    // the first matmuls need besides the first chunk).
    for (int64_t c0 = 0, c = 0; c0 < cols; c0 += chunk, ++c)
      for (int64_t k = 0; k < count; ++k) {
        if (chunksNow >= 0 && c >= chunksNow) {
          pendingChunks.push_back({src, tiles[k], kFirst + k, f0, c0, std::min(chunk, cols - c0)});
          continue;
        }
        const int64_t w = std::min(chunk, cols - c0);
        Value dst = tiles[k];
        if (w != cols) {
          SmallVector<OpFoldResult> offs = {e.b.getIndexAttr(0), e.b.getIndexAttr(0),
                                            e.b.getIndexAttr(c0)};
          SmallVector<OpFoldResult> sizes = {e.b.getIndexAttr(P), e.b.getIndexAttr(tl.rows),
                                             e.b.getIndexAttr(w)};
          SmallVector<OpFoldResult> ones(3, e.b.getIndexAttr(1));
          dst = memref::SubViewOp::create(e.b, e.loc, dst, offs, sizes, ones);
        }
        if (!loadRows(src, kFirst + k, f0 + c0, w, pieces, P, dst))
          return {};
      }
    return tiles;
  };
  auto load = [&](Value src, int64_t k0, int64_t f0, int64_t cols, int64_t pieces = 1) -> Value {
    if (mx) {
      SmallVector<Value> t = loadPanels(src, k0 / tl.tk, 1, f0, cols, cols, pieces);
      return t.empty() ? Value() : t.front();
    }
    auto it = quantOf.find(src);
    if (it == quantOf.end())
      return loadRaw(src, k0, f0, cols, pieces);
    Value x = loadRaw(it->second.src, k0, f0, cols, pieces);
    if (!x)
      return Value();
    return quantize(x, it->second, cast<MemRefType>(src.getType()).getElementType());
  };
  // Evicts a [TM, TN] tile (f32 PSUM, or an SBUF accumulator) to C[m0, n0]
  // in C's dtype.
  // The rescale of the M tile at m0: the immediate, or a [TM, 1] column of
  // the scale tensor (loaded once per distinct column).
  DenseMap<int64_t, Value> scaleTiles;
  auto scaleFor = [&](int64_t m0) -> Scalar {
    if (!scaleTensor)
      return Scalar::ofImm(scaleImm);
    const bool perRow = cast<MemRefType>(scaleTensor.getType()).getRank() == 1;
    Value &t = scaleTiles[perRow ? m0 : 0];
    if (!t) {
      t = e.alloc({tl.tm, 1}, f32);
      SmallVector<AccessDim> dims;
      if (perRow)
        dims.push_back({0, m0, tl.tm});
      else
        dims.push_back({-1, 0, tl.tm});
      if (failed(e.transfer(scaleTensor, dims, t, /*toHbm=*/false)))
        status = failure();
    }
    return Scalar::ofTile(t);
  };
  // Evictions alternate between ScalarE (activation with the scale) and
  // VectorE (tensor_scalar multiply); unscaled ones are copies, which the
  // scheduler balances itself.
  int64_t evictions = 0;
  auto evict = [&](Value src, Value dst, int64_t m0) {
    if (!rescaled) {
      e.tensorCopy(src, dst);
      return;
    }
    Scalar sc = scaleFor(m0);
    if (evictions++ % 2 == 0)
      e.activation(ActFunc::Identity, src, dst, sc, Scalar::ofImm(0.0f));
    else
      e.tensorScalar(src, dst, AluOp::Mul, sc);
  };
  auto store = [&](Value acc, int64_t m0, int64_t n0, bool accIsSbuf, int64_t pieces = 1) {
    Value out = acc;
    if (!accIsSbuf || cast<MemRefType>(acc.getType()).getElementType() != outElem ||
        rescaled) {
      out = e.alloc({tl.tm, tl.tn}, outElem);
      evict(acc, out, m0);
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
    if (s)
      return s;
    auto t = cast<MemRefType>(tile.getType());
    if (int64_t cw = chunkWidthOf.lookup(tile)) {
      // Chunk-major panel [P, chunks * rows, cw]: column `col` is in chunk
      // col / cw, rows [c * rows, (c + 1) * rows).
      SmallVector<OpFoldResult> offs = {e.b.getIndexAttr(0),
                                        e.b.getIndexAttr(col / cw * tl.rows),
                                        e.b.getIndexAttr(col % cw)};
      SmallVector<OpFoldResult> sizes = {e.b.getIndexAttr(t.getDimSize(0)),
                                         e.b.getIndexAttr(tl.rows), e.b.getIndexAttr(width)};
      SmallVector<OpFoldResult> ones(3, e.b.getIndexAttr(1));
      s = memref::SubViewOp::create(e.b, e.loc, tile, offs, sizes, ones);
    } else if (t.getRank() == 2) {
      s = e.sliceTile(tile, 0, tl.tk, col, width);
    } else if (col == 0 && t.getDimSize(2) == width) {
      s = tile;
    } else {
      SmallVector<OpFoldResult> offs = {e.b.getIndexAttr(0), e.b.getIndexAttr(0),
                                        e.b.getIndexAttr(col)};
      SmallVector<OpFoldResult> sizes = {e.b.getIndexAttr(t.getDimSize(0)),
                                         e.b.getIndexAttr(tl.rows),
                                         e.b.getIndexAttr(width)};
      SmallVector<OpFoldResult> ones(3, e.b.getIndexAttr(1));
      s = memref::SubViewOp::create(e.b, e.loc, tile, offs, sizes, ones);
    }
    return s;
  };
  // `stS`, `mvS`: the MX scale tiles of `st`, `mv` (same columns).
  auto matmul = [&](Value st, Value mv, Value psum, bool accumulate, Value stS = Value(),
                    Value mvS = Value()) {
    if (mode == trnrt::MatmulMode::Mx)
      matmulMx(e, MxTiles{st, stS}, MxTiles{mv, mvS}, psum, accumulate);
    else if (mode == trnrt::MatmulMode::Normal)
      e.matmul(st, mv, psum, accumulate);
    else
      matmulInMode(e, st, mv, psum, accumulate, MatmulMode::Fp8DoubleRow);
  };
  auto matmuls = [&](ArrayRef<Value> st, ArrayRef<Value> mv, int64_t stCol, int64_t mvCol,
                     Value psum) {
    for (size_t k = 0; k < st.size(); ++k) {
      Value stS, mvS;
      if (mx) {
        stS = slice(scaleTileOf.lookup(st[k]), stCol, tl.tm);
        mvS = slice(scaleTileOf.lookup(mv[k]), mvCol, tl.tn);
      }
      matmul(slice(st[k], stCol, tl.tm), slice(mv[k], mvCol, tl.tn), psum, k > 0, stS, mvS);
    }
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
          matmul(st, mv, psum, k > 0, scaleTileOf.lookup(st), scaleTileOf.lookup(mv));
        }
        store(psum, m * tl.tm, n * tl.tn, false);
      }
    break;
  case Strategy::Hoist:
  case Strategy::BlockMN: {
    const int64_t BM = *strategy == Strategy::Hoist ? 1 : bm;
    const int64_t BN = *strategy == Strategy::Hoist ? 1 : bn;
    if (mx) {
      // MX: the operand blocks are loaded as panels [P, 4, BM * TM] and
      // [P, 4, BN * TN] per K tile (runs of BM * TM bytes instead of TM:
      // the DMA is 4x more efficient from 512-byte runs, 8x from 4 KiB);
      // the first stationary panels in chunks of the smallest efficient run,
      // so that the TensorE starts after one chunk per K tile.
      const int64_t bits = lElem.getIntOrFloatBitWidth();
      int64_t chunkTiles = 1;
      while (chunkTiles < BM && chunkTiles * tl.tm * bits / 8 <
                                    static_cast<int64_t>(e.target.dma.minRunBytes))
        chunkTiles *= 2;
      auto [tiledL, cw] = mxSourceOf.count(L) ? std::pair<Value, int64_t>{} : tiledConstant(L);
      if (tiledL && (BM * tl.tm) % cw)
        tiledL = Value();
      for (int64_t mb = 0; mb < MT / BM && succeeded(status); ++mb) {
        SmallVector<Value> st =
            tiledL ? loadTiledPanels(L, tiledL, cw, mb * BM * tl.tm, BM * tl.tm)
                   : loadPanels(L, 0, KT, mb * BM * tl.tm, BM * tl.tm,
                                (mb == 0 ? chunkTiles : BM) * tl.tm, 1,
                                /*chunksNow=*/mb == 0 ? 1 : -1);
        if (st.empty())
          return failure();
        for (int64_t nb = 0; nb < NT / BN && succeeded(status); ++nb) {
          SmallVector<Value> mv =
              loadPanels(R, 0, KT, nb * BN * tl.tn, BN * tl.tn, BN * tl.tn);
          if (mv.empty() || failed(status) || failed(finishPanels()))
            return failure();
          // The last output tiles are stored in partition pieces over
          // several queues (the drain after the last matmuls).
          const bool last = mb + 1 == MT / BM && nb + 1 == NT / BN;
          for (int64_t i = 0; i < BM; ++i)
            for (int64_t j = 0; j < BN; ++j) {
              Value psum = e.alloc({tl.tm, tl.tn}, f32, MemSpace::PSUM);
              matmuls(st, mv, i * tl.tm, j * tl.tn, psum);
              store(psum, (mb * BM + i) * tl.tm, (nb * BN + j) * tl.tn, false,
                    last && i + 4 >= BM ? kLatencyPieces : 1);
            }
        }
      }
      break;
    }
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
              // With a rescale the store applies it (and converts).
              Type dstElem = kb + 1 == KT / bk && !rescaled ? outElem : accElem;
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
