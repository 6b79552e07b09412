//===- Quantize.cpp - trn-quantize: low-precision contraction operands ----===//
//
// Tensor-level quantization of the operands of device-form contractions
// (docs/passes/trn-quantize.md, docs/quantization.md). Runs after trn-layout,
// where every contraction is C[m, n] = sum_k L[k, m] R[k, n].
//
// Quantized tensors are plain tensors of the builtin low-precision element
// types (f8E4M3FN, f8E5M2, bf16); scales are f32 values carried explicitly
// (compile-time constants, per-channel constant vectors, or rank-0 tensors
// computed on the device). The quant dialect is not used: it cannot carry
// FP8 storage types in MLIR 22 (QUANT.md).
//
// Per chain of accumulating contractions (a conv's taps accumulate through
// their `outs`), with one scale per operand role (L, R):
//   * constant operands are quantized at compile time (trnrt numerics, RNE,
//     saturating) to dense FP8 constants; scale amax / max_finite per tensor
//     or per channel (the non-contracted dim), shared by the chain;
//   * activation operands are traced through data movement (slices,
//     reshapes, zero pads) to their root, which is quantized
//     once by an element-wise generic `truncf(x * (max_finite / amax))`;
//     amax is a calibrated constant or computed on the device (one
//     linalg.reduce of max |x| into a rank-0 tensor); the data movement
//     is replayed on the quantized root;
//   * the chain accumulates in quantized units; its result is rescaled by
//     s_L * s_R (one element-wise generic, a per-partition scale when per
//     channel) and a non-zero initial value is divided by it first.
// bf16 mode casts the operands to bf16 (no scales).
//
//===----------------------------------------------------------------------===//

#include "TileUtils.h"
#include "trn/Transforms/Passes.h"
#include "trn/runtime/Numerics.h"
#include "trn/runtime/Target.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"

#include <array>
#include <cmath>
#include <limits>

namespace mlir::trn {
#define GEN_PASS_DEF_TRNQUANTIZEPASS
#include "trn/Transforms/Passes.h.inc"
} // namespace mlir::trn

using namespace mlir;

namespace {

enum class Mode { None, BF16, FP8E4M3, FP8E5M2, MXFP8, MXFP4 };

std::optional<Mode> parseMode(StringRef s) {
  return llvm::StringSwitch<std::optional<Mode>>(s)
      .Case("none", Mode::None)
      .Case("bf16", Mode::BF16)
      .Case("fp8-e4m3", Mode::FP8E4M3)
      .Case("fp8-e5m2", Mode::FP8E5M2)
      .Case("mxfp8", Mode::MXFP8)
      .Case("mxfp4", Mode::MXFP4)
      .Default(std::nullopt);
}

bool isScaledFp8(Mode m) { return m == Mode::FP8E4M3 || m == Mode::FP8E5M2; }
bool isMx(Mode m) { return m == Mode::MXFP8 || m == Mode::MXFP4; }

/// Smallest amax used for a scale: keeps max_finite / amax finite for an
/// all-zero tensor (whose codes are 0 whatever the scale).
constexpr float kTinyAmax = 1e-30f;

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Device-form contraction (docs/pipeline.md stage 3) on tensors.
bool isDeviceContraction(Operation *op) {
  auto lop = dyn_cast<linalg::LinalgOp>(op);
  if (!lop || !isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) || !lop.hasPureTensorSemantics())
    return false;
  bool batch = isa<linalg::BatchMatmulOp>(op);
  MLIRContext *ctx = op->getContext();
  unsigned nd = batch ? 4 : 3, o = batch ? 1 : 0;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto withBatch = [&](ArrayRef<AffineExpr> e) {
    SmallVector<AffineExpr> r;
    if (batch)
      r.push_back(d(0));
    r.append(e.begin(), e.end());
    return AffineMap::get(nd, 0, r, ctx);
  };
  AffineExpr m = d(o), n = d(o + 1), k = d(o + 2);
  SmallVector<AffineMap> want = {withBatch({k, m}), withBatch({k, n}), withBatch({m, n})};
  return lop.getIndexingMapsArray() == want;
}

/// The f32 values of a dense float constant (f32/bf16/f16 elements).
std::optional<std::vector<float>> constantValues(Value v, DenseElementsAttr &attr) {
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  Type et = attr.getElementType();
  if (!et.isF32() && !et.isBF16() && !et.isF16())
    return std::nullopt;
  std::vector<float> out;
  out.reserve(attr.getNumElements());
  for (APFloat f : attr.getValues<APFloat>()) {
    bool lost = false;
    f.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost); // exact widening
    out.push_back(f.convertToFloat());
  }
  return out;
}

//// Ops that only move data; an activation operand is traced through them to
/// the root value that is quantized once.
bool isDataMovement(Operation *op) {
  // Not linalg.transpose: a transpose is lowered efficiently (PE / blocked
  // DMA) for 32-bit data, while replaying it on a 1-byte FP8 tensor would be
  // an element-granular HBM walk; the transposed value is quantized instead.
  if (isa<tensor::ExtractSliceOp, tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op))
    return true;
  if (auto pad = dyn_cast<tensor::PadOp>(op)) {
    Value pv = pad.getConstantPaddingValue();
    FloatAttr f;
    return pv && matchPattern(pv, m_Constant(&f)) && f.getValue().isZero();
  }
  return false;
}

Value movementSource(Operation *op) { return op->getOperand(0); }

/// Root of an activation operand and the data-movement ops from the root to
/// the operand (root-most first).
std::pair<Value, SmallVector<Operation *>> traceRoot(Value v) {
  SmallVector<Operation *> chain;
  while (Operation *def = v.getDefiningOp()) {
    if (!isDataMovement(def))
      break;
    chain.push_back(def);
    v = movementSource(def);
  }
  std::reverse(chain.begin(), chain.end());
  return {v, chain};
}

/// The scale of one operand role of a chain.
struct RoleScale {
  enum Kind { One, Scalar, PerChannel, Dynamic } kind = One;
  float scalar = 1.0f;        // Scalar: s
  std::vector<float> channel; // PerChannel: s per channel (last dim of the operand)
  Value amax;                 // Dynamic: rank-0 max |x|, s = max(amax, tiny) / maxFinite
  float maxFinite = 1.0f;
};

/// One operand role of a chain: all constants, or one activation root.
struct Role {
  bool constant = false;
  Value root; // activation root
};

struct Chain {
  SmallVector<linalg::LinalgOp> ops; // head .. tail; each accumulates into the previous
  Role roles[2];
};

