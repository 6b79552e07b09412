//===- Numerics.cpp - Exact FP8/FP4/BF16/F16/E8M0/int conversions ---------===//
//
// Policy in Numerics.h and docs/numerics.md. Decoding FP8/FP4/E8M0 uses
// tables built once from the format definitions; encoding shares the bit
// algorithm of NumericsInternal.h with the Highway kernels.
//
//===----------------------------------------------------------------------===//
#include "trn/runtime/Numerics.h"

#include "NumericsInternal.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace trnrt {

using detail::bitsOf;
using detail::floatOf;

namespace {

/// Exact value of a code of a format with E exponent bits, M mantissa bits,
/// bias B; `nanOnlyAllOnes` = E4M3FN (only S.1111.111 is NaN, no Inf),
/// `ieeeSpecials` = E5M2 (all-ones exponent is Inf/NaN). NaN decodes to a
/// quiet NaN keeping sign and mantissa bits.
float decodeMini(uint32_t code, int E, int M, int B, bool nanOnlyAllOnes, bool ieeeSpecials) {
  const uint32_t sign = (code >> (E + M)) & 1;
  const uint32_t exp = (code >> M) & ((1u << E) - 1);
  const uint32_t mant = code & ((1u << M) - 1);
  const bool expAllOnes = exp == (1u << E) - 1;
  if ((ieeeSpecials && expAllOnes) || (nanOnlyAllOnes && expAllOnes && mant == (1u << M) - 1)) {
    uint32_t o = 0x7f800000u | (mant << (23 - M));
    if (mant)
      o |= 0x400000u;
    return floatOf(o | sign << 31);
  }
  // ldexp of a small integer is exact for every format here.
  const float mag = exp == 0 ? std::ldexp(float(mant), 1 - B - M)
                             : std::ldexp(float(mant | (1u << M)), int(exp) - B - M);
  return sign ? -mag : mag;
}

struct DecodeTables {
  std::array<float, 256> e4m3, e5m2, e8m0;
  std::array<float, 16> e2m1;
  std::array<std::array<float, 2>, 256> e2m1Pair; // byte -> (low, high) nibble values
  DecodeTables() {
    for (uint32_t c = 0; c < 256; ++c) {
      e4m3[c] = decodeMini(c, 4, 3, 7, true, false);
      e5m2[c] = decodeMini(c, 5, 2, 15, false, true);
      // 2^-127 is an f32 subnormal (0x00400000); codes >= 1 are normal.
      e8m0[c] = c == 0xff ? floatOf(0x7fc00000u) : c == 0 ? floatOf(0x00400000u) : floatOf(c << 23);
    }
    for (uint32_t c = 0; c < 16; ++c)
      e2m1[c] = decodeMini(c, 2, 1, 1, false, false);
    for (uint32_t b = 0; b < 256; ++b)
      e2m1Pair[b] = {e2m1[b & 15], e2m1[b >> 4]};
  }
};

const DecodeTables &tables() {
  static const DecodeTables t;
  return t;
}

/// RNE to an integral float without libm (rintf is a call on baseline x86):
/// adding 2^23 pushes the fraction out of the mantissa with the FPU's RNE.
inline float roundEven(float x) {
  const float a = std::fabs(x);
  if (!(a < 8388608.0f)) // already integral (or NaN)
    return x;
  return std::copysign((a + 8388608.0f) - 8388608.0f, x);
}

template <typename I> I floatToInt(float x) {
  if (std::isnan(x))
    return 0;
  const float r = roundEven(x);
  // Bounds as exact floats: lowest() is a power of two (or 0); max()+1 too.
  constexpr float lo = float(std::numeric_limits<I>::lowest());
  constexpr float hiExcl = float(std::numeric_limits<I>::max()) + 1.0f;
  if (r < lo)
    return std::numeric_limits<I>::lowest();
  if (r >= hiExcl)
    return std::numeric_limits<I>::max();
  return static_cast<I>(r);
}
static_assert(float(std::numeric_limits<int32_t>::max()) + 1.0f == 2147483648.0f);
static_assert(float(std::numeric_limits<uint32_t>::max()) + 1.0f == 4294967296.0f);

template <typename I> void decodeInts(const uint8_t *src, uint64_t first, float *dst, size_t n) {
  const uint8_t *p = src + first * sizeof(I);
  for (size_t i = 0; i < n; ++i) {
    I v;
    std::memcpy(&v, p + i * sizeof(I), sizeof(I));
    dst[i] = static_cast<float>(v);
  }
}

template <typename I> void encodeInts(const float *src, uint8_t *dst, uint64_t first, size_t n) {
  uint8_t *p = dst + first * sizeof(I);
  for (size_t i = 0; i < n; ++i) {
    const I v = floatToInt<I>(src[i]);
    std::memcpy(p + i * sizeof(I), &v, sizeof(I));
  }
}

template <size_t N>
void decodeByTable(const std::array<float, N> &t, const uint8_t *src, float *dst, size_t n) {
  for (size_t i = 0; i < n; ++i)
    dst[i] = t[src[i]];
}

void decodeF4(const uint8_t *src, uint64_t first, float *dst, size_t n) {
  const auto &t = tables();
  if (n == 0)
    return;
  const uint8_t *p = src + first / 2;
  size_t i = 0;
  if (first & 1) { // leading high nibble
    dst[i++] = t.e2m1[*p++ >> 4];
  }
  for (; i + 2 <= n; i += 2) {
    const auto &pair = t.e2m1Pair[*p++];
    dst[i] = pair[0];
    dst[i + 1] = pair[1];
  }
  if (i < n)
    dst[i] = t.e2m1[*p & 15];
}

void packF4(const uint8_t *codes, uint8_t *dst, uint64_t first, size_t n) {
  if (n == 0)
    return;
  uint8_t *p = dst + first / 2;
  size_t i = 0;
  if (first & 1) {
    *p = uint8_t((*p & 0x0f) | codes[i++] << 4);
    ++p;
  }
  for (; i + 2 <= n; i += 2)
    *p++ = uint8_t(codes[i] | codes[i + 1] << 4);
  if (i < n)
    *p = uint8_t((*p & 0xf0) | codes[i]);
}

/// Stack chunk for conversions that need an intermediate buffer.
constexpr size_t kChunk = 1024;

[[noreturn]] void badDType(const char *what, DType t) {
  throw std::invalid_argument(std::string(what) + ": unsupported dtype " +
                              std::to_string(static_cast<unsigned>(t)));
}

} // namespace

