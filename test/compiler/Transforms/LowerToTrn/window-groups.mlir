// RUN: trn-opt --trn-lower-to-trn %s | FileCheck %s

// Pooling taps of one window row (the same subview chain of one HBM buffer,
// shifted by a few elements) are loaded once as the dense span covering all
// of them; each tap is read on chip through a strided view of that tile.

#id = affine_map<(d0, d1) -> (d0, d1)>
module attributes {trn.target = #trn.target<"trn2">} {
  // Three stride-2 taps of one row (offsets 0, 1, 2) and one of the next row:
  // one [8, 33] load covers the three (span 31 + shift 2); the next row's tap
  // is a separate load.
  // CHECK-LABEL: func.func @row_taps
  // CHECK: %[[OUT:.*]] = trn.alloc() : memref<8x16xf32, #trn.mem<sbuf>>
  // CHECK: %[[SPAN:.*]] = memref.reinterpret_cast %arg0 to offset: [0], sizes: [8, 33], strides: [80, 1]
  // CHECK: %[[W:.*]] = trn.alloc() : memref<8x33xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[SPAN]] -> %[[W]]
  // CHECK: %[[V0:.*]] = memref.reinterpret_cast %[[W]] to offset: [0], sizes: [8, 16], strides: [33, 2]
  // CHECK: %[[V1:.*]] = memref.reinterpret_cast %[[W]] to offset: [1], sizes: [8, 16], strides: [33, 2]
  // CHECK: %[[V2:.*]] = memref.reinterpret_cast %[[W]] to offset: [2], sizes: [8, 16], strides: [33, 2]
  // The next row's tap: its own (widened) load.
  // CHECK: memref.reinterpret_cast %arg0 to offset: [40]
  // CHECK: %[[T:.*]] = trn.alloc() : memref<8x16xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor max %[[V0]], %[[V1]] -> %[[T]]
  // CHECK: %[[U:.*]] = trn.alloc() : memref<8x16xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor max %[[T]], %[[V2]] -> %[[U]]
  // CHECK: trn.tensor_tensor max %[[U]], %{{.*}} -> %[[OUT]]
  // CHECK: trn.dma_copy %[[OUT]] -> %arg1
  func.func @row_taps(%x: memref<8x80xf32, #trn.mem<hbm>>, %y: memref<8x16xf32, #trn.mem<hbm>>) {
    %v0 = memref.subview %x[0, 0] [8, 16] [1, 2] : memref<8x80xf32, #trn.mem<hbm>> to memref<8x16xf32, strided<[80, 2]>, #trn.mem<hbm>>
    %v1 = memref.subview %x[0, 1] [8, 16] [1, 2] : memref<8x80xf32, #trn.mem<hbm>> to memref<8x16xf32, strided<[80, 2], offset: 1>, #trn.mem<hbm>>
    %v2 = memref.subview %x[0, 2] [8, 16] [1, 2] : memref<8x80xf32, #trn.mem<hbm>> to memref<8x16xf32, strided<[80, 2], offset: 2>, #trn.mem<hbm>>
    %v3 = memref.subview %x[0, 40] [8, 16] [1, 2] : memref<8x80xf32, #trn.mem<hbm>> to memref<8x16xf32, strided<[80, 2], offset: 40>, #trn.mem<hbm>>
    linalg.generic {indexing_maps = [#id, #id, #id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%v0, %v1, %v2, %v3 : memref<8x16xf32, strided<[80, 2]>, #trn.mem<hbm>>, memref<8x16xf32, strided<[80, 2], offset: 1>, #trn.mem<hbm>>, memref<8x16xf32, strided<[80, 2], offset: 2>, #trn.mem<hbm>>, memref<8x16xf32, strided<[80, 2], offset: 40>, #trn.mem<hbm>>)
        outs(%y : memref<8x16xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %b: f32, %c: f32, %d: f32, %o: f32):
      %m0 = arith.maximumf %a, %b : f32
      %m1 = arith.maximumf %m0, %c : f32
      %m2 = arith.maximumf %m1, %d : f32
      linalg.yield %m2 : f32
    }
    return
  }

  // A grouped tap used by something other than a tile-tile ALU op (here an
  // activation) is compacted into a [P, F] tile once.
  // CHECK-LABEL: func.func @compacted
  // CHECK: %[[W:.*]] = trn.alloc() : memref<8x33xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %{{.*}} -> %[[W]]
  // CHECK: %[[V0:.*]] = memref.reinterpret_cast %[[W]] to offset: [0], sizes: [8, 16], strides: [33, 2]
  // CHECK: %[[V2:.*]] = memref.reinterpret_cast %[[W]] to offset: [2], sizes: [8, 16], strides: [33, 2]
  // CHECK: %[[C:.*]] = trn.alloc() : memref<8x16xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_copy %[[V0]] -> %{{.*}} : memref<8x16xf32, strided<[33, 2]>, #trn.mem<sbuf>>
  // CHECK: trn.activation exp %[[C]]
  // CHECK: trn.tensor_tensor add %{{.*}}, %[[V2]]
  func.func @compacted(%x: memref<8x80xf32, #trn.mem<hbm>>, %y: memref<8x16xf32, #trn.mem<hbm>>) {
    %v0 = memref.subview %x[0, 0] [8, 16] [1, 2] : memref<8x80xf32, #trn.mem<hbm>> to memref<8x16xf32, strided<[80, 2]>, #trn.mem<hbm>>
    %v2 = memref.subview %x[0, 2] [8, 16] [1, 2] : memref<8x80xf32, #trn.mem<hbm>> to memref<8x16xf32, strided<[80, 2], offset: 2>, #trn.mem<hbm>>
    linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%v0, %v2 : memref<8x16xf32, strided<[80, 2]>, #trn.mem<hbm>>, memref<8x16xf32, strided<[80, 2], offset: 2>, #trn.mem<hbm>>)
        outs(%y : memref<8x16xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %c: f32, %o: f32):
      %e = math.exp %a : f32
      %s = arith.addf %e, %c : f32
      linalg.yield %s : f32
    }
    return
  }

  // Different buffers (or different strides) are not grouped.
  // CHECK-LABEL: func.func @not_grouped
  // CHECK-NOT: sizes: [8, 33]
  // CHECK: return
  func.func @not_grouped(%x: memref<8x80xf32, #trn.mem<hbm>>, %z: memref<8x80xf32, #trn.mem<hbm>>, %y: memref<8x16xf32, #trn.mem<hbm>>) {
    %v0 = memref.subview %x[0, 0] [8, 16] [1, 2] : memref<8x80xf32, #trn.mem<hbm>> to memref<8x16xf32, strided<[80, 2]>, #trn.mem<hbm>>
    %v1 = memref.subview %z[0, 1] [8, 16] [1, 2] : memref<8x80xf32, #trn.mem<hbm>> to memref<8x16xf32, strided<[80, 2], offset: 1>, #trn.mem<hbm>>
    linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%v0, %v1 : memref<8x16xf32, strided<[80, 2]>, #trn.mem<hbm>>, memref<8x16xf32, strided<[80, 2], offset: 1>, #trn.mem<hbm>>)
        outs(%y : memref<8x16xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %c: f32, %o: f32):
      %s = arith.maximumf %a, %c : f32
      linalg.yield %s : f32
    }
    return
  }
}
