//===- Decompose.cpp - trn-decompose: rewrite to the stage-2 op set -------===//
//
// Stage 2 of the trnc pipeline (docs/pipeline.md). Brings every op to the
// small set the rest of the pipeline tiles and lowers:
//   * convolutions -> shifted-window linalg.matmul chains (one matmul per
//     filter tap (kh, kw): W[:, :, kh, kw] x strided window of the input);
//   * depthwise convolutions -> per-tap element-wise multiply-accumulate;
//   * pooling -> per-tap element-wise max/min/add of strided windows;
//   * softmax -> reduce max, exp(x - max), reduce sum, divide;
//   * matvec/vecmat/dot and batched forms -> matmul/batch_matmul;
//   * named element-wise ops and element-wise arith/math on tensors ->
//     linalg.generic;
//   * generic reductions -> element-wise generic + linalg.reduce with a
//     plain add/mul/max/min combiner; generic contractions -> matmul;
//   * batch-1 image element-wise ops fed by a conv -> 2-D generics on the
//     conv's [C, H*W] form (the reshapes between fold), so that trn-tile
//     fuses bias, residual add and ReLU into the conv's eviction.
// Rewrites preserve the accumulate-into-init semantics of the originals.
// Ops the pass cannot bring to the stage-2 set are reported, never crashed
// on; the pass then fails.
//
//===----------------------------------------------------------------------===//

#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::trn {
#define GEN_PASS_DEF_TRNDECOMPOSEPASS
#include "trn/Transforms/Passes.h.inc"
} // namespace mlir::trn

using namespace mlir;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

SmallVector<int64_t, 2> getI64Pair(Operation *op, StringRef name) {
  SmallVector<int64_t, 2> v = {1, 1};
  if (auto attr = op->getAttrOfType<DenseIntElementsAttr>(name)) {
    v.clear();
    for (const APInt &x : attr.getValues<APInt>())
      v.push_back(x.getSExtValue());
  }
  return v;
}

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

/// A static extract_slice; `keep[i]` says whether dim i stays in the
/// (rank-reduced) result.
Value extractSlice(OpBuilder &b, Location loc, Value src, ArrayRef<int64_t> offsets,
                   ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides, ArrayRef<bool> keep) {
  SmallVector<int64_t> shape;
  for (auto [s, k] : llvm::zip(sizes, keep))
    if (k)
      shape.push_back(s);
  auto type = RankedTensorType::get(shape, tensorType(src).getElementType());
  MLIRContext *ctx = b.getContext();
  return tensor::ExtractSliceOp::create(b, loc, type, src, getAsIndexOpFoldResult(ctx, offsets),
                                        getAsIndexOpFoldResult(ctx, sizes),
                                        getAsIndexOpFoldResult(ctx, strides));
}

Value insertSlice(OpBuilder &b, Location loc, Value src, Value dest, ArrayRef<int64_t> offsets,
                  ArrayRef<int64_t> sizes) {
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> ones(offsets.size(), 1);
  return tensor::InsertSliceOp::create(b, loc, src, dest, getAsIndexOpFoldResult(ctx, offsets),
                                       getAsIndexOpFoldResult(ctx, sizes),
                                       getAsIndexOpFoldResult(ctx, ones));
}

/// Reassociation collapsing the letters of `group` (adjacent in `layout`)
/// into one dim and keeping every other letter alone.
SmallVector<ReassociationIndices> groupAdjacent(StringRef layout, StringRef group) {
  SmallVector<ReassociationIndices> r;
  for (int64_t i = 0, e = layout.size(); i < e; ++i) {
    bool inGroup = group.contains(layout[i]);
    if (inGroup && !r.empty() && group.contains(layout[i - 1]))
      r.back().push_back(i);
    else
      r.push_back({i});
  }
  return r;
}

Value collapse(OpBuilder &b, Location loc, Value v, ArrayRef<ReassociationIndices> reassoc) {
  if (reassoc.size() == static_cast<size_t>(tensorType(v).getRank()))
    return v;
  return tensor::CollapseShapeOp::create(b, loc, v, reassoc);
}

Value expand(OpBuilder &b, Location loc, RankedTensorType type, Value v,
             ArrayRef<ReassociationIndices> reassoc) {
  if (tensorType(v) == type)
    return v;
  return tensor::ExpandShapeOp::create(b, loc, type, v, reassoc);
}

/// linalg.matmul (or batch_matmul with `batch`) C += A * B where the A/B
/// maps may be transposed; default maps are left implicit.
Value createMatmul(OpBuilder &b, Location loc, Value a, Value bv, Value c, bool aTransposed,
                   bool bTransposed, bool batch) {
  MLIRContext *ctx = b.getContext();
  SmallVector<NamedAttribute> attrs;
  if (aTransposed || bTransposed) {
    unsigned nd = batch ? 4 : 3;
    unsigned o = batch ? 1 : 0;
    auto d = [&](unsigned i) { return getAffineDimExpr(i + o, ctx); };
    SmallVector<AffineExpr> pre;
    if (batch)
      pre.push_back(getAffineDimExpr(0, ctx));
    auto mk = [&](AffineExpr x, AffineExpr y) {
      SmallVector<AffineExpr> r = pre;
      r.push_back(x);
      r.push_back(y);
      return AffineMap::get(nd, 0, r, ctx);
    };
    AffineMap am = aTransposed ? mk(d(2), d(0)) : mk(d(0), d(2));
    AffineMap bm = bTransposed ? mk(d(1), d(2)) : mk(d(2), d(1));
    AffineMap cm = mk(d(0), d(1));
    attrs.push_back(b.getNamedAttr(
        "indexing_maps", b.getAffineMapArrayAttr({am, bm, cm})));
  }
  if (batch)
    return linalg::BatchMatmulOp::create(b, loc, TypeRange{c.getType()}, ValueRange{a, bv},
                                         ValueRange{c}, attrs)
        .getResult(0);
  return linalg::MatmulOp::create(b, loc, TypeRange{c.getType()}, ValueRange{a, bv},
                                  ValueRange{c}, attrs)
      .getResult(0);
}

/// The constant padding value of a tensor.pad producer of `v`, if `v` is
/// produced by a pad whose padding value is not constant: that pad.
tensor::PadOp nonConstantPadProducer(Value v) {
  auto pad = v.getDefiningOp<tensor::PadOp>();
  if (!pad)
    return {};
  Value pv = pad.getConstantPaddingValue();
  if (pv && matchPattern(pv, m_Constant()))
    return {};
  return pad;
}

//===----------------------------------------------------------------------===//
// Convolutions -> shifted-window matmuls
//===----------------------------------------------------------------------===//

/// Letter layouts of a 2-D convolution: input (n, g, c, h, w), filter
/// (f, g, c, h = kh, w = kw), output (n, g, f, h = oh, w = ow).
struct ConvLayout {
  StringRef input, filter, output;
};

