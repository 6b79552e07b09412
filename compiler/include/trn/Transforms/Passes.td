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

def TrnSchedulePass : Pass<"trn-schedule", "ModuleOp"> {
  let summary = "Assign queues, list-schedule and insert semaphores (stage 8)";
  let description = [{
    Input: allocated straight-line device code (every `trn.alloc` has an
    `offset`). Computes dependencies through memory (read-after-write,
    write-after-read, write-after-write on a common byte of the same memory,
    from the static access patterns of the tiles, exact for strided tiles),
    list-schedules the instructions with the target's cost model (earliest
    start first, ties by critical path) while assigning queues (matmul and
    transpose on `pe`, activation on `act`, element-wise ops on `dve` or
    `pool`, whichever finishes first and supports the dtypes, DMA copies on
    the least loaded of `dma0`..), and orders every cross-queue dependency
    with a semaphore: queue q owns semaphore q, producers signal it, and
    consumers wait for the count of signalling instructions up to the
    producer. Waits implied by queue order or by earlier waits (vector
    clocks) are dropped. Instructions are reordered into the issue order;
    the estimated makespan is stored as `trnc.estimated_ns` on the function.

    Example (a load on dma0, an activation on act waiting for it):
    ```mlir
    trn.dma_copy %x -> %a {queue = "dma0", sync = #trn.sync<signal = [s4]>} : ...
    trn.activation relu %a -> %b scale(1.0) bias(0.0) {queue = "act", sync = #trn.sync<wait = [s4 : 1]>} : ...
    ```
  }];
  let options = [
    Option<"dmaQueues", "dma-queues", "int", /*default=*/"0",
           "Number of DMA queues to use (0 = one per DMA engine of the target)">,
  ];
  let dependentDialects = ["trn::TrnDialect"];
}

//===----------------------------------------------------------------------===//
// Stage 4-6: tiling, bufferization, memory placement, lowering (middle)
//===----------------------------------------------------------------------===//

def TrnFuseRowsPass : Pass<"trn-fuse-rows", "ModuleOp"> {
  let summary = "Tile reduction chains over the last dim (softmax, layer norm) as one row-tile loop";
  let description = [{
    Finds connected chains of `linalg.reduce` ops over the last dim of an
    `[R..., K]` row space and the element-wise generics around them that read
    their statistics (softmax: max, exp(x - max), sum, divide; layer norm:
    mean, centre, square, variance, normalise) and tiles each chain as one
    `scf.for` nest over row tiles `[P <= partitions, K]` (stage-4 form, before
    trn-tile, which leaves the loops alone). Every member is computed on the
    tile, so intermediates and `[P]` statistics stay on chip and only the
    chain's inputs are loaded and its results stored. A member that iterates
    the rows transposed (last two dims swapped, e.g. softmax probabilities
    re-laid out for a batch_matmul) is a sink whose tile is transposed on chip
    before the store. Chains whose rows exceed SBUF/16 bytes per operand are
    left to trn-tile.

    Example (softmax over the last dim of `tensor<8x128x128xf32>`):
    ```mlir
    %r = scf.for %h = %c0 to %c8 step %c1 iter_args(%o = %empty) {
      %s = scf.for %p = %c0 to %c128 step %c128 iter_args(%a = %o) {
        %x = tensor.extract_slice %in[%h, %p, 0] [1, 128, 128] [1, 1, 1]
        %xt = linalg.copy ins(%x) outs(%e0)             // staged once
        %m = linalg.reduce ins(%xt) outs(%fill) dimensions = [1]   // [128]
        %ex = linalg.generic ... ins(%xt, %m) ...       // exp(x - m)
        %sum = linalg.reduce ins(%ex) ...
        %y = linalg.generic ... ins(%ex, %sum) ...      // e / sum
        %ins = tensor.insert_slice %y into %a[%h, %p, 0] [1, 128, 128] [1, 1, 1]
        scf.yield %ins
      } ...
    ```
  }];
  let dependentDialects = ["scf::SCFDialect", "arith::ArithDialect", "tensor::TensorDialect",
                           "linalg::LinalgDialect"];
}

