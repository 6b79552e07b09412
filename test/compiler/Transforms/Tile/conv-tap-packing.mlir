// RUN: trn-opt --trn-tile %s | FileCheck %s

// Tap packing: taps that contract over C = 48 channels (< 128 partitions) are
// stacked g = 128 / 48 = 2 per matmul: the constant filters are concatenated
// at compile time ([96, 8]) and the windows with tensor.concat before the
// collapse, so three taps become two matmuls (K = 96 and K = 48) in one tile
// loop of whole output rows.
#l = affine_map<(m, n, k) -> (k, m)>
#r = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>
module attributes {trn.target = #trn.target<"trn2">} {
  // CHECK-LABEL: func.func @pack
  // CHECK-DAG: %[[W01:.*]] = arith.constant dense<{{.*}}> : tensor<96x8xf32>
  // CHECK-DAG: %[[W2:.*]] = arith.constant dense<3.000000e+00> : tensor<48x8xf32>
  // CHECK: %[[ST:.*]] = tensor.concat dim(0) %{{.*}}, %{{.*}} : (tensor<48x16x20xf32>, tensor<48x16x20xf32>) -> tensor<96x16x20xf32>
  // CHECK: %[[MV:.*]] = tensor.collapse_shape %[[ST]] {{\[\[}}0], [1, 2]] : tensor<96x16x20xf32> into tensor<96x320xf32>
  // CHECK: scf.for
  // CHECK: scf.for
  // CHECK:   %[[F:.*]] = linalg.fill
  // CHECK:   %[[T0:.*]] = linalg.matmul {{.*}} ins(%[[W01]], %{{.*}} : tensor<96x8xf32>, tensor<96x320xf32>) outs(%[[F]]
  // CHECK:   linalg.matmul {{.*}} ins(%[[W2]], %{{.*}} : tensor<48x8xf32>, tensor<48x320xf32>) outs(%[[T0]]
  // CHECK-NOT: linalg.matmul
  func.func @pack(%x: tensor<48x18x22xf32>) -> tensor<8x320xf32> {
    %z = arith.constant 0.0 : f32
    %w0 = arith.constant dense<1.0> : tensor<48x8xf32>
    %w1 = arith.constant dense<2.0> : tensor<48x8xf32>
    %w2 = arith.constant dense<3.0> : tensor<48x8xf32>
    %e = tensor.empty() : tensor<8x320xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x320xf32>) -> tensor<8x320xf32>
    %s0 = tensor.extract_slice %x[0, 0, 0] [48, 16, 20] [1, 1, 1] : tensor<48x18x22xf32> to tensor<48x16x20xf32>
    %c0 = tensor.collapse_shape %s0 [[0], [1, 2]] : tensor<48x16x20xf32> into tensor<48x320xf32>
    %t0 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w0, %c0 : tensor<48x8xf32>, tensor<48x320xf32>) outs(%f : tensor<8x320xf32>) -> tensor<8x320xf32>
    %s1 = tensor.extract_slice %x[0, 0, 1] [48, 16, 20] [1, 1, 1] : tensor<48x18x22xf32> to tensor<48x16x20xf32>
    %c1 = tensor.collapse_shape %s1 [[0], [1, 2]] : tensor<48x16x20xf32> into tensor<48x320xf32>
    %t1 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w1, %c1 : tensor<48x8xf32>, tensor<48x320xf32>) outs(%t0 : tensor<8x320xf32>) -> tensor<8x320xf32>
    %s2 = tensor.extract_slice %x[0, 2, 2] [48, 16, 20] [1, 1, 1] : tensor<48x18x22xf32> to tensor<48x16x20xf32>
    %c2 = tensor.collapse_shape %s2 [[0], [1, 2]] : tensor<48x16x20xf32> into tensor<48x320xf32>
    %t2 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w2, %c2 : tensor<48x8xf32>, tensor<48x320xf32>) outs(%t1 : tensor<8x320xf32>) -> tensor<8x320xf32>
    return %t2 : tensor<8x320xf32>
  }

  // Filters that are not constants are not packed.
  // CHECK-LABEL: func.func @args
  // CHECK-NOT: tensor.concat
  // CHECK-COUNT-2: linalg.matmul
  func.func @args(%x: tensor<48x18x22xf32>, %w0: tensor<48x8xf32>, %w1: tensor<48x8xf32>) -> tensor<8x320xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8x320xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x320xf32>) -> tensor<8x320xf32>
    %s0 = tensor.extract_slice %x[0, 0, 0] [48, 16, 20] [1, 1, 1] : tensor<48x18x22xf32> to tensor<48x16x20xf32>
    %c0 = tensor.collapse_shape %s0 [[0], [1, 2]] : tensor<48x16x20xf32> into tensor<48x320xf32>
    %t0 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w0, %c0 : tensor<48x8xf32>, tensor<48x320xf32>) outs(%f : tensor<8x320xf32>) -> tensor<8x320xf32>
    %s1 = tensor.extract_slice %x[0, 0, 1] [48, 16, 20] [1, 1, 1] : tensor<48x18x22xf32> to tensor<48x16x20xf32>
    %c1 = tensor.collapse_shape %s1 [[0], [1, 2]] : tensor<48x16x20xf32> into tensor<48x320xf32>
    %t1 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w1, %c1 : tensor<48x8xf32>, tensor<48x320xf32>) outs(%t0 : tensor<8x320xf32>) -> tensor<8x320xf32>
    return %t1 : tensor<8x320xf32>
  }
}
