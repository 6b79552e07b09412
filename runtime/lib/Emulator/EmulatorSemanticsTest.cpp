//===- EmulatorSemanticsTest.cpp - Instruction semantics vs references ----===//
//
// Every instruction against hand-computed or independently computed
// references. References are written without the emulator's helpers: plain
// loops, double precision where rounding matters, explicit bit patterns for
// conversions.
//
//===----------------------------------------------------------------------===//

#include "EmulatorTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace trnrt;
using namespace trnrt::emutest;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

/// Equal as IEEE values, with NaN == NaN and +0 != -0.
::testing::AssertionResult sameFloat(float a, float b) {
  if (std::isnan(a) && std::isnan(b))
    return ::testing::AssertionSuccess();
  if (a == b && std::signbit(a) == std::signbit(b))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << a << " vs " << b;
}

Matmul mmOp(AccessPattern dst, AccessPattern st, AccessPattern mv, bool acc,
            MatmulMode mode = MatmulMode::Normal) {
  Matmul m;
  m.dst = dst;
  m.stationary = st;
  m.moving = mv;
  m.accumulate = acc;
  m.mode = mode;
  return m;
}

std::vector<float> iotaF(size_t n, float start = 0, float step = 1) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = start + step * float(i);
  return v;
}

//===----------------------------------------------------------------------===//
// DMA and access patterns
//===----------------------------------------------------------------------===//

TEST(EmulatorSemantics, AccessPatternsStridesBroadcastNegativeAndStartPartitions) {
  // X[4, 8] = 0..31 loaded to partitions 32..35 (a legal 4-partition start).
  Harness h;
  const std::vector<float> x = iotaF(32);
  h.load(DType::F32, MemSpace::SBUF, 0, 32, 4, 8, x);
  // Reverse each row: start at element 7, stride -1.
  h.op(kQueueDVE, TensorCopy{sb(DType::F32, 256, 32, 4, {8}),
                             strided(MemSpace::SBUF, DType::F32, 7 * 4, 32, 4, {8}, {-1})});
  // Broadcast element 3 of each row (zero stride).
  h.op(kQueueDVE, TensorCopy{sb(DType::F32, 512, 32, 4, {8}),
                             strided(MemSpace::SBUF, DType::F32, 3 * 4, 32, 4, {8}, {0})});
  // Column-major view of each row as 2 x 4: element (i, j) = row[j * 2 + i].
  h.op(kQueueDVE, TensorCopy{sb(DType::F32, 768, 32, 4, {2, 4}),
                             strided(MemSpace::SBUF, DType::F32, 0, 32, 4, {2, 4}, {1, 2})});
  const size_t rev = h.store(DType::F32, MemSpace::SBUF, 256, 32, 4, 8);
  const size_t bc = h.store(DType::F32, MemSpace::SBUF, 512, 32, 4, 8);
  const size_t cm = h.store(DType::F32, MemSpace::SBUF, 768, 32, 4, 8);
  auto r = h.run();
  ASSERT_TRUE(r) << r.error().message;
  auto vr = r->outputs[rev].toF32(), vb = r->outputs[bc].toF32(), vc = r->outputs[cm].toF32();
  for (int p = 0; p < 4; ++p)
    for (int j = 0; j < 8; ++j) {
      EXPECT_EQ(vr[p * 8 + j], x[p * 8 + 7 - j]);
      EXPECT_EQ(vb[p * 8 + j], x[p * 8 + 3]);
      const int i = j / 4, k = j % 4;
      EXPECT_EQ(vc[p * 8 + j], x[p * 8 + k * 2 + i]);
    }
}

