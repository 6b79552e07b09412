//===- Serialize.cpp - stage-8 trn IR to trnrt::Program -------------------===//
//
// See include/trn/Serialize/Serialize.h and docs/pipeline.md stage 9.
//
//===----------------------------------------------------------------------===//

#include "trn/Serialize/Serialize.h"

#include "ScheduleInstructions.h"

#include "trn/Dialect/Trn/IR/TrnOps.h"
#include "trn/runtime/Trnx.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <set>
#include <regex>

using namespace mlir;
using namespace mlir::trn;

namespace {

/// Little-endian bytes of the elements of `attr` in the device encoding of
/// `dtype` (FP4 packed two per byte, element 2i in the low nibble).
LogicalResult packConstant(Operation *where, DenseElementsAttr attr, trnrt::DType dtype,
                           std::vector<uint8_t> &out) {
  unsigned bits = trnrt::dtypeBits(dtype);
  uint64_t n = static_cast<uint64_t>(attr.getNumElements());
  out.assign(trnrt::dtypeBytes(dtype, n), 0);
  auto put = [&](uint64_t i, const APInt &v) {
    if (bits == 4) {
      uint8_t nib = static_cast<uint8_t>(v.getZExtValue() & 0xf);
      out[i / 2] |= (i % 2) ? static_cast<uint8_t>(nib << 4) : nib;
      return;
    }
    uint64_t raw = v.getZExtValue();
    for (unsigned b = 0; b < bits / 8; ++b)
      out[i * (bits / 8) + b] = static_cast<uint8_t>(raw >> (8 * b));
  };
  Type et = attr.getElementType();
  uint64_t i = 0;
  if (isa<FloatType>(et)) {
    for (const APFloat &v : attr.getValues<APFloat>())
      put(i++, v.bitcastToAPInt());
  } else if (isa<IntegerType>(et)) {
    for (const APInt &v : attr.getValues<APInt>())
      put(i++, v);
  } else {
    return where->emitOpError() << "constant of element type " << et << " cannot be serialized";
  }
  return success();
}

struct Serializer {
  ModuleOp module;
  func::FuncOp func;
  trnrt::Program program;
  llvm::StringMap<uint32_t> tensorIds; // "arg3", "global:@w", "alloc:<ptr>"
  DenseMap<Operation *, std::pair<trnrt::QueueId, size_t>> placement;

  static std::optional<std::string> keyOf(Value root) {
    if (auto arg = dyn_cast<BlockArgument>(root))
      return "arg" + std::to_string(arg.getArgNumber());
    if (auto g = root.getDefiningOp<memref::GetGlobalOp>())
      return "global:" + g.getName().str();
    if (auto a = root.getDefiningOp<memref::AllocOp>())
      return "alloc:" + std::to_string(reinterpret_cast<uintptr_t>(a.getOperation()));
    return std::nullopt;
  }

  std::optional<uint32_t> tensorIndex(Value root) {
    std::optional<std::string> key = keyOf(root);
    if (!key)
      return std::nullopt;
    auto it = tensorIds.find(*key);
    if (it == tensorIds.end())
      return std::nullopt;
    return it->second;
  }

  LogicalResult hbmType(Operation *where, Type t, const Twine &what, trnrt::TensorDecl &decl) {
    auto type = dyn_cast<MemRefType>(t);
    std::optional<MemSpace> space = type ? getMemSpace(type) : std::nullopt;
    if (!type || space != MemSpace::HBM || !type.hasStaticShape() ||
        !type.getLayout().isIdentity())
      return where->emitOpError() << what << " must be a static identity-layout memref in "
                                  << "#trn.mem<hbm>, got " << t;
    std::optional<trnrt::DType> dtype = getDType(type.getElementType());
    if (!dtype)
      return where->emitOpError() << what << " has element type " << type.getElementType()
                                  << ", which is not a device dtype";
    decl.dtype = *dtype;
    // Rank-0 tensors keep the empty shape: trn-run binds them to .npy scalars
    // (shape ()), as docs/cli.md specifies.
    decl.shape.assign(type.getShape().begin(), type.getShape().end());
    return success();
  }

  bool isWritten(Value arg) {
    SmallVector<Value> work{arg};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      for (OpOperand &use : v.getUses()) {
        Operation *user = use.getOwner();
        if (isa<memref::SubViewOp, memref::CastOp, memref::ReinterpretCastOp>(user)) {
          work.push_back(user->getResult(0));
          continue;
        }
        if (auto inst = dyn_cast<TrnInstructionOpInterface>(user)) {
          SmallVector<OpOperand *> reads, writes;
          inst.getTileAccesses(reads, writes);
          if (llvm::is_contained(writes, &use))
            return true;
        }
      }
    }
    return false;
  }

