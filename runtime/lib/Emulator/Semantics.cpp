//===- Semantics.cpp - Functional semantics of every instruction -----------===//
//
// Every instruction reads its operands into dense f32 [P][E] buffers
// (Numerics decodeToF32), computes in FP32 and stores with encodeFromF32
// (saturating policy). Raw copies (dma_copy, same-dtype tensor_copy) move bytes
// unchanged. Matmul runs OpenBLAS sgemm, directly on SBUF/PSUM memory when the
// operands are contiguous f32.
//
//===----------------------------------------------------------------------===//

#include "EmulatorInternal.h"
#include "../Numerics/NumericsInternal.h"

#include "trn/runtime/Numerics.h"

#include <cblas.h>
#include <tbb/parallel_invoke.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace trnrt {
namespace emu {

namespace {

#define TRY(expr)                                                                                  \
  do {                                                                                             \
    if (auto _e = (expr))                                                                          \
      return _e;                                                                                   \
  } while (0)

// Max/min in integer selects only, so that element loops vectorise (GCC
// keeps branches for float compares under -ftrapping-math, and maxpool's max
// over random data mispredicts them). A NaN operand gives a quiet NaN, a's
// payload if a is NaN, else b's (what x86 computes for a + b; spelled out
// since compilers may commute a + b); otherwise the larger/smaller value,
// with max(-0, +0) = +0 and min(-0, +0) = -0 (IEEE 754-2019 maximum/minimum).
using detail::bitsOf;
using detail::floatOf;
/// All-ones when `u` is a NaN.
inline uint32_t nanMask(uint32_t u) {
  return 0u - static_cast<uint32_t>((u & 0x7fffffffu) > 0x7f800000u);
}
/// The unsigned order of the float values, -0 below +0.
inline uint32_t orderKey(uint32_t u) {
  return u ^ (static_cast<uint32_t>(static_cast<int32_t>(u) >> 31) | 0x80000000u);
}
template <bool Max> inline float maxMinProp(float a, float b) {
  const uint32_t ua = bitsOf(a), ub = bitsOf(b), na = nanMask(ua), nb = nanMask(ub);
  const uint32_t pickA =
      0u - static_cast<uint32_t>(Max ? orderKey(ua) > orderKey(ub) : orderKey(ua) < orderKey(ub));
  const uint32_t r = ub ^ ((ua ^ ub) & pickA);
  const uint32_t nan = ((ua & na) | (ub & ~na)) | 0x00400000u;
  const uint32_t n = na | nb;
  return floatOf((nan & n) | (r & ~n));
}
inline float maxProp(float a, float b) { return maxMinProp<true>(a, b); }
/// out[e] = f(in[e], c), or f(c, in[e]) with `reverse` (in may be out): one
/// tensor_scalar stage over a row, each loop branch-free so it vectorises.
template <class F>
inline void scalarRow(F f, float c, bool reverse, const float *in, float *out, uint64_t E) {
  if (reverse)
    for (uint64_t e = 0; e < E; ++e)
      out[e] = f(c, in[e]);
  else
    for (uint64_t e = 0; e < E; ++e)
      out[e] = f(in[e], c);
}
inline float minProp(float a, float b) { return maxMinProp<false>(a, b); }
/// The same bits with branches, for reductions: a loop-carried accumulator
/// does not vectorise, and its well-predicted compares are shorter than the
/// integer select chain (the encoder's softmax row max).
inline float maxPropScalar(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return floatOf((bitsOf(std::isnan(a) ? a : b)) | 0x00400000u);
  return a > b ? a : (b > a ? b : (std::signbit(a) ? b : a)); // max(-0, +0) = +0
}
inline float minPropScalar(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return floatOf((bitsOf(std::isnan(a) ? a : b)) | 0x00400000u);
  return a < b ? a : (b < a ? b : (std::signbit(a) ? a : b)); // min(-0, +0) = -0
}

/// Calls body(f) with f the binary function of `op` (one instantiation per op,
/// so the element loops contain no dispatch).
template <typename Body> void dispatchAlu(AluOp op, Body &&body) {
  switch (op) {
  case AluOp::Add: body([](float x, float y) { return x + y; }); break;
  case AluOp::Sub: body([](float x, float y) { return x - y; }); break;
  case AluOp::Mul: body([](float x, float y) { return x * y; }); break;
  case AluOp::Div: body([](float x, float y) { return x / y; }); break;
  case AluOp::Max: body([](float x, float y) { return maxProp(x, y); }); break;
  case AluOp::Min: body([](float x, float y) { return minProp(x, y); }); break;
  case AluOp::Pow: body([](float x, float y) { return std::pow(x, y); }); break;
  case AluOp::IsEq: body([](float x, float y) { return x == y ? 1.0f : 0.0f; }); break;
  case AluOp::IsNe: body([](float x, float y) { return x != y ? 1.0f : 0.0f; }); break;
  case AluOp::IsLt: body([](float x, float y) { return x < y ? 1.0f : 0.0f; }); break;
  case AluOp::IsLe: body([](float x, float y) { return x <= y ? 1.0f : 0.0f; }); break;
  case AluOp::IsGt: body([](float x, float y) { return x > y ? 1.0f : 0.0f; }); break;
  case AluOp::IsGe: body([](float x, float y) { return x >= y ? 1.0f : 0.0f; }); break;
  case AluOp::And:
    body([](float x, float y) { return (x != 0.0f && y != 0.0f) ? 1.0f : 0.0f; });
    break;
  case AluOp::Or:
    body([](float x, float y) { return (x != 0.0f || y != 0.0f) ? 1.0f : 0.0f; });
    break;
  case AluOp::Bypass: body([](float x, float) { return x; }); break;
  }
}

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

template <typename Body> void dispatchAct(ActFunc f, Body &&body) {
  switch (f) {
  case ActFunc::Identity: body([](float x) { return x; }); break;
  case ActFunc::Relu: body([](float x) { return x < 0.0f ? 0.0f : x; }); break;
  case ActFunc::Gelu:
    body([](float x) {
      if (x == kNegInf)
        return -0.0f; // the limit; 0.5*x*(1+erf(x)) would give -inf*0 = NaN
      return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752440f));
    });
    break;
  case ActFunc::GeluTanh:
    body([](float x) {
      if (x == kNegInf)
        return -0.0f;
      const float inner = 0.79788456080286535588f * (x + 0.044715f * x * x * x);
      return 0.5f * x * (1.0f + std::tanh(inner));
    });
    break;
  case ActFunc::Silu:
    body([](float x) {
      if (x == kNegInf)
        return -0.0f;
      return x / (1.0f + std::exp(-x));
    });
    break;
  case ActFunc::Sigmoid: body([](float x) { return 1.0f / (1.0f + std::exp(-x)); }); break;
  case ActFunc::Tanh: body([](float x) { return std::tanh(x); }); break;
  case ActFunc::Exp: body([](float x) { return std::exp(x); }); break;
  case ActFunc::Log: body([](float x) { return std::log(x); }); break;
  case ActFunc::Sqrt: body([](float x) { return std::sqrt(x); }); break;
  case ActFunc::Rsqrt: body([](float x) { return 1.0f / std::sqrt(x); }); break;
  case ActFunc::Square: body([](float x) { return x * x; }); break;
  case ActFunc::Reciprocal: body([](float x) { return 1.0f / x; }); break;
  case ActFunc::Erf: body([](float x) { return std::erf(x); }); break;
  case ActFunc::Abs: body([](float x) { return std::fabs(x); }); break;
  }
}

