//===- LowerUtils.cpp - shared machinery of trn-lower-to-trn --------------===//

#include "LowerUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::trn;
using namespace mlir::trn::lower;

TileEmitter::TileEmitter(RewriterBase &rewriter, Operation *op)
    : b(rewriter), loc(op->getLoc()), op(op), target(getTarget(op)) {
  b.setInsertionPoint(op);
}

Type TileEmitter::f32() const { return b.getF32Type(); }

int64_t TileEmitter::freeBudget(Type elementType) const {
  int64_t bytes = std::max<int64_t>(1, (elementType.getIntOrFloatBitWidth() + 7) / 8);
  int64_t budget = static_cast<int64_t>(target.sbufBytesPerPartition / 16) / bytes;
  int64_t p = 1;
  while (p * 2 <= budget)
    p *= 2;
  return std::min<int64_t>(p, target.maxApSize);
}

Value TileEmitter::alloc(ArrayRef<int64_t> shape, Type elementType, MemSpace space) {
  return AllocOp::create(b, loc, getTileType(shape, elementType, space), IntegerAttr());
}

void TileEmitter::dma(Value src, Value dst) {
  if (!loadTransposed(src, dst) && !loadBroadcast(src, dst) && !loadWidened(src, dst))
    DmaCopyOp::create(b, loc, src, dst, {}, {}, {});
}

/// The walk of an HBM -> SBUF load into a [P, F] tile as (sizes, strides)
/// with unit dims dropped: dim 0 the P partitions, then the free dims whose
/// sizes multiply to F. Fails for other transfers and dynamic layouts.
static bool loadWalkOf(Value src, Value dst, SmallVectorImpl<int64_t> &S,
                       SmallVectorImpl<int64_t> &ss) {
  auto st = cast<MemRefType>(src.getType()), dt = cast<MemRefType>(dst.getType());
  SmallVector<int64_t> strides;
  int64_t off;
  if (getMemSpace(st) != MemSpace::HBM || getMemSpace(dt) != MemSpace::SBUF ||
      !st.hasStaticShape() || !dt.hasStaticShape() || dt.getRank() != 2 ||
      failed(st.getStridesAndOffset(strides, off)) || llvm::any_of(strides, ShapedType::isDynamic))
    return false;
  for (int64_t i = 0; i < st.getRank(); ++i)
    if (st.getDimSize(i) != 1) {
      S.push_back(st.getDimSize(i));
      ss.push_back(strides[i]);
    }
  if (dt.getDimSize(0) == 1 || S.empty() || S[0] != dt.getDimSize(0)) {
    if (dt.getDimSize(0) != 1)
      return false;
    S.insert(S.begin(), 1);
    ss.insert(ss.begin(), 0);
  }
  if (S.size() < 2)
    return false;
  int64_t F = 1;
  for (size_t i = 1; i < S.size(); ++i)
    F *= S[i];
  return F == dt.getDimSize(1);
}

/// The destination tile `dst` ([P, F], unit innermost stride) as a view of
/// its buffer's rows with `shape` (dim 0 = partitions, row-major free dims).
static Value rowView(TileEmitter &e, OpBuilder &b, Location loc, Value dst,
                     ArrayRef<int64_t> shape) {
  auto dt = cast<MemRefType>(dst.getType());
  SmallVector<int64_t> ds;
  int64_t doff;
  Value root = TileEmitter::onChipRoot(dst);
  if (!root || dt.getRank() != 2 || failed(dt.getStridesAndOffset(ds, doff)) ||
      ShapedType::isDynamic(doff) || ds[1] != 1)
    return Value();
  int64_t rowElems = 1;
  for (int64_t d : cast<MemRefType>(root.getType()).getShape().drop_front())
    rowElems *= d;
  if (ds[0] != rowElems && shape[0] != 1)
    return Value();
  SmallVector<int64_t> strides(shape.size());
  int64_t row = 1;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 1; --i) {
    strides[i] = row;
    row *= shape[i];
  }
  strides[0] = rowElems;
  return e.reinterpretTile(root, doff, shape, strides);
}

