//===- NumericsBulkTest.cpp - whole-array paths, packing, ints, MX --------===//
//
// decodeToF32/encodeFromF32 run the Highway kernels and tables; they must
// agree bit for bit with the scalar API (itself checked against APFloat in
// NumericsTest.cpp) for every length (SIMD tails) and element offset.
//
//===----------------------------------------------------------------------===//
#include "trn/runtime/Numerics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace trnrt;

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

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

/// A mix of raw bit patterns (NaN payloads, Inf, f32 subnormals) and values
/// in the narrow formats' ranges.
std::vector<float> randomInputs(size_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<float> v(n);
  for (float &x : v) {
    if (g() % 3 == 0)
      x = floatOf(uint32_t(g()));
    else
      x = std::ldexp(float(int64_t(g() % 2001) - 1000) / 64.0f, int(g() % 50) - 30);
  }
  return v;
}

/// Scalar encoding of one element (the reference for the bulk path).
uint32_t scalarEncode(DType t, float x, Overflow o) {
  switch (t) {
  case DType::BF16: return f32ToBf16(x);
  case DType::F16: return f32ToF16(x);
  case DType::F8E4M3: return f32ToF8E4M3(x, o);
  case DType::F8E5M2: return f32ToF8E5M2(x, o);
  case DType::F4E2M1: return f32ToF4E2M1(x);
  case DType::E8M0: return f32ToE8M0(x, o);
  default: ADD_FAILURE() << "not a narrow float"; return 0;
  }
}

float scalarDecode(DType t, uint32_t c) {
  switch (t) {
  case DType::BF16: return bf16ToF32(uint16_t(c));
  case DType::F16: return f16ToF32(uint16_t(c));
  case DType::F8E4M3: return f8E4M3ToF32(uint8_t(c));
  case DType::F8E5M2: return f8E5M2ToF32(uint8_t(c));
  case DType::F4E2M1: return f4E2M1ToF32(uint8_t(c));
  case DType::E8M0: return e8m0ToF32(uint8_t(c));
  default: ADD_FAILURE() << "not a narrow float"; return 0;
  }
}

/// Element `i` of a packed array of dtype `t`.
uint32_t codeAt(DType t, const std::vector<uint8_t> &buf, uint64_t i) {
  switch (t) {
  case DType::BF16:
  case DType::F16: {
    uint16_t v;
    std::memcpy(&v, buf.data() + 2 * i, 2);
    return v;
  }
  case DType::F4E2M1: return (buf[i / 2] >> (4 * (i & 1))) & 15;
  default: return buf[i];
  }
}

const DType kNarrowFloats[] = {DType::BF16,   DType::F16,    DType::F8E4M3,
                               DType::F8E5M2, DType::F4E2M1, DType::E8M0};

} // namespace

TEST(NumericsBulk, EncodeMatchesScalarForEveryLengthAndOffset) {
  const std::vector<float> in = randomInputs(4096 + 77, 1);
  for (DType t : kNarrowFloats) {
    for (Overflow o : {Overflow::Saturate, Overflow::NonSaturate}) {
      for (uint64_t first : {0, 1, 2, 3, 7}) {
        for (size_t n : {size_t(0), size_t(1), size_t(3), size_t(15), size_t(16), size_t(17),
                         size_t(63), in.size()}) {
          std::vector<uint8_t> buf(8 + 2 * (first + n) + 8, 0xA5);
          encodeFromF32(t, in.data(), buf.data(), first, n, o);
          for (size_t i = 0; i < n; ++i)
            ASSERT_EQ(codeAt(t, buf, first + i), scalarEncode(t, in[i], o))
                << dtypeName(t) << " first=" << first << " n=" << n << " i=" << i;
          // Nothing outside [first, first + n) is touched.
          const uint64_t bits = dtypeBits(t);
          const uint64_t lo = first * bits, hi = (first + n) * bits;
          for (uint64_t b = 0; b < buf.size() * 8; b += 4) {
            if (b >= lo && b < hi)
              continue;
            ASSERT_EQ((buf[b / 8] >> (b % 8)) & 15, (0xA5 >> (b % 8)) & 15)
                << dtypeName(t) << " nibble at bit " << b;
          }
        }
      }
    }
  }
}