std::string shapeStr(uint32_t P, uint64_t E) {
  return "[" + std::to_string(P) + ", " + std::to_string(E) + "]";
}

std::optional<std::string> sameShape(const Walk &a, const char *an, const Walk &b,
                                     const char *bn) {
  if (a.P == b.P && a.E == b.E)
    return std::nullopt;
  return std::string(an) + " " + shapeStr(a.P, a.E) + " and " + bn + " " + shapeStr(b.P, b.E) +
         " differ in shape (partitions x elements per partition)";
}

inline bool alignedF32(const Walk &w) {
  return w.dtype == DType::F32 && w.contiguous() && w.pitch % 4 == 0 &&
         reinterpret_cast<uintptr_t>(w.mem + w.base) % 4 == 0;
}

/// Direct row access (the element-wise fast paths): every row is one
/// contiguous run of whole elements, and distinct rows do not overlap.
inline bool directRows(const Walk &w) {
  return !w.nibble && w.contiguous() &&
         (w.P == 1 || static_cast<uint64_t>(std::abs(w.pitch)) >= w.E * w.eb);
}
inline bool directF32(const Walk &w) { return directRows(w) && alignedF32(w); }
template <typename T = float> inline T *rowPtr(const Walk &w, uint32_t p) {
  return reinterpret_cast<T *>(w.mem + w.base + static_cast<int64_t>(p) * w.pitch);
}
/// Bytes [lo, hi) of the memory `w.mem` that a direct-row walk spans.
inline std::pair<int64_t, int64_t> rowSpan(const Walk &w) {
  const int64_t last = w.pitch * static_cast<int64_t>(w.P - 1);
  return {w.base + std::min<int64_t>(0, last),
          w.base + std::max<int64_t>(0, last) + static_cast<int64_t>(w.E * w.eb)};
}
/// Whether element-wise processing row by row, in place, gives the same
/// result as reading `src` completely before writing `dst`: the operands
/// are either the very same elements or share no byte.
inline bool rowwiseSafe(const Walk &src, const Walk &dst) {
  if (src.mem != dst.mem)
    return true;
  if (src.base == dst.base && src.pitch == dst.pitch && src.eb == dst.eb)
    return true;
  const auto a = rowSpan(src), b = rowSpan(dst);
  if (a.second <= b.first || b.second <= a.first)
    return true;
  // Two tiles of the same partitions side by side: with a common pitch and
  // every row inside one pitch-aligned slot of the memory, rows in different
  // slots share nothing, and rows in the same slot only if their in-slot byte
  // ranges overlap.
  const int64_t pitch = src.pitch;
  if (pitch <= 0 || dst.pitch != pitch || src.P == 1 || dst.P == 1)
    return false;
  auto slot = [pitch](const Walk &w, int64_t &first, int64_t &lo, int64_t &hi) {
    first = w.base / pitch; // base >= 0: a row start inside the memory
    lo = w.base - first * pitch;
    hi = lo + static_cast<int64_t>(w.E * w.eb);
    return w.base >= 0 && hi <= pitch;
  };
  int64_t fs, ls, hs, fd, ld, hd;
  if (!slot(src, fs, ls, hs) || !slot(dst, fd, ld, hd))
    return false;
  const bool disjointRows = fs + src.P <= fd || fd + dst.P <= fs;
  return disjointRows || hs <= ld || hd <= ls;
}