TEST(EmulatorSemantics, DmaTransposingHbmPatternAndBf16PassThrough) {
  // dst[p, j] = X[j, p]: partition stride 1 element, free stride 6 (HBM).
  ProgramBuilder b;
  const uint32_t x = b.tensor("x", TensorKind::Input, DType::BF16, {4, 6});
  const uint32_t y = b.tensor("y", TensorKind::Output, DType::BF16, {6, 4});
  b.add(kFirstDmaQueue,
        DmaCopy{sb(DType::BF16, 64, 0, 6, {4}), AccessPattern::hbm(x, DType::BF16, 0, 6, 1, {4}, {6})},
        {}, {0});
  b.add(kFirstDmaQueue + 1,
        DmaCopy{AccessPattern::hbm(y, DType::BF16, 0, 6, 4, {4}), sb(DType::BF16, 64, 0, 6, {4})},
        {{0, 1}}, {});
  std::vector<float> xv(24);
  for (int i = 0; i < 24; ++i)
    xv[i] = float(i) * 1.5f - 7.0f; // exactly representable in bf16
  RunOptions o;
  o.check = true;
  auto r = createEmulatorDevice()->run(b.p, {hostTensor(DType::BF16, {4, 6}, xv)}, o);
  ASSERT_TRUE(r) << r.error().message;
  auto out = r->outputs[0].toF32();
  for (int j = 0; j < 6; ++j)
    for (int p = 0; p < 4; ++p)
      EXPECT_EQ(out[j * 4 + p], xv[p * 6 + j]);
  EXPECT_EQ(r->stats.dmaBytes, 2u * 24 * 2);
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

TEST(EmulatorSemantics, MatmulAccumulationGroupPartialPartitionsOverwritesNaN) {
  // K = 32 contraction partitions starting at partition 64; M = 16, N = 24.
  // Values are multiples of 1/8 in [-4, 4]: products and all partial sums are
  // exact in f32, so the reference must match exactly.
  const uint32_t K = 32, M = 16, N = 24;
  auto grid = [](size_t n, uint32_t seed) {
    std::vector<float> v = randomFloats(n, seed, -4, 4);
    for (float &f : v)
      f = std::round(f * 8) / 8;
    return v;
  };
  const auto s1 = grid(K * M, 1), m1 = grid(K * N, 2), s2 = grid(K * M, 3), m2 = grid(K * N, 4);
  Harness h;
  h.load(DType::BF16, MemSpace::SBUF, 0, 64, K, M, s1);
  h.load(DType::BF16, MemSpace::SBUF, 64, 64, K, N, m1);
  h.load(DType::BF16, MemSpace::SBUF, 128, 64, K, M, s2);
  h.load(DType::BF16, MemSpace::SBUF, 192, 64, K, N, m2);
  // PSUM starts as NaN: the first matmul of the group must overwrite it.
  h.op(kQueueDVE, Memset{ps(DType::F32, 0, 0, M, {N}), kNaN});
  h.op(kQueuePE, mmOp(ps(DType::F32, 0, 0, M, {N}), sb(DType::BF16, 0, 64, K, {M}),
                      sb(DType::BF16, 64, 64, K, {N}), false));
  // Keep the group's first result (an ordered copy; storing PSUM directly
  // while the next matmul accumulates would be a race the checker reports).
  h.op(kQueueACT, TensorCopy{sb(DType::F32, 1024, 0, M, {N}), ps(DType::F32, 0, 0, M, {N})});
  h.op(kQueuePE, mmOp(ps(DType::F32, 0, 0, M, {N}), sb(DType::BF16, 128, 64, K, {M}),
                      sb(DType::BF16, 192, 64, K, {N}), true));
  const size_t first = h.store(DType::F32, MemSpace::SBUF, 1024, 0, M, N);
  const size_t both = h.store(DType::F32, MemSpace::PSUM, 0, 0, M, N);
  auto r = h.run();
  ASSERT_TRUE(r) << r.error().message;
  auto c1 = r->outputs[first].toF32(), c2 = r->outputs[both].toF32();
  for (uint32_t i = 0; i < M; ++i)
    for (uint32_t j = 0; j < N; ++j) {
      double a = 0, b2 = 0;
      for (uint32_t k = 0; k < K; ++k) {
        a += double(s1[k * M + i]) * m1[k * N + j];
        b2 += double(s2[k * M + i]) * m2[k * N + j];
      }
      EXPECT_EQ(c1[i * N + j], float(a)) << i << "," << j;
      EXPECT_EQ(c2[i * N + j], float(a + b2)) << i << "," << j;
    }
}

/// |got - exact| <= gamma_{K+1} sum |a b| (FP32 sum of exact products).
void expectDotClose(float got, double exact, double absSum, unsigned K) {
  const double n = K + 1, u = std::ldexp(1.0, -24);
  EXPECT_LE(std::fabs(got - exact), n * u / (1 - n * u) * absSum) << got << " vs " << exact;
}

TEST(EmulatorSemantics, MatmulFp8DoubleRowOnTrn2) {
  // stationary [128, 2, M] e4m3, moving [128, 2, N] e5m2: k = row * 128 + p.
  const uint32_t P = 128, R = 2, M = 16, N = 32;
  auto st = randomFloats(P * R * M, 5, -3, 3), mv = randomFloats(P * R * N, 6, -3, 3);
  for (float &v : st) v = f8E4M3ToF32(f32ToF8E4M3(v)); // exact operand values
  for (float &v : mv) v = f8E5M2ToF32(f32ToF8E5M2(v));
  Harness h;
  h.load(DType::F8E4M3, MemSpace::SBUF, 0, 0, P, R * M, st);
  h.load(DType::F8E5M2, MemSpace::SBUF, 256, 0, P, R * N, mv);
  Matmul mm = mmOp(ps(DType::F32, 0, 0, M, {N}), sb(DType::F8E4M3, 0, 0, P, {R, M}),
                   sb(DType::F8E5M2, 256, 0, P, {R, N}), false, MatmulMode::Fp8DoubleRow);
  h.op(kQueuePE, mm);
  const size_t o = h.store(DType::F32, MemSpace::PSUM, 0, 0, M, N);
  auto r = h.run();
  ASSERT_TRUE(r) << r.error().message;
  auto c = r->outputs[o].toF32();
  for (uint32_t i = 0; i < M; ++i)
    for (uint32_t j = 0; j < N; ++j) {
      double e = 0, a = 0;
      for (uint32_t row = 0; row < R; ++row)
        for (uint32_t p = 0; p < P; ++p) {
          const double prod = double(st[p * R * M + row * M + i]) * mv[p * R * N + row * N + j];
          e += prod;
          a += std::fabs(prod);
        }
      expectDotClose(c[i * N + j], e, a, P * R);
    }
  EXPECT_EQ(r->stats.tensorFlops, 2.0 * 256 * M * N);
}

TEST(EmulatorSemantics, MatmulMxWithE8M0ScalesOnTrn3) {
  // K = 64 partitions x 4 rows; scales: one per 32 partitions per [row, col].
  const uint32_t P = 64, R = 4, M = 8, N = 16;
  auto st = randomFloats(P * R * M, 8, -6, 6), mv = randomFloats(P * R * N, 9, -6, 6);
  for (float &v : st) v = f8E4M3ToF32(f32ToF8E4M3(v));
  for (float &v : mv) v = f4E2M1ToF32(f32ToF4E2M1(v));
  std::vector<float> ss(2 * R * M), ms(2 * R * N);
  std::mt19937 rng(3);
  for (float &v : ss) v = std::ldexp(1.0f, int(rng() % 9) - 4); // 2^-4 .. 2^4
  for (float &v : ms) v = std::ldexp(1.0f, int(rng() % 9) - 4);
  Harness h("trn3");
  h.load(DType::F8E4M3, MemSpace::SBUF, 0, 0, P, R * M, st);
  h.load(DType::F4E2M1, MemSpace::SBUF, 1024, 0, P, R * N, mv);
  h.load(DType::E8M0, MemSpace::SBUF, 2048, 0, 2, R * M, ss);
  h.load(DType::E8M0, MemSpace::SBUF, 3072, 0, 2, R * N, ms);
  Matmul mm = mmOp(ps(DType::F32, 0, 0, M, {N}), sb(DType::F8E4M3, 0, 0, P, {R, M}),
                   sb(DType::F4E2M1, 1024, 0, P, {R, N}), false, MatmulMode::Mx);
  mm.stationaryScale = sb(DType::E8M0, 2048, 0, 2, {R, M});
  mm.movingScale = sb(DType::E8M0, 3072, 0, 2, {R, N});
  h.op(kQueuePE, mm);
  const size_t o = h.store(DType::F32, MemSpace::PSUM, 0, 0, M, N);
  auto r = h.run();
  ASSERT_TRUE(r) << r.error().message;
  auto c = r->outputs[o].toF32();
  for (uint32_t i = 0; i < M; ++i)
    for (uint32_t j = 0; j < N; ++j) {
      double e = 0, a = 0;
      for (uint32_t row = 0; row < R; ++row)
        for (uint32_t p = 0; p < P; ++p) {
          const double va = double(st[p * R * M + row * M + i]) * ss[(p / 32) * R * M + row * M + i];
          const double vb = double(mv[p * R * N + row * N + j]) * ms[(p / 32) * R * N + row * N + j];
          e += va * vb;
          a += std::fabs(va * vb);
        }
      expectDotClose(c[i * N + j], e, a, P * R);
    }
}

TEST(EmulatorSemantics, MatmulBf16OutputRoundsOnWriteOnTrn3) {
  // One contraction row: dst = s * m, rounded to bf16 on write (RNE).
  // 1 * (1 + 2^-8) is a tie between 1 and 1 + 2^-7 -> 1 (even);
  // 1 * (1 + 3 * 2^-8) ties to 1 + 2^-6 (even).
  Harness h("trn3");
  h.load(DType::F32, MemSpace::SBUF, 0, 0, 1, 1, {1.0f});
  h.load(DType::F32, MemSpace::SBUF, 64, 0, 1, 2,
         {1.0f + std::ldexp(1.0f, -8), 1.0f + 3 * std::ldexp(1.0f, -8)});
  h.op(kQueuePE, mmOp(ps(DType::BF16, 0, 0, 1, {2}), sb(DType::F32, 0, 0, 1, {1}),
                      sb(DType::F32, 64, 0, 1, {2}), false));
  const size_t o = h.store(DType::BF16, MemSpace::PSUM, 0, 0, 1, 2);
  auto r = h.run();
  ASSERT_TRUE(r) << r.error().message;
  const auto &d = r->outputs[o].data;
  EXPECT_EQ(d[0] | (d[1] << 8), 0x3f80); // 1.0
  EXPECT_EQ(d[2] | (d[3] << 8), 0x3f82); // 1.015625
}

TEST(EmulatorSemantics, TransposeFromStartPartition96) {
  const uint32_t P = 32, F = 20;
  std::vector<float> x(P * F);
  for (uint32_t i = 0; i < P * F; ++i)
    x[i] = float(int(i % 256) - 128); // integers below 2^8: exact in bf16
  Harness h;
  h.load(DType::BF16, MemSpace::SBUF, 0, 96, P, F, x);
  h.op(kQueuePE, Transpose{ps(DType::F32, 0, 0, F, {P}), sb(DType::BF16, 0, 96, P, {F})});
  const size_t o = h.store(DType::F32, MemSpace::PSUM, 0, 0, F, P);
  auto r = h.run();
  ASSERT_TRUE(r) << r.error().message;
  auto y = r->outputs[o].toF32();
  for (uint32_t p = 0; p < P; ++p)
    for (uint32_t f = 0; f < F; ++f)
      EXPECT_EQ(y[f * P + p], x[p * F + f]);
}

//===----------------------------------------------------------------------===//
// Activation
//===----------------------------------------------------------------------===//

double refAct(ActFunc f, double x) {
  switch (f) {
  case ActFunc::Identity: return x;
  case ActFunc::Relu: return x > 0 ? x : 0;
  case ActFunc::Gelu: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  case ActFunc::GeluTanh:
    return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  case ActFunc::Silu: return x / (1 + std::exp(-x));
  case ActFunc::Sigmoid: return 1 / (1 + std::exp(-x));
  case ActFunc::Tanh: return std::tanh(x);
  case ActFunc::Exp: return std::exp(x);
  case ActFunc::Log: return std::log(x);
  case ActFunc::Sqrt: return std::sqrt(x);
  case ActFunc::Rsqrt: return 1 / std::sqrt(x);
  case ActFunc::Square: return x * x;
  case ActFunc::Reciprocal: return 1 / x;
  case ActFunc::Erf: return std::erf(x);
  case ActFunc::Abs: return std::fabs(x);
  }
  return 0;
}

TEST(EmulatorSemantics, ActivationEveryFunctionWithPerPartitionScaleBiasAndReduce) {
  const uint32_t P = 4, E = 16;
  std::vector<float> x = randomFloats(P * E, 21, -3, 3);
  const std::vector<float> scale = {1.0f, -0.5f, 2.0f, 0.25f}, bias = {0.0f, 0.125f, -1.0f, 3.5f};
  for (int fi = 0; fi <= static_cast<int>(ActFunc::Abs); ++fi) {
    const ActFunc f = static_cast<ActFunc>(fi);
    // Log/Sqrt/Rsqrt/Reciprocal want positive arguments: use |x| + 0.5 there.
    const bool positive = f == ActFunc::Log || f == ActFunc::Sqrt || f == ActFunc::Rsqrt ||
                          f == ActFunc::Reciprocal;
    std::vector<float> in = x;
    if (positive)
      for (float &v : in) v = std::fabs(v) + 0.5f;
    std::vector<float> sc = positive ? std::vector<float>{1, 0.5f, 2, 0.25f} : scale;
    std::vector<float> bi = positive ? std::vector<float>{0, 0.125f, 1, 3.5f} : bias;
    Harness h;
    h.load(DType::F32, MemSpace::SBUF, 0, 0, P, E, in);
    h.load(DType::F32, MemSpace::SBUF, 128, 0, P, 1, sc);
    h.load(DType::F32, MemSpace::SBUF, 192, 0, P, 1, bi);
    Activation a;
    a.src = sb(DType::F32, 0, 0, P, {E});
    a.dst = sb(DType::F32, 256, 0, P, {E});
    a.func = f;
    a.scale.ap = sb(DType::F32, 128, 0, P, {1});
    a.bias.ap = sb(DType::F32, 192, 0, P, {1});
    a.accumDst = sb(DType::F32, 512, 0, P, {1});
    h.op(kQueueACT, a);
    const size_t o = h.store(DType::F32, MemSpace::SBUF, 256, 0, P, E);
    const size_t s = h.store(DType::F32, MemSpace::SBUF, 512, 0, P, 1);
    auto r = h.run();
    ASSERT_TRUE(r) << actFuncName(f) << ": " << r.error().message;
    auto y = r->outputs[o].toF32(), acc = r->outputs[s].toF32();
    for (uint32_t p = 0; p < P; ++p) {
      double sum = 0, absSum = 0;
      for (uint32_t e = 0; e < E; ++e) {
        // The argument is formed in f32 exactly as specified (rounded product,
        // rounded sum); the function itself is compared with a double
        // reference within 4 ulp (glibc's float functions are within 2).
        // The gelu forms 0.5 x (1 + erf/tanh(..)) cancel for x < 0: evaluated
        // in f32, 1 + t carries an absolute error of a few u = 2^-24, scaled
        // by 0.5 |x|, so they get 8 u |x| on top.
        const float arg = float(in[p * E + e] * sc[p]) + bi[p];
        const double ref = refAct(f, arg);
        const float got = y[p * E + e];
        const bool cancels = f == ActFunc::Gelu || f == ActFunc::GeluTanh;
        const double tol = 4 * std::ldexp(std::fabs(ref), -23) +
                           (cancels ? 8 * std::ldexp(std::fabs(double(arg)), -24) : 0.0);
        EXPECT_NEAR(got, ref, tol + 1e-30)
            << actFuncName(f) << " p=" << p << " x=" << arg;
        sum += got;
        absSum += std::fabs(got);
      }
      // FP32 sequential sum of E values: |err| <= gamma_E * sum |y|.
      const double g = E * std::ldexp(1.0, -24) / (1 - E * std::ldexp(1.0, -24));
      EXPECT_NEAR(acc[p], sum, g * absSum + 1e-30) << actFuncName(f);
    }
  }
}

TEST(EmulatorSemantics, ActivationSpecialValuesAndSaturatingFp8Store) {
  // Identity/Exp/Relu/Gelu/Silu on NaN and infinities; stores into e4m3
  // saturate (1000 -> 448, -inf -> -448) and keep NaN.
  const std::vector<float> x = {kNaN, kInf, -kInf, 1000.0f};
  struct Case {
    ActFunc f;
    std::vector<float> f32;
    std::vector<uint8_t> e4m3;
  };
  const std::vector<Case> cases = {
      {ActFunc::Identity, {kNaN, kInf, -kInf, 1000.0f}, {0x7f, 0x7e, 0xfe, 0x7e}},
      {ActFunc::Exp, {kNaN, kInf, 0.0f, kInf}, {0x7f, 0x7e, 0x00, 0x7e}},
      {ActFunc::Relu, {kNaN, kInf, 0.0f, 1000.0f}, {0x7f, 0x7e, 0x00, 0x7e}},
      {ActFunc::Gelu, {kNaN, kInf, -0.0f, 1000.0f}, {0x7f, 0x7e, 0x80, 0x7e}},
      {ActFunc::Silu, {kNaN, kInf, -0.0f, 1000.0f}, {0x7f, 0x7e, 0x80, 0x7e}},
      {ActFunc::Sigmoid, {kNaN, 1.0f, 0.0f, 1.0f}, {0x7f, 0x38, 0x00, 0x38}},
  };
  for (const Case &c : cases) {
    Harness h;
    h.load(DType::F32, MemSpace::SBUF, 0, 0, 1, 4, x);
    Activation a;
    a.src = sb(DType::F32, 0, 0, 1, {4});
    a.dst = sb(DType::F32, 64, 0, 1, {4});
    a.func = c.f;
    h.op(kQueueACT, a);
    a.dst = sb(DType::F8E4M3, 128, 0, 1, {4});
    h.op(kQueueACT, a);
    const size_t o32 = h.store(DType::F32, MemSpace::SBUF, 64, 0, 1, 4);
    const size_t o8 = h.store(DType::F8E4M3, MemSpace::SBUF, 128, 0, 1, 4);
    auto r = h.run();
    ASSERT_TRUE(r) << r.error().message;
    auto y = r->outputs[o32].toF32();
    for (int i = 0; i < 4; ++i) {
      EXPECT_TRUE(sameFloat(y[i], c.f32[i])) << actFuncName(c.f) << " " << i;
      const uint8_t code = r->outputs[o8].data[i];
      if (c.e4m3[i] == 0x7f)
        EXPECT_EQ(code & 0x7f, 0x7f) << actFuncName(c.f) << " " << i;
      else
        EXPECT_EQ(code, c.e4m3[i]) << actFuncName(c.f) << " " << i;
    }
  }
}

//===----------------------------------------------------------------------===//
// ALU family
//===----------------------------------------------------------------------===//

float refAlu(AluOp op, float a, float b) {
  switch (op) {
  case AluOp::Add: return a + b;
  case AluOp::Sub: return a - b;
  case AluOp::Mul: return a * b;
  case AluOp::Div: return a / b;
  case AluOp::Max: return (std::isnan(a) || std::isnan(b)) ? kNaN : std::fmax(a, b);
  case AluOp::Min: return (std::isnan(a) || std::isnan(b)) ? kNaN : std::fmin(a, b);
  case AluOp::Pow: return std::pow(a, b);
  case AluOp::IsEq: return a == b;
  case AluOp::IsNe: return a != b;
  case AluOp::IsLt: return a < b;
  case AluOp::IsLe: return a <= b;
  case AluOp::IsGt: return a > b;
  case AluOp::IsGe: return a >= b;
  case AluOp::And: return (a != 0) && (b != 0);
  case AluOp::Or: return (a != 0) || (b != 0);
  case AluOp::Bypass: return a;
  }
  return 0;
}

const std::vector<float> kA = {1.5f, -2.0f, 0.0f, 3.0f, kNaN, kInf, -kInf, 2.0f, 0.0f, -0.5f, 7.0f, 4.0f};
const std::vector<float> kB = {2.0f, -2.0f, 5.0f, 0.0f, 1.0f, 1.0f, kInf, kNaN, 0.0f, 3.0f, 7.0f, 0.5f};

TEST(EmulatorSemantics, TensorTensorEveryAluOpWithSpecialValues) {
  for (int oi = 0; oi <= static_cast<int>(AluOp::Bypass); ++oi) {
    const AluOp op = static_cast<AluOp>(oi);
    Harness h;
    h.load(DType::F32, MemSpace::SBUF, 0, 0, 2, 6, kA);
    h.load(DType::F32, MemSpace::PSUM, 0, 0, 2, 6, kB); // one operand from PSUM
    h.op(kQueueDVE, TensorTensor{sb(DType::F32, 64, 0, 2, {6}), sb(DType::F32, 0, 0, 2, {6}),
                                 ps(DType::F32, 0, 0, 2, {6}), op});
    const size_t o = h.store(DType::F32, MemSpace::SBUF, 64, 0, 2, 6);
    auto r = h.run();
    ASSERT_TRUE(r) << aluOpName(op) << ": " << r.error().message;
    auto y = r->outputs[o].toF32();
    for (size_t i = 0; i < kA.size(); ++i)
      EXPECT_TRUE(sameFloat(y[i], refAlu(op, kA[i], kB[i])))
          << aluOpName(op) << "(" << kA[i] << ", " << kB[i] << ")";
  }
}

/// Max and min (element-wise: integer selects that vectorise; tensor_reduce:
/// branches) give exactly the bits of the IEEE 754-2019 maximum/minimum
/// reference: signed zeros, infinities, subnormals, NaN payloads (a's if NaN,
/// else b's, quieted), on the in-place row path, the gathered (strided) path
/// and in tensor_reduce.
TEST(EmulatorSemantics, MaxMinBitsOnSpecialValues) {
  auto quietNaN = [](float a, float b) { // a's payload if a is NaN, else b's; quiet
    uint32_t u;
    std::memcpy(&u, std::isnan(a) ? &a : &b, 4);
    u |= 0x00400000u;
    float r;
    std::memcpy(&r, &u, 4);
    return r;
  };
  auto refMax = [&](float a, float b) {
    if (std::isnan(a) || std::isnan(b))
      return quietNaN(a, b);
    return a > b ? a : (b > a ? b : (std::signbit(a) ? b : a));
  };
  auto refMin = [&](float a, float b) {
    if (std::isnan(a) || std::isnan(b))
      return quietNaN(a, b);
    return a < b ? a : (b < a ? b : (std::signbit(a) ? a : b));
  };
  const std::vector<uint32_t> special = {
      0x00000000u, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x7f800000u, 0xff800000u,
      0x7fc00000u, 0xffc00123u, 0x7fa00001u, 0x00000001u, 0x80000001u, 0x7f7fffffu,
      0xff7fffffu, 0x3f800001u, 0x007fffffu, 0xc0490fdbu};
  const uint32_t n = static_cast<uint32_t>(special.size());
  std::vector<float> a(size_t(n) * n), b(a.size());
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j) {
      std::memcpy(&a[i * n + j], &special[i], 4);
      std::memcpy(&b[i * n + j], &special[j], 4);
    }
  auto bits = [](float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    return u;
  };
  // The n x n results stored at output `o` against refMax/refMin, bit for bit.
  auto expectPairs = [&](const Expected<RunResult> &r, size_t o, AluOp op,
                         const std::string &what) {
    std::vector<float> y(a.size());
    ASSERT_EQ(r->outputs[o].data.size(), y.size() * 4);
    std::memcpy(y.data(), r->outputs[o].data.data(), y.size() * 4);
    for (size_t k = 0; k < a.size(); ++k) {
      const float want = op == AluOp::Max ? refMax(a[k], b[k]) : refMin(a[k], b[k]);
      EXPECT_EQ(bits(y[k]), bits(want)) << what << " " << aluOpName(op) << " of 0x" << std::hex
                                        << bits(a[k]) << ", 0x" << bits(b[k]);
    }
  };
  // tensor_reduce (branches, same bits): each pair (a, b) interleaved in a
  // row of 2 n, reduced over the innermost axis of [n][2].
  for (AluOp op : {AluOp::Max, AluOp::Min}) {
    std::vector<float> ab(a.size() * 2);
    for (size_t k = 0; k < a.size(); ++k) {
      ab[2 * k] = a[k];
      ab[2 * k + 1] = b[k];
    }
    Harness h;
    h.load(DType::F32, MemSpace::SBUF, 0, 0, n, 2 * n, ab);
    std::memcpy(h.inputs[0].data.data(), ab.data(), h.inputs[0].data.size());
    TensorReduce red;
    red.dst = sb(DType::F32, 4096, 0, n, {n});
    red.src = sb(DType::F32, 0, 0, n, {n, 2});
    red.op = op;
    red.axisMask = 0b10;
    h.op(kQueueDVE, red);
    const size_t o = h.store(DType::F32, MemSpace::SBUF, 4096, 0, n, n);
    auto r = h.run(false);
    ASSERT_TRUE(r) << r.error().message;
    expectPairs(r, o, op, "reduce");
  }
  for (AluOp op : {AluOp::Max, AluOp::Min})
    for (bool gathered : {false, true}) {
      // n partitions of n pairs; strided: in0 every other element of 2n.
      std::vector<float> a2 = a;
      if (gathered) {
        a2.assign(size_t(n) * 2 * n, 0.0f);
        for (size_t k = 0; k < a.size(); ++k)
          a2[(k / n) * 2 * n + (k % n) * 2] = a[k];
      }
      Harness h;
      h.load(DType::F32, MemSpace::SBUF, 0, 0, n, gathered ? 2 * n : n, a2);
      h.load(DType::F32, MemSpace::SBUF, 1024, 0, n, n, b);
      for (size_t t = 0; t < h.inputs.size(); ++t) // exact bits (NaN payloads)
        std::memcpy(h.inputs[t].data.data(), t ? b.data() : a2.data(), h.inputs[t].data.size());
      AccessPattern in0 = gathered ? strided(MemSpace::SBUF, DType::F32, 0, 0, n, {n}, {2})
                                   : sb(DType::F32, 0, 0, n, {n});
      h.op(kQueueDVE, TensorTensor{sb(DType::F32, 2048, 0, n, {n}), in0,
                                   sb(DType::F32, 1024, 0, n, {n}), op});
      const size_t o = h.store(DType::F32, MemSpace::SBUF, 2048, 0, n, n);
      auto r = h.run(false);
      ASSERT_TRUE(r) << r.error().message;
      expectPairs(r, o, op, gathered ? "tensor_tensor gathered" : "tensor_tensor");
    }
}

