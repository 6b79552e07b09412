// RUN: trn-opt %s --split-input-file --trn-quantize="mode=mxfp4" -verify-diagnostics

// An activation operand that is already low precision cannot be requantized
// to MX (quantize_mx reads f32/bf16/f16).
module attributes {trn.target = #trn.target<"trn3">} {
func.func @f(%x: tensor<64x3xf8E4M3FN>, %o: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<1.0> : tensor<64x2xf32>
  // expected-error @+1 {{operand 1 has element type 'f8E4M3FN'; MX quantization of activations needs f32, bf16 or f16}}
  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w, %x : tensor<64x2xf32>, tensor<64x3xf8E4M3FN>) outs(%o : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %m : tensor<2x3xf32>
}
}