/// `memref.reinterpret_cast` of `base` to a static strided layout.
static Value reinterpretAs(OpBuilder &b, Location loc, Value base, OpFoldResult offset,
                           ArrayRef<int64_t> shape, ArrayRef<int64_t> strides) {
  auto bt = cast<MemRefType>(base.getType());
  std::optional<int64_t> off = getConstantIntValue(offset);
  auto type = MemRefType::get(
      shape, bt.getElementType(),
      StridedLayoutAttr::get(b.getContext(), off ? *off : ShapedType::kDynamic, strides),
      bt.getMemorySpace());
  SmallVector<OpFoldResult> sizes, steps;
  for (int64_t x : shape)
    sizes.push_back(b.getIndexAttr(x));
  for (int64_t x : strides)
    steps.push_back(b.getIndexAttr(x));
  return memref::ReinterpretCastOp::create(b, loc, type, base, offset, sizes, steps);
}

Value TileEmitter::reinterpretTile(Value base, int64_t offset, ArrayRef<int64_t> shape,
                                   ArrayRef<int64_t> strides) {
  return reinterpretAs(b, loc, base, b.getIndexAttr(offset), shape, strides);
}

bool TileEmitter::loadBroadcast(Value src, Value dst) {
  SmallVector<int64_t> S, ss;
  if (!loadWalkOf(src, dst, S, ss))
    return false;
  auto st = cast<MemRefType>(src.getType());
  const int64_t r = S.size(), P = S[0];
  // Free dims the DMA would re-read (stride 0) are expanded on chip instead.
  SmallVector<int64_t> cSizes{P}, cStrides{ss[0]};
  int64_t F = 1, Fc = 1;
  bool broadcast = false;
  for (int64_t i = 1; i < r; ++i) {
    F *= S[i];
    if (ss[i] == 0 && S[i] > 1) {
      broadcast = true;
      continue;
    }
    cSizes.push_back(S[i]);
    cStrides.push_back(ss[i]);
    Fc *= S[i];
  }
  if (!broadcast)
    return false;
  Type elem = st.getElementType();
  const int64_t e = (elem.getIntOrFloatBitWidth() + 7) / 8;
  auto runOf = [&](ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides) {
    return strides.size() > 1 && strides.back() == 1 ? sizes.back() * e : e;
  };
  auto bytes = [](int64_t v) { return static_cast<uint64_t>(v); };
  double direct = target.dmaDurationNs(bytes(P * F * e), bytes(runOf(S, ss)), true);
  double compact = target.dmaDurationNs(bytes(P * Fc * e), bytes(runOf(cSizes, cStrides)), true) +
                   static_cast<double>(F) / target.dve.clockGHz;
  if (compact >= direct)
    return false;
  Value dstView = rowView(*this, b, loc, dst, S);
  if (!dstView)
    return false;
  Value compactView = hbmView(src, 0, cSizes, cStrides);
  if (!compactView)
    return false;
  Value scratch = alloc({P, Fc}, elem);
  DmaCopyOp::create(b, loc, compactView, scratch, {}, {}, {});
  // Scratch read back with stride 0 on the broadcast dims.
  SmallVector<int64_t> rd(r);
  int64_t row = 1;
  for (int64_t i = r - 1; i >= 1; --i) {
    if (ss[i] == 0 && S[i] > 1) {
      rd[i] = 0;
      continue;
    }
    rd[i] = row;
    row *= S[i];
  }
  rd[0] = Fc;
  tensorCopy(reinterpretTile(scratch, 0, S, rd), dstView);
  return true;
}

/// Largest innermost HBM stride loadWidened over-fetches across.
static constexpr int64_t kMaxWidenStride = 4;

