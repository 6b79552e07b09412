//===- LowerMatmul.cpp - device-form matmul -> trn.matmul K-groups --------===//
//
// `C[b.., m, n] (+)= sum_k L[b.., k, m] * R[b.., k, n]`: per batch index and
// per (M <= maxStationaryFree, N <= maxMovingFree) chunk, the K loop is one
// PSUM accumulation group of trn.matmul over K chunks of <= numPartitions
// (accumulate unset on the first), with the stationary/moving chunks staged
// HBM -> SBUF by DMA. A PSUM accumulator placed by trn-place-memory is left
// for the fused consumers; otherwise ScalarE evicts PSUM into an SBUF tile
// of C's dtype (bf16 results round there) that is DMAed to C. The matmul's
// initial value: a preceding zero fill is absorbed, a constant fill becomes
// the eviction bias, an HBM C without fill is loaded and added. An on-chip
// (PSUM) accumulator without fill that an earlier matmul of the same tile
// already wrote continues that accumulation group (accumulate set from the
// first K chunk): the taps of a convolution fused by trn-tile accumulate
// into one PSUM tile and are evicted once.
// OCP MX scaled contractions (trn3) run `mode mx` per 512-deep K chunk with
// E8M0 scale tiles (LowerMatmulQuant.cpp).
// Convolution windows (WindowForwarding): a moving operand that is a
// whole-row tile of collapse_shape(S), where S is an HBM scratch the
// function assembled by copying strided input windows, is loaded straight
// from those windows with one strided DMA per run of regularly spaced windows
// (taps stacked on partitions: one [taps, C, rows, OW] walk) and the copies
// into S are dropped.
//
//===----------------------------------------------------------------------===//

#include "LowerMatmulQuant.h"
#include "LowerUtils.h"
#include "MatmulBlocking.h"
#include "TileUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::trn;
using namespace mlir::trn::lower;

/// The buffer under a chain of view ops.
static Value viewBase(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<memref::SubViewOp, memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp,
             memref::ReinterpretCastOp, memref::TransposeOp>(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

/// Whether `v` views its buffer through a reshape (a DMA side must be a
/// subview chain of the buffer or a reinterpret_cast of it).
static bool viewsThroughReshape(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (isa<memref::CollapseShapeOp, memref::ExpandShapeOp>(def))
      return true;
    if (!isa<memref::SubViewOp, memref::CastOp>(def))
      return false;
    v = def->getOperand(0);
  }
  return false;
}

/// Whether the column offset `ofr` of a moving tile is a multiple of `row`:
/// a constant, or the induction variable of a loop whose bounds and step are.
static bool wholeRows(OpFoldResult ofr, int64_t row) {
  if (std::optional<int64_t> c = getConstantIntValue(ofr))
    return *c % row == 0;
  auto arg = dyn_cast<BlockArgument>(cast<Value>(ofr));
  auto loop = arg ? dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp()) : scf::ForOp();
  if (!loop || loop.getInductionVar() != arg)
    return false;
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  return lb && step && *lb % row == 0 && *step % row == 0;
}

/// `use` is the moving operand of a (per-tile) device-form matmul that reads
/// whole rows of length `row` in one N chunk and stages it with plain loads.
static bool isWindowReader(OpOperand &use, int64_t row, const trnrt::Target &target) {
  auto l = dyn_cast<linalg::LinalgOp>(use.getOwner());
  if (!l || !tileutils::isDeviceContraction(l) || tileutils::isMxContraction(l) ||
      blocking::hasPlan(l) || l.getNumLoops() != 3 || l.getNumDpsInputs() != 2 ||
      &use != l.getDpsInputOperand(1) || l.getDpsInputOperand(0)->get() == use.get())
    return false;
  auto lt = cast<MemRefType>(l.getDpsInputOperand(0)->get().getType());
  auto rt = cast<MemRefType>(use.get().getType());
  if (useFp8DoubleRow(target, lt.getElementType(), rt.getElementType()))
    return false;
  int64_t n = rt.getDimSize(1);
  return n % row == 0 && n <= tileutils::matmulMaxN(target);
}

