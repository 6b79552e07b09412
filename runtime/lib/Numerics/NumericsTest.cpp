//===- NumericsTest.cpp - scalar conversions vs LLVM APFloat --------------===//
//
// APFloat (LLVM 22) is the independent reference for decoding every code and
// for RNE encoding in the non-saturating mode. Where QUANT.md lists APFloat
// traps (NaN/Inf -> f4, 0/negative/ties -> E8M0) trnc's own policy is tested
// explicitly instead.
//
//===----------------------------------------------------------------------===//
#include "trn/runtime/Numerics.h"

#include "llvm/ADT/APFloat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>

using namespace trnrt;
using llvm::APFloat;
using llvm::APInt;

namespace {

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// APFloat's RNE code for f32 `x` in `sem`.
uint32_t apEncode(float x, const llvm::fltSemantics &sem) {
  APFloat v(x);
  bool lost = false;
  v.convert(sem, APFloat::rmNearestTiesToEven, &lost);
  return uint32_t(v.bitcastToAPInt().getZExtValue());
}

/// APFloat's f32 value of `code` in `sem` (exact: every format here fits f32).
float apDecode(uint32_t code, const llvm::fltSemantics &sem, unsigned bits) {
  APFloat v(sem, APInt(bits, code));
  bool lost = false;
  v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
  EXPECT_FALSE(lost) << "code " << code;
  return v.convertToFloat();
}

/// Same value, or both NaN with the same sign.
::testing::AssertionResult sameFloat(float got, float want) {
  if (std::isnan(want)) {
    if (std::isnan(got) && std::signbit(got) == std::signbit(want))
      return ::testing::AssertionSuccess();
  } else if (bitsOf(got) == bitsOf(want)) {
    return ::testing::AssertionSuccess();
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "got %g (0x%08x), want %g (0x%08x)", double(got), bitsOf(got),
                double(want), bitsOf(want));
  return ::testing::AssertionFailure() << buf;
}

/// Random f32 inputs exercising a format whose interesting binades are
/// [expLo, expHi]: random mantissas, short mantissas (exact ties at every
/// position incl. subnormal quanta), near-ties at mantissa bit `tieShift`,
/// and raw bit patterns (NaN/Inf/huge/f32-subnormal).
class InputGen {
public:
  InputGen(uint64_t seed, int expLo, int expHi, int tieShift)
      : g(seed), expLo(expLo), expHi(expHi), tieShift(tieShift) {}
  float next() {
    const int e = expLo + int(g() % uint64_t(expHi - expLo + 1));
    const bool neg = g() & 1;
    float v;
    switch (g() % 8) {
    case 0:
      return floatOf(uint32_t(g())); // any bit pattern
    case 1:
    case 2: // small odd/even integers scaled: exact values and exact ties
      v = std::ldexp(float(g() % 64), e - 5);
      break;
    case 3:
    case 4: { // x.5 ulp of the target +- one f32 ulp, in a normal binade
      const int be = std::clamp(e, -126, 127) + 127;
      uint32_t mant = uint32_t(g()) & (0x7fffffu & ~((2u << tieShift) - 1));
      mant |= 1u << tieShift;
      const int d = int(g() % 3) - 1;
      v = floatOf((uint32_t(be) << 23 | mant) + uint32_t(d));
      break;
    }
    default: // uniform mantissa in a random binade (ldexp may go f32-subnormal)
      v = std::ldexp(1.0f + float(g() & 0x7fffff) * 0x1p-23f, e);
      break;
    }
    return neg ? -v : v;
  }

private:
  std::mt19937_64 g;
  int expLo, expHi, tieShift;
};

constexpr int kRandomPerFormat = 1000000;

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

} // namespace

//===----------------------------------------------------------------------===//
// Decoding every code
//===----------------------------------------------------------------------===//

