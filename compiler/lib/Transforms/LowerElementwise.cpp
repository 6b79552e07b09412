//===- LowerElementwise.cpp - element-wise linalg.generic -> trn ops ------===//
//
// A tile-level element-wise generic becomes instructions on [P, F] tiles: P =
// the partition loop dim (TileUtils.h), F = the other loop dims flattened in
// result order. HBM inputs are staged by DMA (broadcast dims walk with stride
// 0, transposing maps with permuted strides); inputs that only vary along the
// partition dim become [P, 1] per-partition columns usable as tensor_scalar /
// activation scalars. The body is lowered op by op on SBUF f32 temporaries:
//
//  * x*s + b chains with scalar s, b (immediates or columns) stay symbolic and
//    fold into the next ScalarE function: `f(x*s + b)` is one trn.activation;
//    `max(x*s + b, 0)` is relu; `1 / (1 + exp(-x))` is sigmoid;
//  * tile op tile -> tensor_tensor; tile op scalar -> tensor_scalar (scalar
//    constants as immediates, reversed for scalar-first operands);
//  * cmpf -> tensor_tensor/tensor_scalar comparisons producing 1.0/0.0;
//    select -> trn.select; truncf -> tensor_copy to the narrow type.
//
// The op producing the yielded value writes the output tile directly (its
// dtype rounds the result), which is DMAed to HBM unless it is on chip.
//
//===----------------------------------------------------------------------===//

#include "LowerUtils.h"
#include "TileUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::trn;
using namespace mlir::trn::lower;

namespace {

/// A body value during lowering.
struct Val {
  enum Kind { Imm, Col, Tile, Affine } kind = Imm;
  float imm = 0.0f;
  Value tile;                                // Col: [P,1]; Tile/Affine: [P,F]
  Scalar scale = Scalar::ofImm(1.0f);        // Affine: scale * tile + bias
  Scalar bias = Scalar::ofImm(0.0f);

  static Val ofImm(float v) { Val r; r.kind = Imm; r.imm = v; return r; }
  static Val ofCol(Value t) { Val r; r.kind = Col; r.tile = t; return r; }
  static Val ofTile(Value t) { Val r; r.kind = Tile; r.tile = t; return r; }
  static Val ofAffine(Value t, Scalar s, Scalar b) {
    Val r; r.kind = Affine; r.tile = t; r.scale = s; r.bias = b; return r;
  }
  bool isScalar() const { return kind == Imm || kind == Col; }
  Scalar asScalar() const { return kind == Imm ? Scalar::ofImm(imm) : Scalar::ofTile(tile); }
};

static bool isImm(const Scalar &s, float v) { return !s.tile && s.imm == v; }

class ElementwiseLowering {
public:
  ElementwiseLowering(TileEmitter &e, linalg::GenericOp op) : e(e), op(op) {}
  LogicalResult run();

private:
  TileEmitter &e;
  linalg::GenericOp op;
  int64_t P = 1, F = 1;
  unsigned pDim = 0;
  SmallVector<unsigned> freeDims;
  SmallVector<int64_t> loops;
  llvm::DenseMap<Value, Val> vals;
  Value dst, yielded;
  bool dstWritten = false;
  llvm::DenseMap<Value, Value> sigmoidOf;
  llvm::DenseMap<Value, std::pair<Value, ActFunc>> geluOf;
  llvm::SmallPtrSet<Operation *, 8> skipped;
  SmallVector<std::pair<Val, Value>> materialized; // Affine value -> its tile
  /// Inputs read through a strided view of a shared window load
  /// (loadWindowGroups): body argument -> on-chip view of the walk's shape.
  llvm::DenseMap<Value, Value> windowViews;

  Value newTile() { return e.alloc({P, F}, e.f32()); }
  Value newCol() { return e.alloc({P, 1}, e.f32()); }
  /// Where the op computing `res` writes: the output tile for the yielded
  /// value, a fresh f32 temporary otherwise.
  /// Whether `res` is the yielded value, possibly through a single-use
  /// extf/truncf (the output tile's dtype does the rounding).
  bool feedsYield(Value res) {
    if (res == yielded)
      return res.hasOneUse();
    if (!res.hasOneUse())
      return false;
    Operation *user = *res.getUsers().begin();
    return isa<arith::TruncFOp, arith::ExtFOp>(user) && user->getResult(0) == yielded &&
           yielded.hasOneUse();
  }
  Value targetFor(Value res) {
    if (feedsYield(res) && !dstWritten) {
      dstWritten = true;
      return dst;
    }
    return newTile();
  }
  Value targetColFor(Value) { return newCol(); }

  Value materialize(const Val &v, Value into = Value());
  FailureOr<Val> binary(Operation *bodyOp, AluOp aluOp, const Val &a, const Val &b, Value res);
  FailureOr<Val> unary(ActFunc func, const Val &a, Value res);
  FailureOr<Val> lowerBodyOp(Operation &bodyOp);
  LogicalResult loadInputs();
  void loadWindowGroups();
  /// `t` ([P, F] tile or window view) viewed with `shape` (row-major over a
  /// fresh [P, F] tile); null when `t` is a view that cannot be reshaped.
  Value conform(Value t, ArrayRef<int64_t> shape);
  void findSigmoids();
  void findGelus();
  void findSilus();
  SmallVector<AccessDim> walkFor(AffineMap map, bool column);
};

} // namespace

