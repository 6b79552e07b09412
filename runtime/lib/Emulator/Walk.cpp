//===- Walk.cpp - Access-pattern resolution, gather/scatter, shadows ------===//

#include "EmulatorInternal.h"

#include "trn/runtime/Numerics.h"

#include <sys/mman.h>
#include <tbb/parallel_invoke.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <sstream>

namespace trnrt {
namespace emu {

namespace {

using i128 = __int128;

/// Units per element: bytes for byte-sized dtypes, 1 nibble for FP4.
unsigned unitsPerElem(DType t) {
  if (t == DType::F4E2M1)
    return 1;
  return dtypeBits(t) / 8;
}

/// Removes unit dims and merges adjacent dims that are contiguous with each
/// other; the walk order of elements is unchanged.
void coalesce(const AccessPattern &ap, unsigned eb, Walk &w) {
  int64_t sz[kMaxFreeDims], st[kMaxFreeDims];
  int n = 0;
  for (uint32_t i = 0; i < ap.rank && i < kMaxFreeDims; ++i) {
    if (ap.sizes[i] == 1)
      continue;
    sz[n] = ap.sizes[i];
    st[n] = ap.strides[i] * static_cast<int64_t>(eb);
    ++n;
  }
  if (n == 0) {
    w.nd = 1;
    w.size[0] = 1;
    w.stride[0] = eb;
    return;
  }
  int outN = 0;
  int64_t osz[kMaxFreeDims], ost[kMaxFreeDims];
  osz[0] = sz[0];
  ost[0] = st[0];
  outN = 1;
  for (int i = 1; i < n; ++i) {
    int64_t &psz = osz[outN - 1], &pst = ost[outN - 1];
    if (pst == sz[i] * st[i]) {
      psz *= sz[i];
      pst = st[i];
    } else {
      osz[outN] = sz[i];
      ost[outN] = st[i];
      ++outN;
    }
  }
  w.nd = outN;
  for (int i = 0; i < outN; ++i) {
    w.size[i] = osz[i];
    w.stride[i] = ost[i];
  }
}

template <unsigned EB> inline void gatherStrided(const uint8_t *src, int64_t s, int64_t n,
                                                 uint8_t *dst) {
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(dst + i * EB, src + i * s, EB);
}
template <unsigned EB> inline void scatterStrided(uint8_t *dst, int64_t s, int64_t n,
                                                  const uint8_t *src) {
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(dst + i * s, src + i * EB, EB);
}

void gatherBytes(const uint8_t *src, int64_t s, int64_t n, unsigned eb, uint8_t *dst) {
  if (s == static_cast<int64_t>(eb)) {
    std::memcpy(dst, src, static_cast<size_t>(n) * eb);
    return;
  }
  switch (eb) {
  case 1: gatherStrided<1>(src, s, n, dst); break;
  case 2: gatherStrided<2>(src, s, n, dst); break;
  default: gatherStrided<4>(src, s, n, dst); break;
  }
}

void scatterBytes(uint8_t *dst, int64_t s, int64_t n, unsigned eb, const uint8_t *src) {
  if (s == static_cast<int64_t>(eb)) {
    std::memmove(dst, src, static_cast<size_t>(n) * eb);
    return;
  }
  switch (eb) {
  case 1: scatterStrided<1>(dst, s, n, src); break;
  case 2: scatterStrided<2>(dst, s, n, src); break;
  default: scatterStrided<4>(dst, s, n, src); break;
  }
}

inline uint8_t getNibble(const uint8_t *mem, int64_t i) {
  return (mem[i >> 1] >> ((i & 1) * 4)) & 0xf;
}
inline void setNibble(uint8_t *mem, int64_t i, uint8_t v) {
  uint8_t &b = mem[i >> 1];
  const int sh = (i & 1) * 4;
  b = static_cast<uint8_t>((b & ~(0xf << sh)) | ((v & 0xf) << sh));
}

/// Byte range [first, last] covered by a run (inclusive), for shadows.
inline void runByteRange(const Walk &w, int64_t off, int64_t n, int64_t s, int64_t &first,
                         int64_t &last) {
  const int64_t a = off, b = off + (n - 1) * s;
  const int64_t lo = std::min(a, b), hi = std::max(a, b);
  if (w.nibble) {
    first = lo >> 1;
    last = hi >> 1;
  } else {
    first = lo;
    last = hi + w.eb - 1;
  }
}

/// Whether a run touches every byte between its ends (so the shadow can be
/// processed as one range).
inline bool runIsDense(const Walk &w, int64_t s) {
  const int64_t as = s < 0 ? -s : s;
  return as <= static_cast<int64_t>(w.eb) || (w.nibble && as <= 2);
}

} // namespace

namespace {
/// Mappings kept for reuse, all zero. Bounded so an idle process holds at
/// most kPoolBytes.
struct Mapping {
  uint8_t *base;
  size_t len;
  bool huge;
  std::vector<uint8_t> stale; // chunks (ZeroBuffer::kChunk) that may be non-zero
};
std::mutex gPoolMutex;
std::vector<Mapping> gPool;
constexpr size_t kPoolEntries = 8, kPoolBytes = size_t(512) << 20;
} // namespace

void ZeroBuffer::allocate(size_t n, bool hugePages, bool lazyZero) {
  release();
  // mmap directly, not calloc: after freeing one large block glibc raises its
  // mmap threshold and calloc then memsets a reused heap block.
  constexpr size_t kMapMin = size_t(64) << 10, kHuge = size_t(2) << 20;
  if (n >= kMapMin) {
    // With huge pages: one extra so the buffer can start on a 2 MiB boundary.
    const size_t align = hugePages ? kHuge : 4096;
    const size_t len = (n + align - 1) / align * align + (hugePages ? kHuge : 0);
    void *p = nullptr;
    {
      std::lock_guard<std::mutex> lk(gPoolMutex);
      for (size_t i = 0; i < gPool.size(); ++i)
        if (gPool[i].len == len && gPool[i].huge == hugePages) {
          p = gPool[i].base;
          stale_ = std::move(gPool[i].stale);
          gPool.erase(gPool.begin() + static_cast<std::ptrdiff_t>(i));
          break;
        }
    }
    if (!p) {
      p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED)
        throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
      if (hugePages) // advisory: 4 KiB pages work too
        madvise(p, len, MADV_HUGEPAGE);
#endif
    }
    base_ = static_cast<uint8_t *>(p);
    mapped_ = len;
    huge_ = hugePages;
    ptr_ = base_;
    if (hugePages) {
      const uintptr_t a = reinterpret_cast<uintptr_t>(p);
      ptr_ = base_ + ((a + kHuge - 1) / kHuge * kHuge - a);
    }
  } else {
    ptr_ = static_cast<uint8_t *>(std::calloc(n ? n : 1, 1));
    if (!ptr_)
      throw std::bad_alloc();
  }
  size_ = n;
  if (!lazyZero)
    zeroStale();
}

void ZeroBuffer::zeroStale() {
  // Chunks index the mapping from ptr_ (the same for every user of a mapping).
  const size_t cap = mapped_ - static_cast<size_t>(ptr_ - base_);
  for (size_t c = 0; c < stale_.size();) {
    if (!stale_[c]) {
      ++c;
      continue;
    }
    size_t e = c;
    while (e < stale_.size() && stale_[e])
      ++e;
    std::memset(ptr_ + c * kChunk, 0, std::min(cap, e * kChunk) - c * kChunk);
    c = e;
  }
  stale_.clear();
}

void ZeroBuffer::markDirty(size_t off, size_t len, size_t stride, size_t count) {
  recycle_ = true;
  if (!mapped_ || !len || !count)
    return;
  if (dirty_.empty())
    dirty_.assign((mapped_ - static_cast<size_t>(ptr_ - base_) + kChunk - 1) / kChunk, 0);
  for (size_t i = 0; i < count; ++i) {
    const size_t a = off + i * stride;
    if (a >= size_) { // never expected: zero it all
      std::fill(dirty_.begin(), dirty_.end(), 1);
      return;
    }
    const size_t b = std::min(size_, a + len);
    std::fill(dirty_.begin() + static_cast<std::ptrdiff_t>(a / kChunk),
              dirty_.begin() + static_cast<std::ptrdiff_t>((b - 1) / kChunk + 1), 1);
  }
}

void ZeroBuffer::release() {
  if (mapped_) {
    bool keep = false;
    if (recycle_) {
      std::lock_guard<std::mutex> lk(gPoolMutex);
      size_t bytes = mapped_;
      for (const Mapping &m : gPool)
        bytes += m.len;
      keep = gPool.size() < kPoolEntries && bytes <= kPoolBytes;
    }
    if (keep) {
      // The next user zeroes what this one and earlier ones left (or not, if
      // it never reads it).
      if (stale_.size() < dirty_.size())
        stale_.resize(dirty_.size(), 0);
      for (size_t c = 0; c < dirty_.size(); ++c)
        stale_[c] |= dirty_[c];
      std::lock_guard<std::mutex> lk(gPoolMutex);
      gPool.push_back({base_, mapped_, huge_, std::move(stale_)});
    } else {
      munmap(base_, mapped_);
    }
  } else {
    std::free(ptr_);
  }
  ptr_ = base_ = nullptr;
  size_ = mapped_ = 0;
  dirty_.clear();
  stale_.clear();
  recycle_ = false;
}

std::optional<std::string> resolveWalk(const AccessPattern &ap, const Target &target,
                                       const Program &program, Walk &w) {
  w = Walk();
  w.dtype = ap.dtype;
  if (static_cast<unsigned>(ap.dtype) >= static_cast<unsigned>(kNumDTypes))
    return std::string("unknown dtype");
  w.nibble = ap.dtype == DType::F4E2M1;
  w.eb = unitsPerElem(ap.dtype);
  if (ap.rank == 0 || ap.rank > kMaxFreeDims)
    return "access pattern rank " + std::to_string(ap.rank) + " outside 1..4";
  if (ap.numPartitions == 0)
    return std::string("access pattern with 0 partitions");
  w.P = ap.numPartitions;
  w.E = ap.elemsPerPartition();
  if (w.E == 0)
    return std::string("access pattern with an empty free dim");
  coalesce(ap, w.eb, w);
  // Extent of one row relative to its start, in units.
  i128 lo = 0, hi = w.eb;
  for (int i = 0; i < w.nd; ++i) {
    const i128 ext = static_cast<i128>(w.size[i] - 1) * w.stride[i];
    if (ext > 0)
      hi += ext;
    else
      lo += ext;
  }
  const unsigned upb = w.nibble ? 2 : 1; // units per byte
  if (ap.space == MemSpace::SBUF || ap.space == MemSpace::PSUM) {
    const uint64_t pitchBytes = ap.space == MemSpace::SBUF ? target.sbufBytesPerPartition
                                                           : target.psumBytesPerPartition();
    const char *name = memSpaceName(ap.space);
    if (static_cast<uint64_t>(ap.startPartition) + ap.numPartitions > target.numPartitions)
      return std::string(name) + " partitions [" + std::to_string(ap.startPartition) + ", " +
             std::to_string(static_cast<uint64_t>(ap.startPartition) + ap.numPartitions) +
             ") exceed " + std::to_string(target.numPartitions);
    const i128 rowUnits = static_cast<i128>(pitchBytes) * upb;
    const i128 memRowUnits = static_cast<i128>(pitchBytes + kPartitionPadBytes) * upb;
    const i128 start = static_cast<i128>(ap.offset) * upb;
    if (ap.offset > pitchBytes || start + lo < 0 || start + hi > rowUnits) {
      std::ostringstream os;
      os << name << " access [" << static_cast<long long>((start + lo) / upb) << ", "
         << static_cast<long long>((start + hi + upb - 1) / upb)
         << ") bytes per partition outside [0, " << pitchBytes << ")";
      return os.str();
    }
    w.pitch = static_cast<int64_t>(memRowUnits);
    w.base = static_cast<int64_t>(static_cast<i128>(ap.startPartition) * memRowUnits + start);
  } else if (ap.space == MemSpace::HBM) {
    if (ap.tensor >= program.tensors.size())
      return "hbm tensor " + std::to_string(ap.tensor) + " does not exist";
    if (ap.startPartition != 0)
      return std::string("hbm access pattern with a start partition");
    const TensorDecl &t = program.tensors[ap.tensor];
    const i128 total = static_cast<i128>(t.byteSize()) * upb;
    if (ap.offset > (uint64_t(1) << 48) || ap.partitionStride > (int64_t(1) << 48) ||
        ap.partitionStride < -(int64_t(1) << 48))
      return "hbm access outside tensor '" + t.name + "'";
    const i128 base = static_cast<i128>(ap.offset) * w.eb;
    const i128 pitch = static_cast<i128>(ap.partitionStride) * w.eb;
    const i128 last = pitch * (ap.numPartitions - 1);
    const i128 minRow = base + std::min<i128>(0, last), maxRow = base + std::max<i128>(0, last);
    if (minRow + lo < 0 || maxRow + hi > total) {
      std::ostringstream os;
      os << "hbm access [" << static_cast<long long>((minRow + lo) / upb) << ", "
         << static_cast<long long>((maxRow + hi + upb - 1) / upb) << ") outside tensor '"
         << t.name << "' of " << t.byteSize() << " bytes";
      return os.str();
    }
    w.base = static_cast<int64_t>(base);
    w.pitch = static_cast<int64_t>(pitch);
  } else {
    return std::string("unknown memory space");
  }
  w.lo = static_cast<int64_t>(lo);
  w.hi = static_cast<int64_t>(hi);
  return std::nullopt;
}

void attachMemory(Walk &w, const AccessPattern &ap, Memory &m) {
  switch (ap.space) {
  case MemSpace::SBUF:
    w.mem = m.sbuf.data();
    w.shadow = m.trackInit ? m.sbufInit.data() : nullptr;
    break;
  case MemSpace::PSUM:
    w.mem = m.psum.data();
    w.shadow = m.trackInit ? m.psumInit.data() : nullptr;
    break;
  case MemSpace::HBM:
    w.mem = m.hbm[ap.tensor];
    w.shadow = m.trackInit ? m.hbmInit[ap.tensor].data() : nullptr;
    break;
  }
}

void gatherF32(const Walk &w, float *out, std::vector<uint8_t> &tmp) {
  const DType t = w.dtype;
  for (uint32_t p = 0; p < w.P; ++p) {
    float *row = out + static_cast<uint64_t>(p) * w.E;
    forEachRun(w, p, [&](int64_t off, int64_t n, int64_t s, uint64_t pos) {
      float *o = row + pos;
      if (w.nibble) {
        if (s == 1) {
          decodeToF32(t, w.mem, static_cast<uint64_t>(off), o, static_cast<size_t>(n));
        } else {
          for (int64_t i = 0; i < n; ++i)
            decodeToF32(t, w.mem, static_cast<uint64_t>(off + i * s), o + i, 1);
        }
        return;
      }
      const uint8_t *src = w.mem + off;
      if (t == DType::F32) {
        if (s == 4)
          std::memcpy(o, src, static_cast<size_t>(n) * 4);
        else
          gatherStrided<4>(src, s, n, reinterpret_cast<uint8_t *>(o));
        return;
      }
      if (s == static_cast<int64_t>(w.eb)) {
        decodeToF32(t, src, 0, o, static_cast<size_t>(n));
        return;
      }
      if (tmp.size() < static_cast<size_t>(n) * w.eb)
        tmp.resize(static_cast<size_t>(n) * w.eb);
      gatherBytes(src, s, n, w.eb, tmp.data());
      decodeToF32(t, tmp.data(), 0, o, static_cast<size_t>(n));
    });
  }
}

void scatterF32(const Walk &w, const float *in, std::vector<uint8_t> &tmp) {
  const DType t = w.dtype;
  for (uint32_t p = 0; p < w.P; ++p) {
    const float *row = in + static_cast<uint64_t>(p) * w.E;
    forEachRun(w, p, [&](int64_t off, int64_t n, int64_t s, uint64_t pos) {
      const float *v = row + pos;
      if (w.nibble) {
        if (s == 1) {
          encodeFromF32(t, v, w.mem, static_cast<uint64_t>(off), static_cast<size_t>(n));
        } else {
          for (int64_t i = 0; i < n; ++i)
            encodeFromF32(t, v + i, w.mem, static_cast<uint64_t>(off + i * s), 1);
        }
        return;
      }
      uint8_t *dst = w.mem + off;
      if (t == DType::F32) {
        if (s == 4)
          std::memmove(dst, v, static_cast<size_t>(n) * 4);
        else
          scatterStrided<4>(dst, s, n, reinterpret_cast<const uint8_t *>(v));
        return;
      }
      if (s == static_cast<int64_t>(w.eb)) {
        encodeFromF32(t, v, dst, 0, static_cast<size_t>(n));
        return;
      }
      if (tmp.size() < static_cast<size_t>(n) * w.eb)
        tmp.resize(static_cast<size_t>(n) * w.eb);
      encodeFromF32(t, v, tmp.data(), 0, static_cast<size_t>(n));
      scatterBytes(dst, s, n, w.eb, tmp.data());
    });
  }
}

void gatherRaw(const Walk &w, uint8_t *out) {
  for (uint32_t p = 0; p < w.P; ++p) {
    const uint64_t rowPos = static_cast<uint64_t>(p) * w.E;
    forEachRun(w, p, [&](int64_t off, int64_t n, int64_t s, uint64_t pos) {
      if (w.nibble) {
        int64_t o = static_cast<int64_t>(rowPos + pos);
        int64_t i = 0;
        if (s == 1 && ((off ^ o) & 1) == 0) {
          for (; i < n && ((off + i) & 1); ++i)
            setNibble(out, o + i, getNibble(w.mem, off + i));
          const int64_t bytes = (n - i) / 2;
          std::memcpy(out + ((o + i) >> 1), w.mem + ((off + i) >> 1), static_cast<size_t>(bytes));
          i += bytes * 2;
        }
        for (; i < n; ++i)
          setNibble(out, o + i, getNibble(w.mem, off + i * s));
        return;
      }
      gatherBytes(w.mem + off, s, n, w.eb, out + (rowPos + pos) * w.eb);
    });
  }
}

void scatterRaw(const Walk &w, const uint8_t *in) {
  for (uint32_t p = 0; p < w.P; ++p) {
    const uint64_t rowPos = static_cast<uint64_t>(p) * w.E;
    forEachRun(w, p, [&](int64_t off, int64_t n, int64_t s, uint64_t pos) {
      if (w.nibble) {
        int64_t o = static_cast<int64_t>(rowPos + pos);
        int64_t i = 0;
        if (s == 1 && ((off ^ o) & 1) == 0) {
          for (; i < n && ((off + i) & 1); ++i)
            setNibble(w.mem, off + i, getNibble(in, o + i));
          const int64_t bytes = (n - i) / 2;
          std::memmove(w.mem + ((off + i) >> 1), in + ((o + i) >> 1), static_cast<size_t>(bytes));
          i += bytes * 2;
        }
        for (; i < n; ++i)
          setNibble(w.mem, off + i * s, getNibble(in, o + i));
        return;
      }
      scatterBytes(w.mem + off, s, n, w.eb, in + (rowPos + pos) * w.eb);
    });
  }
}

namespace {
/// Walks the contiguous runs of a walk whose innermost dim is dense, in
/// element order across rows; `at`/`left` are the current run's unit offset
/// and remaining elements.
struct RunCursor {
  const Walk &w;
  uint32_t p = 0;
  int64_t idx[kMaxFreeDims] = {0, 0, 0, 0};
  int64_t at = 0, left = 0;
  explicit RunCursor(const Walk &walk) : w(walk) { startRow(0); }
  /// Positions the cursor at element `e` of the walk order.
  void seek(uint64_t e) {
    p = static_cast<uint32_t>(e / w.E);
    uint64_t r = e % w.E;
    at = w.base + static_cast<int64_t>(p) * w.pitch;
    for (int k = w.nd - 1; k >= 0; --k) {
      idx[k] = static_cast<int64_t>(r % static_cast<uint64_t>(w.size[k]));
      r /= static_cast<uint64_t>(w.size[k]);
      at += idx[k] * w.stride[k];
    }
    left = w.size[w.nd - 1] - idx[w.nd - 1];
  }
  void startRow(uint32_t row) {
    p = row;
    std::fill(idx, idx + kMaxFreeDims, 0);
    at = w.base + static_cast<int64_t>(p) * w.pitch;
    left = w.size[w.nd - 1];
  }
  void advance(int64_t n) {
    at += n * static_cast<int64_t>(w.eb);
    if ((left -= n) > 0)
      return;
    int k = w.nd - 2;
    for (; k >= 0; --k) {
      if (++idx[k] < w.size[k])
        break;
      idx[k] = 0;
    }
    if (k < 0) {
      if (p + 1 < w.P)
        startRow(p + 1);
      return;
    }
    at = w.base + static_cast<int64_t>(p) * w.pitch;
    for (int j = 0; j + 1 < w.nd; ++j)
      at += idx[j] * w.stride[j];
    left = w.size[w.nd - 1];
  }
};

/// Units [lo, hi) of the memory a walk may touch.
std::pair<int64_t, int64_t> walkSpan(const Walk &w) {
  const int64_t last = w.pitch * static_cast<int64_t>(w.P - 1);
  return {w.base + std::min<int64_t>(0, last) + w.lo, w.base + std::max<int64_t>(0, last) + w.hi};
}
} // namespace

bool writesEachUnitOnce(const Walk &w, bool rowsDisjoint) {
  std::pair<int64_t, int64_t> dims[kMaxFreeDims + 1]; // (|stride|, size)
  int n = 0;
  for (int k = 0; k < w.nd; ++k)
    if (w.size[k] > 1)
      dims[n++] = {std::abs(w.stride[k]), w.size[k]};
  if (!rowsDisjoint && w.P > 1)
    dims[n++] = {std::abs(w.pitch), w.P};
  // Finest first, each dim must step past everything the finer ones span.
  for (int i = 1; i < n; ++i) // insertion sort (std::sort on 5 elements trips -Warray-bounds)
    for (int j = i; j > 0 && dims[j] < dims[j - 1]; --j)
      std::swap(dims[j], dims[j - 1]);
  int64_t extent = w.nibble ? 1 : w.eb;
  for (int i = 0; i < n; ++i) {
    if (dims[i].first < extent)
      return false;
    extent += dims[i].first * (dims[i].second - 1);
  }
  return true;
}

namespace {
/// memcpy of a short run without the library call: im2col-style DMAs copy
/// ~1M runs of 28-224 bytes per resnet18 inference. Two overlapping
/// fixed-size moves cover [8, 64] bytes; src and dst do not overlap.
inline void copyRun(uint8_t *d, const uint8_t *s, size_t n) {
  if (n >= 8 && n <= 64) {
    uint8_t head[32], tail[32];
    if (n <= 16) {
      std::memcpy(head, s, 8);
      std::memcpy(tail, s + n - 8, 8);
      std::memcpy(d, head, 8);
      std::memcpy(d + n - 8, tail, 8);
    } else if (n <= 32) {
      std::memcpy(head, s, 16);
      std::memcpy(tail, s + n - 16, 16);
      std::memcpy(d, head, 16);
      std::memcpy(d + n - 16, tail, 16);
    } else {
      std::memcpy(head, s, 32);
      std::memcpy(tail, s + n - 32, 32);
      std::memcpy(d, head, 32);
      std::memcpy(d + n - 32, tail, 32);
    }
    return;
  }
  std::memcpy(d, s, n);
}

/// Rows [p0, p1) of a row-for-row copy between a walk `g` of up to 4 dims and
/// a walk `c` whose rows are contiguous, with plain nested loops instead of a
/// run cursor (whose bookkeeping costs more than copying a 28-byte run).
/// Walk order, so a unit written twice keeps the last write.
template <bool GIsSrc>
void copyRowsNested(const Walk &g, const Walk &c, uint32_t p0, uint32_t p1) {
  int64_t sz[kMaxFreeDims], st[kMaxFreeDims];
  const int pad = static_cast<int>(kMaxFreeDims) - g.nd;
  for (int k = 0; k < static_cast<int>(kMaxFreeDims); ++k) {
    sz[k] = k < pad ? 1 : g.size[k - pad];
    st[k] = k < pad ? 0 : g.stride[k - pad];
  }
  static_assert(kMaxFreeDims == 4, "loop nest below");
  const size_t run = static_cast<size_t>(sz[3]) * g.eb;
  for (uint32_t p = p0; p < p1; ++p) {
    uint8_t *gp = g.mem + g.base + static_cast<int64_t>(p) * g.pitch;
    uint8_t *cp = c.mem + c.base + static_cast<int64_t>(p) * c.pitch;
    for (int64_t i0 = 0; i0 < sz[0]; ++i0)
      for (int64_t i1 = 0; i1 < sz[1]; ++i1)
        for (int64_t i2 = 0; i2 < sz[2]; ++i2, cp += run) {
          uint8_t *x = gp + i0 * st[0] + i1 * st[1] + i2 * st[2];
          if (GIsSrc)
            copyRun(cp, x, run);
          else
            copyRun(x, cp, run);
        }
  }
}
} // namespace

bool copyDenseRuns(const Walk &s, const Walk &d, bool dstRowsDisjoint) {
  if (s.nibble || d.nibble || s.eb != d.eb || s.stride[s.nd - 1] != s.eb ||
      d.stride[d.nd - 1] != d.eb)
    return false;
  const uint64_t total = static_cast<uint64_t>(s.P) * s.E;
  if (total != static_cast<uint64_t>(d.P) * d.E)
    return false;
  if (s.mem == d.mem) { // read-all-then-write semantics: only without overlap
    const auto a = walkSpan(s), b = walkSpan(d);
    if (!(a.second <= b.first || b.second <= a.first))
      return false;
  }
  auto copy = [&](uint64_t from, uint64_t to) {
    RunCursor rs(s), rd(d);
    rs.seek(from);
    rd.seek(from);
    for (uint64_t done = from; done < to;) {
      const int64_t n = std::min({rs.left, rd.left, static_cast<int64_t>(to - done)});
      copyRun(d.mem + rd.at, s.mem + rs.at, static_cast<size_t>(n) * s.eb);
      rs.advance(n);
      rd.advance(n);
      done += static_cast<uint64_t>(n);
    }
  };
  // A destination element written twice (overlapping rows or a zero stride)
  // keeps the last write, as in the general path: the order is the same.
  // Halves run on two threads only when no destination unit is written twice
  // (and the copy is large enough to pay for the hand-off).
  constexpr uint64_t kMinSplitBytes = uint64_t(128) << 10;
  const bool split = total * s.eb >= kMinSplitBytes &&
                     tbb::this_task_arena::max_concurrency() > 1 && executorHasIdleThread() &&
                     writesEachUnitOnce(d, dstRowsDisjoint);
  if (s.P == d.P && s.E == d.E && (s.contiguous() || d.contiguous())) {
    auto rows = [&](uint32_t p0, uint32_t p1) {
      if (d.contiguous())
        copyRowsNested<true>(s, d, p0, p1);
      else
        copyRowsNested<false>(d, s, p0, p1);
    };
    if (split && s.P >= 2)
      tbb::parallel_invoke([&] { rows(0, s.P / 2); }, [&] { rows(s.P / 2, s.P); });
    else
      rows(0, s.P);
    return true;
  }
  if (split) {
    const uint64_t half = total / 2;
    tbb::parallel_invoke([&] { copy(0, half); }, [&] { copy(half, total); });
  } else {
    copy(0, total);
  }
  return true;
}

std::optional<std::pair<uint32_t, uint64_t>> firstUninitialised(const Walk &w) {
  if (!w.shadow)
    return std::nullopt;
  std::optional<std::pair<uint32_t, uint64_t>> found;
  for (uint32_t p = 0; p < w.P && !found; ++p) {
    forEachRun(w, p, [&](int64_t off, int64_t n, int64_t s, uint64_t) {
      if (found)
        return;
      if (runIsDense(w, s)) {
        int64_t first, last;
        runByteRange(w, off, n, s, first, last);
        const void *z = std::memchr(w.shadow + first, 0, static_cast<size_t>(last - first + 1));
        if (z)
          found = {p, static_cast<uint64_t>(static_cast<const uint8_t *>(z) - w.shadow)};
        return;
      }
      for (int64_t i = 0; i < n; ++i) {
        const int64_t u = off + i * s;
        const int64_t first = w.nibble ? u >> 1 : u;
        const int64_t len = w.nibble ? 1 : w.eb;
        for (int64_t b = first; b < first + len; ++b)
          if (!w.shadow[b]) {
            found = {p, static_cast<uint64_t>(b)};
            return;
          }
      }
    });
  }
  return found;
}

void markInitialised(const Walk &w) {
  if (!w.shadow)
    return;
  for (uint32_t p = 0; p < w.P; ++p) {
    forEachRun(w, p, [&](int64_t off, int64_t n, int64_t s, uint64_t) {
      if (runIsDense(w, s)) {
        int64_t first, last;
        runByteRange(w, off, n, s, first, last);
        std::memset(w.shadow + first, 1, static_cast<size_t>(last - first + 1));
        return;
      }
      for (int64_t i = 0; i < n; ++i) {
        const int64_t u = off + i * s;
        if (w.nibble)
          w.shadow[u >> 1] = 1;
        else
          std::memset(w.shadow + u, 1, w.eb);
      }
    });
  }
}

std::vector<Operand> operandsOf(const Instruction &inst) {
  std::vector<Operand> r;
  auto rd = [&](const AccessPattern &ap, const char *role) { r.push_back({&ap, role, false}); };
  auto wr = [&](const AccessPattern &ap, const char *role) { r.push_back({&ap, role, true}); };
  auto sc = [&](const ScalarOperand &s, const char *role) {
    if (s.ap)
      rd(*s.ap, role);
  };
  std::visit(
      [&](const auto &op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, DmaCopy>) {
          rd(op.src, "src");
          wr(op.dst, "dst");
        } else if constexpr (std::is_same_v<T, Matmul>) {
          rd(op.stationary, "stationary");
          rd(op.moving, "moving");
          if (op.stationaryScale)
            rd(*op.stationaryScale, "stationary_scale");
          if (op.movingScale)
            rd(*op.movingScale, "moving_scale");
          if (op.accumulate)
            rd(op.dst, "dst");
          wr(op.dst, "dst");
        } else if constexpr (std::is_same_v<T, Transpose>) {
          rd(op.src, "src");
          wr(op.dst, "dst");
        } else if constexpr (std::is_same_v<T, Activation>) {
          rd(op.src, "src");
          sc(op.scale, "scale");
          sc(op.bias, "bias");
          wr(op.dst, "dst");
          if (op.accumDst)
            wr(*op.accumDst, "accum_dst");
        } else if constexpr (std::is_same_v<T, TensorTensor>) {
          rd(op.in0, "in0");
          rd(op.in1, "in1");
          wr(op.dst, "dst");
        } else if constexpr (std::is_same_v<T, TensorScalar>) {
          rd(op.src, "src");
          sc(op.scalar0, "scalar0");
          if (op.op1 != AluOp::Bypass)
            sc(op.scalar1, "scalar1");
          wr(op.dst, "dst");
        } else if constexpr (std::is_same_v<T, TensorReduce>) {
          rd(op.src, "src");
          wr(op.dst, "dst");
        } else if constexpr (std::is_same_v<T, TensorCopy>) {
          rd(op.src, "src");
          wr(op.dst, "dst");
        } else if constexpr (std::is_same_v<T, Select>) {
          rd(op.pred, "pred");
          rd(op.onTrue, "on_true");
          rd(op.onFalse, "on_false");
          wr(op.dst, "dst");
        } else if constexpr (std::is_same_v<T, Iota>) {
          wr(op.dst, "dst");
        } else if constexpr (std::is_same_v<T, Memset>) {
          wr(op.dst, "dst");
        } else if constexpr (std::is_same_v<T, QuantizeMx>) {
          rd(op.src, "src");
          wr(op.dst, "dst");
          wr(op.scale, "scale");
        }
      },
      inst.body);
  return r;
}

std::string describeFootprint(const AccessPattern &ap, const Walk &w, const Program &program) {
  std::ostringstream os;
  const int64_t upb = w.nibble ? 2 : 1;
  auto floorDiv = [](int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  if (ap.space == MemSpace::HBM) {
    const int64_t last = w.pitch * (static_cast<int64_t>(w.P) - 1);
    const int64_t lo = w.base + std::min<int64_t>(0, last) + w.lo;
    const int64_t hi = w.base + std::max<int64_t>(0, last) + w.hi;
    const std::string name =
        ap.tensor < program.tensors.size() ? program.tensors[ap.tensor].name : "?";
    os << "hbm '" << name << "' bytes [" << floorDiv(lo, upb) << "," << floorDiv(hi + upb - 1, upb)
       << ")";
  } else {
    const int64_t start = w.base - static_cast<int64_t>(ap.startPartition) * w.pitch;
    os << memSpaceName(ap.space) << " p[" << ap.startPartition << ":"
       << ap.startPartition + ap.numPartitions << "] bytes [" << floorDiv(start + w.lo, upb) << ","
       << floorDiv(start + w.hi + upb - 1, upb) << ")";
  }
  return os.str();
}

} // namespace emu
} // namespace trnrt
