//===- Passes.td - trnc compiler passes --------------------*- tablegen -*-===//
//
// Every trnc pass is declared here (a `trn-*` command-line name, summary,
// description, options, dependent dialects) and implemented in its own file
// under compiler/lib/Transforms/. `registerTrnPasses()` (Passes.h) registers
// all of them with trn-opt and trnc.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_TRANSFORMS_PASSES_TD
#define TRN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Stage 1-3: tensor-level front (frontend)
//===----------------------------------------------------------------------===//

def TrnCheckEntryPass : Pass<"trn-check-entry", "ModuleOp"> {
  let summary = "Verify the trnc input contract (stage 1) and make the target explicit";
  let description = [{
    Checks that the module only contains `func.func` definitions on ranked,
    static tensors of f32/bf16 (i1 for select conditions; index/i32/i64
    scalars inside region bodies) built from the ops trnc supports: the
    linalg named ops trn-decompose handles, `linalg.generic`/`reduce`/
    `transpose`/`broadcast`/`fill`/`copy`, `tensor.{empty, pad (constant),
    extract_slice, insert_slice, collapse_shape, expand_shape, concat}`,
    `arith`, `math` and `func.return`. Calls, control flow (scf/cf/affine),
    memrefs, vectors and dynamic shapes are rejected. Every violation gets
    one diagnostic at the offending op; the pass fails after reporting all
    of them.

    A module without `trn.target` receives `#trn.target<"<default-target>">`.

    Example:
    ```mlir
    func.func @f(%x: tensor<?x4xf32>) -> index {
      %c0 = arith.constant 0 : index
      // error: 'tensor.dim' op is not supported by trnc: dynamic shapes are
      // not supported; inputs must be ranked static tensors of f32 or bf16
      %d = tensor.dim %x, %c0 : tensor<?x4xf32>
      return %d : index
    }
    ```
  }];
  let options = [
    Option<"defaultTarget", "default-target", "std::string", /*default=*/"\"trn2\"",
           "Target attached as trn.target when the module has none">,
  ];
  let dependentDialects = ["trn::TrnDialect"];
}

//===----------------------------------------------------------------------===//
// Stage 7-8: device level (backend)
//===----------------------------------------------------------------------===//

def TrnAllocatePass : Pass<"trn-allocate", "ModuleOp"> {
  let summary = "Assign SBUF/PSUM addresses to trn.alloc buffers by liveness (stage 7)";
  let description = [{
    Gives every `trn.alloc` an `offset` (byte address within each partition)
    on straight-line device-level code (stage 6). A buffer is live from the
    first to the last operation using it directly or through
    `memref.subview`/`memref.cast` views; buffers of the same memory (SBUF,
    PSUM) whose live ranges overlap never overlap in memory. Sizes are bytes
    per partition rounded up to `alignment`. PSUM tiles no larger than a bank
    (2 KiB per partition) never straddle a bank boundary; larger tiles start
    on a bank boundary.

    Placement is next-fit with wrap-around ("rotate"): a freed block is not
    reused until the rest of the memory has been cycled through, so the tiles
    of consecutive unrolled iterations get different addresses (double
    buffering). If that fails, first-fit and then largest-first placement are
    tried before reporting
    `error: 'trn.alloc' op SBUF needs N bytes per partition at this point, the
    trn2 limit is 229376` at the buffer that does not fit. Offsets already
    present are kept. The module gets `trnc.memory_plan` (high-water mark and
    peak live bytes per memory, strategy used).

    Example:
    ```mlir
    %a = trn.alloc() : memref<128x512xf32, #trn.mem<sbuf>>
    // becomes
    %a = trn.alloc() {offset = 0 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    ```
  }];
  let options = [
    Option<"alignment", "alignment", "uint64_t", /*default=*/"64",
           "Byte alignment of every buffer within a partition (power of two)">,
    Option<"rotate", "rotate", "bool", /*default=*/"true",
           "Try rotating (next-fit) placement first; false = first-fit only">,
  ];
  let dependentDialects = ["trn::TrnDialect"];
}

def TrnDecomposePass : Pass<"trn-decompose", "ModuleOp"> {
  let summary = "Rewrite convolutions, pooling, softmax, matvec, named element-wise ops and "
                "generic reductions to the stage-2 op set";
  let description = [{
    Brings the tensor program to the stage-2 op set of docs/pipeline.md:
    `linalg.matmul`/`batch_matmul`, element-wise `linalg.generic`,
    `linalg.reduce` with a plain add/mul/max/min combiner, and data movement
    (transpose, broadcast, fill, copy, pad, slices, reshapes, concat).

    * conv_2d (NCHW/FCHW, NHWC/HWCF, NHWC/FHWC, grouped NGCHW/FGCHW,
      NGCHW/GFCHW, NHWGC/GFHWC; any stride and dilation): one matmul per
      filter tap accumulating into the output, `W[:, :, kh, kw]` (2-D,
      output channels x input channels) times the strided window
      `X[.., kh*dh : +OH*sh : sh, kw*dw : +OW*sw : sw]` collapsed to
      channels x positions;
    * depthwise conv_2d (NCHW/CHW, NHWC/HWC, NHWC/HWCM): per tap an
      element-wise `acc + window * w[c(, m)]`;
    * pooling (NCHW/NHWC sum/max, NHWC min): per tap an element-wise
      `acc (+|max|min) window`;
    * softmax: `reduce max`, `exp(x - max)`, `reduce sum`, `divide`;
    * matvec, vecmat, batch_matvec, batch_vecmat, dot: matmul/batch_matmul
      with a unit N or M dim;
    * named element-wise ops, linalg.map/elementwise and element-wise
      arith/math on tensors: linalg.generic;
    * generic reductions `out = comb(out, f(ins))`: element-wise generic
      computing `f` + `linalg.reduce`; generic contractions: named matmul.

    Example (1x1 conv, NCHW):
    ```mlir
    %r = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<1x8x4x4xf32>, tensor<16x8x1x1xf32>)
                                  outs(%o : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
    // becomes
    %acc = tensor.extract_slice %o[0, 0, 0, 0] [1, 16, 4, 4] [1, 1, 1, 1] : ... to tensor<16x4x4xf32>
    %a = tensor.collapse_shape %acc [[0], [1, 2]] : tensor<16x4x4xf32> into tensor<16x16xf32>
    %win = tensor.extract_slice %x[0, 0, 0, 0] [1, 8, 4, 4] [1, 1, 1, 1] : ... to tensor<8x4x4xf32>
    %xw = tensor.collapse_shape %win [[0], [1, 2]] : tensor<8x4x4xf32> into tensor<8x16xf32>
    %tap = tensor.extract_slice %w[0, 0, 0, 0] [16, 8, 1, 1] [1, 1, 1, 1] : ... to tensor<16x8xf32>
    %m = linalg.matmul ins(%tap, %xw : tensor<16x8xf32>, tensor<8x16xf32>) outs(%a : tensor<16x16xf32>) -> tensor<16x16xf32>
    %e = tensor.expand_shape %m [[0], [1, 2]] output_shape [16, 4, 4] : tensor<16x16xf32> into tensor<16x4x4xf32>
    %r = tensor.insert_slice %e into %o[0, 0, 0, 0] [1, 16, 4, 4] [1, 1, 1, 1] : ...
    ```
  }];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect", "math::MathDialect",
                           "tensor::TensorDialect"];
}

#endif // TRN_TRANSFORMS_PASSES_TD
