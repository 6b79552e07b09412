// RUN: trn-opt --trn-tile --trn-bufferize --trn-place-memory %s | FileCheck %s

// A tap chain (two taps accumulating through `outs`, the first into a zero
// fill) fused by trn-tile: after bufferization every tap writes the same
// tile-local buffer in place, so trn-place-memory makes it ONE PSUM tile
// that the fill, both matmuls and the eviction generic share; the eviction
// writes the HBM result.
// CHECK-LABEL: func.func @taps
// CHECK:     scf.for
// CHECK:       scf.for
// CHECK:         %[[P:.*]] = trn.alloc() : memref<8x40xf32, #trn.mem<psum>>
// CHECK-NEXT:    %[[V:.*]] = memref.reinterpret_cast %[[P]]
// CHECK-NEXT:    linalg.fill ins(%{{.*}} : f32) outs(%[[V]] :
// CHECK-NEXT:    linalg.matmul {{.*}} outs(%[[V]] :
// CHECK-NEXT:    linalg.matmul {{.*}} outs(%[[V]] :
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[V]] : {{.*}}#trn.mem<psum>>) outs(%{{.*}} : memref<8x40xf32, #trn.mem<hbm>>)
// CHECK-NOT: trn.alloc
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