/// Calls body(p0, p1) on row ranges covering [0, P): two halves on two
/// threads when the instruction moves enough bytes to pay for the hand-off
/// (about a microsecond) and a thread is idle. Callers guarantee the rows are
/// independent (no row writes a byte another row reads or writes), so the
/// result never depends on the split.
template <typename F> void forRows(uint32_t P, uint64_t bytes, F &&body) {
  constexpr uint64_t kMinSplitBytes = uint64_t(128) << 10;
  if (P >= 2 && bytes >= kMinSplitBytes && tbb::this_task_arena::max_concurrency() > 1 &&
      executorHasIdleThread()) {
    const uint32_t half = P / 2;
    tbb::parallel_invoke([&] { body(0u, half); }, [&] { body(half, P); });
    return;
  }
  body(0u, P);
}

template <typename T> T *grow(std::vector<T> &v, size_t n) {
  if (v.size() < n)
    v.resize(n);
  return v.data();
}

} // namespace

Executor::Scratch &Executor::acquireScratch() {
  thread_local Scratch scratch;
  if (!scratch.inUse) {
    scratch.inUse = true;
    return scratch;
  }
  own_ = std::make_unique<Scratch>();
  return *own_;
}

Walk Executor::walk(const AccessPattern &ap) {
  Walk w;
  // Every AP was resolved and bounds-checked before the run started.
  if (resolveWalk(ap, *m_.target, *m_.program, w))
    w.P = 0;
  else
    attachMemory(w, ap, m_);
  return w;
}

std::optional<std::string> Executor::scalarColumn(const ScalarOperand &s, uint32_t P,
                                                  std::vector<float> &out, const char *what) {
  out.resize(P);
  if (!s.ap) {
    std::fill(out.begin(), out.end(), s.imm);
    return std::nullopt;
  }
  Walk w = walk(*s.ap);
  if (w.P != P || w.E != 1)
    return std::string(what) + " " + shapeStr(w.P, w.E) + " must be a [" + std::to_string(P) +
           ", 1] column";
  gatherF32(w, out.data(), tmp_);
  return std::nullopt;
}

std::optional<std::string> Executor::execute(const Instruction &inst) {
  return std::visit(
      [&](const auto &op) -> std::optional<std::string> {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, DmaCopy>)
          return dmaCopy(op);
        else if constexpr (std::is_same_v<T, Matmul>)
          return matmul(op);
        else if constexpr (std::is_same_v<T, Transpose>)
          return transpose(op);
        else if constexpr (std::is_same_v<T, Activation>)
          return activation(op);
        else if constexpr (std::is_same_v<T, TensorTensor>)
          return tensorTensor(op);
        else if constexpr (std::is_same_v<T, TensorScalar>)
          return tensorScalar(op);
        else if constexpr (std::is_same_v<T, TensorReduce>)
          return tensorReduce(op);
        else if constexpr (std::is_same_v<T, TensorCopy>)
          return tensorCopy(op);
        else if constexpr (std::is_same_v<T, Select>)
          return select(op);
        else if constexpr (std::is_same_v<T, Iota>)
          return iota(op);
        else if constexpr (std::is_same_v<T, Memset>)
          return memset(op);
        else
          return quantizeMx(op);
      },
      inst.body);
}

namespace {
/// d[p][i] = s[p][i] for a source whose rows are closer together than its
/// elements (see dmaCopy), in 16 x 16 tiles of EB-byte elements.
template <unsigned EB> void transposeTiles(const Walk &s, const Walk &d) {
  constexpr uint32_t kT = 16;
  const int64_t st = s.stride[0];
  uint8_t tile[kT * kT * EB];
  for (uint32_t p0 = 0; p0 < s.P; p0 += kT) {
    const uint32_t pn = std::min<uint32_t>(kT, s.P - p0);
    for (uint64_t i0 = 0; i0 < s.E; i0 += kT) {
      const uint32_t in = static_cast<uint32_t>(std::min<uint64_t>(kT, s.E - i0));
      for (uint32_t ii = 0; ii < in; ++ii) {
        const uint8_t *src = s.mem + s.base + static_cast<int64_t>(i0 + ii) * st +
                             static_cast<int64_t>(p0) * s.pitch;
        for (uint32_t pp = 0; pp < pn; ++pp)
          std::memcpy(tile + (pp * kT + ii) * EB, src + static_cast<int64_t>(pp) * s.pitch, EB);
      }
      for (uint32_t pp = 0; pp < pn; ++pp)
        std::memcpy(d.mem + d.base + static_cast<int64_t>(p0 + pp) * d.pitch + i0 * EB,
                    tile + pp * kT * EB, static_cast<size_t>(in) * EB);
    }
  }
}
} // namespace

