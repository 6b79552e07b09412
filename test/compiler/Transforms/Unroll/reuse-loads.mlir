// RUN: trn-opt --trn-unroll %s | FileCheck %s

// The stationary chunk is loaded once per N tile before unrolling; after
// unrolling the second identical load of the (immutable) input is dropped and
// its matmul reads the first tile. Mutable HBM (outputs, scratch tensors) is
// reused between the writes to it: the second load of %y is dropped, the one
// after the write to %y is kept.
module attributes {trn.target = #trn.target<"trn2">} {
  // CHECK-LABEL: func.func @reuse
  // CHECK: %[[W:.*]] = trn.alloc() : memref<64x128xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %{{.*}} -> %[[W]]
  // CHECK: trn.matmul %[[W]], %{{.*}} -> %{{.*}} :
  // CHECK-NOT: trn.alloc() : memref<64x128xf32
  // CHECK: trn.matmul %[[W]], %{{.*}} -> %{{.*}} :
  // CHECK: %[[A:.*]] = trn.alloc() : memref<4x4xf32, #trn.mem<sbuf>>
  // CHECK-NEXT: trn.dma_copy %arg2 -> %[[A]] : memref<4x4xf32, #trn.mem<hbm>>
  // CHECK-NEXT: %[[B:.*]] = trn.alloc()
  // CHECK-NEXT: trn.tensor_copy %[[A]] -> %[[B]] :
  // CHECK-NEXT: trn.dma_copy %[[B]] -> %arg2 :
  // CHECK-NEXT: %[[C:.*]] = trn.alloc() : memref<4x4xf32, #trn.mem<sbuf>>
  // CHECK-NEXT: trn.dma_copy %arg2 -> %[[C]] : memref<4x4xf32, #trn.mem<hbm>>
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
    %d = trn.alloc() : memref<4x4xf32, #trn.mem<sbuf>>
    trn.tensor_copy %b -> %d : memref<4x4xf32, #trn.mem<sbuf>> -> memref<4x4xf32, #trn.mem<sbuf>>
    trn.dma_copy %d -> %y : memref<4x4xf32, #trn.mem<sbuf>> -> memref<4x4xf32, #trn.mem<hbm>>
    %c = trn.alloc() : memref<4x4xf32, #trn.mem<sbuf>>
    trn.dma_copy %y -> %c : memref<4x4xf32, #trn.mem<hbm>> -> memref<4x4xf32, #trn.mem<sbuf>>
    return
  }
}