//===----------------------------------------------------------------------===//
// Scalar conversions
//===----------------------------------------------------------------------===//

uint16_t f32ToBf16(float x) { return detail::encodeBf16(x); }
float bf16ToF32(uint16_t b) { return floatOf(uint32_t(b) << 16); }
uint16_t f32ToF16(float x) { return uint16_t(detail::encodeMini<detail::FmtF16>(x, false)); }
float f16ToF32(uint16_t h) { return detail::decodeF16(h); }

uint8_t f32ToF8E4M3(float x, Overflow o) {
  return uint8_t(detail::encodeMini<detail::FmtE4M3>(x, o == Overflow::Saturate));
}
float f8E4M3ToF32(uint8_t c) { return tables().e4m3[c]; }
uint8_t f32ToF8E5M2(float x, Overflow o) {
  return uint8_t(detail::encodeMini<detail::FmtE5M2>(x, o == Overflow::Saturate));
}
float f8E5M2ToF32(uint8_t c) { return tables().e5m2[c]; }
uint8_t f32ToF4E2M1(float x) { return uint8_t(detail::encodeMini<detail::FmtE2M1>(x, true)); }
float f4E2M1ToF32(uint8_t code) { return tables().e2m1[code & 15]; }
float e8m0ToF32(uint8_t c) { return tables().e8m0[c]; }

uint8_t f32ToE8M0(float x, Overflow o) {
  // Same selects as the Highway kernel EncodeE8M0.
  const uint32_t u = bitsOf(x);
  const uint32_t exp = u >> 23, mant = u & 0x7fffffu; // exp includes the sign bit
  // Normal: x = 2^(exp-127) * 1.f rounds up past the midpoint 1.5, ties to
  // the even code. Below 2^-126 the choice is 2^-127 (code 0) or 2^-126
  // (code 1) with the midpoint 1.5 * 2^-127 = 0x00600000 tying to code 0, so
  // nothing underflows to a (nonexistent) zero.
  const uint32_t normal = exp + ((mant + 0x3fffffu + (exp & 1)) >> 23);
  const uint32_t subnormal = mant > 0x600000u ? 1 : 0;
  const uint32_t top = o == Overflow::Saturate ? 0xfe : 0xff;
  uint32_t code = exp == 0 ? subnormal : normal;
  code = code > 0xfe ? top : code;           // overflow and +Inf (exp 255)
  code = u > 0x7f800000u ? 0xff : code;      // NaN or negative: unrepresentable
  code = (u & 0x7fffffffu) == 0 ? 0 : code; // +-0: smallest scale
  return uint8_t(code);
}

