// Transposes of constants (and of static slices of constants) fold at
// compile time.
// RUN: trn-opt %s --trn-layout | FileCheck %s

// x @ W^T with W[out=3, in=2] constant: R = W^T[in, out] is a folded constant.
// CHECK-LABEL: func.func @weight_transposed
// CHECK: %[[WT:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 3.000000e+00, 5.000000e+00], [2.000000e+00, 4.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>
// CHECK: %[[XT:.*]] = linalg.transpose ins(%arg0
// CHECK: linalg.matmul {{.*}} ins(%[[XT]], %[[WT]] : tensor<2x4xf32>, tensor<2x3xf32>)
// CHECK-NOT: linalg.transpose
func.func @weight_transposed(%x: tensor<4x2xf32>, %o: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%x, %w : tensor<4x2xf32>, tensor<3x2xf32>) outs(%o : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

// A constant L operand of a batch matmul: 3-D fold, batch dim kept.
// CHECK-LABEL: func.func @batch_const
// CHECK: arith.constant dense<{{\[}}{{\[}}[1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]], {{\[}}[5.000000e+00, 7.000000e+00], [6.000000e+00, 8.000000e+00]]]> : tensor<2x2x2xf32>
// CHECK-NOT: linalg.transpose
func.func @batch_const(%b: tensor<2x2x3xf32>, %o: tensor<2x2x3xf32>) -> tensor<2x2x3xf32> {
  %a = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]> : tensor<2x2x2xf32>
  %r = linalg.batch_matmul ins(%a, %b : tensor<2x2x2xf32>, tensor<2x2x3xf32>) outs(%o : tensor<2x2x3xf32>) -> tensor<2x2x3xf32>
  return %r : tensor<2x2x3xf32>
}

// Splat constants fold to a splat of the transposed shape.
// CHECK-LABEL: func.func @splat
// CHECK: %[[S:.*]] = arith.constant dense<2.500000e-01> : tensor<5x3xf32>
// CHECK: linalg.matmul {{.*}} ins(%[[S]], %arg0 : tensor<5x3xf32>, tensor<5x4xf32>)
func.func @splat(%b: tensor<5x4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %a = arith.constant dense<0.25> : tensor<3x5xf32>
  %r = linalg.matmul ins(%a, %b : tensor<3x5xf32>, tensor<5x4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// Conv filter taps: slices of a constant filter fold, then their
// transposes: every L operand is a [C, F] constant.
// CHECK-LABEL: func.func @conv_taps
// CHECK-COUNT-4: arith.constant dense<{{.*}}> : tensor<2x3xf32>
// CHECK-NOT: linalg.transpose
// CHECK-COUNT-4: linalg.matmul {{.*}} ins(%cst{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<2x9xf32>)
func.func @conv_taps(%x: tensor<2x16xf32>, %xw: tensor<2x9xf32>, %o: tensor<3x9xf32>) -> tensor<3x9xf32> {
  %w = arith.constant dense<[[[[1.0, -0.5], [0.25, 2.0]], [[0.5, 0.0], [-1.0, 1.5]]],
                             [[[-0.25, 0.75], [1.0, 0.5]], [[2.0, -1.5], [0.0, 0.25]]],
                             [[[0.5, 0.5], [-0.5, -0.5]], [[1.0, 1.0], [0.75, -0.25]]]]> : tensor<3x2x2x2xf32>
  %t0 = tensor.extract_slice %w[0, 0, 0, 0] [3, 2, 1, 1] [1, 1, 1, 1] : tensor<3x2x2x2xf32> to tensor<3x2xf32>
  %t1 = tensor.extract_slice %w[0, 0, 0, 1] [3, 2, 1, 1] [1, 1, 1, 1] : tensor<3x2x2x2xf32> to tensor<3x2xf32>
  %t2 = tensor.extract_slice %w[0, 0, 1, 0] [3, 2, 1, 1] [1, 1, 1, 1] : tensor<3x2x2x2xf32> to tensor<3x2xf32>
  %t3 = tensor.extract_slice %w[0, 0, 1, 1] [3, 2, 1, 1] [1, 1, 1, 1] : tensor<3x2x2x2xf32> to tensor<3x2xf32>
  %m0 = linalg.matmul ins(%t0, %xw : tensor<3x2xf32>, tensor<2x9xf32>) outs(%o : tensor<3x9xf32>) -> tensor<3x9xf32>
  %m1 = linalg.matmul ins(%t1, %xw : tensor<3x2xf32>, tensor<2x9xf32>) outs(%m0 : tensor<3x9xf32>) -> tensor<3x9xf32>
  %m2 = linalg.matmul ins(%t2, %xw : tensor<3x2xf32>, tensor<2x9xf32>) outs(%m1 : tensor<3x9xf32>) -> tensor<3x9xf32>
  %m3 = linalg.matmul ins(%t3, %xw : tensor<3x2xf32>, tensor<2x9xf32>) outs(%m2 : tensor<3x9xf32>) -> tensor<3x9xf32>
  return %m3 : tensor<3x9xf32>
}
