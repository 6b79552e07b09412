//===- EmulatorGemmTest.cpp - Tiled GEMM across engines, end to end -------===//

#include "EmulatorTestUtil.h"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstdio>
#include <cstring>

using namespace trnrt;
using namespace trnrt::emutest;

namespace {

struct Gemm {
  uint32_t M, N, K;
  std::vector<float> a, b;
};

Gemm makeGemm(uint32_t M, uint32_t N, uint32_t K, uint32_t seed) {
  return Gemm{M, N, K, randomFloats(size_t(M) * K, seed), randomFloats(size_t(K) * N, seed + 1)};
}

std::vector<HostTensor> gemmInputs(const Gemm &g, bool transposedA) {
  std::vector<float> a = g.a;
  if (transposedA)
    for (uint32_t m = 0; m < g.M; ++m)
      for (uint32_t k = 0; k < g.K; ++k)
        a[size_t(k) * g.M + m] = g.a[size_t(m) * g.K + k];
  std::vector<int64_t> ashape = transposedA ? std::vector<int64_t>{g.K, g.M}
                                            : std::vector<int64_t>{g.M, g.K};
  return {HostTensor::fromF32(ashape, a), HostTensor::fromF32({g.K, g.N}, g.b)};
}

/// Checks C against a naive double-precision reference. FP32 summation of K
/// products (each product rounded once, each addition once) has the classic
/// bound |C - C_exact| <= gamma_{K+1} * sum_k |a_ik||b_kj| with
/// gamma_n = n u / (1 - n u), u = 2^-24, whatever order or blocking the sgemm
/// uses; the accumulation across K tiles in PSUM adds the K/128 tile sums
/// in FP32, which the same bound covers (the sum is still a K-term FP32 sum).
void expectGemmClose(const Gemm &g, const std::vector<float> &c) {
  const double u = std::ldexp(1.0, -24);
  const double n = g.K + 1;
  const double gamma = n * u / (1 - n * u);
  size_t bad = 0;
  for (uint32_t i = 0; i < g.M; ++i)
    for (uint32_t j = 0; j < g.N; ++j) {
      double exact = 0, absSum = 0;
      for (uint32_t k = 0; k < g.K; ++k) {
        const double p = double(g.a[size_t(i) * g.K + k]) * g.b[size_t(k) * g.N + j];
        exact += p;
        absSum += std::fabs(p);
      }
      const double err = std::fabs(c[size_t(i) * g.N + j] - exact);
      if (err > gamma * absSum && bad++ < 5)
        ADD_FAILURE() << "C[" << i << "," << j << "] = " << c[size_t(i) * g.N + j]
                      << " reference " << exact << " error " << err << " bound "
                      << gamma * absSum;
    }
  EXPECT_EQ(bad, 0u);
}

TEST(EmulatorGemm, TiledProgramMatchesNaiveReferenceWithChecks) {
  // 256 x 1024 x 384: 2 x 2 tiles of 128x512 over 3 K blocks; 4 tiles reuse
  // the rotating PSUM banks.
  const Gemm g = makeGemm(256, 1024, 384, 7);
  for (bool transposedA : {false, true}) {
    Program p = gemmProgram(g.M, g.N, g.K, transposedA);
    RunOptions opts;
    opts.check = true; // race checker + uninitialised reads must stay silent
    opts.recordTrace = true;
    auto r = createEmulatorDevice()->run(p, gemmInputs(g, transposedA), opts);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->outputs.size(), 1u);
    EXPECT_EQ(r->outputs[0].shape, (std::vector<int64_t>{256, 1024}));
    expectGemmClose(g, r->outputs[0].toF32());
    EXPECT_EQ(r->stats.tensorFlops, 2.0 * 256 * 1024 * 384);
    EXPECT_EQ(r->stats.instructions, p.numInstructions());
    EXPECT_EQ(r->stats.trace.size(), p.numInstructions());
    EXPECT_EQ(r->stats.dmaBytes, uint64_t(4) * (256 * 384 + 384 * 1024 + 256 * 1024));
    EXPECT_GT(r->stats.tensorEngineUtilization, 0.0);
    EXPECT_LE(r->stats.tensorEngineUtilization, 1.0);
  }
}

/// Matmuls with few columns (N = 49, resnet18's 7x7 layers) are computed as
/// two row halves, and wide ones as two column halves, on both cores when
/// one is idle. The halves are fixed by the shape: sequential, parallel and
/// single-core-arena runs (halves one after the other) agree bit for bit,
/// and the accumulated result is within the FP32 bound of the exact one.
TEST(EmulatorGemm, SplitMatmulsAreDeterministic) {
  for (uint32_t N : {49u, 512u}) {
    constexpr uint32_t M = 128, K = 256; // two accumulating K = 128 matmuls
    const Gemm g = makeGemm(M, N, K, 11);
    std::vector<float> at(size_t(K) * M); // A^T, k-major: stationary tiles
    for (uint32_t m = 0; m < M; ++m)
      for (uint32_t k = 0; k < K; ++k)
        at[size_t(k) * M + m] = g.a[size_t(m) * K + k];
    std::vector<float> at0(at.begin(), at.begin() + 128 * M), at1(at.begin() + 128 * M, at.end());
    std::vector<float> b0(g.b.begin(), g.b.begin() + 128 * N), b1(g.b.begin() + 128 * N, g.b.end());
    Harness h;
    h.load(DType::F32, MemSpace::SBUF, 0, 0, 128, M, at0);
    h.load(DType::F32, MemSpace::SBUF, M * 4, 0, 128, M, at1);
    h.load(DType::F32, MemSpace::SBUF, 2 * M * 4, 0, 128, N, b0);
    h.load(DType::F32, MemSpace::SBUF, (2 * M + N) * 4, 0, 128, N, b1);
    for (uint32_t k = 0; k < 2; ++k) {
      Matmul mm;
      mm.dst = ps(DType::F32, 0, 0, M, {N});
      mm.stationary = sb(DType::F32, uint64_t(k) * M * 4, 0, 128, {M});
      mm.moving = sb(DType::F32, (2 * M + uint64_t(k) * N) * 4, 0, 128, {N});
      mm.accumulate = k > 0;
      h.op(kQueuePE, mm);
    }
    h.store(DType::F32, MemSpace::PSUM, 0, 0, M, N);
    std::vector<std::vector<uint8_t>> outs;
    for (unsigned threads : {1u, 4u}) {
      RunOptions o;
      o.threads = threads;
      auto r = createEmulatorDevice()->run(h.b.p, h.inputs, o);
      ASSERT_TRUE(r) << r.error().message;
      outs.push_back(r->outputs[0].data);
    }
    tbb::task_arena one(1);
    one.execute([&] {
      RunOptions o;
      o.threads = 1;
      auto r = createEmulatorDevice()->run(h.b.p, h.inputs, o);
      ASSERT_TRUE(r) << r.error().message;
      outs.push_back(r->outputs[0].data);
    });
    ASSERT_EQ(outs.size(), 3u);
    EXPECT_EQ(outs[1], outs[0]) << "N " << N << ": parallel executor";
    EXPECT_EQ(outs[2], outs[0]) << "N " << N << ": one-core arena";
    std::vector<float> c(size_t(M) * N);
    std::memcpy(c.data(), outs[0].data(), c.size() * 4);
    expectGemmClose(g, c);
  }
}

} // namespace