//===----------------------------------------------------------------------===//
// Whole-array conversions
//===----------------------------------------------------------------------===//

void decodeToF32(DType t, const uint8_t *src, uint64_t first, float *dst, size_t n) {
  const auto &tb = tables();
  switch (t) {
  case DType::F32:
    std::memcpy(dst, src + first * 4, n * 4);
    return;
  case DType::BF16:
  case DType::F16: {
    // Source may be unaligned: copy through an aligned chunk.
    uint16_t tmp[kChunk];
    for (size_t done = 0; done < n;) {
      const size_t m = std::min(kChunk, n - done);
      std::memcpy(tmp, src + (first + done) * 2, m * 2);
      if (t == DType::BF16)
        detail::simdDecodeBf16(tmp, dst + done, m);
      else
        detail::simdDecodeF16(tmp, dst + done, m);
      done += m;
    }
    return;
  }
  case DType::F8E4M3:
    return decodeByTable(tb.e4m3, src + first, dst, n);
  case DType::F8E5M2:
    return decodeByTable(tb.e5m2, src + first, dst, n);
  case DType::E8M0:
    return decodeByTable(tb.e8m0, src + first, dst, n);
  case DType::F4E2M1:
    return decodeF4(src, first, dst, n);
  case DType::I32:
    return decodeInts<int32_t>(src, first, dst, n);
  case DType::U32:
    return decodeInts<uint32_t>(src, first, dst, n);
  case DType::I8:
    return decodeInts<int8_t>(src, first, dst, n);
  case DType::U8:
    return decodeInts<uint8_t>(src, first, dst, n);
  }
  badDType("decodeToF32", t);
}

void encodeFromF32(DType t, const float *src, uint8_t *dst, uint64_t first, size_t n,
                   Overflow o) {
  const bool sat = o == Overflow::Saturate;
  switch (t) {
  case DType::F32:
    std::memcpy(dst + first * 4, src, n * 4);
    return;
  case DType::BF16:
  case DType::F16: {
    uint16_t tmp[kChunk];
    for (size_t done = 0; done < n;) {
      const size_t m = std::min(kChunk, n - done);
      if (t == DType::BF16)
        detail::simdEncodeBf16(src + done, tmp, m);
      else
        detail::simdEncodeF16(src + done, tmp, m);
      std::memcpy(dst + (first + done) * 2, tmp, m * 2);
      done += m;
    }
    return;
  }
  case DType::F8E4M3:
    return detail::simdEncodeE4M3(src, dst + first, n, sat);
  case DType::F8E5M2:
    return detail::simdEncodeE5M2(src, dst + first, n, sat);
  case DType::E8M0:
    return detail::simdEncodeE8M0(src, dst + first, n, sat);
  case DType::F4E2M1: {
    uint8_t codes[kChunk];
    for (size_t done = 0; done < n;) {
      const size_t m = std::min(kChunk, n - done);
      detail::simdEncodeE2M1(src + done, codes, m);
      packF4(codes, dst, first + done, m);
      done += m;
    }
    return;
  }
  case DType::I32:
    return encodeInts<int32_t>(src, dst, first, n);
  case DType::U32:
    return encodeInts<uint32_t>(src, dst, first, n);
  case DType::I8:
    return encodeInts<int8_t>(src, dst, first, n);
  case DType::U8:
    return encodeInts<uint8_t>(src, dst, first, n);
  }
  badDType("encodeFromF32", t);
}

void roundTripInPlace(DType t, float *data, size_t n) {
  if (t == DType::F32)
    return;
  // 4 bytes per element covers every dtype; FP4 is handled unpacked.
  uint8_t tmp[kChunk * 4];
  const auto &tb = tables();
  for (size_t done = 0; done < n;) {
    const size_t m = std::min(kChunk, n - done);
    float *p = data + done;
    if (t == DType::F4E2M1) {
      detail::simdEncodeE2M1(p, tmp, m);
      decodeByTable(tb.e2m1, tmp, p, m);
    } else {
      encodeFromF32(t, p, tmp, 0, m, Overflow::Saturate);
      decodeToF32(t, tmp, 0, p, m);
    }
    done += m;
  }
}

