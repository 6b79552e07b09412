//===- TrnBase.td - trn dialect, enums and attributes ------*- tablegen -*-===//
//
// The `trn` dialect: one operation per device instruction of the Trainium ISA
// (runtime/include/trn/runtime/ISA.h). This file defines the dialect, the
// enums that mirror ISA.h one-to-one (same integer values, same spellings as
// the ISA's *Name() functions) and the dialect attributes.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_DIALECT_TRN_IR_TRNBASE_TD
#define TRN_DIALECT_TRN_IR_TRNBASE_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpBase.td"

//===----------------------------------------------------------------------===//
// Dialect
//===----------------------------------------------------------------------===//

def Trn_Dialect : Dialect {
  let name = "trn";
  let cppNamespace = "::mlir::trn";
  let summary = "Trainium device instructions on SBUF/PSUM/HBM tiles";
  let description = [{
    The `trn` dialect models the instruction set of AWS Trainium-class
    NeuronCores (trn1 = NeuronCore-v2, trn2 = v3, trn3 = v4). Every operation
    except `trn.alloc` corresponds to exactly one device instruction of
    `trnrt::Opcode` and implements `TrnInstructionOpInterface`.

    Operations work on memrefs ("tiles") whose memory space is a
    `#trn.mem<hbm|sbuf|psum>` attribute. For SBUF/PSUM tiles dimension 0 is
    the partition dimension (at most 128 partitions) and dimensions 1..4 are
    the free dimensions walked serially by the engine; HBM memrefs are DRAM
    views whose dimension 0 is the row dimension of the access pattern.
    Access patterns are expressed with upstream `memref.subview` of a buffer.

    The module names its target with `trn.target = #trn.target<"trn2">`;
    verifiers enforce that target's limits (`trnrt::Target`). Without the
    attribute the target is `trn2`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Name of the discardable module attribute carrying the target.
    static constexpr ::llvm::StringLiteral getTargetAttrName() {
      return ::llvm::StringLiteral("trn.target");
    }
    /// Target used when no enclosing operation carries `trn.target`.
    static constexpr ::llvm::StringLiteral getDefaultTargetName() {
      return ::llvm::StringLiteral("trn2");
    }
  }];
}

//===----------------------------------------------------------------------===//
// Enums (values and spellings identical to ISA.h)
//===----------------------------------------------------------------------===//

def Trn_MemSpace : I32EnumAttr<"MemSpace", "device memory", [
    I32EnumAttrCase<"HBM", 0, "hbm">,
    I32EnumAttrCase<"SBUF", 1, "sbuf">,
    I32EnumAttrCase<"PSUM", 2, "psum">]> {
  let cppNamespace = "::mlir::trn";
  let genSpecializedAttr = 0;
}

def Trn_Engine : I32EnumAttr<"Engine", "execution engine", [
    I32EnumAttrCase<"PE", 0, "pe">,
    I32EnumAttrCase<"ACT", 1, "act">,
    I32EnumAttrCase<"DVE", 2, "dve">,
    I32EnumAttrCase<"POOL", 3, "pool">,
    I32EnumAttrCase<"DMA", 4, "dma">]> {
  let cppNamespace = "::mlir::trn";
  let genSpecializedAttr = 0;
}

def Trn_AluOp : I32EnumAttr<"AluOp", "VectorE/GpSimd ALU operation", [
    I32EnumAttrCase<"Add", 0, "add">,
    I32EnumAttrCase<"Sub", 1, "sub">,
    I32EnumAttrCase<"Mul", 2, "mul">,
    I32EnumAttrCase<"Div", 3, "div">,
    I32EnumAttrCase<"Max", 4, "max">,
    I32EnumAttrCase<"Min", 5, "min">,
    I32EnumAttrCase<"Pow", 6, "pow">,
    I32EnumAttrCase<"IsEq", 7, "is_eq">,
    I32EnumAttrCase<"IsNe", 8, "is_ne">,
    I32EnumAttrCase<"IsLt", 9, "is_lt">,
    I32EnumAttrCase<"IsLe", 10, "is_le">,
    I32EnumAttrCase<"IsGt", 11, "is_gt">,
    I32EnumAttrCase<"IsGe", 12, "is_ge">,
    I32EnumAttrCase<"And", 13, "and">,
    I32EnumAttrCase<"Or", 14, "or">,
    I32EnumAttrCase<"Bypass", 15, "bypass">]> {
  let cppNamespace = "::mlir::trn";
  let genSpecializedAttr = 0;
}

