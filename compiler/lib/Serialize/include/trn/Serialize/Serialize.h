//===- Serialize.h - stage-8 trn IR to trnrt::Program ----------*- C++ -*-===//
//
// Converts a scheduled device-level module (docs/pipeline.md stage 8) into
// the runtime's in-memory program (trnrt::Program, runtime/include/trn/
// runtime/ISA.h), which trnrt::writeProgramFile turns into a .trnx file.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_SERIALIZE_SERIALIZE_H
#define TRN_SERIALIZE_SERIALIZE_H

#include "trn/runtime/ISA.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

namespace mlir::trn {

/// Serializes the module's single function definition:
/// * HBM tensors: function arguments in order (kind from `trn.kind` =
///   "input"|"output", else "output" if an instruction writes it and "input"
///   otherwise; name from `trn.name`, else "arg<i>"), then the constants of
///   the `memref.global`s it uses (named after the symbol, dense bytes packed
///   per ISA.h), then function-level HBM `memref.alloc` scratch tensors
///   ("scratch<i>");
/// * memory plan: one BufferDecl per `trn.alloc` (name from a NameLoc, else
///   "sbuf<i>"/"psum<i>");
/// * each instruction op on its `queue` with its `sync` waits/signals and a
///   debug string "op-name at file:line:col".
/// The result passes trnrt::verifyProgram; every problem is reported as an
/// error at the offending operation (never a crash) and yields failure().
FailureOr<trnrt::Program> serializeModule(ModuleOp module);

} // namespace mlir::trn

#endif // TRN_SERIALIZE_SERIALIZE_H