struct QuantizeImpl {
  QuantizeImpl(func::FuncOp func, Mode mode, bool perChannel, bool dynamic,
               ArrayRef<float> calibratedAmax)
      : func(func), mode(mode), perChannel(perChannel), dynamic(dynamic),
        calibratedAmax(calibratedAmax) {}

  func::FuncOp func;
  Mode mode;
  bool perChannel;
  bool dynamic;
  ArrayRef<float> calibratedAmax; // static activation amax per root index

  FloatType elemType;           // quantized element type (f8E4M3FN, f8E5M2, bf16)
  trnrt::DType elemDType = trnrt::DType::BF16;
  float maxFinite = 0.0f;
  llvm::MapVector<Value, unsigned> rootIndex; // activation roots in order of first use
  DenseMap<Value, Value> quantizedRoot;
  DenseMap<Value, Value> rootAmax; // device max |x| of a root (rank-0)

  SmallVector<Chain> chains;

  /// Groups the device-form contractions into accumulation chains.
  void collectChains() {
    DenseMap<Operation *, unsigned> chainOf;
    func.walk([&](Operation *op) {
      if (!isDeviceContraction(op))
        return;
      auto lop = cast<linalg::LinalgOp>(op);
      Role roles[2];
      for (unsigned r = 0; r < 2; ++r) {
        Value v = lop.getDpsInputOperand(r)->get();
        DenseElementsAttr attr;
        if (constantValues(v, attr)) {
          roles[r].constant = true;
        } else {
          roles[r].root = traceRoot(v).first;
        }
      }
      Value init = lop.getDpsInitOperand(0)->get();
      Operation *prev = init.getDefiningOp();
      if (prev && chainOf.count(prev) && init.hasOneUse()) {
        Chain &c = chains[chainOf[prev]];
        bool same = c.ops.back().getOperation() == prev;
        for (unsigned r = 0; r < 2; ++r)
          same &= c.roles[r].constant == roles[r].constant && c.roles[r].root == roles[r].root;
        if (same) {
          c.ops.push_back(lop);
          chainOf[op] = chainOf[prev];
          return;
        }
      }
      chainOf[op] = chains.size();
      Chain c;
      c.ops.push_back(lop);
      c.roles[0] = roles[0];
      c.roles[1] = roles[1];
      chains.push_back(c);
    });
    for (Chain &c : chains)
      for (Role &r : c.roles)
        if (!r.constant && !rootIndex.count(r.root))
          rootIndex.insert({r.root, static_cast<unsigned>(rootIndex.size())});
  }

  /// An element-wise generic over `shape` with the given inputs/maps and an
  /// output of `outElem`.
  Value elementwise(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type outElem,
                    ArrayRef<Value> inputs, ArrayRef<AffineMap> inputMaps,
                    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    MLIRContext *ctx = b.getContext();
    Value empty = tensor::EmptyOp::create(b, loc, shape, outElem);
    SmallVector<AffineMap> maps(inputMaps.begin(), inputMaps.end());
    maps.push_back(AffineMap::getMultiDimIdentityMap(shape.size(), ctx));
    SmallVector<utils::IteratorType> iters(shape.size(), utils::IteratorType::parallel);
    auto g = linalg::GenericOp::create(
        b, loc, TypeRange{RankedTensorType::get(shape, outElem)}, inputs, ValueRange{empty}, maps,
        iters, [&](OpBuilder &nb, Location l, ValueRange args) {
          Value r = body(nb, l, args.drop_back());
          linalg::YieldOp::create(nb, l, r);
        });
    return g.getResult(0);
  }

  Value f32Const(OpBuilder &b, Location loc, float v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }

