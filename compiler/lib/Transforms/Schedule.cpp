//===- Schedule.cpp - trn-schedule: queues, order, semaphores -------------===//
//
// Stage 8 of docs/pipeline.md. Input: allocated straight-line device code
// (stage 7: every trn.alloc has an offset). Output: every instruction has a
// `queue`, cross-queue dependencies are ordered by `sync` semaphores, and the
// instruction order in the function is a valid global issue order.
//
// 1. Dependencies through memory: for each pair of instructions in program
//    order, a read-after-write, write-after-read or write-after-write on a
//    common byte of the same memory (same tensor for HBM) is an edge. Tiles
//    are the static access patterns of the serializer (ScheduleInstructions);
//    bounding boxes are tested first, then the exact strided byte sets.
// 2. List scheduling with the target cost model (trnrt::Target::durationNs):
//    repeatedly pick, among the instructions whose predecessors are all
//    scheduled, the one that can start earliest on one of its candidate
//    queues (ties: longest remaining critical path, then program order), and
//    put it on the queue where it finishes first. This runs twice, the
//    second time breaking start-time ties by the latest finish first (the
//    longest path after the instruction: its consumers' earliest deadline),
//    and the shorter schedule is kept (the first on equal makespans): the
//    first rule balances DMA-bound programs, the second fills a pipeline
//    sooner (small operands the first consumers need before big transfers
//    needed later). Loads with no
//    predecessors start at time 0, so DMA prefetch and engine overlap follow
//    from the allocation's buffer rotation. Candidate queues: the `queue`
//    attribute if present; else the engines of the `engine` attribute or
//    those that may execute the opcode (trnrt::engineCanExecute) and support
//    every operand dtype; ScalarE only for activations unless requested;
//    DMA copies use dma0..dma{N-1} (N = `dma-queues`, default all DMA engines
//    of the target).
// 3. Semaphores: queue q owns semaphore q. Walking the issue order with a
//    vector clock per instruction (the latest position of every queue known
//    to have completed before it starts), a dependency already implied by
//    program order or by an earlier wait is dropped; otherwise the consumer
//    waits for `sem_q >= n`, n = signalling instructions of q up to the
//    producer, and the producer signals. Dependencies are visited latest
//    first so one wait covers everything its producer already waited for.
// 4. The function is rewritten: non-instruction ops (allocs, views, globals)
//    first in their original order, then the instructions in issue order.
//    The estimated makespan is stored as `trnc.estimated_ns` on the function.
//
//===----------------------------------------------------------------------===//

#include "ScheduleInstructions.h"
#include "trn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>
#include <limits>

namespace mlir::trn {
#define GEN_PASS_DEF_TRNSCHEDULEPASS
#include "trn/Transforms/Passes.h.inc"
} // namespace mlir::trn

using namespace mlir;
using namespace mlir::trn;

