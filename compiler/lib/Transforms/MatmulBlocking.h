//===- MatmulBlocking.h - GEMM blocking strategies chosen by cost -*- C++ -*-===//
//
// Large standalone GEMMs (`C = L^T R`, device form, zero-initialised, result
// returned directly) are not tiled per output tile by trn-tile: they are
// lowered as one blocked loop nest (straight-line trn code) whose blocking is
// either one of the four variants of the NKI matmul tutorial, for study, or
// the cheapest candidate under the SBUF budget according to the target cost
// model (`auto`, the default). docs/scheduling.md describes the strategies and
// the cost estimate.
//
//   naive      per output tile [TM, TN], per K tile: load both operands
//   hoist      per M tile the stationary column is loaded once (all K)
//   block-mn   BM x BN output tiles share their stationary / moving panels
//   block-mnk  K blocked too: partial sums of BK K tiles accumulate in PSUM,
//              the K blocks in f32 SBUF tiles (VectorE adds)
//
// trn-tile calls markBlockedMatmuls (the decision, stored on the op as
// `trnc.matmul_plan`), trn-lower-to-trn calls lowerMatmulBlocked.
//
// Quantized GEMMs (trn-quantize, docs/quantization.md): an FP8 x FP8 matmul
// runs in the FP8 double-row mode where the target has it (trn2/trn3: K =
// 2 x partitions per instruction, operand tiles [P, 2, F]); its rescale
// epilogue (`truncf(extf(q) * s_L * s_R)`, the scales rank-0 device tensors,
// per-row [M] vectors or constants) is split by trn-tile into a scale tensor
// (or an immediate) and a marked in-place epilogue generic
// (`kEpilogueAttr`), which trn-lower-to-trn absorbs: the blocked lowering
// applies the scale in the PSUM/accumulator eviction.
// OCP MX scaled contractions (`trnc.mx_contraction`, trn3): `mode mx`
// (K = 4 x partitions per instruction), per K tile [P, 4, F] code tiles and
// [P/32, 4, F] E8M0 scale tiles (the ISA scale-partition layout of
// LowerMatmulQuant's stageMx) loaded with the same column slices; the result
// is in real units (no rescale). K must be a multiple of 4 x partitions (a
// ragged K keeps the per-tile lowering, which pads the tail).
//
//===----------------------------------------------------------------------===//
#ifndef TRN_COMPILER_LIB_TRANSFORMS_MATMULBLOCKING_H
#define TRN_COMPILER_LIB_TRANSFORMS_MATMULBLOCKING_H

#include "trn/runtime/Target.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>
#include <string>