Value ElementwiseLowering::materialize(const Val &v, Value into) {
  switch (v.kind) {
  case Val::Tile:
    if (!into)
      return v.tile;
    e.tensorCopy(v.tile, into);
    return into;
  case Val::Affine: {
    if (!into)
      for (auto &[key, tile] : materialized)
        if (key.tile == v.tile && key.scale.tile == v.scale.tile &&
            key.scale.imm == v.scale.imm && key.bias.tile == v.bias.tile &&
            key.bias.imm == v.bias.imm)
          return tile;
    Value out = into ? into : newTile();
    if (!into)
      materialized.push_back({v, out});
    if (isImm(v.scale, 1.0f))
      e.tensorScalar(v.tile, out, AluOp::Add, v.bias);
    else if (isImm(v.bias, 0.0f))
      e.tensorScalar(v.tile, out, AluOp::Mul, v.scale);
    else
      e.tensorScalar(v.tile, out, AluOp::Mul, v.scale, false, AluOp::Add, v.bias);
    return out;
  }
  case Val::Imm: {
    Value out = into ? into : newTile();
    e.memset(v.imm, out);
    return out;
  }
  case Val::Col: {
    Value out = into ? into : newTile();
    Value zero = newTile();
    e.memset(0.0f, zero);
    e.tensorScalar(zero, out, AluOp::Add, Scalar::ofTile(v.tile));
    return out;
  }
  }
  return Value();
}

static float foldAlu(AluOp op, float a, float b) {
  switch (op) {
  case AluOp::Add: return a + b;
  case AluOp::Sub: return a - b;
  case AluOp::Mul: return a * b;
  case AluOp::Div: return a / b;
  case AluOp::Max: return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b);
  case AluOp::Min: return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b);
  case AluOp::IsEq: return a == b;
  case AluOp::IsNe: return a != b;
  case AluOp::IsLt: return a < b;
  case AluOp::IsLe: return a <= b;
  case AluOp::IsGt: return a > b;
  case AluOp::IsGe: return a >= b;
  default: return 0.0f;
  }
}

FailureOr<Val> ElementwiseLowering::binary(Operation *bodyOp, AluOp aluOp, const Val &a,
                                           const Val &b, Value res) {
  if (a.kind == Val::Imm && b.kind == Val::Imm)
    return Val::ofImm(foldAlu(aluOp, a.imm, b.imm));
  if (a.isScalar() && b.isScalar()) {
    Value out = targetColFor(res);
    if (a.kind == Val::Col && b.kind == Val::Col)
      e.tensorTensor(aluOp, a.tile, b.tile, out);
    else if (a.kind == Val::Col)
      e.tensorScalar(a.tile, out, aluOp, b.asScalar());
    else
      e.tensorScalar(b.tile, out, aluOp, a.asScalar(), /*rev0=*/true);
    return Val::ofCol(out);
  }
  // Symbolic x*s + b folding (tile-like with scalar-like).
  auto affineOf = [](const Val &v) {
    return v.kind == Val::Tile ? Val::ofAffine(v.tile, Scalar::ofImm(1.0f), Scalar::ofImm(0.0f))
                               : v;
  };
  if ((a.kind == Val::Tile || a.kind == Val::Affine) && b.isScalar()) {
    Val x = affineOf(a);
    Scalar c = b.asScalar();
    bool sImm = !x.scale.tile, bImm = !x.bias.tile, cImm = !c.tile;
    if (aluOp == AluOp::Add) {
      if (isImm(x.bias, 0.0f))
        return Val::ofAffine(x.tile, x.scale, c);
      if (bImm && cImm)
        return Val::ofAffine(x.tile, x.scale, Scalar::ofImm(x.bias.imm + c.imm));
    } else if (aluOp == AluOp::Sub && cImm) {
      if (bImm)
        return Val::ofAffine(x.tile, x.scale, Scalar::ofImm(x.bias.imm - c.imm));
    } else if (aluOp == AluOp::Sub && isImm(x.bias, 0.0f)) {
      // x - col = x + (-col): negate the [P, 1] column (exact), so that e.g.
      // exp(x - max) is one activation with a bias tile.
      Value neg = newCol();
      e.tensorScalar(c.tile, neg, AluOp::Mul, Scalar::ofImm(-1.0f));
      return Val::ofAffine(x.tile, x.scale, Scalar::ofTile(neg));
    } else if (aluOp == AluOp::Mul) {
      if (sImm && bImm && cImm)
        return Val::ofAffine(x.tile, Scalar::ofImm(x.scale.imm * c.imm),
                             Scalar::ofImm(x.bias.imm * c.imm));
      if (isImm(x.scale, 1.0f) && isImm(x.bias, 0.0f))
        return Val::ofAffine(x.tile, c, Scalar::ofImm(0.0f));
    }
  }
  if (a.isScalar() && (b.kind == Val::Tile || b.kind == Val::Affine)) {
    if (aluOp == AluOp::Add || aluOp == AluOp::Mul)
      return binary(bodyOp, aluOp, b, a, res);
    Val x = affineOf(b);
    Scalar c = a.asScalar();
    if (aluOp == AluOp::Sub && !x.scale.tile && !x.bias.tile) {
      // c - (s*t + b0) = (-s)*t + (c - b0)
      if (!c.tile)
        return Val::ofAffine(x.tile, Scalar::ofImm(-x.scale.imm), Scalar::ofImm(c.imm - x.bias.imm));
      if (x.bias.imm == 0.0f)
        return Val::ofAffine(x.tile, Scalar::ofImm(-x.scale.imm), c);
    }
  }
  // Relu: max(x, 0) on a tile-like value.
  if (aluOp == AluOp::Max && ((b.kind == Val::Imm && b.imm == 0.0f && !a.isScalar()) ||
                              (a.kind == Val::Imm && a.imm == 0.0f && !b.isScalar())))
    return unary(ActFunc::Relu, a.isScalar() ? b : a, res);

  if (!a.isScalar() && !b.isScalar()) {
    Value ta = materialize(a), tb = materialize(b);
    Value out = targetFor(res);
    e.tensorTensor(aluOp, ta, tb, out);
    return Val::ofTile(out);
  }
  bool scalarFirst = a.isScalar();
  const Val &t = scalarFirst ? b : a;
  const Val &s = scalarFirst ? a : b;
  Value src = materialize(t);
  Value out = targetFor(res);
  e.tensorScalar(src, out, aluOp, s.asScalar(), scalarFirst);
  return Val::ofTile(out);
}