  LogicalResult declareTensors() {
    SymbolTable symbols(module);
    std::set<std::string> names;
    unsigned numScratch = 0;
    auto addTensor = [&](Operation *where, const std::string &key, trnrt::TensorDecl decl) {
      if (!names.insert(decl.name).second)
        return where->emitOpError() << "HBM tensor name '" << decl.name << "' is used twice",
               failure();
      tensorIds[key] = static_cast<uint32_t>(program.tensors.size());
      program.tensors.push_back(std::move(decl));
      return success();
    };
    for (BlockArgument arg : func.getArguments()) {
      unsigned i = arg.getArgNumber();
      trnrt::TensorDecl decl;
      if (failed(hbmType(func, arg.getType(), "argument " + Twine(i), decl)))
        return failure();
      if (auto name = func.getArgAttrOfType<StringAttr>(i, "trn.name"))
        decl.name = name.getValue().str();
      else
        decl.name = "arg" + std::to_string(i);
      if (auto kind = func.getArgAttrOfType<StringAttr>(i, "trn.kind")) {
        std::optional<trnrt::TensorKind> k = trnrt::parseTensorKind(kind.getValue().str());
        if (!k || (*k != trnrt::TensorKind::Input && *k != trnrt::TensorKind::Output))
          return func.emitOpError() << "argument " << i << " has trn.kind \"" << kind.getValue()
                                    << "\"; expected \"input\" or \"output\"";
        decl.kind = *k;
      } else {
        decl.kind = isWritten(arg) ? trnrt::TensorKind::Output : trnrt::TensorKind::Input;
      }
      if (failed(addTensor(func, "arg" + std::to_string(i), std::move(decl))))
        return failure();
    }
    WalkResult r = func.walk([&](Operation *op) {
      if (auto g = dyn_cast<memref::GetGlobalOp>(op)) {
        std::string key = "global:" + g.getName().str();
        if (tensorIds.count(key))
          return WalkResult::advance();
        auto global = symbols.lookup<memref::GlobalOp>(g.getName());
        if (!global)
          return g.emitOpError() << "refers to an unknown memref.global", WalkResult::interrupt();
        trnrt::TensorDecl decl;
        decl.name = g.getName().str();
        decl.kind = trnrt::TensorKind::Constant;
        if (failed(hbmType(g, g.getType(), "global", decl)))
          return WalkResult::interrupt();
        auto init = dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr());
        if (!global.getConstant() || !init)
          return global.emitOpError()
                     << "must be a constant with a dense initializer to be serialized",
                 WalkResult::interrupt();
        if (failed(packConstant(global, init, decl.dtype, decl.data)) ||
            failed(addTensor(g, key, std::move(decl))))
          return WalkResult::interrupt();
        return WalkResult::advance();
      }
      if (auto a = dyn_cast<memref::AllocOp>(op)) {
        trnrt::TensorDecl decl;
        decl.kind = trnrt::TensorKind::Scratch;
        decl.name = "scratch" + std::to_string(numScratch++);
        if (failed(hbmType(a, a.getType(), "scratch allocation", decl)) ||
            failed(addTensor(a, *keyOf(a.getResult()), std::move(decl))))
          return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    return failure(r.wasInterrupted());
  }

  LogicalResult declareBuffers() {
    unsigned counts[3] = {0, 0, 0};
    WalkResult r = func.walk([&](AllocOp alloc) {
      MemRefType type = alloc.getBuffer().getType();
      std::optional<MemSpace> space = getMemSpace(type);
      std::optional<trnrt::DType> dtype = getDType(type.getElementType());
      std::optional<uint64_t> offset = alloc.getOffset();
      if (!space || !dtype || !offset)
        return alloc.emitOpError() << "has no offset (run trn-allocate before serializing)",
               WalkResult::interrupt();
      trnrt::BufferDecl b;
      b.space = toISA(*space);
      unsigned &count = counts[static_cast<unsigned>(*space)];
      if (auto name = dyn_cast<NameLoc>(alloc.getLoc()))
        b.name = name.getName().str();
      else
        b.name = (*space == MemSpace::PSUM ? "psum" : "sbuf") + std::to_string(count);
      ++count;
      b.offset = *offset;
      uint64_t freeElems = 1;
      for (int64_t d : type.getShape().drop_front())
        freeElems *= static_cast<uint64_t>(d);
      b.bytesPerPartition = trnrt::dtypeBytes(*dtype, freeElems);
      b.startPartition = 0;
      b.numPartitions = static_cast<uint32_t>(type.getDimSize(0));
      program.buffers.push_back(std::move(b));
      return WalkResult::advance();
    });
    return failure(r.wasInterrupted());
  }

  LogicalResult emitInstructions() {
    std::map<trnrt::QueueId, trnrt::Queue> queues;
    uint32_t maxSem = 0;
    bool anySem = false;
    for (Operation &op : func.getBody().front()) {
      if (op.getNumRegions() != 0)
        return op.emitOpError() << "cannot be serialized: device programs are straight-line";
      auto inst = dyn_cast<TrnInstructionOpInterface>(&op);
      if (!inst) {
        if (isa<AllocOp, memref::SubViewOp, memref::CastOp, memref::ReinterpretCastOp,
                memref::GetGlobalOp, memref::AllocOp, func::ReturnOp>(op) ||
            isMemoryEffectFree(&op))
          continue;
        return op.emitOpError() << "cannot be serialized: only trn instructions, trn.alloc, "
                                   "memref.subview/cast/reinterpret_cast/get_global/alloc, "
                                   "side-effect-free ops and func.return may appear in a "
                                   "scheduled function";
      }
      std::optional<trnrt::QueueId> q = inst.getAssignedQueue();
      if (!q)
        return op.emitOpError() << "has no queue (run trn-schedule before serializing)";
      FailureOr<trnrt::Instruction> built =
          buildInstruction(inst, [&](Value root) { return tensorIndex(root); });
      if (failed(built))
        return failure();
      for (const trnrt::SemWait &w : built->waits) {
        maxSem = std::max(maxSem, w.sem);
        anySem = true;
      }
      for (uint32_t s : built->signals) {
        maxSem = std::max(maxSem, s);
        anySem = true;
      }
      trnrt::Queue &queue = queues[*q];
      queue.id = *q;
      placement[&op] = {*q, queue.instructions.size()};
      queue.instructions.push_back(std::move(*built));
    }
    for (auto &[id, queue] : queues)
      program.queues.push_back(std::move(queue));
    program.numSemaphores = anySem ? maxSem + 1 : 0;
    return success();
  }

  /// Reports a verifier message at the instruction it names ("queue pe[3] ...").
  void reportVerifierError(const std::string &message) {
    static const std::regex re("^queue ([a-z0-9]+)\\[([0-9]+)\\]");
    std::smatch m;
    if (std::regex_search(message, m, re)) {
      std::optional<trnrt::QueueId> q = trnrt::parseQueueName(m[1].str());
      size_t idx = std::stoul(m[2].str());
      if (q)
        for (auto &[op, where] : placement)
          if (where.first == *q && where.second == idx) {
            op->emitOpError() << "the serialized program is invalid: " << message;
            return;
          }
    }
    func.emitOpError() << "the serialized program is invalid: " << message;
  }

  FailureOr<trnrt::Program> run() {
    SmallVector<func::FuncOp> funcs;
    for (func::FuncOp f : module.getOps<func::FuncOp>())
      if (!f.isExternal())
        funcs.push_back(f);
    if (funcs.size() != 1) {
      // Point at the second definition (the module itself usually has no
      // source location).
      Operation *at = funcs.size() > 1 ? funcs[1].getOperation() : module.getOperation();
      at->emitError() << "expected exactly one function definition to serialize, found "
                      << funcs.size() << " (a program has one entry function)";
      return failure();
    }
    func = funcs.front();
    if (!func.getBody().hasOneBlock()) {
      func.emitOpError() << "cannot be serialized: expected a single block";
      return failure();
    }
    if (func.getNumResults() != 0) {
      func.emitOpError() << "cannot be serialized: results must be out-params (memref "
                            "arguments with trn.kind = \"output\")";
      return failure();
    }
    program.target = getTarget(module).name;
    program.name = func.getSymName().str();
    if (failed(declareTensors()) || failed(declareBuffers()) || failed(emitInstructions()))
      return failure();
    if (std::optional<trnrt::Error> err = trnrt::verifyProgram(program)) {
      reportVerifierError(err->message);
      return failure();
    }
    return std::move(program);
  }
};

} // namespace

FailureOr<trnrt::Program> mlir::trn::serializeModule(ModuleOp module) {
  Serializer s;
  s.module = module;
  return s.run();
}
