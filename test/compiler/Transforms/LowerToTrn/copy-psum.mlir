// RUN: trn-opt --trn-lower-to-trn %s | FileCheck %s
// RUN: trn-opt --trn-lower-to-trn %s | grep trn.dma_copy | FileCheck %s --check-prefix=DMA --implicit-check-not=psum

// DMA reaches PSUM only from SBUF: an accumulator initialised from HBM (a
// quantized 1x1 strided convolution's init view) and a PSUM tile written back
// to HBM are staged through an SBUF tile and an engine copy.
// CHECK-LABEL: func.func @f
// CHECK: %[[P:.*]] = trn.alloc() : memref<16x16xf32, #trn.mem<psum>>
// CHECK: %[[S:.*]] = trn.alloc() : memref<16x16xf32, #trn.mem<sbuf>>
// CHECK: trn.dma_copy %{{.*}} -> %[[S]]
// CHECK: trn.tensor_copy %[[S]] -> %[[P]]
// CHECK: %[[S2:.*]] = trn.alloc() : memref<16x16xf32, #trn.mem<sbuf>>
// CHECK: trn.tensor_copy %[[P]] -> %[[S2]]
// CHECK: trn.dma_copy %[[S2]] -> %{{.*}}
// CHECK-NOT: memref.copy
// DMA-COUNT-2: trn.dma_copy {{.*}}sbuf
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @f(%x: memref<16x16xf32, strided<[16, 1]>, #trn.mem<hbm>>, %y: memref<16x16xf32, #trn.mem<hbm>>) {
    %t = trn.alloc() : memref<16x16xf32, #trn.mem<psum>>
    %v = memref.reinterpret_cast %t to offset: [0], sizes: [16, 16], strides: [16, 1] : memref<16x16xf32, #trn.mem<psum>> to memref<16x16xf32, strided<[16, 1]>, #trn.mem<psum>>
    memref.copy %x, %v : memref<16x16xf32, strided<[16, 1]>, #trn.mem<hbm>> to memref<16x16xf32, strided<[16, 1]>, #trn.mem<psum>>
    memref.copy %v, %y : memref<16x16xf32, strided<[16, 1]>, #trn.mem<psum>> to memref<16x16xf32, #trn.mem<hbm>>
    return
  }
}
