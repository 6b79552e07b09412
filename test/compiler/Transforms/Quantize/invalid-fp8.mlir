// RUN: trn-opt %s --split-input-file --trn-quantize="mode=fp8-e4m3 activation-scales=static activation-amax=1.0" -verify-diagnostics

// Two activation roots but one calibrated amax.
module attributes {trn.target = #trn.target<"trn2">} {
// expected-error @+1 {{trn-quantize: static activation scales need one calibrated amax per activation operand root (2 in @f), got 1}}
func.func @f(%x: tensor<2x3xf32>, %w: tensor<2x2xf32>, %o: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w, %x : tensor<2x2xf32>, tensor<2x3xf32>) outs(%o : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %m : tensor<2x3xf32>
}
}

// -----

// A constant operand with Inf has no finite scale.
module attributes {trn.target = #trn.target<"trn2">} {
func.func @g(%x: tensor<2x3xf32>, %o: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[1.0, 0x7F800000], [1.0, 1.0]]> : tensor<2x2xf32>
  // expected-error @+1 {{constant operand 0 contains Inf or NaN; trn-quantize cannot choose a finite scale for it}}
  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w, %x : tensor<2x2xf32>, tensor<2x3xf32>) outs(%o : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %m : tensor<2x3xf32>
}
}