namespace mlir::trn::blocking {

/// Module attribute selecting the strategy (`trnc --trn-tiling=...`);
/// absent means `auto`.
inline constexpr llvm::StringLiteral kTilingAttr = "trnc.matmul_tiling";
/// Op attribute: the chosen plan (dictionary: strategy, bm, bn, bk, estimated_ns).
inline constexpr llvm::StringLiteral kPlanAttr = "trnc.matmul_plan";
/// dma_copy attribute: the load is intentional, trn-unroll must not merge it
/// with an earlier identical load (the strategy decides what is reloaded).
inline constexpr llvm::StringLiteral kNoReuseAttr = "trnc.no_reuse";
/// The in-place rescale generic of a blocked quantized GEMM,
/// `C = truncf(extf(C) * s)` with `s` its only input (rank-0 or [M] f32) or a
/// constant (then also stored as the plan's `scale`): applied by the blocked
/// lowering at eviction, absorbed (not lowered) by trn-lower-to-trn.
inline constexpr llvm::StringLiteral kEpilogueAttr = "trnc.blocked_epilogue";
/// The device quantization of an activation operand of a blocked FP8 GEMM,
/// `Q = truncf(extf(X) * s)` (s its second input, rank-0 f32, or a constant
/// also stored in the plan as `quant_l_scale` / `quant_r_scale`): the
/// blocked lowering loads X and quantizes each staged tile on chip; the op
/// is absorbed by trn-lower-to-trn (Q is never materialised).
inline constexpr llvm::StringLiteral kOperandQuantAttr = "trnc.blocked_operand_quantize";

enum class Strategy { Naive, Hoist, BlockMN, BlockMNK };

/// "naive", "hoist", "block-mn", "block-mnk".
llvm::StringRef strategyName(Strategy s);
std::optional<Strategy> parseStrategy(llvm::StringRef name);
/// Every accepted value of the tiling option: auto, tile (per-tile fusion,
/// no blocking) and the four strategies.
llvm::ArrayRef<llvm::StringRef> tilingNames();

struct GemmShape {
  int64_t M = 0, N = 0, K = 0;
  trnrt::DType in = trnrt::DType::BF16, out = trnrt::DType::F32;
  /// The moving operand's dtype when it differs from `in` (MX: FP4 x FP8).
  std::optional<trnrt::DType> inR;
  /// Fp8DoubleRow: FP8 operands on the double-row data path (K tile =
  /// 2 x partitions, [P, 2, F] operand tiles). Mx: OCP MX codes (K tile =
  /// 4 x partitions) with an E8M0 scale tile [P/32, 4, F] per operand tile.
  trnrt::MatmulMode mode = trnrt::MatmulMode::Normal;
  /// Operands quantized on chip after the load (kOperandQuantAttr): the
  /// dtype loaded from HBM (f32/bf16) instead of `in`.
  std::optional<trnrt::DType> quantSrcL, quantSrcR;
};

struct Plan {
  Strategy strategy = Strategy::Naive;
  int64_t bm = 1, bn = 1, bk = 1; // tiles per block along M, N, K
  /// block-mnk: the SBUF accumulators have C's dtype (the tutorial's choice:
  /// partial sums round once per K block) instead of f32.
  bool accInOutputType = false;
  double estimatedNs = 0;         // analytic estimate (ranking only)
  int64_t sbufBytes = 0;          // bytes per partition the plan keeps live
  /// FP8 operands quantized on chip after their load (GemmShape::quantSrc*);
  /// an operand that could be but is not keeps trn-quantize's separate pass.
  bool quantL = false, quantR = false;
};

/// Tile sizes: TM (stationary free), TN (moving free, one PSUM bank of f32),
/// TK (contraction per instruction: partitions x rows of the mode); `rows`
/// K rows per partition (1, or 2 for FP8 double-row).
struct Tiles {
  int64_t tm, tn, tk, rows = 1;
};
Tiles tilesFor(const trnrt::Target &target,
               trnrt::MatmulMode mode = trnrt::MatmulMode::Normal);

/// Evaluates one candidate with the cost model; nullopt when the shape does
/// not divide into the blocks or the plan does not fit in SBUF.
std::optional<Plan> evaluatePlan(const trnrt::Target &target, const GemmShape &shape,
                                 Strategy s, int64_t bm, int64_t bn, int64_t bk,
                                 bool accInOutputType = false, bool fullBudget = false);
/// The plan of `tiling`:
///  * "auto": the cheapest candidate of every strategy and block size (f32
///    accumulation only);
///  * a strategy name: the NKI tutorial's variant (block-mn 2 x 2, block-mnk
///    16 x 2 x 8 with accumulators in C's dtype, as the tutorial) when it
///    divides the shape and fits, else the strategy's cheapest candidate;
///  * "STRATEGY:BMxBNxBK" (e.g. "block-mnk:16x2x4"): exactly these block
///    sizes (f32 accumulation), checked against the whole SBUF.
/// With `measureIn`, "auto" measures its best few analytic candidates by
/// compiling a repeated slice of the GEMM (trn-tile .. trn-schedule) and
/// keeps the one with the smallest modeled time.
std::optional<Plan> choosePlan(const trnrt::Target &target, const GemmShape &shape,
                               llvm::StringRef tiling, MLIRContext *measureIn = nullptr);

/// trn-tile: attaches kPlanAttr to every eligible matmul of `func` (a
/// device-form 2-D `linalg.matmul` on tensors with a zero-fill accumulator,
/// whose only users are `func.return`, dims multiples of the tile sizes;
/// f32/bf16/f16 operands, or FP8 (E4M3/E5M2, may mix) whose only user may
/// also be trn-quantize's rescale generic, itself returned), and every
/// 2-D MX scaled contraction (tileutils::isMxContraction) of the same form
/// on a target with `mode mx`.
/// Fails with a diagnostic on an unknown `trnc.matmul_tiling` value.
LogicalResult markBlockedMatmuls(func::FuncOp func);
/// Whether `op` is part of a blocked GEMM (the matmul carrying the plan, or
/// its absorbed rescale epilogue): trn-tile leaves it untiled.
bool hasPlan(Operation *op);
/// The rescale epilogue or an operand quantization of a blocked GEMM: its
/// lowering applies them; trn-lower-to-trn lowers nothing for these ops.
bool isAbsorbedByBlockedMatmul(Operation *op);

} // namespace mlir::trn::blocking

namespace mlir::trn::lower {
/// Emits the blocked loop nest of the plan on `op` (straight-line code).
LogicalResult lowerMatmulBlocked(RewriterBase &rewriter, linalg::LinalgOp op,
                                 linalg::FillOp initFill);
} // namespace mlir::trn::lower

#endif // TRN_COMPILER_LIB_TRANSFORMS_MATMULBLOCKING_H
