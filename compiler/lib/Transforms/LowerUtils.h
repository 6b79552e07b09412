//===- LowerUtils.h - shared machinery of trn-lower-to-trn --------*- C++ -*-===//
//
// TileEmitter builds trn instructions for one tile-level op: on-chip tile
// allocation, HBM access views (memref.subview when the walk is a plain
// sub-box of the operand, otherwise a memref.reinterpret_cast of the HBM base
// buffer with explicit strides: permutations, stride-0 broadcasts, merged
// dims), DMA staging and the instruction builders. The per-op lowerings live
// in Lower{Matmul,Elementwise,Reduce,DataMovement}.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_COMPILER_LIB_TRANSFORMS_LOWERUTILS_H
#define TRN_COMPILER_LIB_TRANSFORMS_LOWERUTILS_H

#include "trn/Dialect/Trn/IR/TrnOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace mlir::trn::lower {

/// One dimension of an HBM walk: operand dim `dim` from `start` for `size`
/// elements, or a broadcast (dim = -1) repeating the data `size` times.
struct AccessDim {
  int64_t dim = -1;
  int64_t start = 0;
  int64_t size = 1;
};

/// A scalar operand of tensor_scalar / activation: immediate or [P, 1] tile.
struct Scalar {
  float imm = 0.0f;
  Value tile;
  static Scalar ofImm(float v) { return Scalar{v, Value()}; }
  static Scalar ofTile(Value t) { return Scalar{0.0f, t}; }
};

class TileEmitter {
public:
  TileEmitter(RewriterBase &rewriter, Operation *op);

  RewriterBase &b;
  Location loc;
  Operation *op;
  const trnrt::Target &target;

  /// Free elements per partition of one staged tile (SBUF budget / 16).
  int64_t freeBudget(Type elementType) const;

  Value alloc(ArrayRef<int64_t> shape, Type elementType, MemSpace space = MemSpace::SBUF);
  /// DMA `src` -> `dst`; an HBM -> SBUF load with a small innermost stride
  /// may become a dense load plus an on-chip compaction (loadWidened).
  void dma(Value src, Value dst);
  /// Strided HBM loads whose innermost stride is small (stride-2 convolution
  /// taps, pooling windows) move one element per DMA run, and short runs cost
  /// as much as dma.minRunBytes. When the cost model says it is cheaper, loads
  /// the dense span of each row into a scratch tile and copies every s-th
  /// element into `dst` with one engine instruction. Returns false (nothing
  /// emitted) otherwise.
  bool loadWidened(Value src, Value dst);
  /// An HBM -> SBUF load that re-reads data along free dims of stride 0 (a
  /// per-channel bias broadcast over the rows on partitions and the columns)
  /// moves element-sized runs. When cheaper by the cost model, loads the
  /// distinct values once and expands them with one engine copy reading the
  /// scratch tile with stride 0. Returns false (nothing emitted) otherwise.
  bool loadBroadcast(Value src, Value dst);
  /// An HBM -> SBUF load that walks partitions along the HBM rows' contiguous
  /// dim (partition stride 1, every free dim strided: a transposed operand,
  /// attention heads split off the model dim) moves element-sized runs. When
  /// cheaper by the cost model, loads blocks in their HBM layout (rows of P
  /// contiguous elements) and transposes each on the PE through PSUM into
  /// `dst`. f32/bf16/f16 only. Returns false (nothing emitted) otherwise.
  bool loadTransposed(Value src, Value dst);
  /// A view of on-chip buffer `base` (a trn.alloc) with static layout; dim 0
  /// must step by the buffer's rows (partitions).
  Value reinterpretTile(Value base, int64_t offset, ArrayRef<int64_t> shape,
                        ArrayRef<int64_t> strides);
  /// A static strided view of the HBM buffer under `src` starting `offset`
  /// elements after `src`'s first element; null if `src` has no static base.
  Value hbmView(Value src, int64_t offset, ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides);

  /// The trn.alloc behind an on-chip operand (possibly through the
  /// reinterpret_cast/subview views trn-place-memory created), else null.
  static Value onChipRoot(Value v);
  static bool isOnChip(Value v) { return static_cast<bool>(onChipRoot(v)); }

  /// An HBM view of `v` walking `dims` in order (see AccessDim). Every
  /// operand dim must appear at most once; dims of `v` not listed must have
  /// size 1 or be listed with size 1 (their start selects the element).
  FailureOr<Value> hbmAccess(Value v, ArrayRef<AccessDim> dims);

