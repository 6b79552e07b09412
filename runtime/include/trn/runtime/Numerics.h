//===- Numerics.h - Exact FP8/FP4/BF16/E8M0 conversions -*- C++ -*-===//
//
// trnc's conversion policy (../shared/QUANT.md, docs/numerics.md):
// - round-to-nearest-even everywhere (f32 -> anything, float -> int);
// - FP8/FP4 conversions used for storage and quantization saturate
//   ("satfinite"): finite overflow AND +-Inf go to +-max; NaN stays NaN where
//   the format has one (E4M3 0x7f|s, E5M2 0x7e|s);
// - E2M1 has neither Inf nor NaN: Inf -> +-6, NaN -> +0 (code 0x0);
// - BF16/F16 are IEEE formats: overflow -> +-Inf, NaN -> quiet NaN keeping the
//   sign and the top payload bits (the Overflow argument does not apply);
// - the non-saturating OCP/APFloat behaviour (E4M3 -> NaN, E5M2 -> Inf) is
//   available for reference tests;
// - f32 -> integer: RNE, saturate to the integer range, NaN -> 0.
// Decoding is exact; NaN codes decode to a quiet f32 NaN with the same sign.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_RUNTIME_NUMERICS_H
#define TRN_RUNTIME_NUMERICS_H

#include "trn/runtime/ISA.h"

#include <cstddef>
#include <cstdint>

namespace trnrt {

enum class Overflow : uint8_t {
  Saturate,    // trnc's policy for every device conversion and quantization
  NonSaturate, // OCP/APFloat: E4M3 -> NaN, E5M2 -> Inf, E2M1 saturates anyway
};

// Scalar conversions (RNE). Codes are the low bits of the returned integer.
uint16_t f32ToBf16(float x);
float bf16ToF32(uint16_t b);
uint16_t f32ToF16(float x);
float f16ToF32(uint16_t h);
uint8_t f32ToF8E4M3(float x, Overflow o = Overflow::Saturate);
float f8E4M3ToF32(uint8_t c);
uint8_t f32ToF8E5M2(float x, Overflow o = Overflow::Saturate);
float f8E5M2ToF32(uint8_t c);
/// Returns a 4-bit code 0..15 (bit 3 = sign). Always saturates (Inf -> +-6);
/// NaN -> +0.
uint8_t f32ToF4E2M1(float x);
float f4E2M1ToF32(uint8_t code);
/// E8M0 code 0..254 is 2^(code-127); 0xff is NaN.
float e8m0ToF32(uint8_t c);
/// Nearest power of two, ties (x = 1.5 * 2^k) to the even code. E8M0 has no
/// zero and no sign: +-0 and positive values below 2^-127 -> 0x00 (2^-127);
/// negative values and NaN -> 0xff; +Inf and values rounding above 2^127 ->
/// 0xfe when saturating, 0xff (NaN) otherwise.
uint8_t f32ToE8M0(float x, Overflow o = Overflow::Saturate);

/// Elements (`n` of them) of dtype `t` in `src` (byte array, FP4 packed with
/// element 2i in the low nibble) starting at element index `first`, widened to
/// f32. Integers convert exactly where representable (otherwise RNE).
void decodeToF32(DType t, const uint8_t *src, uint64_t first, float *dst, size_t n);
/// Narrows `n` f32 values to dtype `t` into `dst` starting at element index
/// `first` (FP4: other nibbles untouched). Float->int: RNE with saturation,
/// NaN -> 0.
void encodeFromF32(DType t, const float *src, uint8_t *dst, uint64_t first, size_t n,
                   Overflow o = Overflow::Saturate);

/// Rounds f32 values in place to the values representable in `t`
/// (encode+decode with the saturating policy), the effect of storing to a
/// `t` tile.
void roundTripInPlace(DType t, float *data, size_t n);

/// emax of an MX element format: 8 (E4M3), 15 (E5M2), 2 (E2M1). Throws
/// std::invalid_argument for other dtypes.
int mxElemEmax(DType elem);
/// OCP MX shared scale for a block: X = 2^(floor(log2(amax)) - emaxElem).
/// amax == 0 (or n == 0) uses FP32's smallest normal 2^-126 as the OCP
/// reference emulator (microxcaling) does, which always clamps to 0x00; a NaN
/// or Inf in the block -> 0xff; the exponent is clamped to -127 below and
/// gives 0xff above 127 (unreachable from finite f32 inputs).
uint8_t mxScaleE8M0(const float *block, size_t n, DType elem);
/// Quantizes one block to `elem` with scale code `scale` (V / X, RNE,
/// saturate); one code per byte in `dstCodes` (FP4 unpacked). Scale NaN ->
/// every element NaN (E4M3 0x7f, E5M2 0x7e) or +0 (E2M1 has no NaN; the
/// NaN scale alone marks the block).
void mxQuantizeBlock(const float *block, size_t n, DType elem, uint8_t scale, uint8_t *dstCodes);

/// Largest finite value of a float dtype (448, 57344, 6, 2^127, bf16 max...);
/// the largest value for integer dtypes.
double maxFinite(DType t);
/// Unit roundoff u = 2^-(mantissa bits + 1) of a float dtype (E8M0: 1/2);
/// 0 for integer dtypes (their error is absolute, <= 1/2).
double unitRoundoff(DType t);

} // namespace trnrt

#endif // TRN_RUNTIME_NUMERICS_H