bool TileEmitter::loadWidened(Value src, Value dst) {
  SmallVector<int64_t> S, ss;
  if (!loadWalkOf(src, dst, S, ss))
    return false;
  auto st = cast<MemRefType>(src.getType()), dt = cast<MemRefType>(dst.getType());
  SmallVector<int64_t> ds;
  int64_t doff;
  if (failed(dt.getStridesAndOffset(ds, doff)) || ShapedType::isDynamic(doff) || ds[1] != 1)
    return false;
  const int64_t r = S.size(), P = S[0], n = S[r - 1], s = ss[r - 1];
  if (n < 2 || s < 2 || s > kMaxWidenStride)
    return false;
  int64_t F = 1;
  for (int64_t i = 1; i < r; ++i)
    F *= S[i];
  const int64_t outer = F / n, wide = (n - 1) * s + 1;
  Type elem = st.getElementType();
  const int64_t e = (elem.getIntOrFloatBitWidth() + 7) / 8;
  if (outer * wide > 2 * freeBudget(elem)) // stride 2 at the usual tile budget
    return false;
  // Element-granular runs vs dense runs of the span plus one engine pass.
  auto bytes = [](int64_t v) { return static_cast<uint64_t>(v); };
  double narrow = target.dmaDurationNs(bytes(P * F * e), bytes(e), true);
  double widened = target.dmaDurationNs(bytes(P * outer * wide * e), bytes(wide * e), true) +
                   static_cast<double>(F) / target.dve.clockGHz;
  if (widened >= narrow)
    return false;
  // The destination as rows of its buffer (dim 0 steps by partitions).
  Value dstRoot = onChipRoot(dst);
  if (!dstRoot)
    return false;
  int64_t dstRowElems = 1;
  for (int64_t d : cast<MemRefType>(dstRoot.getType()).getShape().drop_front())
    dstRowElems *= d;
  if (ds[0] != dstRowElems && P != 1)
    return false;

  // HBM: the same walk with a dense innermost span.
  SmallVector<int64_t> wSizes(S), wStrides(ss);
  wSizes.back() = wide;
  wStrides.back() = 1;
  Value wideView = hbmView(src, 0, wSizes, wStrides);
  if (!wideView)
    return false;
  Value scratch = alloc({P, outer * wide}, elem);
  DmaCopyOp::create(b, loc, wideView, scratch, {}, {}, {});

  // On chip: read every s-th element of the span into the destination.
  SmallVector<int64_t> shape(S), srcStrides(r), dstStrides(r);
  srcStrides[r - 1] = s;
  dstStrides[r - 1] = 1;
  int64_t srcRow = wide, dstRow = n;
  for (int64_t i = r - 2; i >= 1; --i) {
    srcStrides[i] = srcRow;
    dstStrides[i] = dstRow;
    srcRow *= shape[i];
    dstRow *= shape[i];
  }
  srcStrides[0] = outer * wide;
  dstStrides[0] = dstRowElems;
  tensorCopy(reinterpretTile(scratch, 0, shape, srcStrides),
             reinterpretTile(dstRoot, doff, shape, dstStrides));
  return true;
}

Value TileEmitter::onChipRoot(Value v) {
  while (v) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return Value();
    if (isa<AllocOp>(def))
      return v;
    if (auto rc = dyn_cast<memref::ReinterpretCastOp>(def))
      v = rc.getSource();
    else if (auto sv = dyn_cast<memref::SubViewOp>(def))
      v = sv.getSource();
    else if (auto c = dyn_cast<memref::CastOp>(def))
      v = c.getSource();
    else
      return Value();
  }
  return Value();
}

Value TileEmitter::indexValue(OpFoldResult ofr) {
  if (auto v = dyn_cast<Value>(ofr))
    return v;
  return arith::ConstantIndexOp::create(b, loc, *getConstantIntValue(ofr));
}

static OpFoldResult addOfr(TileEmitter &e, OpFoldResult a, OpFoldResult b,
                           llvm::function_ref<Value(OpFoldResult)> idx) {
  std::optional<int64_t> ca = getConstantIntValue(a), cb = getConstantIntValue(b);
  if (ca && cb)
    return e.b.getIndexAttr(*ca + *cb);
  if (cb && *cb == 0)
    return a;
  if (ca && *ca == 0)
    return b;
  return arith::AddIOp::create(e.b, e.loc, idx(a), idx(b)).getResult();
}