static float foldAct(ActFunc f, float x) {
  switch (f) {
  case ActFunc::Identity: return x;
  case ActFunc::Relu: return x > 0 ? x : 0.0f;
  case ActFunc::Sigmoid: return 1.0f / (1.0f + std::exp(-x));
  case ActFunc::Tanh: return std::tanh(x);
  case ActFunc::Exp: return std::exp(x);
  case ActFunc::Log: return std::log(x);
  case ActFunc::Sqrt: return std::sqrt(x);
  case ActFunc::Rsqrt: return 1.0f / std::sqrt(x);
  case ActFunc::Erf: return std::erf(x);
  case ActFunc::Abs: return std::fabs(x);
  case ActFunc::Gelu: return 0.5f * x * (1.0f + std::erf(x / std::sqrt(2.0f)));
  case ActFunc::Silu: return x / (1.0f + std::exp(-x));
  case ActFunc::GeluTanh:
    return 0.5f * x *
           (1.0f + std::tanh(std::sqrt(2.0f / static_cast<float>(M_PI)) *
                             (x + 0.044715f * x * x * x)));
  default: return x;
  }
}

FailureOr<Val> ElementwiseLowering::unary(ActFunc func, const Val &a, Value res) {
  if (a.kind == Val::Imm)
    return Val::ofImm(foldAct(func, a.imm));
  if (a.kind == Val::Col) {
    Value out = targetColFor(res);
    e.activation(func, a.tile, out);
    return Val::ofCol(out);
  }
  Value out = targetFor(res);
  if (a.kind == Val::Tile)
    e.activation(func, a.tile, out);
  else
    e.activation(func, a.tile, out, a.scale, a.bias);
  return Val::ofTile(out);
}

static std::optional<float> constantOf(Value v) {
  if (auto c = v.getDefiningOp<arith::ConstantOp>()) {
    if (auto f = dyn_cast<FloatAttr>(c.getValue()))
      return static_cast<float>(f.getValueAsDouble());
  }
  return std::nullopt;
}

void ElementwiseLowering::findSigmoids() {
  // 1 / (1 + exp(-x))  and  1 / (exp(-x) + 1)
  op.getBody()->walk([&](arith::DivFOp div) {
    std::optional<float> one = constantOf(div.getLhs());
    auto add = div.getRhs().getDefiningOp<arith::AddFOp>();
    if (!one || *one != 1.0f || !add)
      return;
    Value other;
    if (std::optional<float> c = constantOf(add.getLhs()); c && *c == 1.0f)
      other = add.getRhs();
    else if (std::optional<float> c2 = constantOf(add.getRhs()); c2 && *c2 == 1.0f)
      other = add.getLhs();
    auto ex = other ? other.getDefiningOp<math::ExpOp>() : math::ExpOp();
    auto neg = ex ? ex.getOperand().getDefiningOp<arith::NegFOp>() : arith::NegFOp();
    if (!neg)
      return;
    sigmoidOf[div.getResult()] = neg.getOperand();
    for (Operation *inner : {neg.getOperation(), ex.getOperation(), add.getOperation()})
      if (inner->getResult(0).hasOneUse())
        skipped.insert(inner);
  });
}

/// `v` is `a op b` for the binary op OpTy with operands in either order where
/// `isA(a)`; returns b.
template <typename OpTy>
static Value matchCommutative(Value v, llvm::function_ref<bool(Value)> isA) {
  auto op = v.getDefiningOp<OpTy>();
  if (!op)
    return Value();
  if (isA(op.getLhs()))
    return op.getRhs();
  if (isA(op.getRhs()))
    return op.getLhs();
  return Value();
}

static bool isConstantNear(Value v, double c) {
  std::optional<float> f = constantOf(v);
  return f && std::fabs(*f - c) <= 1e-6 * std::max(1.0, std::fabs(c));
}

void ElementwiseLowering::findSilus() {
  // silu(x) = x * sigmoid(x), with the sigmoid recognised by findSigmoids.
  op.getBody()->walk([&](arith::MulFOp mul) {
    for (auto [a, b] : {std::pair(mul.getLhs(), mul.getRhs()), std::pair(mul.getRhs(), mul.getLhs())}) {
      auto it = sigmoidOf.find(b);
      if (it == sigmoidOf.end() || it->second != a)
        continue;
      geluOf[mul.getResult()] = {a, ActFunc::Silu};
      if (b.hasOneUse())
        skipped.insert(b.getDefiningOp());
      return;
    }
  });
}

