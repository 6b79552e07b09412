//===- FuseRows.cpp - trn-fuse-rows: row-wise fusion around reductions ----===//
//
// Softmax, LayerNorm and similar chains alternate reductions over the last
// dim with element-wise ops over the same rows:
//
//   m = max_k x;   e = exp(x - m);   s = sum_k e;   y = e / s
//
// Tiled one op at a time (trn-tile), every intermediate makes an HBM round
// trip and every [rows] statistic is written and re-read. When a row fits in
// one SBUF partition, this pass tiles the whole chain as one loop nest over
// row tiles instead: each iteration computes every member on a [P, K] tile
// (P <= partitions rows, the whole reduced dim K on the free axis), so only
// the chain's inputs are loaded and its results stored; statistics stay on
// chip as [P] columns.
//
// Members (all in the function body, static shapes, a row space [R..., K]):
//  * linalg.reduce of one [R..., K] input over exactly its last dim, whose
//    init is a constant linalg.fill;
//  * element-wise linalg.generic ops (identity result map, result not read
//    by the body) over the row space, reading other members' results in row
//    order: [R..., K] values with the identity map, reduce results with the
//    row map (r..., k) -> (r...). A generic may iterate the row space
//    permuted (trn-layout re-creates a softmax's division transposed for its
//    batch_matmul consumer); one that swaps the last two dims is a sink, and
//    its tile is transposed on chip (PE) before it is stored.
// A group is a connected component with a reduction read by an element-wise
// member. Values used outside the group become loop results; all such uses
// must follow the group's last member. Groups whose rows exceed the free
// budget (SBUF/16 per operand) stay as they are.
//
// The loops are a tile loop nest of stage 4 (docs/pipeline.md): outer row
// dims step 1, the partition dim in steps of min(P, extent) plus a peeled
// remainder, static tile shapes; trn-tile leaves them alone.
//
//===----------------------------------------------------------------------===//

#include "TileUtils.h"
#include "trn/Dialect/Trn/IR/TrnDialect.h"
#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>
#include <map>

namespace mlir::trn {
#define GEN_PASS_DEF_TRNFUSEROWSPASS
#include "trn/Transforms/Passes.h.inc"
} // namespace mlir::trn

using namespace mlir;
using namespace mlir::trn;

namespace {

/// A member of a row group.
struct Member {
  Operation *op = nullptr;
  bool isReduce = false;
  /// Generics: the loop dim iterating each row-space dim (identity for
  /// reductions and row-ordered generics).
  SmallVector<unsigned> perm;
  SmallVector<int64_t> shape; // the row space [R..., K]
  bool swapped() const { // the last two row-space dims swapped (a sink)
    unsigned n = perm.size();
    return n >= 2 && perm[n - 2] == n - 1 && perm[n - 1] == n - 2;
  }
  bool rowOrdered() const {
    for (unsigned i = 0; i < perm.size(); ++i)
      if (perm[i] != i)
        return false;
    return true;
  }
};

/// A static slice with unit dims dropped from its tile type.
struct Slice {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  SmallVector<int64_t> kept; // the tile's shape
  Value extract(OpBuilder &b, Location loc, Value source, Type elem) const {
    return tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get(kept, elem), source,
                                          offsets, sizes, strides);
  }
};

struct TrnFuseRowsPass : trn::impl::TrnFuseRowsPassBase<TrnFuseRowsPass> {
  using Base::Base;
  void runOnOperation() override {
    for (func::FuncOp func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal())
        runOnFunction(func);
  }
  void runOnFunction(func::FuncOp func);
};

} // namespace

static bool isConstantFill(Value v) {
  auto fill = v.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  auto c = fill.getDpsInputOperand(0)->get().getDefiningOp<arith::ConstantOp>();
  return c && isa<FloatAttr>(c.getValue());
}

static bool isStatic(Operation *op) {
  for (Value v : op->getOperands())
    if (auto t = dyn_cast<ShapedType>(v.getType()); t && !t.hasStaticShape())
      return false;
  return true;
}