static OpFoldResult mulOfr(TileEmitter &e, OpFoldResult a, int64_t c,
                           llvm::function_ref<Value(OpFoldResult)> idx) {
  if (std::optional<int64_t> ca = getConstantIntValue(a))
    return e.b.getIndexAttr(*ca * c);
  if (c == 1)
    return a;
  Value cv = arith::ConstantIndexOp::create(e.b, e.loc, c);
  return arith::MulIOp::create(e.b, e.loc, idx(a), cv).getResult();
}

FailureOr<std::pair<Value, OpFoldResult>> TileEmitter::resolveBase(Value v) {
  auto idx = [&](OpFoldResult o) { return indexValue(o); };
  Operation *def = v.getDefiningOp();
  if (auto sv = dyn_cast_or_null<memref::SubViewOp>(def)) {
    FailureOr<std::pair<Value, OpFoldResult>> src = resolveBase(sv.getSource());
    if (failed(src))
      return failure();
    SmallVector<int64_t> strides;
    int64_t off;
    if (failed(sv.getSourceType().getStridesAndOffset(strides, off)))
      return failure();
    OpFoldResult total = src->second;
    for (auto [o, s] : llvm::zip(sv.getMixedOffsets(), strides)) {
      if (ShapedType::isDynamic(s))
        return failure();
      total = addOfr(*this, total, mulOfr(*this, o, s, idx), idx);
    }
    return std::make_pair(src->first, total);
  }
  if (auto rc = dyn_cast_or_null<memref::ReinterpretCastOp>(def)) {
    FailureOr<std::pair<Value, OpFoldResult>> src = resolveBase(rc.getSource());
    if (failed(src))
      return failure();
    return std::make_pair(src->first, addOfr(*this, src->second, rc.getMixedOffsets()[0], idx));
  }
  if (isa_and_nonnull<memref::CastOp, memref::ExpandShapeOp, memref::CollapseShapeOp,
                      memref::TransposeOp>(def)) {
    // Same first element as the source.
    return resolveBase(def->getOperand(0));
  }
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity())
    return failure();
  return std::make_pair(v, OpFoldResult(b.getIndexAttr(0)));
}

static bool isSubviewChain(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto sv = dyn_cast<memref::SubViewOp>(def)) {
      v = sv.getSource();
      continue;
    }
    return isa<memref::GetGlobalOp, memref::AllocOp>(def);
  }
  return true;
}