namespace {

struct Access {
  trnrt::AccessPattern ap;
  bool write = false;
};

struct Node {
  TrnInstructionOpInterface op;
  trnrt::Instruction inst;
  SmallVector<Access, 4> accesses;
  SmallVector<unsigned, 4> preds; // indices into nodes, ascending
  SmallVector<unsigned, 4> succs;
  SmallVector<trnrt::QueueId, 4> candidates;
  double bottom = 0; // longest path to a sink (ns), including itself
  double tail = 0;   // longest path to a sink after it (bottom minus itself)
  // Schedule.
  bool scheduled = false;
  trnrt::QueueId queue = 0;
  double start = 0, finish = 0;
  unsigned order = 0;    // issue position
  unsigned queuePos = 0; // position within its queue
  bool signals = false;
  SmallVector<std::pair<unsigned, unsigned>, 2> waitsOn; // (queue, producer queue pos)
};

/// Conservative footprint: partitions [p0, p1) x bytes [b0, b1) on chip;
/// for HBM one "partition" and the byte range of the whole walk.
struct Box {
  int64_t p0 = 0, p1 = 0, b0 = 0, b1 = 0;
  bool intersects(const Box &o) const {
    return p0 < o.p1 && o.p0 < p1 && b0 < o.b1 && o.b0 < b1;
  }
  bool contains(const Box &o) const {
    return p0 <= o.p0 && o.p1 <= p1 && b0 <= o.b0 && o.b1 <= b1;
  }
};

/// Element walk of an access pattern: (size, stride) pairs, outermost first
/// (HBM rows included), sizes > 1 only.
SmallVector<std::pair<int64_t, int64_t>, 5> walkDims(const trnrt::AccessPattern &ap) {
  SmallVector<std::pair<int64_t, int64_t>, 5> dims;
  if (ap.space == trnrt::MemSpace::HBM && ap.numPartitions > 1)
    dims.push_back({ap.numPartitions, ap.partitionStride});
  for (uint32_t k = 0; k < ap.rank && k < trnrt::kMaxFreeDims; ++k)
    if (ap.sizes[k] > 1)
      dims.push_back({ap.sizes[k], ap.strides[k]});
  return dims;
}

Box boxOf(const trnrt::AccessPattern &ap) {
  int64_t lo = 0, hi = 0;
  for (auto [size, stride] : walkDims(ap)) {
    int64_t span = (size - 1) * stride;
    (span < 0 ? lo : hi) += span;
  }
  int64_t bits = trnrt::dtypeBits(ap.dtype);
  Box b;
  int64_t base = ap.space == trnrt::MemSpace::HBM
                     ? static_cast<int64_t>(ap.offset) * bits / 8
                     : static_cast<int64_t>(ap.offset);
  b.b0 = base + lo * bits / 8 - (bits < 8 ? 1 : 0);
  b.b1 = base + ((hi + 1) * bits + 7) / 8;
  if (ap.space == trnrt::MemSpace::HBM) {
    b.p0 = 0;
    b.p1 = 1;
  } else {
    b.p0 = ap.startPartition;
    b.p1 = int64_t(ap.startPartition) + ap.numPartitions;
  }
  return b;
}

/// Whether the walk covers its bounding box completely (row-major contiguous
/// elements of at least one byte).
bool isDense(const trnrt::AccessPattern &ap) {
  if (trnrt::dtypeBits(ap.dtype) < 8)
    return false;
  int64_t expect = 1;
  auto dims = walkDims(ap);
  for (auto it = dims.rbegin(); it != dims.rend(); ++it) {
    if (it->second != expect)
      return false;
    expect *= it->first;
  }
  return true;
}

/// Accesses can only conflict within one memory: SBUF, PSUM or one HBM tensor.
/// The keys are distinct: SBUF and PSUM use their MemSpace values (1, 2), HBM
/// tensor t uses 3 + t (a shared key would let a dense PSUM write retire an
/// HBM access of tensor 0 and drop its dependencies).
uint64_t memoryKey(const trnrt::AccessPattern &ap) {
  static_assert(static_cast<uint64_t>(trnrt::MemSpace::SBUF) < 3 &&
                    static_cast<uint64_t>(trnrt::MemSpace::PSUM) < 3,
                "on-chip memory keys must stay below the HBM tensor keys");
  if (ap.space == trnrt::MemSpace::HBM)
    return 3 + uint64_t(ap.tensor);
  return static_cast<uint64_t>(ap.space);
}

struct TrnSchedulePass : public trn::impl::TrnSchedulePassBase<TrnSchedulePass> {
  using TrnSchedulePassBase::TrnSchedulePassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    const trnrt::Target &target = getTarget(module);
    if (dmaQueues < 0 || dmaQueues > static_cast<int>(trnrt::kMaxDmaQueues)) {
      module.emitError() << "trn-schedule: dma-queues must be between 0 (one per DMA engine) "
                            "and "
                         << trnrt::kMaxDmaQueues << ", got " << static_cast<int>(dmaQueues);
      return signalPassFailure();
    }
    for (func::FuncOp func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (failed(scheduleFunction(func, target)))
        return signalPassFailure();
    }
  }

