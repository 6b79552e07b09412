//===- NumericsSimd.cpp - Highway kernels for whole-tile conversions ------===//
//
// The emulator converts every tile it loads or stores, so these loops are the
// hot path. They vectorise exactly the bit algorithms of NumericsInternal.h
// (integer RNE on the f32 encoding; an FPU add for subnormal targets) and are
// compiled for every x86 target Highway knows, picked at run time.
//
//===----------------------------------------------------------------------===//
#undef HWY_TARGET_INCLUDE
// foreach_target.h re-includes this file once per target; the path is found
// through the component's include directory (runtime/include).
#define HWY_TARGET_INCLUDE "../lib/Numerics/NumericsSimd.cpp"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"

#include "NumericsInternal.h"
#include "trn/runtime/Numerics.h"

HWY_BEFORE_NAMESPACE();
namespace trnrt::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DI = hn::ScalableTag<int32_t>;
using DF = hn::Rebind<float, DI>;
using DU = hn::Rebind<uint32_t, DI>;
using DU16 = hn::Rebind<uint16_t, DI>;
using DU8 = hn::Rebind<uint8_t, DI>;

/// Vector form of encodeMini<F>; lanes hold codes as non-negative int32.
template <class F>
HWY_INLINE hn::Vec<DI> EncodeMiniVec(hn::Vec<DF> x, bool sat) {
  const DI di;
  const DF df;
  const DU du;
  const auto u = hn::BitCast(di, x);
  const auto a = hn::And(u, hn::Set(di, 0x7fffffff));
  const auto signPart =
      hn::BitCast(di, hn::ShiftLeft<F::SignShift>(hn::ShiftRight<31>(hn::BitCast(du, u))));
  const auto isNan = hn::Gt(a, hn::Set(di, 0x7f800000));
  const auto ac = hn::Min(a, hn::Set(di, int32_t(F::OvfBits)));
  const auto sub = hn::Sub(
      hn::BitCast(di, hn::Add(hn::BitCast(df, ac), hn::BitCast(df, hn::Set(di, int32_t(F::MagicBits))))),
      hn::Set(di, int32_t(F::MagicBits)));
  const auto odd = hn::And(hn::ShiftRight<F::Shift>(ac), hn::Set(di, 1));
  const auto nrm = hn::ShiftRight<F::Shift>(hn::Add(
      hn::Add(ac, hn::Set(di, int32_t((1u << (F::Shift - 1)) - 1 - F::Rebias))), odd));
  auto code = hn::IfThenElse(hn::Lt(ac, hn::Set(di, int32_t(F::MinNormalBits))), sub, nrm);
  code = hn::IfThenElse(hn::Gt(code, hn::Set(di, int32_t(F::MaxCode))),
                        hn::Set(di, int32_t(sat ? F::MaxCode : F::OvfCode)), code);
  code = hn::Or(code, signPart);
  auto nan = hn::Or(hn::Set(di, int32_t(F::NanBase)),
                    hn::And(hn::ShiftRight<F::Shift>(a), hn::Set(di, int32_t(F::NanPayloadMask))));
  if (F::NanSigned)
    nan = hn::Or(nan, signPart);
  return hn::IfThenElse(isNan, nan, code);
}

template <class F>
HWY_INLINE void EncodeMini8(const float *HWY_RESTRICT src, uint8_t *HWY_RESTRICT dst, size_t n,
                            bool sat) {
  const DI di;
  const DF df;
  const DU8 du8;
  const size_t N = hn::Lanes(di);
  size_t i = 0;
  for (; i + N <= n; i += N)
    hn::StoreU(hn::DemoteTo(du8, EncodeMiniVec<F>(hn::LoadU(df, src + i), sat)), du8, dst + i);
  for (; i < n; ++i)
    dst[i] = uint8_t(encodeMini<F>(src[i], sat));
}

void EncodeE4M3(const float *src, uint8_t *dst, size_t n, bool sat) {
  EncodeMini8<FmtE4M3>(src, dst, n, sat);
}
void EncodeE5M2(const float *src, uint8_t *dst, size_t n, bool sat) {
  EncodeMini8<FmtE5M2>(src, dst, n, sat);
}
void EncodeE2M1(const float *src, uint8_t *dst, size_t n) {
  EncodeMini8<FmtE2M1>(src, dst, n, true);
}

