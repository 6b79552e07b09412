// RUN: trn-opt --trn-lower-to-trn %s | FileCheck %s

// Copies between HBM and a whole on-chip tile buffer walk HBM in the tile layout
// (logical dim rank-2 on partitions, the other dims in order).
// CHECK-LABEL: func.func @f
// CHECK: %[[T:.*]] = trn.alloc() : memref<64x32xf32, #trn.mem<sbuf>>
// CHECK: %[[IN:.*]] = memref.reinterpret_cast %arg0 to offset: [0], sizes: [64, 4, 8], strides: [8, 512, 1]
// CHECK: trn.dma_copy %[[IN]] -> %[[T]]
// CHECK: %[[OUT:.*]] = memref.reinterpret_cast %arg1 to offset: [0], sizes: [64, 4, 8], strides: [8, 512, 1]
// CHECK: trn.dma_copy %[[T]] -> %[[OUT]]
// CHECK-NOT: memref.copy
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @f(%x: memref<4x64x8xf32, #trn.mem<hbm>>, %y: memref<4x64x8xf32, #trn.mem<hbm>>) {
    %t = trn.alloc() : memref<64x32xf32, #trn.mem<sbuf>>
    %v = memref.reinterpret_cast %t to offset: [0], sizes: [4, 64, 8], strides: [8, 32, 1] : memref<64x32xf32, #trn.mem<sbuf>> to memref<4x64x8xf32, strided<[8, 32, 1]>, #trn.mem<sbuf>>
    memref.copy %x, %v : memref<4x64x8xf32, #trn.mem<hbm>> to memref<4x64x8xf32, strided<[8, 32, 1]>, #trn.mem<sbuf>>
    memref.copy %v, %y : memref<4x64x8xf32, strided<[8, 32, 1]>, #trn.mem<sbuf>> to memref<4x64x8xf32, #trn.mem<hbm>>
    return
  }
}