std::optional<ConvLayout> getConvLayout(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<ConvLayout>>(op)
      .Case([](linalg::Conv2DNchwFchwOp) { return ConvLayout{"nchw", "fchw", "nfhw"}; })
      .Case([](linalg::Conv2DNhwcHwcfOp) { return ConvLayout{"nhwc", "hwcf", "nhwf"}; })
      .Case([](linalg::Conv2DNhwcFhwcOp) { return ConvLayout{"nhwc", "fhwc", "nhwf"}; })
      .Case([](linalg::Conv2DNgchwFgchwOp) { return ConvLayout{"ngchw", "fgchw", "ngfhw"}; })
      .Case([](linalg::Conv2DNgchwGfchwOp) { return ConvLayout{"ngchw", "gfchw", "ngfhw"}; })
      .Case([](linalg::Conv2DNhwgcGfhwcOp) { return ConvLayout{"nhwgc", "gfhwc", "nhwgf"}; })
      .Default([](Operation *) { return std::nullopt; });
}

int64_t dimOf(Value v, StringRef layout, char letter) {
  return tensorType(v).getDimSize(layout.find(letter));
}

/// Strips `drop` letters from `layout`.
std::string without(StringRef layout, StringRef drop) {
  std::string s;
  for (char c : layout)
    if (!drop.contains(c))
      s.push_back(c);
  return s;
}

struct ConvToMatmuls : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op, PatternRewriter &rewriter) const override {
    std::optional<ConvLayout> layout = getConvLayout(op);
    if (!layout || !op.hasPureTensorSemantics())
      return failure();
    Location loc = op.getLoc();
    Value input = op.getDpsInputs()[0], filter = op.getDpsInputs()[1];
    Value init = op.getDpsInits()[0];
    SmallVector<int64_t, 2> strides = getI64Pair(op, "strides");
    SmallVector<int64_t, 2> dilations = getI64Pair(op, "dilations");
    StringRef in = layout->input, fl = layout->filter, out = layout->output;
    bool grouped = in.contains('g');
    int64_t n = dimOf(input, in, 'n'), g = grouped ? dimOf(input, in, 'g') : 1;
    int64_t c = dimOf(input, in, 'c'), f = dimOf(filter, fl, 'f');
    int64_t kh = dimOf(filter, fl, 'h'), kw = dimOf(filter, fl, 'w');
    int64_t oh = dimOf(init, out, 'h'), ow = dimOf(init, out, 'w');

    // The batch joins the positions (N*OH*OW) when n, h, w are adjacent in
    // both the window and the output (NHWC forms); otherwise one chain per
    // image.
    std::string inWin = without(in, "g"), outWin = without(out, "g");
    bool foldBatch = StringRef(inWin).contains("nhw") && StringRef(outWin).contains("nhw");
    StringRef posLetters = foldBatch ? "nhw" : "hw";
    std::string inKeep = without(inWin, foldBatch ? "" : "n");
    std::string outKeep = without(outWin, foldBatch ? "" : "n");
    std::string flKeep = without(fl, "ghw");
    int64_t numImages = foldBatch ? 1 : n;

    // The 2-D operands: output (f,p) or (p,f); input window (c,p) or (p,c);
    // filter tap (f,c) or (c,f).
    bool outFFirst = outKeep.find('f') < outKeep.find('h');
    bool inCFirst = inKeep.find('c') < inKeep.find('h');
    bool flFFirst = flKeep.find('f') < flKeep.find('c');

    Value result = init;
    for (int64_t img = 0; img < numImages; ++img) {
      for (int64_t grp = 0; grp < g; ++grp) {
        // Accumulator: output[img, grp] as a 2-D tensor.
        SmallVector<int64_t> oOff, oSize, oStride;
        SmallVector<bool> oKeep;
        for (char l : out) {
          bool isN = l == 'n' && !foldBatch, isG = l == 'g';
          oOff.push_back(isN ? img : isG ? grp : 0);
          oSize.push_back(isN || isG ? 1 : tensorType(init).getDimSize(out.find(l)));
          oStride.push_back(1);
          oKeep.push_back(!isN && !isG);
        }
        Value acc3 = extractSlice(rewriter, loc, result, oOff, oSize, oStride, oKeep);
        auto oReassoc = groupAdjacent(outKeep, posLetters);
        Value acc = collapse(rewriter, loc, acc3, oReassoc);

        for (int64_t i = 0; i < kh; ++i) {
          for (int64_t j = 0; j < kw; ++j) {
            SmallVector<int64_t> xOff, xSize, xStride;
            SmallVector<bool> xKeep;
            for (char l : in) {
              bool isN = l == 'n' && !foldBatch, isG = l == 'g';
              switch (l) {
              case 'n':
                xOff.push_back(foldBatch ? 0 : img);
                xSize.push_back(foldBatch ? n : 1);
                xStride.push_back(1);
                break;
              case 'g':
                xOff.push_back(grp);
                xSize.push_back(1);
                xStride.push_back(1);
                break;
              case 'c':
                xOff.push_back(0);
                xSize.push_back(c);
                xStride.push_back(1);
                break;
              case 'h':
                xOff.push_back(i * dilations[0]);
                xSize.push_back(oh);
                xStride.push_back(strides[0]);
                break;
              default: // 'w'
                xOff.push_back(j * dilations[1]);
                xSize.push_back(ow);
                xStride.push_back(strides[1]);
                break;
              }
              xKeep.push_back(!isN && !isG);
            }
            Value win = extractSlice(rewriter, loc, input, xOff, xSize, xStride, xKeep);
            win = collapse(rewriter, loc, win, groupAdjacent(inKeep, posLetters));

            SmallVector<int64_t> wOff, wSize, wStride;
            SmallVector<bool> wKeep;
            for (char l : fl) {
              wOff.push_back(l == 'g' ? grp : l == 'h' ? i : l == 'w' ? j : 0);
              wSize.push_back(l == 'f' ? f : l == 'c' ? c : 1);
              wStride.push_back(1);
              wKeep.push_back(l == 'f' || l == 'c');
            }
            Value tap = extractSlice(rewriter, loc, filter, wOff, wSize, wStride, wKeep);

            // C[m, n]: m is the first output dim. A holds m, B holds n.
            if (outFFirst)
              acc = createMatmul(rewriter, loc, tap, win, acc, /*aT=*/!flFFirst,
                                 /*bT=*/!inCFirst, /*batch=*/false);
            else
              acc = createMatmul(rewriter, loc, win, tap, acc, /*aT=*/inCFirst,
                                 /*bT=*/flFFirst, /*batch=*/false);
          }
        }
        Value acc3New = expand(rewriter, loc, tensorType(acc3), acc, oReassoc);
        result = insertSlice(rewriter, loc, acc3New, result, oOff, oSize);
      }
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Depthwise convolutions and pooling -> per-tap element-wise generics
//===----------------------------------------------------------------------===//

enum class Combine { Add, Max, Min, Mac };

/// One window tap: the strided input window and, for depthwise convolutions,
/// the per-channel filter tap.
struct WindowTap {
  Value window, tap;
};

/// acc[out] = combine(...combine(acc[out], window_0[out] (, tap_0[c(, m)]))...,
/// window_n[out] (, tap_n[c(, m)])) as ONE element-wise generic over the
/// output letters, the taps combined in order (the same operation order as
/// one generic per tap, so results are bit-identical). One generic keeps the
/// accumulator on chip: as a chain of per-tap generics each accumulating
/// through `outs`, every tap was its own tile root and the accumulator went
/// through HBM once per tap (resnet18's maxpool: 9 round trips).
/// When `init` is a linalg.fill with the identity of `kind`'s combiner
/// (-inf for max, +inf for min), the fill's destination: the pooling generic
/// then starts from the first tap instead of reading the filled accumulator
/// (max(-inf, x) == x for every x, NaN included), so the fill is not
/// materialised in HBM and read back by every tile.
Value identityFillDest(Value init, Combine kind) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill || (kind != Combine::Max && kind != Combine::Min))
    return Value();
  auto c = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
  auto f = c ? dyn_cast<FloatAttr>(c.getValue()) : FloatAttr();
  if (!f || !f.getValue().isInfinity() || f.getValue().isNegative() != (kind == Combine::Max))
    return Value();
  return fill.getOutputs()[0];
}

