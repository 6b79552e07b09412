//===- TrnDialect.cpp - trn dialect, attributes, type mapping ------------===//
//
// Dialect registration, the #trn.target / #trn.sync attributes, the mapping
// between MLIR element types and device dtypes, enum conversions to ISA.h,
// target lookup and the static partition range of a tile.
//
//===----------------------------------------------------------------------===//

#include "trn/Dialect/Trn/IR/TrnOps.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::trn;

#include "trn/Dialect/Trn/IR/TrnOpsDialect.cpp.inc"
#include "trn/Dialect/Trn/IR/TrnOpsEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "trn/Dialect/Trn/IR/TrnOpsAttrDefs.cpp.inc"

//===----------------------------------------------------------------------===//
// Dialect
//===----------------------------------------------------------------------===//

void TrnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "trn/Dialect/Trn/IR/TrnOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "trn/Dialect/Trn/IR/TrnOpsAttrDefs.cpp.inc"
      >();
}

LogicalResult TrnDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  if (attr.getName() == getTargetAttrName()) {
    if (!isa<TargetAttr>(attr.getValue()))
      return op->emitError() << "'" << getTargetAttrName()
                             << "' must be a #trn.target attribute, got " << attr.getValue();
    return success();
  }
  return op->emitError() << "unknown trn dialect attribute '" << attr.getName().getValue()
                         << "'; the only discardable trn attribute is '" << getTargetAttrName()
                         << "'";
}

//===----------------------------------------------------------------------===//
// TargetAttr
//===----------------------------------------------------------------------===//

static std::string knownTargetNames() {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(trnrt::Target::names(), os);
  return s;
}

LogicalResult TargetAttr::verify(function_ref<InFlightDiagnostic()> emitError, StringRef name) {
  if (!trnrt::Target::get(name.str()))
    return emitError() << "unknown target '" << name << "'; known targets: " << knownTargetNames();
  return success();
}

const trnrt::Target &TargetAttr::getTarget() const {
  if (const trnrt::Target *t = trnrt::Target::get(getName().str()))
    return *t;
  return *trnrt::Target::get(TrnDialect::getDefaultTargetName().str());
}

//===----------------------------------------------------------------------===//
// SyncAttr: #trn.sync<wait = [s3 : 2, s7 : 1], signal = [s4]>
//===----------------------------------------------------------------------===//

LogicalResult SyncAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               ArrayRef<uint32_t> waitSems, ArrayRef<uint32_t> waitValues,
                               ArrayRef<uint32_t> signals) {
  if (waitSems.size() != waitValues.size())
    return emitError() << "#trn.sync has " << waitSems.size() << " waited semaphores but "
                       << waitValues.size() << " wait values";
  return success();
}

/// Parses a semaphore reference `s<id>`.
static ParseResult parseSemaphore(AsmParser &p, uint32_t &id) {
  SMLoc loc = p.getCurrentLocation();
  StringRef kw;
  if (p.parseKeyword(&kw))
    return failure();
  if (kw.size() < 2 || kw.front() != 's' || kw.drop_front().getAsInteger(10, id))
    return p.emitError(loc) << "expected a semaphore 's<id>', got '" << kw << "'";
  return success();
}

Attribute SyncAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  SmallVector<uint32_t> waitSems, waitValues, signals;
  if (p.parseLess())
    return {};
  if (failed(p.parseOptionalGreater())) {
    bool seenWait = false, seenSignal = false;
    do {
      SMLoc kwLoc = p.getCurrentLocation();
      StringRef kw;
      if (p.parseKeyword(&kw))
        return {};
      if (kw == "wait" && !seenWait) {
        seenWait = true;
        if (p.parseEqual() || p.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
              uint32_t sem = 0, value = 0;
              if (parseSemaphore(p, sem) || p.parseColon() || p.parseInteger(value))
                return failure();
              waitSems.push_back(sem);
              waitValues.push_back(value);
              return success();
            }))
          return {};
      } else if (kw == "signal" && !seenSignal) {
        seenSignal = true;
        if (p.parseEqual() || p.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
              uint32_t sem = 0;
              if (parseSemaphore(p, sem))
                return failure();
              signals.push_back(sem);
              return success();
            }))
          return {};
      } else {
        p.emitError(kwLoc) << "expected 'wait' or 'signal' (each at most once), got '" << kw
                           << "'";
        return {};
      }
    } while (succeeded(p.parseOptionalComma()));
    if (p.parseGreater())
      return {};
  }
  return SyncAttr::getChecked([&] { return p.emitError(loc); }, p.getContext(), waitSems,
                              waitValues, signals);
}