def TrnTilePass : Pass<"trn-tile", "ModuleOp"> {
  let summary = "Tile matmul/element-wise/reduce roots into scf.for loops with producer fusion";
  let description = [{
    Tiles every compute root with `scf::tileConsumerAndFuseProducersUsingSCF`
    (stage 4 of docs/pipeline.md). Tile sizes come from the module's
    `trn.target`: device-form matmuls get `M <= maxStationaryFree`,
    `N <= maxMovingFree` (one PSUM bank), batch 1 and K untiled; element-wise
    consumers of a matmul that read it with their own result map are fused
    into the matmul's loop nest (the last consumer of the chain is tiled and
    its producers fused, including the accumulator `linalg.fill`).
    Element-wise generics and reductions get `numPartitions` rows on the
    partition dim (result dim rank-2, or the first kept dim of a reduction)
    and a free-size budget of SBUF/16 bytes per partition on the other dims;
    reduced dims stay untiled. Loops whose step does not divide the range are
    peeled, so every tile has a static shape; single-iteration loops are kept.

    Example (`%r = relu(matmul(%l, %r) + %bias)` with M = 200, N = 64):
    ```mlir
    %0 = scf.for %m = %c0 to %c128 step %c128 iter_args(%a = %init) {
      %1 = scf.for %n = %c0 to %c64 step %c512 iter_args(%b = %a) {
        %mm = linalg.matmul ... -> tensor<128x64xf32>
        %r  = linalg.generic ... ins(%mm, %bias_slice) -> tensor<128x64xf32>
        ...
    // followed by the peeled 72-row remainder tile
    ```
  }];
  let dependentDialects = ["scf::SCFDialect", "affine::AffineDialect",
                           "arith::ArithDialect", "tensor::TensorDialect",
                           "linalg::LinalgDialect"];
}

def TrnBufferizePass : Pass<"trn-bufferize", "ModuleOp"> {
  let summary = "One-shot bufferization into HBM with results as out-params";
  let description = [{
    Bufferizes the tiled tensor program (stage 4 -> first half of stage 5):
    one-shot bufferization with function-boundary bufferization and identity
    layouts on signatures, every buffer in `#trn.mem<hbm>` (tensor constants
    become `memref.global`s in HBM, in-place analysis avoids copies: tile
    loops write the output buffers directly), then
    `buffer-results-to-out-params` with the result allocations hoisted into
    the new out-params. Every argument gets `trn.kind = "input"|"output"`
    and `trn.name` (an existing `trn.name` on an argument or result is kept,
    otherwise `input<i>` / `output<i>`).

    Example:
    ```mlir
    func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
    // becomes
    func.func @f(%x: memref<4x8xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "input0"},
                 %y: memref<4x8xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "output0"})
    ```
  }];
  let dependentDialects = ["bufferization::BufferizationDialect",
                           "memref::MemRefDialect", "trn::TrnDialect"];
}

def TrnPlaceMemoryPass : Pass<"trn-place-memory", "ModuleOp"> {
  let summary = "Move tile-loop buffers on chip (SBUF/PSUM) with a [partition, free] layout";
  let description = [{
    Second half of stage 5: every `memref.alloc` inside a tile loop (the
    intermediates of a fused tile) becomes a `trn.alloc` in `#trn.mem<psum>`
    when a matmul accumulates into it and in `#trn.mem<sbuf>` otherwise.
    The physical layout is `[P, F]`: the partition dim is logical dim
    rank-2 (dim 0 for rank-1 buffers; the same rule trn-tile and
    trn-lower-to-trn use) and the other dims are flattened in order into F.
    The linalg users keep the logical shape through a
    `memref.reinterpret_cast` of the physical buffer. Function-level
    allocations stay HBM scratch. A tile that exceeds the target's
    partitions, SBUF bytes per partition or one PSUM bank (accumulators) is
    rejected with an error at the op writing it that names size and limit.

    Example:
    ```mlir
    %a = memref.alloc() : memref<128x512xf32, #trn.mem<hbm>>   // in a tile loop
    linalg.matmul ... outs(%a : ...)
    // becomes
    %p = trn.alloc() : memref<128x512xf32, #trn.mem<psum>>
    %a = memref.reinterpret_cast %p to offset: [0], sizes: [128, 512], strides: [512, 1] : ...
    ```
  }];
  let dependentDialects = ["memref::MemRefDialect", "trn::TrnDialect"];
}

