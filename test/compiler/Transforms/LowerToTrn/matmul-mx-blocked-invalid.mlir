// RUN: trn-opt --trn-tile %s -verify-diagnostics -split-input-file
// Explicit MX block sizes that do not divide the tile grid (K tile 512).

module attributes {trn.target = #trn.target<"trn3">, trnc.matmul_tiling = "block-mnk:2x1x4"} {
func.func @mx_bad_blocks(%l: tensor<1024x256xf8E4M3FN>, %r: tensor<1024x512xf8E4M3FN>, %ls: tensor<32x256xf8E8M0FNU>, %rs: tensor<32x512xf8E8M0FNU>) -> tensor<256x512xf32> {
  %e = tensor.empty() : tensor<256x512xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x512xf32>) -> tensor<256x512xf32>
  // expected-error @+1 {{matmul tiling 'block-mnk:2x1x4' does not apply: the block sizes must divide the 2x1x2 grid of 128x512x512 tiles}}
  %m = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (k floordiv 32, m)>, affine_map<(m, n, k) -> (k floordiv 32, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%l, %r, %ls, %rs : tensor<1024x256xf8E4M3FN>, tensor<1024x512xf8E4M3FN>, tensor<32x256xf8E8M0FNU>, tensor<32x512xf8E8M0FNU>) outs(%f : tensor<256x512xf32>) attrs = {trnc.mx_contraction} {
  ^bb0(%a: f8E4M3FN, %b: f8E4M3FN, %sa: f8E8M0FNU, %sb: f8E8M0FNU, %o: f32):
    %x = arith.scaling_extf %a, %sa : f8E4M3FN, f8E8M0FNU to f32
    %y = arith.scaling_extf %b, %sb : f8E4M3FN, f8E8M0FNU to f32
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x512xf32>
  return %m : tensor<256x512xf32>
}
}