def Trn_ActFunc : I32EnumAttr<"ActFunc", "ScalarE activation function", [
    I32EnumAttrCase<"Identity", 0, "identity">,
    I32EnumAttrCase<"Relu", 1, "relu">,
    I32EnumAttrCase<"Gelu", 2, "gelu">,
    I32EnumAttrCase<"GeluTanh", 3, "gelu_tanh">,
    I32EnumAttrCase<"Silu", 4, "silu">,
    I32EnumAttrCase<"Sigmoid", 5, "sigmoid">,
    I32EnumAttrCase<"Tanh", 6, "tanh">,
    I32EnumAttrCase<"Exp", 7, "exp">,
    I32EnumAttrCase<"Log", 8, "log">,
    I32EnumAttrCase<"Sqrt", 9, "sqrt">,
    I32EnumAttrCase<"Rsqrt", 10, "rsqrt">,
    I32EnumAttrCase<"Square", 11, "square">,
    I32EnumAttrCase<"Reciprocal", 12, "reciprocal">,
    I32EnumAttrCase<"Erf", 13, "erf">,
    I32EnumAttrCase<"Abs", 14, "abs">]> {
  let cppNamespace = "::mlir::trn";
  let genSpecializedAttr = 0;
}

def Trn_MatmulMode : I32EnumAttr<"MatmulMode", "TensorE data path", [
    I32EnumAttrCase<"Normal", 0, "normal">,
    I32EnumAttrCase<"Fp8DoubleRow", 1, "fp8_double_row">,
    I32EnumAttrCase<"Mx", 2, "mx">]> {
  let cppNamespace = "::mlir::trn";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class Trn_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Trn_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Trn_MemSpaceAttr : EnumAttr<Trn_Dialect, Trn_MemSpace, "mem"> {
  let summary = "memory space of a tile (memref memory space)";
  let description = [{
    `#trn.mem<hbm>`, `#trn.mem<sbuf>` or `#trn.mem<psum>`; used as the memory
    space of every memref a `trn` operation reads or writes.
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Trn_EngineAttr : EnumAttr<Trn_Dialect, Trn_Engine, "engine"> {
  let summary = "engine chosen to execute an instruction";
  let description = [{
    `#trn.engine<pe|act|dve|pool|dma>`. Optional on every instruction; it
    selects among the engines that may execute the opcode
    (`trnrt::engineCanExecute`) before a queue is assigned.
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Trn_AluOpAttr : EnumAttr<Trn_Dialect, Trn_AluOp, "alu"> {
  let summary = "ALU operation (printed bare inside operations)";
}
def Trn_ActFuncAttr : EnumAttr<Trn_Dialect, Trn_ActFunc, "act_func"> {
  let summary = "activation function (printed bare inside operations)";
}
def Trn_MatmulModeAttr : EnumAttr<Trn_Dialect, Trn_MatmulMode, "matmul_mode"> {
  let summary = "matmul data path (printed bare inside operations)";
}

def Trn_TargetAttr : Trn_Attr<"Target", "target"> {
  let summary = "compilation target";
  let description = [{
    `#trn.target<"trn2">` names one of the targets of the target model
    (`trnrt::Target::names()`: trn1, trn2, trn3). A module carries it as the
    discardable attribute `trn.target`; op verifiers look it up on the closest
    enclosing operation that has it (default `trn2`).
  }];
  let parameters = (ins StringRefParameter<"target name">:$name);
  let assemblyFormat = "`<` $name `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The target model; always valid for a verified attribute.
    const ::trnrt::Target &getTarget() const;
  }];
}

def Trn_SyncAttr : Trn_Attr<"Sync", "sync"> {
  let summary = "semaphore waits and signals of a scheduled instruction";
  let description = [{
    `#trn.sync<wait = [s3 : 2, s7 : 1], signal = [s4]>`: before the
    instruction starts, semaphore 3 must have reached 2 and semaphore 7 must
    have reached 1; when it completes, semaphore 4 is incremented by one.
    Either list may be omitted. Semaphore ids are checked against the target's
    `numSemaphores` by the instruction verifier.
  }];
  let parameters = (ins
    ArrayRefParameter<"uint32_t", "waited semaphores">:$waitSems,
    ArrayRefParameter<"uint32_t", "values the waited semaphores must reach">:$waitValues,
    ArrayRefParameter<"uint32_t", "signalled semaphores">:$signals);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // TRN_DIALECT_TRN_IR_TRNBASE_TD