TEST(NumericsBulk, DecodeEveryCodeMatchesScalarBitExactly) {
  for (DType t : kNarrowFloats) {
    const uint32_t numCodes = dtypeBits(t) == 16 ? 65536 : dtypeBits(t) == 8 ? 256 : 16;
    for (uint64_t first : {0, 1, 5}) {
      std::vector<uint8_t> buf(dtypeBytes(t, first + numCodes), 0);
      for (uint32_t c = 0; c < numCodes; ++c) {
        const uint64_t i = first + c;
        if (t == DType::F4E2M1)
          buf[i / 2] |= uint8_t(c << (4 * (i & 1)));
        else if (dtypeBits(t) == 16)
          std::memcpy(buf.data() + 2 * i, &c, 2); // little-endian host
        else
          buf[i] = uint8_t(c);
      }
      std::vector<float> out(numCodes);
      decodeToF32(t, buf.data(), first, out.data(), numCodes);
      for (uint32_t c = 0; c < numCodes; ++c)
        ASSERT_EQ(bitsOf(out[c]), bitsOf(scalarDecode(t, c)))
            << dtypeName(t) << " code " << c << " first " << first;
    }
  }
}

TEST(NumericsBulk, Fp4NibbleOrder) {
  // Element 2i is the low nibble of byte i.
  const float v[5] = {0.5f, -1.0f, 6.0f, -0.0f, 3.0f}; // codes 1, 0xa, 7, 8, 5
  std::vector<uint8_t> buf(4, 0xff);
  encodeFromF32(DType::F4E2M1, v, buf.data(), 0, 5);
  EXPECT_EQ(buf[0], 0xa1);
  EXPECT_EQ(buf[1], 0x87);
  EXPECT_EQ(buf[2], 0xf5); // high nibble of byte 2 untouched
  EXPECT_EQ(buf[3], 0xff);
  // Odd start: element 3 = high nibble of byte 1.
  std::fill(buf.begin(), buf.end(), 0x00);
  encodeFromF32(DType::F4E2M1, v, buf.data(), 3, 4);
  EXPECT_EQ(buf[0], 0x00);
  EXPECT_EQ(buf[1], 0x10);
  EXPECT_EQ(buf[2], 0x7a);
  EXPECT_EQ(buf[3], 0x08);
  float out[4];
  decodeToF32(DType::F4E2M1, buf.data(), 3, out, 4);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(bitsOf(out[i]), bitsOf(v[i])) << i;
  decodeToF32(DType::F4E2M1, buf.data(), 5, out, 1);
  EXPECT_EQ(out[0], 6.0f);
}

