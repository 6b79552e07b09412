// RUN: trn-opt --trn-unroll %s | FileCheck %s

module attributes {trn.target = #trn.target<"trn2">} {
  // Two row tiles plus a peeled remainder: every iteration gets its own
  // trn.alloc, subviews and reinterpret_casts get static offsets, no loop
  // or index arithmetic remains.
  // CHECK-LABEL: func.func @tiles
  // CHECK-NOT: scf.for
  // CHECK-NOT: arith.
  // CHECK: %[[V0:.*]] = memref.subview %arg0[0, 0] [128, 64] [1, 1] : memref<300x64xf32, #trn.mem<hbm>> to memref<128x64xf32, strided<[64, 1]>, #trn.mem<hbm>>
  // CHECK: %[[T0:.*]] = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[V0]] -> %[[T0]]
  // CHECK: %[[B0:.*]] = memref.reinterpret_cast %arg1 to offset: [0], sizes: [128, 64], strides: [1, 300]
  // CHECK: trn.dma_copy %[[T0]] -> %[[B0]] : memref<128x64xf32, #trn.mem<sbuf>> -> memref<128x64xf32, strided<[1, 300]>, #trn.mem<hbm>>
  // CHECK: %[[V1:.*]] = memref.subview %arg0[128, 0] [128, 64] [1, 1] : memref<300x64xf32, #trn.mem<hbm>> to memref<128x64xf32, strided<[64, 1], offset: 8192>, #trn.mem<hbm>>
  // CHECK: %[[T1:.*]] = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[V1]] -> %[[T1]]
  // CHECK: memref.reinterpret_cast %arg1 to offset: [128], sizes: [128, 64], strides: [1, 300]
  // CHECK: memref.subview %arg0[256, 0] [44, 64] [1, 1]
  // CHECK: trn.alloc() : memref<44x64xf32, #trn.mem<sbuf>>
  // CHECK: memref.reinterpret_cast %arg1 to offset: [256], sizes: [44, 64], strides: [1, 300]
  // CHECK-NEXT: trn.dma_copy
  // CHECK-NEXT: return
  func.func @tiles(%x: memref<300x64xf32, #trn.mem<hbm>>, %y: memref<64x300xf32, #trn.mem<hbm>>) {
    %c0 = arith.constant 0 : index
    %c128 = arith.constant 128 : index
    %c256 = arith.constant 256 : index
    %c300 = arith.constant 300 : index
    scf.for %i = %c0 to %c256 step %c128 {
      %v = memref.subview %x[%i, 0] [128, 64] [1, 1] : memref<300x64xf32, #trn.mem<hbm>> to memref<128x64xf32, strided<[64, 1], offset: ?>, #trn.mem<hbm>>
      %t = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
      trn.dma_copy %v -> %t : memref<128x64xf32, strided<[64, 1], offset: ?>, #trn.mem<hbm>> -> memref<128x64xf32, #trn.mem<sbuf>>
      %b = memref.reinterpret_cast %y to offset: [%i], sizes: [128, 64], strides: [1, 300] : memref<64x300xf32, #trn.mem<hbm>> to memref<128x64xf32, strided<[1, 300], offset: ?>, #trn.mem<hbm>>
      trn.dma_copy %t -> %b : memref<128x64xf32, #trn.mem<sbuf>> -> memref<128x64xf32, strided<[1, 300], offset: ?>, #trn.mem<hbm>>
    }
    scf.for %i = %c256 to %c300 step %c128 {
      %v = memref.subview %x[256, 0] [44, 64] [1, 1] : memref<300x64xf32, #trn.mem<hbm>> to memref<44x64xf32, strided<[64, 1], offset: 16384>, #trn.mem<hbm>>
      %t = trn.alloc() : memref<44x64xf32, #trn.mem<sbuf>>
      trn.dma_copy %v -> %t : memref<44x64xf32, strided<[64, 1], offset: 16384>, #trn.mem<hbm>> -> memref<44x64xf32, #trn.mem<sbuf>>
      %b = memref.reinterpret_cast %y to offset: [%i], sizes: [44, 64], strides: [1, 300] : memref<64x300xf32, #trn.mem<hbm>> to memref<44x64xf32, strided<[1, 300], offset: ?>, #trn.mem<hbm>>
      trn.dma_copy %t -> %b : memref<44x64xf32, #trn.mem<sbuf>> -> memref<44x64xf32, strided<[1, 300], offset: ?>, #trn.mem<hbm>>
    }
    return
  }

  // Nested loops with iter_args unroll inner-first.
  // CHECK-LABEL: func.func @nested
  // CHECK-COUNT-6: trn.memset
  // CHECK-NOT: scf.
  func.func @nested(%y: memref<2x3x4xf32, #trn.mem<hbm>>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    scf.for %i = %c0 to %c2 step %c1 iter_args(%a = %y) -> (memref<2x3x4xf32, #trn.mem<hbm>>) {
      scf.for %j = %c0 to %c3 step %c1 {
        %t = trn.alloc() : memref<1x4xf32, #trn.mem<sbuf>>
        trn.memset 1.0 -> %t : memref<1x4xf32, #trn.mem<sbuf>>
        %v = memref.subview %a[%i, %j, 0] [1, 1, 4] [1, 1, 1] : memref<2x3x4xf32, #trn.mem<hbm>> to memref<1x1x4xf32, strided<[12, 4, 1], offset: ?>, #trn.mem<hbm>>
        trn.dma_copy %t -> %v : memref<1x4xf32, #trn.mem<sbuf>> -> memref<1x1x4xf32, strided<[12, 4, 1], offset: ?>, #trn.mem<hbm>>
      }
      scf.yield %a : memref<2x3x4xf32, #trn.mem<hbm>>
    }
    return
  }
}