void SyncAttr::print(AsmPrinter &p) const {
  p << "<";
  if (!getWaitSems().empty()) {
    p << "wait = [";
    llvm::interleaveComma(llvm::zip_equal(getWaitSems(), getWaitValues()), p, [&](auto w) {
      p << "s" << std::get<0>(w) << " : " << std::get<1>(w);
    });
    p << "]";
  }
  if (!getSignals().empty()) {
    if (!getWaitSems().empty())
      p << ", ";
    p << "signal = [";
    llvm::interleaveComma(getSignals(), p, [&](uint32_t s) { p << "s" << s; });
    p << "]";
  }
  p << ">";
}

//===----------------------------------------------------------------------===//
// Element types <-> device dtypes
//===----------------------------------------------------------------------===//

std::optional<trnrt::DType> mlir::trn::getDType(Type t) {
  using trnrt::DType;
  if (t.isF32())
    return DType::F32;
  if (t.isBF16())
    return DType::BF16;
  if (t.isF16())
    return DType::F16;
  if (isa<Float8E4M3FNType>(t))
    return DType::F8E4M3;
  if (isa<Float8E5M2Type>(t))
    return DType::F8E5M2;
  if (isa<Float4E2M1FNType>(t))
    return DType::F4E2M1;
  if (isa<Float8E8M0FNUType>(t))
    return DType::E8M0;
  if (auto it = dyn_cast<IntegerType>(t)) {
    if (it.getWidth() == 32)
      return it.isUnsigned() ? DType::U32 : DType::I32;
    if (it.getWidth() == 8)
      return it.isUnsigned() ? DType::U8 : DType::I8;
  }
  return std::nullopt;
}

Type mlir::trn::getElementType(MLIRContext *ctx, trnrt::DType dtype) {
  Builder b(ctx);
  switch (dtype) {
  case trnrt::DType::F32:
    return b.getF32Type();
  case trnrt::DType::BF16:
    return b.getBF16Type();
  case trnrt::DType::F16:
    return b.getF16Type();
  case trnrt::DType::F8E4M3:
    return b.getType<Float8E4M3FNType>();
  case trnrt::DType::F8E5M2:
    return b.getType<Float8E5M2Type>();
  case trnrt::DType::F4E2M1:
    return b.getType<Float4E2M1FNType>();
  case trnrt::DType::E8M0:
    return b.getType<Float8E8M0FNUType>();
  case trnrt::DType::I32:
    return b.getI32Type();
  case trnrt::DType::U32:
    return IntegerType::get(ctx, 32, IntegerType::Unsigned);
  case trnrt::DType::I8:
    return b.getI8Type();
  case trnrt::DType::U8:
    return IntegerType::get(ctx, 8, IntegerType::Unsigned);
  }
  llvm_unreachable("unknown trnrt::DType");
}

std::string mlir::trn::getSupportedElementTypesString(MLIRContext *ctx) {
  std::string s;
  llvm::raw_string_ostream os(s);
  for (int i = 0; i < trnrt::kNumDTypes; ++i) {
    if (i)
      os << ", ";
    os << getElementType(ctx, static_cast<trnrt::DType>(i));
  }
  return s;
}

