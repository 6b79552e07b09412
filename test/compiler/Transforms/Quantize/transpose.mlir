// A transposed activation root is quantized from the transpose's source read through the
// permuted map (no high-precision transpose is materialized); the amax reduction (one,
// max |x|) reads the source. A conv-like chain whose result is reshaped is rescaled after the reshape.
// RUN: trn-opt %s --trn-quantize="mode=fp8-e4m3 weight-scales=per-channel" | FileCheck %s

// CHECK-DAG: #[[T:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @t
// CHECK-NOT: linalg.transpose
// CHECK: %[[AMAX:.*]] = linalg.reduce ins(%arg0 : tensor<3x2xf32>)
// CHECK-NEXT: (%[[IN:.*]]: f32, %{{.*}}: f32) {
// CHECK-NEXT: math.absf %[[IN]] : f32
// CHECK-NOT: linalg.reduce
// CHECK: %[[XQ:.*]] = linalg.generic {indexing_maps = [#[[T]], {{.*}} ins(%arg0, %[[AMAX]] : tensor<3x2xf32>, tensor<f32>) outs(%{{.*}} : tensor<2x3xf8E4M3FN>)
// CHECK: %[[M0:.*]] = linalg.matmul {{.*}} ins(%{{.*}}, %[[XQ]] : tensor<2x4xf8E4M3FN>, tensor<2x3xf8E4M3FN>)
// CHECK: %[[M1:.*]] = linalg.matmul {{.*}} outs(%[[M0]] : tensor<4x3xf32>)
// CHECK: %[[E:.*]] = tensor.expand_shape %[[M1]] {{\[}}[0], [1, 2]] output_shape [4, 3, 1]
// CHECK: %[[D:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[ROW]], {{.*}} ins(%[[E]], %{{.*}}, %[[AMAX]] : tensor<4x3x1xf32>, tensor<4xf32>, tensor<f32>)
// CHECK: return %[[D]]
module attributes {trn.target = #trn.target<"trn2">} {
func.func @t(%x: tensor<3x2xf32>) -> tensor<4x3x1xf32> {
  %w0 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.5, 0.5]]> : tensor<2x4xf32>
  %w1 = arith.constant dense<[[4.0, 3.0, 2.0, 1.0], [0.5, 0.5, 0.5, 0.5]]> : tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x3xf32>
  %xt = linalg.transpose ins(%x : tensor<3x2xf32>) outs(%e : tensor<2x3xf32>) permutation = [1, 0]
  %z = tensor.empty() : tensor<4x3xf32>
  %c0 = arith.constant 0.0 : f32
  %f = linalg.fill ins(%c0 : f32) outs(%z : tensor<4x3xf32>) -> tensor<4x3xf32>
  %m0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w0, %xt : tensor<2x4xf32>, tensor<2x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
  %m1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w1, %xt : tensor<2x4xf32>, tensor<2x3xf32>) outs(%m0 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %r = tensor.expand_shape %m1 [[0], [1, 2]] output_shape [4, 3, 1] : tensor<4x3xf32> into tensor<4x3x1xf32>
  return %r : tensor<4x3x1xf32>
}
}