TEST(EmulatorSemantics, TensorScalarReverseBypassAndPerPartitionColumn) {
  // Rows: [1, 2, 3, 4] and [-1, 0, 8, 16]; per-partition scalar0 = {10, 2}.
  const std::vector<float> x = {1, 2, 3, 4, -1, 0, 8, 16};
  struct Case {
    AluOp op0;
    bool rev0;
    AluOp op1;
    float imm1;
    bool rev1;
  };
  const std::vector<Case> cases = {
      {AluOp::Sub, false, AluOp::Bypass, 0, false}, // x - s
      {AluOp::Sub, true, AluOp::Bypass, 0, false},  // s - x
      {AluOp::Div, true, AluOp::Mul, 3, false},     // (s / x) * 3
      {AluOp::Max, false, AluOp::Sub, 1, true},     // 1 - max(x, s)
      {AluOp::IsGe, false, AluOp::Pow, 2, true},    // 2 ^ (x >= s)
      {AluOp::Bypass, false, AluOp::Add, 0.5f, false}, // x + 0.5
  };
  const float col[2] = {10, 2};
  for (const Case &c : cases) {
    Harness h;
    h.load(DType::F32, MemSpace::SBUF, 0, 0, 2, 4, x);
    h.load(DType::F32, MemSpace::SBUF, 64, 0, 2, 1, {col[0], col[1]});
    TensorScalar ts;
    ts.dst = sb(DType::F32, 128, 0, 2, {4});
    ts.src = sb(DType::F32, 0, 0, 2, {4});
    ts.op0 = c.op0;
    ts.scalar0.ap = sb(DType::F32, 64, 0, 2, {1});
    ts.reverse0 = c.rev0;
    ts.op1 = c.op1;
    ts.scalar1.imm = c.imm1;
    ts.reverse1 = c.rev1;
    h.op(kQueuePOOL, ts);
    const size_t o = h.store(DType::F32, MemSpace::SBUF, 128, 0, 2, 4);
    auto r = h.run();
    ASSERT_TRUE(r) << r.error().message;
    auto y = r->outputs[o].toF32();
    for (int p = 0; p < 2; ++p)
      for (int e = 0; e < 4; ++e) {
        const float v = x[p * 4 + e];
        float t = c.op0 == AluOp::Bypass ? v
                  : c.rev0               ? refAlu(c.op0, col[p], v)
                                         : refAlu(c.op0, v, col[p]);
        if (c.op1 != AluOp::Bypass)
          t = c.rev1 ? refAlu(c.op1, c.imm1, t) : refAlu(c.op1, t, c.imm1);
        EXPECT_TRUE(sameFloat(y[p * 4 + e], t))
            << aluOpName(c.op0) << "/" << aluOpName(c.op1) << " p=" << p << " e=" << e;
      }
  }
}