FailureOr<Value> TileEmitter::hbmAccess(Value v, ArrayRef<AccessDim> dims) {
  auto type = cast<MemRefType>(v.getType());
  int64_t rank = type.getRank();
  const int64_t maxRank = 1 + static_cast<int64_t>(target.maxFreeDims);
  SmallVector<int64_t> offsets(rank, 0), sizes(type.getShape());
  SmallVector<bool> listed(rank, false);
  bool plain = true;
  int64_t last = -1;
  for (const AccessDim &d : dims) {
    if (d.dim < 0) {
      if (d.size != 1)
        plain = false;
      continue;
    }
    listed[d.dim] = true;
    offsets[d.dim] = d.start;
    sizes[d.dim] = d.size;
    if (d.size > 1) {
      if (d.dim < last)
        plain = false;
      last = d.dim;
    }
  }
  for (int64_t i = 0; i < rank; ++i)
    if (!listed[i]) {
      if (type.getDimSize(i) != 1)
        return op->emitOpError("internal error: HBM access does not cover operand dim ") << i,
               failure();
      sizes[i] = 1;
    }

  if (plain && rank >= 1 && rank <= maxRank && isSubviewChain(v)) {
    if (llvm::all_of(offsets, [](int64_t o) { return o == 0; }) &&
        ArrayRef<int64_t>(sizes) == type.getShape())
      return v;
    SmallVector<int64_t> ones(rank, 1);
    return memref::SubViewOp::create(b, loc, v, offsets, sizes, ones).getResult();
  }

  // A full walk in natural order of a reshape of a contiguous buffer is the
  // buffer itself (a DMA only needs both sides to walk the same elements).
  if (plain && llvm::all_of(offsets, [](int64_t o) { return o == 0; }) &&
      ArrayRef<int64_t>(sizes) == type.getShape()) {
    Value root = v;
    while (Operation *def = root.getDefiningOp()) {
      if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(def))
        break;
      root = def->getOperand(0);
    }
    auto rootType = dyn_cast<MemRefType>(root.getType());
    if (root != v && rootType && rootType.getLayout().isIdentity() && rootType.getRank() >= 1 &&
        rootType.getRank() <= maxRank && isSubviewChain(root))
      return root;
  }

  // General walk: reinterpret the base buffer with explicit strides.
  FailureOr<std::pair<Value, OpFoldResult>> base = resolveBase(v);
  SmallVector<int64_t> strides;
  int64_t staticOff;
  if (failed(base) || failed(type.getStridesAndOffset(strides, staticOff)) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return op->emitOpError("operand ") << type
                                       << " is not a static strided view of an HBM buffer",
           failure();
  auto idx = [&](OpFoldResult o) { return indexValue(o); };
  OpFoldResult offset = base->second;
  for (int64_t i = 0; i < rank; ++i)
    if (offsets[i] != 0)
      offset = addOfr(*this, offset, b.getIndexAttr(offsets[i] * strides[i]), idx);
  SmallVector<std::pair<int64_t, int64_t>> walk; // (size, stride)
  for (const AccessDim &d : dims) {
    if (d.size == 1)
      continue;
    walk.push_back({d.size, d.dim < 0 ? 0 : strides[d.dim]});
  }
  SmallVector<std::pair<int64_t, int64_t>> merged;
  for (auto [size, stride] : walk) {
    if (!merged.empty() && merged.back().second == size * stride) {
      merged.back() = {merged.back().first * size, stride};
      continue;
    }
    merged.push_back({size, stride});
  }
  if (merged.empty())
    merged.push_back({1, 1});
  if (static_cast<int64_t>(merged.size()) > maxRank)
    return op->emitOpError("needs an HBM access pattern with ")
               << merged.size() << " dims, exceeding the " << target.name << " limit of "
               << maxRank,
           failure();
  SmallVector<int64_t> outSizes, outStrides;
  for (auto [size, stride] : merged) {
    outSizes.push_back(size);
    outStrides.push_back(stride);
  }
  std::optional<int64_t> cOff = getConstantIntValue(offset);
  auto layout = StridedLayoutAttr::get(b.getContext(), cOff ? *cOff : ShapedType::kDynamic,
                                       outStrides);
  auto resultType = MemRefType::get(outSizes, type.getElementType(), layout, type.getMemorySpace());
  SmallVector<OpFoldResult> sizeOfr, strideOfr;
  for (int64_t s : outSizes)
    sizeOfr.push_back(b.getIndexAttr(s));
  for (int64_t s : outStrides)
    strideOfr.push_back(b.getIndexAttr(s));
  return memref::ReinterpretCastOp::create(b, loc, resultType, base->first, offset, sizeOfr,
                                           strideOfr)
      .getResult();
}

/// Whether walking `dims` is a sub-box of an operand in its own dim order.
static bool isPlainWalk(ArrayRef<AccessDim> dims) {
  int64_t last = -1;
  for (const AccessDim &d : dims) {
    if (d.size == 1)
      continue;
    if (d.dim < 0 || d.dim < last)
      return false;
    last = d.dim;
  }
  return true;
}

