//===- ISA.h - trnc device instruction set and in-memory program -*- C++ -*-===//
//
// The device-level vocabulary shared by every layer of trnc: data types, memory
// spaces, engines/queues, access patterns, the instruction set, and the
// in-memory form of a compiled program. The compiler's serializer builds a
// `Program`, the `.trnx` writer/loader converts it to and from FlatBuffers, and
// the emulator executes it. MLIR-free by design (DESIGN.md section 2).
//
//===----------------------------------------------------------------------===//
#ifndef TRN_RUNTIME_ISA_H
#define TRN_RUNTIME_ISA_H

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace trnrt {

//===----------------------------------------------------------------------===//
// Data types
//===----------------------------------------------------------------------===//

/// Element types the device stores. FP8/FP4/E8M0 follow the OCP formats
/// exactly (QUANT.md); F4E2M1 is packed two per byte, element 2i in the low
/// nibble of byte i.
enum class DType : uint8_t {
  F32 = 0,
  BF16,
  F16,
  F8E4M3, // OCP E4M3FN (MLIR f8E4M3FN): no Inf, NaN = 0x7f/0xff, max 448.
  F8E5M2, // OCP E5M2 (MLIR f8E5M2): IEEE-like, max 57344.
  F4E2M1, // OCP E2M1 (MLIR f4E2M1FN): no Inf/NaN, max 6, packed 2 per byte.
  E8M0,   // OCP E8M0 scale (MLIR f8E8M0FNU): powers of two, NaN = 0xff.
  I32,
  U32,
  I8,
  U8,
};
constexpr int kNumDTypes = 11;

/// Storage size in bits (4 for F4E2M1).
unsigned dtypeBits(DType t);
/// Lower-case name as used in the CLI, the assembly and .npy mapping
/// ("f32", "bf16", "f16", "f8e4m3", "f8e5m2", "f4e2m1", "e8m0", "i32", ...).
const char *dtypeName(DType t);
std::optional<DType> parseDType(const std::string &name);
bool isFloatType(DType t);
/// Bytes occupied by `n` consecutive elements (rounds FP4 up to whole bytes).
uint64_t dtypeBytes(DType t, uint64_t n);

//===----------------------------------------------------------------------===//
// Memories, engines and queues
//===----------------------------------------------------------------------===//

enum class MemSpace : uint8_t { HBM = 0, SBUF, PSUM };
const char *memSpaceName(MemSpace m);

/// Compute engines (HARDWARE.md "Structure"). DMA transfers run on DMA queues.
enum class Engine : uint8_t { PE = 0, ACT, DVE, POOL, DMA };
const char *engineName(Engine e);

/// A queue is one in-order instruction stream. Queues 0..3 are the compute
/// engines PE, ACT, DVE, POOL; queues 4..4+N-1 are DMA queues 0..N-1.
using QueueId = uint8_t;
constexpr QueueId kQueuePE = 0, kQueueACT = 1, kQueueDVE = 2, kQueuePOOL = 3;
constexpr QueueId kFirstDmaQueue = 4;
constexpr unsigned kMaxDmaQueues = 16;
constexpr unsigned kMaxQueues = kFirstDmaQueue + kMaxDmaQueues;
Engine queueEngine(QueueId q);
/// "pe", "act", "dve", "pool", "dma0".."dma15".
std::string queueName(QueueId q);
std::optional<QueueId> parseQueueName(const std::string &name);

//===----------------------------------------------------------------------===//
// Access patterns
//===----------------------------------------------------------------------===//

constexpr unsigned kMaxFreeDims = 4;

/// A tile operand: a partition range plus up to four free dims walked
/// serially, outermost first (HARDWARE.md "Structure").
///
/// SBUF/PSUM: `offset` is the byte address within each partition used;
/// partitions [startPartition, startPartition + numPartitions) are accessed.
/// HBM: `tensor` names a program tensor; `offset` is an element offset into
/// it; row p (p = 0..numPartitions-1) starts at offset + p * partitionStride
/// elements; `startPartition` must be 0.
/// Free-dim strides are in elements (of `dtype`) and may be zero (broadcast)
/// or negative.
struct AccessPattern {
  MemSpace space = MemSpace::SBUF;
  DType dtype = DType::F32;
  uint32_t tensor = 0;
  uint64_t offset = 0;
  uint32_t startPartition = 0;
  uint32_t numPartitions = 1;
  int64_t partitionStride = 0;
  uint32_t rank = 1;
  std::array<uint32_t, kMaxFreeDims> sizes{{1, 1, 1, 1}};
  std::array<int64_t, kMaxFreeDims> strides{{1, 0, 0, 0}};

  /// Elements walked per partition (product of the free sizes).
  uint64_t elemsPerPartition() const;
  uint64_t numElements() const { return elemsPerPartition() * numPartitions; }
  /// Free-dim shape (first `rank` sizes).
  std::vector<uint32_t> freeShape() const;

  /// A contiguous [numPartitions, n] SBUF/PSUM tile at `addr`.
  static AccessPattern tile(MemSpace space, DType t, uint64_t addr, uint32_t startPartition,
                            uint32_t numPartitions, std::vector<uint32_t> freeSizes);
  /// A row-major view of an HBM tensor region: rows of `rowStride` elements.
  static AccessPattern hbm(uint32_t tensor, DType t, uint64_t offset, uint32_t rows,
                           int64_t rowStride, std::vector<uint32_t> freeSizes,
                           std::vector<int64_t> freeStrides = {});
};

//===----------------------------------------------------------------------===//
// Instruction set (DESIGN.md section 4.3)
//===----------------------------------------------------------------------===//

/// Element-wise ALU operations of VectorE/GpSimd (tensor_tensor,
/// tensor_scalar, tensor_reduce). Comparisons produce 1.0 or 0.0.
enum class AluOp : uint8_t {
  Add = 0, Sub, Mul, Div, Max, Min, Pow,
  IsEq, IsNe, IsLt, IsLe, IsGt, IsGe,
  And, Or, // logical on nonzero-ness, produce 1.0/0.0
  Bypass,  // result = first operand (used to skip the second tensor_scalar op)
};
const char *aluOpName(AluOp op);
std::optional<AluOp> parseAluOp(const std::string &name);

/// ScalarE activation functions, evaluated in FP32 on f(in * scale + bias).
enum class ActFunc : uint8_t {
  Identity = 0, Relu, Gelu, GeluTanh, Silu, Sigmoid, Tanh, Exp, Log, Sqrt, Rsqrt,
  Square, Reciprocal, Erf, Abs,
};
const char *actFuncName(ActFunc f);
std::optional<ActFunc> parseActFunc(const std::string &name);

/// Matmul data path: BF16/FP16/FP32/FP8 (one row of K per partition),
/// trn2 FP8 double-row (2 rows per partition, K <= 256), trn3 MX (4 rows per
/// partition, K <= 512, E8M0 scales per 32 contraction elements).
enum class MatmulMode : uint8_t { Normal = 0, Fp8DoubleRow, Mx };
const char *matmulModeName(MatmulMode m);
/// "normal", "fp8_double_row", "mx".
std::optional<MatmulMode> parseMatmulMode(const std::string &name);

/// A scalar operand: an immediate or a per-partition column [P, 1] AP.
struct ScalarOperand {
  float imm = 0.0f;
  std::optional<AccessPattern> ap;
};

/// Copy between any two memories (HBM<->SBUF, SBUF<->SBUF, SBUF<->PSUM...).
/// Both sides walk the same number of elements in the same order; the dtype
/// must match (DMA does not convert).
struct DmaCopy {
  AccessPattern dst, src;
};

/// psum[M, N] (+)= stationary[K, M]^T @ moving[K, N]. K on partitions.
/// `accumulate == false` starts an accumulation group (overwrite).
/// Fp8DoubleRow/Mx: stationary/moving carry an extra leading free dim of
/// 2 or 4 rows: contraction index k = row * numPartitions + partition.
/// Mx: `stationaryScale`/`movingScale` are E8M0 APs with one partition per
/// 32 contraction partitions and the data's free shape: the scale of element
/// (row r, partition p, column c) is at scale partition p / 32, [r, c].
struct Matmul {
  AccessPattern dst, stationary, moving;
  bool accumulate = false;
  MatmulMode mode = MatmulMode::Normal;
  std::optional<AccessPattern> stationaryScale, movingScale;
};

/// PE transpose: dst[F, P] = src[P, F]^T; src in SBUF, dst in PSUM.
struct Transpose {
  AccessPattern dst, src;
};

/// ScalarE: dst = f(src * scale + bias); optionally accumDst[P, 1] = sum over
/// the free dims of dst's values (before conversion to dst's dtype).
struct Activation {
  AccessPattern dst, src;
  ActFunc func = ActFunc::Identity;
  ScalarOperand scale{1.0f, std::nullopt};
  ScalarOperand bias{0.0f, std::nullopt};
  std::optional<AccessPattern> accumDst;
};

/// dst = in0 op in1, element-wise (same shapes).
struct TensorTensor {
  AccessPattern dst, in0, in1;
  AluOp op = AluOp::Add;
};

/// dst = (src op0 scalar0) op1 scalar1. `reverse0` computes scalar0 op0 src
/// instead (same for reverse1). op1 == Bypass skips the second stage.
struct TensorScalar {
  AccessPattern dst, src;
  AluOp op0 = AluOp::Add;
  ScalarOperand scalar0;
  bool reverse0 = false;
  AluOp op1 = AluOp::Bypass;
  ScalarOperand scalar1;
  bool reverse1 = false;
};

/// Reduces the free dims selected by `axisMask` (bit i = free dim i of src,
/// outermost = bit 0); dst has src's free shape with those dims removed
/// (a [P, 1] column when all are reduced). `negate` negates the result.
struct TensorReduce {
  AccessPattern dst, src;
  AluOp op = AluOp::Add; // Add, Max, Min, Mul
  uint32_t axisMask = 0;
  bool negate = false;
};

/// dst = convert(src): the dtype conversion policy of QUANT.md (RNE; FP8/FP4
/// saturate to the finite range; NaN kept where the format has one).
struct TensorCopy {
  AccessPattern dst, src;
};

/// dst = pred != 0 ? onTrue : onFalse.
struct Select {
  AccessPattern dst, pred, onTrue, onFalse;
};

/// dst[p, i0..i3] = base + channelMultiplier * p + sum_k multipliers[k] * i_k
/// (computed in int32, then converted to dst's dtype). GpSimd only.
struct Iota {
  AccessPattern dst;
  int32_t base = 0;
  int32_t channelMultiplier = 0;
  std::array<int32_t, kMaxFreeDims> multipliers{{0, 0, 0, 0}};
};

/// dst = value (converted to dst's dtype).
struct Memset {
  AccessPattern dst;
  float value = 0.0f;
};

/// OCP MX quantization of `src` (f32/bf16/f16) along partitions: each block of
/// 32 consecutive partitions shares one E8M0 scale per free position.
/// dst: FP8/FP4 data with src's shape; scale: E8M0 with one partition per
/// block and src's free shape. trn3 VectorE only.
struct QuantizeMx {
  AccessPattern dst, scale, src;
};

using InstructionBody = std::variant<DmaCopy, Matmul, Transpose, Activation, TensorTensor,
                                     TensorScalar, TensorReduce, TensorCopy, Select, Iota, Memset,
                                     QuantizeMx>;

enum class Opcode : uint8_t {
  DmaCopy = 0, Matmul, Transpose, Activation, TensorTensor, TensorScalar, TensorReduce,
  TensorCopy, Select, Iota, Memset, QuantizeMx,
};
constexpr int kNumOpcodes = 12;
/// Mnemonic as printed by trn-objdump and used in the trn dialect
/// ("dma_copy", "matmul", "transpose", "activation", ...).
const char *opcodeName(Opcode op);
std::optional<Opcode> parseOpcode(const std::string &name);
inline Opcode opcodeOf(const InstructionBody &b) { return static_cast<Opcode>(b.index()); }

/// Engines allowed to execute an opcode (for the verifier and the scheduler).
bool engineCanExecute(Engine e, Opcode op);

/// Counting semaphores (256 per core, HARDWARE.md "Structure"). Each
/// semaphore starts at 0; an instruction's signals increment their semaphore
/// by one when it completes; a wait is satisfied once sem >= value.
struct SemWait {
  uint32_t sem = 0;
  uint32_t value = 0;
};

struct Instruction {
  InstructionBody body;
  std::vector<SemWait> waits;
  std::vector<uint32_t> signals;
  /// Free-form provenance (source location / op name) shown in profiles.
  std::string debug;

  Opcode opcode() const { return opcodeOf(body); }
};

//===----------------------------------------------------------------------===//
// Program
//===----------------------------------------------------------------------===//

enum class TensorKind : uint8_t { Input = 0, Output, Constant, Scratch };
const char *tensorKindName(TensorKind k);
/// "input", "output", "constant", "scratch".
std::optional<TensorKind> parseTensorKind(const std::string &name);

/// An HBM tensor. Inputs and outputs form the I/O signature in order of
/// appearance; constants carry their bytes (packed for FP8/FP4).
struct TensorDecl {
  std::string name;
  TensorKind kind = TensorKind::Input;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Constant only: raw little-endian bytes, dtypeBytes(dtype, numel) long.
  std::vector<uint8_t> data;
  /// Optional quantization metadata for constants stored in FP8/FP4: the
  /// index of the tensor holding the scales (E8M0 for MX, F32 otherwise).
  std::optional<uint32_t> scaleTensor;

  uint64_t numElements() const;
  uint64_t byteSize() const { return dtypeBytes(dtype, numElements()); }
};

/// A named on-chip buffer from the compiler's memory plan (for tools and the
/// race checker's reports; execution only uses access-pattern addresses).
struct BufferDecl {
  std::string name;
  MemSpace space = MemSpace::SBUF;
  uint64_t offset = 0; // byte address within each partition
  uint64_t bytesPerPartition = 0;
  uint32_t startPartition = 0;
  uint32_t numPartitions = 128;
};

struct Queue {
  QueueId id = 0;
  std::vector<Instruction> instructions;
};

constexpr uint32_t kTrnxFormatVersion = 1;

struct Program {
  std::string target = "trn2"; // "trn1" | "trn2" | "trn3"
  std::string name;            // e.g. the source function name
  std::vector<TensorDecl> tensors;
  std::vector<BufferDecl> buffers;
  std::vector<Queue> queues; // at most one per QueueId
  uint32_t numSemaphores = 0;

  std::vector<uint32_t> inputIndices() const;
  std::vector<uint32_t> outputIndices() const;
  uint64_t numInstructions() const;
};

} // namespace trnrt

#endif // TRN_RUNTIME_ISA_H