TEST(EmulatorSemantics, TensorReduceAxesNegateAndNaN) {
  // src [2 partitions, 2 x 3 x 4].
  const uint32_t P = 2;
  std::vector<float> x = iotaF(P * 24, -5.0f, 0.5f);
  x[24 + 7] = kNaN; // partition 1, (0, 1, 3)
  struct Case {
    AluOp op;
    uint32_t mask;
    bool negate;
    std::vector<uint32_t> keptShape;
  };
  const std::vector<Case> cases = {
      {AluOp::Add, 0b010, false, {2, 4}}, {AluOp::Max, 0b111, false, {1}},
      {AluOp::Min, 0b101, true, {3}},     {AluOp::Mul, 0b100, false, {2, 3}},
  };
  for (const Case &c : cases) {
    uint32_t kept = 1;
    for (uint32_t s : c.keptShape) kept *= s;
    Harness h;
    h.load(DType::F32, MemSpace::SBUF, 0, 0, P, 24, x);
    TensorReduce tr;
    tr.src = sb(DType::F32, 0, 0, P, {2, 3, 4});
    tr.dst = sb(DType::F32, 256, 0, P, c.keptShape);
    tr.op = c.op;
    tr.axisMask = c.mask;
    tr.negate = c.negate;
    h.op(kQueueDVE, tr);
    const size_t o = h.store(DType::F32, MemSpace::SBUF, 256, 0, P, kept);
    auto r = h.run();
    ASSERT_TRUE(r) << r.error().message;
    auto y = r->outputs[o].toF32();
    for (uint32_t p = 0; p < P; ++p) {
      std::vector<double> acc(kept, c.op == AluOp::Mul ? 1.0 : c.op == AluOp::Add ? 0.0
                                                          : c.op == AluOp::Max  ? -INFINITY
                                                                                : INFINITY);
      std::vector<bool> nan(kept, false);
      for (uint32_t i = 0; i < 2; ++i)
        for (uint32_t j = 0; j < 3; ++j)
          for (uint32_t k = 0; k < 4; ++k) {
            uint32_t idx = 0;
            if (!(c.mask & 1)) idx = idx * 2 + i;
            if (!(c.mask & 2)) idx = idx * 3 + j;
            if (!(c.mask & 4)) idx = idx * 4 + k;
            const float v = x[p * 24 + i * 12 + j * 4 + k];
            if (std::isnan(v)) nan[idx] = true;
            if (c.op == AluOp::Add) acc[idx] += v;
            if (c.op == AluOp::Mul) acc[idx] *= v;
            if (c.op == AluOp::Max) acc[idx] = std::max<double>(acc[idx], v);
            if (c.op == AluOp::Min) acc[idx] = std::min<double>(acc[idx], v);
          }
      for (uint32_t i = 0; i < kept; ++i) {
        const float got = y[p * kept + i];
        if (nan[i]) {
          EXPECT_TRUE(std::isnan(got)) << aluOpName(c.op) << " p=" << p << " i=" << i;
          continue;
        }
        // Values are multiples of 0.5 below 24 in magnitude: Add/Max/Min are
        // exact; Mul of <= 4 such values stays exact in f32 (< 24 bits).
        const float want = float(c.negate ? -acc[i] : acc[i]);
        EXPECT_EQ(got, want) << aluOpName(c.op) << " p=" << p << " i=" << i;
      }
    }
  }
}