LogicalResult TileEmitter::transfer(Value v, ArrayRef<AccessDim> dims, Value tile, bool toHbm) {
  auto move = [&](Value hbm, Value onChip) {
    if (toHbm)
      dma(onChip, hbm);
    else
      dma(hbm, onChip);
  };
  auto type = cast<MemRefType>(v.getType());
  const int64_t maxRank = 1 + static_cast<int64_t>(target.maxFreeDims);
  bool splittable = isSubviewChain(v) && type.getRank() >= 1 &&
                    cast<MemRefType>(tile.getType()).getRank() == 2 && !dims.empty() &&
                    (dims[0].dim >= 0 || dims[0].size == 1);
  // One strided DMA is cheaper than several (one descriptor); split only when
  // the walk needs more access-pattern dims than the DMA engine has.
  if (splittable && !isPlainWalk(dims)) {
    SmallVector<int64_t> strides;
    int64_t off;
    if (succeeded(type.getStridesAndOffset(strides, off))) {
      SmallVector<std::pair<int64_t, int64_t>> merged;
      for (const AccessDim &d : dims) {
        if (d.size == 1)
          continue;
        int64_t stride = d.dim < 0 ? 0 : strides[d.dim];
        if (!merged.empty() && merged.back().second == d.size * stride)
          merged.back() = {merged.back().first * d.size, stride};
        else
          merged.push_back({d.size, stride});
      }
      if (static_cast<int64_t>(merged.size()) <= maxRank)
        splittable = false;
    }
  }
  if (splittable && !isPlainWalk(dims)) {
    for (size_t s = 2; s <= dims.size(); ++s) {
      SmallVector<AccessDim> rest{dims[0]};
      rest.append(dims.begin() + s, dims.end());
      if (!isPlainWalk(rest))
        continue;
      SmallVector<int64_t> prefix;
      int64_t count = 1, inner = 1;
      for (size_t k = 1; k < s; ++k) {
        prefix.push_back(dims[k].size);
        count *= dims[k].size;
      }
      for (size_t k = s; k < dims.size(); ++k)
        inner *= dims[k].size;
      if (count > kMaxSplitDmas)
        break;
      int64_t P = cast<MemRefType>(tile.getType()).getDimSize(0);
      LogicalResult status = success();
      int64_t linear = 0;
      forEachIndex(prefix, [&](ArrayRef<int64_t> idx) {
        if (failed(status))
          return;
        SmallVector<AccessDim> walk{dims[0]};
        for (size_t k = 1; k < s; ++k)
          if (dims[k].dim >= 0)
            walk.push_back({dims[k].dim, dims[k].start + idx[k - 1], 1});
        walk.append(dims.begin() + s, dims.end());
        FailureOr<Value> view = hbmAccess(v, walk);
        if (failed(view)) {
          status = failure();
          return;
        }
        move(*view, sliceTile(tile, 0, P, linear * inner, inner));
        ++linear;
      });
      return status;
    }
  }
  FailureOr<Value> view = hbmAccess(v, dims);
  if (failed(view))
    return failure();
  move(*view, tile);
  return success();
}

FailureOr<Value> TileEmitter::loadWalk(Value v, ArrayRef<AccessDim> dims, Type elementType) {
  int64_t P = dims.empty() ? 1 : dims[0].size, F = 1;
  for (const AccessDim &d : dims.drop_front())
    F *= d.size;
  Value t = alloc({P, F}, elementType);
  if (failed(transfer(v, dims, t, /*toHbm=*/false)))
    return failure();
  return t;
}

Value TileEmitter::load(Value hbmView, ArrayRef<int64_t> shape, Type elementType) {
  Value t = alloc(shape, elementType);
  dma(hbmView, t);
  return t;
}

void TileEmitter::memset(float value, Value dst) {
  MemsetOp::create(b, loc, b.getF32FloatAttr(value), dst, {}, {}, {});
}

void TileEmitter::tensorCopy(Value src, Value dst) {
  TensorCopyOp::create(b, loc, src, dst, {}, {}, {});
}

void TileEmitter::tensorTensor(AluOp aluOp, Value in0, Value in1, Value dst) {
  TensorTensorOp::create(b, loc, AluOpAttr::get(b.getContext(), aluOp), in0, in1, dst, {}, {},
                         {});
}