Value windowSteps(OpBuilder &b, Location loc, Value acc, ArrayRef<WindowTap> taps,
                  StringRef outLetters, StringRef winLetters, StringRef tapLetters,
                  Combine kind, Value identityDest = Value()) {
  if (identityDest)
    acc = identityDest;
  MLIRContext *ctx = b.getContext();
  unsigned rank = outLetters.size();
  auto mapFor = [&](StringRef letters) {
    SmallVector<AffineExpr> e;
    for (char l : letters)
      e.push_back(getAffineDimExpr(outLetters.find(l), ctx));
    return AffineMap::get(rank, 0, e, ctx);
  };
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  for (const WindowTap &t : taps) {
    ins.push_back(t.window);
    maps.push_back(mapFor(winLetters));
    if (t.tap) {
      ins.push_back(t.tap);
      maps.push_back(mapFor(tapLetters));
    }
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{acc.getType()}, ins, ValueRange{acc}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange bodyArgs) {
               // Mixed precision (e.g. bf16 inputs, f32 accumulator): compute
               // in the accumulator type, as the named ops' bodies do.
               Value o = bodyArgs.back();
               Type t = o.getType();
               auto widen = [&](Value a) -> Value {
                 if (a.getType() == t)
                   return a;
                 return a.getType().getIntOrFloatBitWidth() < t.getIntOrFloatBitWidth()
                            ? Value(arith::ExtFOp::create(nb, nl, t, a))
                            : Value(arith::TruncFOp::create(nb, nl, t, a));
               };
               Value r = identityDest ? Value() : o;
               unsigned arg = 0;
               for (const WindowTap &tap : taps) {
                 Value w = widen(bodyArgs[arg++]);
                 Value f = tap.tap ? widen(bodyArgs[arg++]) : Value();
                 if (!r) {
                   r = w; // combine(identity, w) == w
                   continue;
                 }
                 switch (kind) {
                 case Combine::Add:
                   r = arith::AddFOp::create(nb, nl, r, w);
                   break;
                 case Combine::Max:
                   r = arith::MaximumFOp::create(nb, nl, r, w);
                   break;
                 case Combine::Min:
                   r = arith::MinimumFOp::create(nb, nl, r, w);
                   break;
                 case Combine::Mac: {
                   Value p = arith::MulFOp::create(nb, nl, w, f);
                   r = arith::AddFOp::create(nb, nl, r, p);
                   break;
                 }
                 }
               }
               linalg::YieldOp::create(nb, nl, r);
             })
      .getResult(0);
}

struct WindowOpToElementwise : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op, PatternRewriter &rewriter) const override {
    // Letters: input, filter (empty for pooling), output.
    StringRef in, fl, out;
    Combine kind;
    auto set = [&](StringRef i, StringRef f, StringRef o, Combine k) {
      in = i, fl = f, out = o, kind = k;
      return true;
    };
    bool matched =
        llvm::TypeSwitch<Operation *, bool>(op)
            .Case([&](linalg::DepthwiseConv2DNchwChwOp) {
              return set("nchw", "chw", "nchw", Combine::Mac);
            })
            .Case([&](linalg::DepthwiseConv2DNhwcHwcOp) {
              return set("nhwc", "hwc", "nhwc", Combine::Mac);
            })
            .Case([&](linalg::DepthwiseConv2DNhwcHwcmOp) {
              return set("nhwc", "hwcm", "nhwcm", Combine::Mac);
            })
            .Case([&](linalg::PoolingNchwSumOp) { return set("nchw", "", "nchw", Combine::Add); })
            .Case([&](linalg::PoolingNchwMaxOp) { return set("nchw", "", "nchw", Combine::Max); })
            .Case([&](linalg::PoolingNhwcSumOp) { return set("nhwc", "", "nhwc", Combine::Add); })
            .Case([&](linalg::PoolingNhwcMaxOp) { return set("nhwc", "", "nhwc", Combine::Max); })
            .Case([&](linalg::PoolingNhwcMinOp) { return set("nhwc", "", "nhwc", Combine::Min); })
            .Default([](Operation *) { return false; });
    if (!matched || !op.hasPureTensorSemantics())
      return failure();
    Location loc = op.getLoc();
    Value input = op.getDpsInputs()[0], second = op.getDpsInputs()[1];
    Value init = op.getDpsInits()[0];
    SmallVector<int64_t, 2> strides = getI64Pair(op, "strides");
    SmallVector<int64_t, 2> dilations = getI64Pair(op, "dilations");
    // Pooling's second input only carries the window shape [KH, KW].
    int64_t kh = fl.empty() ? tensorType(second).getDimSize(0) : dimOf(second, fl, 'h');
    int64_t kw = fl.empty() ? tensorType(second).getDimSize(1) : dimOf(second, fl, 'w');
    int64_t oh = dimOf(init, out, 'h'), ow = dimOf(init, out, 'w');
    std::string tapLetters = without(fl, "hw");

    SmallVector<WindowTap> taps;
    for (int64_t i = 0; i < kh; ++i) {
      for (int64_t j = 0; j < kw; ++j) {
        SmallVector<int64_t> off, size, stride;
        SmallVector<bool> keep(in.size(), true);
        for (auto [d, l] : llvm::enumerate(in)) {
          int64_t full = tensorType(input).getDimSize(d);
          off.push_back(l == 'h' ? i * dilations[0] : l == 'w' ? j * dilations[1] : 0);
          size.push_back(l == 'h' ? oh : l == 'w' ? ow : full);
          stride.push_back(l == 'h' ? strides[0] : l == 'w' ? strides[1] : 1);
        }
        Value win = extractSlice(rewriter, loc, input, off, size, stride, keep);
        Value tap;
        if (!fl.empty()) {
          SmallVector<int64_t> wOff, wSize, wStride;
          SmallVector<bool> wKeep;
          for (auto [d, l] : llvm::enumerate(fl)) {
            wOff.push_back(l == 'h' ? i : l == 'w' ? j : 0);
            wSize.push_back(l == 'h' || l == 'w' ? 1 : tensorType(second).getDimSize(d));
            wStride.push_back(1);
            wKeep.push_back(l != 'h' && l != 'w');
          }
          tap = extractSlice(rewriter, loc, second, wOff, wSize, wStride, wKeep);
        }
        taps.push_back({win, tap});
      }
    }
    // Pooling: all taps in one generic. Depthwise convolutions keep one
    // generic per tap: with a filter tap per window, one generic would stage
    // 2*KH*KW input tiles at once, beyond the SBUF budget trn-tile sizes a
    // tile for.
    Value acc = init;
    if (fl.empty()) {
      acc = windowSteps(rewriter, loc, acc, taps, out, in, tapLetters, kind,
                        identityFillDest(init, kind));
    } else {
      for (const WindowTap &t : taps)
        acc = windowSteps(rewriter, loc, acc, t, out, in, tapLetters, kind);
    }
    rewriter.replaceOp(op, acc);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

struct DecomposeSoftmax : OpRewritePattern<linalg::SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::SoftmaxOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = op.getInput();
    auto type = tensorType(x);
    auto elemType = type.getElementType();
    int64_t dim = op.getDimension();
    int64_t rank = type.getRank();
    SmallVector<int64_t> redShape;
    SmallVector<AffineExpr> redExprs;
    for (int64_t d = 0; d < rank; ++d)
      if (d != dim) {
        redShape.push_back(type.getDimSize(d));
        redExprs.push_back(getAffineDimExpr(d, ctx));
      }
    auto ft = cast<FloatType>(elemType);

