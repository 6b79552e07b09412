// RUN: trn-opt --trn-tile --trn-bufferize --trn-place-memory --trn-lower-to-trn --trn-unroll %s | FileCheck %s

// Convolution windows read in place: bufferization materialises each
// collapsed strided window in an HBM scratch (memref.copy), but every reader
// is a tap matmul whose moving tile is whole output rows, so trn-lower-to-trn
// drops the copy and loads each [4, rows, 40] box of the input straight into
// the [4, rows*40] SBUF tile with one DMA.
#l = affine_map<(m, n, k) -> (k, m)>
#r = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(a, b) -> (a, b)>
module attributes {trn.target = #trn.target<"trn2">} {
  // CHECK-LABEL: func.func @windows
  // CHECK-NOT: memref.alloc
  // CHECK: trn.dma_copy %{{.*}} -> %{{.*}} : memref<4x12x40xf32, strided<[756, 42, 1]>, #trn.mem<hbm>> -> memref<4x480xf32, #trn.mem<sbuf>>
  // CHECK: trn.matmul
  // CHECK: trn.dma_copy %{{.*}} -> %{{.*}} : memref<4x12x40xf32, strided<[756, 42, 1], offset: 43>, #trn.mem<hbm>> -> memref<4x480xf32, #trn.mem<sbuf>>
  // CHECK: trn.matmul {{.*}} {accumulate}
  // Tail tile: rows 12..15.
  // CHECK: trn.dma_copy %{{.*}} -> %{{.*}} : memref<4x4x40xf32, strided<[756, 42, 1], offset: 504>, #trn.mem<hbm>> -> memref<4x160xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %{{.*}} -> %{{.*}} : memref<4x4x40xf32, strided<[756, 42, 1], offset: 547>, #trn.mem<hbm>> -> memref<4x160xf32, #trn.mem<sbuf>>
  // CHECK-NOT: memref<4x16x40xf32
  // CHECK: return
  func.func @windows(%x: tensor<4x18x42xf32>, %w0: tensor<4x8xf32>, %w1: tensor<4x8xf32>) -> tensor<8x640xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8x640xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x640xf32>) -> tensor<8x640xf32>
    %s0 = tensor.extract_slice %x[0, 0, 0] [4, 16, 40] [1, 1, 1] : tensor<4x18x42xf32> to tensor<4x16x40xf32>
    %c0 = tensor.collapse_shape %s0 [[0], [1, 2]] : tensor<4x16x40xf32> into tensor<4x640xf32>
    %t0 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w0, %c0 : tensor<4x8xf32>, tensor<4x640xf32>) outs(%f : tensor<8x640xf32>) -> tensor<8x640xf32>
    %s1 = tensor.extract_slice %x[0, 1, 1] [4, 16, 40] [1, 1, 1] : tensor<4x18x42xf32> to tensor<4x16x40xf32>
    %c1 = tensor.collapse_shape %s1 [[0], [1, 2]] : tensor<4x16x40xf32> into tensor<4x640xf32>
    %t1 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w1, %c1 : tensor<4x8xf32>, tensor<4x640xf32>) outs(%t0 : tensor<8x640xf32>) -> tensor<8x640xf32>
    return %t1 : tensor<8x640xf32>
  }

  // Stride 2: a [4, 9, 20] box with row stride 2*42 and column stride 2 (all 9
  // rows fit in one 180-column tile).
  // CHECK-LABEL: func.func @stride2
  // CHECK-NOT: memref.alloc
  // The strided-load rewrite reads each row's dense span and compacts it on chip.
  // CHECK: %[[SPAN:.*]] = memref.reinterpret_cast %arg0 to offset: [0], sizes: [4, 9, 39], strides: [756, 84, 1]
  // CHECK: trn.dma_copy %[[SPAN]]
  // CHECK: trn.tensor_copy %{{.*}} : memref<4x9x20xf32, strided<[351, 39, 2]>, #trn.mem<sbuf>> -> memref<4x9x20xf32, strided<[180, 20, 1]>, #trn.mem<sbuf>>
  // CHECK: trn.matmul
  func.func @stride2(%x: tensor<4x18x42xf32>, %w0: tensor<4x8xf32>, %w1: tensor<4x8xf32>) -> tensor<8x180xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8x180xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x180xf32>) -> tensor<8x180xf32>
    %s0 = tensor.extract_slice %x[0, 0, 0] [4, 9, 20] [1, 2, 2] : tensor<4x18x42xf32> to tensor<4x9x20xf32>
    %c0 = tensor.collapse_shape %s0 [[0], [1, 2]] : tensor<4x9x20xf32> into tensor<4x180xf32>
    %t0 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w0, %c0 : tensor<4x8xf32>, tensor<4x180xf32>) outs(%f : tensor<8x180xf32>) -> tensor<8x180xf32>
    %s1 = tensor.extract_slice %x[0, 1, 1] [4, 9, 20] [1, 2, 2] : tensor<4x18x42xf32> to tensor<4x9x20xf32>
    %c1 = tensor.collapse_shape %s1 [[0], [1, 2]] : tensor<4x9x20xf32> into tensor<4x180xf32>
    %t1 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w1, %c1 : tensor<4x8xf32>, tensor<4x180xf32>) outs(%t0 : tensor<8x180xf32>) -> tensor<8x180xf32>
    return %t1 : tensor<8x180xf32>
  }

  // Fallback: the window is also read by an element-wise op, so its scratch
  // is materialised (HBM -> SBUF -> HBM copy) and the matmul reads the scratch.
  // CHECK-LABEL: func.func @shared
  // CHECK: %[[S:.*]] = memref.alloc() {{.*}} : memref<4x16x40xf32, #trn.mem<hbm>>
  // CHECK: trn.dma_copy %{{.*}} -> %[[S]]
  // CHECK: trn.dma_copy %{{.*}} -> %{{.*}} : memref<4x480xf32, strided<[640, 1]>, #trn.mem<hbm>> -> memref<4x480xf32, #trn.mem<sbuf>>
  func.func @shared(%x: tensor<4x18x42xf32>, %w0: tensor<4x8xf32>, %w1: tensor<4x8xf32>) -> (tensor<8x640xf32>, tensor<4x640xf32>) {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8x640xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x640xf32>) -> tensor<8x640xf32>
    %s0 = tensor.extract_slice %x[0, 0, 0] [4, 16, 40] [1, 1, 1] : tensor<4x18x42xf32> to tensor<4x16x40xf32>
    %c0 = tensor.collapse_shape %s0 [[0], [1, 2]] : tensor<4x16x40xf32> into tensor<4x640xf32>
    %t0 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w0, %c0 : tensor<4x8xf32>, tensor<4x640xf32>) outs(%f : tensor<8x640xf32>) -> tensor<8x640xf32>
    %s1 = tensor.extract_slice %x[0, 1, 1] [4, 16, 40] [1, 1, 1] : tensor<4x18x42xf32> to tensor<4x16x40xf32>
    %c1 = tensor.collapse_shape %s1 [[0], [1, 2]] : tensor<4x16x40xf32> into tensor<4x640xf32>
    %t1 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w1, %c1 : tensor<4x8xf32>, tensor<4x640xf32>) outs(%t0 : tensor<8x640xf32>) -> tensor<8x640xf32>
    %e2 = tensor.empty() : tensor<4x640xf32>
    %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c0 : tensor<4x640xf32>) outs(%e2 : tensor<4x640xf32>) {
    ^bb0(%a: f32, %b: f32):
      %v = arith.negf %a : f32
      linalg.yield %v : f32
    } -> tensor<4x640xf32>
    return %t1, %n : tensor<8x640xf32>, tensor<4x640xf32>
  }

  // Packed taps (trn-tile stacks two C = 48 windows): the stack's two copies
  // are regularly spaced views of %x (offsets 0 and 1), so the moving tile
  // [96, 320] is ONE DMA walking [tap, channel, row, column]; the third tap
  // is a plain window load.
  // CHECK-LABEL: func.func @packed
  // CHECK-NOT: memref.alloc
  // CHECK: %[[V:.*]] = memref.reinterpret_cast %arg0 to offset: [0], sizes: [2, 48, 16, 20], strides: [1, 396, 22, 1]
  // CHECK: trn.dma_copy %[[V]] -> %{{.*}} : memref<2x48x16x20xf32, strided<[1, 396, 22, 1]>, #trn.mem<hbm>> -> memref<96x320xf32, #trn.mem<sbuf>>
  // CHECK: trn.matmul %{{.*}}, %{{.*}} -> %[[P:.*]] : memref<96x8xf32, #trn.mem<sbuf>>, memref<96x320xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %{{.*}} -> %{{.*}} : memref<48x16x20xf32, strided<[396, 22, 1], offset: 46>, #trn.mem<hbm>> -> memref<48x320xf32, #trn.mem<sbuf>>
  // CHECK: trn.matmul %{{.*}}, %{{.*}} -> %[[P]] {accumulate} : memref<48x8xf32, #trn.mem<sbuf>>
  // CHECK-NOT: trn.matmul
  func.func @packed(%x: tensor<48x18x22xf32>) -> tensor<8x320xf32> {
    %z = arith.constant 0.0 : f32
    %w0 = arith.constant dense<1.0> : tensor<48x8xf32>
    %w1 = arith.constant dense<2.0> : tensor<48x8xf32>
    %w2 = arith.constant dense<3.0> : tensor<48x8xf32>
    %e = tensor.empty() : tensor<8x320xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x320xf32>) -> tensor<8x320xf32>
    %s0 = tensor.extract_slice %x[0, 0, 0] [48, 16, 20] [1, 1, 1] : tensor<48x18x22xf32> to tensor<48x16x20xf32>
    %c0 = tensor.collapse_shape %s0 [[0], [1, 2]] : tensor<48x16x20xf32> into tensor<48x320xf32>
    %t0 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w0, %c0 : tensor<48x8xf32>, tensor<48x320xf32>) outs(%f : tensor<8x320xf32>) -> tensor<8x320xf32>
    %s1 = tensor.extract_slice %x[0, 0, 1] [48, 16, 20] [1, 1, 1] : tensor<48x18x22xf32> to tensor<48x16x20xf32>
    %c1 = tensor.collapse_shape %s1 [[0], [1, 2]] : tensor<48x16x20xf32> into tensor<48x320xf32>
    %t1 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w1, %c1 : tensor<48x8xf32>, tensor<48x320xf32>) outs(%t0 : tensor<8x320xf32>) -> tensor<8x320xf32>
    %s2 = tensor.extract_slice %x[0, 2, 2] [48, 16, 20] [1, 1, 1] : tensor<48x18x22xf32> to tensor<48x16x20xf32>
    %c2 = tensor.collapse_shape %s2 [[0], [1, 2]] : tensor<48x16x20xf32> into tensor<48x320xf32>
    %t2 = linalg.matmul indexing_maps = [#l, #r, #o] ins(%w2, %c2 : tensor<48x8xf32>, tensor<48x320xf32>) outs(%t1 : tensor<8x320xf32>) -> tensor<8x320xf32>
    return %t2 : tensor<8x320xf32>
  }
}