//===----------------------------------------------------------------------===//
// OCP MX
//===----------------------------------------------------------------------===//

int mxElemEmax(DType elem) {
  switch (elem) {
  case DType::F8E4M3:
    return detail::FmtE4M3::Emax;
  case DType::F8E5M2:
    return detail::FmtE5M2::Emax;
  case DType::F4E2M1:
    return detail::FmtE2M1::Emax;
  default:
    badDType("MX element format", elem);
  }
}

uint8_t mxScaleE8M0(const float *block, size_t n, DType elem) {
  const int emax = mxElemEmax(elem);
  uint32_t amaxBits = 0; // |x| bits order like |x| for non-NaN values
  for (size_t i = 0; i < n; ++i)
    amaxBits = std::max(amaxBits, bitsOf(block[i]) & 0x7fffffffu);
  if (amaxBits >= 0x7f800000u)
    return 0xff; // NaN, or Inf (log2(Inf) > 127)
  int e;
  if (amaxBits == 0)
    e = -126; // FP32 smallest normal stands in for 0
  else if (amaxBits >= 0x00800000u)
    e = int(amaxBits >> 23) - 127;
  else // subnormal: position of the leading mantissa bit
    e = (31 - __builtin_clz(amaxBits)) - 149;
  int s = e - emax;
  if (s > 127)
    return 0xff;
  if (s < -127)
    s = -127;
  return uint8_t(s + 127);
}

void mxQuantizeBlock(const float *block, size_t n, DType elem, uint8_t scale, uint8_t *dstCodes) {
  mxElemEmax(elem); // validates elem
  if (scale == 0xff) {
    const uint8_t nan = elem == DType::F8E4M3 ? 0x7f : elem == DType::F8E5M2 ? 0x7e : 0x00;
    std::memset(dstCodes, nan, n);
    return;
  }
  // 1/X = 2^(127 - scale) is exact in f32 (2^-127 is subnormal). V * 2^-s is
  // exact unless it leaves the f32 range: overflow saturates as the exact
  // quotient would, and f32-subnormal results are far below half the
  // smallest element subnormal, so both still round to the right code.
  const float inv = e8m0ToF32(uint8_t(254 - scale));
  float tmp[kChunk];
  for (size_t done = 0; done < n;) {
    const size_t m = std::min(kChunk, n - done);
    for (size_t i = 0; i < m; ++i)
      tmp[i] = block[done + i] * inv;
    if (elem == DType::F8E4M3)
      detail::simdEncodeE4M3(tmp, dstCodes + done, m, true);
    else if (elem == DType::F8E5M2)
      detail::simdEncodeE5M2(tmp, dstCodes + done, m, true);
    else
      detail::simdEncodeE2M1(tmp, dstCodes + done, m);
    done += m;
  }
}

//===----------------------------------------------------------------------===//
// Format constants
//===----------------------------------------------------------------------===//

double maxFinite(DType t) {
  switch (t) {
  case DType::F32:
    return std::numeric_limits<float>::max();
  case DType::BF16:
    return std::ldexp(2.0 - std::ldexp(1.0, -7), 127);
  case DType::F16:
    return 65504.0;
  case DType::F8E4M3:
    return 448.0;
  case DType::F8E5M2:
    return 57344.0;
  case DType::F4E2M1:
    return 6.0;
  case DType::E8M0:
    return std::ldexp(1.0, 127);
  case DType::I32:
    return std::numeric_limits<int32_t>::max();
  case DType::U32:
    return std::numeric_limits<uint32_t>::max();
  case DType::I8:
    return std::numeric_limits<int8_t>::max();
  case DType::U8:
    return std::numeric_limits<uint8_t>::max();
  }
  badDType("maxFinite", t);
}

double unitRoundoff(DType t) {
  int mantBits;
  switch (t) {
  case DType::F32: mantBits = 23; break;
  case DType::BF16: mantBits = 7; break;
  case DType::F16: mantBits = 10; break;
  case DType::F8E4M3: mantBits = 3; break;
  case DType::F8E5M2: mantBits = 2; break;
  case DType::F4E2M1: mantBits = 1; break;
  case DType::E8M0: mantBits = 0; break;
  case DType::I32:
  case DType::U32:
  case DType::I8:
  case DType::U8:
    return 0.0;
  default:
    badDType("unitRoundoff", t);
  }
  return std::ldexp(1.0, -(mantBits + 1));
}

} // namespace trnrt
