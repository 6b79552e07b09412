//===- EmulatorInternal.h - Private pieces of the reference CPU emulator -*- C++ -*-===//
//
// Machine state, access-pattern walkers (gather/scatter with fast paths), the
// instruction semantics (Semantics.cpp) and the dynamic checkers (Checks.cpp).
// Not installed; only the emulator's sources and tests include it.
//
// Addressing units: byte-sized dtypes are addressed in bytes, FP4 (packed two
// per byte, element 2i in the low nibble) in nibbles. A `Walk` is an access
// pattern resolved against a memory: row p starts at `base + p * pitch` units,
// and the coalesced free dims (outermost first) walk the row.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_RUNTIME_LIB_EMULATOR_EMULATORINTERNAL_H
#define TRN_RUNTIME_LIB_EMULATOR_EMULATORINTERNAL_H

#include "trn/runtime/Device.h"
#include "trn/runtime/ISA.h"
#include "trn/runtime/Target.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace trnrt {
namespace emu {

/// A zero-filled byte buffer. Large ones are anonymous mappings (pages zeroed
/// on first touch, so untouched SBUF/PSUM costs nothing) that are recycled
/// through a small process-wide pool: a run registers what it may write
/// (markDirty), the pool remembers it, and the next user zeroes exactly that
/// (or nothing, when it provably reads only what it writes itself) instead of
/// paying page faults again (4 KiB faults cost more than the copies of a
/// typical run). Scratch asks for transparent huge
/// pages; a sparse buffer (SBUF rows) would have every touched 2 MiB zeroed.
class ZeroBuffer {
public:
  ZeroBuffer() = default;
  ZeroBuffer(const ZeroBuffer &) = delete;
  ZeroBuffer &operator=(const ZeroBuffer &) = delete;
  ~ZeroBuffer() { release(); }
  /// With `lazyZero`, a recycled buffer may still hold its previous users'
  /// bytes until zeroStale(): for a run proven to read only what it wrote.
  void allocate(size_t n, bool hugePages = false, bool lazyZero = false);
  /// Zeroes what previous users of a recycled buffer left behind.
  void zeroStale();
  /// Bytes [off + i * stride, + len) for i < count may become non-zero.
  /// Only a buffer marked at least once (an empty range counts) is recycled;
  /// its marks must cover every byte written.
  void markDirty(size_t off, size_t len, size_t stride = 0, size_t count = 1);
  uint8_t *data() { return ptr_; }
  const uint8_t *data() const { return ptr_; }
  size_t size() const { return size_; }

private:
  static constexpr size_t kChunk = 1024; // dirty-tracking granule (bytes)
  void release();
  uint8_t *ptr_ = nullptr, *base_ = nullptr; // base_: start of the mapping
  size_t size_ = 0, mapped_ = 0;              // mapped_ > 0: from mmap
  bool huge_ = false, recycle_ = false;
  std::vector<uint8_t> dirty_; // one flag per kChunk bytes: written by this run
  std::vector<uint8_t> stale_; // chunks previous users may have left non-zero
};

/// Host bytes between the end of one SBUF/PSUM partition row and the start of
/// the next. Row pitches are multiples of 4 KiB, so without it the same column
/// of every partition falls into one cache set and BLAS packing of a matmul
/// operand (128 partitions, one cache line each) thrashes: measured 15 % more
/// CPU for a 128x512x128 f32 matmul. Invisible outside the emulator: walks
/// address rows by this pitch, bounds use the target's row size.
constexpr uint64_t kPartitionPadBytes = 64;

/// The device memories of one run. `hbm[t]` is the bytes of program tensor t:
/// outputs own a vector (moved into the result), scratch lives in one zeroed
/// arena, and inputs and constants that no instruction writes are used in
/// place (never copied; nothing writes through those pointers).
/// The `*Init` shadows (one byte per data byte, 1 = written) exist only when
/// uninitialised-read detection is on.
struct Memory {
  const Target *target = nullptr;
  const Program *program = nullptr;
  uint64_t sbufPitch = 0, psumPitch = 0; // host bytes per partition row (padded)
  ZeroBuffer sbuf, psum;
  std::vector<uint8_t *> hbm;
  std::vector<std::vector<uint8_t>> hbmOwned; // outputs and written inputs/constants
  ZeroBuffer hbmArena;                        // scratch tensors
  bool trackInit = false;
  ZeroBuffer sbufInit, psumInit;
  std::vector<std::vector<uint8_t>> hbmInit;
};

/// An access pattern resolved to addressing units (see file comment). `mem`
/// and `shadow` are null for a footprint-only walk (no memory attached).
struct Walk {
  uint8_t *mem = nullptr;
  uint8_t *shadow = nullptr;
  DType dtype = DType::F32;
  bool nibble = false;  // FP4: units are nibbles
  unsigned eb = 4;      // units per element (1 for FP4)
  uint32_t P = 0;       // partitions (rows)
  uint64_t E = 0;       // elements per partition
  int64_t base = 0;     // units of row 0
  int64_t pitch = 0;    // units between rows
  int nd = 1;           // coalesced free dims (>= 1)
  int64_t size[kMaxFreeDims] = {1, 1, 1, 1};
  int64_t stride[kMaxFreeDims] = {0, 0, 0, 0}; // units
  /// Lowest and one-past-highest unit touched relative to a row's start.
  int64_t lo = 0, hi = 0;