  /// Candidate queues of an instruction.
  LogicalResult candidateQueues(Node &n, const trnrt::Target &target, unsigned numDma) {
    Operation *op = n.op.getOperation();
    trnrt::Opcode opcode = n.op.getOpcode();
    std::vector<trnrt::DType> dtypes;
    for (const Access &a : n.accesses)
      dtypes.push_back(a.ap.dtype);
    bool touchesPsum = llvm::any_of(
        n.accesses, [](const Access &a) { return a.ap.space == trnrt::MemSpace::PSUM; });
    auto dtypesOk = [&](trnrt::Engine e) {
      if (e == trnrt::Engine::DMA)
        return true;
      // GpSimd has no PSUM port (program verifier rule, docs/program-format.md).
      if (e == trnrt::Engine::POOL && touchesPsum)
        return false;
      return llvm::all_of(dtypes, [&](trnrt::DType t) { return target.engineSupportsDType(e, t); });
    };
    auto queuesOf = [&](trnrt::Engine e) {
      SmallVector<trnrt::QueueId, 4> qs;
      switch (e) {
      case trnrt::Engine::PE:
        qs.push_back(trnrt::kQueuePE);
        break;
      case trnrt::Engine::ACT:
        qs.push_back(trnrt::kQueueACT);
        break;
      case trnrt::Engine::DVE:
        qs.push_back(trnrt::kQueueDVE);
        break;
      case trnrt::Engine::POOL:
        qs.push_back(trnrt::kQueuePOOL);
        break;
      case trnrt::Engine::DMA:
        for (unsigned i = 0; i < numDma; ++i)
          qs.push_back(static_cast<trnrt::QueueId>(trnrt::kFirstDmaQueue + i));
        break;
      }
      return qs;
    };
    if (StringAttr qa = n.op.getQueueAttr()) {
      std::optional<trnrt::QueueId> q = n.op.getAssignedQueue();
      if (!q)
        return op->emitOpError() << "has an unknown queue '" << qa.getValue() << "'";
      trnrt::Engine e = trnrt::queueEngine(*q);
      if (!trnrt::engineCanExecute(e, opcode) || !dtypesOk(e))
        return op->emitOpError() << "is pinned to queue '" << qa.getValue()
                                 << "', whose engine cannot execute it on these operands";
      n.candidates.push_back(*q);
      return success();
    }
    SmallVector<trnrt::Engine, 4> engines;
    if (EngineAttr ea = n.op.getEngineAttr()) {
      engines.push_back(toISA(ea.getValue()));
    } else {
      for (trnrt::Engine e : {trnrt::Engine::PE, trnrt::Engine::ACT, trnrt::Engine::DVE,
                              trnrt::Engine::POOL, trnrt::Engine::DMA}) {
        if (!trnrt::engineCanExecute(e, opcode))
          continue;
        // ScalarE is the activation engine; other element-wise work goes to
        // VectorE/GpSimd unless `engine = #trn.engine<act>` asks for it.
        // PSUM evictions (tensor_copy from PSUM) may use either ScalarE or
        // VectorE: the list scheduler balances them between the two.
        if (e == trnrt::Engine::ACT && opcode != trnrt::Opcode::Activation &&
            !(opcode == trnrt::Opcode::TensorCopy && touchesPsum))
          continue;
        engines.push_back(e);
      }
    }
    for (trnrt::Engine e : engines)
      if (trnrt::engineCanExecute(e, opcode) && dtypesOk(e))
        n.candidates.append(queuesOf(e));
    if (n.candidates.empty()) {
      std::string dt;
      for (trnrt::DType t : dtypes)
        dt += (dt.empty() ? "" : ", ") + std::string(trnrt::dtypeName(t));
      return op->emitOpError() << "no " << target.name << " engine"
                               << (n.op.getEngineAttr() ? " (of the requested one)" : "")
                               << " can execute " << trnrt::opcodeName(opcode)
                               << " on operands of dtype " << dt
                               << (touchesPsum ? " in PSUM" : "");
    }
    return success();
  }