    auto reduce = [&](Value in, Attribute initValue, bool isMax) {
      Value empty = tensor::EmptyOp::create(rewriter, loc, redShape, elemType);
      Value cst = arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(initValue));
      Value filled = linalg::FillOp::create(rewriter, loc, cst, empty).getResult(0);
      return linalg::ReduceOp::create(
                 rewriter, loc, ValueRange{in}, ValueRange{filled}, ArrayRef<int64_t>{dim},
                 [&](OpBuilder &b, Location l, ValueRange args) {
                   Value r = isMax ? Value(arith::MaximumFOp::create(b, l, args[0], args[1]))
                                   : Value(arith::AddFOp::create(b, l, args[0], args[1]));
                   linalg::YieldOp::create(b, l, r);
                 })
          .getResult(0);
    };
    auto binary = [&](Value a, Value bcast, Value outInit, bool subExp) {
      auto id = AffineMap::getMultiDimIdentityMap(rank, ctx);
      auto bm = AffineMap::get(rank, 0, redExprs, ctx);
      SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
      return linalg::GenericOp::create(
                 rewriter, loc, TypeRange{type}, ValueRange{a, bcast}, ValueRange{outInit},
                 ArrayRef<AffineMap>{id, bm, id}, iters,
                 [&](OpBuilder &b, Location l, ValueRange args) {
                   Value r;
                   if (subExp)
                     r = math::ExpOp::create(b, l, arith::SubFOp::create(b, l, args[0], args[1]));
                   else
                     r = arith::DivFOp::create(b, l, args[0], args[1]);
                   linalg::YieldOp::create(b, l, r);
                 })
          .getResult(0);
    };
    APFloat negInf = APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/true);
    Value max = reduce(x, rewriter.getFloatAttr(elemType, negInf), /*isMax=*/true);
    Value e = binary(x, max, tensor::EmptyOp::create(rewriter, loc, type.getShape(), elemType),
                     /*subExp=*/true);
    Value sum = reduce(e, rewriter.getFloatAttr(elemType, 0.0), /*isMax=*/false);
    Value r = binary(e, sum, op.getOutput(), /*subExp=*/false);
    rewriter.replaceOp(op, r);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Vector contractions -> matmul
//===----------------------------------------------------------------------===//

struct VectorContractionToMatmul : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op, PatternRewriter &rewriter) const override {
    if (!isa<linalg::MatvecOp, linalg::VecmatOp, linalg::BatchMatvecOp, linalg::BatchVecmatOp,
             linalg::DotOp>(op) ||
        !op.hasPureTensorSemantics())
      return failure();
    Location loc = op.getLoc();
    Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1], c = op.getDpsInits()[0];
    auto withUnit = [&](Value v, int64_t pos) {
      // Insert a unit dim at `pos`.
      auto t = tensorType(v);
      SmallVector<int64_t> shape(t.getShape());
      shape.insert(shape.begin() + pos, 1);
      SmallVector<ReassociationIndices> re;
      for (int64_t d = 0; d < t.getRank(); ++d)
        re.push_back({d + (d >= pos ? 1 : 0)});
      if (!re.empty()) {
        if (pos == 0)
          re.front().insert(re.front().begin(), 0);
        else
          re[pos - 1].push_back(pos);
      }
      return tensor::ExpandShapeOp::create(rewriter, loc,
                                           RankedTensorType::get(shape, t.getElementType()), v,
                                           re)
          .getResult();
    };
    Value la, lb, lc;
    bool batch = false;
    if (isa<linalg::MatvecOp>(op)) { // [M,K] x [K] -> [M]
      la = a, lb = withUnit(b, 1), lc = withUnit(c, 1);
    } else if (isa<linalg::VecmatOp>(op)) { // [K] x [K,N] -> [N]
      la = withUnit(a, 0), lb = b, lc = withUnit(c, 0);
    } else if (isa<linalg::BatchMatvecOp>(op)) { // [B,M,K] x [B,K] -> [B,M]
      la = a, lb = withUnit(b, 2), lc = withUnit(c, 2), batch = true;
    } else if (isa<linalg::BatchVecmatOp>(op)) { // [B,K] x [B,K,N] -> [B,N]
      la = withUnit(a, 1), lb = b, lc = withUnit(c, 1), batch = true;
    } else { // dot: [K] x [K] -> []
      la = withUnit(a, 0), lb = withUnit(b, 1);
      auto ct = tensorType(c);
      lc = tensor::ExpandShapeOp::create(rewriter, loc,
                                         RankedTensorType::get({1, 1}, ct.getElementType()), c,
                                         ArrayRef<ReassociationIndices>{});
    }
    Value r = createMatmul(rewriter, loc, la, lb, lc, false, false, batch);
    SmallVector<ReassociationIndices> re =
        cast<tensor::ExpandShapeOp>(lc.getDefiningOp()).getReassociationIndices();
    Value res = tensor::CollapseShapeOp::create(rewriter, loc, c.getType(), r, re);
    rewriter.replaceOp(op, res);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Named element-wise ops -> generic
//===----------------------------------------------------------------------===//

bool isNamedElementwise(Operation *op) {
  // A linalg.copy that converts the element type is an element-wise cast
  // (DMA copies do not convert).
  if (auto copy = dyn_cast<linalg::CopyOp>(op))
    return getElementTypeOrSelf(copy.getInputs()[0].getType()) !=
           getElementTypeOrSelf(copy.getOutputs()[0].getType());
  return isa<linalg::ExpOp, linalg::LogOp, linalg::AbsOp, linalg::CeilOp, linalg::FloorOp,
             linalg::NegFOp, linalg::ReciprocalOp, linalg::RoundOp, linalg::SqrtOp,
             linalg::RsqrtOp, linalg::SquareOp, linalg::TanhOp, linalg::ErfOp, linalg::AddOp,
             linalg::SubOp, linalg::MulOp, linalg::DivOp, linalg::MaxOp, linalg::MinOp,
             linalg::PowFOp, linalg::SelectOp, linalg::ElementwiseOp, linalg::MapOp>(op);
}

