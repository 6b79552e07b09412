//===- TrnOps.h - trn dialect operations ------------------------*- C++ -*-===//
#ifndef TRN_DIALECT_TRN_IR_TRNOPS_H
#define TRN_DIALECT_TRN_IR_TRNOPS_H

#include "trn/Dialect/Trn/IR/TrnDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::trn::detail {
/// Default TrnInstructionOpInterface::getTileAccesses: MemRead/MemWrite
/// effects of the operation on its operands.
void collectTileAccesses(Operation *op, SmallVectorImpl<OpOperand *> &reads,
                         SmallVectorImpl<OpOperand *> &writes);
/// Engines e with trnrt::engineCanExecute(e, opcode).
SmallVector<trnrt::Engine, 2> supportedEngines(trnrt::Opcode opcode);
/// Default TrnInstructionOpInterface::getExecutionEngine.
std::optional<trnrt::Engine> executionEngine(Operation *op);
/// Verifier of TrnInstructionOpInterface (scheduling attributes).
LogicalResult verifyInstructionOp(Operation *op);
} // namespace mlir::trn::detail

#include "trn/Dialect/Trn/IR/TrnInterfaces.h.inc"

#define GET_OP_CLASSES
#include "trn/Dialect/Trn/IR/TrnOps.h.inc"

#endif // TRN_DIALECT_TRN_IR_TRNOPS_H
