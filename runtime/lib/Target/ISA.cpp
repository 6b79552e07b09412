//===- ISA.cpp - names, sizes and helpers of the trnc instruction set -----===//
//
// Every enum has one canonical lower-case spelling used by the CLI, the
// assembly printer (trn-objdump), the trn dialect and the .npy mapping. Parsers
// accept exactly those spellings, so parse(name(x)) == x for every value.
//
//===----------------------------------------------------------------------===//
#include "trn/runtime/ISA.h"

#include <algorithm>

namespace trnrt {

namespace {

/// Linear search of a name table indexed by enum value. The tables are tiny
/// (<= 20 entries) and parsing is never on a hot path.
template <typename E, size_t N>
std::optional<E> parseByTable(const char *const (&table)[N], const std::string &name) {
  for (size_t i = 0; i < N; ++i)
    if (name == table[i])
      return static_cast<E>(i);
  return std::nullopt;
}

template <size_t N> const char *nameByTable(const char *const (&table)[N], unsigned i) {
  return i < N ? table[i] : "<invalid>";
}

const char *const kDTypeNames[] = {"f32", "bf16", "f16", "f8e4m3", "f8e5m2", "f4e2m1",
                                   "e8m0", "i32", "u32", "i8", "u8"};
static_assert(sizeof(kDTypeNames) / sizeof(kDTypeNames[0]) == kNumDTypes);

const char *const kMemSpaceNames[] = {"hbm", "sbuf", "psum"};
const char *const kEngineNames[] = {"pe", "act", "dve", "pool", "dma"};
const char *const kAluOpNames[] = {"add",   "sub",   "mul",   "div",   "max",   "min",
                                   "pow",   "is_eq", "is_ne", "is_lt", "is_le", "is_gt",
                                   "is_ge", "and",   "or",    "bypass"};
static_assert(sizeof(kAluOpNames) / sizeof(kAluOpNames[0]) ==
              static_cast<size_t>(AluOp::Bypass) + 1);
const char *const kActFuncNames[] = {"identity", "relu", "gelu",   "gelu_tanh", "silu",
                                     "sigmoid",  "tanh", "exp",    "log",       "sqrt",
                                     "rsqrt",    "square", "reciprocal", "erf", "abs"};
static_assert(sizeof(kActFuncNames) / sizeof(kActFuncNames[0]) ==
              static_cast<size_t>(ActFunc::Abs) + 1);
const char *const kMatmulModeNames[] = {"normal", "fp8_double_row", "mx"};
const char *const kOpcodeNames[] = {"dma_copy",      "matmul",        "transpose",
                                    "activation",    "tensor_tensor", "tensor_scalar",
                                    "tensor_reduce", "tensor_copy",   "select",
                                    "iota",          "memset",        "quantize_mx"};
static_assert(sizeof(kOpcodeNames) / sizeof(kOpcodeNames[0]) == kNumOpcodes);
static_assert(std::variant_size_v<InstructionBody> == kNumOpcodes);
const char *const kTensorKindNames[] = {"input", "output", "constant", "scratch"};

} // namespace

//===----------------------------------------------------------------------===//
// Data types
//===----------------------------------------------------------------------===//

unsigned dtypeBits(DType t) {
  switch (t) {
  case DType::F32:
  case DType::I32:
  case DType::U32:
    return 32;
  case DType::BF16:
  case DType::F16:
    return 16;
  case DType::F8E4M3:
  case DType::F8E5M2:
  case DType::E8M0:
  case DType::I8:
  case DType::U8:
    return 8;
  case DType::F4E2M1:
    return 4;
  }
  return 0;
}

const char *dtypeName(DType t) { return nameByTable(kDTypeNames, static_cast<unsigned>(t)); }

std::optional<DType> parseDType(const std::string &name) {
  return parseByTable<DType>(kDTypeNames, name);
}

bool isFloatType(DType t) {
  switch (t) {
  case DType::F32:
  case DType::BF16:
  case DType::F16:
  case DType::F8E4M3:
  case DType::F8E5M2:
  case DType::F4E2M1:
  case DType::E8M0: // a power-of-two scale: a (degenerate) float format
    return true;
  case DType::I32:
  case DType::U32:
  case DType::I8:
  case DType::U8:
    return false;
  }
  return false;
}

uint64_t dtypeBytes(DType t, uint64_t n) {
  // FP4 packs two elements per byte; an odd count still occupies the last byte.
  return (n * dtypeBits(t) + 7) / 8;
}

//===----------------------------------------------------------------------===//
// Memories, engines and queues
//===----------------------------------------------------------------------===//

const char *memSpaceName(MemSpace m) {
  return nameByTable(kMemSpaceNames, static_cast<unsigned>(m));
}

const char *engineName(Engine e) { return nameByTable(kEngineNames, static_cast<unsigned>(e)); }

Engine queueEngine(QueueId q) {
  switch (q) {
  case kQueuePE:
    return Engine::PE;
  case kQueueACT:
    return Engine::ACT;
  case kQueueDVE:
    return Engine::DVE;
  case kQueuePOOL:
    return Engine::POOL;
  default:
    return Engine::DMA;
  }
}

std::string queueName(QueueId q) {
  if (q < kFirstDmaQueue)
    return engineName(queueEngine(q));
  if (q >= kMaxQueues)
    return "<invalid>";
  return "dma" + std::to_string(q - kFirstDmaQueue);
}

std::optional<QueueId> parseQueueName(const std::string &name) {
  for (QueueId q = 0; q < kFirstDmaQueue; ++q)
    if (name == engineName(queueEngine(q)))
      return q;
  if (name.size() < 4 || name.size() > 5 || name.compare(0, 3, "dma") != 0)
    return std::nullopt;
  // "dma0".."dma15": digits only, no leading zero (so the spelling is unique).
  const std::string digits = name.substr(3);
  if (digits.size() > 1 && digits[0] == '0')
    return std::nullopt;
  unsigned v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v >= kMaxDmaQueues)
    return std::nullopt;
  return static_cast<QueueId>(kFirstDmaQueue + v);
}