TEST(NumericsDecode, AllE4M3CodesMatchAPFloat) {
  for (uint32_t c = 0; c < 256; ++c)
    EXPECT_TRUE(sameFloat(f8E4M3ToF32(uint8_t(c)), apDecode(c, APFloat::Float8E4M3FN(), 8)))
        << "code 0x" << std::hex << c;
  // Spot values from QUANT.md's format table.
  EXPECT_EQ(f8E4M3ToF32(0x7e), 448.0f);
  EXPECT_EQ(f8E4M3ToF32(0x08), 0x1p-6f);
  EXPECT_EQ(f8E4M3ToF32(0x01), 0x1p-9f);
  EXPECT_TRUE(std::isnan(f8E4M3ToF32(0x7f)));
  EXPECT_TRUE(std::isnan(f8E4M3ToF32(0xff)));
  EXPECT_EQ(f8E4M3ToF32(0x78), 256.0f); // exponent 15 is a normal binade
}

TEST(NumericsDecode, AllE5M2CodesMatchAPFloat) {
  for (uint32_t c = 0; c < 256; ++c)
    EXPECT_TRUE(sameFloat(f8E5M2ToF32(uint8_t(c)), apDecode(c, APFloat::Float8E5M2(), 8)))
        << "code 0x" << std::hex << c;
  EXPECT_EQ(f8E5M2ToF32(0x7b), 57344.0f);
  EXPECT_EQ(f8E5M2ToF32(0x7c), kInf);
  EXPECT_EQ(f8E5M2ToF32(0xfc), -kInf);
  EXPECT_EQ(f8E5M2ToF32(0x01), 0x1p-16f);
  for (uint32_t c : {0x7du, 0x7eu, 0x7fu, 0xfdu, 0xfeu, 0xffu})
    EXPECT_TRUE(std::isnan(f8E5M2ToF32(uint8_t(c))));
}