std::optional<std::string> Executor::dmaCopy(const DmaCopy &op) {
  Walk s = walk(op.src), d = walk(op.dst);
  if (s.dtype != d.dtype)
    return std::string("dma_copy does not convert: src is ") + dtypeName(s.dtype) +
           ", dst is " + dtypeName(d.dtype);
  const uint64_t n = static_cast<uint64_t>(s.P) * s.E;
  if (n != static_cast<uint64_t>(d.P) * d.E)
    return "dma_copy moves " + std::to_string(n) + " elements from src but dst has " +
           std::to_string(static_cast<uint64_t>(d.P) * d.E);
  // Fast path: row-for-row contiguous copy between different memories.
  if (s.mem != d.mem && !s.nibble && s.P == d.P && s.E == d.E && s.contiguous() &&
      d.contiguous()) {
    const size_t bytes = static_cast<size_t>(s.E) * s.eb;
    auto rows = [&](uint32_t p0, uint32_t p1) {
      for (uint32_t p = p0; p < p1; ++p)
        std::memcpy(d.mem + d.base + static_cast<int64_t>(p) * d.pitch,
                    s.mem + s.base + static_cast<int64_t>(p) * s.pitch, bytes);
    };
    // Overlapping destination rows keep the last write: in order only.
    if (static_cast<uint64_t>(std::abs(d.pitch)) >= bytes)
      forRows(s.P, uint64_t(s.P) * bytes, rows);
    else
      rows(0, s.P);
    return std::nullopt;
  }
  // Transposing read (rows closer together than the elements of a row, e.g.
  // loading A^T from a row-major A): 16 x 16 tiles through a local buffer,
  // reading 16 source rows' shared cache lines and writing each destination
  // row's segment once. Destination rows are a partition pitch apart (a
  // multiple of 4 KiB, so the same cache set): element-wise scatter into 16 of
  // them at a time thrashes L1.
  if (s.mem != d.mem && !s.nibble && s.P == d.P && s.E == d.E && s.nd == 1 &&
      d.contiguous() && std::abs(s.pitch) < std::abs(s.stride[0]) && s.P >= 8) {
    switch (s.eb) {
    case 1: transposeTiles<1>(s, d); break;
    case 2: transposeTiles<2>(s, d); break;
    default: transposeTiles<4>(s, d); break;
    }
    return std::nullopt;
  }
  if (copyDenseRuns(s, d, op.dst.space != MemSpace::HBM))
    return std::nullopt;
  // General case: read everything, then write (memmove semantics).
  uint8_t *buf = grow(raw_, static_cast<size_t>(dtypeBytes(s.dtype, n)) + 1);
  gatherRaw(s, buf);
  scatterRaw(d, buf);
  return std::nullopt;
}

namespace {
/// C[M, N] = A[K, M]^T B[K, N] + beta * C, row-major. OpenBLAS hardly threads
/// GEMMs of one matmul instruction's size (128 x 512 x 128), so large ones
/// are split into two column halves, and those with few columns (N = 49 in
/// resnet18's 7 x 7 layers) into two row halves. Whether to split depends on
/// the shape only (OpenBLAS may pick a different kernel or blocking for a
/// half, so the split is part of the numerics and must not depend on the
/// machine or the load); whether the halves run concurrently is decided per
/// call: not when every parallel executor thread is busy already (they would
/// only contend for the cores).
void sgemmTN(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta,
             float *C, int ldc) {
  constexpr double kSplitFlops = 4.0e6;
  // Row halves each pack all of B again, which a narrow B keeps cheap; below
  // ~1 MFLOP (~10 us) the hand-off to the other core costs more than it saves.
  constexpr double kRowSplitFlops = 1.0e6;
  auto gemm = [&](int m, int n, const float *a, const float *b, float *c) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, K, 1.0f, a, lda, b, ldb, beta, c,
                ldc);
  };
  auto both = [](auto &&first, auto &&second) {
    if (tbb::this_task_arena::max_concurrency() > 1 && executorHasIdleThread()) {
      tbb::parallel_invoke(first, second);
    } else {
      first();
      second();
    }
  };
  const double flops = 2.0 * M * N * K;
  if (N >= 64 && flops >= kSplitFlops) {
    const int half = ((N / 2) + 15) & ~15; // keep the split on 64-byte boundaries
    both([&] { gemm(M, half, A, B, C); },
         [&] { gemm(M, N - half, A, B + half, C + half); });
    return;
  }
  if (N < 64 && M >= 64 && flops >= kRowSplitFlops) {
    const int half = ((M / 2) + 15) & ~15; // A's columns: 64-byte boundaries too
    both([&] { gemm(half, N, A, B, C); },
         [&] { gemm(M - half, N, A + half, B, C + static_cast<size_t>(half) * ldc); });
    return;
  }
  gemm(M, N, A, B, C);
}
} // namespace

std::optional<std::string> Executor::matmul(const Matmul &op) {
  Walk S = walk(op.stationary), Mv = walk(op.moving), D = walk(op.dst);
  const unsigned R = Target::matmulRowsPerPartition(op.mode);
  if (S.P != Mv.P)
    return "stationary has " + std::to_string(S.P) + " partitions but moving has " +
           std::to_string(Mv.P) + " (both are the contraction dim)";
  if (S.E % R || Mv.E % R)
    return std::string(matmulModeName(op.mode)) + " matmul operands need " + std::to_string(R) +
           " rows per partition";
  const uint64_t M = S.E / R, N = Mv.E / R, Pk = S.P, K = Pk * R;
  if (D.P != M || D.E != N)
    return "dst " + shapeStr(D.P, D.E) + " must be [M, N] = " + shapeStr(M, N);

  // Gathers an operand as a dense [K][X] f32 matrix (row k = r * Pk + p),
  // with MX scales applied (value * 2^e is exact in f32 in range).
  auto dense = [&](const Walk &w, const std::optional<AccessPattern> &scaleAp, uint64_t X,
                   std::vector<float> &buf, std::vector<float> &work, const char *what,
                   const float *&ptr, int &ld) -> std::optional<std::string> {
    if (R == 1 && !scaleAp && alignedF32(w)) {
      ptr = reinterpret_cast<const float *>(w.mem + w.base);
      ld = static_cast<int>(w.pitch / 4);
      return std::nullopt;
    }
    float *out = grow(buf, K * X);
    if (R == 1) {
      gatherF32(w, out, tmp_);
    } else {
      float *g = grow(work, Pk * R * X);
      gatherF32(w, g, tmp_);
      for (uint64_t p = 0; p < Pk; ++p)
        for (unsigned r = 0; r < R; ++r)
          std::memcpy(out + (r * Pk + p) * X, g + p * R * X + r * X, X * sizeof(float));
    }
    if (scaleAp) {
      Walk sw = walk(*scaleAp);
      const uint64_t groups = (Pk + 31) / 32;
      if (sw.P != groups || sw.E != R * X)
        return std::string(what) + " scale " + shapeStr(sw.P, sw.E) + " must be " +
               shapeStr(static_cast<uint32_t>(groups), R * X) +
               " (one partition per 32 contraction partitions)";
      std::vector<float> sc(groups * R * X);
      gatherF32(sw, sc.data(), tmp_);
      for (uint64_t p = 0; p < Pk; ++p)
        for (unsigned r = 0; r < R; ++r) {
          float *row = out + (r * Pk + p) * X;
          const float *srow = sc.data() + (p / 32) * R * X + r * X;
          for (uint64_t c = 0; c < X; ++c)
            row[c] *= srow[c];
        }
    }
    ptr = out;
    ld = static_cast<int>(X);
    return std::nullopt;
  };

  const float *A = nullptr, *B = nullptr;
  int lda = 0, ldb = 0;
  TRY(dense(S, op.stationaryScale, M, f0_, f3_, "stationary", A, lda));
  TRY(dense(Mv, op.movingScale, N, f1_, f3_, "moving", B, ldb));

  const float beta = op.accumulate ? 1.0f : 0.0f;
  if (alignedF32(D)) {
    // beta == 0 overwrites C without reading it (BLAS), as a group start must.
    float *C = reinterpret_cast<float *>(D.mem + D.base);
    sgemmTN(static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), A, lda, B, ldb, beta,
            C, static_cast<int>(D.pitch / 4));
    return std::nullopt;
  }
  float *C = grow(f2_, M * N);
  if (op.accumulate)
    gatherF32(D, C, tmp_);
  sgemmTN(static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), A, lda, B, ldb, beta, C,
          static_cast<int>(N));
  scatterF32(D, C, tmp_);
  return std::nullopt;
}

