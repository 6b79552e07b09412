// RUN: trn-opt --trn-place-memory -split-input-file -verify-diagnostics %s

#mL = affine_map<(m, n, k) -> (k, m)>
#mR = affine_map<(m, n, k) -> (k, n)>
#mO = affine_map<(m, n, k) -> (m, n)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @psum_too_big(%l: memref<64x128xf32, #trn.mem<hbm>>, %r: memref<64x1024xf32, #trn.mem<hbm>>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    scf.for %i = %c0 to %c1 step %c1 {
      %acc = memref.alloc() : memref<128x1024xf32, #trn.mem<hbm>>
      // expected-error @+1 {{matmul accumulator tile needs 4096 bytes per partition, exceeding one trn2 PSUM bank (2048 bytes)}}
      linalg.matmul indexing_maps = [#mL, #mR, #mO] ins(%l, %r : memref<64x128xf32, #trn.mem<hbm>>, memref<64x1024xf32, #trn.mem<hbm>>) outs(%acc : memref<128x1024xf32, #trn.mem<hbm>>)
    }
    return
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @sbuf_too_big(%x: memref<128x60000xf32, #trn.mem<hbm>>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    scf.for %i = %c0 to %c1 step %c1 {
      %t = memref.alloc() : memref<128x60000xf32, #trn.mem<hbm>>
      // expected-error @+1 {{on-chip tile needs 240000 bytes per partition, exceeding the trn2 SBUF partition size of 229376 bytes}}
      linalg.copy ins(%x : memref<128x60000xf32, #trn.mem<hbm>>) outs(%t : memref<128x60000xf32, #trn.mem<hbm>>)
    }
    return
  }
}

// -----

module attributes {trn.target = #trn.target<"trn1">} {
  func.func @sbuf_trn1(%x: memref<128x50000xf32, #trn.mem<hbm>>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    scf.for %i = %c0 to %c1 step %c1 {
      %t = memref.alloc() : memref<128x50000xf32, #trn.mem<hbm>>
      // expected-error @+1 {{on-chip tile needs 200000 bytes per partition, exceeding the trn1 SBUF partition size of 196608 bytes}}
      linalg.copy ins(%x : memref<128x50000xf32, #trn.mem<hbm>>) outs(%t : memref<128x50000xf32, #trn.mem<hbm>>)
    }
    return
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @partitions(%x: memref<256x4xf32, #trn.mem<hbm>>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    scf.for %i = %c0 to %c1 step %c1 {
      %t = memref.alloc() : memref<256x4xf32, #trn.mem<hbm>>
      // expected-error @+1 {{on-chip tile has 256 partitions, exceeding the trn2 limit of 128}}
      linalg.copy ins(%x : memref<256x4xf32, #trn.mem<hbm>>) outs(%t : memref<256x4xf32, #trn.mem<hbm>>)
    }
    return
  }
}
