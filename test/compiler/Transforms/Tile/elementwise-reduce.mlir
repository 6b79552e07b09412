// RUN: trn-opt --trn-tile %s | FileCheck %s

module attributes {trn.target = #trn.target<"trn2">} {
  // 300 rows on partitions (128 + 128 + peeled 44), 5000 free elements in
  // tiles of the SBUF/16 budget (2048 f32) with a peeled 904 remainder.
  // CHECK-LABEL: func.func @ew
  // CHECK: scf.for {{.*}} = %c0 to %c256 step %c128
  // CHECK:   scf.for {{.*}} = %c0 to %c4096 step %c2048
  // CHECK:     linalg.generic {{.*}} ins({{.*}} : tensor<128x2048xf32>, tensor<2048xf32>) outs({{.*}} : tensor<128x2048xf32>)
  // CHECK:   scf.for {{.*}} = %c4096 to %c5000 step %c2048
  // CHECK:     linalg.generic {{.*}} outs({{.*}} : tensor<128x904xf32>)
  // CHECK: scf.for {{.*}} = %c256 to %c300 step %c128
  // CHECK:     linalg.generic {{.*}} outs({{.*}} : tensor<44x2048xf32>)
  // CHECK:     linalg.generic {{.*}} outs({{.*}} : tensor<44x904xf32>)
  func.func @ew(%a: tensor<300x5000xf32>, %b: tensor<5000xf32>) -> tensor<300x5000xf32> {
    %e = tensor.empty() : tensor<300x5000xf32>
    %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a, %b : tensor<300x5000xf32>, tensor<5000xf32>) outs(%e : tensor<300x5000xf32>) {
    ^bb0(%x: f32, %y: f32, %o: f32):
      %s = arith.addf %x, %y : f32
      linalg.yield %s : f32
    } -> tensor<300x5000xf32>
    return %r : tensor<300x5000xf32>
  }

  // The first kept dim (200) goes on partitions; reduced dims stay whole.
  // CHECK-LABEL: func.func @red
  // CHECK: scf.for {{.*}} = %c0 to %c128 step %c128
  // CHECK:   linalg.fill {{.*}} -> tensor<128xf32>
  // CHECK:   linalg.reduce ins({{.*}} : tensor<4x128x64xf32>) outs({{.*}} : tensor<128xf32>) dimensions = [0, 2]
  // CHECK: scf.for {{.*}} = %c128 to %c200 step %c128
  // CHECK:   linalg.reduce ins({{.*}} : tensor<4x72x64xf32>)
  func.func @red(%a: tensor<4x200x64xf32>) -> tensor<200xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<200xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<200xf32>) -> tensor<200xf32>
    %r = linalg.reduce ins(%a : tensor<4x200x64xf32>) outs(%f : tensor<200xf32>) dimensions = [0, 2]
      (%x: f32, %acc: f32) {
        %s = arith.addf %x, %acc : f32
        linalg.yield %s : f32
      }
    return %r : tensor<200xf32>
  }

  // A full reduction (rank-0 result) stays untiled.
  // CHECK-LABEL: func.func @full
  // CHECK-NOT: scf.for
  // CHECK: linalg.reduce
  func.func @full(%a: tensor<3x5xf32>) -> tensor<f32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<f32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<f32>) -> tensor<f32>
    %r = linalg.reduce ins(%a : tensor<3x5xf32>) outs(%f : tensor<f32>) dimensions = [0, 1]
      (%x: f32, %acc: f32) {
        %s = arith.maximumf %x, %acc : f32
        linalg.yield %s : f32
      }
    return %r : tensor<f32>
  }

  // trn1 has the same limits; 1x1 is one single-iteration tile that survives.
  // CHECK-LABEL: func.func @tiny
  // CHECK: scf.for {{.*}} = %c0 to %c1 step %c128
  // CHECK:   scf.for {{.*}} = %c0 to %c1 step %c1
  // CHECK:     linalg.generic {{.*}} outs({{.*}} : tensor<1x1xf32>)
  func.func @tiny(%a: tensor<1x1xf32>) -> tensor<1x1xf32> {
    %e = tensor.empty() : tensor<1x1xf32>
    %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<1x1xf32>) outs(%e : tensor<1x1xf32>) {
    ^bb0(%x: f32, %o: f32):
      %s = math.exp %x : f32
      linalg.yield %s : f32
    } -> tensor<1x1xf32>
    return %r : tensor<1x1xf32>
  }
}