def TrnLowerToTrnPass : Pass<"trn-lower-to-trn", "ModuleOp"> {
  let summary = "Lower tile-level linalg/memref ops to trn instructions with DMA staging";
  let description = [{
    First half of stage 6. Every tile-level op becomes trn instruction ops:
    device-form matmuls are per-(M, N)-chunk PSUM accumulation groups of
    `trn.matmul` over K chunks of <= numPartitions (`accumulate` unset on the
    first) with the operands staged HBM -> SBUF by `trn.dma_copy` and ScalarE
    eviction (`trn.activation identity`) into the result dtype; element-wise
    generics become `activation` / `tensor_tensor` / `tensor_scalar` /
    `select` / `tensor_copy` on [P, F] tiles (x*s+b chains fused into one
    `activation`, sigmoid and relu recognised, scalar constants as
    immediates, per-partition inputs as [P, 1] columns); reductions become
    `tensor_reduce` (partition-dim reductions via `trn.transpose`);
    fill/copy/transpose/broadcast become `memset` + DMA or HBM->HBM DMAs with
    permuted or stride-0 access patterns (`memref.reinterpret_cast` of the
    HBM base buffer). A fill that initialises a matmul or reduction is
    absorbed by it. Tile loops stay for trn-unroll.

    Example:
    ```mlir
    linalg.generic {... ["parallel", "parallel"]} ins(%x : memref<128x64xf32, #trn.mem<hbm>>)
        outs(%y : memref<128x64xf32, #trn.mem<hbm>>) {
      ^bb0(%a: f32, %o: f32):
        %e = math.exp %a : f32
        linalg.yield %e : f32
    }
    // becomes
    %t = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
    %x_s = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
    trn.dma_copy %x -> %x_s : ...
    trn.activation exp %x_s -> %t scale(1.0) bias(0.0) : ...
    trn.dma_copy %t -> %y : ...
    ```
  }];
  let dependentDialects = ["trn::TrnDialect", "memref::MemRefDialect",
                           "arith::ArithDialect"];
}

def TrnUnrollPass : Pass<"trn-unroll", "ModuleOp"> {
  let summary = "Fully unroll tile loops into straight-line device code with static views";
  let description = [{
    Second half of stage 6: fully unrolls every `scf.for` (static trip
    counts; each iteration gets its own `trn.alloc` ops so the allocator can
    rotate buffers), canonicalizes the index arithmetic so every
    `memref.subview` / `memref.reinterpret_cast` has static offsets, sizes
    and strides, and forwards `memref.cast` sources into the trn
    instructions. Anything outside the stage-6 contract is reported.

    Example:
    ```mlir
    scf.for %i = %c0 to %c256 step %c128 {
      %t = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
      %v = memref.subview %x[%i, 0] [128, 64] [1, 1] : ...
      trn.dma_copy %v -> %t : ...
    }
    // becomes two copies with subviews at rows 0 and 128
    ```
  }];
  let dependentDialects = ["trn::TrnDialect", "memref::MemRefDialect",
                           "arith::ArithDialect", "scf::SCFDialect"];
}