TEST(EmulatorSemantics, TensorCopyConversionsRoundAndSaturate) {
  // f32 -> bf16: RNE ties; f32 -> e4m3: saturation and NaN; i32 copy keeps
  // integers above 2^24 bit-exactly.
  const std::vector<float> v = {1.0f + std::ldexp(1.0f, -8), 1.0f + 3 * std::ldexp(1.0f, -8),
                                -1.0f - std::ldexp(1.0f, -9), 1000.0f, -1e6f, kNaN, 0.3f,
                                std::ldexp(1.0f, -10)};
  Harness h;
  h.load(DType::F32, MemSpace::SBUF, 0, 0, 1, 8, v);
  h.op(kQueueACT, TensorCopy{sb(DType::BF16, 64, 0, 1, {8}), sb(DType::F32, 0, 0, 1, {8})});
  h.op(kQueueDVE, TensorCopy{sb(DType::F8E4M3, 96, 0, 1, {8}), sb(DType::F32, 0, 0, 1, {8})});
  const size_t ob = h.store(DType::BF16, MemSpace::SBUF, 64, 0, 1, 8);
  const size_t o8 = h.store(DType::F8E4M3, MemSpace::SBUF, 96, 0, 1, 8);
  auto r = h.run();
  ASSERT_TRUE(r) << r.error().message;
  const auto &b = r->outputs[ob].data;
  auto bf = [&](int i) { return uint16_t(b[2 * i] | (b[2 * i + 1] << 8)); };
  EXPECT_EQ(bf(0), 0x3f80); // tie -> even (1.0)
  EXPECT_EQ(bf(1), 0x3f82); // tie -> even (1.015625)
  EXPECT_EQ(bf(2), 0xbf80); // below half an ulp -> -1.0
  EXPECT_EQ(bf(3), 0x447a); // 1000 exactly
  EXPECT_EQ(bf(4), 0xc974); // -1e6 (0xc9742400) rounds to -999424
  EXPECT_EQ(bf(5) & 0x7f80, 0x7f80);
  EXPECT_NE(bf(5) & 0x007f, 0); // NaN
  const auto &e = r->outputs[o8].data;
  EXPECT_EQ(e[0], 0x38);        // 1 (tie to even)
  EXPECT_EQ(e[3], 0x7e);        // 1000 saturates to 448
  EXPECT_EQ(e[4], 0xfe);        // -1e6 saturates to -448
  EXPECT_EQ(e[5] & 0x7f, 0x7f); // NaN
  EXPECT_EQ(e[6], 0x2a);        // 0.3 -> 0.3125
  EXPECT_EQ(e[7], 0x00);        // 2^-10 ties to 0 (even)
}

