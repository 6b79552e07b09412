// RUN: trn-opt --trn-place-memory %s | FileCheck %s

#mL = affine_map<(m, n, k) -> (k, m)>
#mR = affine_map<(m, n, k) -> (k, n)>
#mO = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#id3 = affine_map<(b, m, n) -> (b, m, n)>
module attributes {trn.target = #trn.target<"trn2">} {
  // CHECK-LABEL: func.func @fused
  // The function-level scratch stays in HBM.
  // CHECK: memref.alloc() : memref<4x4xf32, #trn.mem<hbm>>
  // CHECK: scf.for
  // CHECK:   %[[ACC:.*]] = trn.alloc() : memref<128x512xf32, #trn.mem<psum>>
  // CHECK:   %[[V:.*]] = memref.reinterpret_cast %[[ACC]] to offset: [0], sizes: [128, 512], strides: [512, 1]
  // CHECK:   linalg.fill {{.*}} outs(%[[V]] :
  // CHECK:   linalg.matmul {{.*}} outs(%[[V]] :
  // CHECK:   %[[T:.*]] = trn.alloc() : memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK:   %[[TV:.*]] = memref.reinterpret_cast %[[T]]
  // CHECK:   linalg.generic {{.*}} ins(%[[V]] : {{.*}}) outs(%[[TV]] :
  func.func @fused(%l: memref<64x256xf32, #trn.mem<hbm>>, %r: memref<64x512xf32, #trn.mem<hbm>>, %y: memref<256x512xf32, #trn.mem<hbm>>) {
    %c0 = arith.constant 0 : index
    %c128 = arith.constant 128 : index
    %c256 = arith.constant 256 : index
    %z = arith.constant 0.0 : f32
    %scratch = memref.alloc() : memref<4x4xf32, #trn.mem<hbm>>
    scf.for %i = %c0 to %c256 step %c128 {
      %ls = memref.subview %l[0, %i] [64, 128] [1, 1] : memref<64x256xf32, #trn.mem<hbm>> to memref<64x128xf32, strided<[256, 1], offset: ?>, #trn.mem<hbm>>
      %acc = memref.alloc() : memref<128x512xf32, #trn.mem<hbm>>
      linalg.fill ins(%z : f32) outs(%acc : memref<128x512xf32, #trn.mem<hbm>>)
      linalg.matmul indexing_maps = [#mL, #mR, #mO] ins(%ls, %r : memref<64x128xf32, strided<[256, 1], offset: ?>, #trn.mem<hbm>>, memref<64x512xf32, #trn.mem<hbm>>) outs(%acc : memref<128x512xf32, #trn.mem<hbm>>)
      %tmp = memref.alloc() : memref<128x512xf32, #trn.mem<hbm>>
      linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<128x512xf32, #trn.mem<hbm>>) outs(%tmp : memref<128x512xf32, #trn.mem<hbm>>) {
      ^bb0(%a: f32, %o: f32):
        %s = math.tanh %a : f32
        linalg.yield %s : f32
      }
      %ys = memref.subview %y[%i, 0] [128, 512] [1, 1] : memref<256x512xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[512, 1], offset: ?>, #trn.mem<hbm>>
      linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%tmp : memref<128x512xf32, #trn.mem<hbm>>) outs(%ys : memref<128x512xf32, strided<[512, 1], offset: ?>, #trn.mem<hbm>>) {
      ^bb0(%a: f32, %o: f32):
        %s = math.exp %a : f32
        linalg.yield %s : f32
      }
    }
    return
  }

  // A rank-3 intermediate [4, 64, 8]: partitions on dim 1 (64), free = 4*8;
  // the logical view strides dim 0 by 8, dim 1 by 32, dim 2 by 1.
  // CHECK-LABEL: func.func @rank3
  // CHECK: %[[T:.*]] = trn.alloc() : memref<64x32xbf16, #trn.mem<sbuf>>
  // CHECK: memref.reinterpret_cast %[[T]] to offset: [0], sizes: [4, 64, 8], strides: [8, 32, 1] : memref<64x32xbf16, #trn.mem<sbuf>> to memref<4x64x8xbf16, strided<[8, 32, 1]>, #trn.mem<sbuf>>
  func.func @rank3(%x: memref<4x64x8xbf16, #trn.mem<hbm>>, %y: memref<4x64x8xbf16, #trn.mem<hbm>>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    scf.for %i = %c0 to %c1 step %c1 {
      %tmp = memref.alloc() : memref<4x64x8xbf16, #trn.mem<hbm>>
      linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : memref<4x64x8xbf16, #trn.mem<hbm>>) outs(%tmp : memref<4x64x8xbf16, #trn.mem<hbm>>) {
      ^bb0(%a: bf16, %o: bf16):
        linalg.yield %a : bf16
      }
      linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%tmp : memref<4x64x8xbf16, #trn.mem<hbm>>) outs(%y : memref<4x64x8xbf16, #trn.mem<hbm>>) {
      ^bb0(%a: bf16, %o: bf16):
        linalg.yield %a : bf16
      }
    }
    return
  }
}