void ElementwiseLowering::findGelus() {
  // gelu(x)      = (0.5 * x) * (1 + erf(x * sqrt(0.5)))
  // gelu_tanh(x) = (0.5 * x) * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x*x*x)))
  op.getBody()->walk([&](arith::MulFOp root) {
    for (auto [halfSide, rest] : {std::pair(root.getLhs(), root.getRhs()),
                                  std::pair(root.getRhs(), root.getLhs())}) {
      Value x = matchCommutative<arith::MulFOp>(halfSide,
                                                [](Value v) { return isConstantNear(v, 0.5); });
      if (!x)
        continue;
      Value fn = matchCommutative<arith::AddFOp>(rest,
                                                 [](Value v) { return isConstantNear(v, 1.0); });
      if (!fn)
        continue;
      SmallVector<Operation *> chain{halfSide.getDefiningOp(), rest.getDefiningOp()};
      ActFunc func;
      if (auto erf = fn.getDefiningOp<math::ErfOp>()) {
        Value arg = matchCommutative<arith::MulFOp>(
            erf.getOperand(), [](Value v) { return isConstantNear(v, std::sqrt(0.5)); });
        if (arg != x)
          continue;
        chain.append({erf, erf.getOperand().getDefiningOp()});
        func = ActFunc::Gelu;
      } else if (auto th = fn.getDefiningOp<math::TanhOp>()) {
        Value inner = matchCommutative<arith::MulFOp>(
            th.getOperand(), [](Value v) { return isConstantNear(v, std::sqrt(2.0 / M_PI)); });
        Value cubic = inner ? matchCommutative<arith::AddFOp>(inner, [&](Value v) { return v == x; })
                            : Value();
        Value cube = cubic ? matchCommutative<arith::MulFOp>(
                                 cubic, [](Value v) { return isConstantNear(v, 0.044715); })
                           : Value();
        auto c1 = cube ? cube.getDefiningOp<arith::MulFOp>() : arith::MulFOp();
        if (!c1)
          continue;
        // x*x*x in either association.
        auto isSquare = [&](Value v) {
          auto m = v.getDefiningOp<arith::MulFOp>();
          return m && m.getLhs() == x && m.getRhs() == x;
        };
        bool isCube = (isSquare(c1.getLhs()) && c1.getRhs() == x) ||
                      (isSquare(c1.getRhs()) && c1.getLhs() == x);
        if (!isCube)
          continue;
        Operation *sq = isSquare(c1.getLhs()) ? c1.getLhs().getDefiningOp()
                                              : c1.getRhs().getDefiningOp();
        chain.append({th, th.getOperand().getDefiningOp(), inner.getDefiningOp(),
                      cubic.getDefiningOp(), c1, sq});
        func = ActFunc::GeluTanh;
      } else {
        continue;
      }
      geluOf[root.getResult()] = {x, func};
      for (Operation *inner : chain)
        if (inner && inner->getResult(0).hasOneUse())
          skipped.insert(inner);
      return;
    }
  });
}