void TileEmitter::tensorScalar(Value src, Value dst, AluOp op0, Scalar s0, bool rev0, AluOp op1,
                               Scalar s1, bool rev1) {
  MLIRContext *ctx = b.getContext();
  TensorScalarOp::create(b, loc, src, dst, AluOpAttr::get(ctx, op0), s0.tile,
                         b.getF32FloatAttr(s0.tile ? 0.0f : s0.imm),
                         rev0 ? b.getUnitAttr() : UnitAttr(), AluOpAttr::get(ctx, op1), s1.tile,
                         b.getF32FloatAttr(s1.tile ? 0.0f : s1.imm),
                         rev1 ? b.getUnitAttr() : UnitAttr(), {}, {}, {});
}

void TileEmitter::activation(ActFunc func, Value src, Value dst, Scalar scale, Scalar bias,
                             Value accum) {
  ActivationOp::create(b, loc, ActFuncAttr::get(b.getContext(), func), src, dst, scale.tile,
                       bias.tile, accum, b.getF32FloatAttr(scale.tile ? 1.0f : scale.imm),
                       b.getF32FloatAttr(bias.tile ? 0.0f : bias.imm), {}, {}, {});
}

void TileEmitter::tensorReduce(AluOp aluOp, Value src, Value dst, ArrayRef<int64_t> axes) {
  TensorReduceOp::create(b, loc, AluOpAttr::get(b.getContext(), aluOp), src, dst,
                         b.getDenseI64ArrayAttr(axes), UnitAttr(), {}, {}, {});
}

void TileEmitter::transpose(Value src, Value dst) {
  TransposeOp::create(b, loc, src, dst, {}, {}, {});
}

void TileEmitter::matmul(Value stationary, Value moving, Value dst, bool accumulate) {
  MatmulOp::create(b, loc, stationary, moving, dst, Value(), Value(),
                   accumulate ? b.getUnitAttr() : UnitAttr(),
                   MatmulModeAttr::get(b.getContext(), MatmulMode::Normal), {}, {}, {});
}

void TileEmitter::select(Value pred, Value onTrue, Value onFalse, Value dst) {
  SelectOp::create(b, loc, pred, onTrue, onFalse, dst, {}, {}, {});
}

Value TileEmitter::sliceTile(Value tile, int64_t pStart, int64_t pCount, int64_t fStart,
                             int64_t fCount) {
  auto type = cast<MemRefType>(tile.getType());
  if (pStart == 0 && fStart == 0 && type.getDimSize(0) == pCount &&
      type.getDimSize(1) == fCount)
    return tile;
  return memref::SubViewOp::create(b, loc, tile, ArrayRef<int64_t>{pStart, fStart},
                                   ArrayRef<int64_t>{pCount, fCount}, ArrayRef<int64_t>{1, 1})
      .getResult();
}

linalg::FillOp mlir::trn::lower::findInitFill(Operation *user, Value init) {
  for (Operation *prev = user->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev))
      if (fill.getDpsInitOperand(0)->get() == init)
        return fill;
    if (prev->getNumRegions() != 0 && !isa<linalg::LinalgOp>(prev))
      return {};
    if (llvm::is_contained(prev->getOperands(), init))
      return {};
  }
  return {};
}

linalg::FillOp mlir::trn::lower::findInitFillAcross(Operation *user, Value init) {
  for (Operation *prev = user->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev))
      if (fill.getDpsInitOperand(0)->get() == init)
        return fill;
    WalkResult uses = prev->walk([&](Operation *nested) {
      return llvm::is_contained(nested->getOperands(), init) ? WalkResult::interrupt()
                                                             : WalkResult::advance();
    });
    if (uses.wasInterrupted())
      return {};
  }
  return {};
}

std::optional<double> mlir::trn::lower::fillValue(linalg::FillOp fill) {
  Value v = fill.getDpsInputOperand(0)->get();
  if (auto c = v.getDefiningOp<arith::ConstantOp>())
    if (auto f = dyn_cast<FloatAttr>(c.getValue()))
      return f.getValueAsDouble();
  return std::nullopt;
}

float mlir::trn::lower::reductionIdentity(AluOp op) {
  switch (op) {
  case AluOp::Add:
    return 0.0f;
  case AluOp::Mul:
    return 1.0f;
  case AluOp::Max:
    return -std::numeric_limits<float>::infinity();
  case AluOp::Min:
    return std::numeric_limits<float>::infinity();
  default:
    return 0.0f;
  }
}