/// Vector form of f32ToE8M0 (Numerics.cpp); same selects, same order.
void EncodeE8M0(const float *HWY_RESTRICT src, uint8_t *HWY_RESTRICT dst, size_t n, bool sat) {
  const DI di;
  const DF df;
  const DU du;
  const DU8 du8;
  const size_t N = hn::Lanes(di);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto u = hn::BitCast(du, hn::LoadU(df, src + i));
    const auto exp = hn::ShiftRight<23>(u); // includes the sign bit
    const auto mant = hn::And(u, hn::Set(du, 0x7fffffu));
    const auto normal = hn::Add(
        exp, hn::ShiftRight<23>(hn::Add(hn::Add(mant, hn::Set(du, 0x3fffffu)),
                                         hn::And(exp, hn::Set(du, 1u)))));
    const auto subnormal = hn::IfThenElseZero(
        hn::Gt(hn::BitCast(di, mant), hn::Set(di, 0x600000)), hn::Set(di, 1));
    auto code = hn::IfThenElse(hn::Eq(hn::BitCast(di, exp), hn::Zero(di)), subnormal,
                               hn::BitCast(di, normal));
    // exp <= 0x1ff and u as i32 is negative exactly when the sign is set.
    code = hn::IfThenElse(hn::Gt(code, hn::Set(di, 0xfe)), hn::Set(di, sat ? 0xfe : 0xff), code);
    const auto ui = hn::BitCast(di, u);
    code = hn::IfThenElse(hn::Or(hn::Gt(ui, hn::Set(di, 0x7f800000)), hn::Lt(ui, hn::Zero(di))),
                          hn::Set(di, 0xff), code);
    code = hn::IfThenElseZero(hn::Ne(hn::And(ui, hn::Set(di, 0x7fffffff)), hn::Zero(di)), code);
    hn::StoreU(hn::DemoteTo(du8, code), du8, dst + i);
  }
  for (; i < n; ++i)
    dst[i] = f32ToE8M0(src[i], sat ? Overflow::Saturate : Overflow::NonSaturate);
}

void EncodeF16(const float *HWY_RESTRICT src, uint16_t *HWY_RESTRICT dst, size_t n) {
  const DI di;
  const DF df;
  const DU16 du16;
  const size_t N = hn::Lanes(di);
  size_t i = 0;
  for (; i + N <= n; i += N)
    hn::StoreU(hn::DemoteTo(du16, EncodeMiniVec<FmtF16>(hn::LoadU(df, src + i), false)), du16,
               dst + i);
  for (; i < n; ++i)
    dst[i] = uint16_t(encodeMini<FmtF16>(src[i], false));
}

void DecodeF16(const uint16_t *HWY_RESTRICT src, float *HWY_RESTRICT dst, size_t n) {
  const DI di;
  const DF df;
  const DU du;
  const DU16 du16;
  const size_t N = hn::Lanes(di);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto h = hn::BitCast(di, hn::PromoteTo(du, hn::LoadU(du16, src + i)));
    const auto sign = hn::ShiftLeft<16>(hn::And(h, hn::Set(di, 0x8000)));
    const auto exp = hn::And(h, hn::Set(di, 0x7c00));
    const auto mant = hn::And(h, hn::Set(di, 0x3ff));
    const auto mant13 = hn::ShiftLeft<13>(mant);
    // Normal: rebias the exponent; Inf/NaN: all-ones exponent (+ quiet bit).
    const auto normal = hn::Or(hn::ShiftLeft<13>(hn::Add(exp, hn::Set(di, (127 - 15) << 10))),
                               mant13);
    const auto quiet = hn::IfThenElseZero(hn::Ne(mant, hn::Zero(di)), hn::Set(di, 0x400000));
    const auto special = hn::Or(hn::Or(hn::Set(di, 0x7f800000), mant13), quiet);
    // Subnormal: mant * 2^-24, exact.
    const auto subnormal = hn::BitCast(
        di, hn::Mul(hn::ConvertTo(df, mant), hn::BitCast(df, hn::Set(di, (127 - 24) << 23))));
    auto o = hn::IfThenElse(hn::Eq(exp, hn::Zero(di)), subnormal, normal);
    o = hn::IfThenElse(hn::Eq(exp, hn::Set(di, 0x7c00)), special, o);
    hn::StoreU(hn::BitCast(df, hn::Or(o, sign)), df, dst + i);
  }
  for (; i < n; ++i)
    dst[i] = decodeF16(src[i]);
}