//===----------------------------------------------------------------------===//
// Enum conversions. The ODS enums carry the ISA.h values; these asserts keep
// both in lock-step (the spellings are checked by TrnDialectTests).
//===----------------------------------------------------------------------===//

#define TRN_SAME_ENUM(Enum, Case)                                                                \
  static_assert(static_cast<int>(Enum::Case) == static_cast<int>(trnrt::Enum::Case),            \
                "trn::" #Enum "::" #Case " must mirror ISA.h")
TRN_SAME_ENUM(MemSpace, HBM);
TRN_SAME_ENUM(MemSpace, SBUF);
TRN_SAME_ENUM(MemSpace, PSUM);
TRN_SAME_ENUM(Engine, PE);
TRN_SAME_ENUM(Engine, ACT);
TRN_SAME_ENUM(Engine, DVE);
TRN_SAME_ENUM(Engine, POOL);
TRN_SAME_ENUM(Engine, DMA);
TRN_SAME_ENUM(AluOp, Add);
TRN_SAME_ENUM(AluOp, Sub);
TRN_SAME_ENUM(AluOp, Mul);
TRN_SAME_ENUM(AluOp, Div);
TRN_SAME_ENUM(AluOp, Max);
TRN_SAME_ENUM(AluOp, Min);
TRN_SAME_ENUM(AluOp, Pow);
TRN_SAME_ENUM(AluOp, IsEq);
TRN_SAME_ENUM(AluOp, IsNe);
TRN_SAME_ENUM(AluOp, IsLt);
TRN_SAME_ENUM(AluOp, IsLe);
TRN_SAME_ENUM(AluOp, IsGt);
TRN_SAME_ENUM(AluOp, IsGe);
TRN_SAME_ENUM(AluOp, And);
TRN_SAME_ENUM(AluOp, Or);
TRN_SAME_ENUM(AluOp, Bypass);
TRN_SAME_ENUM(ActFunc, Identity);
TRN_SAME_ENUM(ActFunc, Relu);
TRN_SAME_ENUM(ActFunc, Gelu);
TRN_SAME_ENUM(ActFunc, GeluTanh);
TRN_SAME_ENUM(ActFunc, Silu);
TRN_SAME_ENUM(ActFunc, Sigmoid);
TRN_SAME_ENUM(ActFunc, Tanh);
TRN_SAME_ENUM(ActFunc, Exp);
TRN_SAME_ENUM(ActFunc, Log);
TRN_SAME_ENUM(ActFunc, Sqrt);
TRN_SAME_ENUM(ActFunc, Rsqrt);
TRN_SAME_ENUM(ActFunc, Square);
TRN_SAME_ENUM(ActFunc, Reciprocal);
TRN_SAME_ENUM(ActFunc, Erf);
TRN_SAME_ENUM(ActFunc, Abs);
TRN_SAME_ENUM(MatmulMode, Normal);
TRN_SAME_ENUM(MatmulMode, Fp8DoubleRow);
TRN_SAME_ENUM(MatmulMode, Mx);
#undef TRN_SAME_ENUM

trnrt::MemSpace mlir::trn::toISA(MemSpace m) { return static_cast<trnrt::MemSpace>(m); }
trnrt::Engine mlir::trn::toISA(Engine e) { return static_cast<trnrt::Engine>(e); }
trnrt::AluOp mlir::trn::toISA(AluOp op) { return static_cast<trnrt::AluOp>(op); }
trnrt::ActFunc mlir::trn::toISA(ActFunc f) { return static_cast<trnrt::ActFunc>(f); }
trnrt::MatmulMode mlir::trn::toISA(MatmulMode m) { return static_cast<trnrt::MatmulMode>(m); }
MemSpace mlir::trn::fromISA(trnrt::MemSpace m) { return static_cast<MemSpace>(m); }
Engine mlir::trn::fromISA(trnrt::Engine e) { return static_cast<Engine>(e); }
AluOp mlir::trn::fromISA(trnrt::AluOp op) { return static_cast<AluOp>(op); }
ActFunc mlir::trn::fromISA(trnrt::ActFunc f) { return static_cast<ActFunc>(f); }
MatmulMode mlir::trn::fromISA(trnrt::MatmulMode m) { return static_cast<MatmulMode>(m); }

//===----------------------------------------------------------------------===//
// Tiles
//===----------------------------------------------------------------------===//

std::optional<MemSpace> mlir::trn::getMemSpace(Type type) {
  auto memref = dyn_cast<BaseMemRefType>(type);
  if (!memref)
    return std::nullopt;
  if (auto attr = dyn_cast_or_null<MemSpaceAttr>(memref.getMemorySpace()))
    return attr.getValue();
  return std::nullopt;
}

MemRefType mlir::trn::getTileType(ArrayRef<int64_t> shape, Type elementType, MemSpace space) {
  return MemRefType::get(shape, elementType, MemRefLayoutAttrInterface(),
                         MemSpaceAttr::get(elementType.getContext(), space));
}

std::optional<PartitionRange> mlir::trn::getStaticPartitionRange(Value tile) {
  // Invariant: partition i of `tile` is partition (start + step * i) of `cur`.
  PartitionRange r;
  Value cur = tile;
  while (true) {
    Operation *def = cur.getDefiningOp();
    if (!def)
      return r; // A block argument: a whole buffer passed in.
    if (auto sv = dyn_cast<memref::SubViewOp>(def)) {
      if (sv.getDroppedDims().test(0))
        return std::nullopt;
      int64_t off = sv.getStaticOffsets()[0], stride = sv.getStaticStrides()[0];
      if (ShapedType::isDynamic(off) || ShapedType::isDynamic(stride))
        return std::nullopt;
      r.start = off + stride * r.start;
      r.step = stride * r.step;
      cur = sv.getSource();
      continue;
    }
    if (auto cast = dyn_cast<memref::CastOp>(def)) {
      cur = cast.getSource();
      continue;
    }
    if (auto rc = dyn_cast<memref::ReinterpretCastOp>(def)) {
      // A multi-dim view of a whole buffer whose dim 0 steps by the buffer's
      // rows (partitions); the offset picks the first one.
      auto src = dyn_cast<MemRefType>(rc.getSource().getType());
      if (!src || !src.hasStaticShape() || !src.getLayout().isIdentity() || src.getRank() < 1 ||
          rc.getStaticOffsets().size() != 1 || rc.getStaticStrides().empty())
        return std::nullopt;
      int64_t row = 1;
      for (int64_t d : src.getShape().drop_front())
        row *= d;
      int64_t off = rc.getStaticOffsets()[0], stride = rc.getStaticStrides()[0];
      if (ShapedType::isDynamic(off) || ShapedType::isDynamic(stride) || off < 0 ||
          (stride != row && rc.getStaticSizes()[0] != 1))
        return std::nullopt;
      r.start = off / row + r.start;
      cur = rc.getSource();
      continue;
    }
    if (isa<AllocOp, memref::AllocOp, memref::AllocaOp>(def))
      return r;
    return std::nullopt;
  }
}

std::optional<int64_t> mlir::trn::getStaticStartPartition(Value tile) {
  if (std::optional<PartitionRange> r = getStaticPartitionRange(tile))
    return r->start;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Target lookup
//===----------------------------------------------------------------------===//

TargetAttr mlir::trn::getTargetAttr(Operation *op) {
  for (Operation *cur = op; cur; cur = cur->getParentOp())
    if (auto attr = cur->getAttrOfType<TargetAttr>(TrnDialect::getTargetAttrName()))
      return attr;
  return {};
}

const trnrt::Target &mlir::trn::getTarget(Operation *op) {
  if (TargetAttr attr = getTargetAttr(op))
    return attr.getTarget();
  return *trnrt::Target::get(TrnDialect::getDefaultTargetName().str());
}