struct GeneralizeElementwise : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(linalg::LinalgOp op, PatternRewriter &rewriter) const override {
    if (!isNamedElementwise(op) || !op.hasPureTensorSemantics())
      return failure();
    return linalg::generalizeNamedOp(rewriter, op);
  }
};

/// An element-wise generic with several results becomes one generic per
/// result (the body is cloned and dead code dropped): the lowering handles
/// single-output element-wise ops, and each result is tiled and fused on its
/// own. A body that reads another output's init reads it as an input.
struct SplitMultiResultElementwise : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    if (op.getNumDpsInits() < 2 || !op.hasPureTensorSemantics() ||
        op.getNumParallelLoops() != op.getNumLoops())
      return failure();
    Block &body = op.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    unsigned numIns = op.getNumDpsInputs();
    SmallVector<Value> results;
    for (unsigned r = 0; r < op.getNumDpsInits(); ++r) {
      SmallVector<Value> ins(op.getDpsInputs());
      SmallVector<AffineMap> newMaps(maps.begin(), maps.begin() + numIns);
      SmallVector<BlockArgument> readInits; // other outputs' block args read by the body
      for (unsigned o = 0; o < op.getNumDpsInits(); ++o) {
        BlockArgument arg = body.getArgument(numIns + o);
        if (o == r || arg.use_empty())
          continue;
        ins.push_back(op.getDpsInits()[o]);
        newMaps.push_back(maps[numIns + o]);
        readInits.push_back(arg);
      }
      newMaps.push_back(maps[numIns + r]);
      Value init = op.getDpsInits()[r];
      auto g = linalg::GenericOp::create(
          rewriter, op.getLoc(), TypeRange{init.getType()}, ins, ValueRange{init}, newMaps,
          op.getIteratorTypesArray(), [&](OpBuilder &b, Location loc, ValueRange args) {
            IRMapping map;
            for (unsigned i = 0; i < numIns; ++i)
              map.map(body.getArgument(i), args[i]);
            for (auto [k, arg] : llvm::enumerate(readInits))
              map.map(arg, args[numIns + k]);
            map.map(body.getArgument(numIns + r), args.back());
            for (Operation &inner : body.without_terminator())
              b.clone(inner, map);
            linalg::YieldOp::create(b, loc, map.lookupOrDefault(yield.getOperand(r)));
          });
      g->setDiscardableAttrs(op->getDiscardableAttrDictionary());
      // Drop body ops that only fed the other results.
      Block &nb = g.getRegion().front();
      // (Users come after their producers: one reverse sweep suffices.)
      SmallVector<Operation *> bodyOps;
      for (Operation &inner : nb.without_terminator())
        bodyOps.push_back(&inner);
      for (Operation *inner : llvm::reverse(bodyOps))
        if (isOpTriviallyDead(inner))
          rewriter.eraseOp(inner);
      results.push_back(g.getResult(0));
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Generic reductions and contractions
//===----------------------------------------------------------------------===//

/// The combiner kind of a reduction body `yield comb(out, f(ins))`.
enum class Reducer { Add, Mul, Max, Min };

struct ReductionBody {
  Reducer kind;
  Operation *combiner;
  Value contribution; // f(ins): the operand of the combiner that is not `out`.
};

std::optional<ReductionBody> matchReductionBody(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1)
    return std::nullopt;
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Operation *comb = yield.getOperand(0).getDefiningOp();
  if (!comb || comb->getBlock() != &body || comb->getNumOperands() != 2)
    return std::nullopt;
  std::optional<Reducer> kind = llvm::TypeSwitch<Operation *, std::optional<Reducer>>(comb)
                                    .Case([](arith::AddFOp) { return Reducer::Add; })
                                    .Case([](arith::MulFOp) { return Reducer::Mul; })
                                    .Case([](arith::MaximumFOp) { return Reducer::Max; })
                                    .Case([](arith::MaxNumFOp) { return Reducer::Max; })
                                    .Case([](arith::MinimumFOp) { return Reducer::Min; })
                                    .Case([](arith::MinNumFOp) { return Reducer::Min; })
                                    .Default([](Operation *) { return std::nullopt; });
  if (!kind)
    return std::nullopt;
  Value out = body.getArgument(body.getNumArguments() - 1);
  Value other;
  if (comb->getOperand(0) == out)
    other = comb->getOperand(1);
  else if (comb->getOperand(1) == out)
    other = comb->getOperand(0);
  else
    return std::nullopt;
  // `out` may only feed the combiner.
  if (!out.hasOneUse())
    return std::nullopt;
  return ReductionBody{*kind, comb, other};
}

/// A generic contraction C[(b,) m, n] += A * B over one reduction dim whose
/// operands are 2-D (3-D with a leading batch dim on every operand), as a
/// named matmul/batch_matmul with transposed maps where needed; null if the
/// generic is not of that form. (Upstream specializeGenericOp drops
/// transposed operand maps, so it is not used.)
Value contractionToMatmul(OpBuilder &b, linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 1)
    return {};
  unsigned loops = op.getNumLoops();
  if (loops != 3 && loops != 4)
    return {};
  bool batch = loops == 4;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  for (AffineMap m : maps)
    if (!m.isProjectedPermutation() || m.getNumResults() != (batch ? 3u : 2u))
      return {};
  auto pos = [](AffineMap m, unsigned i) {
    return cast<AffineDimExpr>(m.getResult(i)).getPosition();
  };
  unsigned o = batch ? 1 : 0;
  unsigned k = 0;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (it == utils::IteratorType::reduction)
      k = d;
  if (batch) {
    unsigned bd = pos(maps[2], 0);
    if (bd == k || pos(maps[0], 0) != bd || pos(maps[1], 0) != bd)
      return {};
  }
  unsigned m = pos(maps[2], o), n = pos(maps[2], o + 1);
  // A: the input holding m (with k); B: the input holding n (with k).
  auto holds = [&](AffineMap map, unsigned x) {
    return (pos(map, o) == x && pos(map, o + 1) == k) || (pos(map, o) == k && pos(map, o + 1) == x);
  };
  int ai = holds(maps[0], m) && holds(maps[1], n)   ? 0
           : holds(maps[1], m) && holds(maps[0], n) ? 1
                                                    : -1;
  if (ai < 0)
    return {};
  AffineMap am = maps[ai], bm = maps[1 - ai];
  // The body must be out + A * B with A, B in this order or commuted; the
  // mul is commutative, so the operand order does not change the result.
  return createMatmul(b, op.getLoc(), op.getDpsInputs()[ai], op.getDpsInputs()[1 - ai],
                      op.getDpsInits()[0], /*aTransposed=*/pos(am, o) == k,
                      /*bTransposed=*/pos(bm, o) == n, batch);
}

