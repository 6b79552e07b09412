// RUN: trn-opt --trn-fuse-rows %s | FileCheck %s

// Softmax over the last dim of [4, 200, 64]: one loop nest over the 4 outer
// rows and 200 partition rows (a full 128-row tile and a peeled 72-row one);
// the input is staged once (read by the max and the exp), the statistics
// are [P] tiles, the division writes its slice of the result in place.
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @softmax(%x: tensor<4x200x64xf32>) -> tensor<4x200x64xf32> {
    %ninf = arith.constant 0xFF800000 : f32
    %zero = arith.constant 0.0 : f32
    %e0 = tensor.empty() : tensor<4x200xf32>
    %f0 = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<4x200xf32>) -> tensor<4x200xf32>
    %m = linalg.reduce ins(%x : tensor<4x200x64xf32>) outs(%f0 : tensor<4x200xf32>) dimensions = [2]
      (%in: f32, %acc: f32) {
        %r = arith.maximumf %in, %acc : f32
        linalg.yield %r : f32
      }
    %e1 = tensor.empty() : tensor<4x200x64xf32>
    %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m : tensor<4x200x64xf32>, tensor<4x200xf32>) outs(%e1 : tensor<4x200x64xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %d = arith.subf %a, %b : f32
      %e = math.exp %d : f32
      linalg.yield %e : f32
    } -> tensor<4x200x64xf32>
    %e2 = tensor.empty() : tensor<4x200xf32>
    %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x200xf32>) -> tensor<4x200xf32>
    %s = linalg.reduce ins(%ex : tensor<4x200x64xf32>) outs(%f2 : tensor<4x200xf32>) dimensions = [2]
      (%in: f32, %acc: f32) {
        %r = arith.addf %in, %acc : f32
        linalg.yield %r : f32
      }
    %e3 = tensor.empty() : tensor<4x200x64xf32>
    %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ex, %s : tensor<4x200x64xf32>, tensor<4x200xf32>) outs(%e3 : tensor<4x200x64xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %q = arith.divf %a, %b : f32
      linalg.yield %q : f32
    } -> tensor<4x200x64xf32>
    return %y : tensor<4x200x64xf32>
  }
}

// CHECK-LABEL: func.func @softmax
// CHECK:       %[[INIT:[a-z0-9_]+]] = tensor.empty() : tensor<4x200x64xf32>
// CHECK:       %[[MAIN:[a-z0-9_]+]] = scf.for %[[H:[a-z0-9_]+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[A:[a-z0-9_]+]] = %[[INIT]])
// CHECK:         scf.for %[[P:[a-z0-9_]+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[B:[a-z0-9_]+]] = %[[A]])
// CHECK:           %[[XS:[a-z0-9_]+]] = tensor.extract_slice %{{.+}}[%[[H]], %[[P]], 0] [1, 128, 64] [1, 1, 1] : tensor<4x200x64xf32> to tensor<128x64xf32>
// CHECK:           %[[XT:[a-z0-9_]+]] = linalg.copy ins(%[[XS]] : tensor<128x64xf32>)
// CHECK:           %[[MAX:[a-z0-9_]+]] = linalg.reduce ins(%[[XT]] : tensor<128x64xf32>) outs(%{{.+}} : tensor<128xf32>) dimensions = [1]
// CHECK:             arith.maximumf
// CHECK:           %[[EXP:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[XT]], %[[MAX]] : tensor<128x64xf32>, tensor<128xf32>)
// CHECK:             math.exp
// CHECK:           %[[SUM:[a-z0-9_]+]] = linalg.reduce ins(%[[EXP]] : tensor<128x64xf32>) outs(%{{.+}} : tensor<128xf32>) dimensions = [1]
// CHECK:           %[[DST:[a-z0-9_]+]] = tensor.extract_slice %[[B]][%[[H]], %[[P]], 0] [1, 128, 64] [1, 1, 1]
// CHECK:           %[[Y:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[EXP]], %[[SUM]] : tensor<128x64xf32>, tensor<128xf32>) outs(%[[DST]] : tensor<128x64xf32>)
// CHECK:             arith.divf
// CHECK:           tensor.insert_slice %[[Y]] into %[[B]][%[[H]], %[[P]], 0] [1, 128, 64] [1, 1, 1]
// The peeled remainder: rows 128..200 in one 72-row tile.
// CHECK:       scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %[[MAIN]])
// CHECK:         scf.for
// CHECK:           tensor.extract_slice %{{.+}} [1, 72, 64] [1, 1, 1] : tensor<4x200x64xf32> to tensor<72x64xf32>
// CHECK:           linalg.reduce {{.+}} outs(%{{.+}} : tensor<72xf32>) dimensions = [1]
// CHECK:           linalg.reduce {{.+}} outs(%{{.+}} : tensor<72xf32>) dimensions = [1]
// CHECK-NOT:   linalg.reduce
// CHECK:       return
