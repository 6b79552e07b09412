//===- RaceChecker.cpp - Vector-clock race detection -----------------------===//

#include "RaceChecker.h"

#include <algorithm>
#include <sstream>

namespace trnrt {
namespace emu {

namespace {
/// Exact intervals are built for at most this many elements per access; a
/// larger access whose bounding box overlaps an unordered access is reported
/// (conservatively) as a race.
constexpr uint64_t kMaxExactElems = uint64_t(1) << 24;

int64_t floorDiv2(int64_t a) { return a >= 0 ? a / 2 : -((-a + 1) / 2); }
} // namespace

std::optional<std::string> RaceChecker::access(QueueId q, uint32_t index,
                                               const Instruction &inst, const VectorClock &vc) {
  std::vector<Operand> ops = operandsOf(inst);
  std::vector<RecPtr> recs;
  recs.reserve(ops.size());
  for (const Operand &op : ops) {
    auto r = std::make_shared<Rec>();
    r->queue = q;
    r->index = index;
    r->opcode = inst.opcode();
    r->role = op.role;
    r->write = op.write;
    r->ap = op.ap;
    if (auto err = resolveWalk(*op.ap, target_, program_, r->walk))
      return *err; // unreachable: every AP was checked before the run
    const Walk &w = r->walk;
    if (op.ap->space == MemSpace::HBM) {
      r->p0 = 0;
      r->p1 = 1;
      const int64_t last = w.pitch * (static_cast<int64_t>(w.P) - 1);
      const int64_t lo = w.base + std::min<int64_t>(0, last) + w.lo;
      const int64_t hi = w.base + std::max<int64_t>(0, last) + w.hi;
      r->b0 = w.nibble ? floorDiv2(lo) : lo;
      r->b1 = w.nibble ? floorDiv2(hi + 1) : hi;
    } else {
      r->p0 = op.ap->startPartition;
      r->p1 = op.ap->startPartition + op.ap->numPartitions;
      const int64_t rel = w.base - static_cast<int64_t>(op.ap->startPartition) * w.pitch;
      r->b0 = w.nibble ? floorDiv2(rel + w.lo) : rel + w.lo;
      r->b1 = w.nibble ? floorDiv2(rel + w.hi + 1) : rel + w.hi;
    }
    recs.push_back(std::move(r));
  }
  for (const RecPtr &r : recs) {
    for (unsigned qa = 0; qa < kMaxQueues; ++qa) {
      if (qa == q)
        continue;
      const std::deque<RecPtr> &lv = live_[qa];
      // Unobserved accesses of qa are those with index >= vc[qa]; the deque is
      // in index order, so walk it from the back.
      for (auto it = lv.rbegin(); it != lv.rend() && (*it)->index >= vc[qa]; ++it) {
        const Rec &o = **it;
        if (!r->write && !o.write)
          continue;
        if (!boxesOverlap(*r, o) || !exactOverlap(*r, o))
          continue;
        std::ostringstream os;
        os << "race: " << queueName(q) << "[" << index << "] " << opcodeName(r->opcode) << " "
           << (r->write ? "writes " : "reads ") << r->role << " " << describe(*r) << " while "
           << queueName(o.queue) << "[" << o.index << "] " << opcodeName(o.opcode) << " "
           << (o.write ? "writes " : "reads ") << o.role << " " << describe(o)
           << " with no semaphore ordering them";
        return os.str();
      }
    }
  }
  for (RecPtr &r : recs)
    live_[q].push_back(std::move(r));
  return std::nullopt;
}

void RaceChecker::retire(const VectorClock &minObserved) {
  for (unsigned qa = 0; qa < kMaxQueues; ++qa) {
    std::deque<RecPtr> &lv = live_[qa];
    while (!lv.empty() && lv.front()->index < minObserved[qa])
      lv.pop_front();
  }
}

size_t RaceChecker::liveCount() const {
  size_t n = 0;
  for (const auto &lv : live_)
    n += lv.size();
  return n;
}

bool RaceChecker::boxesOverlap(const Rec &a, const Rec &b) const {
  if (a.ap->space != b.ap->space)
    return false;
  if (a.ap->space == MemSpace::HBM && a.ap->tensor != b.ap->tensor)
    return false;
  if (a.p1 <= b.p0 || b.p1 <= a.p0)
    return false;
  return a.b0 < b.b1 && b.b0 < a.b1;
}

void RaceChecker::computeIntervals(const Rec &r) const {
  r.haveIntervals = true;
  const Walk &w0 = r.walk;
  const bool hbm = r.ap->space == MemSpace::HBM;
  const uint64_t elems = hbm ? static_cast<uint64_t>(w0.P) * w0.E : w0.E;
  if (elems > kMaxExactElems) {
    r.tooLarge = true;
    return;
  }
  Walk w = w0;
  uint32_t rows = w.P;
  if (!hbm) { // every partition row has the same byte set: walk one, row-relative
    w.base -= static_cast<int64_t>(r.ap->startPartition) * w.pitch;
    rows = 1;
  }
  auto &iv = r.intervals;
  iv.clear();
  const int64_t eb = w.eb;
  for (uint32_t p = 0; p < rows; ++p) {
    forEachRun(w, p, [&](int64_t off, int64_t n, int64_t s, uint64_t) {
      const int64_t a = std::min(off, off + (n - 1) * s), b = std::max(off, off + (n - 1) * s);
      const int64_t as = s < 0 ? -s : s;
      if (w.nibble) {
        if (as <= 1) {
          iv.emplace_back(a >> 1, (b >> 1) + 1);
        } else {
          for (int64_t i = 0; i < n; ++i)
            iv.emplace_back((off + i * s) >> 1, ((off + i * s) >> 1) + 1);
        }
      } else if (as <= eb) {
        iv.emplace_back(a, b + eb);
      } else {
        for (int64_t i = 0; i < n; ++i)
          iv.emplace_back(off + i * s, off + i * s + eb);
      }
    });
  }
  std::sort(iv.begin(), iv.end());
  size_t out = 0;
  for (size_t i = 0; i < iv.size(); ++i) {
    if (out > 0 && iv[i].first <= iv[out - 1].second)
      iv[out - 1].second = std::max(iv[out - 1].second, iv[i].second);
    else
      iv[out++] = iv[i];
  }
  iv.resize(out);
}

bool RaceChecker::exactOverlap(const Rec &a, const Rec &b) const {
  if (!a.haveIntervals)
    computeIntervals(a);
  if (!b.haveIntervals)
    computeIntervals(b);
  if (a.tooLarge || b.tooLarge)
    return true;
  size_t i = 0, j = 0;
  while (i < a.intervals.size() && j < b.intervals.size()) {
    const auto &x = a.intervals[i], &y = b.intervals[j];
    if (x.first < y.second && y.first < x.second)
      return true;
    if (x.second <= y.second)
      ++i;
    else
      ++j;
  }
  return false;
}

std::string RaceChecker::describe(const Rec &r) const {
  return describeFootprint(*r.ap, r.walk, program_);
}

} // namespace emu
} // namespace trnrt
