// RUN: trn-opt --trn-unroll %s | FileCheck %s

// The stationary chunk is loaded once per N tile before unrolling; after
// unrolling the second identical load of the (immutable) input is dropped and
// its matmul reads the first tile. Loads of outputs are never reused.
module attributes {trn.target = #trn.target<"trn2">} {
  // CHECK-LABEL: func.func @reuse
  // CHECK: %[[W:.*]] = trn.alloc() : memref<64x128xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %{{.*}} -> %[[W]]
  // CHECK: trn.matmul %[[W]], %{{.*}} -> %{{.*}} :
  // CHECK-NOT: trn.alloc() : memref<64x128xf32
  // CHECK: trn.matmul %[[W]], %{{.*}} -> %{{.*}} :
  // CHECK-COUNT-2: trn.dma_copy %arg2 -> %{{.*}} : memref<4x4xf32, #trn.mem<hbm>>
  func.func @reuse(%w: memref<64x128xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "w"},
                   %x: memref<64x1024xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "x"},
                   %y: memref<4x4xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "y"}) {
    %c0 = arith.constant 0 : index
    %c512 = arith.constant 512 : index
    %c1024 = arith.constant 1024 : index
    scf.for %n = %c0 to %c1024 step %c512 {
      %ws = trn.alloc() : memref<64x128xf32, #trn.mem<sbuf>>
      trn.dma_copy %w -> %ws : memref<64x128xf32, #trn.mem<hbm>> -> memref<64x128xf32, #trn.mem<sbuf>>
      %xv = memref.subview %x[0, %n] [64, 512] [1, 1] : memref<64x1024xf32, #trn.mem<hbm>> to memref<64x512xf32, strided<[1024, 1], offset: ?>, #trn.mem<hbm>>
      %xs = trn.alloc() : memref<64x512xf32, #trn.mem<sbuf>>
      trn.dma_copy %xv -> %xs : memref<64x512xf32, strided<[1024, 1], offset: ?>, #trn.mem<hbm>> -> memref<64x512xf32, #trn.mem<sbuf>>
      %p = trn.alloc() : memref<128x512xf32, #trn.mem<psum>>
      trn.matmul %ws, %xs -> %p : memref<64x128xf32, #trn.mem<sbuf>>, memref<64x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
    }
    %a = trn.alloc() : memref<4x4xf32, #trn.mem<sbuf>>
    trn.dma_copy %y -> %a : memref<4x4xf32, #trn.mem<hbm>> -> memref<4x4xf32, #trn.mem<sbuf>>
    %b = trn.alloc() : memref<4x4xf32, #trn.mem<sbuf>>
    trn.dma_copy %y -> %b : memref<4x4xf32, #trn.mem<hbm>> -> memref<4x4xf32, #trn.mem<sbuf>>
    return
  }
}
