#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (j)>
func.func @mlp3(%x: tensor<4x8xf32>, %w1: tensor<8x16xf32>, %b1: tensor<16xf32>, %w2: tensor<16x12xf32>, %b2: tensor<12xf32>, %w3: tensor<12x6xf32>) -> tensor<4x6xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<4x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m1 = linalg.matmul ins(%x, %w1 : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f1 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %a1 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<4x16xf32>, tensor<16xf32>) outs(%e1 : tensor<4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  %r1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a1 : tensor<4x16xf32>) outs(%e1 : tensor<4x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.maximumf %a, %zero : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  %e2 = tensor.empty() : tensor<4x12xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x12xf32>) -> tensor<4x12xf32>
  %m2 = linalg.matmul ins(%r1, %w2 : tensor<4x16xf32>, tensor<16x12xf32>) outs(%f2 : tensor<4x12xf32>) -> tensor<4x12xf32>
  %a2 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<4x12xf32>, tensor<12xf32>) outs(%e2 : tensor<4x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %t = arith.maximumf %s, %zero : f32
    linalg.yield %t : f32
  } -> tensor<4x12xf32>
  %e3 = tensor.empty() : tensor<4x6xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<4x6xf32>) -> tensor<4x6xf32>
  %m3 = linalg.matmul ins(%a2, %w3 : tensor<4x12xf32>, tensor<12x6xf32>) outs(%f3 : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %m3 : tensor<4x6xf32>
}