TEST(NumericsDecode, AllE2M1CodesMatchAPFloat) {
  const float expected[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
  for (uint32_t c = 0; c < 16; ++c) {
    EXPECT_TRUE(sameFloat(f4E2M1ToF32(uint8_t(c)), apDecode(c, APFloat::Float4E2M1FN(), 4)))
        << "code " << c;
    EXPECT_EQ(f4E2M1ToF32(uint8_t(c)), (c & 8 ? -1.0f : 1.0f) * expected[c & 7]);
  }
  EXPECT_TRUE(std::signbit(f4E2M1ToF32(0x8)));
}

TEST(NumericsDecode, AllE8M0CodesMatchAPFloat) {
  // 0xff is excluded: APFloat widens it to +Inf, the OCP spec says NaN.
  for (uint32_t c = 0; c < 255; ++c) {
    EXPECT_TRUE(sameFloat(e8m0ToF32(uint8_t(c)), apDecode(c, APFloat::Float8E8M0FNU(), 8)))
        << "code " << c;
    EXPECT_EQ(e8m0ToF32(uint8_t(c)), std::ldexp(1.0f, int(c) - 127));
  }
  EXPECT_TRUE(std::isnan(e8m0ToF32(0xff)));
}

TEST(NumericsDecode, AllBf16AndF16CodesMatchAPFloat) {
  for (uint32_t c = 0; c < 65536; ++c) {
    ASSERT_TRUE(sameFloat(bf16ToF32(uint16_t(c)), apDecode(c, APFloat::BFloat(), 16))) << c;
    ASSERT_TRUE(sameFloat(f16ToF32(uint16_t(c)), apDecode(c, APFloat::IEEEhalf(), 16))) << c;
  }
}

//===----------------------------------------------------------------------===//
// QUANT.md reference vectors (non-saturating, as listed)
//===----------------------------------------------------------------------===//

namespace {
struct RefRow {
  float x;
  uint8_t e4m3, e5m2, e2m1;
};
const RefRow kRefRows[] = {
    {0.3f, 0x2a, 0x35, 0x1},         {-0.3f, 0xaa, 0xb5, 0x9},
    {0.1f, 0x1d, 0x2e, 0x0},         {1.0625f, 0x38, 0x3c, 0x2},
    {1.1875f, 0x3a, 0x3d, 0x2},      {3.14159265f, 0x45, 0x42, 0x5},
    {-2.5f, 0xc2, 0xc1, 0xc},        {0.25f, 0x28, 0x34, 0x0},
    {0.75f, 0x34, 0x3a, 0x2},        {1.25f, 0x3a, 0x3d, 0x2},
    {1.75f, 0x3e, 0x3f, 0x4},        {5.0f, 0x4a, 0x45, 0x6},
    {7.0f, 0x4e, 0x47, 0x7},         {240.0f, 0x77, 0x5c, 0x7},
    {449.0f, 0x7e, 0x5f, 0x7},       {464.0f, 0x7e, 0x5f, 0x7},
    {465.0f, 0x7f, 0x5f, 0x7},       {61440.0f, 0x7f, 0x7c, 0x7},
    {0x1p-9f, 0x01, 0x18, 0x0},      {0x1p-10f, 0x00, 0x14, 0x0},
    {3 * 0x1p-11f, 0x01, 0x16, 0x0}, {0x1p-16f, 0x00, 0x01, 0x0},
    {0x1p-17f, 0x00, 0x00, 0x0},
};
} // namespace

TEST(NumericsEncode, QuantMdReferenceTable) {
  for (const RefRow &r : kRefRows) {
    SCOPED_TRACE(r.x);
    EXPECT_EQ(f32ToF8E4M3(r.x, Overflow::NonSaturate), r.e4m3);
    EXPECT_EQ(f32ToF8E5M2(r.x, Overflow::NonSaturate), r.e5m2);
    EXPECT_EQ(f32ToF4E2M1(r.x), r.e2m1);
    // The table itself agrees with APFloat (guards against typos in it).
    EXPECT_EQ(apEncode(r.x, APFloat::Float8E4M3FN()) & 0xff, r.e4m3 == 0x7f ? 0x7fu : r.e4m3);
    EXPECT_EQ(apEncode(r.x, APFloat::Float8E5M2()), r.e5m2);
    EXPECT_EQ(apEncode(r.x, APFloat::Float4E2M1FN()), r.e2m1);
    // Saturating mode differs only where the table overflows.
    const bool e4Over = r.e4m3 == 0x7f, e5Over = r.e5m2 == 0x7c;
    EXPECT_EQ(f32ToF8E4M3(r.x), e4Over ? 0x7e : r.e4m3);
    EXPECT_EQ(f32ToF8E5M2(r.x), e5Over ? 0x7b : r.e5m2);
  }
}

//===----------------------------------------------------------------------===//
// Saturating policy, NaN/Inf, signed zero (explicit)
//===----------------------------------------------------------------------===//

TEST(NumericsEncode, E4M3SaturatingPolicy) {
  EXPECT_EQ(f32ToF8E4M3(465.0f), 0x7e);
  EXPECT_EQ(f32ToF8E4M3(1e9f), 0x7e);
  EXPECT_EQ(f32ToF8E4M3(-1e9f), 0xfe);
  EXPECT_EQ(f32ToF8E4M3(std::numeric_limits<float>::max()), 0x7e);
  EXPECT_EQ(f32ToF8E4M3(kInf), 0x7e);
  EXPECT_EQ(f32ToF8E4M3(-kInf), 0xfe);
  EXPECT_EQ(f32ToF8E4M3(kNaN), 0x7f);
  EXPECT_EQ(f32ToF8E4M3(-kNaN), 0xff);
  EXPECT_EQ(f32ToF8E4M3(floatOf(0x7f800001u)), 0x7f); // signalling NaN too
  // Non-saturating: overflow and Inf are NaN (E4M3FN has no Inf).
  EXPECT_EQ(f32ToF8E4M3(465.0f, Overflow::NonSaturate), 0x7f);
  EXPECT_EQ(f32ToF8E4M3(-465.0f, Overflow::NonSaturate), 0xff);
  EXPECT_EQ(f32ToF8E4M3(kInf, Overflow::NonSaturate), 0x7f);
  EXPECT_EQ(f32ToF8E4M3(-kInf, Overflow::NonSaturate), 0xff);
  EXPECT_EQ(f32ToF8E4M3(kNaN, Overflow::NonSaturate), 0x7f);
}

TEST(NumericsEncode, E5M2SaturatingPolicy) {
  // satfinite: finite overflow and +-Inf clamp to +-57344.
  EXPECT_EQ(f32ToF8E5M2(61440.0f), 0x7b);
  EXPECT_EQ(f32ToF8E5M2(-61440.0f), 0xfb);
  EXPECT_EQ(f32ToF8E5M2(1e30f), 0x7b);
  EXPECT_EQ(f32ToF8E5M2(kInf), 0x7b);
  EXPECT_EQ(f32ToF8E5M2(-kInf), 0xfb);
  EXPECT_EQ(f32ToF8E5M2(kNaN), 0x7e);
  EXPECT_EQ(f32ToF8E5M2(-kNaN), 0xfe);
  // Non-saturating: IEEE overflow to Inf; just below the midpoint stays finite.
  EXPECT_EQ(f32ToF8E5M2(61440.0f, Overflow::NonSaturate), 0x7c);
  EXPECT_EQ(f32ToF8E5M2(std::nextafter(61440.0f, 0.0f), Overflow::NonSaturate), 0x7b);
  EXPECT_EQ(f32ToF8E5M2(kInf, Overflow::NonSaturate), 0x7c);
  EXPECT_EQ(f32ToF8E5M2(-kInf, Overflow::NonSaturate), 0xfc);
}

TEST(NumericsEncode, E2M1PolicyForInfAndNaN) {
  // No Inf/NaN in E2M1 (APFloat gives +-0 here; trnc does not).
  EXPECT_EQ(f32ToF4E2M1(kInf), 0x7);
  EXPECT_EQ(f32ToF4E2M1(-kInf), 0xf);
  EXPECT_EQ(f32ToF4E2M1(kNaN), 0x0);
  EXPECT_EQ(f32ToF4E2M1(-kNaN), 0x0);
  EXPECT_EQ(f32ToF4E2M1(1e30f), 0x7);
  EXPECT_EQ(f32ToF4E2M1(-7.0f), 0xf);
  EXPECT_EQ(f32ToF4E2M1(-0.1f), 0x8); // underflow keeps the sign
}

TEST(NumericsEncode, SignedZeroAndUnderflow) {
  EXPECT_EQ(f32ToF8E4M3(-0.0f), 0x80);
  EXPECT_EQ(f32ToF8E5M2(-0.0f), 0x80);
  EXPECT_EQ(f32ToF4E2M1(-0.0f), 0x8);
  EXPECT_EQ(f32ToBf16(-0.0f), 0x8000);
  EXPECT_EQ(f32ToF16(-0.0f), 0x8000);
  EXPECT_EQ(f32ToF8E4M3(-0x1p-11f), 0x80);
  EXPECT_EQ(f32ToF8E5M2(-0x1p-18f), 0x80);
  EXPECT_EQ(f32ToF8E4M3(-floatOf(1)), 0x80); // f32 subnormal
  EXPECT_EQ(f32ToF8E4M3(std::nextafter(0x1p-10f, 1.0f)), 0x01); // just above the tie
}

TEST(NumericsEncode, Bf16AndF16Specials) {
  EXPECT_EQ(f32ToBf16(kInf), 0x7f80);
  EXPECT_EQ(f32ToBf16(std::numeric_limits<float>::max()), 0x7f80); // RNE overflow
  EXPECT_EQ(f32ToBf16(kNaN), 0x7fc0);
  EXPECT_EQ(f32ToBf16(floatOf(0xff800001u)), 0xffc0); // sNaN quieted, sign kept
  EXPECT_EQ(f32ToBf16(floatOf(0x7fa50000u)), 0x7fe5); // top payload kept
  EXPECT_EQ(f32ToF16(65520.0f), 0x7c00);              // tie at max+ulp/2 -> Inf
  EXPECT_EQ(f32ToF16(std::nextafter(65520.0f, 0.0f)), 0x7bff);
  EXPECT_EQ(f32ToF16(kNaN), 0x7e00);
  EXPECT_EQ(f32ToF16(floatOf(0xff802000u)), 0xfe01); // sNaN quieted, payload kept
  EXPECT_EQ(f32ToF16(0x1p-25f), 0x0000);            // tie to even zero
  EXPECT_EQ(f32ToF16(3 * 0x1p-25f), 0x0002);
}

//===----------------------------------------------------------------------===//
// >= 10^6 random values per format vs APFloat
//===----------------------------------------------------------------------===//

TEST(NumericsRandom, E4M3VsAPFloat) {
  InputGen gen(0xE4A3, -14, 12, 19);
  for (int i = 0; i < kRandomPerFormat; ++i) {
    const float x = gen.next();
    const uint32_t sign = std::signbit(x) ? 0x80 : 0;
    const uint8_t ns = f32ToF8E4M3(x, Overflow::NonSaturate), sat = f32ToF8E4M3(x);
    if (std::isnan(x)) {
      ASSERT_EQ(ns, 0x7f | sign);
      ASSERT_EQ(sat, 0x7f | sign);
      continue;
    }
    const uint32_t ap = apEncode(x, APFloat::Float8E4M3FN());
    if ((ap & 0x7f) == 0x7f) { // APFloat overflowed (Inf or |x| > 464) to NaN
      ASSERT_EQ(ns, 0x7f | sign) << x;
      ASSERT_EQ(sat, 0x7e | sign) << x;
    } else {
      ASSERT_EQ(ns, ap) << x;
      ASSERT_EQ(sat, ap) << x;
    }
  }
}

TEST(NumericsRandom, E5M2VsAPFloat) {
  InputGen gen(0xE5A2, -22, 18, 20);
  for (int i = 0; i < kRandomPerFormat; ++i) {
    const float x = gen.next();
    const uint32_t sign = std::signbit(x) ? 0x80 : 0;
    const uint8_t ns = f32ToF8E5M2(x, Overflow::NonSaturate), sat = f32ToF8E5M2(x);
    if (std::isnan(x)) {
      ASSERT_EQ(ns, 0x7e | sign);
      ASSERT_EQ(sat, 0x7e | sign);
      continue;
    }
    const uint32_t ap = apEncode(x, APFloat::Float8E5M2());
    ASSERT_EQ(ns, ap) << x;
    ASSERT_EQ(sat, (ap & 0x7f) == 0x7c ? (0x7b | sign) : ap) << x;
  }
}

TEST(NumericsRandom, E2M1VsAPFloat) {
  InputGen gen(0xE2A1, -5, 5, 21);
  for (int i = 0; i < kRandomPerFormat; ++i) {
    const float x = gen.next();
    const uint8_t c = f32ToF4E2M1(x);
    if (std::isnan(x)) {
      ASSERT_EQ(c, 0x0);
    } else if (std::isinf(x)) {
      ASSERT_EQ(c, x > 0 ? 0x7 : 0xf);
    } else {
      ASSERT_EQ(c, apEncode(x, APFloat::Float4E2M1FN())) << x;
    }
  }
}

TEST(NumericsRandom, Bf16VsAPFloat) {
  InputGen gen(0xBF16, -140, 127, 15);
  for (int i = 0; i < kRandomPerFormat; ++i) {
    const float x = gen.next();
    const uint16_t b = f32ToBf16(x);
    if (std::isnan(x)) {
      ASSERT_EQ(b, uint16_t((bitsOf(x) >> 16) | 0x40)) << std::hex << bitsOf(x);
      continue;
    }
    ASSERT_EQ(b, apEncode(x, APFloat::BFloat())) << x;
  }
}

TEST(NumericsRandom, F16VsAPFloat) {
  InputGen gen(0xF16, -28, 18, 12);
  for (int i = 0; i < kRandomPerFormat; ++i) {
    const float x = gen.next();
    const uint16_t h = f32ToF16(x);
    if (std::isnan(x)) {
      const uint32_t u = bitsOf(x);
      ASSERT_EQ(h, uint16_t((u >> 31) << 15 | 0x7e00 | ((u >> 13) & 0x3ff)));
      continue;
    }
    ASSERT_EQ(h, apEncode(x, APFloat::IEEEhalf())) << x;
  }
}

//===----------------------------------------------------------------------===//
// E8M0 encoding
//===----------------------------------------------------------------------===//

TEST(NumericsE8M0, NonTiesMatchAPFloat) {
  std::mt19937_64 g(0xE8);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t exp = 1 + uint32_t(g() % 253); // 2^-126 .. 2^126
    const uint32_t mant = uint32_t(g()) & 0x7fffff;
    if (mant == 0x400000)
      continue; // tie: APFloat rounds up, trnc to even (below)
    const float x = floatOf(exp << 23 | mant);
    ASSERT_EQ(f32ToE8M0(x), apEncode(x, APFloat::Float8E8M0FNU())) << x;
    ASSERT_EQ(f32ToE8M0(x, Overflow::NonSaturate), f32ToE8M0(x));
  }
}