std::optional<std::string> Executor::transpose(const Transpose &op) {
  Walk s = walk(op.src), d = walk(op.dst);
  if (d.P != s.E || d.E != s.P)
    return "transpose dst " + shapeStr(d.P, d.E) + " must be " + shapeStr(s.E, s.P);
  if (directF32(s) && directF32(d) && s.mem != d.mem) {
    // PE transposes go SBUF -> PSUM: 8 x 8 blocks read 8 source rows' shared
    // cache lines and write 8 destination rows, instead of two full passes
    // through dense buffers.
    constexpr uint32_t kB = 8;
    for (uint32_t p0 = 0; p0 < s.P; p0 += kB) {
      const uint32_t pn = std::min<uint32_t>(kB, s.P - p0);
      for (uint32_t f0 = 0; f0 < s.E; f0 += kB) {
        const uint32_t fn = std::min<uint32_t>(kB, static_cast<uint32_t>(s.E) - f0);
        for (uint32_t f = f0; f < f0 + fn; ++f) {
          float *o = rowPtr(d, f) + p0;
          for (uint32_t p = 0; p < pn; ++p)
            o[p] = rowPtr(s, p0 + p)[f];
        }
      }
    }
    return std::nullopt;
  }
  float *in = grow(f0_, s.P * s.E), *out = grow(f1_, s.P * s.E);
  gatherF32(s, in, tmp_);
  for (uint64_t p = 0; p < s.P; ++p)
    for (uint64_t f = 0; f < s.E; ++f)
      out[f * s.P + p] = in[p * s.E + f];
  scatterF32(d, out, tmp_);
  return std::nullopt;
}

std::optional<std::string> Executor::activation(const Activation &op) {
  Walk s = walk(op.src), d = walk(op.dst);
  TRY(sameShape(d, "dst", s, "src"));
  const uint32_t P = s.P;
  const uint64_t E = s.E;
  TRY(scalarColumn(op.scale, P, f1_, "scale"));
  TRY(scalarColumn(op.bias, P, f2_, "bias"));
  if (directF32(s) && directF32(d) && rowwiseSafe(s, d)) {
    std::optional<Walk> a;
    if (op.accumDst) {
      a = walk(*op.accumDst);
      if (a->P != P || a->E != 1)
        return "accum_dst " + shapeStr(a->P, a->E) + " must be a [" + std::to_string(P) +
               ", 1] column";
    }
    const float *scale = f1_.data(), *bias = f2_.data();
    float *acc = a ? grow(f3_, P) : nullptr;
    dispatchAct(op.func, [&](auto f) {
      forRows(P, uint64_t(P) * E * 8, [&](uint32_t p0, uint32_t p1) {
        for (uint32_t p = p0; p < p1; ++p) {
          const float *in = rowPtr(s, p);
          float *out = rowPtr(d, p);
          const float sc = scale[p], bi = bias[p];
          for (uint64_t e = 0; e < E; ++e) {
            const float prod = in[e] * sc; // rounded product, then rounded sum
            out[e] = f(prod + bi);
          }
          if (acc) {
            float sum = -0.0f; // as the general path: the row's values in order
            for (uint64_t e = 0; e < E; ++e)
              sum += out[e];
            acc[p] = sum;
          }
        }
      });
    });
    if (a)
      scatterF32(*a, acc, tmp_); // after dst, as the general path
    return std::nullopt;
  }
  float *x = grow(f0_, P * E);
  gatherF32(s, x, tmp_);
  const float *scale = f1_.data(), *bias = f2_.data();
  for (uint32_t p = 0; p < P; ++p) {
    float *row = x + p * E;
    const float sc = scale[p], bi = bias[p];
    for (uint64_t e = 0; e < E; ++e) {
      const float prod = row[e] * sc; // rounded product, then rounded sum
      row[e] = prod + bi;
    }
  }
  dispatchAct(op.func, [&](auto f) {
    const uint64_t n = static_cast<uint64_t>(P) * E;
    for (uint64_t i = 0; i < n; ++i)
      x[i] = f(x[i]);
  });
  if (op.accumDst) {
    Walk a = walk(*op.accumDst);
    if (a.P != P || a.E != 1)
      return "accum_dst " + shapeStr(a.P, a.E) + " must be a [" + std::to_string(P) +
             ", 1] column";
    std::vector<float> &acc = f3_;
    acc.resize(P);
    for (uint32_t p = 0; p < P; ++p) {
      float sum = -0.0f; // additive identity (keeps the sign of an all -0 row)
      const float *row = x + p * E;
      for (uint64_t e = 0; e < E; ++e)
        sum += row[e];
      acc[p] = sum;
    }
    // dst first, then the reduction (the order only matters for overlapping
    // operands, which the race-free contract rules out within an instruction).
    scatterF32(d, x, tmp_);
    scatterF32(a, acc.data(), tmp_);
    return std::nullopt;
  }
  scatterF32(d, x, tmp_);
  return std::nullopt;
}