/// generic with reduction iterators -> (element-wise generic) + linalg.reduce.
struct SplitGenericReduction : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    if (op.getNumReductionLoops() == 0 || !op.hasPureTensorSemantics())
      return failure();
    // Contractions become named matmuls.
    if (linalg::isaContractionOpInterface(op)) {
      if (Value mm = contractionToMatmul(rewriter, op)) {
        rewriter.replaceOp(op, mm);
        return success();
      }
    }
    std::optional<ReductionBody> rb = matchReductionBody(op);
    if (!rb)
      return rewriter.notifyMatchFailure(op, "not a single-combiner reduction");
    MLIRContext *ctx = rewriter.getContext();
    Location loc = op.getLoc();
    unsigned numLoops = op.getNumLoops();
    AffineMap outMap = op.getIndexingMapsArray().back();
    if (!outMap.isProjectedPermutation())
      return rewriter.notifyMatchFailure(op, "output map is not a projected permutation");
    SmallVector<unsigned> outDims, redDims;
    for (AffineExpr e : outMap.getResults())
      outDims.push_back(cast<AffineDimExpr>(e).getPosition());
    for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray())) {
      if (it == utils::IteratorType::reduction)
        redDims.push_back(d);
      else if (!llvm::is_contained(outDims, d))
        return rewriter.notifyMatchFailure(op, "parallel loop missing from the output");
    }
    // The element-wise stage writes T[outDims..., redDims...].
    SmallVector<AffineExpr> tExprs;
    SmallVector<int64_t> tShape;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    for (unsigned d : outDims) {
      tExprs.push_back(getAffineDimExpr(d, ctx));
      tShape.push_back(ranges[d]);
    }
    for (unsigned d : redDims) {
      tExprs.push_back(getAffineDimExpr(d, ctx));
      tShape.push_back(ranges[d]);
    }
    Value init = op.getDpsInits()[0];
    Type elemType = tensorType(init).getElementType();
    AffineMap tMap = AffineMap::get(numLoops, 0, tExprs, ctx);
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    Value reduceInput;
    Block &oldBody = op.getRegion().front();
    if (op.getNumDpsInputs() == 1 && rb->contribution == oldBody.getArgument(0) &&
        maps[0] == tMap && tensorType(op.getDpsInputs()[0]).getElementType() == elemType) {
      // Already a plain reduction of the input in T order.
      reduceInput = op.getDpsInputs()[0];
    } else {
      Value empty = tensor::EmptyOp::create(rewriter, loc, tShape, elemType);
      maps.back() = tMap;
      SmallVector<utils::IteratorType> iters(numLoops, utils::IteratorType::parallel);
      auto ew = linalg::GenericOp::create(rewriter, loc, TypeRange{empty.getType()},
                                          op.getDpsInputs(), ValueRange{empty}, maps, iters);
      // Move the body; `contribution` becomes the yielded value. The old out
      // argument is unused after the combiner is dropped.
      rewriter.inlineRegionBefore(op.getRegion(), ew.getRegion(), ew.getRegion().end());
      Block &body = ew.getRegion().front();
      auto yield = cast<linalg::YieldOp>(body.getTerminator());
      Operation *comb = rb->combiner;
      rewriter.modifyOpInPlace(yield, [&] { yield->setOperand(0, rb->contribution); });
      rewriter.eraseOp(comb);
      reduceInput = ew.getResult(0);
    }

    SmallVector<int64_t> reduceDims;
    for (size_t i = 0; i < redDims.size(); ++i)
      reduceDims.push_back(outDims.size() + i);
    Reducer kind = rb->kind;
    auto red = linalg::ReduceOp::create(
        rewriter, loc, ValueRange{reduceInput}, ValueRange{init}, reduceDims,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value r;
          switch (kind) {
          case Reducer::Add:
            r = arith::AddFOp::create(b, l, args[0], args[1]);
            break;
          case Reducer::Mul:
            r = arith::MulFOp::create(b, l, args[0], args[1]);
            break;
          case Reducer::Max:
            r = arith::MaximumFOp::create(b, l, args[0], args[1]);
            break;
          case Reducer::Min:
            r = arith::MinimumFOp::create(b, l, args[0], args[1]);
            break;
          }
          linalg::YieldOp::create(b, l, r);
        });
    rewriter.replaceOp(op, red.getResults());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Validation
//===----------------------------------------------------------------------===//

/// Whether `op` belongs to the stage-2 op set (docs/pipeline.md).
bool isStage2Op(Operation *op) {
  if (isa<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::ReduceOp, linalg::TransposeOp,
          linalg::BroadcastOp, linalg::FillOp, linalg::CopyOp, linalg::YieldOp,
          linalg::IndexOp>(op))
    return true;
  if (auto g = dyn_cast<linalg::GenericOp>(op))
    return g.getNumReductionLoops() == 0;
  if (isa<tensor::EmptyOp, tensor::PadOp, tensor::YieldOp, tensor::ExtractSliceOp,
          tensor::InsertSliceOp, tensor::CollapseShapeOp, tensor::ExpandShapeOp,
          tensor::ConcatOp>(op))
    return true;
  if (isa<func::FuncOp, func::ReturnOp, ModuleOp>(op))
    return true;
  StringRef dialect = op->getName().getDialectNamespace();
  if (dialect == "arith" || dialect == "math") {
    // Only constants may produce tensors; everything else is scalar code.
    if (isa<arith::ConstantOp>(op))
      return true;
    return llvm::none_of(op->getResultTypes(), [](Type t) { return isa<ShapedType>(t); });
  }
  return false;
}

/// Preconditions the rewrites rely on; diagnoses what no rewrite can fix.
LogicalResult checkPreconditions(Operation *root) {
  bool ok = true;
  root->walk([&](Operation *op) {
    if (getConvLayout(op) ||
        isa<linalg::DepthwiseConv2DNchwChwOp, linalg::DepthwiseConv2DNhwcHwcOp,
            linalg::DepthwiseConv2DNhwcHwcmOp, linalg::PoolingNchwSumOp,
            linalg::PoolingNchwMaxOp, linalg::PoolingNhwcSumOp, linalg::PoolingNhwcMaxOp,
            linalg::PoolingNhwcMinOp>(op)) {
      auto lop = cast<linalg::LinalgOp>(op);
      if (!lop.hasPureTensorSemantics()) {
        op->emitError() << "'" << op->getName()
                        << "' op cannot be decomposed by trn-decompose: operands must be "
                           "tensors";
        ok = false;
        return;
      }
      for (Value v : lop->getOperands())
        if (!tensorType(v).hasStaticShape()) {
          op->emitError() << "'" << op->getName()
                          << "' op cannot be decomposed by trn-decompose: shapes must be "
                             "static";
          ok = false;
          return;
        }
      if (tensor::PadOp pad = nonConstantPadProducer(lop.getDpsInputs()[0])) {
        InFlightDiagnostic d = op->emitError()
                               << "'" << op->getName()
                               << "' op cannot be decomposed by trn-decompose: the input is "
                                  "padded by a tensor.pad whose padding value is not a "
                                  "constant; supported: constant padding (e.g. zero)";
        d.attachNote(pad.getLoc()) << "padding op";
        ok = false;
      }
      return;
    }
    if (auto pad = dyn_cast<tensor::PadOp>(op)) {
      Value pv = pad.getConstantPaddingValue();
      if (!pv || !matchPattern(pv, m_Constant())) {
        op->emitError() << "'tensor.pad' op cannot be decomposed by trn-decompose: the padding "
                           "value must be a constant";
        ok = false;
      }
    }
  });
  return success(ok);
}

