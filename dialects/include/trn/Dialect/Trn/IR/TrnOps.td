//===- TrnOps.td - trn device instruction operations -------*- tablegen -*-===//
//
// One operation per device instruction of runtime/include/trn/runtime/ISA.h,
// plus `trn.alloc` for on-chip buffers. The C++ verifiers (TrnOps.cpp) check
// every operand against the target model (trnrt::Target).
//
//===----------------------------------------------------------------------===//
#ifndef TRN_DIALECT_TRN_IR_TRNOPS_TD
#define TRN_DIALECT_TRN_IR_TRNOPS_TD

include "trn/Dialect/Trn/IR/TrnBase.td"
include "trn/Dialect/Trn/IR/TrnInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"

class Trn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Trn_Dialect, mnemonic, traits>;

// Scheduling attributes accepted by every instruction.
defvar Trn_SchedArgs = (ins
  OptionalAttr<Trn_EngineAttr>:$engine,
  OptionalAttr<StrAttr>:$queue,
  OptionalAttr<Trn_SyncAttr>:$sync);

// A device instruction. `opcode` is the trnrt::Opcode enumerator; `instArgs`
// the instruction's own operands/attributes (the scheduling attributes are
// appended); `extraDecl` extra class declarations.
class Trn_InstOp<string mnemonic, string opcode, list<Trait> traits = []>
    : Trn_Op<mnemonic, !listconcat(traits, [TrnInstructionOpInterface])> {
  dag instArgs = (ins);
  code extraDecl = "";
  let arguments = !con(instArgs, Trn_SchedArgs);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The ISA opcode (TrnInstructionOpInterface).
    static constexpr ::trnrt::Opcode kOpcode = ::trnrt::Opcode::}] # opcode # [{;
    ::trnrt::Opcode getOpcode() { return kOpcode; }
  }] # extraDecl;
}

defvar Trn_SchedDoc = [{

    Scheduling attributes (all instructions): `engine = #trn.engine<...>`
    selects the executing engine, `queue = "pe"|"act"|"dve"|"pool"|"dma0"..
    "dma15"` the in-order instruction stream, `sync = #trn.sync<...>` the
    semaphore waits and signals.
}];

//===----------------------------------------------------------------------===//
// trn.alloc
//===----------------------------------------------------------------------===//