/// Whether `op` (or an op nested in it) may write a buffer in `bases`.
static bool mayWrite(Operation *op, const llvm::SmallPtrSetImpl<Value> &bases) {
  WalkResult r = op->walk([&](Operation *o) {
    if (o->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return WalkResult::advance();
    auto mem = dyn_cast<MemoryEffectOpInterface>(o);
    if (!mem)
      return WalkResult::interrupt(); // unknown effects
    SmallVector<MemoryEffects::EffectInstance> effects;
    mem.getEffects(effects);
    for (MemoryEffects::EffectInstance &e : effects)
      if (isa<MemoryEffects::Write>(e.getEffect()) &&
          (!e.getValue() || bases.contains(viewBase(e.getValue()))))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return r.wasInterrupted();
}

namespace {
/// One DMA of a window tile: `count` consecutive parts of equal size (or a
/// channel range of one part) whose sources are the views
/// first + (t / inner) * outerStride + (t % inner) * innerStride.
struct WindowDma {
  size_t part = 0;
  int64_t c0 = 0, cc = 0; // channel range inside a single part
  int64_t count = 1, inner = 1, innerStride = 0, outerStride = 0;
  int64_t pStart = 0, pCount = 0; // partitions of the moving tile
};
} // namespace

/// Static element offset and strides of a window source.
static bool windowLayout(Value src, int64_t &offset, SmallVectorImpl<int64_t> &strides) {
  auto t = cast<MemRefType>(src.getType());
  return succeeded(t.getStridesAndOffset(strides, offset)) && !ShapedType::isDynamic(offset) &&
         llvm::none_of(strides, ShapedType::isDynamic);
}

/// The DMAs loading moving-tile rows [k0, k0 + kc) of a scratch made of
/// `parts` (sorted, contiguous): maximal runs of whole, equally sized parts
/// with regularly spaced sources become one DMA each.
static SmallVector<WindowDma> planWindowDmas(ArrayRef<WindowPart> parts, int64_t k0, int64_t kc) {
  SmallVector<WindowDma> dmas;
  size_t i = 0;
  while (i < parts.size() && parts[i].k0 + parts[i].kc <= k0)
    ++i;
  for (; i < parts.size() && parts[i].k0 < k0 + kc;) {
    const WindowPart &p = parts[i];
    int64_t lo = std::max(k0, p.k0), hi = std::min(k0 + kc, p.k0 + p.kc);
    WindowDma d;
    d.part = i;
    d.c0 = lo - p.k0;
    d.cc = hi - lo;
    d.pStart = lo - k0;
    d.pCount = hi - lo;
    int64_t off0;
    SmallVector<int64_t> st0;
    bool whole = d.cc == p.kc && windowLayout(p.src, off0, st0);
    size_t j = i + 1;
    // Extend with whole parts: t = j - i, offset off0 + (t / inner) * outer + (t % inner) * s.
    for (; whole && j < parts.size() && parts[j].k0 + parts[j].kc <= k0 + kc; ++j) {
      const WindowPart &q = parts[j];
      int64_t off;
      SmallVector<int64_t> st;
      if (q.kc != p.kc || viewBase(q.src) != viewBase(p.src) || !windowLayout(q.src, off, st) ||
          st != st0)
        break;
      int64_t t = static_cast<int64_t>(j - i), delta = off - off0;
      if (t == 1) {
        if (delta == 0)
          break;
        d.innerStride = delta;
        d.inner = 2;
        continue;
      }
      if (d.outerStride == 0 && t == d.inner) {
        if (delta == t * d.innerStride) { // the first run continues
          ++d.inner;
          continue;
        }
        d.outerStride = delta; // a second run starts
        continue;
      }
      if (delta != (t / d.inner) * d.outerStride + (t % d.inner) * d.innerStride)
        break;
    }
    int64_t n = static_cast<int64_t>(j - i);
    if (d.outerStride != 0)
      n -= n % d.inner; // whole runs only
    d.count = n;
    if (n > 1)
      d.pCount = n * p.kc;
    else
      d.inner = 1;
    dmas.push_back(d);
    i += n;
  }
  return dmas;
}

WindowForwarding mlir::trn::lower::analyzeWindowOperands(Operation *funcOp,
                                                         const trnrt::Target &target) {
  WindowForwarding fw;
  auto func = dyn_cast<func::FuncOp>(funcOp);
  if (!func || func.isExternal())
    return fw;
  Block &body = func.getBody().front();
  auto topLevel = [&](Operation *op) { return body.findAncestorOpInBlock(*op); };
  for (memref::AllocOp alloc : body.getOps<memref::AllocOp>()) {
    MemRefType st = alloc.getType();
    if (st.getRank() != 3 || !st.hasStaticShape() || !st.getLayout().isIdentity())
      continue;
    const int64_t K = st.getDimSize(0), OH = st.getDimSize(1), OW = st.getDimSize(2);
    SmallVector<std::pair<WindowPart, Operation *>> parts;
    SmallVector<Operation *> readers;
    bool ok = true;
    auto addReader = [&](OpOperand &use) {
      ok &= isWindowReader(use, OW, target);
      readers.push_back(use.getOwner());
    };
    for (OpOperand &use : alloc->getUses()) {
      Operation *user = use.getOwner();
      if (auto copy = dyn_cast<memref::CopyOp>(user); copy && copy.getTarget() == use.get()) {
        parts.push_back({{copy.getSource(), 0, K}, copy});
        continue;
      }
      if (auto sv = dyn_cast<memref::SubViewOp>(user)) {
        ArrayRef<int64_t> off = sv.getStaticOffsets(), sz = sv.getStaticSizes();
        auto copy = sv->hasOneUse() ? dyn_cast<memref::CopyOp>(*sv->user_begin()) : nullptr;
        if (!copy || copy.getTarget() != sv.getResult() || sv.getType().getRank() != 3 ||
            !sv.hasUnitStride() || ShapedType::isDynamic(off[0]) || off[1] != 0 || off[2] != 0 ||
            ShapedType::isDynamic(sz[0]) || sz[1] != OH || sz[2] != OW) {
          ok = false;
          break;
        }
        parts.push_back({{copy.getSource(), off[0], sz[0]}, copy});
        continue;
      }
      auto c = dyn_cast<memref::CollapseShapeOp>(user);
      if (!c || c.getReassociationIndices() !=
                    SmallVector<ReassociationIndices>{ReassociationIndices{0},
                                                      ReassociationIndices{1, 2}}) {
        ok = false;
        break;
      }
      for (OpOperand &cu : c->getUses()) {
        auto sv = dyn_cast<memref::SubViewOp>(cu.getOwner());
        if (!sv) {
          addReader(cu);
          continue;
        }
        SmallVector<OpFoldResult> offs = sv.getMixedOffsets();
        if (sv.getType().getRank() != 2 || !sv.hasUnitStride() || !isConstantIntValue(offs[0], 0) ||
            sv.getStaticSizes()[0] != K || ShapedType::isDynamic(sv.getStaticSizes()[1]) ||
            !wholeRows(offs[1], OW)) {
          ok = false;
          break;
        }
        for (OpOperand &su : sv->getUses())
          addReader(su);
      }
    }
    if (!ok || parts.empty() || readers.empty())
      continue;
    llvm::sort(parts, [](auto &a, auto &b) { return a.first.k0 < b.first.k0; });
    int64_t next = 0;
    Operation *first = nullptr, *lastCopy = nullptr, *last = nullptr;
    llvm::SmallPtrSet<Value, 4> bases;
    for (auto &[part, copy] : parts) {
      ok &= part.k0 == next && copy->getBlock() == &body;
      next = part.k0 + part.kc;
      if (!ok)
        break;
      if (!first || copy->isBeforeInBlock(first))
        first = copy;
      if (!lastCopy || lastCopy->isBeforeInBlock(copy))
        lastCopy = copy;
      bases.insert(viewBase(part.src));
    }
    ok &= next == K;
    for (Operation *r : readers) {
      Operation *top = topLevel(r);
      ok &= top && lastCopy && lastCopy->isBeforeInBlock(top);
      if (ok && (!last || last->isBeforeInBlock(top)))
        last = top;
    }
    if (!ok)
      continue;
    // The windows' sources must hold the same data when the readers run.
    for (Operation *op = first->getNextNode(); ok && op && op != last->getNextNode();
         op = op->getNextNode())
      ok &= !mayWrite(op, bases) || llvm::any_of(parts, [&](auto &p) { return p.second == op; });
    // Every DMA must write a legal partition range (and the strided-load
    // rewrite may read it with an engine).
    SmallVector<WindowPart> sorted;
    for (auto &p : parts)
      sorted.push_back(p.first);
    for (int64_t k0 = 0; ok && k0 < K; k0 += target.numPartitions)
      for (const WindowDma &d :
           planWindowDmas(sorted, k0, std::min<int64_t>(target.numPartitions, K - k0)))
        ok &= target.isLegalPartitionRange(static_cast<uint32_t>(d.pStart),
                                           static_cast<uint32_t>(d.pCount));
    if (!ok)
      continue;
    fw.scratches[alloc.getResult()] = std::move(sorted);
    for (auto &p : parts)
      fw.copies.insert(p.second);
  }
  return fw;
}

/// Whether loading a [p, rows, ow] window stack with column stride `sw` is
/// cheaper as the dense span of each row plus one engine compaction than as
/// element-sized DMA runs (the cost model of TileEmitter::loadWidened).
static bool widenWindow(TileEmitter &e, int64_t p, int64_t rows, int64_t ow, int64_t sw,
                        Type elem) {
  const int64_t span = (ow - 1) * sw + 1, bytes = (elem.getIntOrFloatBitWidth() + 7) / 8;
  if (sw > 4 || rows * span > 2 * e.freeBudget(elem))
    return false;
  auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  double narrow = e.target.dmaDurationNs(u(p * rows * ow * bytes), u(bytes), true);
  double widened = e.target.dmaDurationNs(u(p * rows * span * bytes), u(span * bytes), true) +
                   static_cast<double>(rows * ow) / e.target.dve.clockGHz;
  return widened < narrow;
}

/// Loads the moving tile rows [k0, k0 + kc) x all N columns of the windowed
/// operand `R` (subview of collapse_shape(S)) straight from S's windows.
static Value stageWindowTile(TileEmitter &e, Value R, ArrayRef<WindowPart> parts, int64_t k0,
                             int64_t kc, Type elem) {
  auto rt = cast<MemRefType>(R.getType());
  const int64_t N = rt.getDimSize(1);
  OpFoldResult col0 = e.b.getIndexAttr(0);
  Value collapsed = R;
  if (auto sv = R.getDefiningOp<memref::SubViewOp>()) {
    col0 = sv.getMixedOffsets()[1];
    collapsed = sv.getSource();
  }
  auto scratch = cast<MemRefType>(collapsed.getDefiningOp<memref::CollapseShapeOp>().getSrcType());
  const int64_t OW = scratch.getDimSize(2), rows = N / OW;
  OpFoldResult r0;
  if (std::optional<int64_t> c = getConstantIntValue(col0)) {
    r0 = e.b.getIndexAttr(*c / OW);
  } else {
    Value ow = arith::ConstantIndexOp::create(e.b, e.loc, OW);
    r0 = arith::DivUIOp::create(e.b, e.loc, cast<Value>(col0), ow).getResult();
  }
  Value tile = e.alloc({kc, N}, elem);
  for (const WindowDma &d : planWindowDmas(parts, k0, kc)) {
    const WindowPart &p = parts[d.part];
    SmallVector<OpFoldResult> offs{e.b.getIndexAttr(d.c0), r0, e.b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{e.b.getIndexAttr(d.cc), e.b.getIndexAttr(rows),
                                    e.b.getIndexAttr(OW)};
    SmallVector<OpFoldResult> ones(3, e.b.getIndexAttr(1));
    Value src = memref::SubViewOp::create(e.b, e.loc, p.src, offs, sizes, ones).getResult();
    if (d.count > 1) {
      // Taps stacked on partitions: [outer, inner, C, rows, OW], unit dims dropped.
      int64_t off;
      SmallVector<int64_t> st;
      windowLayout(p.src, off, st);
      SmallVector<int64_t> vs, vt;
      auto push = [&](int64_t size, int64_t stride) {
        if (size > 1) {
          vs.push_back(size);
          vt.push_back(stride);
        }
      };
      push(d.count / d.inner, d.outerStride);
      push(d.inner, d.innerStride);
      push(d.cc, st[0]);
      push(rows, st[1]);
      const int64_t sw = st[2], span = (OW - 1) * sw + 1;
      if (OW > 1 && sw > 1 && widenWindow(e, d.pCount, rows, OW, sw, elem)) {
        // Strided columns: load each row's dense span and compact on chip
        // (like TileEmitter::loadWidened, which needs one partition dim).
        vs.push_back(span);
        vt.push_back(1);
        Value scratch = e.alloc({d.pCount, rows * span}, elem);
        DmaCopyOp::create(e.b, e.loc, e.hbmView(src, 0, vs, vt), scratch, {}, {}, {});
        e.tensorCopy(
            e.reinterpretTile(scratch, 0, {d.pCount, rows, OW}, {rows * span, span, sw}),
            e.reinterpretTile(tile, d.pStart * N, {d.pCount, rows, OW}, {N, OW, 1}));
        continue;
      }
      push(OW, sw);
      src = e.hbmView(src, 0, vs, vt);
    } else if (viewsThroughReshape(src)) {
      // A window of a reshaped buffer (a flattened image op's [C, H*W]
      // result read as NCHW): the same walk on the base buffer.
      int64_t off;
      SmallVector<int64_t> st;
      windowLayout(src, off, st);
      src = e.hbmView(src, 0, {d.cc, rows, OW}, st);
    }
    e.dma(src, e.sliceTile(tile, d.pStart, d.pCount, 0, N));
  }
  return tile;
}

/// Whether an op before `op` in its block already wrote the on-chip buffer
/// `root` as a matmul accumulator (a trn.matmul lowered from an earlier tap
/// of the same PSUM accumulation group, or a not yet lowered contraction).
static bool continuesAccumulation(Operation *op, Value root) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto mm = dyn_cast<MatmulOp>(prev))
      if (TileEmitter::onChipRoot(mm.getDst()) == root)
        return true;
    if (auto l = dyn_cast<linalg::LinalgOp>(prev))
      if (tileutils::isDeviceContraction(l) && l.getNumDpsInits() == 1 &&
          TileEmitter::onChipRoot(l.getDpsInitOperand(0)->get()) == root)
        return true;
  }
  return false;
}

LogicalResult mlir::trn::lower::lowerMatmul(RewriterBase &rewriter, linalg::LinalgOp op,
                                            linalg::FillOp initFill,
                                            const WindowForwarding *windows) {
  const bool mx = tileutils::isMxContraction(op);
  if (blocking::hasPlan(op) && !mx)
    return lowerMatmulBlocked(rewriter, op, initFill);
  TileEmitter e(rewriter, op);
  if (mx && !e.target.supportsMatmulMode(trnrt::MatmulMode::Mx))
    return op->emitOpError("MX scaled contraction needs the MX matmul, which ")
           << e.target.name << " does not have";
  Value L = op.getDpsInputOperand(0)->get(), R = op.getDpsInputOperand(1)->get();
  Value C = op.getDpsInitOperand(0)->get();
  auto lt = cast<MemRefType>(L.getType()), rt = cast<MemRefType>(R.getType());
  auto ct = cast<MemRefType>(C.getType());
  if (TileEmitter::isOnChip(L) || TileEmitter::isOnChip(R))
    return op->emitOpError("matmul operands computed on chip are not supported; the stationary "
                           "and moving operands must be HBM tensors");
  int64_t nb = lt.getRank() - 2;
  ArrayRef<int64_t> batchShape = lt.getShape().take_front(nb);
  const int64_t K = lt.getDimSize(nb), M = lt.getDimSize(nb + 1), N = rt.getDimSize(nb + 1);
  const int64_t mStep = std::min<int64_t>(e.target.maxStationaryFree, e.target.numPartitions);
  const int64_t nStep = tileutils::matmulMaxN(e.target);
  const int64_t kStep = e.target.numPartitions;

  enum class Init { Zero, Constant, Tensor } init = Init::Zero;
  float initValue = 0.0f;
  Value cPhys = TileEmitter::onChipRoot(C);
  if (initFill) {
    std::optional<double> v = fillValue(initFill);
    if (!v)
      return initFill->emitOpError("matmul accumulator fill must be a constant");
    initValue = static_cast<float>(*v);
    init = initValue == 0.0f ? Init::Zero : Init::Constant;
  } else if (!cPhys) {
    init = Init::Tensor;
  }
  // A fill-less PSUM accumulator that earlier taps wrote: keep accumulating.
  const bool continues = cPhys && !initFill && continuesAccumulation(op, cPhys);
  if (cPhys) {
    int64_t batchElems = 1;
    for (int64_t s : batchShape)
      batchElems *= s;
    if (batchElems != 1 || M > mStep || N > nStep)
      return op->emitOpError("on-chip matmul accumulator of shape ")
             << ct.getShape() << " exceeds one PSUM tile (" << mStep << "x" << nStep << ")";
  }

  // A moving operand read from convolution windows (analyzeWindowOperands).
  const SmallVector<WindowPart> *window = nullptr;
  if (windows) {
    Value base = R;
    if (auto sv = base.getDefiningOp<memref::SubViewOp>())
      base = sv.getSource();
    if (auto c = base.getDefiningOp<memref::CollapseShapeOp>()) {
      auto it = windows->scratches.find(c.getSrc());
      if (it != windows->scratches.end())
        window = &it->second;
    }
  }

  Type lElem = lt.getElementType(), rElem = rt.getElementType();
  Type common = lElem == rElem ? lElem : e.f32();
  const bool doubleRow = useFp8DoubleRow(e.target, lElem, rElem);
  Type f32 = e.f32();
  LogicalResult status = success();
  forEachIndex(batchShape, [&](ArrayRef<int64_t> bIdx) {
    if (failed(status))
      return;
    for (int64_t m0 = 0; m0 < M; m0 += mStep) {
      int64_t mc = std::min(mStep, M - m0);
      for (int64_t n0 = 0; n0 < N; n0 += nStep) {
        int64_t nc = std::min(nStep, N - n0);
        Value psum = cPhys ? cPhys : e.alloc({mc, nc}, f32, MemSpace::PSUM);
        for (int64_t k0 = 0, kc = 0; k0 < K; k0 += kc) {
          kc = std::min(kStep, K - k0);
          if (mx) { // OCP MX: K = 4 * partitions per matmul, tail zero-padded
            const int64_t rows = trnrt::Target::matmulRowsPerPartition(trnrt::MatmulMode::Mx);
            kc = std::min(rows * kStep, K - k0);
            // Fewest partitions (a multiple of the 32-row scale block) covering kc.
            int64_t parts = std::min<int64_t>(
                kStep, llvm::alignTo(llvm::divideCeil(kc, rows), tileutils::kMxBlock));
            SmallVector<AccessDim> bd;
            for (int64_t i = 0; i < nb; ++i)
              bd.push_back({i, bIdx[i], 1});
            Value Ls = op.getDpsInputOperand(2)->get(), Rs = op.getDpsInputOperand(3)->get();
            FailureOr<MxTiles> st = stageMx(e, L, Ls, bd, nb, K, k0, parts, m0, mc);
            FailureOr<MxTiles> mv =
                failed(st) ? FailureOr<MxTiles>(failure())
                           : stageMx(e, R, Rs, bd, nb, K, k0, parts, n0, nc);
            if (failed(st) || failed(mv)) {
              status = failure();
              return;
            }
            matmulMx(e, *st, *mv, psum, continues || k0 > 0);
            continue;
          }
          if (doubleRow && K - k0 >= 2 * kStep) { // FP8: K = 2 * partitions per matmul
            kc = 2 * kStep;
            SmallVector<AccessDim> bd;
            for (int64_t i = 0; i < nb; ++i)
              bd.push_back({i, bIdx[i], 1});
            FailureOr<Value> st = stageRows(e, L, bd, nb, k0, kStep, 2, m0, mc, lElem);
            FailureOr<Value> mv = stageRows(e, R, bd, nb, k0, kStep, 2, n0, nc, rElem);
            if (failed(st) || failed(mv)) {
              status = failure();
              return;
            }
            matmulInMode(e, *st, *mv, psum, continues || k0 > 0, MatmulMode::Fp8DoubleRow);
            continue;
          }
          auto stage = [&](Value src, int64_t f0, int64_t fc, Type elem) -> Value {
            if (src == R && window) {
              Value t = stageWindowTile(e, R, *window, k0, kc, elem);
              if (elem == common)
                return t;
              Value c = e.alloc({kc, fc}, common);
              e.tensorCopy(t, c);
              return c;
            }
            SmallVector<AccessDim> dims;
            for (int64_t i = 0; i < nb; ++i)
              dims.push_back({i, bIdx[i], 1});
            dims.push_back({nb, k0, kc});
            dims.push_back({nb + 1, f0, fc});
            FailureOr<Value> view = e.hbmAccess(src, dims);
            if (failed(view)) {
              status = failure();
              return Value();
            }
            Value t = e.load(*view, {kc, fc}, elem);
            if (elem == common)
              return t;
            Value c = e.alloc({kc, fc}, common);
            e.tensorCopy(t, c);
            return c;
          };
          Value st = stage(L, m0, mc, lElem);
          Value mv = stage(R, n0, nc, rElem);
          if (failed(status))
            return;
          e.matmul(st, mv, psum, continues || k0 > 0);
        }
        if (cPhys) {
          if (init == Init::Constant)
            e.tensorScalar(psum, psum, AluOp::Add, Scalar::ofImm(initValue));
          continue;
        }
        SmallVector<AccessDim> cdims;
        for (int64_t i = 0; i < nb; ++i)
          cdims.push_back({i, bIdx[i], 1});
        cdims.push_back({nb, m0, mc});
        cdims.push_back({nb + 1, n0, nc});
        FailureOr<Value> cView = e.hbmAccess(C, cdims);
        if (failed(cView)) {
          status = failure();
          return;
        }
        Value out = e.alloc({mc, nc}, ct.getElementType());
        if (init == Init::Tensor) {
          Value cin = e.load(*cView, {mc, nc}, ct.getElementType());
          e.tensorTensor(AluOp::Add, psum, cin, out);
        } else {
          e.activation(ActFunc::Identity, psum, out, Scalar::ofImm(1.0f),
                       Scalar::ofImm(initValue));
        }
        e.dma(out, *cView);
      }
    }
  });
  return status;
}
