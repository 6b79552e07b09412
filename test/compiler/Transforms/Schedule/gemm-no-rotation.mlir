// RUN: trn-opt --trn-tile --trn-bufferize --trn-place-memory --trn-lower-to-trn --trn-unroll "--trn-allocate=rotate=false" --trn-schedule %s | FileCheck %s
// RUN: trn-opt --trn-tile --trn-bufferize --trn-place-memory --trn-lower-to-trn --trn-unroll --trn-allocate --trn-schedule %s | FileCheck %s --check-prefix=ROT
// Negative case of buffer rotation: with first-fit allocation the second
// output tile's loads reuse the bytes of the first tile's eviction buffer, so
// they must wait for the first store (write-after-read) and nothing is
// prefetched; with rotation (the default) all loads are issued up front.

// CHECK: trn.matmul {{.*}}wait = [s{{[0-9]+}} : 1, s{{[0-9]+}} : 1]
// CHECK: trn.tensor_copy
// CHECK: trn.dma_copy {{.*}}sync = #trn.sync<wait = [s2 : 1], signal = [s[[ST:[0-9]+]]]>}
// CHECK-NEXT: trn.dma_copy {{.*}}sync = #trn.sync<wait = [s[[ST]] : 1], signal
// CHECK-NEXT: trn.dma_copy {{.*}}sync = #trn.sync<wait = [s[[ST]] : 1], signal

// ROT-COUNT-4: trn.dma_copy {{.*}}{queue = "dma{{[0-9]+}}", sync = #trn.sync<signal = [s{{[0-9]+}}]>, trnc.no_reuse}
// ROT: trn.matmul
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "naive"} {
  func.func @gemm(%l: tensor<128x128xbf16>, %r: tensor<128x1024xbf16>) -> tensor<128x1024xf32> {
    %e = tensor.empty() : tensor<128x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<128x1024xf32>) -> tensor<128x1024xf32>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<128x128xbf16>, tensor<128x1024xbf16>) outs(%f : tensor<128x1024xf32>) -> tensor<128x1024xf32>
    return %m : tensor<128x1024xf32>
  }
}