  /// Device amax of `src`: one full reduction max |x| (in src's element
  /// type, exact) into a rank-0 tensor; the lowering takes |x| on chip before
  /// reducing each tile (one read of src, no |x| tensor in HBM). NaN anywhere
  /// gives a NaN amax (maximumf propagates NaN) and +-Inf an Inf amax, as the
  /// max/min pair max(max, -min) did.
  Value emitAmax(OpBuilder &b, Location loc, Value src) {
    auto t = tensorType(src);
    Type et = t.getElementType();
    unsigned rank = t.getRank();
    SmallVector<int64_t> dims = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, et);
    APFloat negInf = APFloat::getInf(cast<FloatType>(et).getFloatSemantics(), /*Negative=*/true);
    Value start = arith::ConstantOp::create(b, loc, b.getFloatAttr(et, negInf));
    Value filled = linalg::FillOp::create(b, loc, start, init).getResult(0);
    auto red = linalg::ReduceOp::create(
        b, loc, ValueRange{src}, ValueRange{filled}, dims,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value abs = math::AbsFOp::create(nb, l, a[0]);
          linalg::YieldOp::create(nb, l, Value(arith::MaximumFOp::create(nb, l, abs, a[1])));
        });
    return red.getResult(0);
  }

  /// max(amax, tiny) in f32 inside a generic body.
  Value amaxInBody(OpBuilder &nb, Location l, Value amax) {
    Type f32 = nb.getF32Type();
    if (!amax.getType().isF32())
      amax = arith::ExtFOp::create(nb, l, f32, amax);
    return arith::MaximumFOp::create(nb, l, amax, f32Const(nb, l, kTinyAmax));
  }

  /// Quantized copy of an activation root (cached). A root produced by a
  /// linalg.transpose is quantized from the transpose's source read through
  /// the permuted map (the lowering transposes on the fly), so the
  /// high-precision transpose is never materialized.
  FailureOr<Value> quantizeRoot(OpBuilder &b, Value root) {
    if (Value q = quantizedRoot.lookup(root))
      return q;
    OpBuilder::InsertionGuard g(b);
    if (Operation *def = root.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(cast<BlockArgument>(root).getOwner());
    Location loc = root.getLoc();
    auto t = tensorType(root);
    MLIRContext *ctx = b.getContext();
    unsigned rank = t.getRank();
    Value src = root;
    AffineMap srcMap = AffineMap::getMultiDimIdentityMap(rank, ctx);
    if (auto tr = root.getDefiningOp<linalg::TransposeOp>()) {
      // result dim i = input dim perm[i]: input dim perm[i] is read at d_i.
      ArrayRef<int64_t> perm = tr.getPermutation();
      SmallVector<AffineExpr> exprs(rank);
      for (unsigned i = 0; i < rank; ++i)
        exprs[perm[i]] = getAffineDimExpr(i, ctx);
      src = tr.getInput();
      srcMap = AffineMap::get(rank, 0, exprs, ctx);
    }
    Type f32 = b.getF32Type();
    auto toF32 = [&](OpBuilder &nb, Location l, Value x) -> Value {
      return x.getType().isF32() ? x : Value(arith::ExtFOp::create(nb, l, f32, x));
    };
    Value q;
    if (mode == Mode::BF16) {
      q = elementwise(b, loc, t.getShape(), elemType, {src}, {srcMap},
                      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        Value x = a[0];
                        if (x.getType() == elemType)
                          return x;
                        return arith::TruncFOp::create(nb, l, elemType, toF32(nb, l, x));
                      });
    } else if (dynamic) {
      Value amax = emitAmax(b, loc, src);
      rootAmax[root] = amax;
      AffineMap scalarMap = AffineMap::get(rank, 0, {}, ctx);
      q = elementwise(b, loc, t.getShape(), elemType, {src, amax}, {srcMap, scalarMap},
                      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        Value am = amaxInBody(nb, l, a[1]);
                        Value inv = arith::DivFOp::create(nb, l, f32Const(nb, l, maxFinite), am);
                        Value s = arith::MulFOp::create(nb, l, toF32(nb, l, a[0]), inv);
                        return arith::TruncFOp::create(nb, l, elemType, s);
                      });
    } else {
      unsigned idx = rootIndex.lookup(root);
      float amax = std::max(calibratedAmax[idx], kTinyAmax);
      float inv = maxFinite / amax;
      q = elementwise(b, loc, t.getShape(), elemType, {src}, {srcMap},
                      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        Value s = arith::MulFOp::create(nb, l, toF32(nb, l, a[0]),
                                                        f32Const(nb, l, inv));
                        return arith::TruncFOp::create(nb, l, elemType, s);
                      });
    }
    quantizedRoot[root] = q;
    return q;
  }

  /// Replays the data movement from `root` to `operand` on the quantized root.
  FailureOr<Value> quantizedActivation(OpBuilder &b, Value operand) {
    auto [root, moves] = traceRoot(operand);
    FailureOr<Value> q = quantizeRoot(b, root);
    if (failed(q))
      return failure();
    Value cur = *q;
    for (Operation *op : moves) {
      Location loc = op->getLoc();
      auto resT = cast<RankedTensorType>(op->getResult(0).getType());
      auto newT = RankedTensorType::get(resT.getShape(), elemType);
      if (auto s = dyn_cast<tensor::ExtractSliceOp>(op)) {
        cur = tensor::ExtractSliceOp::create(b, loc, newT, cur, s.getMixedOffsets(),
                                             s.getMixedSizes(), s.getMixedStrides());
      } else if (auto c = dyn_cast<tensor::CollapseShapeOp>(op)) {
        cur = tensor::CollapseShapeOp::create(b, loc, newT, cur, c.getReassociationIndices());
      } else if (auto e = dyn_cast<tensor::ExpandShapeOp>(op)) {
        cur = tensor::ExpandShapeOp::create(b, loc, newT, cur, e.getReassociationIndices());
      } else if (auto p = dyn_cast<tensor::PadOp>(op)) {
        Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(elemType, 0.0));
        cur = tensor::PadOp::create(b, loc, newT, cur, p.getMixedLowPad(), p.getMixedHighPad(),
                                    zero, p.getNofold());
      } else {
        return op->emitOpError("unexpected data movement op in trn-quantize");
      }
    }
    return cur;
  }

  /// Encodes f32 values into a dense constant of the quantized element type.
  DenseElementsAttr encodeConstant(RankedTensorType type, ArrayRef<float> values) {
    auto newT = RankedTensorType::get(type.getShape(), elemType);
    unsigned bytes = trnrt::dtypeBits(elemDType) / 8;
    std::vector<char> raw(values.size() * bytes);
    trnrt::encodeFromF32(elemDType, values.data(), reinterpret_cast<uint8_t *>(raw.data()), 0,
                         values.size(), trnrt::Overflow::Saturate);
    return DenseElementsAttr::getFromRawBuffer(newT, raw);
  }

  /// Scale of one role of a chain; quantizes its constants in place.
  FailureOr<RoleScale> processRole(OpBuilder &b, Chain &c, unsigned r) {
    RoleScale rs;
    rs.maxFinite = maxFinite;
    if (mode == Mode::BF16) {
      rs.kind = RoleScale::One;
      return rs;
    }
    if (!c.roles[r].constant) {
      if (dynamic) {
        // Filled in once the root is quantized (rootAmax).
        rs.kind = RoleScale::Dynamic;
      } else {
        rs.kind = RoleScale::Scalar;
        unsigned idx = rootIndex.lookup(c.roles[r].root);
        rs.scalar = std::max(calibratedAmax[idx], kTinyAmax) / maxFinite;
      }
      return rs;
    }
    // Constants: amax over the whole chain, per tensor or per channel (last dim).
    SmallVector<std::vector<float>> vals;
    SmallVector<DenseElementsAttr> attrs;
    int64_t channels = 0;
    bool channelWise = perChannel;
    for (linalg::LinalgOp op : c.ops) {
      DenseElementsAttr attr;
      std::optional<std::vector<float>> v = constantValues(op.getDpsInputOperand(r)->get(), attr);
      vals.push_back(std::move(*v));
      attrs.push_back(attr);
      auto t = cast<RankedTensorType>(attr.getType());
      channels = t.getShape().back();
      channelWise &= t.getRank() == 2;
    }
    std::vector<float> amax(channelWise ? channels : 1, 0.0f);
    bool nonFinite = false;
    for (const std::vector<float> &v : vals)
      for (size_t i = 0; i < v.size(); ++i) {
        float a = std::fabs(v[i]);
        if (!std::isfinite(a)) {
          nonFinite = true;
          continue;
        }
        float &slot = amax[channelWise ? i % channels : 0];
        slot = std::max(slot, a);
      }
    if (nonFinite)
      return c.ops.front()->emitOpError("constant operand ")
             << r << " contains Inf or NaN; trn-quantize cannot choose a finite scale for it",
             failure();
    std::vector<float> scale(amax.size());
    for (size_t i = 0; i < amax.size(); ++i)
      scale[i] = amax[i] > 0.0f ? amax[i] / maxFinite : 1.0f;
    for (auto [op, v, attr] : llvm::zip(c.ops, vals, attrs)) {
      for (size_t i = 0; i < v.size(); ++i)
        v[i] = v[i] / scale[channelWise ? i % channels : 0];
      DenseElementsAttr q = encodeConstant(cast<RankedTensorType>(attr.getType()), v);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPoint(op);
      Value cst = arith::ConstantOp::create(b, op->getLoc(), q);
      op->setOperand(r, cst);
    }
    if (channelWise) {
      rs.kind = RoleScale::PerChannel;
      rs.channel = std::move(scale);
    } else {
      rs.kind = RoleScale::Scalar;
      rs.scalar = scale[0];
    }
    return rs;
  }

  /// C * (s_L * s_R) (+ `addend`, same shape as C) for C[.., m, n].
  /// `chanDims[r]`: the dim of `c` indexed by role r's channels (default:
  /// C's m = rank-2 for L, n = rank-1 for R).
  Value rescale(OpBuilder &b, Location loc, Value c, const RoleScale (&rs)[2], Value addend,
                std::optional<std::array<int64_t, 2>> chanDims = std::nullopt) {
    auto t = tensorType(c);
    MLIRContext *ctx = b.getContext();
    unsigned rank = t.getRank();
    std::array<int64_t, 2> cd = chanDims ? *chanDims
                                         : std::array<int64_t, 2>{int64_t(rank) - 2,
                                                                  int64_t(rank) - 1};
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<Value> inputs = {c};
    SmallVector<AffineMap> maps = {id};
    float scalar = 1.0f;
    // Role L's channels are C's dim rank-2 (m), role R's dim rank-1 (n).
    int vecArg[2] = {-1, -1}, amaxArg[2] = {-1, -1};
    for (unsigned r = 0; r < 2; ++r) {
      switch (rs[r].kind) {
      case RoleScale::One:
        break;
      case RoleScale::Scalar:
        scalar *= rs[r].scalar;
        break;
      case RoleScale::PerChannel: {
        const std::vector<float> &v = rs[r].channel;
        auto vt = RankedTensorType::get({static_cast<int64_t>(v.size())}, b.getF32Type());
        Value cst = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vt, ArrayRef(v)));
        vecArg[r] = inputs.size();
        inputs.push_back(cst);
        maps.push_back(AffineMap::get(rank, 0, {getAffineDimExpr(cd[r], ctx)}, ctx));
        break;
      }
      case RoleScale::Dynamic:
        amaxArg[r] = inputs.size();
        inputs.push_back(rs[r].amax);
        maps.push_back(AffineMap::get(rank, 0, {}, ctx));
        scalar /= rs[r].maxFinite;
        break;
      }
    }
    int addArg = -1;
    if (addend) {
      addArg = inputs.size();
      inputs.push_back(addend);
      maps.push_back(id);
    }
    Type elem = t.getElementType();
    Type f32 = b.getF32Type();
    return elementwise(b, loc, t.getShape(), elem, inputs, maps,
                       [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         Value x = a[0];
                         if (!x.getType().isF32())
                           x = arith::ExtFOp::create(nb, l, f32, x);
                         for (unsigned r = 0; r < 2; ++r) {
                           if (amaxArg[r] < 0)
                             continue;
                           Value am = amaxInBody(nb, l, a[amaxArg[r]]);
                           x = arith::MulFOp::create(nb, l, x, am);
                         }
                         for (unsigned r = 0; r < 2; ++r)
                           if (vecArg[r] >= 0)
                             x = arith::MulFOp::create(nb, l, x, a[vecArg[r]]);
                         if (scalar != 1.0f)
                           x = arith::MulFOp::create(nb, l, x, f32Const(nb, l, scalar));
                         if (addArg >= 0) {
                           Value y = a[addArg];
                           if (!y.getType().isF32())
                             y = arith::ExtFOp::create(nb, l, f32, y);
                           x = arith::AddFOp::create(nb, l, x, y);
                         }
                         if (x.getType() != elem)
                           x = arith::TruncFOp::create(nb, l, elem, x);
                         return x;
                       });
  }

  /// Moves `v` forward through single-use expand/collapse_shape ops while
  /// every per-channel role's dim stays one dim of the reshaped value.
  static void followReshapes(Value &v, std::array<int64_t, 2> &dims, const RoleScale (&rs)[2]) {
    while (v.hasOneUse()) {
      Operation *user = *v.getUsers().begin();
      std::array<int64_t, 2> next = {-1, -1};
      SmallVector<ReassociationIndices> groups;
      bool expand = false;
      if (auto e = dyn_cast<tensor::ExpandShapeOp>(user)) {
        groups = e.getReassociationIndices();
        expand = true;
      } else if (auto c = dyn_cast<tensor::CollapseShapeOp>(user)) {
        groups = c.getReassociationIndices();
      } else {
        return;
      }
      for (unsigned r = 0; r < 2; ++r)
        for (auto [g, group] : llvm::enumerate(groups)) {
          if (expand ? static_cast<int64_t>(g) != dims[r] : !llvm::is_contained(group, dims[r]))
            continue;
          if (group.size() == 1)
            next[r] = expand ? group[0] : static_cast<int64_t>(g);
        }
      for (unsigned r = 0; r < 2; ++r)
        if (rs[r].kind == RoleScale::PerChannel && next[r] < 0)
          return;
      v = user->getResult(0);
      dims = next;
    }
  }

  /// Re-creates a contraction with its current operands so that the named
  /// op's body matches the (new) operand element types.
  static linalg::LinalgOp rebuild(OpBuilder &b, linalg::LinalgOp op) {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(op);
    SmallVector<NamedAttribute> attrs = {op->getAttrDictionary().getNamed("indexing_maps").value()};
    SmallVector<Value> ins = op.getDpsInputs(), outs = op.getDpsInits();
    TypeRange types = op->getResultTypes();
    Operation *n;
    if (isa<linalg::BatchMatmulOp>(op))
      n = linalg::BatchMatmulOp::create(b, op->getLoc(), types, ins, outs, attrs);
    else
      n = linalg::MatmulOp::create(b, op->getLoc(), types, ins, outs, attrs);
    op->replaceAllUsesWith(n);
    op->erase();
    return cast<linalg::LinalgOp>(n);
  }

  /// A zero fill, possibly seen through slices/reshapes (conv taps start from
  /// a view of the conv's filled init).
  static bool isZeroFill(Value init) {
    init = traceRoot(init).first;
    auto fill = init.getDefiningOp<linalg::FillOp>();
    FloatAttr f;
    return fill && matchPattern(fill.getInputs()[0], m_Constant(&f)) && f.getValue().isZero();
  }

  /// Rewrites the chains; returns the values to expose as debug outputs
  /// (each chain's final result) in chain order.
  FailureOr<SmallVector<Value>> run() {
    OpBuilder b(func.getContext());
    SmallVector<Value> outputs;
    for (Chain &c : chains) {
      linalg::LinalgOp head = c.ops.front(), tail = c.ops.back();
      if (mode == Mode::None) {
        outputs.push_back(tail->getResult(0));
        continue;
      }
      RoleScale rs[2];
      for (unsigned r = 0; r < 2; ++r) {
        FailureOr<RoleScale> s = processRole(b, c, r);
        if (failed(s))
          return failure();
        rs[r] = std::move(*s);
      }
      // Activation operands: quantize roots, replay data movement.
      for (linalg::LinalgOp op : c.ops) {
        b.setInsertionPoint(op);
        for (unsigned r = 0; r < 2; ++r) {
          if (c.roles[r].constant && mode != Mode::BF16)
            continue;
          Value v = op.getDpsInputOperand(r)->get();
          if (c.roles[r].constant) {
            // bf16 mode: constants rounded at compile time.
            DenseElementsAttr attr;
            std::optional<std::vector<float>> vals = constantValues(v, attr);
            if (attr.getElementType() == elemType)
              continue;
            DenseElementsAttr q = encodeConstant(cast<RankedTensorType>(attr.getType()), *vals);
            op->setOperand(r, arith::ConstantOp::create(b, op->getLoc(), q));
            continue;
          }
          if (tensorType(v).getElementType() == elemType && mode == Mode::BF16)
            continue;
          FailureOr<Value> q = quantizedActivation(b, v);
          if (failed(q))
            return failure();
          op->setOperand(r, *q);
        }
      }
      for (unsigned r = 0; r < 2; ++r)
        if (rs[r].kind == RoleScale::Dynamic)
          rs[r].amax = rootAmax.lookup(c.roles[r].root);
      bool scaled = rs[0].kind != RoleScale::One || rs[1].kind != RoleScale::One;
      // A non-zero initial value (bias, residual, an `outs` argument) is added
      // after the rescale, in real units: the chain starts from zero.
      Value init = head.getDpsInitOperand(0)->get();
      Value addend;
      if (scaled && !isZeroFill(init)) {
        b.setInsertionPoint(head);
        auto it = tensorType(init);
        Value empty = tensor::EmptyOp::create(b, head->getLoc(), it.getShape(),
                                              it.getElementType());
        Value zero = arith::ConstantOp::create(b, head->getLoc(),
                                               b.getFloatAttr(it.getElementType(), 0.0));
        Value fill = linalg::FillOp::create(b, head->getLoc(), zero, empty).getResult(0);
        head->setOperand(head.getDpsInitOperand(0)->getOperandNumber(), fill);
        addend = init;
      }
      for (linalg::LinalgOp &op : c.ops)
        op = rebuild(b, op);
      head = c.ops.front();
      tail = c.ops.back();
      if (!scaled) {
        outputs.push_back(tail->getResult(0));
        continue;
      }
      // Result: back to real units for every user. A chain (conv taps) whose
      // result is only reshaped (expand_shape back to the conv's layout) is
      // rescaled after the reshapes, so the taps stay one fused PSUM
      // accumulation with the reshape as their consumer, as without
      // quantization.
      Value result = tail->getResult(0);
      std::array<int64_t, 2> dims = {tensorType(result).getRank() - 2,
                                     tensorType(result).getRank() - 1};
      if (c.ops.size() > 1 && !addend)
        followReshapes(result, dims, rs);
      b.setInsertionPointAfterValue(result);
      Value deq = rescale(b, result.getLoc(), result, rs, addend, dims);
      result.replaceAllUsesExcept(deq, deq.getDefiningOp());
      outputs.push_back(deq);
    }
    return outputs;
  }
};

