// RUN: trn-opt --trn-lower-to-trn %s | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
module attributes {trn.target = #trn.target<"trn2">} {
  // exp(x*2 + 1) is one ScalarE activation writing the bf16 output tile
  // directly (the truncf rounds there), staged by DMA from and to HBM.
  // CHECK-LABEL: func.func @affine_exp
  // CHECK: %[[OUT:.*]] = trn.alloc() : memref<64x32xbf16, #trn.mem<sbuf>>
  // CHECK: %[[IN:.*]] = trn.alloc() : memref<64x32xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %arg0 -> %[[IN]]
  // CHECK-NEXT: trn.activation exp %[[IN]] -> %[[OUT]] scale(2.000000e+00) bias(1.000000e+00) : memref<64x32xf32, #trn.mem<sbuf>> -> memref<64x32xbf16, #trn.mem<sbuf>>
  // CHECK-NEXT: trn.dma_copy %[[OUT]] -> %arg1
  // CHECK-NEXT: return
  func.func @affine_exp(%x: memref<64x32xf32, #trn.mem<hbm>>, %y: memref<64x32xbf16, #trn.mem<hbm>>) {
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : memref<64x32xf32, #trn.mem<hbm>>) outs(%y : memref<64x32xbf16, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %o: bf16):
      %c2 = arith.constant 2.0 : f32
      %c1 = arith.constant 1.0 : f32
      %m = arith.mulf %a, %c2 : f32
      %s = arith.addf %m, %c1 : f32
      %e = math.exp %s : f32
      %t = arith.truncf %e : f32 to bf16
      linalg.yield %t : bf16
    }
    return
  }
  // 1 / (1 + exp(-x)) is recognised as sigmoid.
  // CHECK-LABEL: func.func @sigmoid_rsub
  // CHECK-NOT: trn.activation exp
  // CHECK: trn.activation sigmoid %[[X:.*]] -> %[[S:.*]] scale
  // CHECK-NEXT: trn.alloc
  // CHECK-NEXT: trn.tensor_tensor div %[[S]], %[[X]] -> %[[D:.*]] :
  // x * sigmoid(x) is silu.
  // CHECK-NEXT: trn.alloc
  // CHECK-NEXT: trn.activation silu %[[X]] -> %[[U:.*]] scale
  // CHECK-NEXT: trn.tensor_tensor add %[[D]], %[[U]]
  func.func @sigmoid_rsub(%x: memref<16x8xf32, #trn.mem<hbm>>, %y: memref<16x8xf32, #trn.mem<hbm>>) {
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : memref<16x8xf32, #trn.mem<hbm>>) outs(%y : memref<16x8xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %o: f32):
      %one = arith.constant 1.0 : f32
      %n = arith.negf %a : f32
      %e = math.exp %n : f32
      %d = arith.addf %one, %e : f32
      %s = arith.divf %one, %d : f32
      %r = arith.divf %s, %a : f32
      %q = arith.mulf %a, %s : f32
      %t = arith.addf %r, %q : f32
      linalg.yield %t : f32
    }
    return
  }
  // A row-broadcast input walks HBM with stride 0 on partitions, a
  // per-partition input becomes a [P, 1] column scalar; 3 - t folds into one
  // tensor_scalar (materialized once although used twice).
  // CHECK-LABEL: func.func @bcast
  // CHECK: %[[ROW:.*]] = memref.reinterpret_cast %arg1 to offset: [0], sizes: [16, 8], strides: [0, 1]
  // CHECK: trn.dma_copy %[[ROW]] -> %{{.*}} : memref<16x8xf32, strided<[0, 1]>, #trn.mem<hbm>> -> memref<16x8xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %arg2 -> %[[COL:.*]] : memref<16xf32, #trn.mem<hbm>> -> memref<16x1xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor sub
  // CHECK: trn.tensor_scalar %{{.*}} -> %{{.*}}, max(%[[COL]] : memref<16x1xf32, #trn.mem<sbuf>>)
  // CHECK: trn.tensor_scalar %{{.*}} -> %[[U:.*]], mul(-1.000000e+00), add(3.000000e+00)
  // CHECK-NOT: trn.tensor_scalar
  // CHECK: trn.tensor_tensor is_gt %[[U]], %{{.*}} -> %[[P:.*]] :
  // CHECK: trn.select %[[P]], %[[U]], %{{.*}} -> %{{.*}}
  func.func @bcast(%x: memref<16x8xf32, #trn.mem<hbm>>, %b: memref<8xf32, #trn.mem<hbm>>, %c: memref<16xf32, #trn.mem<hbm>>, %y: memref<16x8xf32, #trn.mem<hbm>>) {
    linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0)>, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %b, %c : memref<16x8xf32, #trn.mem<hbm>>, memref<8xf32, #trn.mem<hbm>>, memref<16xf32, #trn.mem<hbm>>) outs(%y : memref<16x8xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %p: f32, %q: f32, %o: f32):
      %s = arith.subf %a, %p : f32
      %t = arith.maximumf %s, %q : f32
      %three = arith.constant 3.0 : f32
      %u = arith.subf %three, %t : f32
      %cmp = arith.cmpf ogt, %u, %a : f32
      %r = arith.select %cmp, %u, %a : f32
      linalg.yield %r : f32
    }
    return
  }

  // A reversed 6-D input walk needs 6 access-pattern dims (the DMA has 5):
  // it is split into 32 DMAs (one per index of the free walk prefix), each a
  // [2] column into its column range of the SBUF tile; the output walk merges
  // into 3 dims and stays one DMA.
  // CHECK-LABEL: func.func @split
  // CHECK: %[[O:.*]] = trn.alloc() : memref<2x32xf32, #trn.mem<sbuf>>
  // CHECK: %[[T:.*]] = trn.alloc() : memref<2x32xf32, #trn.mem<sbuf>>
  // CHECK-COUNT-32: trn.dma_copy %{{.*}} -> %{{.*}} : memref<2xf32, strided<[16]{{.*}}>, #trn.mem<hbm>> -> memref<2x1xf32, strided<[32, 1]{{.*}}>, #trn.mem<sbuf>>
  // CHECK: trn.activation exp %[[T]] -> %[[O]]
  // CHECK: trn.dma_copy %[[O]] -> %{{.*}} : memref<2x32xf32, #trn.mem<sbuf>> -> memref<2x16x2xf32, strided<[2, 4, 1]>, #trn.mem<hbm>>
  // CHECK-NOT: trn.dma_copy
  func.func @split(%x: memref<2x2x2x2x2x2xf32, #trn.mem<hbm>>, %y: memref<2x2x2x2x2x2xf32, #trn.mem<hbm>>) {
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d5, d4, d3, d2, d1, d0)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<2x2x2x2x2x2xf32, #trn.mem<hbm>>) outs(%y : memref<2x2x2x2x2x2xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %o: f32):
      %e = math.exp %a : f32
      linalg.yield %e : f32
    }
    return
  }

  // GELU (erf form, as the importer emits it) applied to x + column is one
  // ScalarE activation with a bias tile; the tanh approximation likewise.
  // CHECK-LABEL: func.func @gelu
  // CHECK-NOT: trn.activation erf
  // CHECK: trn.activation gelu %{{.*}} -> %{{.*}} scale(1.000000e+00) bias(%{{.*}} : memref<16x1xf32, #trn.mem<sbuf>>)
  // CHECK-NOT: trn.tensor_tensor
  // CHECK: trn.activation gelu_tanh
  // CHECK-NOT: trn.tensor_tensor
  func.func @gelu(%x: memref<16x8xf32, #trn.mem<hbm>>, %c: memref<16xf32, #trn.mem<hbm>>, %y: memref<16x8xf32, #trn.mem<hbm>>, %z: memref<16x8xf32, #trn.mem<hbm>>) {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %c : memref<16x8xf32, #trn.mem<hbm>>, memref<16xf32, #trn.mem<hbm>>) outs(%y : memref<16x8xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %half = arith.constant 0.5 : f32
      %one = arith.constant 1.0 : f32
      %rs = arith.constant 0.707106769 : f32
      %v = arith.addf %a, %b : f32
      %h = arith.mulf %half, %v : f32
      %s = arith.mulf %v, %rs : f32
      %e = math.erf %s : f32
      %p = arith.addf %one, %e : f32
      %r = arith.mulf %h, %p : f32
      linalg.yield %r : f32
    }
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<16x8xf32, #trn.mem<hbm>>) outs(%z : memref<16x8xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %o: f32):
      %half = arith.constant 0.5 : f32
      %one = arith.constant 1.0 : f32
      %k = arith.constant 0.797884583 : f32
      %cc = arith.constant 0.044715 : f32
      %sq = arith.mulf %a, %a : f32
      %cu = arith.mulf %sq, %a : f32
      %t = arith.mulf %cc, %cu : f32
      %in = arith.addf %a, %t : f32
      %ki = arith.mulf %k, %in : f32
      %th = math.tanh %ki : f32
      %p = arith.addf %one, %th : f32
      %h = arith.mulf %half, %a : f32
      %r = arith.mulf %h, %p : f32
      linalg.yield %r : f32
    }
    return
  }
}