void mlir::trn::lower::forEachIndex(ArrayRef<int64_t> shape,
                                    llvm::function_ref<void(ArrayRef<int64_t>)> fn) {
  SmallVector<int64_t> idx(shape.size(), 0);
  if (llvm::any_of(shape, [](int64_t s) { return s <= 0; }))
    return;
  while (true) {
    fn(idx);
    int64_t d = static_cast<int64_t>(shape.size()) - 1;
    while (d >= 0 && ++idx[d] == shape[d])
      idx[d--] = 0;
    if (d < 0)
      return;
  }
}

bool TileEmitter::loadTransposed(Value src, Value dst) {
  SmallVector<int64_t> S, ss;
  if (!loadWalkOf(src, dst, S, ss))
    return false;
  const int64_t r = S.size(), P = S[0];
  const int64_t step = std::min<int64_t>(target.numPartitions, target.maxStationaryFree);
  if (P < 2 || P > step || ss[0] != 1)
    return false;
  for (int64_t i = 1; i < r; ++i)
    if (S[i] > 1 && ss[i] < 2)
      return false; // a contiguous free dim: the DMA has runs already
  Type elem = cast<MemRefType>(src.getType()).getElementType();
  if (!elem.isF32() && !elem.isBF16() && !elem.isF16())
    return false; // PE transpose data types
  const int64_t e = (elem.getIntOrFloatBitWidth() + 7) / 8, n = S[r - 1], sn = ss[r - 1];
  int64_t outer = 1;
  for (int64_t i = 1; i < r - 1; ++i)
    outer *= S[i];
  // Element-sized runs vs per block: a DMA of rows of P elements, a PE
  // transpose and an eviction copy.
  auto bytes = [](int64_t v) { return static_cast<uint64_t>(v); };
  double narrow = target.dmaDurationNs(bytes(P * outer * n * e), bytes(e), true);
  double blocked = 0;
  for (int64_t b0 = 0; b0 < n; b0 += step) {
    int64_t bc = std::min(step, n - b0);
    blocked += target.dmaDurationNs(bytes(bc * P * e), bytes(P * e), true) +
               static_cast<double>(P) / target.pe.clockGHz +
               static_cast<double>(bc) / target.dve.clockGHz;
  }
  if (outer * blocked >= narrow)
    return false;
  if (failed(resolveBase(src)))
    return false;
  SmallVector<int64_t> outerShape(S.begin() + 1, S.end() - 1);
  int64_t o = 0;
  forEachIndex(outerShape, [&](ArrayRef<int64_t> oi) {
    int64_t outerOff = 0;
    for (auto [k, x] : llvm::enumerate(oi))
      outerOff += x * ss[k + 1];
    for (int64_t b0 = 0; b0 < n; b0 += step) {
      int64_t bc = std::min(step, n - b0);
      // The block in its HBM layout: rows of P contiguous elements.
      Value rows = hbmView(src, outerOff + b0 * sn, {bc, P}, {sn, 1});
      Value natural = alloc({bc, P}, elem);
      DmaCopyOp::create(b, loc, rows, natural, {}, {}, {});
      Value ps = alloc({P, bc}, f32(), MemSpace::PSUM);
      transpose(natural, ps);
      tensorCopy(ps, sliceTile(dst, 0, P, o * n + b0, bc));
    }
    ++o;
  });
  return true;
}

Value TileEmitter::hbmView(Value src, int64_t offset, ArrayRef<int64_t> sizes,
                           ArrayRef<int64_t> strides) {
  FailureOr<std::pair<Value, OpFoldResult>> base = resolveBase(src);
  if (failed(base))
    return Value();
  auto idx = [&](OpFoldResult o) { return indexValue(o); };
  OpFoldResult off =
      offset == 0 ? base->second : addOfr(*this, base->second, b.getIndexAttr(offset), idx);
  return reinterpretAs(b, loc, base->first, off, sizes, strides);
}