TEST(NumericsE8M0, PolicyEdges) {
  for (int k = -127; k <= 127; ++k)
    EXPECT_EQ(f32ToE8M0(std::ldexp(1.0f, k)), k + 127);
  // Ties 1.5 * 2^k go to the even code.
  EXPECT_EQ(f32ToE8M0(0.75f), 126); // 0.5 (APFloat: 1)
  EXPECT_EQ(f32ToE8M0(1.5f), 128);  // 2
  EXPECT_EQ(f32ToE8M0(3.0f), 128);  // 2
  EXPECT_EQ(f32ToE8M0(6.0f), 130);  // 8
  EXPECT_EQ(f32ToE8M0(std::nextafter(0.75f, 1.0f)), 127);
  // No zero, no sign.
  EXPECT_EQ(f32ToE8M0(0.0f), 0x00);
  EXPECT_EQ(f32ToE8M0(-0.0f), 0x00);
  EXPECT_EQ(f32ToE8M0(floatOf(1)), 0x00);           // 2^-149 saturates up to 2^-127
  EXPECT_EQ(f32ToE8M0(floatOf(0x00600000u)), 0x00); // 1.5 * 2^-127 tie -> even
  EXPECT_EQ(f32ToE8M0(floatOf(0x00600001u)), 0x01);
  EXPECT_EQ(f32ToE8M0(-1.0f), 0xff);
  EXPECT_EQ(f32ToE8M0(-kInf), 0xff);
  EXPECT_EQ(f32ToE8M0(kNaN), 0xff);
  // Overflow.
  EXPECT_EQ(f32ToE8M0(std::numeric_limits<float>::max()), 0xfe);
  EXPECT_EQ(f32ToE8M0(std::numeric_limits<float>::max(), Overflow::NonSaturate), 0xff);
  // 1.5 * 2^127 ties to the even code 254; anything above rounds to 255 (NaN).
  EXPECT_EQ(f32ToE8M0(0x1.8p127f, Overflow::NonSaturate), 0xfe);
  EXPECT_EQ(f32ToE8M0(0x1.800002p127f), 0xfe);
  EXPECT_EQ(f32ToE8M0(0x1.800002p127f, Overflow::NonSaturate), 0xff);
  EXPECT_EQ(f32ToE8M0(0x1.8p126f), 0xfe); // tie between odd 253 and even 254
  EXPECT_EQ(f32ToE8M0(kInf), 0xfe);
  EXPECT_EQ(f32ToE8M0(kInf, Overflow::NonSaturate), 0xff);
}