  bool contiguous() const { return nd == 1 && (stride[0] == eb || size[0] == 1); }
};

/// Memory extent (in units) of an AP's space: per-partition bytes for
/// SBUF/PSUM, the tensor's size for HBM. `partitions` is the row count of the
/// space (128 on chip, 1 for HBM).
struct SpaceExtent {
  uint64_t unitsPerRow = 0;
  uint32_t partitions = 0;
};

/// Resolves `ap` into a walk (no memory attached) and checks it lies inside
/// its memory. Returns a description of the violation on failure.
std::optional<std::string> resolveWalk(const AccessPattern &ap, const Target &target,
                                       const Program &program, Walk &out);
/// Attaches memory (and shadow, when tracked) to a resolved walk.
void attachMemory(Walk &w, const AccessPattern &ap, Memory &m);

/// Calls f(unitOffset, count, unitStride, flatPosition) for every innermost run
/// of row p (unitOffset is absolute within the memory).
template <typename F> inline void forEachRun(const Walk &w, uint32_t p, F &&f) {
  const int d = w.nd - 1;
  const int64_t n = w.size[d], s = w.stride[d];
  int64_t idx[kMaxFreeDims] = {0, 0, 0, 0};
  int64_t off = w.base + static_cast<int64_t>(p) * w.pitch;
  uint64_t pos = 0;
  for (;;) {
    f(off, n, s, pos);
    pos += static_cast<uint64_t>(n);
    int k = d - 1;
    for (; k >= 0; --k) {
      off += w.stride[k];
      if (++idx[k] < w.size[k])
        break;
      off -= w.stride[k] * w.size[k];
      idx[k] = 0;
    }
    if (k < 0)
      return;
  }
}

/// Gather/scatter between a walk and a dense row-major [P][E] buffer.
/// `tmp` is scratch reused between calls.
void gatherF32(const Walk &w, float *out, std::vector<uint8_t> &tmp);
void scatterF32(const Walk &w, const float *in, std::vector<uint8_t> &tmp);
/// Raw element copies (no conversion) into/out of a packed buffer in the
/// walk's dtype layout (FP4: two per byte, element i in nibble i).
void gatherRaw(const Walk &w, uint8_t *out);
void scatterRaw(const Walk &w, const uint8_t *in);

/// A raw copy of `s` into `d` (same element count, element order) as one
/// memcpy per pair of contiguous runs, when both innermost dims are dense and
/// the two do not overlap. Returns false (nothing copied) otherwise.
/// `dstRowsDisjoint`: d's rows are separate partitions (on-chip memory).
bool copyDenseRuns(const Walk &s, const Walk &d, bool dstRowsDisjoint);
/// Whether no two elements of `w` share a unit (rows included, unless
/// `rowsDisjoint`): then writing them in any order gives the same memory.
bool writesEachUnitOnce(const Walk &w, bool rowsDisjoint);

/// The first byte of `w` whose shadow is 0, as (row, absolute byte), if any.
std::optional<std::pair<uint32_t, uint64_t>> firstUninitialised(const Walk &w);
void markInitialised(const Walk &w);

/// One operand access of an instruction (for the checkers).
struct Operand {
  const AccessPattern *ap = nullptr;
  const char *role = "";
  bool write = false;
};
/// Every operand of `inst`; reads first, then writes. An accumulating matmul
/// reads and writes its dst (listed twice).
std::vector<Operand> operandsOf(const Instruction &inst);

/// Executes the arithmetic of one instruction. Scratch buffers are reused
/// across calls. Returns a message on a semantic problem the verifier cannot
/// see (shape mismatches are reported as errors, never guessed).
class Executor {
public:
  Executor(Memory &m) : m_(m) {}
  ~Executor() {
    if (!own_)
      s_.inUse = false;
  }
  Executor(const Executor &) = delete;
  Executor &operator=(const Executor &) = delete;
  std::optional<std::string> execute(const Instruction &inst);

private:
  Walk walk(const AccessPattern &ap);
  std::optional<std::string> dmaCopy(const DmaCopy &op);
  std::optional<std::string> matmul(const Matmul &op);
  std::optional<std::string> transpose(const Transpose &op);
  std::optional<std::string> activation(const Activation &op);
  std::optional<std::string> tensorTensor(const TensorTensor &op);
  std::optional<std::string> tensorScalar(const TensorScalar &op);
  std::optional<std::string> tensorReduce(const TensorReduce &op);
  std::optional<std::string> tensorCopy(const TensorCopy &op);
  std::optional<std::string> select(const Select &op);
  std::optional<std::string> iota(const Iota &op);
  std::optional<std::string> memset(const Memset &op);
  std::optional<std::string> quantizeMx(const QuantizeMx &op);
  std::optional<std::string> scalarColumn(const ScalarOperand &s, uint32_t P,
                                          std::vector<float> &out, const char *what);