def Trn_AllocOp : Trn_Op<"alloc", [
    MemoryEffects<[MemAlloc<DefaultResource>]>]> {
  let summary = "on-chip SBUF or PSUM buffer";
  let description = [{
    Allocates a buffer in SBUF or PSUM. Dimension 0 is the partition
    dimension (at most the target's partition count), the remaining 1..4
    dimensions are the free dimensions stored contiguously in each partition
    (identity layout, static shape). The optional `offset` is the byte address
    within each partition, assigned by the memory allocator; the buffer must
    fit the memory (SBUF bytes per partition, or all PSUM banks) at that
    address. There is no deallocation: buffer lifetimes are derived from
    uses by the allocator.

    `memref.alloc` is not used because it cannot carry the assigned address
    and accepts layouts and dynamic shapes the device cannot address.

    ```mlir
    %t = trn.alloc() {offset = 4096} : memref<128x512xbf16, #trn.mem<sbuf>>
    ```
  }];
  let arguments = (ins OptionalAttr<I64Attr>:$offset);
  let results = (outs Res<AnyMemRef, "buffer", [MemAlloc<DefaultResource>]>:$buffer);
  let assemblyFormat = "`(` `)` attr-dict `:` type($buffer)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Trn_DmaCopyOp : Trn_InstOp<"dma_copy", "DmaCopy"> {
  let summary = "DMA copy between memories";
  let description = [{
    Copies `src` to `dst` on a DMA queue. Both tiles walk the same number of
    elements in the same (row-major) order and have the same element type:
    DMA does not convert. Allowed memory pairs: HBM<->SBUF, SBUF<->SBUF,
    HBM->HBM, SBUF<->PSUM (PSUM is reachable only from SBUF).

    ```mlir
    trn.dma_copy %x -> %t : memref<128x512xbf16, #trn.mem<hbm>> -> memref<128x512xbf16, #trn.mem<sbuf>>
    ```
  }] # Trn_SchedDoc;
  let instArgs = (ins
    Arg<AnyMemRef, "source", [MemRead]>:$src,
    Arg<AnyMemRef, "destination", [MemWrite]>:$dst);
  let assemblyFormat = "$src `->` $dst attr-dict `:` type($src) `->` type($dst)";
}

//===----------------------------------------------------------------------===//
// Tensor engine
//===----------------------------------------------------------------------===//

def Trn_MatmulOp : Trn_InstOp<"matmul", "Matmul", [
    AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "TensorE matrix multiply into PSUM";
  let description = [{
    `dst[M, N] (+)= stationary[K, M]^T @ moving[K, N]` with the contraction
    K on partitions. Without `accumulate` the instruction starts an
    accumulation group (overwrites `dst`); with it, it adds to `dst`.
    Stationary and moving tiles are in SBUF, `dst` in PSUM.

    Modes (`mode <name>`, default `normal`):
    * `normal`: stationary `[K, M]`, moving `[K, N]`.
    * `fp8_double_row` (trn2): FP8 operands with an extra leading free dim of
      2 rows: stationary `[K, 2, M]`, moving `[K, 2, N]`; contraction index
      `row * K + partition`.
    * `mx` (trn3): MXFP8/MXFP4 operands with 4 rows, `[K, 4, M]` and
      `[K, 4, N]`, plus E8M0 scales `scales(%ss, %ms : ...)` of shape
      `[K/32, 4, M]` and `[K/32, 4, N]` (one scale per 32 contraction
      partitions).

    Limits: K <= partitions, M <= the stationary free limit (128), N <= the
    moving free limit (512 fp32 = one PSUM bank on trn1/trn2; on trn3 up to
    4096 fp32 or 8192 bf16 outputs); on trn1/trn2 `dst` must fit one PSUM
    bank. Output dtype f32 (trn3 also bf16).

    ```mlir
    trn.matmul %st, %mv -> %ps {accumulate} : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
    ```
  }] # Trn_SchedDoc;
  let instArgs = (ins
    AnyMemRef:$stationary,
    AnyMemRef:$moving,
    AnyMemRef:$dst,
    Optional<AnyMemRef>:$stationary_scale,
    Optional<AnyMemRef>:$moving_scale,
    UnitAttr:$accumulate,
    DefaultValuedAttr<Trn_MatmulModeAttr, "::mlir::trn::MatmulMode::Normal">:$mode);
  let assemblyFormat = [{
    $stationary `,` $moving
    (`scales` `(` $stationary_scale^ `,` $moving_scale `:`
                  type($stationary_scale) `,` type($moving_scale) `)`)?
    `->` $dst (`mode` $mode^)? attr-dict
    `:` type($stationary) `,` type($moving) `->` type($dst)
  }];
}

def Trn_TransposeOp : Trn_InstOp<"transpose", "Transpose"> {
  let summary = "TensorE transpose from SBUF into PSUM";
  let description = [{
    `dst[F, P] = src[P, F]^T`: `src` is an SBUF tile with P partitions and
    F <= the stationary free limit (128) elements; `dst` a PSUM tile with F
    partitions fitting one PSUM bank. The destination dtype is the source
    dtype or f32.

    ```mlir
    trn.transpose %a -> %p : memref<128x64xbf16, #trn.mem<sbuf>> -> memref<64x128xf32, #trn.mem<psum>>
    ```
  }] # Trn_SchedDoc;
  let instArgs = (ins
    Arg<AnyMemRef, "source", [MemRead]>:$src,
    Arg<AnyMemRef, "destination", [MemWrite]>:$dst);
  let assemblyFormat = "$src `->` $dst attr-dict `:` type($src) `->` type($dst)";
}

//===----------------------------------------------------------------------===//
// ScalarE
//===----------------------------------------------------------------------===//

def Trn_ActivationOp : Trn_InstOp<"activation", "Activation", [
    AttrSizedOperandSegments]> {
  let summary = "ScalarE dst = f(src * scale + bias)";
  let description = [{
    Applies `func` to `src * scale + bias` in FP32 and converts to `dst`'s
    dtype. `scale` and `bias` are each an f32 immediate or a per-partition
    `[P, 1]` tile. With `accum(%acc : ...)` the instruction also writes the
    sum of the results over all free dims into the `[P, 1]` tile `%acc`.
    Tiles are in SBUF or PSUM; `src` and `dst` have the same shape.

    ```mlir
    trn.activation exp %x -> %y scale(0.5) bias(%b : memref<128x1xf32, #trn.mem<sbuf>>) accum(%s : memref<128x1xf32, #trn.mem<sbuf>>) : memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xbf16, #trn.mem<sbuf>>
    ```
  }] # Trn_SchedDoc;
  let instArgs = (ins
    Trn_ActFuncAttr:$func,
    Arg<AnyMemRef, "source", [MemRead]>:$src,
    Arg<AnyMemRef, "destination", [MemWrite]>:$dst,
    Arg<Optional<AnyMemRef>, "per-partition scale", [MemRead]>:$scale_tile,
    Arg<Optional<AnyMemRef>, "per-partition bias", [MemRead]>:$bias_tile,
    Arg<Optional<AnyMemRef>, "free-dim sum output", [MemWrite]>:$accum,
    DefaultValuedAttr<F32Attr, "1.0f">:$scale,
    DefaultValuedAttr<F32Attr, "0.0f">:$bias);
  let assemblyFormat = [{
    ``$func $src `->` $dst
    `scale` `(` custom<ScalarOperand>($scale_tile, type($scale_tile), $scale) `)`
    `bias` `(` custom<ScalarOperand>($bias_tile, type($bias_tile), $bias) `)`
    (`accum` `(` $accum^ `:` type($accum) `)`)?
    attr-dict `:` type($src) `->` type($dst)
  }];
}

//===----------------------------------------------------------------------===//
// VectorE / GpSimd
//===----------------------------------------------------------------------===//

def Trn_TensorTensorOp : Trn_InstOp<"tensor_tensor", "TensorTensor"> {
  let summary = "element-wise dst = in0 op in1";
  let description = [{
    Element-wise binary ALU operation on equally shaped SBUF/PSUM tiles.
    Comparisons and `and`/`or` produce 1.0 or 0.0.

    ```mlir
    trn.tensor_tensor add %a, %b -> %c : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xbf16, #trn.mem<sbuf>>
    ```
  }] # Trn_SchedDoc;
  let instArgs = (ins
    Trn_AluOpAttr:$op,
    Arg<AnyMemRef, "first input", [MemRead]>:$in0,
    Arg<AnyMemRef, "second input", [MemRead]>:$in1,
    Arg<AnyMemRef, "destination", [MemWrite]>:$dst);
  let assemblyFormat = [{
    ``$op $in0 `,` $in1 `->` $dst attr-dict
    `:` type($in0) `,` type($in1) `->` type($dst)
  }];
}

def Trn_TensorScalarOp : Trn_InstOp<"tensor_scalar", "TensorScalar", [
    AttrSizedOperandSegments]> {
  let summary = "dst = (src op0 scalar0) op1 scalar1";
  let description = [{
    Two chained ALU operations with a scalar operand each: an f32 immediate
    or a per-partition `[P, 1]` tile. `reversed` swaps the operands of that
    stage (`scalar0 op0 src`). `op1` defaults to `bypass`, which skips the
    second stage (its scalar must then be the immediate 0.0).

    ```mlir
    trn.tensor_scalar %x -> %y, mul(2.0), add(%b : memref<128x1xf32, #trn.mem<sbuf>>) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    trn.tensor_scalar %x -> %y, sub(1.0) reversed : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    ```
  }] # Trn_SchedDoc;
  let instArgs = (ins
    Arg<AnyMemRef, "source", [MemRead]>:$src,
    Arg<AnyMemRef, "destination", [MemWrite]>:$dst,
    Trn_AluOpAttr:$op0,
    Arg<Optional<AnyMemRef>, "per-partition scalar0", [MemRead]>:$scalar0_tile,
    DefaultValuedAttr<F32Attr, "0.0f">:$scalar0,
    UnitAttr:$reverse0,
    DefaultValuedAttr<Trn_AluOpAttr, "::mlir::trn::AluOp::Bypass">:$op1,
    Arg<Optional<AnyMemRef>, "per-partition scalar1", [MemRead]>:$scalar1_tile,
    DefaultValuedAttr<F32Attr, "0.0f">:$scalar1,
    UnitAttr:$reverse1);
  let assemblyFormat = [{
    $src `->` $dst
    `,` ``$op0 `(` custom<ScalarOperand>($scalar0_tile, type($scalar0_tile), $scalar0) `)`
    (`reversed` $reverse0^)?
    ``custom<SecondStage>($op1, $scalar1_tile, type($scalar1_tile), $scalar1, $reverse1)
    attr-dict `:` type($src) `->` type($dst)
  }];
}

def Trn_TensorReduceOp : Trn_InstOp<"tensor_reduce", "TensorReduce"> {
  let summary = "reduction over free dims";
  let description = [{
    Reduces the free dims listed in `axes` (0 = outermost free dim, i.e.
    memref dim 1) with `add`, `max`, `min` or `mul`; `negate` negates the
    result. `dst` has `src`'s shape with the reduced free dims removed or kept
    with size 1 (a `[P, 1]` column when every free dim is reduced).

    ```mlir
    trn.tensor_reduce max %x -> %m axes [1] negate : memref<128x4x512xf32, #trn.mem<sbuf>> -> memref<128x4xf32, #trn.mem<sbuf>>
    ```
  }] # Trn_SchedDoc;
  let instArgs = (ins
    Trn_AluOpAttr:$op,
    Arg<AnyMemRef, "source", [MemRead]>:$src,
    Arg<AnyMemRef, "destination", [MemWrite]>:$dst,
    DenseI64ArrayAttr:$axes,
    UnitAttr:$negate);
  let assemblyFormat = [{
    ``$op $src `->` $dst `axes` $axes (`negate` $negate^)? attr-dict
    `:` type($src) `->` type($dst)
  }];
}

def Trn_TensorCopyOp : Trn_InstOp<"tensor_copy", "TensorCopy"> {
  let summary = "copy with dtype conversion";
  let description = [{
    `dst = convert(src)` for equally shaped SBUF/PSUM tiles, following the
    conversion policy of docs/numerics (RNE; FP8/FP4 saturate to the finite
    range; NaN kept where the format has one).

    ```mlir
    trn.tensor_copy %p -> %t : memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xf8E4M3FN, #trn.mem<sbuf>>
    ```
  }] # Trn_SchedDoc;
  let instArgs = (ins
    Arg<AnyMemRef, "source", [MemRead]>:$src,
    Arg<AnyMemRef, "destination", [MemWrite]>:$dst);
  let assemblyFormat = "$src `->` $dst attr-dict `:` type($src) `->` type($dst)";
}

def Trn_SelectOp : Trn_InstOp<"select", "Select"> {
  let summary = "dst = pred != 0 ? on_true : on_false";
  let description = [{
    Element-wise select on equally shaped SBUF/PSUM tiles.

    ```mlir
    trn.select %m, %a, %b -> %c : memref<128x64xf32, #trn.mem<sbuf>>, memref<128x64xf32, #trn.mem<sbuf>>, memref<128x64xf32, #trn.mem<sbuf>> -> memref<128x64xf32, #trn.mem<sbuf>>
    ```
  }] # Trn_SchedDoc;
  let instArgs = (ins
    Arg<AnyMemRef, "predicate", [MemRead]>:$pred,
    Arg<AnyMemRef, "value where pred != 0", [MemRead]>:$on_true,
    Arg<AnyMemRef, "value where pred == 0", [MemRead]>:$on_false,
    Arg<AnyMemRef, "destination", [MemWrite]>:$dst);
  let assemblyFormat = [{
    $pred `,` $on_true `,` $on_false `->` $dst attr-dict
    `:` type($pred) `,` type($on_true) `,` type($on_false) `->` type($dst)
  }];
}

def Trn_IotaOp : Trn_InstOp<"iota", "Iota"> {
  let summary = "affine index generation (GpSimd)";
  let description = [{
    `dst[p, i0..i3] = base + channel_multiplier * p + sum_k multipliers[k] * i_k`
    computed in int32 and converted to `dst`'s dtype; `multipliers` has one
    entry per free dim of `dst`.

    ```mlir
    trn.iota -> %t base(0) channel_multiplier(1) multipliers([128]) : memref<128x64xi32, #trn.mem<sbuf>>
    ```
  }] # Trn_SchedDoc;
  let instArgs = (ins
    Arg<AnyMemRef, "destination", [MemWrite]>:$dst,
    I32Attr:$base,
    I32Attr:$channel_multiplier,
    DenseI32ArrayAttr:$multipliers);
  let assemblyFormat = [{
    `->` $dst `base` `(` $base `)` `channel_multiplier` `(` $channel_multiplier `)`
    `multipliers` `(` $multipliers `)` attr-dict `:` type($dst)
  }];
}

def Trn_MemsetOp : Trn_InstOp<"memset", "Memset"> {
  let summary = "fill a tile with a constant";
  let description = [{
    `dst = value` converted to `dst`'s dtype.

    ```mlir
    trn.memset 0.0 -> %t : memref<128x512xbf16, #trn.mem<sbuf>>
    ```
  }] # Trn_SchedDoc;
  let instArgs = (ins
    F32Attr:$value,
    Arg<AnyMemRef, "destination", [MemWrite]>:$dst);
  let assemblyFormat = "$value `->` $dst attr-dict `:` type($dst)";
}

def Trn_QuantizeMxOp : Trn_InstOp<"quantize_mx", "QuantizeMx"> {
  let summary = "OCP MX quantization on VectorE (trn3)";
  let description = [{
    Quantizes `src` (f32/bf16/f16) along partitions: each block of 32
    consecutive partitions shares one E8M0 scale per free position. `dst`
    (MXFP8: f8E4M3FN or f8E5M2) has `src`'s shape; `scale`
    (f8E8M0FNU) has one partition per block and `src`'s free shape.

    ```mlir
    trn.quantize_mx %x -> %q, %s : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf8E4M3FN, #trn.mem<sbuf>>, memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>
    ```
  }] # Trn_SchedDoc;
  let instArgs = (ins
    Arg<AnyMemRef, "source", [MemRead]>:$src,
    Arg<AnyMemRef, "quantized data", [MemWrite]>:$dst,
    Arg<AnyMemRef, "E8M0 block scales", [MemWrite]>:$scale);
  let assemblyFormat = [{
    $src `->` $dst `,` $scale attr-dict
    `:` type($src) `->` type($dst) `,` type($scale)
  }];
}

#endif // TRN_DIALECT_TRN_IR_TRNOPS_TD