TEST(NumericsBulk, IntegerConversions) {
  const float in[] = {2.5f,  3.5f,   -2.5f, -3.5f, 0.49999997f, 127.4f, 127.5f, -128.5f,
                      -200,  255.5f, 254.5f, -0.6f, kNaN, kInf, -kInf, 1e10f, -1e10f,
                      2147483520.0f, 2147483648.0f, -2147483648.0f, 4294967040.0f,
                      4294967296.0f, 16777217.0f, -0.0f};
  const size_t n = sizeof(in) / sizeof(in[0]);
  // Independent reference: long double RNE (nearbyint under the default
  // rounding mode) and clamping; NaN -> 0.
  auto ref = [](float x, long double lo, long double hi) -> long double {
    if (std::isnan(x))
      return 0;
    const long double r = std::nearbyint(static_cast<long double>(x));
    return std::min(std::max(r, lo), hi);
  };
  std::vector<uint8_t> buf(4 * n);
  std::vector<float> back(n);
  auto check = [&](DType t, long double lo, long double hi, auto tag) {
    using I = decltype(tag);
    encodeFromF32(t, in, buf.data(), 0, n);
    for (size_t i = 0; i < n; ++i) {
      I v;
      std::memcpy(&v, buf.data() + i * sizeof(I), sizeof(I));
      EXPECT_EQ(static_cast<long double>(v), ref(in[i], lo, hi)) << dtypeName(t) << " " << in[i];
    }
    decodeToF32(t, buf.data(), 0, back.data(), n);
    for (size_t i = 0; i < n; ++i) {
      I v;
      std::memcpy(&v, buf.data() + i * sizeof(I), sizeof(I));
      EXPECT_EQ(back[i], static_cast<float>(v));
    }
  };
  check(DType::I8, -128, 127, int8_t());
  check(DType::U8, 0, 255, uint8_t());
  check(DType::I32, -2147483648.0L, 2147483647.0L, int32_t());
  check(DType::U32, 0, 4294967295.0L, uint32_t());
  // Spot checks of the policy.
  int8_t i8;
  float x = 2.5f;
  encodeFromF32(DType::I8, &x, reinterpret_cast<uint8_t *>(&i8), 0, 1);
  EXPECT_EQ(i8, 2);
  x = kNaN;
  encodeFromF32(DType::I8, &x, reinterpret_cast<uint8_t *>(&i8), 0, 1);
  EXPECT_EQ(i8, 0);
  int32_t i32;
  x = 2147483648.0f;
  encodeFromF32(DType::I32, &x, reinterpret_cast<uint8_t *>(&i32), 0, 1);
  EXPECT_EQ(i32, std::numeric_limits<int32_t>::max());
  // Decode: exact where representable, RNE otherwise (2^24 + 1 -> 2^24).
  const int32_t big[2] = {16777217, std::numeric_limits<int32_t>::max()};
  float f[2];
  decodeToF32(DType::I32, reinterpret_cast<const uint8_t *>(big), 0, f, 2);
  EXPECT_EQ(f[0], 16777216.0f);
  EXPECT_EQ(f[1], 2147483648.0f);
}

TEST(NumericsBulk, RoundTripInPlaceIsEncodeThenDecode) {
  const std::vector<float> in = randomInputs(3000, 2);
  for (DType t : {DType::F32, DType::BF16, DType::F16, DType::F8E4M3, DType::F8E5M2,
                  DType::F4E2M1, DType::E8M0, DType::I32, DType::U32, DType::I8, DType::U8}) {
    std::vector<float> v = in;
    roundTripInPlace(t, v.data(), v.size());
    std::vector<uint8_t> buf(4 * in.size());
    std::vector<float> want(in.size());
    encodeFromF32(t, in.data(), buf.data(), 0, in.size());
    decodeToF32(t, buf.data(), 0, want.data(), in.size());
    for (size_t i = 0; i < in.size(); ++i)
      ASSERT_EQ(bitsOf(v[i]), bitsOf(want[i])) << dtypeName(t) << " " << in[i];
  }
  // Idempotent: representable values are fixed points.
  std::vector<float> v = {448.0f, -0x1p-9f, 1.125f, 0.0f};
  roundTripInPlace(DType::F8E4M3, v.data(), v.size());
  EXPECT_EQ(v, (std::vector<float>{448.0f, -0x1p-9f, 1.125f, 0.0f}));
}

//===----------------------------------------------------------------------===//
// OCP MX
//===----------------------------------------------------------------------===//

