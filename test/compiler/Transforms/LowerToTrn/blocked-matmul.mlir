// RUN: trn-opt --trn-tile --trn-bufferize --trn-place-memory --trn-lower-to-trn --trn-unroll %s --split-input-file | FileCheck %s
// The loop nests of the GEMM blocking strategies (MatmulBlocking.h) for
// C[256, 1024] = L[256, 256]^T R[256, 1024]: 2 x 2 output tiles of 128 x 512,
// 2 K tiles of 128. trn-unroll keeps every load (no reuse across a strategy's
// intentional reloads).

// naive: both operands per K step: 8 matmuls, 16 loads, 4 evictions + stores.
// CHECK-LABEL: func.func @naive
// CHECK-COUNT-16: trn.dma_copy {{.*}}{trnc.no_reuse}
// CHECK-NOT: trnc.no_reuse
// CHECK: return
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "naive"} {
  func.func @naive(%l: tensor<256x256xbf16>, %r: tensor<256x1024xbf16>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<256x256xbf16>, tensor<256x1024xbf16>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %m : tensor<256x1024xf32>
  }
}

// -----

// hoist: the stationary column of an M tile once (2 x 2), the moving tiles
// per output tile (2 x 2 x 2): 12 loads; each accumulation group of 2
// matmuls starts with accumulate unset.
// CHECK-LABEL: func.func @hoist
// CHECK-COUNT-12: trn.dma_copy {{.*}}{trnc.no_reuse}
// CHECK-NOT: trnc.no_reuse
// CHECK: trn.matmul %{{.*}}, %{{.*}} -> %[[P:[0-9]+]] : {{.*}} -> memref<128x512xf32, #trn.mem<psum>>
// CHECK-NEXT: trn.matmul %{{.*}}, %{{.*}} -> %[[P]] {accumulate}
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "hoist"} {
  func.func @hoist(%l: tensor<256x256xbf16>, %r: tensor<256x1024xbf16>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<256x256xbf16>, tensor<256x1024xbf16>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %m : tensor<256x1024xf32>
  }
}

// -----

// block-mnk 2 x 2 x 1: one K tile per block, so each output tile's PSUM
// group (one matmul) is copied into an f32 SBUF accumulator (first K block)
// and the second K block adds into it, converting to C's dtype (bf16) in
// that last add; the block loads are [128, 1024] (moving) and [128, 256]
// (stationary) slices sliced per matmul.
// CHECK-LABEL: func.func @block_mnk
// CHECK: trn.dma_copy {{.*}} -> memref<32x1024xbf16
// CHECK: trn.matmul {{.*}} : memref<128x128xbf16, strided<[256, 1]>, #trn.mem<sbuf>>, memref<128x512xbf16, strided<[1024, 1]>, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
// CHECK: trn.tensor_copy {{.*}} : memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xf32, #trn.mem<sbuf>>
// CHECK: trn.tensor_tensor add {{.*}} -> memref<128x512xbf16, #trn.mem<sbuf>>
// CHECK: trn.dma_copy {{.*}}memref<{{32|128}}x512xbf16{{.*}}#trn.mem<hbm>>
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "block-mnk:2x2x1"} {
  func.func @block_mnk(%l: tensor<256x256xbf16>, %r: tensor<256x1024xbf16>) -> tensor<256x1024xbf16> {
    %e = tensor.empty() : tensor<256x1024xbf16>
    %z = arith.constant 0.0 : bf16
    %f = linalg.fill ins(%z : bf16) outs(%e : tensor<256x1024xbf16>) -> tensor<256x1024xbf16>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<256x256xbf16>, tensor<256x1024xbf16>) outs(%f : tensor<256x1024xbf16>) -> tensor<256x1024xbf16>
    return %m : tensor<256x1024xbf16>
  }
}