def TrnLayoutPass : Pass<"trn-layout", "ModuleOp"> {
  let summary = "Bring contractions to device form C[m,n] = sum_k L[k,m] R[k,n] and remove "
                "avoidable transposes";
  let description = [{
    Rewrites every `linalg.matmul` / `linalg.batch_matmul` to device form:
    `indexing_maps = [(m,n,k) -> (k,m), (m,n,k) -> (k,n), (m,n,k) -> (m,n)]`
    (batch: a leading batch dim on all three), i.e. both operands with the
    contraction dim K first (on the partitions). Operands stored the other
    way get an explicit `linalg.transpose`. Transposes are then removed
    where a cheaper layout exists: transposes of constants (also of static
    slices of constants) fold at compile time, transpose pairs cancel, and a
    transpose of a single-use element-wise generic or device matmul is
    absorbed by producing the value transposed (for a matmul by swapping L
    and R, which computes C^T). Element-wise generics that read a single-use
    producer through a permuting map make the producer write that layout.
    Transposes move through collapse_shape, tensor.pad and sibling
    extract_slices, so all conv windows of an input share one transpose. MLP chains thus become feature-major with at most one transpose
    of the activations at the input. Function signatures keep the user's
    layout.

    Example:
    ```mlir
    %y = linalg.matmul ins(%x, %w : tensor<8x64xf32>, tensor<64x32xf32>)
                       outs(%f : tensor<8x32xf32>) -> tensor<8x32xf32>
    // becomes
    %xt = linalg.transpose ins(%x : tensor<8x64xf32>) outs(%e : tensor<64x8xf32>) permutation = [1, 0]
    %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                        affine_map<(m, n, k) -> (k, n)>,
                                        affine_map<(m, n, k) -> (m, n)>]
           ins(%xt, %w : tensor<64x8xf32>, tensor<64x32xf32>) outs(%f : tensor<8x32xf32>) -> tensor<8x32xf32>
    ```
  }];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "tensor::TensorDialect"];
}

def TrnQuantizePass : Pass<"trn-quantize", "ModuleOp"> {
  let summary = "Quantize the operands of device-form contractions (bf16, FP8 with scales)";
  let description = [{
    Runs after trn-layout. Groups device-form contractions
    (`C[m,n] = sum_k L[k,m] R[k,n]`) into accumulation chains (a conv's
    taps) and quantizes their operands to the mode's element type:
    constant operands at compile time (RNE, saturating, trnrt numerics) with
    a per-tensor or per-channel (non-contracted dim) f32 scale; activation
    operands on the device by an element-wise `truncf(x * (max / amax))` of
    their root (traced through slices, reshapes and zero pads,
    which are replayed on the quantized root), with amax computed on the
    device (`activation-scales=dynamic`) or given from calibration
    (`static`, `activation-amax`). The chain accumulates in quantized units
    (FP32 PSUM) and its result is multiplied by `s_L * s_R` in one
    element-wise generic (a per-partition scale for per-channel weights);
    a non-zero initial value is added after the rescale (the chain starts
    from zero). `bf16` casts the
    operands to bf16. A mode the target cannot run is an error naming the
    targets that can. See docs/passes/trn-quantize.md.

    Example (fp8-e4m3, per-tensor, dynamic):
    ```mlir
    %c = linalg.matmul indexing_maps = [(k,m), (k,n), (m,n)]
           ins(%w, %x : tensor<256x128xf32>, tensor<256x64xf32>) ...
    // becomes
    %amax = linalg.reduce {maximumf} (|x|) -> tensor<f32>
    %xq = linalg.generic ins(%x, %amax) { truncf(x * 448 / amax) } -> tensor<256x64xf8E4M3FN>
    %wq = arith.constant dense<...> : tensor<256x128xf8E4M3FN>
    %c = linalg.matmul ... ins(%wq, %xq) ...
    %d = linalg.generic ins(%c, %amax) { c * amax * (s_w / 448) }
    ```
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"none\"",
           "none, bf16, fp8-e4m3, fp8-e5m2, mxfp8, mxfp4">,
    Option<"weightScales", "weight-scales", "std::string", /*default=*/"\"per-channel\"",
           "Scales of constant operands: per-tensor or per-channel">,
    Option<"activationScales", "activation-scales", "std::string", /*default=*/"\"dynamic\"",
           "Scales of activation operands: dynamic (amax on the device) or static "
           "(activation-amax from calibration)">,
    ListOption<"activationAmax", "activation-amax", "float",
               "Calibrated amax per activation root, in order of first use">,
    Option<"debugOutputs", "debug-outputs", "bool", /*default=*/"false",
           "Append each quantized chain's result as an extra function result "
           "(trn.name quant.op<i>) for the quantization report">,
    Option<"calibrationOutputs", "calibration-outputs", "bool", /*default=*/"false",
           "mode=none only: append each activation root as an extra result "
           "(trn.name quant.calib<i>) for calibration">,
  ];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "math::MathDialect", "tensor::TensorDialect"];
}

#endif // TRN_TRANSFORMS_PASSES_TD
