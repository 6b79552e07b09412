//===- ScheduleInstructions.cpp - trn ops as trnrt::Instructions ----------===//
//
// See ScheduleInstructions.h. Used by trn-schedule (cost model, memory
// dependencies) and by the serializer (TrnSerialize).
//
//===----------------------------------------------------------------------===//

#include "ScheduleInstructions.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <numeric>

using namespace mlir;
using namespace mlir::trn;

Value mlir::trn::getTileRoot(Value tile) {
  Value cur = tile;
  while (Operation *def = cur.getDefiningOp()) {
    if (auto sv = dyn_cast<memref::SubViewOp>(def))
      cur = sv.getSource();
    else if (auto cast = dyn_cast<memref::CastOp>(def))
      cur = cast.getSource();
    else if (auto rc = dyn_cast<memref::ReinterpretCastOp>(def))
      cur = rc.getSource();
    else
      break;
  }
  return cur;
}

/// The first location of kind `L` nested in `loc` (fused, callsite, name).
template <typename L>
static std::optional<L> findLoc(Location loc) {
  std::optional<L> found;
  loc->walk([&](Location l) {
    if (auto f = dyn_cast<L>(l)) {
      found = f;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

std::string mlir::trn::describeOp(Operation *op) {
  std::string s = op->getName().getStringRef().str();
  // A name location is the source model's module path (the PyTorch importer
  // names every op after its nn.Module), what a profile groups time by.
  if (std::optional<NameLoc> n = findLoc<NameLoc>(op->getLoc()))
    s += " in " + n->getName().str();
  if (std::optional<FileLineColLoc> f = findLoc<FileLineColLoc>(op->getLoc()))
    s += " at " + f->getFilename().str() + ":" + std::to_string(f->getLine()) + ":" +
         std::to_string(f->getColumn());
  return s;
}

FailureOr<trnrt::AccessPattern> mlir::trn::buildAccessPattern(Value tile, Operation *user,
                                                              HbmTensorIndexFn hbmIndex,
                                                              bool allowMissingOffset) {
  auto type = dyn_cast<MemRefType>(tile.getType());
  if (!type)
    return user->emitOpError() << "operand of type " << tile.getType() << " is not a tile memref";
  std::optional<MemSpace> space = getMemSpace(type);
  if (!space)
    return user->emitOpError() << "tile " << type << " has no #trn.mem memory space";
  std::optional<trnrt::DType> dtype = getDType(type.getElementType());
  if (!dtype)
    return user->emitOpError() << "tile element type " << type.getElementType()
                               << " is not a device dtype";
  SmallVector<int64_t> strides;
  int64_t offset = 0;
  if (!type.hasStaticShape() || failed(type.getStridesAndOffset(strides, offset)) ||
      ShapedType::isDynamic(offset) || llvm::any_of(strides, ShapedType::isDynamic))
    return user->emitOpError() << "tile " << type
                               << " needs a static shape and a static strided layout";
  Value root = getTileRoot(tile);
  auto rootType = dyn_cast<MemRefType>(root.getType());
  if (!rootType || !rootType.hasStaticShape() || !rootType.getLayout().isIdentity())
    return user->emitOpError() << "tile " << type
                               << " is not a static view of a buffer with the identity layout";
  if (offset < 0)
    return user->emitOpError() << "tile " << type << " has a negative offset";

  ArrayRef<int64_t> shape = type.getShape();
  const int64_t rank = type.getRank();
  trnrt::AccessPattern ap;
  ap.space = toISA(*space);
  ap.dtype = *dtype;
  SmallVector<int64_t> freeSizes, freeStrides;

  if (*space == MemSpace::HBM) {
    std::optional<uint32_t> idx = hbmIndex(root);
    if (!idx)
      return user->emitOpError()
             << "HBM tile " << type
             << " is not a view of a function argument, a memref.get_global or a "
                "function-level memref.alloc";
    ap.tensor = *idx;
    ap.offset = static_cast<uint64_t>(offset);
    ap.startPartition = 0;
    if (rank <= 1) {
      ap.numPartitions = 1;
      ap.partitionStride = 0;
      freeSizes.push_back(rank == 1 ? shape[0] : 1);
      freeStrides.push_back(rank == 1 ? strides[0] : 1);
    } else if (shape[0] > static_cast<int64_t>(getTarget(user).numPartitions)) {
      // More rows than an access pattern has partitions (an HBM->HBM copy):
      // one row walking every dim (same element order).
      ap.numPartitions = 1;
      ap.partitionStride = 0;
      freeSizes.append(shape.begin(), shape.end());
      freeStrides.append(strides.begin(), strides.end());
    } else {
      ap.numPartitions = static_cast<uint32_t>(shape[0]);
      ap.partitionStride = strides[0];
      freeSizes.append(shape.begin() + 1, shape.end());
      freeStrides.append(strides.begin() + 1, strides.end());
    }
  } else {
    auto alloc = root.getDefiningOp<AllocOp>();
    if (!alloc)
      return user->emitOpError() << "on-chip tile " << type << " is not a view of a trn.alloc";
    uint64_t base = 0;
    if (std::optional<uint64_t> off = alloc.getOffset())
      base = *off;
    else if (!allowMissingOffset)
      return user->emitOpError() << "tile of a trn.alloc without `offset` (run trn-allocate "
                                    "before scheduling or serialization)";
    std::optional<PartitionRange> range = getStaticPartitionRange(tile);
    if (!range || rank < 1)
      return user->emitOpError() << "tile " << type
                                 << " has no static partition dim (dim 0 dropped or dynamic)";
    if (shape[0] > 1 && range->step != 1)
      return user->emitOpError() << "tile " << type << " walks partitions with step "
                                 << range->step << "; only unit steps are addressable";
    int64_t rootFree = 1;
    for (int64_t d : rootType.getShape().drop_front())
      rootFree *= d;
    int64_t freeOff = offset - range->start * rootFree;
    if (freeOff < 0 || freeOff >= rootFree)
      return user->emitOpError() << "tile " << type << " has an inconsistent partition offset";
    for (int64_t k = 1; k < rank; ++k)
      if (shape[k] > 1 && std::abs(strides[k]) * (shape[k] - 1) + freeOff >= rootFree)
        return user->emitOpError() << "tile " << type << " free dim " << (k - 1)
                                   << " walks across partitions";
    unsigned bits = trnrt::dtypeBits(*dtype);
    if ((static_cast<uint64_t>(freeOff) * bits) % 8 != 0)
      return user->emitOpError() << "tile " << type << " starts inside a byte";
    ap.offset = base + static_cast<uint64_t>(freeOff) * bits / 8;
    ap.startPartition = static_cast<uint32_t>(range->start);
    ap.numPartitions = static_cast<uint32_t>(shape[0]);
    if (rank == 1) {
      freeSizes.push_back(1);
      freeStrides.push_back(1);
    } else {
      freeSizes.append(shape.begin() + 1, shape.end());
      freeStrides.append(strides.begin() + 1, strides.end());
    }
  }
  if (freeSizes.size() > trnrt::kMaxFreeDims)
    return user->emitOpError() << "tile " << type << " has " << freeSizes.size()
                               << " free dims; an access pattern has at most "
                               << trnrt::kMaxFreeDims;
  ap.rank = static_cast<uint32_t>(freeSizes.size());
  for (size_t k = 0; k < freeSizes.size(); ++k) {
    if (freeSizes[k] > std::numeric_limits<uint32_t>::max())
      return user->emitOpError() << "tile " << type << " free size " << freeSizes[k]
                                 << " is too large";
    ap.sizes[k] = static_cast<uint32_t>(freeSizes[k]);
    ap.strides[k] = freeStrides[k];
  }
  for (size_t k = freeSizes.size(); k < trnrt::kMaxFreeDims; ++k) {
    ap.sizes[k] = 1;
    ap.strides[k] = 0;
  }
  return ap;
}

FailureOr<trnrt::Instruction> mlir::trn::buildInstruction(TrnInstructionOpInterface iface,
                                                          HbmTensorIndexFn hbmIndex,
                                                          bool allowMissingOffset) {
  Operation *op = iface.getOperation();
  bool ok = true;
  auto ap = [&](Value v) -> trnrt::AccessPattern {
    FailureOr<trnrt::AccessPattern> r = buildAccessPattern(v, op, hbmIndex, allowMissingOffset);
    if (failed(r)) {
      ok = false;
      return {};
    }
    return *r;
  };
  auto optAp = [&](Value v) -> std::optional<trnrt::AccessPattern> {
    if (!v)
      return std::nullopt;
    return ap(v);
  };
  auto scalar = [&](Value tile, llvm::APFloat imm) {
    trnrt::ScalarOperand s;
    s.imm = imm.convertToFloat();
    s.ap = optAp(tile);
    return s;
  };

  trnrt::Instruction inst;
  bool known = true;
  llvm::TypeSwitch<Operation *>(op)
      .Case([&](DmaCopyOp o) { inst.body = trnrt::DmaCopy{ap(o.getDst()), ap(o.getSrc())}; })
      .Case([&](MatmulOp o) {
        trnrt::Matmul m;
        m.dst = ap(o.getDst());
        m.stationary = ap(o.getStationary());
        m.moving = ap(o.getMoving());
        m.accumulate = o.getAccumulate();
        m.mode = toISA(o.getMode());
        m.stationaryScale = optAp(o.getStationaryScale());
        m.movingScale = optAp(o.getMovingScale());
        inst.body = m;
      })
      .Case([&](TransposeOp o) { inst.body = trnrt::Transpose{ap(o.getDst()), ap(o.getSrc())}; })
      .Case([&](ActivationOp o) {
        trnrt::Activation a;
        a.dst = ap(o.getDst());
        a.src = ap(o.getSrc());
        a.func = toISA(o.getFunc());
        a.scale = scalar(o.getScaleTile(), o.getScale());
        a.bias = scalar(o.getBiasTile(), o.getBias());
        a.accumDst = optAp(o.getAccum());
        inst.body = a;
      })
      .Case([&](TensorTensorOp o) {
        trnrt::TensorTensor t;
        t.dst = ap(o.getDst());
        t.in0 = ap(o.getIn0());
        t.in1 = ap(o.getIn1());
        t.op = toISA(o.getOp());
        inst.body = t;
      })
      .Case([&](TensorScalarOp o) {
        trnrt::TensorScalar t;
        t.dst = ap(o.getDst());
        t.src = ap(o.getSrc());
        t.op0 = toISA(o.getOp0());
        t.scalar0 = scalar(o.getScalar0Tile(), o.getScalar0());
        t.reverse0 = o.getReverse0();
        t.op1 = toISA(o.getOp1());
        t.scalar1 = scalar(o.getScalar1Tile(), o.getScalar1());
        t.reverse1 = o.getReverse1();
        inst.body = t;
      })
      .Case([&](TensorReduceOp o) {
        trnrt::TensorReduce t;
        t.dst = ap(o.getDst());
        t.src = ap(o.getSrc());
        t.op = toISA(o.getOp());
        for (int64_t a : o.getAxes()) {
          if (a < 0 || a >= 32) {
            ok = false;
            o.emitOpError() << "reduction axis " << a << " is out of range";
            continue;
          }
          t.axisMask |= 1u << a;
        }
        t.negate = o.getNegate();
        inst.body = t;
      })
      .Case([&](TensorCopyOp o) { inst.body = trnrt::TensorCopy{ap(o.getDst()), ap(o.getSrc())}; })
      .Case([&](SelectOp o) {
        inst.body = trnrt::Select{ap(o.getDst()), ap(o.getPred()), ap(o.getOnTrue()),
                                  ap(o.getOnFalse())};
      })
      .Case([&](IotaOp o) {
        trnrt::Iota t;
        t.dst = ap(o.getDst());
        t.base = o.getBase();
        t.channelMultiplier = o.getChannelMultiplier();
        ArrayRef<int32_t> mult = o.getMultipliers();
        if (mult.size() > trnrt::kMaxFreeDims) {
          ok = false;
          o.emitOpError() << "has " << mult.size() << " multipliers; at most "
                          << trnrt::kMaxFreeDims;
        }
        for (size_t k = 0; k < mult.size() && k < trnrt::kMaxFreeDims; ++k)
          t.multipliers[k] = mult[k];
        inst.body = t;
      })
      .Case([&](MemsetOp o) {
        trnrt::Memset t;
        t.dst = ap(o.getDst());
        t.value = o.getValue().convertToFloat();
        inst.body = t;
      })
      .Case([&](QuantizeMxOp o) {
        inst.body = trnrt::QuantizeMx{ap(o.getDst()), ap(o.getScale()), ap(o.getSrc())};
      })
      .Default([&](Operation *) { known = false; });
  if (!known)
    return op->emitOpError() << "cannot be serialized: no device instruction encoding";
  if (!ok)
    return failure();
  if (SyncAttr sync = iface.getSyncAttr()) {
    for (auto [s, v] : llvm::zip(sync.getWaitSems(), sync.getWaitValues()))
      inst.waits.push_back(trnrt::SemWait{s, v});
    inst.signals.assign(sync.getSignals().begin(), sync.getSignals().end());
  }
  inst.debug = describeOp(op);
  return inst;
}

//===----------------------------------------------------------------------===//
// Exact overlap of strided access patterns
//===----------------------------------------------------------------------===//

namespace {
/// A set of equally sized elements: base + sum_k i_k * stride_k (in nibbles,
/// i.e. 4-bit units, so FP4 is exact), each `extent` nibbles long.
struct StridedSet {
  int64_t base = 0;
  int64_t extent = 1;
  SmallVector<std::pair<int64_t, int64_t>, 5> dims; // (size, stride)

  int64_t count() const {
    int64_t n = 1;
    for (auto [s, st] : dims)
      n *= s;
    return n;
  }
  std::pair<int64_t, int64_t> bounds() const { // [lo, hi)
    int64_t lo = base, hi = base;
    for (auto [s, st] : dims) {
      int64_t span = (s - 1) * st;
      if (span < 0)
        lo += span;
      else
        hi += span;
    }
    return {lo, hi + extent};
  }
  template <typename Fn> bool forEach(Fn &&fn) const {
    SmallVector<int64_t, 5> idx(dims.size(), 0);
    int64_t addr = base;
    while (true) {
      if (fn(addr))
        return true;
      size_t k = dims.size();
      while (k > 0) {
        --k;
        if (++idx[k] < dims[k].first) {
          addr += dims[k].second;
          break;
        }
        addr -= (dims[k].first - 1) * dims[k].second;
        idx[k] = 0;
        if (k == 0)
          return false;
      }
      if (dims.empty())
        return false;
    }
  }
};
} // namespace

static StridedSet toSet(const trnrt::AccessPattern &ap, bool includeRows) {
  StridedSet s;
  int64_t nib = trnrt::dtypeBits(ap.dtype) / 4;
  s.extent = nib;
  if (ap.space == trnrt::MemSpace::HBM) {
    s.base = static_cast<int64_t>(ap.offset) * nib;
    if (includeRows && ap.numPartitions > 1)
      s.dims.push_back({ap.numPartitions, ap.partitionStride * nib});
  } else {
    s.base = static_cast<int64_t>(ap.offset) * 2; // bytes -> nibbles
  }
  for (uint32_t k = 0; k < ap.rank && k < trnrt::kMaxFreeDims; ++k)
    if (ap.sizes[k] > 1)
      s.dims.push_back({ap.sizes[k], ap.strides[k] * nib});
  return s;
}

namespace {
/// `rows` copies of one contiguous run, `stride` apart:
/// {base + i * stride + [0, len) : i < rows} (in nibbles). Tiles of
/// row-major HBM tensors and of SBUF buffers mostly have this shape.
struct RowRuns {
  int64_t base = 0, rows = 1, stride = 0, len = 0;
};
} // namespace

/// Whether `s` is rows of one contiguous run: its inner dims collapse into a
/// run and at most one outer dim remains, with a positive stride >= the run.
static bool asRowRuns(const StridedSet &s, RowRuns &r) {
  r.base = s.base;
  r.len = s.extent;
  size_t k = s.dims.size();
  while (k > 0 && s.dims[k - 1].second == r.len) {
    r.len *= s.dims[k - 1].first;
    --k;
  }
  if (k == 0)
    return true;
  if (k > 1)
    return false;
  auto [size, stride] = s.dims[0];
  if (stride <= 0 || stride < r.len)
    return false;
  r.rows = size;
  r.stride = stride;
  return true;
}

/// Exact intersection of two row-run sets with row stride `S` (> 0), runs no
/// longer than `S`. Checked against brute-force enumeration on 1.7M random
/// pairs when it was written.
static bool rowRunsOverlap(RowRuns a, RowRuns b, int64_t S) {
  if (b.base < a.base)
    std::swap(a, b);
  // B's first run starts q rows and r nibbles after A's first (0 <= r < S).
  int64_t d = b.base - a.base, q = d / S, r = d % S;
  auto rowsMeet = [&](int64_t first) { // B's rows [first, first + b.rows) vs A's [0, a.rows)
    return first < a.rows && first + b.rows > 0;
  };
  if (r < a.len && rowsMeet(q))
    return true; // a B run starts inside the A run of its row
  // A B run spilling into the next row meets that row's A run (it starts at 0).
  return r + b.len > S && rowsMeet(q + 1);
}

static bool setsOverlap(const StridedSet &a, const StridedSet &b) {
  auto [alo, ahi] = a.bounds();
  auto [blo, bhi] = b.bounds();
  int64_t lo = std::max(alo, blo), hi = std::min(ahi, bhi);
  if (lo >= hi)
    return false;
  // Row-structured tiles (e.g. channel rows of an NCHW tensor): exact in O(1)
  // instead of enumerating both sets over the common window.
  RowRuns ra, rb;
  if (asRowRuns(a, ra) && asRowRuns(b, rb)) {
    int64_t S = ra.rows > 1 ? ra.stride : rb.stride;
    if (S > 0 && (ra.rows == 1 || ra.stride == S) && (rb.rows == 1 || rb.stride == S) &&
        ra.len <= S && rb.len <= S)
      return rowRunsOverlap(ra, rb, S);
  }
  constexpr int64_t kMaxWalk = int64_t(1) << 22;
  constexpr int64_t kMaxWindow = int64_t(1) << 28;
  if (a.count() > kMaxWalk || b.count() > kMaxWalk || hi - lo > kMaxWindow)
    return true; // Too large to enumerate: assume a conflict (safe).
  const StridedSet &small = a.count() <= b.count() ? a : b;
  const StridedSet &large = &small == &a ? b : a;
  llvm::BitVector mark(static_cast<unsigned>(hi - lo));
  small.forEach([&](int64_t addr) {
    int64_t s = std::max(addr, lo), e = std::min(addr + small.extent, hi);
    if (s < e)
      mark.set(static_cast<unsigned>(s - lo), static_cast<unsigned>(e - lo));
    return false;
  });
  return large.forEach([&](int64_t addr) {
    int64_t s = std::max(addr, lo), e = std::min(addr + large.extent, hi);
    for (int64_t x = s; x < e; ++x)
      if (mark.test(static_cast<unsigned>(x - lo)))
        return true;
    return false;
  });
}

bool mlir::trn::accessPatternsOverlap(const trnrt::AccessPattern &a,
                                      const trnrt::AccessPattern &b) {
  if (a.space != b.space)
    return false;
  if (a.space == trnrt::MemSpace::HBM) {
    if (a.tensor != b.tensor)
      return false;
    return setsOverlap(toSet(a, true), toSet(b, true));
  }
  uint64_t aEnd = uint64_t(a.startPartition) + a.numPartitions;
  uint64_t bEnd = uint64_t(b.startPartition) + b.numPartitions;
  if (a.startPartition >= bEnd || b.startPartition >= aEnd)
    return false;
  // Every accessed partition holds the same byte pattern.
  return setsOverlap(toSet(a, false), toSet(b, false));
}