  /// Moves data between the HBM operand `v` walked by `dims` (dims[0] the
  /// partition walk) and the 2-D on-chip tile `tile` = [P, product of the
  /// free walk sizes] with one DMA (a subview or reinterpret_cast access
  /// pattern, see hbmAccess). When the walk needs more access-pattern dims
  /// than the DMA has (1 + maxFreeDims after merging), it is split into one
  /// DMA per index of the shortest prefix of free walk dims whose removal
  /// leaves a sub-box of `v` (at most kMaxSplitDmas DMAs, each into a column
  /// range of the tile).
  LogicalResult transfer(Value v, ArrayRef<AccessDim> dims, Value tile, bool toHbm);
  /// Allocates an SBUF tile [P, F] and fills it with `transfer`.
  FailureOr<Value> loadWalk(Value v, ArrayRef<AccessDim> dims, Type elementType);
  static constexpr int64_t kMaxSplitDmas = 1024;

  /// Allocates an SBUF tile of `shape` and DMAs `hbmView` into it.
  Value load(Value hbmView, ArrayRef<int64_t> shape, Type elementType);

  // Instruction builders.
  void memset(float value, Value dst);
  void tensorCopy(Value src, Value dst);
  void tensorTensor(AluOp op, Value in0, Value in1, Value dst);
  void tensorScalar(Value src, Value dst, AluOp op0, Scalar s0, bool rev0 = false,
                    AluOp op1 = AluOp::Bypass, Scalar s1 = Scalar::ofImm(0.0f),
                    bool rev1 = false);
  void activation(ActFunc func, Value src, Value dst, Scalar scale = Scalar::ofImm(1.0f),
                  Scalar bias = Scalar::ofImm(0.0f), Value accum = Value());
  void tensorReduce(AluOp op, Value src, Value dst, ArrayRef<int64_t> axes);
  void transpose(Value src, Value dst);
  void matmul(Value stationary, Value moving, Value dst, bool accumulate);
  void select(Value pred, Value onTrue, Value onFalse, Value dst);

  /// Partition-range view [start, start+count) x all free elements of a 2-D
  /// on-chip tile (free offset/size optionally restricted).
  Value sliceTile(Value tile, int64_t pStart, int64_t pCount, int64_t fStart, int64_t fCount);

  /// The element type used for on-chip intermediates of computations.
  Type f32() const;

private:
  Value indexValue(OpFoldResult ofr);
  FailureOr<std::pair<Value, OpFoldResult>> resolveBase(Value v);
};

/// The linalg.fill that initialises `init` right before `user` in the same
/// block (no other access of `init` in between), if any.
linalg::FillOp findInitFill(Operation *user, Value init);
/// Like findInitFill, but looks past ops (with regions too) that neither use
/// `init` nor contain a use of it, e.g. the loop nest of an operand's
/// conversion that bufferization placed between the fill and the matmul.
/// For consumers that overwrite all of `init` (the blocked GEMM).
linalg::FillOp findInitFillAcross(Operation *user, Value init);

/// Float value of a fill's scalar (constant), if known.
std::optional<double> fillValue(linalg::FillOp fill);

/// The identity element of a reduction ALU op (add 0, mul 1, max -inf, min +inf).
float reductionIdentity(AluOp op);

/// Convolution window operands read in place (LowerMatmul.cpp): an HBM
/// scratch S [K, OH, OW] that function-level memref.copy ops assemble from
/// strided windows (`parts`, disjoint row ranges covering K) and that only
/// device-form matmuls read, as moving operand collapse_shape(S)[K, OH*OW]
/// tiles of whole output rows. Those matmuls load their moving tiles straight
/// from the windows' sources and the copies into S are dropped (`copies`).
struct WindowPart {
  Value src;          // [kc, OH, OW] HBM view the copy reads
  int64_t k0 = 0, kc = 0;
};
struct WindowForwarding {
  llvm::DenseMap<Value, SmallVector<WindowPart>> scratches;
  llvm::DenseSet<Operation *> copies;
};
/// Finds the forwardable window scratches of `func` (before any lowering).
WindowForwarding analyzeWindowOperands(Operation *func, const trnrt::Target &target);

// Per-op lowerings: emit trn ops before `op` (the caller erases `op`).
LogicalResult lowerMatmul(RewriterBase &rewriter, linalg::LinalgOp op, linalg::FillOp initFill,
                          const WindowForwarding *windows = nullptr);
LogicalResult lowerElementwise(RewriterBase &rewriter, linalg::GenericOp op);
LogicalResult lowerReduce(RewriterBase &rewriter, linalg::ReduceOp op, linalg::FillOp initFill);

/// Calls `fn` with every multi-index of `shape` (row-major; once for rank 0).
void forEachIndex(ArrayRef<int64_t> shape, llvm::function_ref<void(ArrayRef<int64_t>)> fn);
LogicalResult lowerFill(RewriterBase &rewriter, linalg::FillOp op);
LogicalResult lowerCopy(RewriterBase &rewriter, Operation *op, Value src, Value dst);
LogicalResult lowerTranspose(RewriterBase &rewriter, linalg::TransposeOp op);
LogicalResult lowerBroadcast(RewriterBase &rewriter, linalg::BroadcastOp op);

} // namespace mlir::trn::lower

#endif // TRN_COMPILER_LIB_TRANSFORMS_LOWERUTILS_H