std::optional<std::string> Executor::tensorTensor(const TensorTensor &op) {
  Walk a = walk(op.in0), b = walk(op.in1), d = walk(op.dst);
  TRY(sameShape(a, "in0", b, "in1"));
  TRY(sameShape(d, "dst", a, "in0"));
  if (directF32(a) && directF32(b) && directF32(d) && rowwiseSafe(a, d) && rowwiseSafe(b, d)) {
    dispatchAlu(op.op, [&](auto f) {
      forRows(d.P, uint64_t(d.P) * d.E * 12, [&](uint32_t p0, uint32_t p1) {
        for (uint32_t p = p0; p < p1; ++p) {
          const float *x = rowPtr(a, p), *y = rowPtr(b, p);
          float *o = rowPtr(d, p);
          for (uint64_t e = 0; e < d.E; ++e)
            o[e] = f(x[e], y[e]);
        }
      });
    });
    return std::nullopt;
  }
  const uint64_t n = static_cast<uint64_t>(a.P) * a.E;
  float *x = grow(f0_, n), *y = grow(f1_, n);
  gatherF32(a, x, tmp_);
  gatherF32(b, y, tmp_);
  dispatchAlu(op.op, [&](auto f) {
    for (uint64_t i = 0; i < n; ++i)
      x[i] = f(x[i], y[i]);
  });
  scatterF32(d, x, tmp_);
  return std::nullopt;
}

std::optional<std::string> Executor::tensorScalar(const TensorScalar &op) {
  Walk s = walk(op.src), d = walk(op.dst);
  TRY(sameShape(d, "dst", s, "src"));
  const uint32_t P = s.P;
  const uint64_t E = s.E;
  if (directF32(s) && directF32(d) && rowwiseSafe(s, d)) {
    // Stage 0 reads src and writes dst; stage 1 works on dst in place.
    if (op.op0 != AluOp::Bypass)
      TRY(scalarColumn(op.scalar0, P, f1_, "scalar0"));
    if (op.op1 != AluOp::Bypass)
      TRY(scalarColumn(op.scalar1, P, f2_, "scalar1"));
    bool fromSrc = true;
    auto run = [&](AluOp aop, const std::vector<float> &col, bool reverse) {
      if (aop == AluOp::Bypass)
        return;
      dispatchAlu(aop, [&](auto f) {
        forRows(P, uint64_t(P) * E * 8, [&](uint32_t p0, uint32_t p1) {
          for (uint32_t p = p0; p < p1; ++p) {
            const float *in = fromSrc ? rowPtr(s, p) : rowPtr(d, p);
            float *out = rowPtr(d, p);
            scalarRow(f, col[p], reverse, in, out, E);
          }
        });
      });
      fromSrc = false;
    };
    run(op.op0, f1_, op.reverse0);
    run(op.op1, f2_, op.reverse1);
    if (fromSrc) // both stages bypass: a copy
      for (uint32_t p = 0; p < P; ++p)
        std::memmove(rowPtr(d, p), rowPtr(s, p), E * sizeof(float));
    return std::nullopt;
  }
  float *x = grow(f0_, static_cast<uint64_t>(P) * E);
  gatherF32(s, x, tmp_);
  auto stage = [&](AluOp aop, const ScalarOperand &sop, bool reverse,
                   std::vector<float> &col, const char *what) -> std::optional<std::string> {
    if (aop == AluOp::Bypass)
      return std::nullopt; // the stage passes its tensor operand through
    TRY(scalarColumn(sop, P, col, what));
    dispatchAlu(aop, [&](auto f) {
      for (uint32_t p = 0; p < P; ++p) {
        float *row = x + static_cast<uint64_t>(p) * E;
        scalarRow(f, col[p], reverse, row, row, E);
      }
    });
    return std::nullopt;
  };
  TRY(stage(op.op0, op.scalar0, op.reverse0, f1_, "scalar0"));
  TRY(stage(op.op1, op.scalar1, op.reverse1, f2_, "scalar1"));
  scatterF32(d, x, tmp_);
  return std::nullopt;
}