TEST(NumericsMx, ScaleEdgeCases) {
  std::vector<float> zero(32, 0.0f);
  for (DType e : {DType::F8E4M3, DType::F8E5M2, DType::F4E2M1}) {
    SCOPED_TRACE(dtypeName(e));
    // amax == 0: log2(2^-126) - emax < -127 clamps to the smallest scale.
    EXPECT_EQ(mxScaleE8M0(zero.data(), 32, e), 0x00);
    EXPECT_EQ(mxScaleE8M0(zero.data(), 0, e), 0x00);
    std::vector<float> b(32, 1.0f);
    b[17] = kNaN;
    EXPECT_EQ(mxScaleE8M0(b.data(), 32, e), 0xff);
    b[17] = -kInf;
    EXPECT_EQ(mxScaleE8M0(b.data(), 32, e), 0xff);
    // Subnormal amax (2^-140): exponent -140 - emax clamps to -127.
    b.assign(32, 0.0f);
    b[3] = -0x1p-140f;
    EXPECT_EQ(mxScaleE8M0(b.data(), 32, e), 0x00);
    // Huge block: floor(log2(FLT_MAX)) = 127.
    b[3] = -std::numeric_limits<float>::max();
    EXPECT_EQ(mxScaleE8M0(b.data(), 32, e), 127 - mxElemEmax(e) + 127);
  }
  // Tiny normal amax 2^-120 (+ mantissa): floor(log2) = -120.
  const float tiny[2] = {0x1.fp-120f, 0x1p-121f};
  EXPECT_EQ(mxScaleE8M0(tiny, 2, DType::F8E4M3), 0x00); // -128 clamps
  EXPECT_EQ(mxScaleE8M0(tiny, 2, DType::F4E2M1), 5);    // -122 + 127
  EXPECT_EQ(mxScaleE8M0(tiny, 2, DType::F8E5M2), 0x00); // -135 clamps
  // Subnormal amax with a higher leading bit: 3 * 2^-140 -> floor(log2) = -139.
  const float sub = 3 * 0x1p-140f;
  EXPECT_EQ(mxScaleE8M0(&sub, 1, DType::F4E2M1), 0x00);
  EXPECT_EQ(mxElemEmax(DType::F8E4M3), 8);
  EXPECT_EQ(mxElemEmax(DType::F8E5M2), 15);
  EXPECT_EQ(mxElemEmax(DType::F4E2M1), 2);
  EXPECT_THROW(mxElemEmax(DType::BF16), std::invalid_argument);
}

TEST(NumericsMx, HandComputedBlock) {
  // amax 200: floor(log2 200) = 7.
  std::vector<float> b(32, 0.0f);
  b[0] = 1.0f;
  b[1] = -3.5f;
  b[2] = 0.3f;
  b[3] = 200.0f;
  b[4] = -0.0f;
  // E4M3: shared exp 7 - 8 = -1 -> code 126, X = 0.5; V / X = 2, -7, 0.6, 400.
  ASSERT_EQ(mxScaleE8M0(b.data(), 32, DType::F8E4M3), 126);
  std::vector<uint8_t> q(32, 0xee);
  mxQuantizeBlock(b.data(), 32, DType::F8E4M3, 126, q.data());
  EXPECT_EQ(q[0], 0x40); // 2 = 1.0 * 2^1
  EXPECT_EQ(q[1], 0xce); // -7 = -1.75 * 2^2
  EXPECT_EQ(q[2], 0x32); // 0.6 = 1.2 * 2^-1 -> 1.25 * 2^-1 (mantissa 1.6 -> 2)
  EXPECT_EQ(q[3], 0x7c); // 400 = 1.5625 * 2^8: tie between 384 and 416 -> 384 (even)
  EXPECT_EQ(q[4], 0x80);
  EXPECT_EQ(q[5], 0x00);
  // E2M1: 7 - 2 = 5 -> code 132, X = 32; V / X = 0.03125, -0.109, 0.009, 6.25.
  ASSERT_EQ(mxScaleE8M0(b.data(), 32, DType::F4E2M1), 132);
  mxQuantizeBlock(b.data(), 32, DType::F4E2M1, 132, q.data());
  EXPECT_EQ(q[0], 0x0);
  EXPECT_EQ(q[1], 0x8); // -0
  EXPECT_EQ(q[2], 0x0);
  EXPECT_EQ(q[3], 0x7); // 6.25 -> 6
  // E5M2: 7 - 15 = -8 -> code 119, X = 2^-8; 200 * 256 = 51200 -> 49152 (0x7a).
  ASSERT_EQ(mxScaleE8M0(b.data(), 32, DType::F8E5M2), 119);
  mxQuantizeBlock(b.data(), 32, DType::F8E5M2, 119, q.data());
  EXPECT_EQ(q[3], 0x7a);
  EXPECT_EQ(q[1], 0xe3); // -3.5 * 256 = -896 = -1.75 * 2^9 (exponent field 24)
}

