// RUN: trn-opt --trn-tile %s | FileCheck %s

// Tap matmuls whose moving operand is a convolution window with its positions
// collapsed (collapse_shape [C, OH, OW] -> [C, OH*OW]) tile N by whole output
// rows: OW = 40 -> 12 rows = 480 columns per tile (not 512), then the
// 160-column (4-row) tail, so that every moving tile is one [C, rows, OW] box
// of the window.
#l = affine_map<(m, n, k) -> (k, m)>
#r = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>
module attributes {trn.target = #trn.target<"trn2">} {
  // CHECK-LABEL: func.func @rows
  // CHECK: scf.for %{{.*}} = %c0 to %c480 step %c480
  // CHECK:   tensor.extract_slice %{{.*}}[0, %{{.*}}] [4, 480] [1, 1] : tensor<4x640xf32> to tensor<4x480xf32>
  // CHECK:   linalg.matmul {{.*}} -> tensor<8x480xf32>
  // CHECK: scf.for %{{.*}} = %c480 to %c640 step %c480
  // CHECK:   tensor.extract_slice %{{.*}}[0, 480] [4, 160] [1, 1] : tensor<4x640xf32> to tensor<4x160xf32>
  func.func @rows(%x: tensor<4x18x42xf32>, %w0: tensor<4x8xf32>, %w1: tensor<4x8xf32>) -> tensor<8x640xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8x640xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x640xf32>) -> tensor<8x640xf32>
    %s0 = tensor.extract_slice %x[0, 0, 0] [4, 16, 40] [1, 1, 1] : tensor<4x18x42xf32> to tensor<4x16x40xf32>
    %c0 = tensor.collapse_shape %s0 [[0], [1, 2]] : tensor<4x16x40xf32> into tensor<4x640xf32>
    %t0 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w0, %c0 : tensor<4x8xf32>, tensor<4x640xf32>) outs(%f : tensor<8x640xf32>) -> tensor<8x640xf32>
    %s1 = tensor.extract_slice %x[0, 1, 1] [4, 16, 40] [1, 1, 1] : tensor<4x18x42xf32> to tensor<4x16x40xf32>
    %c1 = tensor.collapse_shape %s1 [[0], [1, 2]] : tensor<4x16x40xf32> into tensor<4x640xf32>
    %t1 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w1, %c1 : tensor<4x8xf32>, tensor<4x640xf32>) outs(%t0 : tensor<8x640xf32>) -> tensor<8x640xf32>
    return %t1 : tensor<8x640xf32>
  }

  // A plain moving operand keeps the 512-column tiles.
  // CHECK-LABEL: func.func @plain
  // CHECK: scf.for %{{.*}} = %c0 to %c512 step %c512
  func.func @plain(%x: tensor<4x640xf32>, %w0: tensor<4x8xf32>) -> tensor<8x640xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8x640xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x640xf32>) -> tensor<8x640xf32>
    %t0 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w0, %x : tensor<4x8xf32>, tensor<4x640xf32>) outs(%f : tensor<8x640xf32>) -> tensor<8x640xf32>
    return %t0 : tensor<8x640xf32>
  }
}