TEST(EmulatorSemantics, IntegerCopyIsBitExact) {
  ProgramBuilder b;
  const uint32_t x = b.tensor("x", TensorKind::Input, DType::I32, {1, 3});
  const uint32_t y = b.tensor("y", TensorKind::Output, DType::I32, {1, 3});
  b.add(kFirstDmaQueue, DmaCopy{sb(DType::I32, 0, 0, 1, {3}), AccessPattern::hbm(x, DType::I32, 0, 1, 3, {3})}, {}, {0});
  b.add(kQueueDVE, TensorCopy{sb(DType::I32, 64, 0, 1, {3}), sb(DType::I32, 0, 0, 1, {3})}, {{0, 1}}, {1});
  b.add(kFirstDmaQueue + 1, DmaCopy{AccessPattern::hbm(y, DType::I32, 0, 1, 3, {3}), sb(DType::I32, 64, 0, 1, {3})}, {{1, 1}}, {});
  HostTensor in;
  in.dtype = DType::I32;
  in.shape = {1, 3};
  const int32_t vals[3] = {16777217, -2147483647 - 1, 123456789};
  in.data.resize(12);
  std::memcpy(in.data.data(), vals, 12);
  auto r = createEmulatorDevice()->run(b.p, {in}, RunOptions{false, true, false});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->outputs[0].data, in.data);
}