std::optional<std::string> Executor::tensorReduce(const TensorReduce &op) {
  Walk s = walk(op.src), d = walk(op.dst);
  const AccessPattern &ap = op.src;
  if (op.axisMask >> ap.rank)
    return "axis mask 0x" + std::to_string(op.axisMask) + " selects dims beyond rank " +
           std::to_string(ap.rank);
  float identity;
  switch (op.op) {
  case AluOp::Add: identity = -0.0f; break;
  case AluOp::Mul: identity = 1.0f; break;
  case AluOp::Max: identity = kNegInf; break;
  case AluOp::Min: identity = -kNegInf; break;
  case AluOp::And: identity = 1.0f; break;
  case AluOp::Or: identity = 0.0f; break;
  default:
    return std::string("tensor_reduce op '") + aluOpName(op.op) +
           "' is not a reduction (add, mul, max, min, and, or)";
  }
  uint64_t sz[kMaxFreeDims] = {1, 1, 1, 1}, ost[kMaxFreeDims] = {0, 0, 0, 0};
  uint64_t keptElems = 1;
  // The AP's dims fill the last `rank` loop levels (leading levels have size
  // 1), so its innermost dim is the innermost loop.
  const int pad = static_cast<int>(kMaxFreeDims) - static_cast<int>(ap.rank);
  for (int k = static_cast<int>(ap.rank) - 1; k >= 0; --k) {
    sz[pad + k] = ap.sizes[k];
    if (!((op.axisMask >> k) & 1)) {
      ost[pad + k] = keptElems;
      keptElems *= sz[pad + k];
    }
  }
  if (d.P != s.P || d.E != keptElems)
    return "dst " + shapeStr(d.P, d.E) + " must be " + shapeStr(s.P, keptElems) +
           " (src with the reduced dims removed)";
  const uint32_t P = s.P;
  const uint64_t E = s.E;
  // Rows are read in place when they are contiguous f32 (out is a separate
  // buffer, so an overlapping dst cannot matter).
  const bool direct = directF32(s);
  float *x = direct ? nullptr : grow(f0_, static_cast<uint64_t>(P) * E);
  float *out = grow(f1_, static_cast<uint64_t>(P) * keptElems);
  if (!direct)
    gatherF32(s, x, tmp_);
  std::fill(out, out + static_cast<uint64_t>(P) * keptElems, identity);
  auto body = [&](auto f) {
    for (uint32_t p = 0; p < P; ++p) {
      const float *row = direct ? rowPtr(s, p) : x + static_cast<uint64_t>(p) * E;
      float *o = out + static_cast<uint64_t>(p) * keptElems;
      uint64_t j = 0;
      for (uint64_t i0 = 0; i0 < sz[0]; ++i0)
        for (uint64_t i1 = 0; i1 < sz[1]; ++i1)
          for (uint64_t i2 = 0; i2 < sz[2]; ++i2) {
            float *ob = o + i0 * ost[0] + i1 * ost[1] + i2 * ost[2];
            if (ost[3] == 0) { // innermost dim reduced: same order, in a register
              float acc = *ob;
              for (uint64_t i3 = 0; i3 < sz[3]; ++i3, ++j)
                acc = f(acc, row[j]);
              *ob = acc;
              continue;
            }
            for (uint64_t i3 = 0; i3 < sz[3]; ++i3, ++j)
              ob[i3 * ost[3]] = f(ob[i3 * ost[3]], row[j]);
          }
    }
  };
  switch (op.op) {
  case AluOp::Add: body([](float a, float b) { return a + b; }); break;
  case AluOp::Mul: body([](float a, float b) { return a * b; }); break;
  case AluOp::Max: body([](float a, float b) { return maxPropScalar(a, b); }); break;
  case AluOp::Min: body([](float a, float b) { return minPropScalar(a, b); }); break;
  case AluOp::And:
    body([](float a, float b) { return (a != 0.0f && b != 0.0f) ? 1.0f : 0.0f; });
    break;
  default:
    body([](float a, float b) { return (a != 0.0f || b != 0.0f) ? 1.0f : 0.0f; });
    break;
  }
  if (op.negate)
    for (uint64_t i = 0; i < static_cast<uint64_t>(P) * keptElems; ++i)
      out[i] = -out[i];
  scatterF32(d, out, tmp_);
  return std::nullopt;
}

std::optional<std::string> Executor::tensorCopy(const TensorCopy &op) {
  Walk s = walk(op.src), d = walk(op.dst);
  TRY(sameShape(d, "dst", s, "src"));
  const uint64_t n = static_cast<uint64_t>(s.P) * s.E;
  if (s.dtype == d.dtype) { // bit-exact copy (keeps NaN payloads and integers > 2^24)
    if (directRows(s) && directRows(d) && rowwiseSafe(s, d)) {
      for (uint32_t p = 0; p < s.P; ++p)
        std::memmove(rowPtr<uint8_t>(d, p), rowPtr<uint8_t>(s, p), s.E * s.eb);
      return std::nullopt;
    }
    uint8_t *buf = grow(raw_, static_cast<size_t>(dtypeBytes(s.dtype, n)) + 1);
    gatherRaw(s, buf);
    scatterRaw(d, buf);
    return std::nullopt;
  }
  float *x = grow(f0_, n);
  gatherF32(s, x, tmp_);
  scatterF32(d, x, tmp_);
  return std::nullopt;
}

std::optional<std::string> Executor::select(const Select &op) {
  Walk c = walk(op.pred), t = walk(op.onTrue), f = walk(op.onFalse), d = walk(op.dst);
  TRY(sameShape(c, "pred", d, "dst"));
  TRY(sameShape(t, "on_true", d, "dst"));
  TRY(sameShape(f, "on_false", d, "dst"));
  const uint64_t n = static_cast<uint64_t>(d.P) * d.E;
  float *pc = grow(f0_, n), *pt = grow(f1_, n), *pf = grow(f2_, n);
  gatherF32(c, pc, tmp_);
  gatherF32(t, pt, tmp_);
  gatherF32(f, pf, tmp_);
  for (uint64_t i = 0; i < n; ++i)
    pt[i] = pc[i] != 0.0f ? pt[i] : pf[i];
  scatterF32(d, pt, tmp_);
  return std::nullopt;
}

