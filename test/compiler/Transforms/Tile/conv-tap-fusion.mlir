// RUN: trn-opt --trn-tile --split-input-file %s | FileCheck %s

// Tap chain (trn-decompose's form of a convolution): each tap's matmul
// accumulates through its `outs` into the previous one, the first into a view
// of the conv's zero fill. trn-tile starts the chain from a fresh f32 fill,
// ends it with an element-wise eviction generic into the original view, and
// tiles all of it in ONE (M, N) loop nest: fill, the three taps and the
// eviction share a tile (one PSUM accumulation group after bufferization).
// The conv's own 4-D fill is dead (the evictions overwrite all of it) and
// is dropped: the result is built in its tensor.empty.
// CHECK-LABEL: func.func @taps
// CHECK:     %[[OUT:.*]] = tensor.empty() : tensor<1x8x5x8xf32>
// CHECK-NOT: linalg.fill
// CHECK:     scf.for
// CHECK:       scf.for
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<8x40xf32>
// CHECK-NEXT:    %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<8x40xf32>)
// CHECK-NEXT:    %[[T0:.*]] = linalg.matmul {{.*}} outs(%[[F]] : tensor<8x40xf32>)
// CHECK-NEXT:    %[[T1:.*]] = linalg.matmul {{.*}} outs(%[[T0]] : tensor<8x40xf32>)
// CHECK-NEXT:    %[[T2:.*]] = linalg.matmul {{.*}} outs(%[[T1]] : tensor<8x40xf32>)
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[T2]] : tensor<8x40xf32>)
// CHECK:           arith.addf
// CHECK:         scf.yield
// CHECK:       scf.yield
// CHECK-NOT: scf.for
// CHECK-NOT: linalg.matmul
// CHECK:     %[[X:.*]] = tensor.expand_shape
// CHECK:     tensor.insert_slice %[[X]] into %[[OUT]]
// CHECK:     return
#mA = affine_map<(m, n, k) -> (k, m)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @taps(%w0: tensor<16x8xf32>, %w1: tensor<16x8xf32>, %w2: tensor<16x8xf32>, %x: tensor<16x5x10xf32>) -> tensor<1x8x5x8xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x8x5x8xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x8x5x8xf32>) -> tensor<1x8x5x8xf32>
    %s = tensor.extract_slice %f[0, 0, 0, 0] [1, 8, 5, 8] [1, 1, 1, 1] : tensor<1x8x5x8xf32> to tensor<8x5x8xf32>
    %acc = tensor.collapse_shape %s [[0], [1, 2]] : tensor<8x5x8xf32> into tensor<8x40xf32>
    %x0s = tensor.extract_slice %x[0, 0, 0] [16, 5, 8] [1, 1, 1] : tensor<16x5x10xf32> to tensor<16x5x8xf32>
    %x0 = tensor.collapse_shape %x0s [[0], [1, 2]] : tensor<16x5x8xf32> into tensor<16x40xf32>
    %x1s = tensor.extract_slice %x[0, 0, 1] [16, 5, 8] [1, 1, 1] : tensor<16x5x10xf32> to tensor<16x5x8xf32>
    %x1 = tensor.collapse_shape %x1s [[0], [1, 2]] : tensor<16x5x8xf32> into tensor<16x40xf32>
    %x2s = tensor.extract_slice %x[0, 0, 2] [16, 5, 8] [1, 1, 1] : tensor<16x5x10xf32> to tensor<16x5x8xf32>
    %x2 = tensor.collapse_shape %x2s [[0], [1, 2]] : tensor<16x5x8xf32> into tensor<16x40xf32>
    %t0 = linalg.matmul indexing_maps = [#mA, #mB, #mC] ins(%w0, %x0 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%acc : tensor<8x40xf32>) -> tensor<8x40xf32>
    %t1 = linalg.matmul indexing_maps = [#mA, #mB, #mC] ins(%w1, %x1 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%t0 : tensor<8x40xf32>) -> tensor<8x40xf32>
    %t2 = linalg.matmul indexing_maps = [#mA, #mB, #mC] ins(%w2, %x2 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%t1 : tensor<8x40xf32>) -> tensor<8x40xf32>
    %ex = tensor.expand_shape %t2 [[0], [1, 2]] output_shape [8, 5, 8] : tensor<8x40xf32> into tensor<8x5x8xf32>
    %r = tensor.insert_slice %ex into %f[0, 0, 0, 0] [1, 8, 5, 8] [1, 1, 1, 1] : tensor<8x5x8xf32> into tensor<1x8x5x8xf32>
    return %r : tensor<1x8x5x8xf32>
  }
}

// -----

// bf16 taps with a non-zero fill: the chain accumulates in f32 (widened
// taps) from a zero fill; the eviction adds the fill value and rounds once.
// CHECK-LABEL: func.func @bf16_taps
// CHECK:     scf.for
// CHECK:       scf.for
// CHECK:         %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<8x40xf32>)
// CHECK-NEXT:    %[[T0:.*]] = linalg.matmul {{.*}} ins(%{{.*}}, %{{.*}} : tensor<16x8xbf16>, tensor<16x40xbf16>) outs(%[[F]] : tensor<8x40xf32>)
// CHECK-NEXT:    %[[T1:.*]] = linalg.matmul {{.*}} outs(%[[T0]] : tensor<8x40xf32>)
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[T1]] : tensor<8x40xf32>) outs(%{{.*}} : tensor<8x40xbf16>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %{{.*}}: bf16):
// CHECK-NEXT:      %[[C:.*]] = arith.addf %[[IN]], %{{.*}} : f32
// CHECK-NEXT:      arith.truncf %[[C]] : f32 to bf16
// CHECK-NOT: linalg.matmul
// CHECK:     return
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @bf16_taps(%w0: tensor<16x8xbf16>, %w1: tensor<16x8xbf16>, %x0: tensor<16x40xbf16>, %x1: tensor<16x40xbf16>) -> tensor<8x40xbf16> {
    %one = arith.constant 1.0 : bf16
    %e = tensor.empty() : tensor<8x40xbf16>
    %f = linalg.fill ins(%one : bf16) outs(%e : tensor<8x40xbf16>) -> tensor<8x40xbf16>
    %t0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w0, %x0 : tensor<16x8xbf16>, tensor<16x40xbf16>) outs(%f : tensor<8x40xbf16>) -> tensor<8x40xbf16>
    %t1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w1, %x1 : tensor<16x8xbf16>, tensor<16x40xbf16>) outs(%t0 : tensor<8x40xbf16>) -> tensor<8x40xbf16>
    return %t1 : tensor<8x40xbf16>
  }
}