/// A reduction over exactly the last dim of one static input of rank >= 2
/// with a constant initial value.
static bool isRowReduce(linalg::ReduceOp op) {
  if (op.getInputs().size() != 1 || op.getInits().size() != 1 || !op.hasPureTensorSemantics() ||
      !isStatic(op))
    return false;
  auto in = cast<RankedTensorType>(op.getInputs().front().getType());
  return in.getRank() >= 2 && op.getDimensions().size() == 1 &&
         op.getDimensions().front() == in.getRank() - 1 &&
         isConstantFill(op.getInits().front());
}

/// An element-wise generic with an identity result map whose body does not
/// read its output, of rank >= 2.
static bool isRowElementwise(linalg::GenericOp g) {
  if (!tileutils::isElementwiseGeneric(g) || !g.hasPureTensorSemantics() || !isStatic(g) ||
      g->getNumResults() != 1 || g.getNumLoops() < 2)
    return false;
  OpOperand *out = g.getDpsInitOperand(0);
  return g.getMatchingIndexingMap(out).isIdentity() && !g.payloadUsesValueFromOperand(out);
}

/// The row-space permutation of generic `g` implied by reading `producer`'s
/// result through `operand`, or std::nullopt when `producer`'s value cannot
/// be read in row order there.
static std::optional<SmallVector<unsigned>> permFromRead(linalg::GenericOp g, OpOperand &operand,
                                                         const Member &producer) {
  unsigned n = producer.shape.size();
  if (g.getNumLoops() != n || !producer.rowOrdered())
    return std::nullopt;
  AffineMap m = g.getMatchingIndexingMap(&operand);
  SmallVector<unsigned> perm;
  for (unsigned i = 0; i < m.getNumResults(); ++i)
    perm.push_back(m.getDimPosition(i));
  if (producer.isReduce) {
    if (perm.size() != n - 1)
      return std::nullopt;
    for (unsigned l = 0; l < n; ++l)
      if (!llvm::is_contained(perm, l)) {
        perm.push_back(l);
        break;
      }
  }
  if (perm.size() != n)
    return std::nullopt;
  return perm;
}