void EncodeBf16(const float *HWY_RESTRICT src, uint16_t *HWY_RESTRICT dst, size_t n) {
  const DI di;
  const DF df;
  const DU du;
  const DU16 du16;
  const size_t N = hn::Lanes(di);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto u = hn::BitCast(du, hn::LoadU(df, src + i));
    const auto lsb = hn::And(hn::ShiftRight<16>(u), hn::Set(du, 1u));
    const auto rounded = hn::ShiftRight<16>(hn::Add(hn::Add(u, hn::Set(du, 0x7fffu)), lsb));
    const auto quietNan = hn::Or(hn::ShiftRight<16>(u), hn::Set(du, 0x40u));
    const auto isNan = hn::Gt(hn::BitCast(di, hn::And(u, hn::Set(du, 0x7fffffffu))),
                              hn::Set(di, 0x7f800000));
    const auto r = hn::IfThenElse(isNan, hn::BitCast(di, quietNan), hn::BitCast(di, rounded));
    hn::StoreU(hn::DemoteTo(du16, r), du16, dst + i);
  }
  for (; i < n; ++i)
    dst[i] = encodeBf16(src[i]);
}

void DecodeBf16(const uint16_t *HWY_RESTRICT src, float *HWY_RESTRICT dst, size_t n) {
  const DF df;
  const DU du;
  const DU16 du16;
  const size_t N = hn::Lanes(du);
  size_t i = 0;
  for (; i + N <= n; i += N)
    hn::StoreU(hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(du, hn::LoadU(du16, src + i)))),
               df, dst + i);
  for (; i < n; ++i)
    dst[i] = floatOf(uint32_t(src[i]) << 16);
}

} // namespace HWY_NAMESPACE
} // namespace trnrt::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trnrt::detail {
HWY_EXPORT(EncodeE4M3);
HWY_EXPORT(EncodeE5M2);
HWY_EXPORT(EncodeE2M1);
HWY_EXPORT(EncodeE8M0);
HWY_EXPORT(EncodeF16);
HWY_EXPORT(DecodeF16);
HWY_EXPORT(EncodeBf16);
HWY_EXPORT(DecodeBf16);

void simdEncodeE4M3(const float *src, uint8_t *dst, size_t n, bool sat) {
  HWY_DYNAMIC_DISPATCH(EncodeE4M3)(src, dst, n, sat);
}
void simdEncodeE5M2(const float *src, uint8_t *dst, size_t n, bool sat) {
  HWY_DYNAMIC_DISPATCH(EncodeE5M2)(src, dst, n, sat);
}
void simdEncodeE2M1(const float *src, uint8_t *dst, size_t n) {
  HWY_DYNAMIC_DISPATCH(EncodeE2M1)(src, dst, n);
}
void simdEncodeE8M0(const float *src, uint8_t *dst, size_t n, bool sat) {
  HWY_DYNAMIC_DISPATCH(EncodeE8M0)(src, dst, n, sat);
}
void simdEncodeF16(const float *src, uint16_t *dst, size_t n) {
  HWY_DYNAMIC_DISPATCH(EncodeF16)(src, dst, n);
}
void simdDecodeF16(const uint16_t *src, float *dst, size_t n) {
  HWY_DYNAMIC_DISPATCH(DecodeF16)(src, dst, n);
}
void simdEncodeBf16(const float *src, uint16_t *dst, size_t n) {
  HWY_DYNAMIC_DISPATCH(EncodeBf16)(src, dst, n);
}
void simdDecodeBf16(const uint16_t *src, float *dst, size_t n) {
  HWY_DYNAMIC_DISPATCH(DecodeBf16)(src, dst, n);
}
} // namespace trnrt::detail
#endif // HWY_ONCE
