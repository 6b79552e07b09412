// RUN: trn-opt --trn-allocate -split-input-file -verify-diagnostics %s

// Two live 120000-byte tiles exceed trn2's 229376 bytes per partition.
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @sbuf_overflow() {
    %a = trn.alloc() : memref<128x30000xf32, #trn.mem<sbuf>>
    trn.memset 0.0 -> %a : memref<128x30000xf32, #trn.mem<sbuf>>
    // expected-error @+1 {{'trn.alloc' op SBUF needs 240000 bytes per partition at this point, the trn2 limit is 229376}}
    %b = trn.alloc() : memref<128x30000xf32, #trn.mem<sbuf>>
    trn.memset 0.0 -> %b : memref<128x30000xf32, #trn.mem<sbuf>>
    trn.tensor_tensor add %a, %b -> %b : memref<128x30000xf32, #trn.mem<sbuf>>, memref<128x30000xf32, #trn.mem<sbuf>> -> memref<128x30000xf32, #trn.mem<sbuf>>
    return
  }
}

// -----
// trn1 has 192 KiB per partition.
module attributes {trn.target = #trn.target<"trn1">} {
  func.func @sbuf_overflow_trn1() {
    %a = trn.alloc() : memref<128x25000xf32, #trn.mem<sbuf>>
    trn.memset 0.0 -> %a : memref<128x25000xf32, #trn.mem<sbuf>>
    // expected-error @+1 {{SBUF needs 200064 bytes per partition at this point, the trn1 limit is 196608}}
    %b = trn.alloc() : memref<128x25000xf32, #trn.mem<sbuf>>
    trn.memset 0.0 -> %b : memref<128x25000xf32, #trn.mem<sbuf>>
    trn.tensor_tensor add %a, %b -> %b : memref<128x25000xf32, #trn.mem<sbuf>>, memref<128x25000xf32, #trn.mem<sbuf>> -> memref<128x25000xf32, #trn.mem<sbuf>>
    return
  }
}

// -----
// Nine live 1088-byte PSUM tiles total 9792 bytes (< 16384), but no two fit
// in one 2 KiB bank: the ninth cannot be placed.
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @psum_banks() {
    %s = trn.alloc() : memref<128x272xf32, #trn.mem<sbuf>>
    %p0 = trn.alloc() : memref<128x272xf32, #trn.mem<psum>>
    %p1 = trn.alloc() : memref<128x272xf32, #trn.mem<psum>>
    %p2 = trn.alloc() : memref<128x272xf32, #trn.mem<psum>>
    %p3 = trn.alloc() : memref<128x272xf32, #trn.mem<psum>>
    %p4 = trn.alloc() : memref<128x272xf32, #trn.mem<psum>>
    %p5 = trn.alloc() : memref<128x272xf32, #trn.mem<psum>>
    %p6 = trn.alloc() : memref<128x272xf32, #trn.mem<psum>>
    %p7 = trn.alloc() : memref<128x272xf32, #trn.mem<psum>>
    // expected-error @+1 {{'trn.alloc' op PSUM needs 9792 bytes per partition at this point (this buffer: 1088 bytes), the trn2 limit is 16384; no free range is large enough (fragmentation or PSUM bank boundaries)}}
    %p8 = trn.alloc() : memref<128x272xf32, #trn.mem<psum>>
    trn.memset 0.0 -> %p0 : memref<128x272xf32, #trn.mem<psum>>
    trn.memset 0.0 -> %p1 : memref<128x272xf32, #trn.mem<psum>>
    trn.memset 0.0 -> %p2 : memref<128x272xf32, #trn.mem<psum>>
    trn.memset 0.0 -> %p3 : memref<128x272xf32, #trn.mem<psum>>
    trn.memset 0.0 -> %p4 : memref<128x272xf32, #trn.mem<psum>>
    trn.memset 0.0 -> %p5 : memref<128x272xf32, #trn.mem<psum>>
    trn.memset 0.0 -> %p6 : memref<128x272xf32, #trn.mem<psum>>
    trn.memset 0.0 -> %p7 : memref<128x272xf32, #trn.mem<psum>>
    trn.memset 0.0 -> %p8 : memref<128x272xf32, #trn.mem<psum>>
    trn.tensor_copy %p0 -> %s : memref<128x272xf32, #trn.mem<psum>> -> memref<128x272xf32, #trn.mem<sbuf>>
    trn.tensor_copy %p1 -> %s : memref<128x272xf32, #trn.mem<psum>> -> memref<128x272xf32, #trn.mem<sbuf>>
    trn.tensor_copy %p2 -> %s : memref<128x272xf32, #trn.mem<psum>> -> memref<128x272xf32, #trn.mem<sbuf>>
    trn.tensor_copy %p3 -> %s : memref<128x272xf32, #trn.mem<psum>> -> memref<128x272xf32, #trn.mem<sbuf>>
    trn.tensor_copy %p4 -> %s : memref<128x272xf32, #trn.mem<psum>> -> memref<128x272xf32, #trn.mem<sbuf>>
    trn.tensor_copy %p5 -> %s : memref<128x272xf32, #trn.mem<psum>> -> memref<128x272xf32, #trn.mem<sbuf>>
    trn.tensor_copy %p6 -> %s : memref<128x272xf32, #trn.mem<psum>> -> memref<128x272xf32, #trn.mem<sbuf>>
    trn.tensor_copy %p7 -> %s : memref<128x272xf32, #trn.mem<psum>> -> memref<128x272xf32, #trn.mem<sbuf>>
    trn.tensor_copy %p8 -> %s : memref<128x272xf32, #trn.mem<psum>> -> memref<128x272xf32, #trn.mem<sbuf>>
    return
  }
}

// -----
// Not straight-line code (stage 6 has no loops).
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @loop() {
    %c0 = arith.constant 0 : index
    %c2 = arith.constant 2 : index
    %c1 = arith.constant 1 : index
    // expected-error @+1 {{'scf.for' op trn-allocate expects straight-line code (stage 6: unrolled, no regions); run trn-unroll first}}
    scf.for %i = %c0 to %c2 step %c1 {
      %a = trn.alloc() : memref<128x16xf32, #trn.mem<sbuf>>
      trn.memset 0.0 -> %a : memref<128x16xf32, #trn.mem<sbuf>>
    }
    return
  }
}

// -----
// Two pre-assigned buffers that overlap while both are live.
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @preassigned_conflict() {
    // expected-note @+1 {{the other buffer}}
    %a = trn.alloc() {offset = 0 : i64} : memref<128x16xf32, #trn.mem<sbuf>>
    // expected-error @+1 {{'trn.alloc' op pre-assigned offset 32 overlaps a live buffer at offset 0}}
    %b = trn.alloc() {offset = 32 : i64} : memref<128x16xf32, #trn.mem<sbuf>>
    trn.memset 1.0 -> %a : memref<128x16xf32, #trn.mem<sbuf>>
    trn.memset 2.0 -> %b : memref<128x16xf32, #trn.mem<sbuf>>
    trn.tensor_tensor add %a, %b -> %b : memref<128x16xf32, #trn.mem<sbuf>>, memref<128x16xf32, #trn.mem<sbuf>> -> memref<128x16xf32, #trn.mem<sbuf>>
    return
  }
}
