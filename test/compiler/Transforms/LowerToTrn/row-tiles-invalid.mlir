// RUN: trn-opt --trn-lower-to-trn -split-input-file -verify-diagnostics %s

// On-chip reductions are trn-fuse-rows row tiles: [P, K] over K into [P].
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @reduce_3d_tile(%y: memref<4x2xf32, #trn.mem<hbm>>) {
    %a = trn.alloc() : memref<4x8xf32, #trn.mem<sbuf>>
    %x = memref.reinterpret_cast %a to offset: [0], sizes: [4, 2, 4], strides: [8, 4, 1] : memref<4x8xf32, #trn.mem<sbuf>> to memref<4x2x4xf32, strided<[8, 4, 1]>, #trn.mem<sbuf>>
    // expected-error @+1 {{reduction of an on-chip tile must reduce a [P, K] tile over K into a [P] column (trn-fuse-rows form)}}
    linalg.reduce ins(%x : memref<4x2x4xf32, strided<[8, 4, 1]>, #trn.mem<sbuf>>) outs(%y : memref<4x2xf32, #trn.mem<hbm>>) dimensions = [2]
      (%in: f32, %acc: f32) {
        %r = arith.addf %in, %acc : f32
        linalg.yield %r : f32
      }
    return
  }
}

// -----

// A transposed on-chip tile kept on chip needs K <= 128 partitions (to HBM
// it is transposed in blocks of 128 columns).
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @transpose_too_wide(%y: memref<4x200xf32, #trn.mem<hbm>>) {
    %a = trn.alloc() : memref<4x200xf32, #trn.mem<sbuf>>
    %x = memref.reinterpret_cast %a to offset: [0], sizes: [4, 200], strides: [200, 1] : memref<4x200xf32, #trn.mem<sbuf>> to memref<4x200xf32, strided<[200, 1]>, #trn.mem<sbuf>>
    %b = trn.alloc() : memref<100x8xf32, #trn.mem<sbuf>>
    %t = memref.reinterpret_cast %b to offset: [0], sizes: [200, 4], strides: [4, 1] : memref<100x8xf32, #trn.mem<sbuf>> to memref<200x4xf32, strided<[4, 1]>, #trn.mem<sbuf>>
    // expected-error @+1 {{on-chip transpose of a [4, 200] tile exceeds the PE transpose limits of trn2}}
    linalg.transpose ins(%x : memref<4x200xf32, strided<[200, 1]>, #trn.mem<sbuf>>) outs(%t : memref<200x4xf32, strided<[4, 1]>, #trn.mem<sbuf>>) permutation = [1, 0]
    return
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @transpose_3d_tile(%y: memref<4x2x4xf32, #trn.mem<hbm>>) {
    %a = trn.alloc() : memref<2x16xf32, #trn.mem<sbuf>>
    %x = memref.reinterpret_cast %a to offset: [0], sizes: [2, 4, 4], strides: [16, 4, 1] : memref<2x16xf32, #trn.mem<sbuf>> to memref<2x4x4xf32, strided<[16, 4, 1]>, #trn.mem<sbuf>>
    // expected-error @+1 {{transposes of on-chip tiles must swap the two dims of a whole f32/bf16 [P, K] tile}}
    linalg.transpose ins(%x : memref<2x4x4xf32, strided<[16, 4, 1]>, #trn.mem<sbuf>>) outs(%y : memref<4x2x4xf32, #trn.mem<hbm>>) permutation = [1, 0, 2]
    return
  }
}
