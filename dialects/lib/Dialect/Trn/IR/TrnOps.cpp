//===- TrnOps.cpp - trn operations: verifiers, effects, assembly ---------===//
//
// Every verifier reads its limits from the target model (trnrt::Target) of
// the enclosing `trn.target` (default trn2) and names the limit, the value and
// the allowed range in its diagnostic.
//
//===----------------------------------------------------------------------===//

#include "trn/Dialect/Trn/IR/TrnOps.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>

using namespace mlir;
using namespace mlir::trn;

//===----------------------------------------------------------------------===//
// Small formatting helpers
//===----------------------------------------------------------------------===//

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, "x");
  return s;
}

template <typename Range, typename Fn>
static std::string joinWithOr(const Range &items, Fn &&toString) {
  std::string s;
  size_t n = llvm::size(items), i = 0;
  for (const auto &item : items) {
    if (i)
      s += (i + 1 == n) ? " or " : ", ";
    s += toString(item);
    ++i;
  }
  return s;
}

static std::string engineList(ArrayRef<trnrt::Engine> engines) {
  return joinWithOr(engines, [](trnrt::Engine e) { return stringifyEngine(fromISA(e)).str(); });
}

/// Targets (by name) satisfying `pred`, e.g. "trn2, trn3"; "none" if empty.
static std::string targetsWhere(llvm::function_ref<bool(const trnrt::Target &)> pred) {
  std::string s;
  for (const std::string &name : trnrt::Target::names()) {
    const trnrt::Target *t = trnrt::Target::get(name);
    if (t && pred(*t))
      s += (s.empty() ? "" : ", ") + name;
  }
  return s.empty() ? "none" : s;
}

//===----------------------------------------------------------------------===//
// TrnInstructionOpInterface helpers
//===----------------------------------------------------------------------===//

void mlir::trn::detail::collectTileAccesses(Operation *op, SmallVectorImpl<OpOperand *> &reads,
                                            SmallVectorImpl<OpOperand *> &writes) {
  auto iface = dyn_cast<MemoryEffectOpInterface>(op);
  if (!iface)
    return;
  SmallVector<MemoryEffects::EffectInstance> effects;
  iface.getEffects(effects);
  for (const MemoryEffects::EffectInstance &effect : effects) {
    OpOperand *operand = effect.getEffectValue<OpOperand *>();
    if (!operand)
      continue;
    if (isa<MemoryEffects::Read>(effect.getEffect()) && !llvm::is_contained(reads, operand))
      reads.push_back(operand);
    if (isa<MemoryEffects::Write>(effect.getEffect()) && !llvm::is_contained(writes, operand))
      writes.push_back(operand);
  }
}

SmallVector<trnrt::Engine, 2> mlir::trn::detail::supportedEngines(trnrt::Opcode opcode) {
  SmallVector<trnrt::Engine, 2> engines;
  for (unsigned e = 0, last = getMaxEnumValForEngine(); e <= last; ++e)
    if (trnrt::engineCanExecute(static_cast<trnrt::Engine>(e), opcode))
      engines.push_back(static_cast<trnrt::Engine>(e));
  return engines;
}

std::optional<trnrt::Engine> mlir::trn::detail::executionEngine(Operation *op) {
  auto inst = cast<TrnInstructionOpInterface>(op);
  if (std::optional<trnrt::QueueId> q = inst.getAssignedQueue())
    return trnrt::queueEngine(*q);
  if (EngineAttr e = inst.getEngineAttr())
    return toISA(e.getValue());
  SmallVector<trnrt::Engine, 2> engines = inst.getSupportedEngines();
  if (engines.size() == 1)
    return engines.front();
  return std::nullopt;
}