//===----------------------------------------------------------------------===//
// Access patterns
//===----------------------------------------------------------------------===//

uint64_t AccessPattern::elemsPerPartition() const {
  uint64_t n = 1;
  for (uint32_t i = 0; i < rank && i < kMaxFreeDims; ++i)
    n *= sizes[i];
  return n;
}

std::vector<uint32_t> AccessPattern::freeShape() const {
  const uint32_t r = rank < kMaxFreeDims ? rank : kMaxFreeDims;
  return std::vector<uint32_t>(sizes.begin(), sizes.begin() + r);
}

namespace {
/// Fills rank/sizes/strides from a free shape; strides default to row-major
/// contiguous. Shapes beyond kMaxFreeDims are truncated to rank 4 (callers
/// validate; the verifier reports over-rank programs).
void setFreeDims(AccessPattern &ap, const std::vector<uint32_t> &freeSizes,
                 const std::vector<int64_t> &freeStrides) {
  const size_t r = std::min<size_t>(std::max<size_t>(freeSizes.size(), 1), kMaxFreeDims);
  ap.rank = static_cast<uint32_t>(r);
  ap.sizes = {1, 1, 1, 1};
  ap.strides = {0, 0, 0, 0};
  for (size_t i = 0; i < r && i < freeSizes.size(); ++i)
    ap.sizes[i] = freeSizes[i];
  int64_t stride = 1;
  for (size_t i = r; i-- > 0;) {
    ap.strides[i] = i < freeStrides.size() ? freeStrides[i] : stride;
    stride *= ap.sizes[i];
  }
}
} // namespace

AccessPattern AccessPattern::tile(MemSpace space, DType t, uint64_t addr, uint32_t startPartition,
                                  uint32_t numPartitions, std::vector<uint32_t> freeSizes) {
  AccessPattern ap;
  ap.space = space;
  ap.dtype = t;
  ap.offset = addr;
  ap.startPartition = startPartition;
  ap.numPartitions = numPartitions;
  ap.partitionStride = 0; // on-chip: each partition has its own address space
  setFreeDims(ap, freeSizes, {});
  return ap;
}