void TrnFuseRowsPass::runOnFunction(func::FuncOp func) {
  const trnrt::Target &target = getTarget(func);
  Block &block = func.getBody().front();

  // --- Members and their links (block order: producers first) -------------
  SmallVector<Member> members;
  llvm::DenseMap<Operation *, unsigned> index;
  SmallVector<unsigned> parent; // union-find over member indices
  std::function<unsigned(unsigned)> find = [&](unsigned i) {
    return parent[i] == i ? i : parent[i] = find(parent[i]);
  };
  llvm::DenseSet<std::pair<Operation *, Operation *>> links; // (consumer, producer)
  // A group is sealed once an op outside it reads one of its values: the
  // loop will sit at the group's last member, so no member may join later.
  SmallVector<bool> sealed; // by union-find root
  auto producerOf = [&](Value v) -> const Member * {
    Operation *def = v.getDefiningOp();
    auto it = def ? index.find(def) : index.end();
    return it == index.end() ? nullptr : &members[it->second];
  };
  auto joinable = [&](const Member *p) {
    return p && !sealed[find(static_cast<unsigned>(p - members.data()))];
  };
  for (Operation &op : block) {
    Member m;
    m.op = &op;
    SmallVector<const Member *> linked;
    auto sealReadGroups = [&] { // `op` is not a member: it seals what it reads
      op.walk([&](Operation *nested) {
        for (Value v : nested->getOperands())
          if (const Member *p = producerOf(v))
            sealed[find(static_cast<unsigned>(p - members.data()))] = true;
      });
    };
    if (auto red = dyn_cast<linalg::ReduceOp>(&op); red && isRowReduce(red)) {
      m.isReduce = true;
      auto in = cast<RankedTensorType>(red.getInputs().front().getType());
      m.shape.assign(in.getShape().begin(), in.getShape().end());
      for (unsigned i = 0; i < m.shape.size(); ++i)
        m.perm.push_back(i);
      if (const Member *p = producerOf(red.getInputs().front());
          joinable(p) && !p->isReduce && p->rowOrdered() && p->shape == m.shape)
        linked.push_back(p);
    } else if (auto g = dyn_cast<linalg::GenericOp>(&op); g && isRowElementwise(g)) {
      SmallVector<int64_t> ranges = g.getStaticLoopRanges();
      std::optional<SmallVector<unsigned>> perm;
      for (OpOperand *in : g.getDpsInputOperands()) {
        const Member *p = producerOf(in->get());
        if (!joinable(p))
          continue;
        std::optional<SmallVector<unsigned>> q = permFromRead(g, *in, *p);
        if (!q || (perm && *perm != *q))
          continue;
        bool sameShape = true;
        for (unsigned i = 0; i < q->size(); ++i)
          sameShape &= ranges[(*q)[i]] == p->shape[i];
        if (!sameShape)
          continue;
        perm = q;
        linked.push_back(p);
      }
      if (!perm) {
        perm.emplace();
        for (unsigned i = 0; i < ranges.size(); ++i)
          perm->push_back(i);
      }
      m.perm = *perm;
      for (unsigned i = 0; i < m.perm.size(); ++i)
        m.shape.push_back(ranges[m.perm[i]]);
      // Other permutations than the last-two swap (a transposed sink, stored
      // through PE transposes of the [P, K] tile in blocks of <= 128
      // columns) are not fused.
      if (!m.rowOrdered() && !m.swapped())
        linked.clear();
    } else {
      sealReadGroups();
      continue;
    }
    // Unlinked reads of other groups' values seal those groups.
    for (Value v : op.getOperands())
      if (const Member *p = producerOf(v); p && !llvm::is_contained(linked, p))
        sealed[find(static_cast<unsigned>(p - members.data()))] = true;
    unsigned id = members.size();
    SmallVector<unsigned> linkedIds;
    for (const Member *p : linked) { // before push_back moves the members
      linkedIds.push_back(index.lookup(p->op));
      links.insert({&op, p->op});
    }
    members.push_back(std::move(m));
    index[&op] = id;
    parent.push_back(id);
    sealed.push_back(false);
    for (unsigned pid : linkedIds)
      parent[find(pid)] = find(id);
  }

  // --- Groups worth fusing -------------------------------------------------
  IRRewriter rewriter(func.getContext());
  std::map<unsigned, SmallVector<unsigned>> components; // by root, members in block order
  for (unsigned id = 0; id < members.size(); ++id)
    components[find(id)].push_back(id);
  for (auto &[root, ids] : components) {
    llvm::SmallPtrSet<Operation *, 16> inGroup;
    for (unsigned id : ids)
      inGroup.insert(members[id].op);
    // A reduction read by an element-wise member.
    bool statistic = false;
    for (unsigned id : ids)
      if (!members[id].isReduce)
        for (Value v : members[id].op->getOperands())
          if (const Member *p = producerOf(v);
              p && p->isReduce && links.contains({members[id].op, p->op}))
            statistic = true;
    if (!statistic)
      continue;
    // A member reading another member's result without a link (a map other
    // than row order) would need the value before the loop computes it.
    bool unlinked = false;
    for (unsigned id : ids)
      for (Value v : members[id].op->getOperands())
        if (Operation *d = v.getDefiningOp();
            d && inGroup.contains(d) && !links.contains({members[id].op, d}))
          unlinked = true;
    if (unlinked)
      continue;
    const SmallVector<int64_t> S = members[ids.front()].shape;
    const unsigned n = S.size();
    const int64_t K = S.back();
    int64_t elemBytes = 4;
    for (unsigned id : ids)
      for (Value v : members[id].op->getOperands())
        if (auto t = dyn_cast<ShapedType>(v.getType()))
          elemBytes = std::max<int64_t>(elemBytes, (t.getElementTypeBitWidth() + 7) / 8);
    if (K * elemBytes > static_cast<int64_t>(target.sbufBytesPerPartition / 16))
      continue;
    // Uses outside the group must follow its last member (they will read the
    // loop results); members read only linked producers in the group.
    Operation *last = members[ids.back()].op;
    bool ok = true;
    SmallVector<Value> escaping;
    for (unsigned id : ids) {
      Operation *op = members[id].op;
      Value r = op->getResult(0);
      bool escapes = false;
      for (OpOperand &use : r.getUses()) {
        Operation *user = use.getOwner();
        if (inGroup.contains(user) && links.contains({user, op}))
          continue;
        Operation *anc = block.findAncestorOpInBlock(*user);
        if (!anc || anc == last || !last->isBeforeInBlock(anc))
          ok = false;
        escapes = true;
      }
      if (escapes)
        escaping.push_back(r);
    }
    if (!ok || escaping.empty())
      continue;

    // --- Emission ----------------------------------------------------------
    rewriter.setInsertionPoint(last);
    Location loc = last->getLoc();
    SmallVector<Value> inits;
    for (Value v : escaping) {
      auto t = cast<RankedTensorType>(v.getType());
      inits.push_back(tensor::EmptyOp::create(rewriter, loc, t.getShape(), t.getElementType()));
    }
    // Escaping generics that no member reads and that keep the row order
    // are computed straight into their slice of the loop result.
    llvm::SmallPtrSet<Operation *, 4> directSinks;
    llvm::DenseMap<Value, unsigned> escapeIndex;
    for (auto [i, v] : llvm::enumerate(escaping)) {
      escapeIndex[v] = i;
      const Member &m = members[index.lookup(v.getDefiningOp())];
      bool readInGroup = llvm::any_of(v.getUsers(), [&](Operation *u) {
        return inGroup.contains(u) && links.contains({u, m.op});
      });
      if (!m.isReduce && !m.swapped() && !readInGroup)
        directSinks.insert(m.op);
    }
    // The slice of escaping value `v` (of member `m`) that a row tile covers.
    auto destSlice = [&](OpBuilder &b, const Member &m, Value v, ValueRange ivs, int64_t P) {
      Slice sl;
      unsigned rank = cast<RankedTensorType>(v.getType()).getRank();
      for (unsigned j = 0; j < rank; ++j) {
        // The row-space dim of result dim j (= loop dim j of a generic).
        unsigned g = m.isReduce ? j
                                : static_cast<unsigned>(llvm::find(m.perm, j) - m.perm.begin());
        sl.strides.push_back(b.getIndexAttr(1));
        if (g + 2 < n) {
          sl.offsets.push_back(ivs[g]);
          sl.sizes.push_back(b.getIndexAttr(1));
          continue;
        }
        int64_t size = g + 2 == n ? P : K;
        sl.offsets.push_back(g + 2 == n ? OpFoldResult(ivs[n - 2]) : b.getIndexAttr(0));
        sl.sizes.push_back(b.getIndexAttr(size));
        sl.kept.push_back(size);
      }
      return sl;
    };
    // How often each outside operand slice is read: twice or more -> staged
    // once in SBUF (linalg.copy) instead of loaded by each reader.
    auto sliceKey = [&](const Member &m, OpOperand &o) {
      AffineMap map = cast<linalg::LinalgOp>(m.op).getMatchingIndexingMap(&o);
      SmallVector<unsigned> dims; // row-space dim of each operand dim
      for (unsigned i = 0; i < map.getNumResults(); ++i)
        dims.push_back(static_cast<unsigned>(llvm::find(m.perm, map.getDimPosition(i)) -
                                             m.perm.begin()));
      return std::make_pair(o.get().getAsOpaquePointer(), dims);
    };
    std::map<std::pair<const void *, SmallVector<unsigned>>, unsigned> readers;
    for (unsigned id : ids)
      for (OpOperand *o : cast<linalg::LinalgOp>(members[id].op).getDpsInputOperands())
        if (!links.contains({members[id].op, o->get().getDefiningOp()}))
          ++readers[sliceKey(members[id], *o)];

    MLIRContext *ctx = rewriter.getContext();
    AffineMap rowsMap = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
    AffineMap tileMap = AffineMap::getMultiDimIdentityMap(2, ctx);
    // One row tile at group offsets `ivs` (outer dims, partition start) of
    // `P` rows: computes all members, inserts the escaping ones into `args`.
    auto body = [&](OpBuilder &b, ValueRange ivs, ValueRange args, int64_t P) {
      llvm::DenseMap<Value, Value> tile;
      std::map<std::pair<const void *, SmallVector<unsigned>>, Value> staged;
      // The tile of an outside operand read through `o` of member `m`, and
      // its 2-D map.
      auto outsideTile = [&](const Member &m, OpOperand &o) -> std::pair<Value, AffineMap> {
        auto key = sliceKey(m, o);
        const SmallVector<unsigned> &dims = key.second;
        auto t = cast<RankedTensorType>(o.get().getType());
        SmallVector<OpFoldResult> offsets, sizes, strides;
        SmallVector<int64_t> kept;
        SmallVector<AffineExpr> exprs;
        for (unsigned i = 0; i < dims.size(); ++i) {
          unsigned g = dims[i];
          strides.push_back(b.getIndexAttr(1));
          if (g + 2 < n) {
            offsets.push_back(ivs[g]);
            sizes.push_back(b.getIndexAttr(1));
          } else if (g + 2 == n) {
            offsets.push_back(ivs[n - 2]);
            sizes.push_back(b.getIndexAttr(P));
            kept.push_back(P);
            exprs.push_back(getAffineDimExpr(0, ctx));
          } else {
            offsets.push_back(b.getIndexAttr(0));
            sizes.push_back(b.getIndexAttr(K));
            kept.push_back(K);
            exprs.push_back(getAffineDimExpr(1, ctx));
          }
        }
        AffineMap map = AffineMap::get(2, 0, exprs, ctx);
        if (auto found = staged.find(key); found != staged.end())
          return {found->second, map};
        Value v = o.get();
        // Operands that only vary along K (e.g. LayerNorm's weight) are read
        // whole; the others are sliced to the tile's rows.
        if (llvm::any_of(dims, [&](unsigned g) { return g + 1 != n; }))
          v = tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get(kept, t.getElementType()),
                                             o.get(), offsets, sizes, strides);
        if (readers[key] > 1 && map == tileMap) {
          Value e = tensor::EmptyOp::create(b, loc, kept, t.getElementType());
          v = linalg::CopyOp::create(b, loc, v, e)->getResult(0);
          staged[key] = v;
        }
        return {v, map};
      };

      for (unsigned id : ids) {
        const Member &m = members[id];
        Location mloc = m.op->getLoc();
        if (m.isReduce) {
          auto red = cast<linalg::ReduceOp>(m.op);
          OpOperand &in = red->getOpOperand(0);
          Value x = links.contains({m.op, in.get().getDefiningOp()})
                        ? tile.lookup(in.get())
                        : outsideTile(m, in).first;
          auto fill = red.getInits().front().getDefiningOp<linalg::FillOp>();
          Type elem = cast<RankedTensorType>(red->getResult(0).getType()).getElementType();
          Value e = tensor::EmptyOp::create(b, mloc, ArrayRef<int64_t>{P}, elem);
          Value init = linalg::FillOp::create(b, mloc, fill.getDpsInputOperand(0)->get(), e)
                           ->getResult(0);
          auto r = linalg::ReduceOp::create(b, mloc, ValueRange{x}, ValueRange{init},
                                            ArrayRef<int64_t>{1},
                                            [](OpBuilder &, Location, ValueRange) {});
          r->setDiscardableAttrs(red->getDiscardableAttrDictionary());
          Region &combiner = r.getCombiner();
          combiner.getBlocks().clear();
          IRMapping none;
          red.getCombiner().cloneInto(&combiner, none);
          tile[red->getResult(0)] = r->getResult(0);
          continue;
        }
        auto g = cast<linalg::GenericOp>(m.op);
        SmallVector<Value> ins;
        SmallVector<AffineMap> maps;
        for (OpOperand *o : g.getDpsInputOperands()) {
          const Member *p = producerOf(o->get());
          if (p && links.contains({m.op, p->op})) {
            ins.push_back(tile.lookup(o->get()));
            maps.push_back(p->isReduce ? rowsMap : tileMap);
            continue;
          }
          auto [v, map] = outsideTile(m, *o);
          ins.push_back(v);
          maps.push_back(map);
        }
        Type elem = cast<RankedTensorType>(g->getResult(0).getType()).getElementType();
        // A sink writes its slice of the loop result in place (DPS form, as
        // trn-tile emits it), the others a fresh on-chip tile.
        Value out = directSinks.contains(m.op)
                        ? destSlice(b, m, g->getResult(0), ivs, P)
                              .extract(b, mloc, args[escapeIndex.lookup(g->getResult(0))], elem)
                        : tensor::EmptyOp::create(b, mloc, ArrayRef<int64_t>{P, K}, elem);
        maps.push_back(tileMap);
        SmallVector<utils::IteratorType> iters(2, utils::IteratorType::parallel);
        auto t = linalg::GenericOp::create(b, mloc, TypeRange{out.getType()}, ins, ValueRange{out},
                                           maps, iters);
        t->setDiscardableAttrs(g->getDiscardableAttrDictionary());
        IRMapping none;
        g.getRegion().cloneInto(&t.getRegion(), none);
        tile[g->getResult(0)] = t->getResult(0);
      }

      SmallVector<Value> results;
      for (auto [v, arg] : llvm::zip(escaping, args)) {
        const Member &m = members[index.lookup(v.getDefiningOp())];
        Value t = tile.lookup(v);
        auto tt = cast<RankedTensorType>(t.getType());
        Slice dest = destSlice(b, m, v, ivs, P);
        if (!directSinks.contains(m.op)) {
          // Stored from its own tile: in-group readers keep the on-chip value
          // (a producer writing HBM would make them load it back).
          Value d = dest.extract(b, loc, arg, tt.getElementType());
          t = m.swapped()
                  ? linalg::TransposeOp::create(b, loc, t, d, ArrayRef<int64_t>{1, 0})->getResult(0)
                  : linalg::CopyOp::create(b, loc, t, d)->getResult(0);
        }
        results.push_back(tensor::InsertSliceOp::create(b, loc, t, arg, dest.offsets, dest.sizes,
                                                        dest.strides)
                              ->getResult(0));
      }
      return results;
    };

    // Loops: outer row dims step 1, the partition dim in full tiles of T rows
    // and a peeled remainder.
    const int64_t rows = S[n - 2];
    const int64_t T = std::min<int64_t>(rows, target.numPartitions);
    const int64_t mainEnd = rows / T * T;
    std::function<SmallVector<Value>(OpBuilder &, unsigned, SmallVector<Value> &, ValueRange,
                                     int64_t, int64_t, int64_t)>
        nest = [&](OpBuilder &b, unsigned d, SmallVector<Value> &ivs, ValueRange args,
                   int64_t lo, int64_t hi, int64_t step) -> SmallVector<Value> {
      int64_t from = d + 2 < n ? 0 : lo, to = d + 2 < n ? S[d] : hi, by = d + 2 < n ? 1 : step;
      Value lb = arith::ConstantIndexOp::create(b, loc, from);
      Value ub = arith::ConstantIndexOp::create(b, loc, to);
      Value st = arith::ConstantIndexOp::create(b, loc, by);
      auto loop = scf::ForOp::create(
          b, loc, lb, ub, st, args,
          [&](OpBuilder &bb, Location, Value iv, ValueRange iterArgs) {
            ivs.push_back(iv);
            SmallVector<Value> res = d + 2 < n ? nest(bb, d + 1, ivs, iterArgs, lo, hi, step)
                                               : body(bb, ivs, iterArgs, step);
            ivs.pop_back();
            scf::YieldOp::create(bb, loc, res);
          });
      return SmallVector<Value>(loop->getResults().begin(), loop->getResults().end());
    };
    SmallVector<Value> ivs;
    SmallVector<Value> results = nest(rewriter, 0, ivs, inits, 0, mainEnd, T);
    if (mainEnd < rows)
      results = nest(rewriter, 0, ivs, results, mainEnd, rows, rows - mainEnd);

    for (auto [v, r] : llvm::zip(escaping, results))
      rewriter.replaceAllUsesWith(v, r);
    SmallVector<Operation *> deadInits;
    for (unsigned id : llvm::reverse(ids)) {
      Operation *op = members[id].op;
      for (Value v : cast<DestinationStyleOpInterface>(op).getDpsInits())
        if (Operation *d = v.getDefiningOp())
          deadInits.push_back(d);
      rewriter.eraseOp(op);
    }
    for (Operation *d : deadInits) // fills, then their empties
      if (d->use_empty()) {
        SmallVector<Value> operands(d->getOperands());
        rewriter.eraseOp(d);
        for (Value o : operands)
          if (Operation *od = o.getDefiningOp(); od && isa<tensor::EmptyOp>(od) && od->use_empty())
            rewriter.eraseOp(od);
      }
  }
}
