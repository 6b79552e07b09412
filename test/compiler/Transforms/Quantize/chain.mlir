// Accumulation chains (conv taps): one shared scale per role, the activation root is
// quantized once and its windows are replayed on the quantized tensor; a non-zero initial
// value is added after the rescale of the chain's result (the chain starts from zero).
// RUN: trn-opt %s --trn-quantize="mode=fp8-e4m3 weight-scales=per-tensor activation-scales=static activation-amax=2.0" | FileCheck %s

// Taps W0 (amax 1) and W1 (amax 4): the chain shares amax 4, s_w = 4/448.
// W0 codes 1/s_w = 112 and 0.5/s_w = 56; W1: 448, -224.
// CHECK-LABEL: func.func @taps
// One quantization of the input root %x: x * (448 / 2).
// CHECK: %[[XQ:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<2x6xf32>) outs(%{{.*}} : tensor<2x6xf8E4M3FN>)
// CHECK: arith.constant 2.240000e+02 : f32
// CHECK: arith.truncf
// CHECK-NOT: tensor<2x1xf32>
// CHECK: %[[W0:.*]] = arith.constant dense<{{\[}}[1.120000e+02], [5.600000e+01]]> : tensor<2x1xf8E4M3FN>
// CHECK: %[[S0:.*]] = tensor.extract_slice %[[XQ]][0, 0] [2, 4] [1, 1] : tensor<2x6xf8E4M3FN> to tensor<2x4xf8E4M3FN>
// The chain starts from zero; the init (bias) is added in real units at the end.
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x4xf32>)
// CHECK: %[[M0:.*]] = linalg.matmul {{.*}} ins(%[[W0]], %[[S0]] : tensor<2x1xf8E4M3FN>, tensor<2x4xf8E4M3FN>) outs(%[[ZERO]] : tensor<1x4xf32>)
// CHECK: %[[W1:.*]] = arith.constant dense<{{\[}}[4.480000e+02], [-2.240000e+02]]> : tensor<2x1xf8E4M3FN>
// CHECK: %[[S1:.*]] = tensor.extract_slice %[[XQ]][0, 2] [2, 4] [1, 1] : tensor<2x6xf8E4M3FN> to tensor<2x4xf8E4M3FN>
// CHECK: %[[M1:.*]] = linalg.matmul {{.*}} ins(%[[W1]], %[[S1]] : tensor<2x1xf8E4M3FN>, tensor<2x4xf8E4M3FN>) outs(%[[M0]] : tensor<1x4xf32>)
// The chain's result back to real units: * (4/448) * (2/448), + bias.
// CHECK: %[[D:.*]] = linalg.generic {{.*}} ins(%[[M1]], %arg1 : tensor<1x4xf32>, tensor<1x4xf32>)
// CHECK: arith.constant 3.985969{{.*}}E-5 : f32
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: tensor<2x6xf32> to tensor<2x4xf32>
// CHECK: return %[[D]]
module attributes {trn.target = #trn.target<"trn1">} {
func.func @taps(%x: tensor<2x6xf32>, %bias: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w0 = arith.constant dense<[[1.0], [0.5]]> : tensor<2x1xf32>
  %w1 = arith.constant dense<[[4.0], [-2.0]]> : tensor<2x1xf32>
  %x0 = tensor.extract_slice %x[0, 0] [2, 4] [1, 1] : tensor<2x6xf32> to tensor<2x4xf32>
  %m0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w0, %x0 : tensor<2x1xf32>, tensor<2x4xf32>) outs(%bias : tensor<1x4xf32>) -> tensor<1x4xf32>
  %x1 = tensor.extract_slice %x[0, 2] [2, 4] [1, 1] : tensor<2x6xf32> to tensor<2x4xf32>
  %m1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w1, %x1 : tensor<2x1xf32>, tensor<2x4xf32>) outs(%m0 : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %m1 : tensor<1x4xf32>
}
}