FailureOr<Val> ElementwiseLowering::lowerBodyOp(Operation &bodyOp) {
  auto get = [&](Value v) -> FailureOr<Val> {
    auto it = vals.find(v);
    if (it != vals.end())
      return it->second;
    if (auto w = windowViews.find(v); w != windowViews.end()) {
      // A window view used by anything but tile (+-*max min) tile: compact
      // it into a [P, F] tile once.
      Value t = newTile();
      e.tensorCopy(w->second, conform(t, cast<MemRefType>(w->second.getType()).getShape()));
      vals[v] = Val::ofTile(t);
      return vals[v];
    }
    if (std::optional<float> c = constantOf(v))
      return Val::ofImm(*c);
    if (auto c = v.getDefiningOp<arith::ConstantOp>())
      if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
        return Val::ofImm(i.getValue().isZero() ? 0.0f : 1.0f);
    if (v.getParentBlock() != op.getBody())
      if (std::optional<float> c = constantOf(v))
        return Val::ofImm(*c);
    return bodyOp.emitOpError("operand is not available on chip (captured value or ")
           << "unsupported producer)",
           failure();
  };
  Value res = bodyOp.getNumResults() == 1 ? bodyOp.getResult(0) : Value();
  if (auto it = geluOf.find(res); it != geluOf.end()) {
    FailureOr<Val> x = get(it->second.first);
    if (failed(x))
      return failure();
    return unary(it->second.second, *x, res);
  }
  if (auto it = sigmoidOf.find(res); it != sigmoidOf.end()) {
    FailureOr<Val> x = get(it->second);
    if (failed(x))
      return failure();
    return unary(ActFunc::Sigmoid, *x, res);
  }
  if (isa<arith::ConstantOp>(bodyOp)) {
    if (std::optional<float> c = constantOf(res))
      return Val::ofImm(*c);
    if (auto i = dyn_cast<IntegerAttr>(cast<arith::ConstantOp>(bodyOp).getValue()))
      return Val::ofImm(i.getValue().isZero() ? 0.0f : 1.0f);
  }
  auto bin = [&](AluOp alu) -> FailureOr<Val> {
    // tile op window-view: one instruction reading the shared window tile
    // through its strided view (all operands viewed in the walk's shape).
    for (unsigned w = 0; w < 2 && res; ++w) {
      auto it = windowViews.find(bodyOp.getOperand(w));
      if (it == windowViews.end() || vals.count(bodyOp.getOperand(w)) ||
          !llvm::is_contained({AluOp::Add, AluOp::Sub, AluOp::Mul, AluOp::Max, AluOp::Min}, alu))
        continue;
      Value other = bodyOp.getOperand(1 - w);
      Value otherTile;
      if (auto o = windowViews.find(other); o != windowViews.end() && !vals.count(other)) {
        otherTile = o->second;
      } else {
        auto ov = vals.find(other);
        if (ov == vals.end() || ov->second.kind != Val::Tile)
          continue;
        otherTile = ov->second.tile;
      }
      ArrayRef<int64_t> shape = cast<MemRefType>(it->second.getType()).getShape();
      Value out = targetFor(res);
      Value ot = conform(otherTile, shape), dt = conform(out, shape);
      if (!ot || !dt)
        return bodyOp.emitOpError("cannot view an on-chip tile in the window's shape"), failure();
      e.tensorTensor(alu, w == 0 ? it->second : ot, w == 0 ? ot : it->second, dt);
      return Val::ofTile(out);
    }
    FailureOr<Val> a = get(bodyOp.getOperand(0)), b = get(bodyOp.getOperand(1));
    if (failed(a) || failed(b))
      return failure();
    return binary(&bodyOp, alu, *a, *b, res);
  };
  auto un = [&](ActFunc f) -> FailureOr<Val> {
    FailureOr<Val> a = get(bodyOp.getOperand(0));
    if (failed(a))
      return failure();
    return unary(f, *a, res);
  };
  if (isa<arith::AddFOp>(bodyOp)) return bin(AluOp::Add);
  if (isa<arith::SubFOp>(bodyOp)) return bin(AluOp::Sub);
  if (isa<arith::MulFOp>(bodyOp)) return bin(AluOp::Mul);
  if (isa<arith::DivFOp>(bodyOp)) return bin(AluOp::Div);
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(bodyOp)) return bin(AluOp::Max);
  if (isa<arith::MinimumFOp, arith::MinNumFOp>(bodyOp)) return bin(AluOp::Min);
  if (isa<arith::NegFOp>(bodyOp)) {
    FailureOr<Val> a = get(bodyOp.getOperand(0));
    if (failed(a))
      return failure();
    return binary(&bodyOp, AluOp::Mul, *a, Val::ofImm(-1.0f), res);
  }
  if (auto cmp = dyn_cast<arith::CmpFOp>(bodyOp)) {
    std::optional<AluOp> alu;
    switch (cmp.getPredicate()) {
    case arith::CmpFPredicate::OEQ: case arith::CmpFPredicate::UEQ: alu = AluOp::IsEq; break;
    case arith::CmpFPredicate::ONE: case arith::CmpFPredicate::UNE: alu = AluOp::IsNe; break;
    case arith::CmpFPredicate::OLT: case arith::CmpFPredicate::ULT: alu = AluOp::IsLt; break;
    case arith::CmpFPredicate::OLE: case arith::CmpFPredicate::ULE: alu = AluOp::IsLe; break;
    case arith::CmpFPredicate::OGT: case arith::CmpFPredicate::UGT: alu = AluOp::IsGt; break;
    case arith::CmpFPredicate::OGE: case arith::CmpFPredicate::UGE: alu = AluOp::IsGe; break;
    default: break;
    }
    if (!alu)
      return bodyOp.emitOpError("comparison predicate ")
             << arith::stringifyCmpFPredicate(cmp.getPredicate())
             << " is not supported by trnc (supported: eq, ne, lt, le, gt, ge)",
             failure();
    FailureOr<Val> a = get(cmp.getLhs()), b = get(cmp.getRhs());
    if (failed(a) || failed(b))
      return failure();
    // Comparisons are not affine: materialize symbolic operands first.
    Val ma = a->kind == Val::Affine ? Val::ofTile(materialize(*a)) : *a;
    Val mb = b->kind == Val::Affine ? Val::ofTile(materialize(*b)) : *b;
    return binary(&bodyOp, *alu, ma, mb, res);
  }
  if (auto sel = dyn_cast<arith::SelectOp>(bodyOp)) {
    FailureOr<Val> c = get(sel.getCondition()), t = get(sel.getTrueValue()),
                   f = get(sel.getFalseValue());
    if (failed(c) || failed(t) || failed(f))
      return failure();
    if (c->kind == Val::Imm)
      return c->imm != 0.0f ? *t : *f;
    // select(c, 1, 0) of a 0/1 predicate tile is the predicate itself.
    if (c->kind == Val::Tile && t->kind == Val::Imm && t->imm == 1.0f && f->kind == Val::Imm &&
        f->imm == 0.0f)
      return *c;
    Value pc = materialize(*c), pt = materialize(*t), pf = materialize(*f);
    Value out = targetFor(res);
    e.select(pc, pt, pf, out);
    return Val::ofTile(out);
  }
  if (isa<arith::ExtFOp>(bodyOp)) {
    FailureOr<Val> a = get(bodyOp.getOperand(0));
    return a;
  }
  if (auto trunc = dyn_cast<arith::TruncFOp>(bodyOp)) {
    FailureOr<Val> a = get(trunc.getIn());
    if (failed(a))
      return failure();
    if (a->kind == Val::Imm)
      return a;
    if (a->kind == Val::Col)
      return a;
    if (a->kind == Val::Tile && a->tile == dst)
      return a; // the producer already wrote the (narrow) output tile
    // Round through the narrow type (the yielded value rounds in the output).
    Value src = materialize(*a);
    Value out;
    if (res == yielded && res.hasOneUse() && !dstWritten) {
      dstWritten = true;
      out = dst;
    } else {
      out = e.alloc({P, F}, trunc.getType());
    }
    e.tensorCopy(src, out);
    return Val::ofTile(out);
  }
  if (isa<math::ExpOp>(bodyOp)) return un(ActFunc::Exp);
  if (isa<math::LogOp>(bodyOp)) return un(ActFunc::Log);
  if (isa<math::TanhOp>(bodyOp)) return un(ActFunc::Tanh);
  if (isa<math::ErfOp>(bodyOp)) return un(ActFunc::Erf);
  if (isa<math::SqrtOp>(bodyOp)) return un(ActFunc::Sqrt);
  if (isa<math::RsqrtOp>(bodyOp)) return un(ActFunc::Rsqrt);
  if (isa<math::AbsFOp>(bodyOp)) return un(ActFunc::Abs);
  return bodyOp.emitOpError("is not supported in an element-wise body by trnc; supported: "
                            "arith add/sub/mul/div/maximumf/minimumf/negf/cmpf/select/extf/"
                            "truncf/constant, math exp/log/tanh/erf/sqrt/rsqrt/absf"),
         failure();
}

