// RUN: trn-opt --trn-tile -split-input-file -verify-diagnostics %s

// expected-error @below {{unknown matmul tiling "blocked"; expected one of auto, tile, naive, hoist, block-mn, block-mnk (a strategy may name its block sizes: block-mnk:16x2x8)}}
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "blocked"} {
  func.func @f(%l: tensor<256x256xf32>, %r: tensor<256x1024xf32>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<256x256xf32>, tensor<256x1024xf32>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %m : tensor<256x1024xf32>
  }
}

// -----

// Block sizes that do not divide the 2 x 2 x 2 tile grid.
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "block-mnk:3x1x1"} {
  func.func @f(%l: tensor<256x256xf32>, %r: tensor<256x1024xf32>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    // expected-error @below {{matmul tiling 'block-mnk:3x1x1' does not apply: the block sizes must divide the 2x2x2 grid of 128x512x128 tiles and the blocks must fit in SBUF (229376 bytes per partition on trn2)}}
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<256x256xf32>, tensor<256x1024xf32>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %m : tensor<256x1024xf32>
  }
}

// -----

// Blocks that do not fit: f32 accumulators of a 64-tile column (128 KiB of
// f32 per N tile, 256 KiB for bn = 2) exceed trn2's 224 KiB per partition.
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "block-mnk:1x2x1"} {
  func.func @f(%l: tensor<128x8192xf32>, %r: tensor<128x1024xf32>) -> tensor<8192x1024xf32> {
    %e = tensor.empty() : tensor<8192x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<8192x1024xf32>) -> tensor<8192x1024xf32>
    // expected-error @below {{does not apply}}
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<128x8192xf32>, tensor<128x1024xf32>) outs(%f : tensor<8192x1024xf32>) -> tensor<8192x1024xf32>
    return %m : tensor<8192x1024xf32>
  }
}