//===----------------------------------------------------------------------===//
// Round trips and format constants
//===----------------------------------------------------------------------===//

TEST(NumericsRoundTrip, EveryCodeSurvives) {
  for (uint32_t c = 0; c < 256; ++c) {
    const uint8_t code = uint8_t(c);
    if ((c & 0x7f) != 0x7f) {
      EXPECT_EQ(f32ToF8E4M3(f8E4M3ToF32(code)), code);
      EXPECT_EQ(f32ToF8E4M3(f8E4M3ToF32(code), Overflow::NonSaturate), code);
    }
    if ((c & 0x7f) <= 0x7c) { // finite or Inf
      EXPECT_EQ(f32ToF8E5M2(f8E5M2ToF32(code), Overflow::NonSaturate), code);
    }
    EXPECT_EQ(f32ToE8M0(e8m0ToF32(code)), code);
  }
  EXPECT_EQ(f32ToF8E5M2(f8E5M2ToF32(0x7c)), 0x7b); // Inf saturates
  for (uint32_t c = 0; c < 16; ++c)
    EXPECT_EQ(f32ToF4E2M1(f4E2M1ToF32(uint8_t(c))), c);
  for (uint32_t c = 0; c < 65536; ++c) {
    const bool bfNaN = (c & 0x7fff) > 0x7f80;
    // NaNs come back quiet with sign and payload.
    ASSERT_EQ(f32ToBf16(bf16ToF32(uint16_t(c))), bfNaN ? (c | 0x40) : c);
    const bool hNaN = (c & 0x7fff) > 0x7c00;
    ASSERT_EQ(f32ToF16(f16ToF32(uint16_t(c))), hNaN ? (c | 0x200) : c);
  }
}