SmallVector<AccessDim> ElementwiseLowering::walkFor(AffineMap map, bool column) {
  SmallVector<AccessDim> dims;
  auto posOf = [&](unsigned d) -> int64_t {
    for (unsigned j = 0; j < map.getNumResults(); ++j)
      if (map.getDimPosition(j) == d)
        return j;
    return -1;
  };
  dims.push_back({posOf(pDim), 0, loops[pDim]});
  for (unsigned d : freeDims) {
    int64_t j = posOf(d);
    if (column && loops[d] != 1)
      continue; // a column: the operand does not vary along d
    dims.push_back({j, 0, loops[d]});
  }
  return dims;
}

/// Same shape, element type, memory space and strides (offsets may differ).
static bool sameWalk(MemRefType a, MemRefType b) {
  SmallVector<int64_t> sa, sb;
  int64_t oa, ob;
  return a.getShape() == b.getShape() && a.getElementType() == b.getElementType() &&
         a.getMemorySpace() == b.getMemorySpace() && succeeded(a.getStridesAndOffset(sa, oa)) &&
         succeeded(b.getStridesAndOffset(sb, ob)) && sa == sb;
}

/// Element distance between the first elements of two HBM views that are
/// the same chain of subviews over one base, differing only in static
/// offsets (e.g. two taps of a pooling window); nullopt otherwise.
static std::optional<int64_t> viewDelta(Value a, Value b) {
  if (a == b)
    return 0;
  auto sa = a.getDefiningOp<memref::SubViewOp>(), sb = b.getDefiningOp<memref::SubViewOp>();
  if (!sa || !sb || sa.getStaticSizes() != sb.getStaticSizes() ||
      sa.getStaticStrides() != sb.getStaticStrides() || sa.getSizes() != sb.getSizes() ||
      sa.getStrides() != sb.getStrides() || !sameWalk(sa.getType(), sb.getType()))
    return std::nullopt;
  SmallVector<int64_t> srcStrides;
  int64_t srcOffset;
  if (failed(sa.getSource().getType().getStridesAndOffset(srcStrides, srcOffset)))
    return std::nullopt;
  int64_t delta = 0;
  for (auto [d, oa, ob] : llvm::enumerate(sa.getMixedOffsets(), sb.getMixedOffsets())) {
    std::optional<int64_t> ca = getConstantIntValue(oa), cb = getConstantIntValue(ob);
    if (ca && cb) {
      if (*ca == *cb)
        continue;
      if (ShapedType::isDynamic(srcStrides[d]))
        return std::nullopt;
      delta += (*ca - *cb) * srcStrides[d];
    } else if (oa != ob) {
      return std::nullopt;
    }
  }
  std::optional<int64_t> rest = viewDelta(sa.getSource(), sb.getSource());
  if (!rest)
    return std::nullopt;
  return delta + *rest;
}

Value ElementwiseLowering::conform(Value t, ArrayRef<int64_t> shape) {
  auto tt = cast<MemRefType>(t.getType());
  if (tt.getShape() == shape)
    return t;
  if (TileEmitter::onChipRoot(t) != t || tt.getRank() != 2)
    return Value();
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 1; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  strides[0] = tt.getDimSize(1);
  return e.reinterpretTile(t, 0, shape, strides);
}