  /// Gather/scatter buffers, kept per thread across runs: fresh multi-MiB
  /// buffers every run cost page faults (glibc returns them to the kernel).
  /// An executor nested on a thread whose buffers are in use (a run started
  /// from a task that TBB runs while a matmul waits) gets its own.
  struct Scratch {
    std::vector<float> f0, f1, f2, f3, f4;
    std::vector<uint8_t> raw, tmp;
    bool inUse = false;
  };
  Scratch &acquireScratch();

  Memory &m_;
  std::unique_ptr<Scratch> own_;
  Scratch &s_ = acquireScratch();
  std::vector<float> &f0_ = s_.f0, &f1_ = s_.f1, &f2_ = s_.f2, &f3_ = s_.f3, &f4_ = s_.f4;
  std::vector<uint8_t> &raw_ = s_.raw, &tmp_ = s_.tmp;
};

/// A conservative footprint of one operand: memory (0 SBUF, 1 PSUM, 2 + t
/// HBM tensor t), partitions [p0, p1) and bytes [lo, hi) of each row (HBM:
/// of the tensor). Every byte the operand touches lies inside.
struct Box {
  uint32_t space = 0;
  uint32_t p0 = 0, p1 = 0;
  int64_t lo = 0, hi = 0;
  bool write = false;
  bool dense = false; // the operand touches every byte of the box
};
Box footprintBox(const AccessPattern &ap, const Walk &w, bool write);
/// Whether some box of `a` and some box of `b` overlap with at least one write.
bool boxesConflict(const Box *a, size_t na, const Box *b, size_t nb);

struct OrderedTask;
/// Marks, in `uncovered` (indexed by Box::space, sized by the caller), the
/// spaces where some read of `tasks` (in order) may see bytes that no earlier
/// dense write of the same partitions wrote, i.e. the initial contents.
void findUncoveredReads(const std::vector<OrderedTask> &tasks, std::vector<uint8_t> &uncovered);

/// One instruction of a sequential execution order, with its footprint.
struct OrderedTask {
  const Instruction *inst = nullptr;
  const Box *boxes = nullptr;
  uint32_t numBoxes = 0;
};
/// The ordering constraints of a task list (Parallel.cpp): task j may run once
/// every task before j - kDependencyWindow + 1 and every task listed in
/// preds[begin[j], begin[j + 1]) (the conflicting ones among the others) has
/// finished. Depends on the footprints only, so a prepared program keeps it.
struct Dependencies {
  static constexpr size_t kWindow = 128;
  std::vector<uint32_t> begin, preds;
};
Dependencies findDependencies(const std::vector<OrderedTask> &tasks);

/// Executes `tasks` with the memory effects of running them one after the
/// other in order, on `threads` threads (Parallel.cpp): conflicting
/// instructions run in order, others concurrently. `deps` (from
/// findDependencies) is only read with threads > 1. Returns the first failing
/// task in order (index, message), exactly as the sequential run would.
std::optional<std::pair<size_t, std::string>> executeOrdered(Memory &m,
                                                             const std::vector<OrderedTask> &tasks,
                                                             const Dependencies *deps,
                                                             unsigned threads);
/// Threads for executeOrdered: the TBB arena's concurrency (1 = sequential).
unsigned defaultExecutorThreads();
/// Whether the calling thread may fan out (nested parallelism): true outside
/// executeOrdered, and inside it while some other worker waits for work.
bool executorHasIdleThread();

/// Human-readable "sbuf p[0:128] bytes [a,b)" / "hbm 'x' bytes [a,b)" for an AP.
std::string describeFootprint(const AccessPattern &ap, const Walk &w, const Program &program);

} // namespace emu
} // namespace trnrt

#endif // TRN_RUNTIME_LIB_EMULATOR_EMULATORINTERNAL_H
