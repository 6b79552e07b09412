//===- NumericsInternal.h - shared by the scalar and SIMD converters ------===//
//
// Narrow float formats are described by one template so the scalar path (the
// public per-value API) and the Highway kernels run the same bit algorithm and
// agree bit for bit (NumericsTest checks that on random bit patterns).
//
//===----------------------------------------------------------------------===//
#ifndef TRN_RUNTIME_LIB_NUMERICS_NUMERICSINTERNAL_H
#define TRN_RUNTIME_LIB_NUMERICS_NUMERICSINTERNAL_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace trnrt::detail {

inline uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// A sign/exponent/mantissa format narrower than f32. MaxCode is the largest
/// finite magnitude code; OvfCode what non-saturating overflow produces
/// (Inf or NaN); NaN inputs give NanBase | (payload bits & NanPayloadMask),
/// signed unless !NanSigned (E2M1 maps NaN to +0).
template <int E_, int M_, int B_, uint32_t MaxCode_, uint32_t OvfCode_, uint32_t NanBase_,
          uint32_t NanPayloadMask_, bool NanSigned_>
struct MiniFmt {
  static constexpr int E = E_, M = M_, B = B_;
  static constexpr uint32_t MaxCode = MaxCode_, OvfCode = OvfCode_, NanBase = NanBase_,
                            NanPayloadMask = NanPayloadMask_;
  static constexpr bool NanSigned = NanSigned_;
  static constexpr int Shift = 23 - M;   // f32 mantissa bits dropped
  static constexpr int SignShift = E + M; // position of the sign bit
  static constexpr int Emax = int(MaxCode >> M) - B;
  /// |x| >= 2^(Emax+1) always overflows; clamping there keeps the integer
  /// rounding below in range and still yields a code > MaxCode.
  static constexpr uint32_t OvfBits = uint32_t(127 + Emax + 1) << 23;
  static constexpr uint32_t MinNormalBits = uint32_t(128 - B) << 23; // 2^(1-B)
  /// 2^(24-B-M): its f32 ulp is the format's subnormal quantum 2^(1-B-M), so
  /// (|x| + magic) rounds |x| RNE to a subnormal in the FPU.
  static constexpr uint32_t MagicBits = uint32_t(127 + 24 - B - M) << 23;
  static constexpr uint32_t Rebias = uint32_t(127 - B) << 23;
  static_assert(OvfBits > MinNormalBits && 24 - B - M > -126, "format outside f32 range");
};

//                  E  M   B  MaxCode OvfCode NanBase NanMask NanSigned
using FmtE4M3 = MiniFmt<4, 3, 7, 0x7e, 0x7f, 0x7f, 0, true>;
using FmtE5M2 = MiniFmt<5, 2, 15, 0x7b, 0x7c, 0x7e, 0, true>;
using FmtE2M1 = MiniFmt<2, 1, 1, 0x7, 0x7, 0x0, 0, false>;
using FmtF16 = MiniFmt<5, 10, 15, 0x7bff, 0x7c00, 0x7e00, 0x3ff, true>;

/// RNE f32 -> narrow code; `sat` clamps overflow (incl. Inf) to MaxCode.
template <class F> inline uint32_t encodeMini(float x, bool sat) {
  const uint32_t u = bitsOf(x);
  const uint32_t signPart = (u >> 31) << F::SignShift;
  const uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u)
    return F::NanBase | ((a >> F::Shift) & F::NanPayloadMask) | (F::NanSigned ? signPart : 0);
  const uint32_t ac = a < F::OvfBits ? a : F::OvfBits;
  uint32_t code;
  if (ac < F::MinNormalBits)
    code = bitsOf(floatOf(ac) + floatOf(F::MagicBits)) - F::MagicBits;
  else
    code = (ac - F::Rebias + ((1u << (F::Shift - 1)) - 1) + ((ac >> F::Shift) & 1)) >> F::Shift;
  if (code > F::MaxCode)
    code = sat ? F::MaxCode : F::OvfCode;
  return code | signPart;
}

inline uint16_t encodeBf16(float x) {
  const uint32_t u = bitsOf(x);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((u >> 16) | 0x40); // quiet, keep sign and top payload
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

inline float decodeF16(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = h & 0x7c00u, mant = h & 0x3ffu;
  uint32_t o;
  if (exp == 0x7c00u)
    o = 0x7f800000u | (mant << 13) | (mant ? 0x400000u : 0);
  else if (exp == 0)
    // mant * 2^-24: exact in f32.
    o = bitsOf(float(mant) * floatOf(uint32_t(127 - 24) << 23));
  else
    o = ((exp >> 10) + 127 - 15) << 23 | mant << 13;
  return floatOf(o | sign);
}

// Whole-array kernels (Highway, dynamic dispatch; NumericsSimd.cpp).
void simdDecodeBf16(const uint16_t *src, float *dst, size_t n);
void simdEncodeBf16(const float *src, uint16_t *dst, size_t n);
void simdDecodeF16(const uint16_t *src, float *dst, size_t n);
void simdEncodeF16(const float *src, uint16_t *dst, size_t n);
/// One code per byte (FP4 unpacked).
void simdEncodeE4M3(const float *src, uint8_t *dst, size_t n, bool sat);
void simdEncodeE5M2(const float *src, uint8_t *dst, size_t n, bool sat);
void simdEncodeE2M1(const float *src, uint8_t *dst, size_t n);
void simdEncodeE8M0(const float *src, uint8_t *dst, size_t n, bool sat);

} // namespace trnrt::detail

#endif // TRN_RUNTIME_LIB_NUMERICS_NUMERICSINTERNAL_H