// -----

// The chain's result feeds an element-wise consumer with the same map (relu):
// eviction and relu join the tap group, one loop nest.
// CHECK-LABEL: func.func @taps_relu
// CHECK:     scf.for
// CHECK:       scf.for
// CHECK:         linalg.fill
// CHECK-NEXT:    linalg.matmul
// CHECK-NEXT:    %[[T1:.*]] = linalg.matmul
// CHECK:         %[[EV:.*]] = linalg.generic {{.*}} ins(%[[T1]] : tensor<8x40xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[EV]] : tensor<8x40xf32>)
// CHECK:           arith.maximumf
// CHECK-NOT: scf.for
// CHECK:     return
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @taps_relu(%w0: tensor<16x8xf32>, %w1: tensor<16x8xf32>, %x0: tensor<16x40xf32>, %x1: tensor<16x40xf32>) -> tensor<8x40xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8x40xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x40xf32>) -> tensor<8x40xf32>
    %t0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w0, %x0 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%f : tensor<8x40xf32>) -> tensor<8x40xf32>
    %t1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w1, %x1 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%t0 : tensor<8x40xf32>) -> tensor<8x40xf32>
    %g = linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>], iterator_types = ["parallel", "parallel"]} ins(%t1 : tensor<8x40xf32>) outs(%e : tensor<8x40xf32>) {
    ^bb0(%a: f32, %o: f32):
      %r = arith.maximumf %a, %z : f32
      linalg.yield %r : f32
    } -> tensor<8x40xf32>
    return %g : tensor<8x40xf32>
  }
}

// -----

// Negative: the first tap's result has a second use (it is returned), so the
// chain is broken there: no eviction generic, each tap keeps its own loop
// nest and accumulates through the HBM result as before.
// CHECK-LABEL: func.func @second_use
// CHECK-NOT: linalg.generic
// CHECK:     scf.for
// CHECK:       scf.for
// CHECK:         linalg.fill
// CHECK-NEXT:    linalg.matmul
// CHECK:     scf.for
// CHECK:       scf.for
// CHECK-NOT:     linalg.fill
// CHECK:         linalg.matmul
// CHECK-NOT: linalg.generic
// CHECK:     return
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @second_use(%w0: tensor<16x8xf32>, %w1: tensor<16x8xf32>, %x0: tensor<16x40xf32>, %x1: tensor<16x40xf32>) -> (tensor<8x40xf32>, tensor<8x40xf32>) {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8x40xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x40xf32>) -> tensor<8x40xf32>
    %t0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w0, %x0 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%f : tensor<8x40xf32>) -> tensor<8x40xf32>
    %t1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w1, %x1 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%t0 : tensor<8x40xf32>) -> tensor<8x40xf32>
    return %t0, %t1 : tensor<8x40xf32>, tensor<8x40xf32>
  }
}

// -----