AccessPattern AccessPattern::hbm(uint32_t tensor, DType t, uint64_t offset, uint32_t rows,
                                 int64_t rowStride, std::vector<uint32_t> freeSizes,
                                 std::vector<int64_t> freeStrides) {
  AccessPattern ap;
  ap.space = MemSpace::HBM;
  ap.dtype = t;
  ap.tensor = tensor;
  ap.offset = offset;
  ap.startPartition = 0;
  ap.numPartitions = rows;
  ap.partitionStride = rowStride;
  setFreeDims(ap, freeSizes, freeStrides);
  return ap;
}

//===----------------------------------------------------------------------===//
// Instruction set
//===----------------------------------------------------------------------===//

const char *aluOpName(AluOp op) { return nameByTable(kAluOpNames, static_cast<unsigned>(op)); }
std::optional<AluOp> parseAluOp(const std::string &name) {
  return parseByTable<AluOp>(kAluOpNames, name);
}

const char *actFuncName(ActFunc f) {
  return nameByTable(kActFuncNames, static_cast<unsigned>(f));
}
std::optional<ActFunc> parseActFunc(const std::string &name) {
  return parseByTable<ActFunc>(kActFuncNames, name);
}

const char *matmulModeName(MatmulMode m) {
  return nameByTable(kMatmulModeNames, static_cast<unsigned>(m));
}
std::optional<MatmulMode> parseMatmulMode(const std::string &name) {
  return parseByTable<MatmulMode>(kMatmulModeNames, name);
}

const char *opcodeName(Opcode op) { return nameByTable(kOpcodeNames, static_cast<unsigned>(op)); }
std::optional<Opcode> parseOpcode(const std::string &name) {
  return parseByTable<Opcode>(kOpcodeNames, name);
}

bool engineCanExecute(Engine e, Opcode op) {
  // HARDWARE.md "Structure" [ARCHv2][ISA]: PE runs matmul/transpose; ScalarE
  // runs activation (and copies through Identity); VectorE and GpSimd share
  // the element-wise ALU instruction family; iota/affine_select are GpSimd
  // instructions; QuantizeMX is a v4 VectorE instruction [ARCHv4]; DMA copies
  // run on the DMA queues.
  switch (op) {
  case Opcode::DmaCopy:
    return e == Engine::DMA;
  case Opcode::Matmul:
  case Opcode::Transpose:
    return e == Engine::PE;
  case Opcode::Activation:
    return e == Engine::ACT;
  case Opcode::TensorTensor:
  case Opcode::TensorScalar:
  case Opcode::TensorReduce:
    return e == Engine::DVE || e == Engine::POOL;
  case Opcode::TensorCopy:
    // NKI's tensor_copy takes an engine argument among Vector/Scalar/GpSimd
    // [ISA]; ScalarE copies are its Identity activation path.
    return e == Engine::DVE || e == Engine::POOL || e == Engine::ACT;
  case Opcode::Memset:
    return e == Engine::DVE || e == Engine::POOL;
  case Opcode::Select:
    // Predicated selection is GpSimd's affine_select family in the cost
    // table [ISA-OLD]; the cost model prices it there only.
  case Opcode::Iota:
    return e == Engine::POOL;
  case Opcode::QuantizeMx:
    return e == Engine::DVE;
  }
  return false;
}

//===----------------------------------------------------------------------===//
// Program
//===----------------------------------------------------------------------===//

const char *tensorKindName(TensorKind k) {
  return nameByTable(kTensorKindNames, static_cast<unsigned>(k));
}
std::optional<TensorKind> parseTensorKind(const std::string &name) {
  return parseByTable<TensorKind>(kTensorKindNames, name);
}

uint64_t TensorDecl::numElements() const {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= d > 0 ? static_cast<uint64_t>(d) : 0;
  return n;
}

std::vector<uint32_t> Program::inputIndices() const {
  std::vector<uint32_t> r;
  for (uint32_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].kind == TensorKind::Input)
      r.push_back(i);
  return r;
}

std::vector<uint32_t> Program::outputIndices() const {
  std::vector<uint32_t> r;
  for (uint32_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].kind == TensorKind::Output)
      r.push_back(i);
  return r;
}

uint64_t Program::numInstructions() const {
  uint64_t n = 0;
  for (const Queue &q : queues)
    n += q.instructions.size();
  return n;
}

} // namespace trnrt
