//===- TrnInterfaces.td - trn instruction op interface -----*- tablegen -*-===//
//
// TrnInstructionOpInterface: what allocation, scheduling and serialization
// need to know about a device instruction without knowing the op class.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_DIALECT_TRN_IR_TRNINTERFACES_TD
#define TRN_DIALECT_TRN_IR_TRNINTERFACES_TD

include "mlir/IR/OpBase.td"

def TrnInstructionOpInterface : OpInterface<"TrnInstructionOpInterface"> {
  let cppNamespace = "::mlir::trn";
  let description = [{
    Implemented by every `trn` operation that is one device instruction.
    It exposes the ISA opcode, the tiles the instruction reads and writes
    (derived from the operation's declared memory effects, so both views
    always agree), the engines that may execute it, and its scheduling
    attributes (`engine`, `queue`, `sync`). Its verifier checks the
    scheduling attributes against the target model: the queue exists and its
    engine can execute the opcode, `engine` agrees with `queue`, and every
    semaphore id is below the target's `numSemaphores`.
  }];

  let methods = [
    InterfaceMethod<"The ISA opcode this operation encodes.",
      "::trnrt::Opcode", "getOpcode">,
    InterfaceMethod<[{
        Collects the tile operands the instruction reads and writes. An
        operand may appear in both lists (an accumulating matmul reads and
        writes its PSUM tile).
      }],
      "void", "getTileAccesses",
      (ins "::llvm::SmallVectorImpl<::mlir::OpOperand *> &":$reads,
           "::llvm::SmallVectorImpl<::mlir::OpOperand *> &":$writes),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{
        ::mlir::trn::detail::collectTileAccesses($_op, reads, writes);
      }]>,
    InterfaceMethod<"Engines that may execute the opcode (ISA.h engineCanExecute).",
      "::llvm::SmallVector<::trnrt::Engine, 2>", "getSupportedEngines", (ins),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{
        return ::mlir::trn::detail::supportedEngines($_op.getOpcode());
      }]>,
    InterfaceMethod<[{
        The engine that executes this instruction when it is determined: the
        engine of the assigned queue, else the `engine` attribute, else the
        only engine able to execute the opcode. std::nullopt when several
        engines remain possible.
      }],
      "std::optional<::trnrt::Engine>", "getExecutionEngine", (ins),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{
        return ::mlir::trn::detail::executionEngine($_op);
      }]>,
    InterfaceMethod<"The assigned queue, if any and valid.",
      "std::optional<::trnrt::QueueId>", "getAssignedQueue", (ins),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{
        if (::mlir::StringAttr q = $_op.getQueueAttr())
          return ::trnrt::parseQueueName(q.getValue().str());
        return std::nullopt;
      }]>,
    InterfaceMethod<"Assigns the instruction to a queue (ISA.h queueName spelling).",
      "void", "setAssignedQueue", (ins "::trnrt::QueueId":$queue),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{
        $_op.setQueueAttr(::mlir::StringAttr::get($_op->getContext(),
                                                  ::trnrt::queueName(queue)));
      }]>,
    InterfaceMethod<"The `queue` attribute or null.",
      "::mlir::StringAttr", "getQueueAttr">,
    InterfaceMethod<"The `engine` attribute or null.",
      "::mlir::trn::EngineAttr", "getEngineAttr">,
    InterfaceMethod<"The `sync` attribute (semaphore waits/signals) or null.",
      "::mlir::trn::SyncAttr", "getSyncAttr">,
    InterfaceMethod<"Sets the `sync` attribute.",
      "void", "setSyncAttr", (ins "::mlir::trn::SyncAttr":$sync)>,
  ];

  let verify = [{ return ::mlir::trn::detail::verifyInstructionOp($_op); }];
}

#endif // TRN_DIALECT_TRN_IR_TRNINTERFACES_TD
