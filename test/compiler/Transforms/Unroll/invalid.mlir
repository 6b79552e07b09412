// RUN: trn-opt --trn-unroll -split-input-file -verify-diagnostics %s

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @dynamic_trip(%n: index, %y: memref<4x4xf32, #trn.mem<hbm>>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    // expected-error @+1 {{has a non-constant trip count; trn-unroll needs static tile loops}}
    scf.for %i = %c0 to %n step %c1 {
      %t = trn.alloc() : memref<4x4xf32, #trn.mem<sbuf>>
      trn.memset 0.0 -> %t : memref<4x4xf32, #trn.mem<sbuf>>
    }
    return
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @leftover(%x: memref<4x4xf32, #trn.mem<hbm>>, %y: memref<4x4xf32, #trn.mem<hbm>>) {
    // expected-error @+1 {{'linalg.copy' op is not allowed in straight-line device code (stage 6)}}
    linalg.copy ins(%x : memref<4x4xf32, #trn.mem<hbm>>) outs(%y : memref<4x4xf32, #trn.mem<hbm>>)
    return
  }
}
