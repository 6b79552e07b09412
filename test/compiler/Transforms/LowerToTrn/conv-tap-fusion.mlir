// RUN: trn-opt --trn-tile --trn-bufferize --trn-place-memory --trn-lower-to-trn --trn-unroll %s | FileCheck %s

// Two conv taps with K = 200 (two K chunks each) fused into one tile: ONE
// PSUM accumulation group of four trn.matmul, `accumulate` unset only on the
// first (tap 0, K chunk 0; the zero fill is absorbed) and set on tap 1's
// first chunk (it continues the group), then ONE eviction to SBUF and one
// DMA of the result.
// CHECK-LABEL: func.func @taps
// CHECK:     %[[P:.*]] = trn.alloc() : memref<8x40xf32, #trn.mem<psum>>
// CHECK-NOT: trn.memset
// CHECK:     trn.matmul %{{.*}}, %{{.*}} -> %[[P]] : memref<128x8xf32
// CHECK:     trn.matmul %{{.*}}, %{{.*}} -> %[[P]] {accumulate} : memref<72x8xf32
// CHECK:     trn.matmul %{{.*}}, %{{.*}} -> %[[P]] {accumulate} : memref<128x8xf32
// CHECK:     trn.matmul %{{.*}}, %{{.*}} -> %[[P]] {accumulate} : memref<72x8xf32
// CHECK-NOT: trn.matmul
// CHECK:     %[[O:.*]] = trn.alloc() : memref<8x40xf32, #trn.mem<sbuf>>
// CHECK-NEXT: trn.tensor_scalar %[[P]] -> %[[O]], add(0.000000e+00)
// CHECK-NEXT: trn.dma_copy %[[O]] -> %arg4
// CHECK-NOT: {{^ *}}trn.
// CHECK:     return
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @taps(%w0: tensor<200x8xf32>, %w1: tensor<200x8xf32>, %x0: tensor<200x40xf32>, %x1: tensor<200x40xf32>) -> tensor<8x40xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8x40xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x40xf32>) -> tensor<8x40xf32>
    %t0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w0, %x0 : tensor<200x8xf32>, tensor<200x40xf32>) outs(%f : tensor<8x40xf32>) -> tensor<8x40xf32>
    %t1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w1, %x1 : tensor<200x8xf32>, tensor<200x40xf32>) outs(%t0 : tensor<8x40xf32>) -> tensor<8x40xf32>
    return %t1 : tensor<8x40xf32>
  }
}

