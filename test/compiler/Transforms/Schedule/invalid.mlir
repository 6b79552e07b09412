// RUN: trn-opt --trn-schedule -split-input-file -verify-diagnostics %s

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @no_offset() {
    %a = trn.alloc() : memref<128x16xf32, #trn.mem<sbuf>>
    // expected-error @+1 {{'trn.memset' op tile of a trn.alloc without `offset` (run trn-allocate before scheduling or serialization)}}
    trn.memset 0.0 -> %a : memref<128x16xf32, #trn.mem<sbuf>>
    return
  }
}

// -----
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @not_an_alloc(%a: memref<128x16xf32, #trn.mem<sbuf>>) {
    // expected-error @+1 {{'trn.memset' op on-chip tile 'memref<128x16xf32, #trn.mem<sbuf>>' is not a view of a trn.alloc}}
    trn.memset 0.0 -> %a : memref<128x16xf32, #trn.mem<sbuf>>
    return
  }
}

// -----
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @loop() {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    // expected-error @+1 {{'scf.for' op trn-schedule expects straight-line code (stage 7); run trn-unroll and trn-allocate first}}
    scf.for %i = %c0 to %c1 step %c1 {
    }
    return
  }
}

// -----
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @unknown_memory_op(%x: memref<128x16xf32, #trn.mem<hbm>>, %y: memref<128x16xf32, #trn.mem<hbm>>) {
    // expected-error @+1 {{'memref.copy' op is not allowed in device-level code before trn-schedule}}
    memref.copy %x, %y : memref<128x16xf32, #trn.mem<hbm>> to memref<128x16xf32, #trn.mem<hbm>>
    return
  }
}