/// OCP MX quantization (--quant=mxfp8 / mxfp4, trn3; docs/quantization.md
/// "MX"). Every device-form contraction C[m, n] = sum_k L[k, m] R[k, n]
/// becomes one scaled-contraction linalg.generic (trn::tileutils::isMxContraction)
/// over codes L, R and E8M0 block scales Ls[k floordiv 32, m],
/// Rs[k floordiv 32, n]; its result is in real units (no rescale).
///  * Constants: quantized at compile time per block of 32 along K
///    (trnrt::mxScaleE8M0 + mxQuantizeBlock): MXFP8 E4M3, or MXFP4 E2M1 in
///    mxfp4 mode when the FP4 tiles stay byte-aligned (an even free dim) and,
///    for a K that is not a multiple of 128, the other operand is not FP4
///    (its zero padding cancels the FP4 tile's padding rows); otherwise E4M3.
///  * Activations: MXFP8 E4M3 on the device: a block-amax generic (max |v|
///    per 32 along K) and a quantize generic (codes and scales by the OCP
///    rule, exact for finite inputs), lowered together to trn.quantize_mx.
struct MxQuantizer {
  MxQuantizer(func::FuncOp func, Mode mode) : func(func), mode(mode) {}

  func::FuncOp func;
  Mode mode;
  DenseMap<Value, std::pair<Value, Value>> quantized; // activation -> (codes, scales)