/// Batch-1 sequence element-wise generics lose their unit dims (a
/// [1, 128, 1024] relu becomes [128, 1024] between reshapes): trn-layout may
/// give them a consumer's transposed layout ([1024, 1, 128]) whose logical
/// dim rank-2, the partition dim, is then the unit dim (one-partition tiles,
/// element-granular DMAs; a TransformerEncoderLayer's FFN relu cost 400 us).
static LogicalResult dropUnitDimsOfElementwise(Operation *root) {
  linalg::ControlDropUnitDims options;
  options.controlFn = [](Operation *op) -> SmallVector<unsigned> {
    auto g = dyn_cast<linalg::GenericOp>(op);
    if (!g || g.getNumReductionLoops() != 0 || !g.hasPureTensorSemantics())
      return {};
    // Only batch-1 sequences ([1, T, D] -> [T, D]): rank-4 images keep their
    // dims (their layout already puts H on partitions; measured: dropping N
    // there adds reshape copies).
    SmallVector<int64_t> ranges = g.getStaticLoopRanges();
    SmallVector<unsigned> dims;
    for (unsigned d = 0; d < ranges.size(); ++d)
      if (ranges[d] == 1)
        dims.push_back(d);
    if (ranges.size() < 3 || ranges.size() - dims.size() != 2)
      return {};
    return dims;
  };
  RewritePatternSet patterns(root->getContext());
  linalg::populateFoldUnitExtentDimsPatterns(patterns, options);
  return applyPatternsGreedily(root, std::move(patterns));
}

/// Reassociation of `shape` that folds the unit dims in `drop` into a
/// neighbouring kept dim (the next one; trailing ones into the last).
static SmallVector<ReassociationIndices> foldDims(ArrayRef<int64_t> shape,
                                                 const llvm::SmallDenseSet<int64_t> &drop) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    pending.push_back(d);
    if (!drop.contains(d)) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!pending.empty() && !groups.empty())
    groups.back().append(pending.begin(), pending.end());
  return groups;
}

/// The reductions of those sequences lose their kept unit dims too: a
/// LayerNorm's [1, T, D] sum over D becomes [T, D] -> [T], so that its
/// partition dim is T and it shares the row space of the element-wise ops
/// around it (trn-fuse-rows fuses them into one tile loop).
static void dropUnitDimsOfReductions(Operation *root) {
  SmallVector<linalg::ReduceOp> todo;
  root->walk([&](linalg::ReduceOp op) {
    auto in = dyn_cast<RankedTensorType>(op.getInputs().front().getType());
    if (op.getInputs().size() != 1 || !op.hasPureTensorSemantics() || !in ||
        !in.hasStaticShape() || in.getRank() < 3)
      return;
    int64_t units = 0;
    for (int64_t d = 0; d < in.getRank(); ++d)
      units += in.getDimSize(d) == 1 && !llvm::is_contained(op.getDimensions(), d);
    if (units > 0 && in.getRank() - units == 2 && in.getRank() - units > static_cast<int64_t>(op.getDimensions().size()))
      todo.push_back(op);
  });
  IRRewriter rewriter(root->getContext());
  for (linalg::ReduceOp op : todo) {
    auto in = cast<RankedTensorType>(op.getInputs().front().getType());
    auto out = cast<RankedTensorType>(op.getInits().front().getType());
    llvm::SmallDenseSet<int64_t> dropIn, dropOut;
    SmallVector<int64_t> newDims;
    int64_t outPos = 0, newPos = 0;
    for (int64_t d = 0; d < in.getRank(); ++d) {
      bool reduced = llvm::is_contained(op.getDimensions(), d);
      bool unit = in.getDimSize(d) == 1 && !reduced;
      if (unit) {
        dropIn.insert(d);
        dropOut.insert(outPos);
      }
      if (reduced)
        newDims.push_back(newPos);
      if (!unit)
        ++newPos;
      if (!reduced)
        ++outPos;
    }
    SmallVector<ReassociationIndices> inGroups = foldDims(in.getShape(), dropIn);
    SmallVector<ReassociationIndices> outGroups = foldDims(out.getShape(), dropOut);
    rewriter.setInsertionPoint(op);
    Location loc = op.getLoc();
    Value x = tensor::CollapseShapeOp::create(rewriter, loc, op.getInputs().front(), inGroups);
    Value init;
    if (auto fill = op.getInits().front().getDefiningOp<linalg::FillOp>()) {
      // A fresh fill keeps the initial value visible (trn-fuse-rows, lowering).
      auto t = cast<RankedTensorType>(
          tensor::CollapseShapeOp::inferCollapsedType(out, outGroups));
      Value empty = tensor::EmptyOp::create(rewriter, loc, t.getShape(), t.getElementType());
      init = linalg::FillOp::create(rewriter, loc, fill.getDpsInputOperand(0)->get(), empty)
                 ->getResult(0);
    } else {
      init = tensor::CollapseShapeOp::create(rewriter, loc, op.getInits().front(), outGroups);
    }
    auto reduced = linalg::ReduceOp::create(rewriter, loc, ValueRange{x}, ValueRange{init},
                                            newDims, [](OpBuilder &, Location, ValueRange) {});
    reduced->setAttrs(op->getDiscardableAttrDictionary());
    Region &body = reduced.getCombiner();
    body.getBlocks().clear();
    rewriter.cloneRegionBefore(op.getCombiner(), body, body.end());
    Value result = tensor::ExpandShapeOp::create(rewriter, loc, out, reduced->getResult(0),
                                                 outGroups);
    rewriter.replaceOp(op, result);
  }
}

/// `x` [C, H*W] when the image value `v` [1, C, H, W] is a reshape of it:
/// `expand_shape(x) [[0, 1], [2, 3]]` (a flattened image op's result), or a
/// convolution's output `insert_slice(expand_shape(x) [[0], [1, 2]])` that
/// overwrites all of its destination (one image, one group), whose
/// destination's values are therefore dead. Null otherwise.
static Value flatImageSource(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || type.getRank() != 4 || !type.hasStaticShape() || type.getDimSize(0) != 1)
    return {};
  using Groups = SmallVector<ReassociationIndices>;
  if (auto e = v.getDefiningOp<tensor::ExpandShapeOp>()) {
    if (e.getSrcType().getRank() == 2 &&
        e.getReassociationIndices() == Groups{{0, 1}, {2, 3}})
      return e.getSrc();
    return {};
  }
  auto ins = v.getDefiningOp<tensor::InsertSliceOp>();
  if (!ins || !ins.hasUnitStride() || ins.getStaticSizes() != type.getShape() ||
      !llvm::all_of(ins.getStaticOffsets(), [](int64_t o) { return o == 0; }))
    return {};
  auto e = ins.getSource().getDefiningOp<tensor::ExpandShapeOp>();
  if (!e || e.getSrcType().getRank() != 2 || e.getResultType().getRank() != 3 ||
      e.getReassociationIndices() != Groups{{0}, {1, 2}})
    return {};
  return e.getSrc();
}

