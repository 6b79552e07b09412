// RUN: trn-opt --trn-lower-to-trn %s | FileCheck %s
// Regression (--quant=bf16 with a constant 1024x1024 weight failed with
// "blocked matmul expects a zero accumulator fill"): bufferization leaves
// the zero fill of C before the loop nest converting the activation operand
// to bf16. The blocked GEMM overwrites all of C, so its fill is found past
// ops that do not touch C and absorbed (no zeroing of C in HBM).

#map = affine_map<(d0, d1) -> (d1, d0)>
#map1 = affine_map<(d0, d1) -> (d0, d1)>
#map2 = affine_map<(d0, d1, d2) -> (d2, d0)>
#map3 = affine_map<(d0, d1, d2) -> (d2, d1)>
#map4 = affine_map<(d0, d1, d2) -> (d0, d1)>
module attributes {trn.target = #trn.target<"trn3">} {
  // CHECK-LABEL: func.func @fill_before_conversion
  // CHECK-NOT: trn.memset
  // CHECK: trn.matmul
  // CHECK-NOT: trn.memset
  // CHECK: return
  func.func @fill_before_conversion(%x: memref<128x128xf32, #trn.mem<hbm>>, %w: memref<128x512xbf16, #trn.mem<hbm>>, %out: memref<128x512xf32, #trn.mem<hbm>>) {
    %c128 = arith.constant 128 : index
    %c0 = arith.constant 0 : index
    %cst = arith.constant 0.000000e+00 : f32
    linalg.fill ins(%cst : f32) outs(%out : memref<128x512xf32, #trn.mem<hbm>>)
    %alloc = memref.alloc() {alignment = 64 : i64} : memref<128x128xbf16, #trn.mem<hbm>>
    %1 = scf.for %i = %c0 to %c128 step %c128 iter_args(%a = %alloc) -> (memref<128x128xbf16, #trn.mem<hbm>>) {
      linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel"]} ins(%x : memref<128x128xf32, #trn.mem<hbm>>) outs(%alloc : memref<128x128xbf16, #trn.mem<hbm>>) {
      ^bb0(%in: f32, %o: bf16):
        %3 = arith.truncf %in : f32 to bf16
        linalg.yield %3 : bf16
      }
      scf.yield %alloc : memref<128x128xbf16, #trn.mem<hbm>>
    }
    linalg.matmul indexing_maps = [#map2, #map3, #map4] {trnc.matmul_plan = {acc = "f32", bk = 1 : i64, bm = 1 : i64, bn = 1 : i64, estimated_ns = 8884.0 : f64, sbuf_bytes = 7680 : i64, strategy = "block-mnk"}} ins(%alloc, %w : memref<128x128xbf16, #trn.mem<hbm>>, memref<128x512xbf16, #trn.mem<hbm>>) outs(%out : memref<128x512xf32, #trn.mem<hbm>>)
    return
  }
}