TEST(NumericsConstants, MaxFiniteAndUnitRoundoff) {
  EXPECT_EQ(maxFinite(DType::F8E4M3), f8E4M3ToF32(0x7e));
  EXPECT_EQ(maxFinite(DType::F8E5M2), f8E5M2ToF32(0x7b));
  EXPECT_EQ(maxFinite(DType::F4E2M1), f4E2M1ToF32(0x7));
  EXPECT_EQ(maxFinite(DType::E8M0), e8m0ToF32(0xfe));
  EXPECT_EQ(maxFinite(DType::BF16), bf16ToF32(0x7f7f));
  EXPECT_EQ(maxFinite(DType::F16), f16ToF32(0x7bff));
  EXPECT_EQ(maxFinite(DType::F32), double(std::numeric_limits<float>::max()));
  EXPECT_EQ(maxFinite(DType::I8), 127.0);
  EXPECT_EQ(unitRoundoff(DType::F8E4M3), 0x1p-4);
  EXPECT_EQ(unitRoundoff(DType::F8E5M2), 0x1p-3);
  EXPECT_EQ(unitRoundoff(DType::F4E2M1), 0x1p-2);
  EXPECT_EQ(unitRoundoff(DType::BF16), 0x1p-8);
  EXPECT_EQ(unitRoundoff(DType::F16), 0x1p-11);
  EXPECT_EQ(unitRoundoff(DType::F32), 0x1p-24);
  EXPECT_EQ(unitRoundoff(DType::I32), 0.0);
  // u bounds the relative RNE error of every normal value (checked on E4M3/E5M2).
  for (DType t : {DType::F8E4M3, DType::F8E5M2}) {
    std::mt19937 g(7);
    std::uniform_real_distribution<float> d(1.0f, 400.0f);
    for (int i = 0; i < 10000; ++i) {
      float x = d(g), y = x;
      roundTripInPlace(t, &y, 1);
      EXPECT_LE(std::fabs(y - x) / x, unitRoundoff(t));
    }
  }
}