TEST(NumericsMx, OcpRuleClipsTheBlockMaxAndSaturates) {
  // amax 500: X = 2^(8-8) = 1 and 500 > 464 would overflow E4M3: saturate.
  const float b[3] = {500.0f, -500.0f, 1e-9f};
  const uint8_t s = mxScaleE8M0(b, 3, DType::F8E4M3);
  EXPECT_EQ(s, 127);
  uint8_t q[3];
  mxQuantizeBlock(b, 3, DType::F8E4M3, s, q);
  EXPECT_EQ(q[0], 0x7e);
  EXPECT_EQ(q[1], 0xfe);
  EXPECT_EQ(q[2], 0x00);
  // An explicit too-small scale also saturates (no NaN/Inf from elements).
  mxQuantizeBlock(b, 2, DType::F8E5M2, 0, q);
  EXPECT_EQ(q[0], 0x7b);
  EXPECT_EQ(q[1], 0xfb);
}

TEST(NumericsMx, NanScaleMarksTheWholeBlock) {
  std::vector<float> b(32, 1.0f);
  b[9] = kNaN;
  const uint8_t s = mxScaleE8M0(b.data(), 32, DType::F8E4M3);
  ASSERT_EQ(s, 0xff);
  std::vector<uint8_t> q(32);
  mxQuantizeBlock(b.data(), 32, DType::F8E4M3, s, q.data());
  for (uint8_t c : q)
    EXPECT_EQ(c, 0x7f);
  mxQuantizeBlock(b.data(), 32, DType::F8E5M2, 0xff, q.data());
  for (uint8_t c : q)
    EXPECT_EQ(c, 0x7e);
  mxQuantizeBlock(b.data(), 32, DType::F4E2M1, 0xff, q.data());
  for (uint8_t c : q)
    EXPECT_EQ(c, 0x0);
}

TEST(NumericsMx, RandomBlocksRoundTripWithinTheFormatError) {
  // Dequantized elements are within half a grid step of the top binade,
  // 2^(emax-M-1) * X, of the input; the block max may instead be clipped to
  // max * X, an error of at most (2^(emax+1) - max) * X (64X for E4M3).
  std::mt19937 g(3);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (DType e : {DType::F8E4M3, DType::F8E5M2, DType::F4E2M1}) {
    const int emax = mxElemEmax(e);
    const int m = e == DType::F8E4M3 ? 3 : e == DType::F8E5M2 ? 2 : 1;
    for (int blk = 0; blk < 2000; ++blk) {
      float v[32];
      const float mag = std::ldexp(1.0f, int(g() % 60) - 30);
      for (float &x : v)
        x = d(g) * mag;
      const uint8_t s = mxScaleE8M0(v, 32, e);
      ASSERT_NE(s, 0xff);
      uint8_t q[32];
      mxQuantizeBlock(v, 32, e, s, q);
      const double X = std::ldexp(1.0, int(s) - 127);
      // Largest gap in the top binade is 2^(emax - m) * X; RNE error <= half
      // of it; clipping of the block max adds at most 2^(emax+1)X - max*X.
      const double clip = (std::ldexp(1.0, emax + 1) - maxFinite(e)) * X;
      const double bound = std::max(std::ldexp(1.0, emax - m - 1) * X, clip);
      for (int i = 0; i < 32; ++i) {
        float dq;
        decodeToF32(e, &q[i], 0, &dq, 1); // one code per byte; FP4 low nibble
        ASSERT_LE(std::fabs(double(dq) * X - double(v[i])), bound)
            << dtypeName(e) << " " << v[i] << " scale " << int(s);
      }
    }
  }
}