TEST(EmulatorSemantics, SelectIotaAndMemset) {
  Harness h;
  h.load(DType::F32, MemSpace::SBUF, 0, 0, 2, 4, {1, 0, kNaN, -0.0f, 0, 2, 0, -3});
  h.load(DType::F32, MemSpace::SBUF, 64, 0, 2, 4, iotaF(8, 10));
  h.load(DType::F32, MemSpace::SBUF, 128, 0, 2, 4, iotaF(8, -10, -1));
  h.op(kQueuePOOL, Select{sb(DType::F32, 192, 0, 2, {4}), sb(DType::F32, 0, 0, 2, {4}),
                          sb(DType::F32, 64, 0, 2, {4}), sb(DType::F32, 128, 0, 2, {4})});
  // iota: base -7, channel multiplier 5, multipliers {3, -1} over [2, 3].
  Iota io;
  io.dst = sb(DType::I32, 256, 0, 4, {2, 3});
  io.base = -7;
  io.channelMultiplier = 5;
  io.multipliers = {3, -1, 0, 0};
  h.op(kQueuePOOL, io);
  io.dst = sb(DType::BF16, 320, 0, 4, {2, 3});
  io.base = 257; // 257 + ... rounds in bf16 (8 bits of precision)
  h.op(kQueuePOOL, io);
  h.op(kQueueDVE, Memset{sb(DType::BF16, 384, 0, 2, {3}), 3.14159265f});
  const size_t os = h.store(DType::F32, MemSpace::SBUF, 192, 0, 2, 4);
  const size_t oi = h.store(DType::I32, MemSpace::SBUF, 256, 0, 4, 6);
  const size_t ob = h.store(DType::BF16, MemSpace::SBUF, 320, 0, 4, 6);
  const size_t om = h.store(DType::BF16, MemSpace::SBUF, 384, 0, 2, 3);
  auto r = h.run();
  ASSERT_TRUE(r) << r.error().message;
  auto s = r->outputs[os].toF32();
  const std::vector<float> wantSel = {10, -11, 12, -13, -14, 15, -16, 17}; // NaN is "true"
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(s[i], wantSel[i]) << i;
  auto iv = r->outputs[oi].toF32(), bv = r->outputs[ob].toF32();
  for (int p = 0; p < 4; ++p)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) {
        const int k = p * 6 + i * 3 + j;
        EXPECT_EQ(iv[k], float(-7 + 5 * p + 3 * i - j));
        const float exact = float(257 + 5 * p + 3 * i - j);
        EXPECT_EQ(bv[k], bf16ToF32(f32ToBf16(exact)));
      }
  EXPECT_EQ(bv[0], 256.0f); // 257 ties to even in bf16
  for (float m : r->outputs[om].toF32())
    EXPECT_EQ(m, 3.140625f);
}

