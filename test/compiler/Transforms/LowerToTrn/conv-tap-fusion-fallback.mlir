// RUN: trn-opt --trn-lower-to-trn --trn-unroll %s | FileCheck %s

// Fallback: a fill-less on-chip accumulator that no earlier matmul wrote
// starts its own accumulation group (the first K chunk overwrites).
// CHECK-LABEL: func.func @fresh_psum
// CHECK:     %[[P:.*]] = trn.alloc() : memref<8x40xf32, #trn.mem<psum>>
// CHECK:     trn.matmul %{{.*}}, %{{.*}} -> %[[P]] : memref<16x8xf32
// CHECK-NOT: accumulate
// CHECK:     return
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @fresh_psum(%w: memref<16x8xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "w"},
                        %x: memref<16x40xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "x"},
                        %y: memref<8x40xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "y"}) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    scf.for %i = %c0 to %c1 step %c1 {
      %p = trn.alloc() : memref<8x40xf32, #trn.mem<psum>>
      %v = memref.reinterpret_cast %p to offset: [0], sizes: [8, 40], strides: [40, 1] : memref<8x40xf32, #trn.mem<psum>> to memref<8x40xf32, strided<[40, 1]>, #trn.mem<psum>>
      linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w, %x : memref<16x8xf32, #trn.mem<hbm>>, memref<16x40xf32, #trn.mem<hbm>>) outs(%v : memref<8x40xf32, strided<[40, 1]>, #trn.mem<psum>>)
      linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>], iterator_types = ["parallel", "parallel"]} ins(%v : memref<8x40xf32, strided<[40, 1]>, #trn.mem<psum>>) outs(%y : memref<8x40xf32, #trn.mem<hbm>>) {
      ^bb0(%a: f32, %o: f32):
        linalg.yield %a : f32
      }
    }
    return
  }
}
