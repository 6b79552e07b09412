// RUN: trn-opt %s --split-input-file --trn-quantize="mode=mxfp8 activation-scales=static activation-amax=4.0" -verify-diagnostics

// MX block scales are per 32 elements and computed on the device: calibrated
// (static) activation scales do not apply.
// expected-error @+1 {{--quant=mxfp8: MX block scales are computed per 32 elements on the device; static (calibrated) activation scales apply to fp8-e4m3/fp8-e5m2 only}}
module attributes {trn.target = #trn.target<"trn3">} {
func.func @f(%x: tensor<64x3xf32>, %w: tensor<64x2xf32>, %o: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w, %x : tensor<64x2xf32>, tensor<64x3xf32>) outs(%o : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %m : tensor<2x3xf32>
}
}

// -----

// The target check comes first: MX needs trn3 whatever the other options.
module attributes {trn.target = #trn.target<"trn2">} {
func.func @f(%x: tensor<64x3xf32>, %w: tensor<64x2xf32>, %o: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{--quant=mxfp8 needs the MX matmul, which trn2 does not have; available on trn3}}
  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w, %x : tensor<64x2xf32>, tensor<64x3xf32>) outs(%o : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %m : tensor<2x3xf32>
}
}