  static Type e8m0(Builder &b) { return b.getType<Float8E8M0FNUType>(); }

  /// Codes and scales constants of a constant operand [b.., K, X].
  std::pair<Value, Value> quantizeConstant(OpBuilder &b, Location loc, RankedTensorType type,
                                           ArrayRef<float> vals, bool allowPaddedFp4) {
    ArrayRef<int64_t> shape = type.getShape();
    int64_t rank = shape.size(), K = shape[rank - 2], X = shape[rank - 1];
    int64_t batch = 1;
    for (int64_t s : shape.drop_back(2))
      batch *= s;
    const int64_t Kb = llvm::divideCeil(K, trn::tileutils::kMxBlock);
    // MXFP4 where the lowering can stage FP4 tiles: byte aligned (an even
    // free dim). FP4 is never written on the device, so a K tail that needs
    // padding is filled with finite FP4 data and relies on the other operand's
    // zero padding (allowPaddedFp4: the other operand is not FP4).
    bool fp4 = mode == Mode::MXFP4 && X % 2 == 0 &&
               (K % 128 == 0 || (allowPaddedFp4 && K >= trn::tileutils::kMxBlock));
    trnrt::DType elem = fp4 ? trnrt::DType::F4E2M1 : trnrt::DType::F8E4M3;
    Type elemType = fp4 ? Type(b.getType<Float4E2M1FNType>()) : b.getType<Float8E4M3FNType>();
    std::vector<char> codes(vals.size()), scales(batch * Kb * X);
    float block[trn::tileutils::kMxBlock];
    uint8_t blockCodes[trn::tileutils::kMxBlock];
    for (int64_t bi = 0; bi < batch; ++bi)
      for (int64_t kb = 0; kb < Kb; ++kb) {
        int64_t k0 = kb * trn::tileutils::kMxBlock;
        int64_t cnt = std::min<int64_t>(trn::tileutils::kMxBlock, K - k0);
        for (int64_t x = 0; x < X; ++x) {
          for (int64_t i = 0; i < cnt; ++i)
            block[i] = vals[(bi * K + k0 + i) * X + x];
          uint8_t sc = trnrt::mxScaleE8M0(block, cnt, elem);
          trnrt::mxQuantizeBlock(block, cnt, elem, sc, blockCodes);
          scales[(bi * Kb + kb) * X + x] = static_cast<char>(sc);
          for (int64_t i = 0; i < cnt; ++i)
            codes[(bi * K + k0 + i) * X + x] = static_cast<char>(blockCodes[i]);
        }
      }
    // Dense storage of sub-byte float types is one element per byte.
    auto codesT = RankedTensorType::get(shape, elemType);
    SmallVector<int64_t> sshape(shape);
    sshape[rank - 2] = Kb;
    auto scalesT = RankedTensorType::get(sshape, e8m0(b));
    Value c = arith::ConstantOp::create(b, loc, DenseElementsAttr::getFromRawBuffer(codesT, codes));
    Value s =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::getFromRawBuffer(scalesT, scales));
    return {c, s};
  }

  /// Device MXFP8 (E4M3) quantization of an activation operand [b.., K, X]
  /// (cached per value): block amax, then codes and scales.
  std::pair<Value, Value> quantizeActivation(OpBuilder &b, Value v) {
    if (auto it = quantized.find(v); it != quantized.end())
      return it->second;
    OpBuilder::InsertionGuard g(b);
    if (Operation *def = v.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
    Location loc = v.getLoc();
    MLIRContext *ctx = b.getContext();
    auto t = tensorType(v);
    unsigned rank = t.getRank();
    ArrayRef<int64_t> shape = t.getShape();
    SmallVector<int64_t> sshape(shape);
    sshape[rank - 2] = llvm::divideCeil(shape[rank - 2], trn::tileutils::kMxBlock);
    Type f32 = b.getF32Type();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap blockMap = trn::tileutils::mxScaleMap(id);
    SmallVector<utils::IteratorType> par(rank, utils::IteratorType::parallel);
    SmallVector<utils::IteratorType> red = par;
    red[rank - 2] = utils::IteratorType::reduction;

    // amax[b.., k floordiv 32, x] = max |v| (from 0).
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    Value amaxInit = linalg::FillOp::create(b, loc, zero,
                                            tensor::EmptyOp::create(b, loc, sshape, f32).getResult())
                         .getResult(0);
    auto amax = linalg::GenericOp::create(
        b, loc, TypeRange{amaxInit.getType()}, ValueRange{v}, ValueRange{amaxInit},
        ArrayRef<AffineMap>{id, blockMap}, red,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value x = a[0];
          if (!x.getType().isF32())
            x = arith::ExtFOp::create(nb, l, f32, x);
          Value ax = math::AbsFOp::create(nb, l, x);
          linalg::YieldOp::create(nb, l, Value(arith::MaximumFOp::create(nb, l, a[1], ax)));
        });
    amax->setAttr(trn::tileutils::kMxBlockAmaxAttr, b.getUnitAttr());

    // OCP MX rule (QUANT.md): X = 2^(floor(log2(amax)) - emax), amax == 0 ->
    // the smallest normal; the exponent clamps at -127; a NaN block gets the
    // NaN scale; codes = v / X, RNE, saturated to +-448.
    Type codeT = b.getType<Float8E4M3FNType>();
    const int emax = trnrt::mxElemEmax(trnrt::DType::F8E4M3);
    const float maxF = static_cast<float>(trnrt::maxFinite(trnrt::DType::F8E4M3));
    Value codesInit = tensor::EmptyOp::create(b, loc, shape, codeT);
    Value scalesInit = tensor::EmptyOp::create(b, loc, sshape, e8m0(b));
    auto q = linalg::GenericOp::create(
        b, loc, TypeRange{codesInit.getType(), scalesInit.getType()},
        ValueRange{v, amax.getResult(0)}, ValueRange{codesInit, scalesInit},
        ArrayRef<AffineMap>{id, blockMap, id, blockMap}, par,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Type i32 = nb.getI32Type(), i8 = nb.getI8Type();
          auto ci = [&](int64_t c) -> Value {
            return arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(c));
          };
          auto cf = [&](float c) -> Value {
            return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(c));
          };
          Value am = arith::MaximumFOp::create(nb, l, a[1], cf(0x1p-126f));
          Value bits = arith::BitcastOp::create(nb, l, i32, am);
          Value e = arith::SubIOp::create(nb, l, arith::ShRUIOp::create(nb, l, bits, ci(23)),
                                          ci(127 + emax));
          e = arith::MaxSIOp::create(nb, l, e, ci(-127));
          // 1 / X = 2^-e (a normal f32 for e in [-127, 119]).
          Value invBits = arith::ShLIOp::create(nb, l, arith::SubIOp::create(nb, l, ci(127), e),
                                                ci(23));
          Value inv = arith::BitcastOp::create(nb, l, nb.getF32Type(), invBits);
          Value x = a[0];
          if (!x.getType().isF32())
            x = arith::ExtFOp::create(nb, l, nb.getF32Type(), x);
          Value y = arith::MulFOp::create(nb, l, x, inv);
          y = arith::MinimumFOp::create(nb, l, arith::MaximumFOp::create(nb, l, y, cf(-maxF)),
                                        cf(maxF));
          Value code = arith::TruncFOp::create(nb, l, codeT, y);
          Value sc = arith::TruncIOp::create(nb, l, i8, arith::AddIOp::create(nb, l, e, ci(127)));
          Value isNan = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UNO, a[1], a[1]);
          sc = arith::SelectOp::create(nb, l, isNan,
                                       arith::ConstantOp::create(nb, l, nb.getI8IntegerAttr(-1)),
                                       sc);
          Value scale = arith::BitcastOp::create(nb, l, e8m0(nb), sc);
          linalg::YieldOp::create(nb, l, ValueRange{code, scale});
        });
    q->setAttr(trn::tileutils::kMxQuantizeAttr, b.getUnitAttr());
    return quantized[v] = {q.getResult(0), q.getResult(1)};
  }

  /// The scaled contraction replacing `op`; returns its (real-unit) result.
  FailureOr<Value> rewrite(OpBuilder &b, linalg::LinalgOp op) {
    Location loc = op->getLoc();
    b.setInsertionPoint(op);
    Value codes[2], scales[2];
    for (unsigned r = 0; r < 2; ++r) {
      Value v = op.getDpsInputOperand(r)->get();
      DenseElementsAttr attr;
      if (std::optional<std::vector<float>> vals = constantValues(v, attr)) {
        bool otherFp4 = r == 1 && isa<Float4E2M1FNType>(tensorType(codes[0]).getElementType());
        std::tie(codes[r], scales[r]) = quantizeConstant(
            b, loc, cast<RankedTensorType>(attr.getType()), *vals, /*allowPaddedFp4=*/!otherFp4);
        continue;
      }
      Type et = tensorType(v).getElementType();
      if (!et.isF32() && !et.isBF16() && !et.isF16())
        return op->emitOpError("operand ")
               << r << " has element type " << et
               << "; MX quantization of activations needs f32, bf16 or f16",
               failure();
      std::tie(codes[r], scales[r]) = quantizeActivation(b, v);
    }
    b.setInsertionPoint(op);
    MLIRContext *ctx = b.getContext();
    Value init = op.getDpsInitOperand(0)->get();
    auto ct = tensorType(op->getResult(0));
    Type f32 = b.getF32Type();
    unsigned rank = ct.getRank();
    AffineMap idOut = AffineMap::getMultiDimIdentityMap(rank, ctx);
    // PSUM accumulates in f32: a narrower result is accumulated in f32 and
    // rounded once afterwards.
    bool narrow = !ct.getElementType().isF32();
    if (narrow) {
      auto wideT = RankedTensorType::get(ct.getShape(), f32);
      Value empty = tensor::EmptyOp::create(b, loc, ct.getShape(), f32);
      if (auto fill = init.getDefiningOp<linalg::FillOp>()) {
        Value val = fill.getInputs()[0];
        if (!val.getType().isF32())
          val = arith::ExtFOp::create(b, loc, f32, val);
        init = linalg::FillOp::create(b, loc, val, empty).getResult(0);
      } else {
        init = linalg::GenericOp::create(
                   b, loc, TypeRange{wideT}, ValueRange{init}, ValueRange{empty},
                   ArrayRef<AffineMap>{idOut, idOut},
                   SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     linalg::YieldOp::create(nb, l,
                                             Value(arith::ExtFOp::create(nb, l, f32, a[0])));
                   })
                   .getResult(0);
      }
    }
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    AffineMap lMap = maps[0], rMap = maps[1], cMap = maps[2];
    SmallVector<AffineMap> newMaps = {lMap, rMap, trn::tileutils::mxScaleMap(lMap),
                                      trn::tileutils::mxScaleMap(rMap), cMap};
    SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
    auto g = linalg::GenericOp::create(
        b, loc, TypeRange{init.getType()},
        ValueRange{codes[0], codes[1], scales[0], scales[1]}, ValueRange{init}, newMaps, iters,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value x = arith::ScalingExtFOp::create(nb, l, f32, a[0], a[2], arith::FastMathFlagsAttr());
          Value y = arith::ScalingExtFOp::create(nb, l, f32, a[1], a[3], arith::FastMathFlagsAttr());
          Value p = arith::MulFOp::create(nb, l, x, y);
          linalg::YieldOp::create(nb, l, Value(arith::AddFOp::create(nb, l, a[4], p)));
        });
    g->setAttr(trn::tileutils::kMxContractionAttr, b.getUnitAttr());
    Value result = g.getResult(0);
    if (narrow) {
      Value empty = tensor::EmptyOp::create(b, loc, ct.getShape(), ct.getElementType());
      result = linalg::GenericOp::create(
                   b, loc, TypeRange{ct}, ValueRange{result}, ValueRange{empty},
                   ArrayRef<AffineMap>{idOut, idOut},
                   SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     linalg::YieldOp::create(
                         nb, l, Value(arith::TruncFOp::create(nb, l, ct.getElementType(), a[0])));
                   })
                   .getResult(0);
    }
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
    return result;
  }

  /// Rewrites every contraction (in program order); returns their results.
  FailureOr<SmallVector<Value>> run() {
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](Operation *op) {
      if (isDeviceContraction(op))
        ops.push_back(cast<linalg::LinalgOp>(op));
    });
    OpBuilder b(func.getContext());
    SmallVector<Value> results;
    for (linalg::LinalgOp op : ops) {
      FailureOr<Value> r = rewrite(b, op);
      if (failed(r))
        return failure();
      results.push_back(*r);
    }
    return results;
  }
};

