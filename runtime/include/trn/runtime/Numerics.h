//===- Numerics.h - Exact FP8/FP4/BF16/E8M0 conversions -*- C++ -*-===//
//
// trnc's conversion policy (../shared/QUANT.md, docs/numerics.md):
// round-to-nearest-even everywhere; FP8/FP4 conversions used for storage and
// quantization saturate finite overflow to +-max (NaN stays NaN where the
// format has one; E4M3FN/E2M1 Inf -> +-max, E2M1 NaN -> see policy); the
// non-saturating OCP/APFloat behaviour is available for reference tests.
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
/// Returns a 4-bit code 0..15 (bit 3 = sign).
uint8_t f32ToF4E2M1(float x);
float f4E2M1ToF32(uint8_t code);
/// E8M0 code 0..254 is 2^(code-127); 0xff is NaN.
float e8m0ToF32(uint8_t c);

/// Elements (`n` of them) of dtype `t` in `src` (byte array, FP4 packed with
/// element 2i in the low nibble) starting at element index `first`, widened to
/// f32. Integers convert exactly where representable.
void decodeToF32(DType t, const uint8_t *src, uint64_t first, float *dst, size_t n);
/// Narrows `n` f32 values to dtype `t` into `dst` starting at element index
/// `first` (FP4: other nibbles untouched). Float->int: RNE with saturation,
/// NaN -> 0.
void encodeFromF32(DType t, const float *src, uint8_t *dst, uint64_t first, size_t n,
                   Overflow o = Overflow::Saturate);

/// Rounds f32 values in place to the values representable in `t`
/// (encode+decode), the effect of storing to a `t` tile.
void roundTripInPlace(DType t, float *data, size_t n);

/// OCP MX shared scale for a block: X = 2^(floor(log2(amax)) - emaxElem),
/// emaxElem = 8 (E4M3), 15 (E5M2), 2 (E2M1). amax == 0 -> smallest normal of
/// the element format as the OCP reference does (documented); NaN in block ->
/// 0xff; exponent clamped to [-127, 127], above 127 -> 0xff.
uint8_t mxScaleE8M0(const float *block, size_t n, DType elem);
/// Quantizes one block to `elem` with scale code `scale` (V / X, RNE,
/// saturate); one code per byte in `dstCodes` (FP4 unpacked). Scale NaN ->
/// every element NaN (E4M3/E5M2) or per policy (E2M1).
void mxQuantizeBlock(const float *block, size_t n, DType elem, uint8_t scale, uint8_t *dstCodes);

/// Largest finite value of a float dtype (448, 57344, 6, 2^127, bf16 max...).
double maxFinite(DType t);
/// Unit roundoff u = 2^-(mantissa bits + 1).
double unitRoundoff(DType t);

} // namespace trnrt

#endif // TRN_RUNTIME_NUMERICS_H