/// Pooling windows: the taps (i, j..j+KW-1) of one window row read the same
/// HBM rows at element offsets j + s*k. Loaded one by one, each tap fetches
/// (a widened span of) those rows again. Instead, inputs that are the same
/// subview chain of one HBM buffer up to a small shift are loaded once, as
/// the dense span covering all of them ([P, outer..., wide]), and each is
/// read on chip through a strided view of that tile. Only when the cost
/// model prefers the shared load to the separate ones.
void ElementwiseLowering::loadWindowGroups() {
  struct Member {
    BlockArgument arg;
    Value v;
    int64_t delta;
  };
  SmallVector<SmallVector<Member>> groups;
  AffineMap outMap = op.getIndexingMapsArray().back();
  for (OpOperand *in : op.getDpsInputOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(in);
    Value v = in->get();
    // Same map as the result (all walks alike), HBM, tile-shaped.
    if (arg.use_empty() || op.getMatchingIndexingMap(in) != outMap ||
        !isa<MemRefType>(v.getType()) || TileEmitter::isOnChip(v))
      continue;
    bool joined = false;
    for (auto &g : groups) {
      if (!sameWalk(cast<MemRefType>(g.front().v.getType()), cast<MemRefType>(v.getType())))
        continue;
      if (std::optional<int64_t> d = viewDelta(v, g.front().v)) {
        g.push_back({arg, v, *d});
        joined = true;
        break;
      }
    }
    if (!joined)
      groups.push_back({{arg, v, 0}});
  }
  auto bytes = [](int64_t x) { return static_cast<uint64_t>(x); };
  for (auto &all : groups) {
    if (all.size() < 2)
      continue;
    llvm::sort(all, [](const Member &x, const Member &y) { return x.delta < y.delta; });
    FailureOr<Value> view0 = e.hbmAccess(all.front().v, walkFor(outMap, false));
    if (failed(view0))
      continue;
    auto vt = cast<MemRefType>(view0->getType());
    SmallVector<int64_t> ss;
    int64_t off;
    if (failed(vt.getStridesAndOffset(ss, off)) || vt.getRank() < 2 ||
        llvm::any_of(ss, ShapedType::isDynamic) || vt.getDimSize(0) != P)
      continue;
    SmallVector<int64_t> S(vt.getShape());
    const int64_t r = vt.getRank(), n = S[r - 1], s = ss[r - 1];
    const int64_t outer = F / n, span = (n - 1) * s + 1;
    Type elem = vt.getElementType();
    const int64_t eb = (elem.getIntOrFloatBitWidth() + 7) / 8;
    if (s < 1 || outer * n != F)
      continue;
    // Clusters of shifts within one row's span (the taps of one window row).
    for (size_t c0 = 0; c0 < all.size();) {
      size_t c1 = c0 + 1;
      while (c1 < all.size() && all[c1].delta - all[c0].delta < span)
        ++c1;
      ArrayRef<Member> g = ArrayRef<Member>(all).slice(c0, c1 - c0);
      c0 = c1;
      if (g.size() < 2)
        continue;
      const int64_t dMin = g.front().delta, wide = span + (g.back().delta - dMin);
      // The shared tile stays within two staging budgets.
      if (outer * wide > 2 * e.freeBudget(elem))
        continue;
      // Cost: one dense load of the covering span vs. each member alone (the
      // cheaper of its strided walk and its widened span plus compaction),
      // as trn.dma_copy costs them; the members' views feed the body's
      // instructions directly.
      double shared = e.target.dmaDurationNs(bytes(P * outer * wide * eb), bytes(wide * eb), true);
      double narrow = e.target.dmaDurationNs(bytes(P * F * eb), bytes(s == 1 ? n * eb : eb), true);
      double widened = e.target.dmaDurationNs(bytes(P * outer * span * eb), bytes(span * eb), true) +
                       static_cast<double>(F) / e.target.dve.clockGHz;
      if (shared >= static_cast<double>(g.size()) * std::min(narrow, widened))
        continue;
      Value view = g.front().v == all.front().v ? *view0 : Value();
      if (!view) {
        FailureOr<Value> v = e.hbmAccess(g.front().v, walkFor(outMap, false));
        if (failed(v))
          continue;
        view = *v;
      }
      SmallVector<int64_t> wSizes(S), wStrides(ss);
      wSizes.back() = wide;
      wStrides.back() = 1;
      Value wideView = e.hbmView(view, 0, wSizes, wStrides);
      if (!wideView)
        continue;
      Value scratch = e.alloc({P, outer * wide}, elem);
      DmaCopyOp::create(e.b, e.loc, wideView, scratch, {}, {}, {});
      SmallVector<int64_t> strides(r);
      strides[r - 1] = s;
      int64_t row = wide;
      for (int64_t i = r - 2; i >= 1; --i) {
        strides[i] = row;
        row *= S[i];
      }
      strides[0] = outer * wide;
      for (const Member &m : g)
        windowViews[m.arg] = e.reinterpretTile(scratch, m.delta - dMin, S, strides);
    }
  }
}

LogicalResult ElementwiseLowering::loadInputs() {
  loadWindowGroups();
  for (OpOperand *in : op.getDpsInputOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(in);
    if (arg.use_empty() || windowViews.count(arg))
      continue;
    Value v = in->get();
    if (!isa<MemRefType>(v.getType()))
      return op->emitOpError("input ") << in->getOperandNumber() << " of type " << v.getType()
                                       << " is not a buffer; scalar operands must be constants";
    AffineMap map = op.getMatchingIndexingMap(in);
    Type elem = cast<MemRefType>(v.getType()).getElementType();
    if (!getDType(elem))
      return op->emitOpError("input element type ") << elem << " is not a device dtype";
    if (Value phys = TileEmitter::onChipRoot(v)) {
      auto pt = cast<MemRefType>(phys.getType());
      // An on-chip [P] column (a trn-fuse-rows row statistic) read along the
      // partition dim only: a per-partition scalar.
      bool columnRead = map.getNumResults() > 0;
      for (unsigned i = 0; i < map.getNumResults(); ++i)
        columnRead &= map.getDimPosition(i) == pDim || loops[map.getDimPosition(i)] == 1;
      if (columnRead && pt.getRank() == 2 && pt.getDimSize(0) == P && pt.getDimSize(1) == 1) {
        if (F == 1) { // [P, 1] tiles: the column is the tile
          vals[arg] = Val::ofTile(phys);
          continue;
        }
        Value col = phys;
        if (elem != e.f32()) {
          col = newCol();
          e.tensorCopy(phys, col);
        }
        vals[arg] = Val::ofCol(col);
        continue;
      }
      if (map != op.getIndexingMapsArray().back() || pt.getRank() != 2 ||
          pt.getDimSize(0) != P || pt.getDimSize(1) != F)
        return op->emitOpError("reads an on-chip tile with a different layout (indexing map ")
               << AffineMapAttr::get(map) << "); fused producers must be read with the "
               << "result's map";
      vals[arg] = Val::ofTile(phys);
      continue;
    }
    // A 2-D input read transposed (operand dims = (free, partition)) is
    // transposed on the PE in 128-column blocks instead of an element-wise
    // strided DMA.
    if (loops.size() == 2 && freeDims.size() == 1 && map.getNumResults() == 2 &&
        map.getDimPosition(0) == freeDims[0] && map.getDimPosition(1) == pDim &&
        (elem.isF32() || elem.isBF16()) && P <= static_cast<int64_t>(e.target.maxStationaryFree)) {
      Value t = e.alloc({P, F}, elem);
      const int64_t step = e.target.numPartitions;
      for (int64_t f0 = 0; f0 < F; f0 += step) {
        int64_t fc = std::min(step, F - f0);
        FailureOr<Value> view = e.hbmAccess(v, {{0, f0, fc}, {1, 0, P}});
        if (failed(view))
          return failure();
        Value s = e.load(*view, {fc, P}, elem);
        Value ps = e.alloc({P, fc}, e.f32(), MemSpace::PSUM);
        e.transpose(s, ps);
        e.tensorCopy(ps, e.sliceTile(t, 0, P, f0, fc));
      }
      vals[arg] = Val::ofTile(t);
      continue;
    }
    bool column = F > 1;
    for (unsigned d : freeDims)
      if (loops[d] != 1 && map.getResultPosition(getAffineDimExpr(d, op.getContext())))
        column = false;
    if (!column) {
      FailureOr<Value> t = e.loadWalk(v, walkFor(map, false), elem);
      if (failed(t))
        return failure();
      vals[arg] = Val::ofTile(*t);
      continue;
    }
    FailureOr<Value> view = e.hbmAccess(v, walkFor(map, column));
    if (failed(view))
      return failure();
    if (column) {
      Value t = e.load(*view, {P, 1}, elem);
      if (elem != e.f32()) {
        Value c = newCol();
        e.tensorCopy(t, c);
        t = c;
      }
      vals[arg] = Val::ofCol(t);
    } else {
      vals[arg] = Val::ofTile(e.load(*view, {P, F}, elem));
    }
  }
  return success();
}