struct TrnQuantizePass : public trn::impl::TrnQuantizePassBase<TrnQuantizePass> {
  using TrnQuantizePassBase::TrnQuantizePassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<Mode> m = parseMode(mode);
    if (!m) {
      module.emitError() << "trn-quantize: unknown mode '" << mode
                         << "'; modes: none, bf16, fp8-e4m3, fp8-e5m2, mxfp8, mxfp4";
      return signalPassFailure();
    }
    if (weightScales != "per-tensor" && weightScales != "per-channel") {
      module.emitError() << "trn-quantize: unknown weight-scales '" << weightScales
                         << "'; expected per-tensor or per-channel";
      return signalPassFailure();
    }
    if (activationScales != "dynamic" && activationScales != "static") {
      module.emitError() << "trn-quantize: unknown activation-scales '" << activationScales
                         << "'; expected dynamic or static";
      return signalPassFailure();
    }
    const trnrt::Target &target = trn::getTarget(module);
    if (*m != Mode::None && *m != Mode::BF16) {
      trnrt::MatmulMode need =
          isMx(*m) ? trnrt::MatmulMode::Mx : trnrt::MatmulMode::Normal;
      trnrt::DType probe = *m == Mode::FP8E5M2 ? trnrt::DType::F8E5M2
                           : *m == Mode::MXFP4 ? trnrt::DType::F4E2M1
                                               : trnrt::DType::F8E4M3;
      if (!target.isLegalMatmulOperand(need, probe)) {
        std::string can;
        for (const std::string &n : trnrt::Target::names()) {
          const trnrt::Target *t = trnrt::Target::get(n);
          if (t->isLegalMatmulOperand(need, probe))
            can += (can.empty() ? "" : ", ") + n;
        }
        // At the first contraction (the module's location is often unknown).
        Location loc = module.getLoc();
        module.walk([&](Operation *op) {
          if (!isDeviceContraction(op))
            return WalkResult::advance();
          loc = op->getLoc();
          return WalkResult::interrupt();
        });
        emitError(loc) << "--quant=" << mode << " needs "
                           << (isMx(*m) ? "the MX matmul" : "FP8 matmul operands")
                           << ", which " << target.name << " does not have; available on "
                           << (can.empty() ? std::string("no target") : can);
        return signalPassFailure();
      }
    }
    if (isMx(*m)) {
      if (activationScales == "static" || !activationAmax.empty()) {
        module.emitError() << "--quant=" << mode
                           << ": MX block scales are computed per 32 elements on the device; "
                              "static (calibrated) activation scales apply to fp8-e4m3/fp8-e5m2 "
                              "only";
        return signalPassFailure();
      }
      if (calibrationOutputs) {
        module.emitError() << "trn-quantize: calibration-outputs needs mode=none";
        return signalPassFailure();
      }
      for (auto func : module.getOps<func::FuncOp>()) {
        if (func.isExternal())
          continue;
        MxQuantizer mxq(func, *m);
        SmallVector<Chain> chains; // one per contraction, for describe()
        if (debugOutputs)
          func.walk([&](Operation *op) {
            if (isDeviceContraction(op)) {
              Chain c;
              c.ops.push_back(cast<linalg::LinalgOp>(op));
              chains.push_back(c);
            }
          });
        SmallVector<Attribute> descs;
        for (const Chain &c : chains)
          descs.push_back(StringAttr::get(module.getContext(), describe(c)));
        FailureOr<SmallVector<Value>> outs = mxq.run();
        if (failed(outs))
          return signalPassFailure();
        if (debugOutputs) {
          func->setAttr("trnc.quant_ops", ArrayAttr::get(module.getContext(), descs));
          if (!outs->empty())
            appendResults(func, *outs, "quant.op");
        }
        SmallVector<Operation *> ops;
        func.walk<WalkOrder::PostOrder>([&](Operation *op) { ops.push_back(op); });
        for (Operation *op : llvm::reverse(ops))
          if (isOpTriviallyDead(op))
            op->erase();
      }
      return;
    }

