//===- Parallel.cpp - Dependency-respecting parallel functional execution --===//
//
// The event loop decides *when* instructions complete (the timing model);
// the arithmetic does not depend on it. Without the checkers, the emulator
// records the completion order and hands it here: instruction j must run
// after every earlier instruction i (in that order) whose footprint conflicts
// with j's (i writes what j reads or writes, or reads what j writes). Any
// execution respecting those edges produces exactly the memory of the
// sequential run in completion order, whatever the threads do: results are
// deterministic and identical to the sequential executor.
//
// Footprints are conservative boxes (memory, partition range, byte range of a
// row); a false overlap only costs parallelism. The dependency graph is built
// over a sliding window of the order (each instruction is compared with the
// kWindow - 1 before it, once per prepared program; admission into the
// window waits for everything older), so the cost is linear in program size.
//
//===----------------------------------------------------------------------===//

#include "EmulatorInternal.h"

#include <tbb/task_arena.h>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <iterator>
#include <map>
#include <mutex>
#include <new>
#include <thread>
#include <tuple>

namespace trnrt {
namespace emu {

namespace {
int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }
} // namespace

Box footprintBox(const AccessPattern &ap, const Walk &w, bool write) {
  Box b;
  b.write = write;
  int64_t lo, hi; // in units
  if (ap.space == MemSpace::HBM) {
    b.space = 2 + ap.tensor;
    b.p0 = 0;
    b.p1 = 1;
    const int64_t last = w.pitch * static_cast<int64_t>(w.P - 1);
    lo = w.base + std::min<int64_t>(0, last) + w.lo;
    hi = w.base + std::max<int64_t>(0, last) + w.hi;
  } else {
    b.space = ap.space == MemSpace::SBUF ? 0 : 1;
    b.p0 = ap.startPartition;
    b.p1 = ap.startPartition + w.P;
    const int64_t start = w.base - static_cast<int64_t>(ap.startPartition) * w.pitch;
    lo = start + w.lo;
    hi = start + w.hi;
  }
  const int64_t upb = w.nibble ? 2 : 1; // a nibble write touches its whole byte
  b.lo = floorDiv(lo, upb);
  b.hi = ceilDiv(hi, upb);
  // Every byte of the box: each row is one contiguous run, and (HBM) the rows
  // are adjacent.
  const bool rowDense = !w.nibble && w.contiguous();
  const int64_t rowBytes = static_cast<int64_t>(w.E * w.eb);
  b.dense = rowDense && (ap.space != MemSpace::HBM || w.P == 1 || w.pitch == rowBytes);
  return b;
}

void findUncoveredReads(const std::vector<OrderedTask> &tasks, std::vector<uint8_t> &uncovered) {
  // Per (space, p0, p1): the union of dense write boxes so far, as disjoint
  // byte intervals lo -> hi. A read is covered if one entry whose partitions
  // contain the read's has an interval containing its bytes.
  using Key = std::tuple<uint32_t, uint32_t, uint32_t>;
  std::map<Key, std::map<int64_t, int64_t>> covered;
  auto isCovered = [&](const Box &r) {
    for (auto it = covered.lower_bound(Key{r.space, 0, 0});
         it != covered.end() && std::get<0>(it->first) == r.space; ++it) {
      if (std::get<1>(it->first) > r.p0 || std::get<2>(it->first) < r.p1)
        continue;
      const auto &iv = it->second;
      auto j = iv.upper_bound(r.lo);
      if (j == iv.begin())
        continue;
      --j;
      if (j->first <= r.lo && j->second >= r.hi)
        return true;
    }
    return false;
  };
  auto insert = [&](const Box &w) {
    auto &iv = covered[Key{w.space, w.p0, w.p1}];
    int64_t lo = w.lo, hi = w.hi;
    auto j = iv.upper_bound(lo);
    if (j != iv.begin() && std::prev(j)->second >= lo)
      --j;
    while (j != iv.end() && j->first <= hi) { // merge touching/overlapping intervals
      lo = std::min(lo, j->first);
      hi = std::max(hi, j->second);
      j = iv.erase(j);
    }
    iv.emplace(lo, hi);
  };
  for (const OrderedTask &t : tasks) {
    for (uint32_t k = 0; k < t.numBoxes; ++k) {
      const Box &b = t.boxes[k];
      if (!b.write && b.space < uncovered.size() && !uncovered[b.space] && !isCovered(b))
        uncovered[b.space] = 1;
    }
    for (uint32_t k = 0; k < t.numBoxes; ++k)
      if (t.boxes[k].write && t.boxes[k].dense)
        insert(t.boxes[k]);
  }
}

bool boxesConflict(const Box *a, size_t na, const Box *b, size_t nb) {
  for (size_t i = 0; i < na; ++i)
    for (size_t j = 0; j < nb; ++j) {
      const Box &x = a[i], &y = b[j];
      if ((x.write || y.write) && x.space == y.space && x.p0 < y.p1 && y.p0 < x.p1 &&
          x.lo < y.hi && y.lo < x.hi)
        return true;
    }
  return false;
}

namespace {
/// Idle-worker count of the executeOrdered run the current thread works for.
thread_local const std::atomic<unsigned> *tIdleWorkers = nullptr;
} // namespace

bool executorHasIdleThread() { return !tIdleWorkers || tIdleWorkers->load() > 0; }

unsigned defaultExecutorThreads() {
  // One executor thread by default; large instructions still split their
  // work over both cores when the other one is idle (Semantics.cpp). The
  // executor's workers block between instructions and must be woken: any
  // thread competing for a core delays every hand-off by a time slice, where
  // TBB's caller simply runs both halves itself. Measured on 2 cores
  // (resnet18 1x3x224x224): the parallel executor wins alone (32 vs 37 ms) but
  // loses when anything else runs, e.g. OpenBLAS workers busy-waiting after
  // torch's GEMMs in the same process (52 vs 38 ms; the encoder block 3.7 vs
  // 2.4 ms), and at load averages of 5-8 (10-100 % slower). RunOptions::threads
  // (trnc.Program.run(threads=N)) selects it explicitly. Results do not
  // depend on the choice.
  return 1;
}

Dependencies findDependencies(const std::vector<OrderedTask> &tasks) {
  Dependencies d;
  const size_t n = tasks.size();
  d.begin.reserve(n + 1);
  for (size_t j = 0; j < n; ++j) {
    d.begin.push_back(static_cast<uint32_t>(d.preds.size()));
    const OrderedTask &t = tasks[j];
    for (size_t i = j >= Dependencies::kWindow ? j - Dependencies::kWindow + 1 : 0; i < j; ++i) {
      const OrderedTask &u = tasks[i];
      if (boxesConflict(u.boxes, u.numBoxes, t.boxes, t.numBoxes))
        d.preds.push_back(static_cast<uint32_t>(i));
    }
  }
  d.begin.push_back(static_cast<uint32_t>(d.preds.size()));
  return d;
}

std::optional<std::pair<size_t, std::string>> executeOrdered(Memory &m,
                                                             const std::vector<OrderedTask> &tasks,
                                                             const Dependencies *deps,
                                                             unsigned threads) {
  const size_t n = tasks.size();
  if (threads <= 1 || n < 2 || !deps) {
    Executor exec(m);
    for (size_t i = 0; i < n; ++i)
      if (auto err = exec.execute(*tasks[i].inst))
        return std::make_pair(i, *err);
    return std::nullopt;
  }

  // Window of admitted instructions [front, next): remaining[i] counts its
  // unfinished predecessors; it is ready at 0.
  constexpr size_t kWindow = Dependencies::kWindow;
  std::vector<uint32_t> remaining(n, 0);
  std::vector<std::vector<uint32_t>> dependents(n);
  std::vector<uint8_t> done(n, 0);
  std::vector<std::optional<std::string>> errors(n);
  std::vector<size_t> ready; // min-heap of indices: earliest first
  size_t front = 0, next = 0, finished = 0, firstError = n;
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<unsigned> idle{0}; // workers waiting for a ready instruction

  auto admit = [&] { // under mu
    while (next < n && next - front < kWindow) {
      // Everything before front is done, and front > next - kWindow.
      uint32_t count = 0;
      for (uint32_t k = deps->begin[next]; k < deps->begin[next + 1]; ++k) {
        const uint32_t i = deps->preds[k];
        if (i < front || done[i])
          continue;
        dependents[i].push_back(static_cast<uint32_t>(next));
        ++count;
      }
      remaining[next] = count;
      if (count == 0) {
        ready.push_back(next);
        std::push_heap(ready.begin(), ready.end(), std::greater<size_t>());
      }
      ++next;
    }
  };

  auto worker = [&] {
    Executor exec(m);
    tIdleWorkers = &idle;
    std::unique_lock<std::mutex> lk(mu);
    for (;;) {
      if (finished == n) {
        tIdleWorkers = nullptr;
        return;
      }
      if (ready.empty()) {
        ++idle;
        cv.wait(lk, [&] { return !ready.empty() || finished == n; });
        --idle;
        continue;
      }
      std::pop_heap(ready.begin(), ready.end(), std::greater<size_t>());
      const size_t i = ready.back();
      ready.pop_back();
      // After a failure only earlier instructions matter (the run reports the
      // first failing one in order); later ones are skipped.
      const bool skip = i > firstError;
      lk.unlock();
      std::optional<std::string> err;
      if (!skip) {
        try {
          err = exec.execute(*tasks[i].inst);
        } catch (const std::bad_alloc &) {
          err = "out of host memory";
        } catch (const std::exception &e) {
          err = e.what();
        }
      }
      lk.lock();
      if (err) {
        errors[i] = std::move(err);
        firstError = std::min(firstError, i);
      }
      done[i] = 1;
      ++finished;
      for (uint32_t d : dependents[i])
        if (--remaining[d] == 0) {
          ready.push_back(d);
          std::push_heap(ready.begin(), ready.end(), std::greater<size_t>());
        }
      while (front < next && done[front])
        ++front;
      admit();
      // This thread takes the next ready instruction itself; wake another one
      // only for a second (a wake-up per instruction costs more than most
      // instructions), and everyone at the end.
      if (finished == n)
        cv.notify_all();
      else if (ready.size() > 1 && idle > 0)
        cv.notify_one();
    }
  };

  {
    std::lock_guard<std::mutex> lk(mu);
    admit();
  }
  std::vector<std::thread> pool;
  std::exception_ptr spawnError;
  try {
    for (unsigned t = 1; t < threads; ++t)
      pool.emplace_back(worker);
  } catch (...) { // no threads available: the calling thread does all the work
    spawnError = std::current_exception();
  }
  worker();
  for (std::thread &t : pool)
    t.join();
  (void)spawnError;
  if (firstError < n)
    return std::make_pair(firstError, *errors[firstError]);
  return std::nullopt;
}

} // namespace emu
} // namespace trnrt