TEST(EmulatorSemantics, QuantizeMxMatchesOcpRule) {
  // src [64, 8] f32 -> e4m3 data + e8m0 scales [2, 8]: per block of 32
  // partitions and column, X = 2^(floor(log2(amax)) - 8), element = RNE
  // saturating(v / X).
  const uint32_t P = 64, E = 8;
  std::vector<float> x = randomFloats(P * E, 33, -50, 50);
  for (uint32_t j = 0; j < E; ++j)
    x[5 * E + j] *= float(1 << j); // spread the block maxima over many binades
  for (uint32_t j = 0; j < E; ++j)
    x[40 * E + j] = 0.0f;
  for (uint32_t p = 32; p < 64; ++p)
    x[p * E + 3] = 0.0f; // an all-zero block
  Harness h("trn3");
  h.load(DType::F32, MemSpace::SBUF, 0, 0, P, E, x);
  h.op(kQueueDVE, QuantizeMx{sb(DType::F8E4M3, 64, 0, P, {E}), sb(DType::E8M0, 128, 0, 2, {E}),
                             sb(DType::F32, 0, 0, P, {E})});
  const size_t od = h.store(DType::F8E4M3, MemSpace::SBUF, 64, 0, P, E);
  const size_t osc = h.store(DType::E8M0, MemSpace::SBUF, 128, 0, 2, E);
  auto r = h.run();
  ASSERT_TRUE(r) << r.error().message;
  const auto &codes = r->outputs[od].data, &scales = r->outputs[osc].data;
  for (uint32_t b = 0; b < 2; ++b)
    for (uint32_t j = 0; j < E; ++j) {
      float amax = 0;
      for (uint32_t i = 0; i < 32; ++i)
        amax = std::max(amax, std::fabs(x[(b * 32 + i) * E + j]));
      if (amax == 0) {
        // The OCP reference (microxcaling) substitutes FP32's smallest normal
        // 2^-126 for amax 0: exponent -126 - 8 clamps to -127, code 0.
        EXPECT_EQ(scales[b * E + j], 0) << b << "," << j;
        for (uint32_t i = 0; i < 32; ++i)
          EXPECT_EQ(codes[(b * 32 + i) * E + j], 0) << b << "," << j;
        continue;
      }
      int ex;
      std::frexp(amax, &ex); // amax = m * 2^ex, m in [0.5, 1): floor(log2) = ex - 1
      const int e = ex - 1 - 8;
      EXPECT_EQ(scales[b * E + j], 127 + e) << b << "," << j;
      for (uint32_t i = 0; i < 32; ++i) {
        const uint32_t p = b * 32 + i;
        const float q = std::ldexp(x[p * E + j], -e); // exact scaling by 2^-e
        EXPECT_EQ(codes[p * E + j], f32ToF8E4M3(q, Overflow::Saturate)) << p << "," << j;
      }
    }
}

//===----------------------------------------------------------------------===//
// Host tensors and input validation
//===----------------------------------------------------------------------===//

TEST(EmulatorSemantics, HostTensorHelpers) {
  HostTensor t = HostTensor::fromF32({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(t.numElements(), 6u);
  EXPECT_EQ(t.data.size(), 24u);
  EXPECT_EQ(t.toF32(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  HostTensor b = hostTensor(DType::BF16, {3}, {1.0f, -2.5f, 0.0078125f});
  EXPECT_EQ(b.toF32(), (std::vector<float>{1.0f, -2.5f, 0.0078125f}));
  HostTensor s;
  s.shape = {};
  EXPECT_EQ(s.numElements(), 1u);
  EXPECT_TRUE(s.toF32().empty()); // no bytes present: nothing decoded
}

TEST(EmulatorSemantics, InputsAreCheckedAgainstTheSignature) {
  Harness h;
  h.load(DType::F32, MemSpace::SBUF, 0, 0, 2, 4, iotaF(8));
  h.store(DType::F32, MemSpace::SBUF, 0, 0, 2, 4);
  auto dev = createEmulatorDevice();
  auto ok = dev->run(h.b.p, h.inputs, RunOptions{});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->outputs[0].toF32(), iotaF(8));
  auto wrongShape = dev->run(h.b.p, {HostTensor::fromF32({4, 2}, iotaF(8))}, RunOptions{});
  ASSERT_FALSE(wrongShape);
  EXPECT_NE(wrongShape.error().message.find("expected f32[2, 4]"), std::string::npos)
      << wrongShape.error().message;
  auto missing = dev->run(h.b.p, {}, RunOptions{});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("takes 1 inputs, got 0"), std::string::npos);
  EXPECT_EQ(dev->name(), "emulator");
}

} // namespace