LogicalResult ElementwiseLowering::run() {
  linalg::LinalgOp lop = cast<linalg::LinalgOp>(op.getOperation());
  loops = lop.getStaticLoopRanges();
  std::optional<unsigned> pd = tileutils::partitionLoopDim(lop);
  AffineMap outMap = op.getIndexingMapsArray().back();
  if (pd) {
    pDim = *pd;
    for (unsigned r = 0; r < outMap.getNumResults(); ++r)
      if (outMap.getDimPosition(r) != pDim)
        freeDims.push_back(outMap.getDimPosition(r));
    P = loops[pDim];
  } else {
    loops.push_back(1); // rank 0: one partition, one element
    pDim = static_cast<unsigned>(loops.size() - 1);
    P = 1;
  }
  F = 1;
  for (unsigned d : freeDims)
    F *= loops[d];
  if (P > static_cast<int64_t>(e.target.numPartitions) ||
      static_cast<uint64_t>(F) > e.target.maxFreeElemsSbuf)
    return op->emitOpError("element-wise tile of ")
           << P << " partitions x " << F << " elements exceeds the " << e.target.name
           << " limits (" << e.target.numPartitions << " partitions, "
           << e.target.maxFreeElemsSbuf << " elements per partition); run trn-tile first";

  OpOperand *outOperand = op.getDpsInitOperand(0);
  Value out = outOperand->get();
  Type outElem = cast<MemRefType>(out.getType()).getElementType();
  if (!getDType(outElem))
    return op->emitOpError("result element type ") << outElem << " is not a device dtype";
  Value outPhys = TileEmitter::onChipRoot(out);
  if (outPhys) {
    auto pt = cast<MemRefType>(outPhys.getType());
    if (pt.getRank() != 2 || pt.getDimSize(0) != P || pt.getDimSize(1) != F)
      return op->emitOpError("on-chip result tile does not have the [")
             << P << ", " << F << "] layout of the operation";
    dst = outPhys;
  } else {
    dst = e.alloc({P, F}, outElem);
  }

  // The output block argument is an input when the body reads it.
  BlockArgument outArg = op.getMatchingBlockArgument(outOperand);
  if (!outArg.use_empty()) {
    if (outPhys) {
      vals[outArg] = Val::ofTile(outPhys);
    } else {
      FailureOr<Value> t = e.loadWalk(out, walkFor(outMap, false), outElem);
      if (failed(t))
        return failure();
      vals[outArg] = Val::ofTile(*t);
    }
  }
  if (failed(loadInputs()))
    return failure();

  auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
  yielded = yield.getOperand(0);
  findSigmoids();
  findGelus();
  findSilus();
  for (Operation &bodyOp : op.getBody()->without_terminator()) {
    if (skipped.contains(&bodyOp))
      continue;
    if (bodyOp.getNumResults() != 1)
      return bodyOp.emitOpError("is not supported in an element-wise body by trnc");
    if (isa<linalg::IndexOp>(bodyOp))
      return bodyOp.emitOpError("is not supported by trnc: element-wise bodies cannot depend "
                                "on iteration indices");
    FailureOr<Val> v = lowerBodyOp(bodyOp);
    if (failed(v))
      return failure();
    vals[bodyOp.getResult(0)] = *v;
  }
  auto it = vals.find(yielded);
  Val result;
  if (it != vals.end()) {
    result = it->second;
  } else if (std::optional<float> c = constantOf(yielded)) {
    result = Val::ofImm(*c);
  } else {
    return op->emitOpError("yields a value that is not computed in its body");
  }
  if (!(result.kind == Val::Tile && result.tile == dst))
    materialize(result, dst);
  if (!outPhys && failed(e.transfer(out, walkFor(outMap, false), dst, /*toHbm=*/true)))
    return failure();
  return success();
}

LogicalResult mlir::trn::lower::lowerElementwise(RewriterBase &rewriter, linalg::GenericOp op) {
  TileEmitter e(rewriter, op);
  ElementwiseLowering lowering(e, op);
  return lowering.run();
}
