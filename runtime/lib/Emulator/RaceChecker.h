//===- RaceChecker.h - Vector-clock race detection over access sets -*- C++ -*-===//
//
// Each queue has a vector clock (entry q = number of queue-q instructions it
// has observed); an instruction (q, i) happens before another with clock V iff
// V[q] > i. Accesses are checked at completion time, in completion order,
// against the live accesses of other queues that the new instruction has not
// observed: two accesses conflict when at least one writes and their byte sets
// intersect (bounding boxes first, exact element sets only when boxes
// overlap). Accesses retire once every unfinished queue has observed them.
// Not installed; used by Emulator.cpp and the tests.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_RUNTIME_LIB_EMULATOR_RACECHECKER_H
#define TRN_RUNTIME_LIB_EMULATOR_RACECHECKER_H

#include "EmulatorInternal.h"

#include <array>
#include <deque>
#include <memory>

namespace trnrt {
namespace emu {

using VectorClock = std::array<uint32_t, kMaxQueues>;

inline void joinInto(VectorClock &a, const VectorClock &b) {
  for (unsigned i = 0; i < kMaxQueues; ++i)
    a[i] = a[i] > b[i] ? a[i] : b[i];
}

class RaceChecker {
public:
  RaceChecker(const Program &program, const Target &target)
      : program_(program), target_(target) {}

  /// Checks the accesses of instruction `index` of queue `q` (with vector
  /// clock `vc`) against unobserved live accesses, then records them.
  /// Returns the race report on conflict.
  std::optional<std::string> access(QueueId q, uint32_t index, const Instruction &inst,
                                    const VectorClock &vc);
  /// Drops accesses of queue qa with index < minObserved[qa].
  void retire(const VectorClock &minObserved);
  /// Live access count (for tests of the retirement logic).
  size_t liveCount() const;

private:
  struct Rec {
    QueueId queue = 0;
    uint32_t index = 0;
    Opcode opcode = Opcode::DmaCopy;
    const char *role = "";
    bool write = false;
    const AccessPattern *ap = nullptr;
    Walk walk;
    // Bounding box: partition rows [p0, p1) and bytes [b0, b1) (row-relative
    // on chip; tensor-absolute for HBM, where all rows are one flat space).
    uint32_t p0 = 0, p1 = 0;
    int64_t b0 = 0, b1 = 0;
    // Exact byte intervals (sorted, merged), computed on demand.
    mutable bool haveIntervals = false;
    mutable bool tooLarge = false;
    mutable std::vector<std::pair<int64_t, int64_t>> intervals;
  };
  using RecPtr = std::shared_ptr<const Rec>;

  bool boxesOverlap(const Rec &a, const Rec &b) const;
  bool exactOverlap(const Rec &a, const Rec &b) const;
  void computeIntervals(const Rec &r) const;
  std::string describe(const Rec &r) const;

  const Program &program_;
  const Target &target_;
  std::deque<RecPtr> live_[kMaxQueues];
};

} // namespace emu
} // namespace trnrt

#endif // TRN_RUNTIME_LIB_EMULATOR_RACECHECKER_H
