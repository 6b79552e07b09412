//===- EmulatorTestUtil.h - Program builders for the emulator's tests -*- C++ -*-===//
//
// Small helpers shared by the emulator's gtests: an in-memory program
// builder, tile/AP shorthands, deterministic random data and the tiled GEMM
// program used by the end-to-end and speed tests. Test-only (not installed).
//
//===----------------------------------------------------------------------===//
#ifndef TRN_RUNTIME_LIB_EMULATOR_EMULATORTESTUTIL_H
#define TRN_RUNTIME_LIB_EMULATOR_EMULATORTESTUTIL_H

#include "trn/runtime/Device.h"
#include "trn/runtime/ISA.h"
#include "trn/runtime/Numerics.h"
#include "trn/runtime/Target.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace trnrt {
namespace emutest {

inline AccessPattern sb(DType t, uint64_t addr, uint32_t p0, uint32_t np,
                        std::vector<uint32_t> sizes) {
  return AccessPattern::tile(MemSpace::SBUF, t, addr, p0, np, std::move(sizes));
}
inline AccessPattern ps(DType t, uint64_t addr, uint32_t p0, uint32_t np,
                        std::vector<uint32_t> sizes) {
  return AccessPattern::tile(MemSpace::PSUM, t, addr, p0, np, std::move(sizes));
}
/// An on-chip AP with explicit free strides (elements).
inline AccessPattern strided(MemSpace s, DType t, uint64_t addr, uint32_t p0, uint32_t np,
                             std::vector<uint32_t> sizes, std::vector<int64_t> strides) {
  AccessPattern ap = AccessPattern::tile(s, t, addr, p0, np, sizes);
  for (size_t i = 0; i < strides.size(); ++i)
    ap.strides[i] = strides[i];
  return ap;
}

/// Builds a Program in memory.
struct ProgramBuilder {
  Program p;
  explicit ProgramBuilder(const std::string &target = "trn2", uint32_t sems = 16) {
    p.target = target;
    p.name = "test";
    p.numSemaphores = sems;
  }
  uint32_t tensor(const std::string &name, TensorKind kind, DType t, std::vector<int64_t> shape,
                  std::vector<uint8_t> data = {}) {
    TensorDecl d;
    d.name = name;
    d.kind = kind;
    d.dtype = t;
    d.shape = std::move(shape);
    d.data = std::move(data);
    p.tensors.push_back(std::move(d));
    return static_cast<uint32_t>(p.tensors.size() - 1);
  }
  Queue &queue(QueueId id) {
    for (Queue &q : p.queues)
      if (q.id == id)
        return q;
    p.queues.push_back(Queue{id, {}});
    return p.queues.back();
  }
  /// Appends an instruction; returns its index in the queue.
  uint32_t add(QueueId q, InstructionBody body, std::vector<SemWait> waits = {},
               std::vector<uint32_t> signals = {}) {
    Instruction inst;
    inst.body = std::move(body);
    inst.waits = std::move(waits);
    inst.signals = std::move(signals);
    Queue &qq = queue(q);
    qq.instructions.push_back(std::move(inst));
    return static_cast<uint32_t>(qq.instructions.size() - 1);
  }
};

/// HBM view of a row-major 2-D tensor block [rows, cols] at (r0, c0) of a
/// tensor with `ld` columns.
inline AccessPattern hbm2d(uint32_t tensor, DType t, uint64_t ld, uint64_t r0, uint64_t c0,
                           uint32_t rows, uint32_t cols) {
  return AccessPattern::hbm(tensor, t, r0 * ld + c0, rows, static_cast<int64_t>(ld), {cols});
}

inline std::vector<float> randomFloats(size_t n, uint32_t seed, float lo = -1.0f,
                                       float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// Encodes f32 values as `t` bytes (the policy's RNE/saturating conversion).
inline std::vector<uint8_t> encode(DType t, const std::vector<float> &v) {
  std::vector<uint8_t> b(dtypeBytes(t, v.size()), 0);
  if (!v.empty())
    encodeFromF32(t, v.data(), b.data(), 0, v.size());
  return b;
}
inline HostTensor hostTensor(DType t, std::vector<int64_t> shape, const std::vector<float> &v) {
  HostTensor h;
  h.dtype = t;
  h.shape = std::move(shape);
  h.data = encode(t, v);
  return h;
}

/// A tiled fp32 GEMM C[M,N] = A[M,K] @ B[K,N] on trn2 (M, N, K multiples of
/// 128, 512, 128): DMA queues load A^T (transposing, element-strided reads of
/// A) and B into SBUF, PE accumulates 128x512 tiles over K in a rotating PSUM
/// bank, ACT evicts each tile to SBUF, a third DMA queue stores it. All
/// cross-queue dependencies go through semaphores:
///   s0 = A^T k-blocks loaded, s1 = B k-blocks loaded, s2 = tiles computed,
///   s3 = tiles evicted.
/// With `transposedA` the program takes AT[K, M] instead (contiguous loads).
inline Program gemmProgram(uint32_t M, uint32_t N, uint32_t K, bool transposedA = false) {
  ProgramBuilder b("trn2", 4);
  const uint32_t a = transposedA ? b.tensor("AT", TensorKind::Input, DType::F32, {K, M})
                                 : b.tensor("A", TensorKind::Input, DType::F32, {M, K});
  const uint32_t bt = b.tensor("B", TensorKind::Input, DType::F32, {K, N});
  const uint32_t c = b.tensor("C", TensorKind::Output, DType::F32, {M, N});
  const uint32_t kt = K / 128, mt = M / 128, nt = N / 512;
  // SBUF plan (bytes per partition): A^T at 0 ([128 k][kt][M]), B after it
  // ([128 k][kt][N]), C tiles after that ([128 m][mt][N]).
  const uint64_t aBase = 0, bBase = uint64_t(kt) * M * 4, cBase = bBase + uint64_t(kt) * N * 4;
  const QueueId dmaA = kFirstDmaQueue, dmaB = kFirstDmaQueue + 1, dmaC = kFirstDmaQueue + 2;
  for (uint32_t k = 0; k < kt; ++k) {
    AccessPattern src = transposedA
                            ? hbm2d(a, DType::F32, M, uint64_t(k) * 128, 0, 128, M)
                            : AccessPattern::hbm(a, DType::F32, uint64_t(k) * 128, 128, 1, {M},
                                                 {static_cast<int64_t>(K)});
    b.add(dmaA, DmaCopy{sb(DType::F32, aBase + uint64_t(k) * M * 4, 0, 128, {M}), src}, {}, {0});
    b.add(dmaB,
          DmaCopy{sb(DType::F32, bBase + uint64_t(k) * N * 4, 0, 128, {N}),
                  hbm2d(bt, DType::F32, N, uint64_t(k) * 128, 0, 128, N)},
          {}, {1});
  }
  uint32_t t = 0;
  for (uint32_t mi = 0; mi < mt; ++mi)
    for (uint32_t ni = 0; ni < nt; ++ni, ++t) {
      const uint64_t bank = (t % 8) * 2048;
      for (uint32_t k = 0; k < kt; ++k) {
        Matmul mm;
        mm.dst = ps(DType::F32, bank, 0, 128, {512});
        mm.stationary = sb(DType::F32, aBase + (uint64_t(k) * M + mi * 128) * 4, 0, 128, {128});
        mm.moving = sb(DType::F32, bBase + (uint64_t(k) * N + ni * 512) * 4, 0, 128, {512});
        mm.accumulate = k > 0;
        std::vector<SemWait> waits{{0, k + 1}, {1, k + 1}};
        if (k == 0 && t >= 8)
          waits.push_back({3, t - 7}); // the bank's previous tile was evicted
        b.add(kQueuePE, mm, waits, k + 1 == kt ? std::vector<uint32_t>{2} : std::vector<uint32_t>{});
      }
      Activation act;
      act.src = ps(DType::F32, bank, 0, 128, {512});
      act.dst = sb(DType::F32, cBase + (uint64_t(mi) * N + ni * 512) * 4, 0, 128, {512});
      b.add(kQueueACT, act, {{2, t + 1}}, {3});
      b.add(dmaC,
            DmaCopy{hbm2d(c, DType::F32, N, uint64_t(mi) * 128, uint64_t(ni) * 512, 128, 512),
                    sb(DType::F32, cBase + (uint64_t(mi) * N + ni * 512) * 4, 0, 128, {512})},
            {{3, t + 1}}, {});
    }
  return b.p;
}

/// Single-instruction test harness: inputs are DMA'd (dma0, signalling s0)
/// into SBUF/PSUM tiles, ops run in order on their queues (each waits for all
/// loads and the previous op via s1), and stores (dma1) copy tiles to new
/// output tensors after the last op.
struct Harness {
  ProgramBuilder b;
  std::vector<HostTensor> inputs;
  uint32_t loads = 0, ops = 0;
  explicit Harness(const std::string &target = "trn2") : b(target, 4) {}

  /// Loads `vals` (P x E, row-major, encoded as `t`) into `space` at `addr`,
  /// partitions [p0, p0 + P).
  void load(DType t, MemSpace space, uint64_t addr, uint32_t p0, uint32_t P, uint32_t E,
            const std::vector<float> &vals) {
    const uint32_t x = b.tensor("in" + std::to_string(inputs.size()), TensorKind::Input, t,
                                {P, E});
    inputs.push_back(hostTensor(t, {P, E}, vals));
    b.add(kFirstDmaQueue,
          DmaCopy{AccessPattern::tile(space, t, addr, p0, P, {E}),
                  AccessPattern::hbm(x, t, 0, P, E, {E})},
          {}, {0});
    ++loads;
  }
  void op(QueueId q, InstructionBody body) {
    std::vector<SemWait> waits;
    if (loads)
      waits.push_back({0, loads});
    if (ops)
      waits.push_back({1, ops});
    b.add(q, std::move(body), waits, {1});
    ++ops;
  }
  /// Stores tile [P, E] of `t` at `addr` to a new output; returns its index
  /// in the run's outputs.
  size_t store(DType t, MemSpace space, uint64_t addr, uint32_t p0, uint32_t P, uint32_t E) {
    const size_t before = b.p.outputIndices().size();
    const uint32_t y = b.tensor("out" + std::to_string(before), TensorKind::Output, t, {P, E});
    b.add(kFirstDmaQueue + 1,
          DmaCopy{AccessPattern::hbm(y, t, 0, P, E, {E}),
                  AccessPattern::tile(space, t, addr, p0, P, {E})},
          ops ? std::vector<SemWait>{{1, ops}} : std::vector<SemWait>{{0, loads}}, {});
    return before;
  }
  Expected<RunResult> run(bool check = true) {
    RunOptions o;
    o.check = check;
    return createEmulatorDevice()->run(b.p, inputs, o);
  }
};

} // namespace emutest
} // namespace trnrt

#endif // TRN_RUNTIME_LIB_EMULATOR_EMULATORTESTUTIL_H