// Fallback: the first accumulator is a function argument, not a fill; the
// chain keeps its form (each tap loads and updates the HBM accumulator).
// CHECK-LABEL: func.func @tensor_init
// CHECK-NOT: linalg.generic
// CHECK-NOT: linalg.fill
// CHECK:     linalg.matmul {{.*}} outs(%{{.*}} : tensor<8x40xf32>)
// CHECK:     scf.for
// CHECK:     linalg.matmul
// CHECK-NOT: linalg.generic
// CHECK:     return
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @tensor_init(%w0: tensor<16x8xf32>, %w1: tensor<16x8xf32>, %x0: tensor<16x40xf32>, %x1: tensor<16x40xf32>, %c: tensor<8x40xf32>) -> tensor<8x40xf32> {
    %t0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w0, %x0 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%c : tensor<8x40xf32>) -> tensor<8x40xf32>
    %t1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w1, %x1 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%t0 : tensor<8x40xf32>) -> tensor<8x40xf32>
    return %t1 : tensor<8x40xf32>
  }
}

// -----

// Two images, only image 0 computed by a tap chain: image 1 of the result
// keeps the fill's value, so the conv's fill stays (the chain still fuses).
// CHECK-LABEL: func.func @partial_cover
// CHECK:     %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x8x40xf32>)
// CHECK:     scf.for
// CHECK:       scf.for
// CHECK:         linalg.fill
// CHECK-NEXT:    linalg.matmul
// CHECK-NEXT:    linalg.matmul
// CHECK-NEXT:    linalg.generic
// CHECK:     tensor.insert_slice %{{.*}} into %[[F]][0, 0, 0]
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @partial_cover(%w0: tensor<16x8xf32>, %w1: tensor<16x8xf32>, %x0: tensor<16x40xf32>, %x1: tensor<16x40xf32>) -> tensor<2x8x40xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<2x8x40xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x8x40xf32>) -> tensor<2x8x40xf32>
    %acc = tensor.extract_slice %f[0, 0, 0] [1, 8, 40] [1, 1, 1] : tensor<2x8x40xf32> to tensor<8x40xf32>
    %t0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w0, %x0 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%acc : tensor<8x40xf32>) -> tensor<8x40xf32>
    %t1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w1, %x1 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%t0 : tensor<8x40xf32>) -> tensor<8x40xf32>
    %r = tensor.insert_slice %t1 into %f[0, 0, 0] [1, 8, 40] [1, 1, 1] : tensor<8x40xf32> into tensor<2x8x40xf32>
    return %r : tensor<2x8x40xf32>
  }
}

// -----

// Two images, both computed by tap chains (the second reads its accumulator
// from the first image's insert_slice result): both chains fuse, the fill
// is dropped.
// CHECK-LABEL: func.func @two_images
// CHECK:     %[[OUT:.*]] = tensor.empty() : tensor<2x8x40xf32>
// CHECK-NOT: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x8x40xf32>)
// CHECK:     scf.for
// CHECK:         linalg.generic
// CHECK:     %[[I0:.*]] = tensor.insert_slice %{{.*}} into %[[OUT]][0, 0, 0]
// CHECK:     scf.for
// CHECK:         linalg.generic
// CHECK:     tensor.insert_slice %{{.*}} into %[[I0]][1, 0, 0]
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @two_images(%w0: tensor<16x8xf32>, %w1: tensor<16x8xf32>, %x0: tensor<16x40xf32>, %x1: tensor<16x40xf32>) -> tensor<2x8x40xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<2x8x40xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x8x40xf32>) -> tensor<2x8x40xf32>
    %acc = tensor.extract_slice %f[0, 0, 0] [1, 8, 40] [1, 1, 1] : tensor<2x8x40xf32> to tensor<8x40xf32>
    %t0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w0, %x0 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%acc : tensor<8x40xf32>) -> tensor<8x40xf32>
    %t1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w1, %x1 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%t0 : tensor<8x40xf32>) -> tensor<8x40xf32>
    %r0 = tensor.insert_slice %t1 into %f[0, 0, 0] [1, 8, 40] [1, 1, 1] : tensor<8x40xf32> into tensor<2x8x40xf32>
    %acc1 = tensor.extract_slice %r0[1, 0, 0] [1, 8, 40] [1, 1, 1] : tensor<2x8x40xf32> to tensor<8x40xf32>
    %u0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w0, %x1 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%acc1 : tensor<8x40xf32>) -> tensor<8x40xf32>
    %u1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%w1, %x0 : tensor<16x8xf32>, tensor<16x40xf32>) outs(%u0 : tensor<8x40xf32>) -> tensor<8x40xf32>
    %r1 = tensor.insert_slice %u1 into %r0[1, 0, 0] [1, 8, 40] [1, 1, 1] : tensor<8x40xf32> into tensor<2x8x40xf32>
    return %r1 : tensor<2x8x40xf32>
  }
}