std::optional<std::string> Executor::iota(const Iota &op) {
  Walk d = walk(op.dst);
  const AccessPattern &ap = op.dst;
  uint32_t sz[kMaxFreeDims] = {1, 1, 1, 1};
  uint32_t mul[kMaxFreeDims] = {0, 0, 0, 0};
  for (uint32_t k = 0; k < ap.rank; ++k) {
    sz[k] = ap.sizes[k];
    mul[k] = static_cast<uint32_t>(op.multipliers[k]);
  }
  const uint64_t n = static_cast<uint64_t>(d.P) * d.E;
  // int32 arithmetic with two's-complement wrap-around (done in uint32).
  std::vector<int32_t> v(n);
  uint64_t j = 0;
  for (uint32_t p = 0; p < d.P; ++p) {
    const uint32_t rowBase =
        static_cast<uint32_t>(op.base) + static_cast<uint32_t>(op.channelMultiplier) * p;
    for (uint32_t i0 = 0; i0 < sz[0]; ++i0)
      for (uint32_t i1 = 0; i1 < sz[1]; ++i1)
        for (uint32_t i2 = 0; i2 < sz[2]; ++i2)
          for (uint32_t i3 = 0; i3 < sz[3]; ++i3)
            v[j++] = static_cast<int32_t>(rowBase + mul[0] * i0 + mul[1] * i1 + mul[2] * i2 +
                                          mul[3] * i3);
  }
  const DType t = d.dtype;
  if (t == DType::I32 || t == DType::U32 || t == DType::I8 || t == DType::U8) {
    // Integer destinations: exact, saturating to the destination range.
    uint8_t *buf = grow(raw_, n * 4 + 1);
    for (uint64_t i = 0; i < n; ++i) {
      const int64_t x = v[i];
      switch (t) {
      case DType::I32: {
        const int32_t y = static_cast<int32_t>(x);
        std::memcpy(buf + i * 4, &y, 4);
        break;
      }
      case DType::U32: {
        const uint32_t y = static_cast<uint32_t>(std::max<int64_t>(x, 0));
        std::memcpy(buf + i * 4, &y, 4);
        break;
      }
      case DType::I8:
        buf[i] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp<int64_t>(x, -128, 127)));
        break;
      default:
        buf[i] = static_cast<uint8_t>(std::clamp<int64_t>(x, 0, 255));
        break;
      }
    }
    scatterRaw(d, buf);
    return std::nullopt;
  }
  float *x = grow(f0_, n);
  for (uint64_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(v[i]); // RNE int32 -> f32
  scatterF32(d, x, tmp_);
  return std::nullopt;
}

std::optional<std::string> Executor::memset(const Memset &op) {
  Walk d = walk(op.dst);
  const uint64_t n = static_cast<uint64_t>(d.P) * d.E;
  float *x = grow(f0_, n);
  std::fill(x, x + n, op.value);
  scatterF32(d, x, tmp_);
  return std::nullopt;
}

std::optional<std::string> Executor::quantizeMx(const QuantizeMx &op) {
  Walk s = walk(op.src), d = walk(op.dst), sc = walk(op.scale);
  TRY(sameShape(d, "dst", s, "src"));
  if (d.dtype != DType::F8E4M3 && d.dtype != DType::F8E5M2 && d.dtype != DType::F4E2M1)
    return std::string("quantize_mx dst must be f8e4m3, f8e5m2 or f4e2m1, not ") +
           dtypeName(d.dtype);
  if (sc.dtype != DType::E8M0)
    return std::string("quantize_mx scale must be e8m0, not ") + dtypeName(sc.dtype);
  const uint32_t P = s.P;
  const uint64_t E = s.E, blocks = (P + 31) / 32;
  if (sc.P != blocks || sc.E != E)
    return "quantize_mx scale " + shapeStr(sc.P, sc.E) + " must be " +
           shapeStr(static_cast<uint32_t>(blocks), E) + " (one partition per 32 partitions)";
  const uint64_t n = static_cast<uint64_t>(P) * E;
  float *x = grow(f0_, n);
  gatherF32(s, x, tmp_);
  uint8_t *codes = grow(raw_, static_cast<size_t>(dtypeBytes(d.dtype, n)) + 1);
  std::vector<uint8_t> scales(blocks * E);
  const bool fp4 = d.dtype == DType::F4E2M1;
  if (fp4)
    std::memset(codes, 0, static_cast<size_t>(dtypeBytes(d.dtype, n)));
  float block[32];
  uint8_t blockCodes[32];
  for (uint64_t b = 0; b < blocks; ++b) {
    const uint32_t p0 = static_cast<uint32_t>(b * 32);
    const uint32_t cnt = std::min<uint32_t>(32, P - p0);
    for (uint64_t j = 0; j < E; ++j) {
      for (uint32_t i = 0; i < cnt; ++i)
        block[i] = x[(p0 + i) * E + j];
      const uint8_t scale = mxScaleE8M0(block, cnt, d.dtype);
      mxQuantizeBlock(block, cnt, d.dtype, scale, blockCodes);
      scales[b * E + j] = scale;
      for (uint32_t i = 0; i < cnt; ++i) {
        const uint64_t idx = (p0 + i) * E + j;
        if (fp4)
          codes[idx >> 1] = static_cast<uint8_t>(codes[idx >> 1] |
                                                 ((blockCodes[i] & 0xf) << ((idx & 1) * 4)));
        else
          codes[idx] = blockCodes[i];
      }
    }
  }
  scatterRaw(d, codes);
  scatterRaw(sc, scales.data());
  return std::nullopt;
}

} // namespace emu
} // namespace trnrt