  LogicalResult scheduleFunction(func::FuncOp func, const trnrt::Target &target) {
    if (!func.getBody().hasOneBlock())
      return func.emitOpError() << "trn-schedule expects straight-line code (one block)";
    Block &block = func.getBody().front();
    unsigned numDma = dmaQueues ? static_cast<unsigned>(dmaQueues) : target.dma.numEngines;
    numDma = std::max(1u, std::min(numDma, trnrt::kMaxDmaQueues));

    // HBM tensors: arguments, globals (by symbol), function-level allocs.
    llvm::StringMap<uint32_t> hbmIds;
    auto hbmIndex = [&](Value root) -> std::optional<uint32_t> {
      std::string key;
      if (auto arg = dyn_cast<BlockArgument>(root)) {
        key = "arg" + std::to_string(arg.getArgNumber());
      } else if (auto g = root.getDefiningOp<memref::GetGlobalOp>()) {
        key = "global:" + g.getName().str();
      } else if (auto a = root.getDefiningOp<memref::AllocOp>()) {
        key = "alloc:" + std::to_string(reinterpret_cast<uintptr_t>(a.getOperation()));
      } else {
        return std::nullopt;
      }
      auto [it, inserted] = hbmIds.try_emplace(key, static_cast<uint32_t>(hbmIds.size()));
      return it->second;
    };

    std::vector<Node> nodes;
    SmallVector<Operation *> others;
    Operation *terminator = block.getTerminator();
    for (Operation &op : block) {
      if (&op == terminator)
        continue;
      if (op.getNumRegions() != 0)
        return op.emitOpError() << "trn-schedule expects straight-line code (stage 7); run "
                                   "trn-unroll and trn-allocate first";
      auto inst = dyn_cast<TrnInstructionOpInterface>(&op);
      if (!inst) {
        if (!isa<AllocOp, memref::SubViewOp, memref::CastOp, memref::ReinterpretCastOp,
                 memref::GetGlobalOp, memref::AllocOp>(op) &&
            !isMemoryEffectFree(&op))
          return op.emitOpError() << "is not allowed in device-level code before trn-schedule "
                                     "(expected trn instructions, trn.alloc, memref.subview/"
                                     "cast/reinterpret_cast, memref.get_global, memref.alloc)";
        others.push_back(&op);
        continue;
      }
      Node n;
      n.op = inst;
      FailureOr<trnrt::Instruction> built = buildInstruction(inst, hbmIndex);
      if (failed(built))
        return failure();
      n.inst = std::move(*built);
      n.inst.waits.clear();
      n.inst.signals.clear();
      SmallVector<OpOperand *> reads, writes;
      inst.getTileAccesses(reads, writes);
      for (auto [list, isWrite] : {std::make_pair(&reads, false), std::make_pair(&writes, true)})
        for (OpOperand *o : *list) {
          FailureOr<trnrt::AccessPattern> ap = buildAccessPattern(o->get(), &op, hbmIndex);
          if (failed(ap))
            return failure();
          n.accesses.push_back({*ap, isWrite});
        }
      if (failed(candidateQueues(n, target, numDma)))
        return failure();
      nodes.push_back(std::move(n));
    }

    // 1. Memory dependencies (program order). Earlier accesses are kept per
    // memory (SBUF, PSUM, each HBM tensor), reads and writes apart; an access
    // whose bytes are entirely overwritten by a later dense write is retired:
    // any later conflict with it also conflicts with that write, which
    // depends on it, so the edge is implied transitively.
    struct Prior {
      unsigned node;
      const Access *access;
      Box box;
    };
    DenseMap<uint64_t, std::vector<Prior>> priorReads, priorWrites;
    std::vector<unsigned> stamp(nodes.size(), ~0u);
    for (unsigned i = 0; i < nodes.size(); ++i) {
      Node &n = nodes[i];
      auto consider = [&](const Access &a, const Box &box, std::vector<Prior> &list) {
        for (const Prior &p : list)
          if (stamp[p.node] != i && box.intersects(p.box) &&
              accessPatternsOverlap(a.ap, p.access->ap)) {
            stamp[p.node] = i;
            n.preds.push_back(p.node);
          }
      };
      SmallVector<Box, 4> boxes;
      for (const Access &a : n.accesses) {
        boxes.push_back(boxOf(a.ap));
        uint64_t key = memoryKey(a.ap);
        consider(a, boxes.back(), priorWrites[key]);
        if (a.write)
          consider(a, boxes.back(), priorReads[key]);
      }
      llvm::sort(n.preds);
      for (unsigned p : n.preds)
        nodes[p].succs.push_back(i);
      for (auto [a, box] : llvm::zip(n.accesses, boxes)) {
        uint64_t key = memoryKey(a.ap);
        if (a.write && isDense(a.ap)) {
          auto covered = [&](const Prior &p) { return box.contains(p.box); };
          llvm::erase_if(priorReads[key], covered);
          llvm::erase_if(priorWrites[key], covered);
        }
      }
      for (auto [a, box] : llvm::zip(n.accesses, boxes))
        (a.write ? priorWrites : priorReads)[memoryKey(a.ap)].push_back({i, &a, box});
    }

    // Durations per candidate queue. A DMA pays the semaphore trigger
    // latency exactly when the emulator charges it: when a semaphore released
    // it, i.e. its last cross-queue producer finished after its queue became
    // free (docs/emulator.md, "Timing semantics"). Same-queue producers finish
    // before the queue is free, so `readyAt > queueFree` means exactly that.
    // For priorities (bottom levels) a DMA with producers is assumed triggered.
    auto durationAt = [&](const Node &n, trnrt::QueueId q, bool triggered) {
      return target.durationNs(n.inst, q, trnrt::queueEngine(q) == trnrt::Engine::DMA && triggered);
    };
    auto duration = [&](const Node &n, trnrt::QueueId q) {
      return durationAt(n, q, !n.preds.empty());
    };
    for (unsigned i = nodes.size(); i-- > 0;) {
      Node &n = nodes[i];
      double best = std::numeric_limits<double>::infinity();
      for (trnrt::QueueId q : n.candidates)
        best = std::min(best, duration(n, q));
      double tail = 0;
      for (unsigned s : n.succs)
        tail = std::max(tail, nodes[s].bottom);
      n.bottom = best + tail;
      n.tail = tail;
    }

    // 2. List scheduling, once per priority rule for start-time ties; the
    // shorter schedule is kept (the longest-path rule on equal makespans).
    //  * longest remaining path including the instruction itself (the
    //    classic bottom level): among equally urgent transfers the longest
    //    goes first, which balances DMA-bound programs over the queues;
    //  * latest finish first (the longest path after the instruction, i.e.
    //    the earliest deadline of its consumers): the operands the first
    //    consumers need go before larger transfers needed later, which
    //    fills a pipeline sooner (a small scale tile before big code chunks).
    struct Result {
      SmallVector<unsigned> issue;
      std::array<unsigned, trnrt::kMaxQueues> queueLen{};
      double makespan = 0;
    };
    auto listSchedule = [&](bool deadlineFirst) {
      Result res;
      std::array<double, trnrt::kMaxQueues> queueFree{};
      std::array<unsigned, trnrt::kMaxQueues> &queueLen = res.queueLen;
      SmallVector<unsigned> &issue = res.issue;
      double &makespan = res.makespan;
      SmallVector<unsigned> remainingPreds;
      SmallVector<unsigned> ready;
      for (unsigned i = 0; i < nodes.size(); ++i) {
        remainingPreds.push_back(nodes[i].preds.size());
        if (nodes[i].preds.empty())
          ready.push_back(i);
      }
      while (!ready.empty()) {
        unsigned bestIdx = 0;
        trnrt::QueueId bestQ = 0;
        double bestStart = 0, bestFinish = 0;
        bool have = false;
        // DMA queues share one cost model: among them only the one free first
        // (then the shortest) matters for an unpinned copy.
        trnrt::QueueId bestDma = trnrt::kFirstDmaQueue;
        for (unsigned d = 1; d < numDma; ++d) {
          auto q = static_cast<trnrt::QueueId>(trnrt::kFirstDmaQueue + d);
          if (queueFree[q] < queueFree[bestDma] ||
              (queueFree[q] == queueFree[bestDma] && queueLen[q] < queueLen[bestDma]))
            bestDma = q;
        }
        for (unsigned r = 0; r < ready.size(); ++r) {
          Node &n = nodes[ready[r]];
          double readyAt = 0;
          for (unsigned p : n.preds)
            readyAt = std::max(readyAt, nodes[p].finish);
          for (trnrt::QueueId q : n.candidates) {
            if (n.candidates.size() > 1 && q >= trnrt::kFirstDmaQueue && q != bestDma)
              continue;
            double s = std::max(readyAt, queueFree[q]);
            double f = s + durationAt(n, q, readyAt > queueFree[q]);
            bool better;
            if (!have) {
              better = true;
            } else if (ready[r] != ready[bestIdx]) {
              const Node &b = nodes[ready[bestIdx]];
              if (s != bestStart)
                better = s < bestStart;
              else if (deadlineFirst && n.tail != b.tail)
                better = n.tail > b.tail;
              else if (n.bottom != b.bottom)
                better = n.bottom > b.bottom;
              else
                better = ready[r] < ready[bestIdx];
            } else {
              better = f < bestFinish || (f == bestFinish && queueLen[q] < queueLen[bestQ]);
            }
            if (better) {
              have = true;
              bestIdx = r;
              bestQ = q;
              bestStart = s;
              bestFinish = f;
            }
          }
        }
        unsigned id = ready[bestIdx];
        ready.erase(ready.begin() + bestIdx);
        Node &n = nodes[id];
        n.scheduled = true;
        n.queue = bestQ;
        n.start = bestStart;
        n.finish = bestFinish;
        n.order = issue.size();
        n.queuePos = queueLen[bestQ]++;
        queueFree[bestQ] = bestFinish;
        makespan = std::max(makespan, bestFinish);
        issue.push_back(id);
        for (unsigned s : n.succs)
          if (--remainingPreds[s] == 0)
            ready.push_back(s);
      }
      assert(issue.size() == nodes.size() && "dependency graph follows program order");
      return res;
    };
    Result deadline = listSchedule(/*deadlineFirst=*/true);
    SmallVector<std::array<double, 2>> deadlineTimes;
    SmallVector<std::array<unsigned, 3>> deadlinePlace; // queue, order, queuePos
    for (const Node &n : nodes) {
      deadlineTimes.push_back({n.start, n.finish});
      deadlinePlace.push_back({n.queue, n.order, n.queuePos});
    }
    Result best = listSchedule(/*deadlineFirst=*/false);
    if (deadline.makespan < best.makespan) {
      best = std::move(deadline);
      for (auto [i, n] : llvm::enumerate(nodes)) {
        n.start = deadlineTimes[i][0];
        n.finish = deadlineTimes[i][1];
        n.queue = static_cast<trnrt::QueueId>(deadlinePlace[i][0]);
        n.order = deadlinePlace[i][1];
        n.queuePos = deadlinePlace[i][2];
      }
    }
    const SmallVector<unsigned> &issue = best.issue;
    const std::array<unsigned, trnrt::kMaxQueues> &queueLen = best.queueLen;
    const double makespan = best.makespan;

    // 3. Semaphores with vector clocks. known[q] = number of instructions of
    // queue q known complete (positions < known[q]).
    constexpr unsigned Q = trnrt::kMaxQueues;
    std::vector<std::array<unsigned, Q>> doneClock(nodes.size());
    std::array<int, Q> lastOnQueue;
    lastOnQueue.fill(-1);
    for (unsigned id : issue) {
      Node &n = nodes[id];
      std::array<unsigned, Q> known{};
      if (lastOnQueue[n.queue] >= 0)
        known = doneClock[lastOnQueue[n.queue]];
      SmallVector<unsigned, 4> preds(n.preds.begin(), n.preds.end());
      llvm::sort(preds, [&](unsigned a, unsigned b) { return nodes[a].order > nodes[b].order; });
      for (unsigned p : preds) {
        Node &pn = nodes[p];
        if (pn.queue == n.queue || known[pn.queue] > pn.queuePos)
          continue; // Implied by queue order or an earlier wait.
        pn.signals = true;
        n.waitsOn.push_back({pn.queue, pn.queuePos});
        for (unsigned q = 0; q < Q; ++q)
          known[q] = std::max(known[q], doneClock[p][q]);
      }
      known[n.queue] = std::max(known[n.queue], n.queuePos + 1);
      doneClock[id] = known;
      lastOnQueue[n.queue] = static_cast<int>(id);
    }
    // Signal counts per queue position.
    std::array<SmallVector<unsigned>, Q> signalCount; // inclusive prefix counts
    for (unsigned q = 0; q < Q; ++q)
      signalCount[q].assign(queueLen[q], 0);
    std::array<unsigned, Q> running{};
    for (unsigned id : issue) {
      Node &n = nodes[id];
      if (n.signals)
        ++running[n.queue];
      signalCount[n.queue][n.queuePos] = running[n.queue];
    }
    if (target.numSemaphores < Q && llvm::any_of(nodes, [&](const Node &n) {
          return n.signals && n.queue >= target.numSemaphores;
        }))
      return func.emitOpError() << "needs more semaphores than the " << target.name
                                << " provides (" << target.numSemaphores << ")";

    // 4. Rewrite.
    MLIRContext *ctx = func.getContext();
    for (Node &n : nodes) {
      n.op.setAssignedQueue(n.queue);
      SmallVector<uint32_t> waitSems, waitValues, signals;
      llvm::sort(n.waitsOn);
      for (auto [q, pos] : n.waitsOn) {
        waitSems.push_back(q);
        waitValues.push_back(signalCount[q][pos]);
      }
      if (n.signals)
        signals.push_back(n.queue);
      if (waitSems.empty() && signals.empty())
        n.op->removeAttr("sync");
      else
        n.op.setSyncAttr(SyncAttr::get(ctx, waitSems, waitValues, signals));
    }
    for (Operation *op : others)
      op->moveBefore(terminator);
    for (unsigned id : issue)
      nodes[id].op->moveBefore(terminator);
    func->setAttr("trnc.estimated_ns", FloatAttr::get(Float64Type::get(ctx), makespan));
    return success();
  }
};

} // namespace