LogicalResult mlir::trn::detail::verifyInstructionOp(Operation *op) {
  auto inst = cast<TrnInstructionOpInterface>(op);
  const trnrt::Target &target = getTarget(op);
  trnrt::Opcode opcode = inst.getOpcode();
  SmallVector<trnrt::Engine, 2> engines = inst.getSupportedEngines();

  std::optional<trnrt::Engine> attrEngine;
  if (EngineAttr e = inst.getEngineAttr()) {
    attrEngine = toISA(e.getValue());
    if (!trnrt::engineCanExecute(*attrEngine, opcode))
      return op->emitOpError() << "engine '" << stringifyEngine(e.getValue())
                               << "' cannot execute this instruction; allowed engines: "
                               << engineList(engines);
  }

  if (StringAttr queue = inst.getQueueAttr()) {
    std::optional<trnrt::QueueId> q = trnrt::parseQueueName(queue.getValue().str());
    if (!q)
      return op->emitOpError() << "unknown queue '" << queue.getValue()
                               << "'; expected pe, act, dve, pool or dma0..dma"
                               << (trnrt::kMaxDmaQueues - 1);
    trnrt::Engine qe = trnrt::queueEngine(*q);
    if (qe == trnrt::Engine::DMA &&
        static_cast<unsigned>(*q - trnrt::kFirstDmaQueue) >= target.dma.numEngines)
      return op->emitOpError() << "queue '" << queue.getValue() << "' exceeds the "
                               << target.name << " limit of " << target.dma.numEngines
                               << " DMA queues (dma0..dma" << target.dma.numEngines - 1 << ")";
    if (!trnrt::engineCanExecute(qe, opcode))
      return op->emitOpError() << "queue '" << queue.getValue() << "' runs on engine '"
                               << stringifyEngine(fromISA(qe))
                               << "', which cannot execute this instruction; allowed engines: "
                               << engineList(engines);
    if (attrEngine && *attrEngine != qe)
      return op->emitOpError() << "queue '" << queue.getValue() << "' runs on engine '"
                               << stringifyEngine(fromISA(qe)) << "' but engine = '"
                               << stringifyEngine(fromISA(*attrEngine)) << "'";
  }

  if (SyncAttr sync = inst.getSyncAttr()) {
    auto checkSem = [&](uint32_t sem) -> LogicalResult {
      if (sem < target.numSemaphores)
        return success();
      return op->emitOpError() << "semaphore s" << sem << " exceeds the " << target.name
                               << " limit of " << target.numSemaphores << " semaphores (s0..s"
                               << target.numSemaphores - 1 << ")";
    };
    for (uint32_t sem : sync.getWaitSems())
      if (failed(checkSem(sem)))
        return failure();
    for (uint32_t sem : sync.getSignals())
      if (failed(checkSem(sem)))
        return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Tile operand checking
//===----------------------------------------------------------------------===//

namespace {

/// How an operand is accessed: by a DMA queue (any layout the DMA engine
/// walks), by the PE array, or by ACT/DVE/POOL (per-partition element limits).
enum class TileUse { Dma, Pe, Compute };

struct Tile {
  Value value;
  StringRef name;
  MemRefType type;
  MemSpace space = MemSpace::SBUF;
  trnrt::DType dtype = trnrt::DType::F32;

  int64_t rank() const { return type.getRank(); }
  int64_t dim(unsigned i) const { return type.getDimSize(i); }
  int64_t partitions() const { return dim(0); }
  ArrayRef<int64_t> shape() const { return type.getShape(); }
  ArrayRef<int64_t> freeShape() const { return shape().drop_front(); }
  int64_t freeElems() const {
    int64_t n = 1;
    for (int64_t d : freeShape())
      n *= d;
    return n;
  }
  int64_t numElements() const { return partitions() * freeElems(); }
  uint64_t freeBytes() const { return trnrt::dtypeBytes(dtype, static_cast<uint64_t>(freeElems())); }
  Type elementType() const { return type.getElementType(); }
};

/// Verification context of one instruction.
class Checker {
public:
  explicit Checker(Operation *op) : op(op), target(getTarget(op)) {}

  InFlightDiagnostic error() { return op->emitOpError(); }

  /// Checks a tile operand and returns its description. `allowed` lists the
  /// memory spaces the operand may live in.
  FailureOr<Tile> tile(Value v, StringRef name, ArrayRef<MemSpace> allowed, TileUse use);

  /// `t` must be a [P, 1] per-partition column matching `ref`'s partitions.
  LogicalResult column(const Tile &t, const Tile &ref);
  /// `a` and `b` must have the same shape.
  LogicalResult sameShape(const Tile &a, const Tile &b);
  /// The source and destination of an element-wise on-chip instruction:
  /// both compute tiles in SBUF/PSUM, with the same shape.
  FailureOr<std::pair<Tile, Tile>> elementwiseSrcDst(Value src, Value dst);
  /// Every tile's dtype must be legal on the executing engine (or, while the
  /// engine is still open, on one engine able to execute the opcode).
  LogicalResult engineDTypes(ArrayRef<Tile> tiles);
  /// `t`'s free bytes per partition must fit one PSUM bank.
  LogicalResult fitsPsumBank(const Tile &t);

  Operation *op;
  const trnrt::Target &target;
};

} // namespace

FailureOr<Tile> Checker::tile(Value v, StringRef name, ArrayRef<MemSpace> allowed, TileUse use) {
  Tile t;
  t.value = v;
  t.name = name;
  t.type = cast<MemRefType>(v.getType());

  std::optional<MemSpace> space = getMemSpace(t.type);
  if (!space)
    return error() << name << " must be in a #trn.mem<hbm|sbuf|psum> memory space, got "
                   << t.type;
  t.space = *space;
  if (!llvm::is_contained(allowed, t.space))
    return error() << name << " must be in "
                   << joinWithOr(allowed, [](MemSpace m) { return "#trn.mem<" + stringifyMemSpace(m).str() + ">"; })
                   << ", got #trn.mem<" << stringifyMemSpace(t.space) << ">";
  if (!t.type.hasStaticShape())
    return error() << name << " must have a static shape, got " << t.type;
  std::optional<trnrt::DType> dtype = getDType(t.elementType());
  if (!dtype)
    return error() << name << " element type " << t.elementType()
                   << " is not a device dtype (supported: "
                   << getSupportedElementTypesString(op->getContext()) << ")";
  t.dtype = *dtype;

  const bool onChip = t.space != MemSpace::HBM;
  const int64_t maxRank = 1 + static_cast<int64_t>(target.maxFreeDims);
  if (onChip && (t.rank() < 2 || t.rank() > maxRank))
    return error() << name << " has rank " << t.rank()
                   << "; an SBUF/PSUM tile has a partition dim and 1 to " << target.maxFreeDims
                   << " free dims (rank 2 to " << maxRank << ")";
  if (!onChip && (t.rank() < 1 || t.rank() > maxRank))
    return error() << name << " has rank " << t.rank()
                   << "; an HBM access pattern has a row dim and at most " << target.maxFreeDims
                   << " free dims (rank 1 to " << maxRank << ")";
  for (auto [i, d] : llvm::enumerate(t.shape()))
    if (d < 1)
      return error() << name << " dim " << i << " has size " << d << "; sizes must be >= 1";

  if (onChip) {
    if (t.partitions() > static_cast<int64_t>(target.numPartitions))
      return error() << name << " partition count " << t.partitions() << " exceeds the "
                     << target.name << " limit of " << target.numPartitions;
    if (auto sv = v.getDefiningOp<memref::SubViewOp>(); sv && sv.getDroppedDims().test(0))
      return error() << name << " is a memref.subview that drops the partition dim (dim 0) of "
                     << "its buffer";
    if (std::optional<PartitionRange> range = getStaticPartitionRange(v)) {
      if (range->step != 1)
        return error() << name << " has partition step " << range->step
                       << "; a tile uses consecutive partitions (step 1)";
      int64_t count = t.partitions();
      if (range->start < 0 || range->start + count > static_cast<int64_t>(target.numPartitions))
        return error() << name << " accesses partitions [" << range->start << ", "
                       << range->start + count << ") outside the " << target.name
                       << " range [0, " << target.numPartitions << ")";
      if (!target.isLegalPartitionRange(static_cast<uint32_t>(range->start),
                                        static_cast<uint32_t>(count)))
        return error() << name << " accesses " << count << " partitions starting at partition "
                       << range->start << "; on " << target.name << " an access of " << count
                       << " partitions must start at partition "
                       << target.legalStartsFor(static_cast<uint32_t>(count));
    }
  }

  SmallVector<int64_t> strides;
  int64_t offset = 0;
  if (failed(t.type.getStridesAndOffset(strides, offset)))
    return error() << name << " must have a strided layout, got " << t.type;

  if (use != TileUse::Dma) {
    for (int64_t i = 1; i < t.rank(); ++i) {
      if (t.dim(i) > static_cast<int64_t>(target.maxApSize))
        return error() << name << " free dim " << i - 1 << " size " << t.dim(i)
                       << " exceeds the " << target.name << " access-pattern limit of "
                       << target.maxApSize;
      if (ShapedType::isDynamic(strides[i]) || t.dim(i) == 1)
        continue;
      if (strides[i] > target.maxApStride || strides[i] < -target.maxApStride - 1)
        return error() << name << " free dim " << i - 1 << " stride " << strides[i]
                       << " is outside the " << target.name << " access-pattern stride range ["
                       << -target.maxApStride - 1 << ", " << target.maxApStride << "]";
    }
  }
  if (use == TileUse::Compute) {
    uint64_t limit = t.space == MemSpace::PSUM ? target.maxFreeElemsPsum : target.maxFreeElemsSbuf;
    if (static_cast<uint64_t>(t.freeElems()) > limit)
      return error() << name << " has " << t.freeElems() << " elements per partition, exceeding the "
                     << target.name << " limit of " << limit << " for "
                     << stringifyMemSpace(t.space).upper() << " operands";
  }
  return t;
}

LogicalResult Checker::column(const Tile &t, const Tile &ref) {
  if (t.rank() != 2 || t.dim(0) != ref.partitions() || t.dim(1) != 1)
    return error() << t.name << " must be a per-partition column of shape ["
                   << ref.partitions() << ", 1], got " << shapeString(t.shape());
  return success();
}

LogicalResult Checker::sameShape(const Tile &a, const Tile &b) {
  if (a.shape() != b.shape())
    return error() << b.name << " shape " << shapeString(b.shape()) << " does not match "
                   << a.name << " shape " << shapeString(a.shape());
  return success();
}

LogicalResult Checker::engineDTypes(ArrayRef<Tile> tiles) {
  auto inst = cast<TrnInstructionOpInterface>(op);
  if (std::optional<trnrt::Engine> engine = inst.getExecutionEngine()) {
    for (const Tile &t : tiles)
      if (!target.engineSupportsDType(*engine, t.dtype))
        return error() << t.name << " element type " << t.elementType()
                       << " is not supported by engine '" << stringifyEngine(fromISA(*engine))
                       << "' on " << target.name;
    return success();
  }
  SmallVector<trnrt::Engine, 2> engines = inst.getSupportedEngines();
  for (trnrt::Engine e : engines)
    if (llvm::all_of(tiles, [&](const Tile &t) { return target.engineSupportsDType(e, t.dtype); }))
      return success();
  for (const Tile &t : tiles)
    if (llvm::none_of(engines, [&](trnrt::Engine e) { return target.engineSupportsDType(e, t.dtype); }))
      return error() << t.name << " element type " << t.elementType()
                     << " is not supported by any engine able to execute this instruction ("
                     << engineList(engines) << ") on " << target.name;
  return error() << "no single engine among " << engineList(engines)
                 << " supports all operand element types on " << target.name;
}

LogicalResult Checker::fitsPsumBank(const Tile &t) {
  if (t.freeBytes() > target.psumBankBytes)
    return error() << t.name << " uses " << t.freeBytes()
                   << " bytes per partition, exceeding one PSUM bank (" << target.psumBankBytes
                   << " bytes) on " << target.name;
  return success();
}

static constexpr MemSpace kOnChip[] = {MemSpace::SBUF, MemSpace::PSUM};

static constexpr MemSpace kSbuf[] = {MemSpace::SBUF};
static constexpr MemSpace kPsum[] = {MemSpace::PSUM};
static constexpr MemSpace kAnyMem[] = {MemSpace::HBM, MemSpace::SBUF, MemSpace::PSUM};

FailureOr<std::pair<Tile, Tile>> Checker::elementwiseSrcDst(Value src, Value dst) {
  FailureOr<Tile> s = tile(src, "source", kOnChip, TileUse::Compute);
  if (failed(s))
    return failure();
  FailureOr<Tile> d = tile(dst, "destination", kOnChip, TileUse::Compute);
  if (failed(d) || failed(sameShape(*s, *d)))
    return failure();
  return std::make_pair(*s, *d);
}

//===----------------------------------------------------------------------===//
// Custom assembly directives
//===----------------------------------------------------------------------===//

/// scalar-operand ::= float-literal | ssa-id `:` memref-type
static ParseResult parseScalarOperand(OpAsmParser &p,
                                      std::optional<OpAsmParser::UnresolvedOperand> &tile,
                                      Type &tileType, FloatAttr &imm) {
  OpAsmParser::UnresolvedOperand operand;
  OptionalParseResult res = p.parseOptionalOperand(operand);
  if (res.has_value()) {
    if (failed(*res))
      return failure();
    tile = operand;
    return p.parseColonType(tileType);
  }
  double value = 0;
  if (p.parseFloat(value))
    return failure();
  imm = p.getBuilder().getF32FloatAttr(static_cast<float>(value));
  return success();
}

static void printScalarOperand(OpAsmPrinter &p, Operation *, Value tile, Type tileType,
                               FloatAttr imm) {
  if (tile) {
    p << tile << " : " << tileType;
    return;
  }
  p.printFloat(imm ? imm.getValue() : APFloat(0.0f));
}

/// second-stage ::= (`,` alu-op `(` scalar-operand `)` `reversed`?)?
/// Omitted when op1 is `bypass` with the immediate 0.0 (the verifier rejects
/// any other second stage with op1 = bypass).
static ParseResult parseSecondStage(OpAsmParser &p, AluOpAttr &op1,
                                    std::optional<OpAsmParser::UnresolvedOperand> &tile,
                                    Type &tileType, FloatAttr &imm, UnitAttr &reverse) {
  if (failed(p.parseOptionalComma()))
    return success();
  SMLoc loc = p.getCurrentLocation();
  StringRef kw;
  if (p.parseKeyword(&kw))
    return failure();
  std::optional<AluOp> aluOp = symbolizeAluOp(kw);
  if (!aluOp)
    return p.emitError(loc) << "unknown ALU operation '" << kw << "'";
  op1 = AluOpAttr::get(p.getContext(), *aluOp);
  if (p.parseLParen() || parseScalarOperand(p, tile, tileType, imm) || p.parseRParen())
    return failure();
  if (succeeded(p.parseOptionalKeyword("reversed")))
    reverse = p.getBuilder().getUnitAttr();
  return success();
}

static void printSecondStage(OpAsmPrinter &p, Operation *op, AluOpAttr op1, Value tile,
                             Type tileType, FloatAttr imm, UnitAttr reverse) {
  bool bypass = !op1 || op1.getValue() == AluOp::Bypass;
  if (bypass && !tile && !reverse && (!imm || imm.getValue().isZero()))
    return;
  p << ", " << stringifyAluOp(op1 ? op1.getValue() : AluOp::Bypass) << "(";
  printScalarOperand(p, op, tile, tileType, imm);
  p << ")";
  if (reverse)
    p << " reversed";
}

#define GET_OP_CLASSES
#include "trn/Dialect/Trn/IR/TrnOps.cpp.inc"

#include "trn/Dialect/Trn/IR/TrnInterfaces.cpp.inc"

//===----------------------------------------------------------------------===//
// trn.alloc
//===----------------------------------------------------------------------===//

LogicalResult AllocOp::verify() {
  const trnrt::Target &target = getTarget(*this);
  MemRefType type = getBuffer().getType();
  std::optional<MemSpace> space = getMemSpace(type);
  if (!space || *space == MemSpace::HBM)
    return emitOpError() << "allocates on-chip buffers only: the memory space must be "
                         << "#trn.mem<sbuf> or #trn.mem<psum>, got " << type;
  if (!type.hasStaticShape())
    return emitOpError() << "buffer must have a static shape, got " << type;
  if (!type.getLayout().isIdentity())
    return emitOpError() << "buffer must have the identity layout (use memref.subview for "
                         << "access patterns), got " << type;
  std::optional<trnrt::DType> dtype = getDType(type.getElementType());
  if (!dtype)
    return emitOpError() << "element type " << type.getElementType()
                         << " is not a device dtype (supported: "
                         << getSupportedElementTypesString(getContext()) << ")";
  int64_t maxRank = 1 + target.maxFreeDims;
  if (type.getRank() < 2 || type.getRank() > maxRank)
    return emitOpError() << "buffer has rank " << type.getRank()
                         << "; an SBUF/PSUM buffer has a partition dim and 1 to "
                         << target.maxFreeDims << " free dims (rank 2 to " << maxRank << ")";
  for (auto [i, d] : llvm::enumerate(type.getShape()))
    if (d < 1)
      return emitOpError() << "buffer dim " << i << " has size " << d << "; sizes must be >= 1";
  if (type.getDimSize(0) > static_cast<int64_t>(target.numPartitions))
    return emitOpError() << "buffer partition count " << type.getDimSize(0) << " exceeds the "
                         << target.name << " limit of " << target.numPartitions;
  uint64_t freeElems = 1;
  for (int64_t d : type.getShape().drop_front())
    freeElems *= static_cast<uint64_t>(d);
  uint64_t bytes = trnrt::dtypeBytes(*dtype, freeElems);
  bool psum = *space == MemSpace::PSUM;
  uint64_t capacity = psum ? target.psumBytesPerPartition() : target.sbufBytesPerPartition;
  StringRef memName = psum ? "PSUM" : "SBUF";
  uint64_t offset = 0;
  if (std::optional<uint64_t> off = getOffset()) {
    if (static_cast<int64_t>(*off) < 0)
      return emitOpError() << "offset " << static_cast<int64_t>(*off) << " must be >= 0";
    offset = *off;
  }
  if (offset + bytes > capacity)
    return emitOpError() << "buffer needs " << bytes << " bytes per partition at offset "
                         << offset << ", exceeding the " << target.name << " " << memName
                         << " capacity of " << capacity << " bytes per partition";
  return success();
}

//===----------------------------------------------------------------------===//
// trn.dma_copy
//===----------------------------------------------------------------------===//

LogicalResult DmaCopyOp::verify() {
  Checker c(*this);
  FailureOr<Tile> src = c.tile(getSrc(), "source", kAnyMem, TileUse::Dma);
  if (failed(src))
    return failure();
  FailureOr<Tile> dst = c.tile(getDst(), "destination", kAnyMem, TileUse::Dma);
  if (failed(dst))
    return failure();
  bool srcPsum = src->space == MemSpace::PSUM, dstPsum = dst->space == MemSpace::PSUM;
  if ((srcPsum && dst->space != MemSpace::SBUF) || (dstPsum && src->space != MemSpace::SBUF))
    return emitOpError() << "DMA from #trn.mem<" << stringifyMemSpace(src->space)
                         << "> to #trn.mem<" << stringifyMemSpace(dst->space)
                         << "> is not supported; PSUM is reachable by DMA only from SBUF";
  if (src->elementType() != dst->elementType())
    return emitOpError() << "DMA does not convert: source element type " << src->elementType()
                         << " differs from destination element type " << dst->elementType();
  if (src->numElements() != dst->numElements())
    return emitOpError() << "source has " << src->numElements()
                         << " elements but destination has " << dst->numElements()
                         << "; both sides must walk the same number of elements";
  return c.engineDTypes({*src, *dst});
}

//===----------------------------------------------------------------------===//
// trn.matmul
//===----------------------------------------------------------------------===//

void MatmulOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) {
  auto *res = SideEffects::DefaultResource::get();
  effects.emplace_back(MemoryEffects::Read::get(), &getStationaryMutable(), res);
  effects.emplace_back(MemoryEffects::Read::get(), &getMovingMutable(), res);
  for (OpOperand &o : getStationaryScaleMutable())
    effects.emplace_back(MemoryEffects::Read::get(), &o, res);
  for (OpOperand &o : getMovingScaleMutable())
    effects.emplace_back(MemoryEffects::Read::get(), &o, res);
  // Only an accumulating matmul reads its PSUM tile; the first matmul of an
  // accumulation group overwrites it.
  if (getAccumulate())
    effects.emplace_back(MemoryEffects::Read::get(), &getDstMutable(), res);
  effects.emplace_back(MemoryEffects::Write::get(), &getDstMutable(), res);
}

static bool isFp8(trnrt::DType t) {
  return t == trnrt::DType::F8E4M3 || t == trnrt::DType::F8E5M2;
}

LogicalResult MatmulOp::verify() {
  Checker c(*this);
  const trnrt::Target &target = c.target;
  MatmulMode mode = getMode();
  trnrt::MatmulMode isaMode = toISA(mode);
  StringRef modeName = stringifyMatmulMode(mode);
  if (!target.supportsMatmulMode(isaMode))
    return emitOpError() << "matmul mode " << modeName << " is not supported on " << target.name
                         << " (supported on: "
                         << targetsWhere([&](const trnrt::Target &t) {
                              return t.supportsMatmulMode(isaMode);
                            })
                         << ")";

  FailureOr<Tile> st = c.tile(getStationary(), "stationary", kSbuf, TileUse::Pe);
  if (failed(st))
    return failure();
  FailureOr<Tile> mv = c.tile(getMoving(), "moving", kSbuf, TileUse::Pe);
  if (failed(mv))
    return failure();
  FailureOr<Tile> ps = c.tile(getDst(), "result", kPsum, TileUse::Pe);
  if (failed(ps))
    return failure();

  const int64_t rows = trnrt::Target::matmulRowsPerPartition(isaMode);
  const int64_t rank = rows == 1 ? 2 : 3;
  for (const Tile *t : {&*st, &*mv}) {
    StringRef free = t == &*st ? "M" : "N";
    if (t->rank() != rank || (rows > 1 && t->dim(1) != rows)) {
      if (rows == 1)
        return emitOpError() << t->name << " must be [K, " << free << "] in mode " << modeName
                             << ", got " << shapeString(t->shape());
      return emitOpError() << t->name << " must be [K, " << rows << ", " << free << "] ("
                           << rows << " contraction rows per partition) in mode " << modeName
                           << ", got " << shapeString(t->shape());
    }
    if (!target.isLegalMatmulOperand(isaMode, t->dtype))
      return emitOpError() << t->name << " element type " << t->elementType()
                           << " is not a legal matmul operand in mode " << modeName << " on "
                           << target.name;
  }
  const int64_t K = st->partitions(), M = st->dim(rank - 1), N = mv->dim(rank - 1);
  if (mv->partitions() != K)
    return emitOpError() << "contraction size mismatch: stationary has K = " << K
                         << " partitions but moving has " << mv->partitions();
  if (mode == MatmulMode::Normal && st->dtype != mv->dtype &&
      !(isFp8(st->dtype) && isFp8(mv->dtype)))
    return emitOpError() << "stationary element type " << st->elementType()
                         << " and moving element type " << mv->elementType()
                         << " must match (only FP8 E4M3/E5M2 may mix)";
  if (M > static_cast<int64_t>(target.maxStationaryFree))
    return emitOpError() << "stationary free size " << M << " exceeds the " << target.name
                         << " limit of " << target.maxStationaryFree;

  if (!target.isLegalMatmulOutput(ps->dtype))
    return emitOpError() << "result element type " << ps->elementType()
                         << " is not a legal PSUM matmul output on " << target.name
                         << (target.psumBf16Accumulate ? " (f32 or bf16)" : " (f32)");
  const int64_t maxN = target.maxMovingFreeFor(ps->dtype);
  if (N > maxN)
    return emitOpError() << "moving free size " << N << " exceeds the " << target.name
                         << " limit of " << maxN;
  if (ps->rank() != 2 || ps->dim(0) != M || ps->dim(1) != N)
    return emitOpError() << "result shape " << shapeString(ps->shape())
                         << " must be [M, N] = " << M << "x" << N;
  if (!target.movingMayExceedBank && failed(c.fitsPsumBank(*ps)))
    return failure();

  // MX scales.
  Value ss = getStationaryScale(), ms = getMovingScale();
  if (mode != MatmulMode::Mx) {
    if (ss || ms)
      return emitOpError() << "scale operands are only allowed in mode mx, not " << modeName;
  } else {
    if (!ss || !ms)
      return emitOpError() << "mode mx requires stationary and moving E8M0 scale operands";
    constexpr int64_t kBlock = 32;
    if (K % kBlock != 0)
      return emitOpError() << "mode mx needs the contraction partitions K to be a multiple of "
                           << kBlock << " (one E8M0 scale per block), got K = " << K;
    FailureOr<Tile> sst = c.tile(ss, "stationary scale", kSbuf, TileUse::Pe);
    if (failed(sst))
      return failure();
    FailureOr<Tile> mst = c.tile(ms, "moving scale", kSbuf, TileUse::Pe);
    if (failed(mst))
      return failure();
    for (auto [scale, data] : {std::pair(&*sst, &*st), std::pair(&*mst, &*mv)}) {
      if (!target.isLegalMatmulScale(isaMode, scale->dtype))
        return emitOpError() << scale->name << " element type " << scale->elementType()
                             << " is not a legal MX scale type (f8E8M0FNU)";
      SmallVector<int64_t> expected(data->shape());
      expected[0] = K / kBlock;
      if (scale->shape() != ArrayRef<int64_t>(expected))
        return emitOpError() << scale->name << " shape " << shapeString(scale->shape())
                             << " must be [K/32, " << rows << ", " << data->dim(rank - 1)
                             << "] = " << shapeString(expected);
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// trn.transpose
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::verify() {
  Checker c(*this);
  FailureOr<Tile> src = c.tile(getSrc(), "source", kSbuf, TileUse::Pe);
  if (failed(src))
    return failure();
  if (src->rank() != 2)
    return emitOpError() << "source must be [P, F], got " << shapeString(src->shape());
  const int64_t P = src->dim(0), F = src->dim(1);
  if (F > static_cast<int64_t>(c.target.maxStationaryFree))
    return emitOpError() << "source free size " << F << " exceeds the " << c.target.name
                         << " limit of " << c.target.maxStationaryFree;
  FailureOr<Tile> dst = c.tile(getDst(), "result", kPsum, TileUse::Pe);
  if (failed(dst))
    return failure();
  if (dst->rank() != 2 || dst->dim(0) != F || dst->dim(1) != P)
    return emitOpError() << "result shape " << shapeString(dst->shape())
                         << " must be the transposed source shape " << F << "x" << P;
  if (dst->dtype != src->dtype && dst->dtype != trnrt::DType::F32)
    return emitOpError() << "result element type " << dst->elementType()
                         << " must be f32 or the source element type " << src->elementType();
  if (failed(c.fitsPsumBank(*dst)))
    return failure();
  return c.engineDTypes({*src, *dst});
}

//===----------------------------------------------------------------------===//
// trn.activation
//===----------------------------------------------------------------------===//

LogicalResult ActivationOp::verify() {
  Checker c(*this);
  FailureOr<std::pair<Tile, Tile>> io = c.elementwiseSrcDst(getSrc(), getDst());
  if (failed(io))
    return failure();
  const Tile *src = &io->first, *dst = &io->second;
  SmallVector<Tile> tiles = {*src, *dst};
  auto checkScalar = [&](Value v, StringRef name, float imm, float dflt) -> LogicalResult {
    if (!v)
      return success();
    if (imm != dflt)
      return emitOpError() << name << " is either an immediate or a tile, not both";
    FailureOr<Tile> t = c.tile(v, name, kOnChip, TileUse::Compute);
    if (failed(t) || failed(c.column(*t, *src)))
      return failure();
    if (t->dtype != trnrt::DType::F32)
      return emitOpError() << name << " element type must be f32, got " << t->elementType();
    tiles.push_back(*t);
    return success();
  };
  if (failed(checkScalar(getScaleTile(), "scale", getScale().convertToFloat(), 1.0f)) ||
      failed(checkScalar(getBiasTile(), "bias", getBias().convertToFloat(), 0.0f)))
    return failure();
  if (Value acc = getAccum()) {
    FailureOr<Tile> t = c.tile(acc, "accumulator", kOnChip, TileUse::Compute);
    if (failed(t) || failed(c.column(*t, *src)))
      return failure();
    tiles.push_back(*t);
  }
  return c.engineDTypes(tiles);
}

//===----------------------------------------------------------------------===//
// trn.tensor_tensor
//===----------------------------------------------------------------------===//

LogicalResult TensorTensorOp::verify() {
  Checker c(*this);
  FailureOr<Tile> in0 = c.tile(getIn0(), "first input", kOnChip, TileUse::Compute);
  if (failed(in0))
    return failure();
  FailureOr<Tile> in1 = c.tile(getIn1(), "second input", kOnChip, TileUse::Compute);
  if (failed(in1))
    return failure();
  FailureOr<Tile> dst = c.tile(getDst(), "destination", kOnChip, TileUse::Compute);
  if (failed(dst))
    return failure();
  if (failed(c.sameShape(*in0, *in1)) || failed(c.sameShape(*in0, *dst)))
    return failure();
  return c.engineDTypes({*in0, *in1, *dst});
}

//===----------------------------------------------------------------------===//
// trn.tensor_scalar
//===----------------------------------------------------------------------===//

LogicalResult TensorScalarOp::verify() {
  Checker c(*this);
  FailureOr<std::pair<Tile, Tile>> io = c.elementwiseSrcDst(getSrc(), getDst());
  if (failed(io))
    return failure();
  const Tile *src = &io->first, *dst = &io->second;
  SmallVector<Tile> tiles = {*src, *dst};
  auto checkScalar = [&](Value v, StringRef name, float imm) -> LogicalResult {
    if (!v)
      return success();
    if (imm != 0.0f)
      return emitOpError() << name << " is either an immediate or a tile, not both";
    FailureOr<Tile> t = c.tile(v, name, kOnChip, TileUse::Compute);
    if (failed(t) || failed(c.column(*t, *src)))
      return failure();
    tiles.push_back(*t);
    return success();
  };
  if (failed(checkScalar(getScalar0Tile(), "scalar0", getScalar0().convertToFloat())) ||
      failed(checkScalar(getScalar1Tile(), "scalar1", getScalar1().convertToFloat())))
    return failure();
  if (getOp1() == AluOp::Bypass &&
      (getScalar1Tile() || getReverse1() || getScalar1().convertToFloat() != 0.0f))
    return emitOpError() << "op1 = bypass skips the second stage; scalar1 must be the immediate "
                         << "0.0 and reverse1 unset";
  return c.engineDTypes(tiles);
}

//===----------------------------------------------------------------------===//
// trn.tensor_reduce
//===----------------------------------------------------------------------===//

LogicalResult TensorReduceOp::verify() {
  Checker c(*this);
  AluOp op = getOp();
  if (op != AluOp::Add && op != AluOp::Max && op != AluOp::Min && op != AluOp::Mul)
    return emitOpError() << "reduction must be add, max, min or mul, got " << stringifyAluOp(op);
  FailureOr<Tile> src = c.tile(getSrc(), "source", kOnChip, TileUse::Compute);
  if (failed(src))
    return failure();
  FailureOr<Tile> dst = c.tile(getDst(), "result", kOnChip, TileUse::Compute);
  if (failed(dst))
    return failure();
  ArrayRef<int64_t> axes = getAxes();
  const int64_t freeRank = src->rank() - 1;
  if (axes.empty())
    return emitOpError() << "axes must name at least one free dim";
  for (auto [i, a] : llvm::enumerate(axes))
    if (a < 0 || a >= freeRank || (i > 0 && a <= axes[i - 1]))
      return emitOpError() << "axes must be strictly increasing free-dim indices in [0, "
                           << freeRank << "), got [" << shapeString(axes) << "]";
  SmallVector<int64_t> removed = {src->partitions()}, kept = {src->partitions()};
  for (int64_t i = 0; i < freeRank; ++i) {
    bool reduced = llvm::is_contained(axes, i);
    if (!reduced)
      removed.push_back(src->dim(i + 1));
    kept.push_back(reduced ? 1 : src->dim(i + 1));
  }
  if (removed.size() == 1)
    removed.push_back(1);
  if (dst->shape() != ArrayRef<int64_t>(removed) && dst->shape() != ArrayRef<int64_t>(kept))
    return emitOpError() << "result shape " << shapeString(dst->shape())
                         << " does not match the reduced shape " << shapeString(removed)
                         << " (or " << shapeString(kept) << " keeping reduced dims)";
  return c.engineDTypes({*src, *dst});
}

//===----------------------------------------------------------------------===//
// trn.tensor_copy
//===----------------------------------------------------------------------===//

LogicalResult TensorCopyOp::verify() {
  Checker c(*this);
  FailureOr<std::pair<Tile, Tile>> io = c.elementwiseSrcDst(getSrc(), getDst());
  if (failed(io))
    return failure();
  const Tile *src = &io->first, *dst = &io->second;
  return c.engineDTypes({*src, *dst});
}

//===----------------------------------------------------------------------===//
// trn.select
//===----------------------------------------------------------------------===//

LogicalResult SelectOp::verify() {
  Checker c(*this);
  SmallVector<Tile> tiles;
  for (auto [v, name] : {std::pair(getPred(), "predicate"), std::pair(getOnTrue(), "true value"),
                         std::pair(getOnFalse(), "false value"),
                         std::pair(getDst(), "destination")}) {
    FailureOr<Tile> t = c.tile(v, name, kOnChip, TileUse::Compute);
    if (failed(t) || (!tiles.empty() && failed(c.sameShape(tiles.front(), *t))))
      return failure();
    tiles.push_back(*t);
  }
  return c.engineDTypes(tiles);
}

//===----------------------------------------------------------------------===//
// trn.iota
//===----------------------------------------------------------------------===//

LogicalResult IotaOp::verify() {
  Checker c(*this);
  FailureOr<Tile> dst = c.tile(getDst(), "destination", kOnChip, TileUse::Compute);
  if (failed(dst))
    return failure();
  int64_t freeRank = dst->rank() - 1;
  if (static_cast<int64_t>(getMultipliers().size()) != freeRank)
    return emitOpError() << "multipliers has " << getMultipliers().size()
                         << " entries but the destination has " << freeRank << " free dims";
  return c.engineDTypes({*dst});
}

//===----------------------------------------------------------------------===//
// trn.memset
//===----------------------------------------------------------------------===//

LogicalResult MemsetOp::verify() {
  Checker c(*this);
  FailureOr<Tile> dst = c.tile(getDst(), "destination", kOnChip, TileUse::Compute);
  if (failed(dst))
    return failure();
  return c.engineDTypes({*dst});
}

//===----------------------------------------------------------------------===//
// trn.quantize_mx
//===----------------------------------------------------------------------===//

LogicalResult QuantizeMxOp::verify() {
  Checker c(*this);
  const trnrt::Target &target = c.target;
  if (!target.hasQuantizeMx)
    return emitOpError() << "quantize_mx is not supported on " << target.name
                         << " (supported on: "
                         << targetsWhere([](const trnrt::Target &t) { return t.hasQuantizeMx; })
                         << ")";
  FailureOr<Tile> src = c.tile(getSrc(), "source", kOnChip, TileUse::Compute);
  if (failed(src))
    return failure();
  FailureOr<Tile> dst = c.tile(getDst(), "destination", kSbuf, TileUse::Compute);
  if (failed(dst))
    return failure();
  FailureOr<Tile> scale = c.tile(getScale(), "scale", kSbuf, TileUse::Compute);
  if (failed(scale))
    return failure();
  using trnrt::DType;
  if (src->dtype != DType::F32 && src->dtype != DType::BF16 && src->dtype != DType::F16)
    return emitOpError() << "source element type must be f32, bf16 or f16, got "
                         << src->elementType();
  if (dst->dtype != DType::F8E4M3 && dst->dtype != DType::F8E5M2)
    return emitOpError() << "destination element type must be f8E4M3FN or f8E5M2 (MXFP8), got "
                         << dst->elementType();
  if (scale->dtype != DType::E8M0)
    return emitOpError() << "scale element type must be f8E8M0FNU, got " << scale->elementType();
  if (failed(c.sameShape(*src, *dst)))
    return failure();
  constexpr int64_t kBlock = 32;
  if (src->partitions() % kBlock != 0)
    return emitOpError() << "source partition count " << src->partitions()
                         << " is not a multiple of the MX block size " << kBlock;
  SmallVector<int64_t> expected(src->shape());
  expected[0] = src->partitions() / kBlock;
  if (scale->shape() != ArrayRef<int64_t>(expected))
    return emitOpError() << "scale shape " << shapeString(scale->shape())
                         << " must be [P/32, free dims of source] = " << shapeString(expected);
  return c.engineDTypes({*src, *dst, *scale});
}
