//===- Emulator.cpp - The reference CPU emulator device -------------------===//
//
// Event-driven execution (docs/emulator.md): every queue runs its
// instructions in order; an instruction starts once its queue is free and all
// its semaphore waits hold (sem >= value); it lasts Target::durationNs; at
// completion its effects are applied and its signals increment their
// semaphores. Completions are processed in (time, queue id) order, so results
// and timing are deterministic. Checks (bounds, deadlock, uninitialised reads,
// races) fail the run with a one-line Error.
//
// The arithmetic never influences the timeline, so without the checkers it
// runs after the event loop, in completion order, on several threads where
// instruction footprints do not conflict (Parallel.cpp): the same memory
// effects as applying each instruction at its completion.
//
//===----------------------------------------------------------------------===//

#include "EmulatorInternal.h"
#include "RaceChecker.h"

#include "trn/runtime/Device.h"
#include "trn/runtime/Numerics.h"
#include "trn/runtime/Target.h"
#include "trn/runtime/Trnx.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <sstream>
#include <tuple>

namespace trnrt {

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

uint64_t HostTensor::numElements() const {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= d > 0 ? static_cast<uint64_t>(d) : 0;
  return n;
}

HostTensor HostTensor::fromF32(const std::vector<int64_t> &shape,
                               const std::vector<float> &values) {
  HostTensor t;
  t.dtype = DType::F32;
  t.shape = shape;
  t.data.resize(values.size() * sizeof(float));
  if (!values.empty())
    std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

std::vector<float> HostTensor::toF32() const {
  uint64_t n = numElements();
  // Never read past the bytes actually present.
  const uint64_t bits = dtypeBits(dtype);
  if (bits && n * bits > data.size() * 8)
    n = data.size() * 8 / bits;
  std::vector<float> out(n);
  if (n)
    decodeToF32(dtype, data.data(), 0, out.data(), n);
  return out;
}

namespace {

using emu::Memory;
using emu::VectorClock;
using emu::Walk;

std::string where(QueueId q, uint32_t i, const Instruction &inst) {
  return queueName(q) + "[" + std::to_string(i) + "] " + opcodeName(inst.opcode());
}

std::string shapeString(const std::vector<int64_t> &s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

/// Keeps OpenBLAS single-threaded while a program runs: the emulator splits
/// large matmuls over its own two tasks (Semantics.cpp, sgemmTN), and OpenBLAS
/// threads on top of those only contend for the cores. The caller's setting
/// is restored afterwards (torch may share the library in-process).
class SingleThreadedBlas {
public:
  SingleThreadedBlas() : saved_(openblas_get_num_threads()) { openblas_set_num_threads(1); }
  ~SingleThreadedBlas() { openblas_set_num_threads(saved_); }
  SingleThreadedBlas(const SingleThreadedBlas &) = delete;
  SingleThreadedBlas &operator=(const SingleThreadedBlas &) = delete;

private:
  int saved_;
};

class EmulatorDevice final : public Device {
public:
  std::string name() const override { return "emulator"; }
  Expected<RunResult> run(const Program &program, const std::vector<HostTensor> &inputs,
                          const RunOptions &options) override {
    SingleThreadedBlas blas;
    try {
      return runImpl(program, inputs, options);
    } catch (const std::bad_alloc &) { // nothing throws across the Device API
      return Error{"emulator: out of host memory"};
    }
  }

private:
  Expected<RunResult> runImpl(const Program &program, const std::vector<HostTensor> &inputs,
                              const RunOptions &options);
};

/// Per-queue scheduling state.
struct QueueState {
  const Queue *queue = nullptr;
  uint32_t pc = 0, n = 0;
  bool running = false;
  double start = 0, end = 0, busy = 0;
  double freeAt = 0; // completion time of the previous instruction
  std::vector<double> durations; // NaN for DMA copies (priced at start)
  std::optional<std::pair<QueueId, uint32_t>> waitedOn;
  uint32_t waitedSem = 0;
  bool finished() const { return !running && pc >= n; }
};

/// One semaphore increment (for the trace's "waited on" attribution).
struct Increment {
  QueueId queue;
  uint32_t index;
  double time;
  uint64_t seq;
};

/// Everything a run without the checkers derives from the program alone: the
/// arithmetic never influences the timeline, so a later run of the same
/// program only allocates memory and executes `tasks`.
struct Prepared final : PreparedProgram {
  const Program *program = nullptr;
  const Target *target = nullptr;
  bool recordTrace = false;
  std::vector<emu::Box> qBoxes[kMaxQueues]; // the tasks' footprints
  std::vector<std::pair<QueueId, uint32_t>> order; // completion order
  std::vector<emu::OrderedTask> tasks;             // the instructions in that order
  std::vector<uint8_t> uncovered;                  // findUncoveredReads
  std::vector<emu::Box> onChipWritten;             // sorted, unique
  std::vector<uint8_t> hbmWritten;
  std::vector<std::pair<int64_t, int64_t>> hbmWrittenBytes;
  RunStats stats;
  std::string deadlock; // the run's error once the arithmetic succeeded
  /// For the parallel executor; computed by the first run that needs it.
  const emu::Dependencies &dependencies() const {
    std::call_once(depsOnce_, [&] { deps_ = emu::findDependencies(tasks); });
    return deps_;
  }

private:
  mutable std::once_flag depsOnce_;
  mutable emu::Dependencies deps_;
};

/// Allocates the device memories of a run and binds the inputs. Only what
/// the program may write (onChipWritten, hbmWritten*) is dirtied in the
/// recycled buffers.
std::optional<Error> setupMemory(Memory &mem, const Program &program, const Target &target,
                                 const std::vector<HostTensor> &inputs,
                                 const std::vector<emu::Box> &onChipWritten,
                                 const std::vector<uint8_t> &hbmWritten,
                                 const std::vector<std::pair<int64_t, int64_t>> &hbmWrittenBytes,
                                 bool check, bool deferred) {
  mem.target = &target;
  mem.program = &program;
  mem.sbufPitch = target.sbufBytesPerPartition + emu::kPartitionPadBytes;
  mem.psumPitch = target.psumBytesPerPartition() + emu::kPartitionPadBytes;
  mem.trackInit = check;
  // Deferred runs zero recycled buffers only if they may read initial
  // contents (decided after the event loop, findUncoveredReads).
  mem.sbuf.allocate(mem.sbufPitch * target.numPartitions, false, deferred);
  mem.psum.allocate(mem.psumPitch * target.numPartitions, false, deferred);
  auto markOnChip = [&](emu::ZeroBuffer &b, uint32_t space, uint64_t pitch) {
    b.markDirty(0, 0); // recyclable even if nothing is written
    for (const emu::Box &u : onChipWritten)
      if (u.space == space)
        b.markDirty(u.p0 * pitch + static_cast<uint64_t>(u.lo), static_cast<size_t>(u.hi - u.lo),
                    pitch, u.p1 - u.p0);
  };
  markOnChip(mem.sbuf, 0, mem.sbufPitch);
  markOnChip(mem.psum, 1, mem.psumPitch);
  const size_t T = program.tensors.size();
  mem.hbm.assign(T, nullptr);
  mem.hbmOwned.resize(T);
  if (check) {
    mem.sbufInit.allocate(mem.sbuf.size());
    mem.psumInit.allocate(mem.psum.size());
    markOnChip(mem.sbufInit, 0, mem.sbufPitch); // shadows: written alike
    markOnChip(mem.psumInit, 1, mem.psumPitch);
    mem.hbmInit.resize(T);
  }
  // Scratch tensors share one lazily zeroed arena (64-byte aligned slots).
  std::vector<uint64_t> arenaOffset(T, 0);
  uint64_t arenaBytes = 0;
  for (size_t t = 0; t < T; ++t)
    if (program.tensors[t].kind == TensorKind::Scratch) {
      arenaOffset[t] = arenaBytes;
      arenaBytes += (program.tensors[t].byteSize() + 63) / 64 * 64;
    }
  mem.hbmArena.allocate(arenaBytes, /*hugePages=*/true, deferred);
  mem.hbmArena.markDirty(0, 0);
  for (size_t t = 0; t < T; ++t)
    if (program.tensors[t].kind == TensorKind::Scratch && hbmWritten[t])
      mem.hbmArena.markDirty(arenaOffset[t] + hbmWrittenBytes[t].first,
                             hbmWrittenBytes[t].second - hbmWrittenBytes[t].first);
  size_t nextInput = 0;
  for (size_t t = 0; t < T; ++t) {
    const TensorDecl &d = program.tensors[t];
    std::vector<uint8_t> &own = mem.hbmOwned[t];
    // Inputs and constants are read in place unless the program writes them.
    auto readOnlyOrCopy = [&](const std::vector<uint8_t> &src) {
      if (hbmWritten[t]) {
        own = src;
        mem.hbm[t] = own.data();
      } else {
        mem.hbm[t] = const_cast<uint8_t *>(src.data()); // never written (hbmWritten)
      }
    };
    bool initialised = false;
    switch (d.kind) {
    case TensorKind::Input:
      readOnlyOrCopy(inputs[nextInput++].data);
      initialised = true;
      break;
    case TensorKind::Constant:
      if (d.data.size() != d.byteSize())
        return Error{"constant '" + d.name + "' has " + std::to_string(d.data.size()) +
                     " bytes, expected " + std::to_string(d.byteSize())};
      readOnlyOrCopy(d.data);
      initialised = true;
      break;
    case TensorKind::Output:
      own.assign(d.byteSize(), 0);
      mem.hbm[t] = own.data();
      break;
    case TensorKind::Scratch:
      mem.hbm[t] = mem.hbmArena.data() + arenaOffset[t];
      break;
    }
    if (check)
      mem.hbmInit[t].assign(d.byteSize(), initialised ? 1 : 0);
  }
  return std::nullopt;
}

RunResult takeOutputs(const Program &program, Memory &mem, RunStats stats) {
  RunResult result;
  result.stats = std::move(stats);
  for (uint32_t t : program.outputIndices()) {
    HostTensor h;
    h.dtype = program.tensors[t].dtype;
    h.shape = program.tensors[t].shape;
    h.data = std::move(mem.hbmOwned[t]);
    result.outputs.push_back(std::move(h));
  }
  return result;
}

/// The arithmetic of a run without the checkers, in completion order.
Expected<RunResult> runPrepared(std::shared_ptr<const Prepared> prep, const Program &program,
                                const std::vector<HostTensor> &inputs, unsigned threads) {
  Memory mem;
  if (auto err = setupMemory(mem, program, *prep->target, inputs, prep->onChipWritten,
                             prep->hbmWritten, prep->hbmWrittenBytes, false, true))
    return *err;
  // Spaces: 0 SBUF, 1 PSUM, 2 + t HBM tensor t (scratch lives in the arena).
  if (prep->uncovered[0])
    mem.sbuf.zeroStale();
  if (prep->uncovered[1])
    mem.psum.zeroStale();
  for (size_t t = 0; t < program.tensors.size(); ++t)
    if (prep->uncovered[2 + t] && program.tensors[t].kind == TensorKind::Scratch) {
      mem.hbmArena.zeroStale();
      break;
    }
  const emu::Dependencies *deps =
      threads > 1 && prep->tasks.size() > 1 ? &prep->dependencies() : nullptr;
  if (auto err = emu::executeOrdered(mem, prep->tasks, deps, threads)) {
    const auto [q, i] = prep->order[err->first];
    return Error{where(q, i, *prep->tasks[err->first].inst) + ": " + err->second};
  }
  // Before the deadlock check, as inline execution.
  if (!prep->deadlock.empty())
    return Error{prep->deadlock};
  RunResult result = takeOutputs(program, mem, prep->stats);
  result.prepared = std::move(prep);
  return result;
}

} // namespace

Expected<RunResult> EmulatorDevice::runImpl(const Program &program,
                                        const std::vector<HostTensor> &inputs,
                                        const RunOptions &options) {
  // Without the checkers, arithmetic runs after the timing loop in completion
  // order, on several threads where footprints allow (Parallel.cpp); the
  // checkers need the sequential interleaving and keep executing inline.
  const bool data = !options.timingOnly;
  const bool check = options.check && data;
  const bool deferred = data && !check;
  std::shared_ptr<const Prepared> prep;
  if (deferred && options.prepared) {
    auto p = std::dynamic_pointer_cast<const Prepared>(options.prepared);
    if (p && p->program == &program && p->recordTrace == options.recordTrace)
      prep = std::move(p);
  }
  if (!prep)
    if (auto err = verifyProgram(program))
      return *err;
  const Target *target = prep ? prep->target : Target::get(program.target);
  if (!target)
    return Error{"unknown target '" + program.target + "'"};

  // --- Inputs against the signature ------------------------------------------
  const std::vector<uint32_t> inIdx = program.inputIndices();
  if (inputs.size() != inIdx.size())
    return Error{"program '" + program.name + "' takes " + std::to_string(inIdx.size()) +
                 " inputs, got " + std::to_string(inputs.size())};
  for (size_t i = 0; i < inIdx.size(); ++i) {
    const TensorDecl &d = program.tensors[inIdx[i]];
    const HostTensor &h = inputs[i];
    if (h.dtype != d.dtype || h.shape != d.shape)
      return Error{"input " + std::to_string(i) + " ('" + d.name + "'): expected " +
                   dtypeName(d.dtype) + shapeString(d.shape) + ", got " + dtypeName(h.dtype) +
                   shapeString(h.shape)};
    if (h.data.size() != d.byteSize())
      return Error{"input " + std::to_string(i) + " ('" + d.name + "'): expected " +
                   std::to_string(d.byteSize()) + " bytes, got " + std::to_string(h.data.size())};
  }

  // By default small programs stay sequential: starting threads would cost
  // more than it saves.
  constexpr uint64_t kMinParallelInstructions = 16;
  const unsigned threads =
      !deferred ? 1
      : options.threads ? options.threads
      : program.numInstructions() >= kMinParallelInstructions ? emu::defaultExecutorThreads()
                                                               : 1;
  if (prep)
    return runPrepared(std::move(prep), program, inputs, threads);

  // --- Queues, bounds, durations, semaphores -----------------------------------
  QueueState qs[kMaxQueues];
  uint32_t numSems = program.numSemaphores;
  for (const Queue &q : program.queues) {
    if (q.id >= kMaxQueues)
      return Error{"queue id " + std::to_string(q.id) + " out of range"};
    if (qs[q.id].queue)
      return Error{"queue " + queueName(q.id) + " appears twice"};
    qs[q.id].queue = &q;
    qs[q.id].n = static_cast<uint32_t>(q.instructions.size());
    for (const Instruction &inst : q.instructions) {
      for (const SemWait &w : inst.waits)
        numSems = std::max(numSems, w.sem + 1);
      for (uint32_t s : inst.signals)
        numSems = std::max(numSems, s + 1);
    }
  }
  std::vector<emu::Box> qBoxes[kMaxQueues];
  std::vector<uint32_t> qBoxBegin[kMaxQueues]; // per instruction, then the end
  std::vector<uint64_t> signalsPerSem(numSems, 0);
  std::vector<uint8_t> hbmWritten(program.tensors.size(), 0); // tensors some instruction writes
  // Footprints of everything written (zeroed when the buffers are recycled).
  std::vector<emu::Box> onChipWritten;
  std::vector<std::pair<int64_t, int64_t>> hbmWrittenBytes(program.tensors.size(),
                                                           {INT64_MAX, INT64_MIN});
  RunStats stats;
  double peakNormalisedNs = 0; // sum over matmuls of flops / peak(path)
  for (QueueState &st : qs) {
    if (!st.queue)
      continue;
    const QueueId qid = st.queue->id;
    st.durations.resize(st.n);
    for (uint32_t i = 0; i < st.n; ++i) {
      const Instruction &inst = st.queue->instructions[i];
      if (deferred)
        qBoxBegin[qid].push_back(static_cast<uint32_t>(qBoxes[qid].size()));
      for (const emu::Operand &op : emu::operandsOf(inst)) {
        Walk w;
        if (auto err = emu::resolveWalk(*op.ap, *target, program, w))
          return Error{where(qid, i, inst) + ": " + op.role + ": " + *err};
        const emu::Box box = emu::footprintBox(*op.ap, w, op.write);
        if (op.write) {
          if (op.ap->space == MemSpace::HBM) {
            hbmWritten[op.ap->tensor] = 1;
            auto &r = hbmWrittenBytes[op.ap->tensor];
            r = {std::min(r.first, box.lo), std::max(r.second, box.hi)};
          } else {
            onChipWritten.push_back(box);
          }
        }
        if (deferred)
          qBoxes[qid].push_back(box);
      }
      // DMA copies pay the semaphore trigger latency only when a semaphore
      // actually released them: priced when they start.
      const bool isDma = inst.opcode() == Opcode::DmaCopy;
      const double d = target->durationNs(inst, qid, isDma);
      if (!(d >= 0) || !std::isfinite(d))
        return Error{where(qid, i, inst) + ": cost model gave an invalid duration"};
      st.durations[i] = isDma ? std::numeric_limits<double>::quiet_NaN() : d;
      for (uint32_t s : inst.signals)
        ++signalsPerSem[s];
      const double fl = Target::flops(inst);
      stats.tensorFlops += fl;
      if (const auto *mm = std::get_if<Matmul>(&inst.body); mm && fl > 0) {
        const DType opnd = (mm->stationary.dtype == DType::F32 || mm->moving.dtype == DType::F32)
                               ? DType::F32
                               : mm->stationary.dtype;
        const double peak = target->peakTensorFlopsPerNs(mm->mode, opnd);
        if (peak > 0)
          peakNormalisedNs += fl / peak;
      }
      if (const auto *dma = std::get_if<DmaCopy>(&inst.body))
        stats.dmaBytes += dtypeBytes(dma->src.dtype, dma->src.numElements());
    }
    if (deferred)
      qBoxBegin[qid].push_back(static_cast<uint32_t>(qBoxes[qid].size()));
  }
  // Waits that no execution can ever satisfy.
  for (const QueueState &st : qs) {
    if (!st.queue)
      continue;
    for (uint32_t i = 0; i < st.n; ++i) {
      const Instruction &inst = st.queue->instructions[i];
      for (const SemWait &w : inst.waits) {
        if (w.value <= signalsPerSem[w.sem])
          continue;
        if (signalsPerSem[w.sem] == 0)
          return Error{where(st.queue->id, i, inst) + ": waits on sem " + std::to_string(w.sem) +
                       " >= " + std::to_string(w.value) +
                       " but no instruction signals sem " + std::to_string(w.sem)};
        return Error{where(st.queue->id, i, inst) + ": waits on sem " + std::to_string(w.sem) +
                     " >= " + std::to_string(w.value) + " but only " +
                     std::to_string(signalsPerSem[w.sem]) +
                     " signals of it exist: it can never be satisfied"};
      }
    }
  }

  // --- Memory (inline execution; deferred runs allocate it after the loop) ----
  // Programs write the same few tiles over and over: mark each once.
  std::sort(onChipWritten.begin(), onChipWritten.end(), [](const emu::Box &a, const emu::Box &b) {
    return std::tie(a.space, a.p0, a.p1, a.lo, a.hi) < std::tie(b.space, b.p0, b.p1, b.lo, b.hi);
  });
  onChipWritten.erase(std::unique(onChipWritten.begin(), onChipWritten.end(),
                                  [](const emu::Box &a, const emu::Box &b) {
                                    return a.space == b.space && a.p0 == b.p0 && a.p1 == b.p1 &&
                                           a.lo == b.lo && a.hi == b.hi;
                                  }),
                      onChipWritten.end());
  Memory mem;
  if (data && !deferred)
    if (auto err = setupMemory(mem, program, *target, inputs, onChipWritten, hbmWritten,
                               hbmWrittenBytes, check, false))
      return *err;
  std::optional<emu::Executor> exec; // inline execution (checkers on)
  if (data && !deferred)
    exec.emplace(mem);
  std::optional<emu::RaceChecker> races;
  if (check)
    races.emplace(program, *target);

  // --- Event loop -------------------------------------------------------------
  std::vector<uint32_t> semCount(numSems, 0);
  std::vector<std::vector<VectorClock>> semPrefix(check ? numSems : 0); // joins of 1..k
  std::vector<std::vector<Increment>> semLog(numSems);
  VectorClock vc[kMaxQueues] = {};
  uint64_t incrementSeq = 0;
  double now = 0;
  std::vector<std::pair<QueueId, uint32_t>> order; // completion order (deferred execution)

  auto fail = [&](QueueId q, uint32_t i, const std::string &msg) -> Expected<RunResult> {
    return Error{where(q, i, qs[q].queue->instructions[i]) + ": " + msg};
  };

  for (;;) {
    // Start every queue whose head can start now (queue id order).
    for (unsigned q = 0; q < kMaxQueues; ++q) {
      QueueState &st = qs[q];
      if (!st.queue || st.running || st.pc >= st.n)
        continue;
      const Instruction &inst = st.queue->instructions[st.pc];
      bool ready = true;
      for (const SemWait &w : inst.waits)
        if (semCount[w.sem] < w.value) {
          ready = false;
          break;
        }
      if (!ready)
        continue;
      // The wait satisfied last (latest increment; ties: the later one).
      const Increment *last = nullptr;
      uint32_t lastSem = 0;
      for (const SemWait &w : inst.waits) {
        if (w.value == 0)
          continue;
        const Increment &inc = semLog[w.sem][w.value - 1];
        if (!last || inc.time > last->time || (inc.time == last->time && inc.seq > last->seq)) {
          last = &inc;
          lastSem = w.sem;
        }
      }
      double dur = st.durations[st.pc];
      if (std::isnan(dur)) // a DMA: triggered iff the queue actually blocked on a semaphore
        dur = target->durationNs(inst, static_cast<QueueId>(q), last && last->time > st.freeAt);
      st.running = true;
      st.start = now;
      st.end = now + dur;
      if (check) {
        vc[q][q] = st.pc + 1;
        for (const SemWait &w : inst.waits)
          if (w.value > 0)
            emu::joinInto(vc[q], semPrefix[w.sem][w.value - 1]);
      }
      st.waitedOn.reset();
      st.waitedSem = 0;
      if (last) {
        st.waitedOn = std::make_pair(last->queue, last->index);
        st.waitedSem = lastSem;
      }
    }
    // The next completion: earliest end, ties by queue id.
    int next = -1;
    for (unsigned q = 0; q < kMaxQueues; ++q)
      if (qs[q].running && (next < 0 || qs[q].end < qs[next].end))
        next = static_cast<int>(q);
    if (next < 0)
      break;
    const QueueId q = static_cast<QueueId>(next);
    QueueState &st = qs[q];
    const uint32_t idx = st.pc;
    const Instruction &inst = st.queue->instructions[idx];
    now = st.end;

    if (deferred) {
      order.emplace_back(q, idx);
    } else if (data) {
      std::vector<emu::Operand> ops;
      if (check) {
        ops = emu::operandsOf(inst);
        for (const emu::Operand &op : ops) {
          if (op.write)
            continue;
          Walk w;
          emu::resolveWalk(*op.ap, *target, program, w);
          emu::attachMemory(w, *op.ap, mem);
          if (auto bad = emu::firstUninitialised(w)) {
            std::ostringstream os;
            os << "uninitialised read: " << op.role << " "
               << emu::describeFootprint(*op.ap, w, program);
            if (op.ap->space == MemSpace::HBM)
              os << ": byte " << bad->second << " of '" << program.tensors[op.ap->tensor].name
                 << "' was never written";
            else {
              const uint64_t pitch =
                  op.ap->space == MemSpace::SBUF ? mem.sbufPitch : mem.psumPitch;
              os << ": partition " << bad->second / pitch << " byte " << bad->second % pitch
                 << " was never written";
            }
            return fail(q, idx, os.str());
          }
        }
        if (auto race = races->access(q, idx, inst, vc[q]))
          return Error{*race};
      }
      if (auto err = exec->execute(inst))
        return fail(q, idx, *err);
      if (check) {
        for (const emu::Operand &op : ops) {
          if (!op.write)
            continue;
          Walk w;
          emu::resolveWalk(*op.ap, *target, program, w);
          emu::attachMemory(w, *op.ap, mem);
          emu::markInitialised(w);
        }
      }
    }

    for (uint32_t s : inst.signals) {
      ++semCount[s];
      if (check) {
        VectorClock joined = semPrefix[s].empty() ? VectorClock{} : semPrefix[s].back();
        emu::joinInto(joined, vc[q]);
        semPrefix[s].push_back(joined);
      }
      semLog[s].push_back({q, idx, now, incrementSeq++});
    }
    if (options.recordTrace) {
      TraceEvent ev;
      ev.queue = q;
      ev.index = idx;
      ev.startNs = st.start;
      ev.endNs = st.end;
      ev.waitedOn = st.waitedOn;
      ev.waitedSem = st.waitedSem;
      stats.trace.push_back(ev);
    }
    st.busy += st.end - st.start;
    st.freeAt = st.end;
    st.running = false;
    ++st.pc;
    ++stats.instructions;

    if (check) {
      // An access retires once every unfinished queue has observed it.
      VectorClock minObs;
      minObs.fill(std::numeric_limits<uint32_t>::max());
      for (unsigned qa = 0; qa < kMaxQueues; ++qa)
        for (unsigned qo = 0; qo < kMaxQueues; ++qo)
          if (qo != qa && qs[qo].queue && !qs[qo].finished())
            minObs[qa] = std::min(minObs[qa], vc[qo][qa]);
      races->retire(minObs);
    }
  }

  // --- Deadlock ---------------------------------------------------------------
  std::string blocked;
  for (unsigned q = 0; q < kMaxQueues; ++q) {
    const QueueState &st = qs[q];
    if (!st.queue || st.pc >= st.n)
      continue;
    const Instruction &inst = st.queue->instructions[st.pc];
    blocked += blocked.empty() ? "" : "; ";
    blocked += where(static_cast<QueueId>(q), st.pc, inst) + " waits on";
    bool first = true;
    for (const SemWait &w : inst.waits) {
      if (semCount[w.sem] >= w.value)
        continue;
      blocked += std::string(first ? "" : ",") + " sem " + std::to_string(w.sem) + " (value " +
                 std::to_string(semCount[w.sem]) + ", needs " + std::to_string(w.value) + ")";
      first = false;
    }
  }
  std::string deadlock;
  if (!blocked.empty())
    deadlock = "deadlock at " + std::to_string(now) + " ns: no queue can progress: " + blocked;

  // --- Stats ------------------------------------------------------------------
  stats.totalNs = now;
  stats.totalCycles = static_cast<uint64_t>(std::llround(now * target->pe.clockGHz));
  stats.tensorEngineUtilization = now > 0 ? peakNormalisedNs / now : 0.0;
  double bestBusy = -1;
  for (unsigned q = 0; q < kMaxQueues; ++q) {
    const QueueState &st = qs[q];
    if (!st.queue)
      continue;
    const std::string qn = queueName(static_cast<QueueId>(q));
    stats.engineBusy[qn] = now > 0 ? st.busy / now : 0.0;
    if (st.n > 0 && st.busy > bestBusy) {
      bestBusy = st.busy;
      stats.criticalQueue = qn;
    }
  }

  // --- Deferred arithmetic (before the deadlock check, as inline execution) ---
  if (deferred) {
    auto p = std::make_shared<Prepared>();
    p->program = &program;
    p->target = target;
    p->recordTrace = options.recordTrace;
    for (unsigned q = 0; q < kMaxQueues; ++q)
      p->qBoxes[q] = std::move(qBoxes[q]); // the buffers (and pointers into them) stay
    p->tasks.reserve(order.size());
    for (const auto &[q, i] : order) {
      const uint32_t b = qBoxBegin[q][i], e = qBoxBegin[q][i + 1];
      p->tasks.push_back({&qs[q].queue->instructions[i], p->qBoxes[q].data() + b, e - b});
    }
    p->order = std::move(order);
    // Spaces: 0 SBUF, 1 PSUM, 2 + t HBM tensor t (scratch lives in the arena).
    p->uncovered.assign(2 + program.tensors.size(), 0);
    emu::findUncoveredReads(p->tasks, p->uncovered);
    p->onChipWritten = std::move(onChipWritten);
    p->hbmWritten = std::move(hbmWritten);
    p->hbmWrittenBytes = std::move(hbmWrittenBytes);
    p->stats = std::move(stats);
    p->deadlock = std::move(deadlock);
    return runPrepared(std::move(p), program, inputs, threads);
  }
  if (!deadlock.empty())
    return Error{deadlock};
  if (data)
    return takeOutputs(program, mem, std::move(stats));
  RunResult result;
  result.stats = std::move(stats);
  return result;
}

std::unique_ptr<Device> createEmulatorDevice() { return std::make_unique<EmulatorDevice>(); }

} // namespace trnrt
