// RUN: trn-opt %s --split-input-file --trn-quantize="mode=mxfp8" -verify-diagnostics

// MX needs trn3: reported at the first contraction.
module attributes {trn.target = #trn.target<"trn2">} {
func.func @f(%x: tensor<2x3xf32>, %w: tensor<2x2xf32>, %o: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{--quant=mxfp8 needs the MX matmul, which trn2 does not have; available on trn3}}
  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w, %x : tensor<2x2xf32>, tensor<2x3xf32>) outs(%o : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %m : tensor<2x3xf32>
}
}

// -----

// Without contractions: at the module.
// expected-error @+1 {{--quant=mxfp8 needs the MX matmul, which trn1 does not have; available on trn3}}
module attributes {trn.target = #trn.target<"trn1">} {
func.func @f() {
  return
}
}
