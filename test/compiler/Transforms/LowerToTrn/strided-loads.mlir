// RUN: trn-opt --trn-lower-to-trn %s | FileCheck %s

// Loads that would move one element per DMA run (a small innermost stride, or
// re-reading a value along a broadcast free dim) are done as dense DMAs plus
// one engine copy when the cost model says that is cheaper.

#id = affine_map<(d0, d1) -> (d0, d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#bc = affine_map<(d0, d1, d2) -> (d0)>
#tr = affine_map<(d0, d1) -> (d1, d0)>
module attributes {trn.target = #trn.target<"trn2">} {
  // Stride 2 (a stride-2 pooling window): the dense span of each row (31
  // elements) is loaded and every second element copied on chip.
  // CHECK-LABEL: func.func @stride2
  // CHECK: %[[OUT:.*]] = trn.alloc() : memref<8x16xf32, #trn.mem<sbuf>>
  // CHECK: %[[IN:.*]] = trn.alloc() : memref<8x16xf32, #trn.mem<sbuf>>
  // CHECK: %[[SPAN:.*]] = memref.reinterpret_cast %arg0 to offset: [0], sizes: [8, 31], strides: [32, 1]
  // CHECK: %[[S:.*]] = trn.alloc() : memref<8x31xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[SPAN]] -> %[[S]]
  // CHECK: %[[D:.*]] = memref.reinterpret_cast %[[IN]] to offset: [0], sizes: [8, 16], strides: [16, 1]
  // CHECK: %[[SV:.*]] = memref.reinterpret_cast %[[S]] to offset: [0], sizes: [8, 16], strides: [31, 2]
  // CHECK: trn.tensor_copy %[[SV]] -> %[[D]]
  // CHECK: trn.activation relu %[[IN]] -> %[[OUT]]
  func.func @stride2(%x: memref<8x32xf32, #trn.mem<hbm>>, %y: memref<8x16xf32, #trn.mem<hbm>>) {
    %v = memref.subview %x[0, 0] [8, 16] [1, 2] : memref<8x32xf32, #trn.mem<hbm>> to memref<8x16xf32, strided<[32, 2]>, #trn.mem<hbm>>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%v : memref<8x16xf32, strided<[32, 2]>, #trn.mem<hbm>>) outs(%y : memref<8x16xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %o: f32):
      %z = arith.constant 0.0 : f32
      %m = arith.maximumf %a, %z : f32
      linalg.yield %m : f32
    }
    return
  }

  // Stride 8 would fetch 8x the data: the strided DMA stays.
  // CHECK-LABEL: func.func @stride8
  // CHECK: trn.dma_copy %{{.*}} -> %{{.*}} : memref<8x16xf32, strided<[128, 8]>, #trn.mem<hbm>> -> memref<8x16xf32, #trn.mem<sbuf>>
  // CHECK-NOT: trn.tensor_copy
  // CHECK: trn.activation relu
  func.func @stride8(%x: memref<8x128xf32, #trn.mem<hbm>>, %y: memref<8x16xf32, #trn.mem<hbm>>) {
    %v = memref.subview %x[0, 0] [8, 16] [1, 8] : memref<8x128xf32, #trn.mem<hbm>> to memref<8x16xf32, strided<[128, 8]>, #trn.mem<hbm>>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%v : memref<8x16xf32, strided<[128, 8]>, #trn.mem<hbm>>) outs(%y : memref<8x16xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %o: f32):
      %z = arith.constant 0.0 : f32
      %m = arith.maximumf %a, %z : f32
      linalg.yield %m : f32
    }
    return
  }

  // A per-channel bias on a free dim, broadcast over the rows on partitions
  // and the innermost dim: its 16 values are loaded once per partition and
  // expanded by a copy reading them with stride 0.
  // CHECK-LABEL: func.func @bias_free_dim
  // CHECK: trn.alloc() : memref<112x128xf32, #trn.mem<sbuf>>
  // CHECK: %[[X:.*]] = trn.alloc() : memref<112x128xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %{{.*}} -> %[[X]]
  // CHECK: %[[B:.*]] = trn.alloc() : memref<112x128xf32, #trn.mem<sbuf>>
  // CHECK: %[[BD:.*]] = memref.reinterpret_cast %[[B]] to offset: [0], sizes: [112, 16, 8], strides: [128, 8, 1]
  // CHECK: %[[COMPACT:.*]] = memref.reinterpret_cast %arg1 to offset: [0], sizes: [112, 16], strides: [0, 1]
  // CHECK: %[[S:.*]] = trn.alloc() : memref<112x16xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[COMPACT]] -> %[[S]]
  // CHECK: %[[SV:.*]] = memref.reinterpret_cast %[[S]] to offset: [0], sizes: [112, 16, 8], strides: [16, 1, 0]
  // CHECK: trn.tensor_copy %[[SV]] -> %[[BD]]
  // CHECK: trn.tensor_tensor add %[[X]], %[[B]]
  func.func @bias_free_dim(%x: memref<16x112x8xf32, #trn.mem<hbm>>, %b: memref<16xf32, #trn.mem<hbm>>, %y: memref<16x112x8xf32, #trn.mem<hbm>>) {
    linalg.generic {indexing_maps = [#id3, #bc, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %b : memref<16x112x8xf32, #trn.mem<hbm>>, memref<16xf32, #trn.mem<hbm>>) outs(%y : memref<16x112x8xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %c: f32, %o: f32):
      %s = arith.addf %a, %c : f32
      linalg.yield %s : f32
    }
    return
  }

  // An HBM -> HBM copy of a stride-2 view (a stride-2 convolution tap) is
  // staged through SBUF: dense load, on-chip compaction, dense store.
  // CHECK-LABEL: func.func @copy_stride2
  // CHECK: %[[T:.*]] = trn.alloc() : memref<3x400xf32, #trn.mem<sbuf>>
  // CHECK: %[[SPAN:.*]] = memref.reinterpret_cast %arg0 to offset: [0], sizes: [3, 20, 39], strides: [1600, 80, 1]
  // CHECK: %[[S:.*]] = trn.alloc() : memref<3x780xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[SPAN]] -> %[[S]]
  // CHECK: trn.tensor_copy %{{.*}} -> %{{.*}} : memref<3x20x20xf32, strided<[780, 39, 2]>, #trn.mem<sbuf>> -> memref<3x20x20xf32, strided<[400, 20, 1]>, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[T]] -> %arg1 : memref<3x400xf32, #trn.mem<sbuf>> -> memref<3x20x20xf32, #trn.mem<hbm>>
  // CHECK-NOT: trn.dma_copy
  // CHECK: return
  func.func @copy_stride2(%x: memref<3x40x40xf32, #trn.mem<hbm>>, %y: memref<3x20x20xf32, #trn.mem<hbm>>) {
    %v = memref.subview %x[0, 0, 0] [3, 20, 20] [1, 2, 2] : memref<3x40x40xf32, #trn.mem<hbm>> to memref<3x20x20xf32, strided<[1600, 80, 2]>, #trn.mem<hbm>>
    memref.copy %v, %y : memref<3x20x20xf32, strided<[1600, 80, 2]>, #trn.mem<hbm>> to memref<3x20x20xf32, #trn.mem<hbm>>
    return
  }
  // A transposed operand (partitions walk HBM rows' contiguous dim): each
  // 128-row block is loaded in its HBM layout (runs of 32 elements) and
  // transposed on the PE through PSUM into its columns of the tile.
  // CHECK-LABEL: func.func @transposed
  // CHECK: trn.alloc() : memref<32x256xf32, #trn.mem<sbuf>>
  // CHECK: %[[T:.*]] = trn.alloc() : memref<32x256xf32, #trn.mem<sbuf>>
  // CHECK-COUNT-2: trn.transpose %{{.*}} -> %{{.*}} : memref<128x32xf32, #trn.mem<sbuf>> -> memref<32x128xf32, #trn.mem<psum>>
  // CHECK: trn.activation exp %[[T]]
  func.func @transposed(%x: memref<256x32xf32, #trn.mem<hbm>>, %y: memref<32x256xf32, #trn.mem<hbm>>) {
    linalg.generic {indexing_maps = [#tr, #id], iterator_types = ["parallel", "parallel"]} ins(%x : memref<256x32xf32, #trn.mem<hbm>>) outs(%y : memref<32x256xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %o: f32):
      %e = math.exp %a : f32
      linalg.yield %e : f32
    }
    return
  }
}
