// OCP MX lowering (trn3): trn-quantize's scaled contraction becomes `mode  mx`
// matmuls over 512-deep K chunks ([128, 4, F] codes, [4, 4, F] E8M0 scales;
// element k = k0 + 128 r + p, its scale at partition p / 32, row r), a K tail
// zero-padded on chip (codes 0, scale 1.0 = code 127); an activation's
// quantization becomes one trn.quantize_mx per [K <= 128, F] tile.
// RUN: trn-opt --trn-lower-to-trn %s | FileCheck %s

#mL = affine_map<(m, n, k) -> (k, m)>
#mR = affine_map<(m, n, k) -> (k, n)>
#sL = affine_map<(m, n, k) -> (k floordiv 32, m)>
#sR = affine_map<(m, n, k) -> (k floordiv 32, n)>
#mO = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(k, x) -> (k, x)>
#blk = affine_map<(k, x) -> (k floordiv 32, x)>
module attributes {trn.target = #trn.target<"trn3">} {
  // K = 1000: a full 512-deep chunk, each operand tile one DMA walking
  // (p, r, c) = HBM row k0 + 128 r + p (strides [N, 128 N, 1]), the [4, 4, F]
  // scales likewise (block k0/32 + 4 r + q: strides [N, 4 N, 1]); then 488
  // rows: three full rows and 104 partitions of the fourth, zero-filled
  // first, one DMA per row; the scale blocks 16..31 all exist.
  // CHECK-LABEL: func.func @mx_k1000
  // CHECK:      %[[L0:.*]] = trn.alloc() : memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>
  // CHECK:      %[[LS0:.*]] = trn.alloc() : memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>
  // CHECK-NOT:  trn.memset
  // CHECK:      trn.dma_copy %{{.*}} -> %[[L0]] : memref<128x4x128xf8E4M3FN, strided<[128, 16384, 1]>, #trn.mem<hbm>> -> memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>
  // CHECK-NEXT: memref.reinterpret_cast
  // CHECK-NEXT: trn.dma_copy %{{.*}} -> %[[LS0]] : memref<4x4x128xf8E8M0FNU, strided<[128, 512, 1]>, #trn.mem<hbm>> -> memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>
  // CHECK:      %[[R0:.*]] = trn.alloc() : memref<128x4x256xf8E4M3FN, #trn.mem<sbuf>>
  // CHECK:      %[[RS0:.*]] = trn.alloc() : memref<4x4x256xf8E8M0FNU, #trn.mem<sbuf>>
  // CHECK:      trn.matmul %[[L0]], %[[R0]] scales(%[[LS0]], %[[RS0]] : memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>, memref<4x4x256xf8E8M0FNU, #trn.mem<sbuf>>) -> %[[ACC:.*]] mode  mx : memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x4x256xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x256xf32, #trn.mem<psum>>
  // CHECK:      %[[L1:.*]] = trn.alloc() : memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>
  // CHECK:      trn.memset 0.000000e+00 -> %[[L1]]
  // CHECK:      trn.dma_copy %{{.*}} -> %{{.*}} : memref<104x128xf8E4M3FN, {{.*}}> -> memref<104x1x128xf8E4M3FN
  // CHECK-NOT:  trn.memset 1.000000e+00
  // CHECK:      trn.matmul %[[L1]], %{{.*}} scales(%{{.*}}, %{{.*}} : memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>, memref<4x4x256xf8E8M0FNU, #trn.mem<sbuf>>) -> %[[ACC]] mode  mx {accumulate}
  // CHECK-NOT:  trn.matmul
  // CHECK:      trn.activation identity %[[ACC]]
  func.func @mx_k1000(%l: memref<1000x128xf8E4M3FN, #trn.mem<hbm>>, %r: memref<1000x256xf8E4M3FN, #trn.mem<hbm>>,
                      %ls: memref<32x128xf8E8M0FNU, #trn.mem<hbm>>, %rs: memref<32x256xf8E8M0FNU, #trn.mem<hbm>>,
                      %y: memref<128x256xf32, #trn.mem<hbm>>) {
    %z = arith.constant 0.0 : f32
    linalg.fill ins(%z : f32) outs(%y : memref<128x256xf32, #trn.mem<hbm>>)
    linalg.generic {indexing_maps = [#mL, #mR, #sL, #sR, #mO], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%l, %r, %ls, %rs : memref<1000x128xf8E4M3FN, #trn.mem<hbm>>, memref<1000x256xf8E4M3FN, #trn.mem<hbm>>, memref<32x128xf8E8M0FNU, #trn.mem<hbm>>, memref<32x256xf8E8M0FNU, #trn.mem<hbm>>)
        outs(%y : memref<128x256xf32, #trn.mem<hbm>>) attrs = {trnc.mx_contraction} {
    ^bb0(%a: f8E4M3FN, %b: f8E4M3FN, %sa: f8E8M0FNU, %sb: f8E8M0FNU, %o: f32):
      %x = arith.scaling_extf %a, %sa : f8E4M3FN, f8E8M0FNU to f32
      %w = arith.scaling_extf %b, %sb : f8E4M3FN, f8E8M0FNU to f32
      %p = arith.mulf %x, %w : f32
      %s = arith.addf %o, %p : f32
      linalg.yield %s : f32
    }
    return
  }

  // K = 72 (not a multiple of 32): one chunk of 32 partitions x 4 rows; rows
  // 0, 1 full, row 2 holds 8 partitions, row 3 none: codes zero-filled; 3
  // scale blocks for 4 rows: the scale tile is filled with 1.0 first.
  // CHECK-LABEL: func.func @mx_k72
  // CHECK:      %[[L:.*]] = trn.alloc() : memref<32x4x128xf8E4M3FN, #trn.mem<sbuf>>
  // CHECK:      %[[LS:.*]] = trn.alloc() : memref<1x4x128xf8E8M0FNU, #trn.mem<sbuf>>
  // CHECK:      trn.memset 0.000000e+00 -> %[[L]]
  // CHECK-COUNT-2: trn.dma_copy %{{.*}} -> %{{.*}} : memref<32x128xf8E4M3FN, {{.*}}> -> memref<32x1x128xf8E4M3FN
  // CHECK:      trn.dma_copy %{{.*}} -> %{{.*}} : memref<8x128xf8E4M3FN, {{.*}}> -> memref<8x1x128xf8E4M3FN
  // CHECK:      trn.memset 1.000000e+00 -> %[[LS]]
  // CHECK-COUNT-3: trn.dma_copy %{{.*}} -> %{{.*}} : memref<1x128xf8E8M0FNU, {{.*}}> -> memref<1x1x128xf8E8M0FNU
  // CHECK:      trn.matmul %[[L]], %{{.*}} scales(%[[LS]], %{{.*}} : memref<1x4x128xf8E8M0FNU, #trn.mem<sbuf>>, memref<1x4x64xf8E8M0FNU, #trn.mem<sbuf>>) -> %{{.*}} mode  mx :
  // CHECK-NOT:  trn.matmul
  func.func @mx_k72(%l: memref<72x128xf8E4M3FN, #trn.mem<hbm>>, %r: memref<72x64xf8E4M3FN, #trn.mem<hbm>>,
                    %ls: memref<3x128xf8E8M0FNU, #trn.mem<hbm>>, %rs: memref<3x64xf8E8M0FNU, #trn.mem<hbm>>,
                    %y: memref<128x64xf32, #trn.mem<hbm>>) {
    %z = arith.constant 0.0 : f32
    linalg.fill ins(%z : f32) outs(%y : memref<128x64xf32, #trn.mem<hbm>>)
    linalg.generic {indexing_maps = [#mL, #mR, #sL, #sR, #mO], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%l, %r, %ls, %rs : memref<72x128xf8E4M3FN, #trn.mem<hbm>>, memref<72x64xf8E4M3FN, #trn.mem<hbm>>, memref<3x128xf8E8M0FNU, #trn.mem<hbm>>, memref<3x64xf8E8M0FNU, #trn.mem<hbm>>)
        outs(%y : memref<128x64xf32, #trn.mem<hbm>>) attrs = {trnc.mx_contraction} {
    ^bb0(%a: f8E4M3FN, %b: f8E4M3FN, %sa: f8E8M0FNU, %sb: f8E8M0FNU, %o: f32):
      %x = arith.scaling_extf %a, %sa : f8E4M3FN, f8E8M0FNU to f32
      %w = arith.scaling_extf %b, %sb : f8E4M3FN, f8E8M0FNU to f32
      %p = arith.mulf %x, %w : f32
      %s = arith.addf %o, %p : f32
      linalg.yield %s : f32
    }
    return
  }

  // MXFP4 weights: the FP4 codes are staged like FP8 (K = 256: 64 partitions x 4 rows, no padding).
  // CHECK-LABEL: func.func @mx_fp4
  // CHECK: %[[L:.*]] = trn.alloc() : memref<64x4x128xf4E2M1FN, #trn.mem<sbuf>>
  // CHECK-NOT: trn.memset
  // CHECK: trn.dma_copy %{{.*}} -> %[[L]] : memref<64x4x128xf4E2M1FN, strided<[128, 8192, 1]>, #trn.mem<hbm>> -> memref<64x4x128xf4E2M1FN, #trn.mem<sbuf>>
  // CHECK: trn.matmul %[[L]], %{{.*}} scales(%{{.*}}, %{{.*}} : memref<2x4x128xf8E8M0FNU, #trn.mem<sbuf>>, memref<2x4x64xf8E8M0FNU, #trn.mem<sbuf>>) -> %{{.*}} mode  mx : memref<64x4x128xf4E2M1FN, #trn.mem<sbuf>>, memref<64x4x64xf8E4M3FN, #trn.mem<sbuf>>
  func.func @mx_fp4(%l: memref<256x128xf4E2M1FN, #trn.mem<hbm>>, %r: memref<256x64xf8E4M3FN, #trn.mem<hbm>>,
                    %ls: memref<8x128xf8E8M0FNU, #trn.mem<hbm>>, %rs: memref<8x64xf8E8M0FNU, #trn.mem<hbm>>,
                    %y: memref<128x64xf32, #trn.mem<hbm>>) {
    %z = arith.constant 0.0 : f32
    linalg.fill ins(%z : f32) outs(%y : memref<128x64xf32, #trn.mem<hbm>>)
    linalg.generic {indexing_maps = [#mL, #mR, #sL, #sR, #mO], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%l, %r, %ls, %rs : memref<256x128xf4E2M1FN, #trn.mem<hbm>>, memref<256x64xf8E4M3FN, #trn.mem<hbm>>, memref<8x128xf8E8M0FNU, #trn.mem<hbm>>, memref<8x64xf8E8M0FNU, #trn.mem<hbm>>)
        outs(%y : memref<128x64xf32, #trn.mem<hbm>>) attrs = {trnc.mx_contraction} {
    ^bb0(%a: f4E2M1FN, %b: f8E4M3FN, %sa: f8E8M0FNU, %sb: f8E8M0FNU, %o: f32):
      %x = arith.scaling_extf %a, %sa : f4E2M1FN, f8E8M0FNU to f32
      %w = arith.scaling_extf %b, %sb : f8E4M3FN, f8E8M0FNU to f32
      %p = arith.mulf %x, %w : f32
      %s = arith.addf %o, %p : f32
      linalg.yield %s : f32
    }
    return
  }

  // MXFP4 with a K tail (K = 72): FP4 cannot be memset, so rows 2 and 3 of the
  // FP4 tile first get a copy of real rows 0..31 (finite codes), then row 2
  // its own 8 rows; the E4M3 operand's padding is zero, so those products
  // vanish. Every access starts at partition 0.
  // CHECK-LABEL: func.func @mx_fp4_tail
  // CHECK:      %[[L:.*]] = trn.alloc() : memref<32x4x128xf4E2M1FN, #trn.mem<sbuf>>
  // CHECK-NOT:  trn.memset 0.000000e+00 -> %[[L]]
  // CHECK-COUNT-2: trn.dma_copy %{{.*}} -> %{{.*}} : memref<32x128xf4E2M1FN, {{.*}}> -> memref<32x1x128xf4E2M1FN
  // CHECK:      trn.dma_copy %{{.*}} -> %{{.*}} : memref<32x128xf4E2M1FN, strided<[128, 1]>, #trn.mem<hbm>> -> memref<32x1x128xf4E2M1FN, strided<[512, 128, 1], offset: 256>, #trn.mem<sbuf>>
  // CHECK-NEXT: memref.subview
  // CHECK-NEXT: memref.subview
  // CHECK-NEXT: trn.dma_copy %{{.*}} -> %{{.*}} : memref<8x128xf4E2M1FN, strided<[128, 1], offset: 8192>, #trn.mem<hbm>> -> memref<8x1x128xf4E2M1FN, strided<[512, 128, 1], offset: 256>, #trn.mem<sbuf>>
  // CHECK:      trn.dma_copy %{{.*}} -> %{{.*}} : memref<32x128xf4E2M1FN, strided<[128, 1]>, #trn.mem<hbm>> -> memref<32x1x128xf4E2M1FN, strided<[512, 128, 1], offset: 384>, #trn.mem<sbuf>>
  // CHECK:      trn.memset 1.000000e+00 -> %{{.*}} : memref<1x4x128xf8E8M0FNU, #trn.mem<sbuf>>
  // CHECK:      %[[R:.*]] = trn.alloc() : memref<32x4x64xf8E4M3FN, #trn.mem<sbuf>>
  // CHECK:      trn.memset 0.000000e+00 -> %[[R]]
  // CHECK:      trn.matmul %[[L]], %[[R]] scales({{.*}}) -> %{{.*}} mode  mx :
  func.func @mx_fp4_tail(%l: memref<72x128xf4E2M1FN, #trn.mem<hbm>>, %r: memref<72x64xf8E4M3FN, #trn.mem<hbm>>,
                         %ls: memref<3x128xf8E8M0FNU, #trn.mem<hbm>>, %rs: memref<3x64xf8E8M0FNU, #trn.mem<hbm>>,
                         %y: memref<128x64xf32, #trn.mem<hbm>>) {
    %z = arith.constant 0.0 : f32
    linalg.fill ins(%z : f32) outs(%y : memref<128x64xf32, #trn.mem<hbm>>)
    linalg.generic {indexing_maps = [#mL, #mR, #sL, #sR, #mO], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%l, %r, %ls, %rs : memref<72x128xf4E2M1FN, #trn.mem<hbm>>, memref<72x64xf8E4M3FN, #trn.mem<hbm>>, memref<3x128xf8E8M0FNU, #trn.mem<hbm>>, memref<3x64xf8E8M0FNU, #trn.mem<hbm>>)
        outs(%y : memref<128x64xf32, #trn.mem<hbm>>) attrs = {trnc.mx_contraction} {
    ^bb0(%a: f4E2M1FN, %b: f8E4M3FN, %sa: f8E8M0FNU, %sb: f8E8M0FNU, %o: f32):
      %x = arith.scaling_extf %a, %sa : f4E2M1FN, f8E8M0FNU to f32
      %w = arith.scaling_extf %b, %sb : f8E4M3FN, f8E8M0FNU to f32
      %p = arith.mulf %x, %w : f32
      %s = arith.addf %o, %p : f32
      linalg.yield %s : f32
    }
    return
  }

  // Activation quantization, K = 200: tiles of 128 and 72 partitions; the
  // second is padded to 96 (zero-filled) for three 32-partition blocks. The
  // block amax and its fill produce nothing (quantize_mx computes the amax).
  // CHECK-LABEL: func.func @quantize
  // CHECK-NOT:  trn.memset
  // CHECK:      %[[X0:.*]] = trn.alloc() : memref<128x256xf32, #trn.mem<sbuf>>
  // CHECK:      trn.dma_copy %{{.*}} -> %[[X0]]
  // CHECK:      %[[Q0:.*]] = trn.alloc() : memref<128x256xf8E4M3FN, #trn.mem<sbuf>>
  // CHECK:      %[[S0:.*]] = trn.alloc() : memref<4x256xf8E8M0FNU, #trn.mem<sbuf>>
  // CHECK:      trn.quantize_mx %[[X0]] -> %[[Q0]], %[[S0]] : memref<128x256xf32, #trn.mem<sbuf>> -> memref<128x256xf8E4M3FN, #trn.mem<sbuf>>, memref<4x256xf8E8M0FNU, #trn.mem<sbuf>>
  // CHECK:      trn.dma_copy %[[Q0]] -> %{{.*}} : memref<128x256xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x256xf8E4M3FN, strided<[256, 1]>, #trn.mem<hbm>>
  // CHECK:      trn.dma_copy %[[S0]] -> %{{.*}} : memref<4x256xf8E8M0FNU, #trn.mem<sbuf>> -> memref<4x256xf8E8M0FNU, strided<[256, 1]>, #trn.mem<hbm>>
  // CHECK:      %[[X1:.*]] = trn.alloc() : memref<96x256xf32, #trn.mem<sbuf>>
  // CHECK:      trn.memset 0.000000e+00 -> %[[X1]]
  // CHECK:      trn.dma_copy %{{.*}} -> %{{.*}} : memref<72x256xf32, {{.*}}> -> memref<72x256xf32, strided<[256, 1]>, #trn.mem<sbuf>>
  // CHECK:      trn.quantize_mx %[[X1]] -> %[[Q1:.*]], %[[S1:.*]] : memref<96x256xf32, #trn.mem<sbuf>> -> memref<96x256xf8E4M3FN, #trn.mem<sbuf>>, memref<3x256xf8E8M0FNU, #trn.mem<sbuf>>
  // CHECK:      trn.dma_copy %{{.*}} -> %{{.*}} : memref<72x256xf8E4M3FN, strided<[256, 1]>, #trn.mem<sbuf>> -> memref<72x256xf8E4M3FN
  // CHECK:      trn.dma_copy %[[S1]] -> %{{.*}} : memref<3x256xf8E8M0FNU, #trn.mem<sbuf>> -> memref<3x256xf8E8M0FNU
  // CHECK-NOT:  linalg.
  func.func @quantize(%x: memref<200x256xf32, #trn.mem<hbm>>, %q: memref<200x256xf8E4M3FN, #trn.mem<hbm>>,
                      %s: memref<7x256xf8E8M0FNU, #trn.mem<hbm>>) {
    %z = arith.constant 0.0 : f32
    %a = memref.alloc() : memref<7x256xf32, #trn.mem<hbm>>
    linalg.fill ins(%z : f32) outs(%a : memref<7x256xf32, #trn.mem<hbm>>)
    linalg.generic {indexing_maps = [#id, #blk], iterator_types = ["reduction", "parallel"]}
        ins(%x : memref<200x256xf32, #trn.mem<hbm>>) outs(%a : memref<7x256xf32, #trn.mem<hbm>>) attrs = {trnc.mx_block_amax} {
    ^bb0(%in: f32, %o: f32):
      %v = math.absf %in : f32
      %m = arith.maximumf %o, %v : f32
      linalg.yield %m : f32
    }
    // The element rule (OCP scale from the block amax) is trn-quantize's; the
    // lowering emits trn.quantize_mx, which implements it.
    linalg.generic {indexing_maps = [#id, #blk, #id, #blk], iterator_types = ["parallel", "parallel"]}
        ins(%x, %a : memref<200x256xf32, #trn.mem<hbm>>, memref<7x256xf32, #trn.mem<hbm>>)
        outs(%q, %s : memref<200x256xf8E4M3FN, #trn.mem<hbm>>, memref<7x256xf8E8M0FNU, #trn.mem<hbm>>) attrs = {trnc.mx_quantize} {
    ^bb0(%in: f32, %am: f32, %oq: f8E4M3FN, %os: f8E8M0FNU):
      %sc = arith.truncf %am : f32 to f8E8M0FNU
      %c = arith.scaling_truncf %in, %sc : f32, f8E8M0FNU to f8E4M3FN
      linalg.yield %c, %sc : f8E4M3FN, f8E8M0FNU
    }
    return
  }
}