/// Whether `g` is a batch-1 image element-wise generic that can run on
/// [C, H*W]: rank 4, loop ranges [1, C, H, W], all parallel, one result
/// with the identity map, no linalg.index, and every input either a whole
/// image (identity map, not a strided window slice), a per-channel vector
/// (`(n, c, h, w) -> (c)`) or a rank-0 scalar.
static bool isFlattenableImageOp(linalg::GenericOp g) {
  if (!g.hasPureTensorSemantics() || g.getNumLoops() != 4 || g.getNumResults() != 1 ||
      g.getNumReductionLoops() != 0 || !g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity())
    return false;
  SmallVector<int64_t> ranges = g.getStaticLoopRanges();
  if (ranges[0] != 1 || ShapedType::isDynamicShape(ranges))
    return false;
  if (!g.getBody()->getOps<linalg::IndexOp>().empty())
    return false;
  for (OpOperand *in : g.getDpsInputOperands()) {
    AffineMap m = g.getMatchingIndexingMap(in);
    if (m.isIdentity()) {
      if (in->get().getDefiningOp<tensor::ExtractSliceOp>())
        return false; // a pooling/depthwise window: keeps its strided form
      continue;
    }
    if (m.getNumResults() == 0)
      continue;
    if (m.getNumResults() == 1 && m.getResult(0) == getAffineDimExpr(1, g.getContext()))
      continue;
    return false;
  }
  return true;
}

/// Batch-1 image element-wise generics that read a convolution's result (or
/// the result of another such generic) run on the conv's own [C, H*W] form:
/// the conv's tap chain produces C[F, OH*OW], and its folded-BN bias, the
/// residual add and the ReLU after it become 2-D generics (`(c) ` vectors
/// read through `(d0, d1) -> (d0)`) between reshapes, with the reshape chain
/// `collapse(insert_slice(expand(x)))` folded to `x`. trn-tile then fuses
/// them into the tap chain's eviction (same [F, N] tiles, F on partitions)
/// instead of tiling rank-4 generics with H on partitions (W-element DMA
/// rows) and an HBM round trip per op. Image ops not fed by a conv (pooling,
/// depthwise chains and their epilogues) keep their rank-4 form.
static void flattenImageElementwise(Operation *root) {
  SmallVector<linalg::GenericOp> ops;
  root->walk([&](linalg::GenericOp g) {
    if (isFlattenableImageOp(g))
      ops.push_back(g);
  });
  IRRewriter rewriter(root->getContext());
  using Groups = SmallVector<ReassociationIndices>;
  const Groups groups{{0, 1}, {2, 3}};
  for (linalg::GenericOp g : ops) {
    bool fed = llvm::any_of(g.getDpsInputOperands(), [&](OpOperand *in) {
      return g.getMatchingIndexingMap(in).isIdentity() && flatImageSource(in->get());
    });
    if (!fed)
      continue;
    rewriter.setInsertionPoint(g);
    Location loc = g.getLoc();
    MLIRContext *ctx = g.getContext();
    auto flat = [&](Value v) -> Value {
      if (Value x = flatImageSource(v))
        return x;
      if (auto empty = v.getDefiningOp<tensor::EmptyOp>()) {
        auto t = cast<RankedTensorType>(v.getType());
        return tensor::EmptyOp::create(rewriter, loc,
                                       {t.getDimSize(1), t.getDimSize(2) * t.getDimSize(3)},
                                       t.getElementType());
      }
      return tensor::CollapseShapeOp::create(rewriter, loc, v, groups);
    };
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    SmallVector<Value> ins;
    SmallVector<AffineMap> maps;
    for (OpOperand *in : g.getDpsInputOperands()) {
      AffineMap m = g.getMatchingIndexingMap(in);
      if (m.isIdentity()) {
        ins.push_back(flat(in->get()));
        maps.push_back(id);
      } else if (m.getNumResults() == 0) {
        ins.push_back(in->get());
        maps.push_back(AffineMap::get(2, 0, {}, ctx));
      } else {
        ins.push_back(in->get());
        maps.push_back(AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx));
      }
    }
    Value init = flat(g.getDpsInitOperand(0)->get());
    maps.push_back(id);
    SmallVector<utils::IteratorType> iters(2, utils::IteratorType::parallel);
    auto flatOp = linalg::GenericOp::create(rewriter, loc, TypeRange{init.getType()}, ins,
                                            ValueRange{init}, maps, iters);
    flatOp->setDiscardableAttrs(g->getDiscardableAttrDictionary());
    rewriter.inlineRegionBefore(g.getRegion(), flatOp.getRegion(), flatOp.getRegion().end());
    Value back = tensor::ExpandShapeOp::create(rewriter, loc, g.getResultTypes()[0],
                                               flatOp.getResult(0), groups);
    rewriter.replaceOp(g, back);
  }
  // The reshapes (and a conv output's insert_slice) that were only read by
  // the rewritten ops are dead now; the conv's fill then only feeds its
  // first tap's accumulator view.
  bool changed = true;
  while (changed) {
    changed = false;
    root->walk([&](Operation *op) {
      if (isa<tensor::InsertSliceOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
              tensor::EmptyOp>(op) &&
          op->use_empty()) {
        rewriter.eraseOp(op);
        changed = true;
      }
    });
  }
}

struct TrnDecomposePass : trn::impl::TrnDecomposePassBase<TrnDecomposePass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    MLIRContext *ctx = &getContext();
    if (failed(checkPreconditions(root)))
      return signalPassFailure();

    RewritePatternSet patterns(ctx);
    patterns.add<ConvToMatmuls, WindowOpToElementwise, DecomposeSoftmax,
                 VectorContractionToMatmul, GeneralizeElementwise, SplitGenericReduction,
                 SplitMultiResultElementwise>(ctx);
    linalg::populateElementwiseToLinalgConversionPatterns(patterns);
    if (failed(applyPatternsGreedily(root, std::move(patterns)))) {
      root->emitError() << "trn-decompose: rewrites did not converge";
      return signalPassFailure();
    }
    dropUnitDimsOfReductions(root);
    if (failed(dropUnitDimsOfElementwise(root))) {
      root->emitError() << "trn-decompose: unit-dim folding did not converge";
      return signalPassFailure();
    }
    flattenImageElementwise(root);

    bool ok = true;
    root->walk([&](Operation *op) {
      if (isStage2Op(op))
        return WalkResult::advance();
      std::string reason = "no rewrite to the stage-2 op set applies";
      if (auto g = dyn_cast<linalg::GenericOp>(op))
        reason = "reductions must be `out = combine(out, f(inputs))` with a single output and "
                 "an add/mul/max/min combiner (contractions: two inputs multiplied and added)";
      op->emitError() << "'" << op->getName() << "' op cannot be decomposed by trn-decompose: "
                      << reason
                      << "; supported after decomposition: linalg.matmul/batch_matmul, "
                         "element-wise linalg.generic, linalg.reduce, data movement";
      ok = false;
      return WalkResult::skip();
    });
    if (!ok)
      signalPassFailure();
  }
};

} // namespace
