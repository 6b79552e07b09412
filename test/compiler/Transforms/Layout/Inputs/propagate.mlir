// The user transposes a matmul result after an element-wise op: the
// transpose is absorbed (generic relayout + swapped matmul).
func.func @transposed_consumer(%a: tensor<3x5xf32>, %b: tensor<5x4xf32>) -> tensor<4x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %m = linalg.matmul ins(%a, %b : tensor<3x5xf32>, tensor<5x4xf32>) outs(%f : tensor<3x4xf32>) -> tensor<3x4xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<3x4xf32>) outs(%e : tensor<3x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = math.tanh %x : f32
    linalg.yield %y : f32
  } -> tensor<3x4xf32>
  %et = tensor.empty() : tensor<4x3xf32>
  %r = linalg.transpose ins(%t : tensor<3x4xf32>) outs(%et : tensor<4x3xf32>) permutation = [1, 0]
  return %r : tensor<4x3xf32>
}

// Two transposes cancel.
func.func @cancel_pair(%a: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %e1 = tensor.empty() : tensor<4x3xf32>
  %t1 = linalg.transpose ins(%a : tensor<3x4xf32>) outs(%e1 : tensor<4x3xf32>) permutation = [1, 0]
  %e2 = tensor.empty() : tensor<3x4xf32>
  %t2 = linalg.transpose ins(%t1 : tensor<4x3xf32>) outs(%e2 : tensor<3x4xf32>) permutation = [1, 0]
  return %t2 : tensor<3x4xf32>
}

// An element-wise generic reading a transpose reads its source directly.
func.func @generic_reads_transposed(%a: tensor<4x3xf32>, %b: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %e1 = tensor.empty() : tensor<3x4xf32>
  %t = linalg.transpose ins(%a : tensor<4x3xf32>) outs(%e1 : tensor<3x4xf32>) permutation = [1, 0]
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%t, %b : tensor<3x4xf32>, tensor<3x4xf32>) outs(%e1 : tensor<3x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.subf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}
