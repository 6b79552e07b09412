// RUN: trn-opt --trn-allocate -split-input-file %s | FileCheck %s --check-prefixes=CHECK,ROT
// RUN: trn-opt --trn-allocate="rotate=false" -split-input-file %s | FileCheck %s --check-prefixes=CHECK,FF
// RUN: trn-opt --trn-allocate="alignment=4096" -split-input-file %s | FileCheck %s --check-prefix=ALIGN

// Two iterations of load -> relu -> store. The first-fit allocator reuses the
// buffers of iteration 0 for iteration 1 (they are dead by then); the rotating
// allocator places iteration 1 after them, so its load can overlap iteration 0.

// CHECK-LABEL: module attributes
// ROT-SAME: trnc.memory_plan = {psum_high_water = 0 : i64, psum_peak_live = 0 : i64, sbuf_high_water = 8192 : i64, sbuf_peak_live = 4096 : i64, strategy = "rotate"}
// FF-SAME: trnc.memory_plan = {psum_high_water = 0 : i64, psum_peak_live = 0 : i64, sbuf_high_water = 4096 : i64, sbuf_peak_live = 4096 : i64, strategy = "first-fit"}
// CHECK-LABEL: func.func @two_iterations
// ROT: trn.alloc() {offset = 0 : i64}
// ROT: trn.alloc() {offset = 2048 : i64}
// ROT: trn.alloc() {offset = 4096 : i64}
// ROT: trn.alloc() {offset = 6144 : i64}
// FF: trn.alloc() {offset = 0 : i64}
// FF: trn.alloc() {offset = 2048 : i64}
// FF: trn.alloc() {offset = 0 : i64}
// FF: trn.alloc() {offset = 2048 : i64}
// ALIGN-LABEL: func.func @two_iterations
// ALIGN: trn.alloc() {offset = 0 : i64}
// ALIGN: trn.alloc() {offset = 4096 : i64}
// ALIGN: trn.alloc() {offset = 8192 : i64}
// ALIGN: trn.alloc() {offset = 12288 : i64}
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @two_iterations(%x: memref<128x1024xf32, #trn.mem<hbm>>, %y: memref<128x1024xf32, #trn.mem<hbm>>) {
    %a0 = trn.alloc() : memref<128x512xf32, #trn.mem<sbuf>>
    %x0 = memref.subview %x[0, 0] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    trn.dma_copy %x0 -> %a0 : memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %b0 = trn.alloc() : memref<128x512xf32, #trn.mem<sbuf>>
    trn.activation relu %a0 -> %b0 scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %y0 = memref.subview %y[0, 0] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    trn.dma_copy %b0 -> %y0 : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    %a1 = trn.alloc() : memref<128x512xf32, #trn.mem<sbuf>>
    %x1 = memref.subview %x[0, 512] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>>
    trn.dma_copy %x1 -> %a1 : memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %b1 = trn.alloc() : memref<128x512xf32, #trn.mem<sbuf>>
    trn.activation relu %a1 -> %b1 scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %y1 = memref.subview %y[0, 512] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>>
    trn.dma_copy %b1 -> %y1 : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>>
    return
  }
}

// -----
// Live ranges extend through subviews: %big is used (through %half) by the
// last instruction, so %t (live in between) cannot share its bytes even with
// first-fit. PSUM: a 1536-byte tile then a 1024-byte tile: the second would
// straddle the first bank boundary at 1536..2560, so it starts at bank 1
// (2048). Sizes round up to the 64-byte alignment (100 x f32 = 400 -> 448).

// CHECK-LABEL: func.func @views_and_banks
// CHECK: trn.alloc() {offset = 0 : i64} : memref<128x1024xf32, #trn.mem<sbuf>>
// CHECK: trn.alloc() {offset = 4096 : i64} : memref<128x100xf32, #trn.mem<sbuf>>
// CHECK: trn.alloc() {offset = 0 : i64} : memref<128x384xf32, #trn.mem<psum>>
// CHECK: trn.alloc() {offset = 2048 : i64} : memref<128x256xf32, #trn.mem<psum>>
// ROT: trn.alloc() {offset = 4544 : i64} : memref<128x100xf32, #trn.mem<sbuf>>
// FF: trn.alloc() {offset = 4096 : i64} : memref<128x100xf32, #trn.mem<sbuf>>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @views_and_banks(%x: memref<128x1024xf32, #trn.mem<hbm>>) {
    %big = trn.alloc() : memref<128x1024xf32, #trn.mem<sbuf>>
    trn.dma_copy %x -> %big : memref<128x1024xf32, #trn.mem<hbm>> -> memref<128x1024xf32, #trn.mem<sbuf>>
    %t = trn.alloc() : memref<128x100xf32, #trn.mem<sbuf>>
    trn.memset 0.0 -> %t : memref<128x100xf32, #trn.mem<sbuf>>
    %p0 = trn.alloc() : memref<128x384xf32, #trn.mem<psum>>
    trn.memset 0.0 -> %p0 : memref<128x384xf32, #trn.mem<psum>>
    %p1 = trn.alloc() : memref<128x256xf32, #trn.mem<psum>>
    trn.memset 0.0 -> %p1 : memref<128x256xf32, #trn.mem<psum>>
    %p0v = memref.subview %p0[0, 0] [128, 100] [1, 1] : memref<128x384xf32, #trn.mem<psum>> to memref<128x100xf32, strided<[384, 1]>, #trn.mem<psum>>
    trn.tensor_tensor add %p0v, %t -> %t : memref<128x100xf32, strided<[384, 1]>, #trn.mem<psum>>, memref<128x100xf32, #trn.mem<sbuf>> -> memref<128x100xf32, #trn.mem<sbuf>>
    %u = trn.alloc() : memref<128x100xf32, #trn.mem<sbuf>>
    %half = memref.subview %big[0, 0] [128, 100] [1, 1] : memref<128x1024xf32, #trn.mem<sbuf>> to memref<128x100xf32, strided<[1024, 1]>, #trn.mem<sbuf>>
    %p1v = memref.subview %p1[0, 0] [128, 100] [1, 1] : memref<128x256xf32, #trn.mem<psum>> to memref<128x100xf32, strided<[256, 1]>, #trn.mem<psum>>
    trn.tensor_tensor add %half, %p1v -> %u : memref<128x100xf32, strided<[1024, 1]>, #trn.mem<sbuf>>, memref<128x100xf32, strided<[256, 1]>, #trn.mem<psum>> -> memref<128x100xf32, #trn.mem<sbuf>>
    return
  }
}

// -----
// Offsets already present are kept; other buffers avoid them.
// CHECK-LABEL: func.func @preassigned
// CHECK: trn.alloc() {offset = 0 : i64} : memref<128x16xf32, #trn.mem<sbuf>>
// CHECK: trn.alloc() {offset = 64 : i64} : memref<128x16xf32, #trn.mem<sbuf>>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @preassigned() {
    %a = trn.alloc() {offset = 0 : i64} : memref<128x16xf32, #trn.mem<sbuf>>
    %b = trn.alloc() : memref<128x16xf32, #trn.mem<sbuf>>
    trn.memset 1.0 -> %a : memref<128x16xf32, #trn.mem<sbuf>>
    trn.memset 2.0 -> %b : memref<128x16xf32, #trn.mem<sbuf>>
    trn.tensor_tensor add %a, %b -> %b : memref<128x16xf32, #trn.mem<sbuf>>, memref<128x16xf32, #trn.mem<sbuf>> -> memref<128x16xf32, #trn.mem<sbuf>>
    return
  }
}