    SmallVector<float> amax(activationAmax.begin(), activationAmax.end());
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      QuantizeImpl impl(func, *m, weightScales == "per-channel", activationScales == "dynamic",
                        amax);
      Builder b(module.getContext());
      switch (*m) {
      case Mode::BF16:
        impl.elemType = b.getBF16Type();
        impl.elemDType = trnrt::DType::BF16;
        break;
      case Mode::FP8E4M3:
        impl.elemType = b.getType<Float8E4M3FNType>();
        impl.elemDType = trnrt::DType::F8E4M3;
        break;
      case Mode::FP8E5M2:
        impl.elemType = b.getType<Float8E5M2Type>();
        impl.elemDType = trnrt::DType::F8E5M2;
        break;
      default:
        impl.elemType = b.getF32Type();
        break;
      }
      impl.maxFinite = static_cast<float>(trnrt::maxFinite(impl.elemDType));
      impl.collectChains();
      if (isScaledFp8(*m) && !impl.dynamic && amax.size() < impl.rootIndex.size()) {
        func.emitError() << "trn-quantize: static activation scales need one calibrated amax per "
                            "activation operand root ("
                         << impl.rootIndex.size() << " in @" << func.getSymName() << "), got "
                         << amax.size();
        return signalPassFailure();
      }
      if (calibrationOutputs && *m != Mode::None) {
        func.emitError() << "trn-quantize: calibration-outputs needs mode=none";
        return signalPassFailure();
      }
      FailureOr<SmallVector<Value>> outs = impl.run();
      if (failed(outs))
        return signalPassFailure();
      SmallVector<Value> extra;
      StringRef prefix;
      if (calibrationOutputs) {
        for (auto &[root, idx] : impl.rootIndex)
          extra.push_back(root);
        prefix = "quant.calib";
      } else if (debugOutputs) {
        extra = *outs;
        prefix = "quant.op";
        // What each debug output is, for the quantization report.
        SmallVector<Attribute> descs;
        for (const Chain &c : impl.chains)
          descs.push_back(StringAttr::get(module.getContext(), describe(c)));
        func->setAttr("trnc.quant_ops", ArrayAttr::get(module.getContext(), descs));
      }
      if (!extra.empty())
        appendResults(func, extra, prefix);
      // The replaced f32 constants, slices and contractions are dead now.
      SmallVector<Operation *> ops;
      func.walk<WalkOrder::PostOrder>([&](Operation *op) { ops.push_back(op); });
      for (Operation *op : llvm::reverse(ops))
        if (isOpTriviallyDead(op))
          op->erase();
    }
  }

  /// "linalg.matmul at file:3:8 [128x64, K=256] (2 accumulating)".
  static std::string describe(const Chain &c) {
    std::string str;
    llvm::raw_string_ostream os(str);
    linalg::LinalgOp tail = c.ops.back();
    os << tail->getName() << " at ";
    bool found = false;
    tail->getLoc()->walk([&](Location l) {
      if (auto f = dyn_cast<FileLineColLoc>(l)) {
        os << f.getFilename().getValue() << ":" << f.getLine() << ":" << f.getColumn();
        found = true;
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (!found)
      os << "unknown location";
    auto ct = tensorType(tail->getResult(0));
    int64_t k = 0;
    for (linalg::LinalgOp op : c.ops)
      k += tensorType(op.getDpsInputOperand(0)->get()).getShape().drop_back().back();
    os << " [";
    llvm::interleave(ct.getShape(), os, "x");
    os << ", K=" << k << "]";
    if (c.ops.size() > 1)
      os << " (" << c.ops.size() << " accumulating)";
    return str;
  }

  /// Appends `values` to every return of `func` and to its signature, named
  /// `<prefix><i>`.
  static void appendResults(func::FuncOp func, ArrayRef<Value> values, StringRef prefix) {
    unsigned first = func.getNumResults();
    func.walk([&](func::ReturnOp ret) {
      SmallVector<Value> ops(ret.getOperands());
      ops.append(values.begin(), values.end());
      ret->setOperands(ops);
    });
    SmallVector<Type> results(func.getResultTypes());
    for (Value v : values)
      results.push_back(v.getType());
    func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(), results));
    MLIRContext *ctx = func.getContext();
    for (unsigned i = 0; i < values.size(); ++i)
      func.setResultAttr(first + i, "trn.name",
                         StringAttr::get(ctx, (prefix + Twine(i)).str()));
  }
};

} // namespace
