func.func @softmax_last(%x: tensor<3x5xf32>, %o: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %r = linalg.softmax dimension(1) ins(%x : tensor<3x5xf32>) outs(%o : tensor<3x5xf32>) -> tensor<3x5xf32>
  return %r : tensor<3x5xf32>
}

func.func @softmax_mid(%x: tensor<2x4x3xf32>) -> tensor<2x4x3xf32> {
  %e = tensor.empty() : tensor<2x4x3xf32>
  %r = linalg.softmax dimension(1) ins(%x : tensor<2x4x3xf32>) outs(%e : tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
  return %r : tensor<2x4x3xf32>
}

func.func @matvec(%a: tensor<4x3xf32>, %x: tensor<3xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.matvec ins(%a, %x : tensor<4x3xf32>, tensor<3xf32>) outs(%y : tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

func.func @vecmat(%x: tensor<3xf32>, %a: tensor<3x5xf32>, %y: tensor<5xf32>) -> tensor<5xf32> {
  %r = linalg.vecmat ins(%x, %a : tensor<3xf32>, tensor<3x5xf32>) outs(%y : tensor<5xf32>) -> tensor<5xf32>
  return %r : tensor<5xf32>
}

func.func @batch_matvec(%a: tensor<2x4x3xf32>, %x: tensor<2x3xf32>, %y: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = linalg.batch_matvec ins(%a, %x : tensor<2x4x3xf32>, tensor<2x3xf32>) outs(%y : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

func.func @batch_vecmat(%x: tensor<2x3xf32>, %a: tensor<2x3x4xf32>, %y: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = linalg.batch_vecmat ins(%x, %a : tensor<2x3xf32>, tensor<2x3x4xf32>) outs(%y : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

func.func @dot(%x: tensor<6xf32>, %y: tensor<6xf32>, %o: tensor<f32>) -> tensor<f32> {
  %r = linalg.dot ins(%x, %y : tensor<6xf32>, tensor<6xf32>) outs(%o : tensor<f32>) -> tensor<f32>
  return %r : tensor<f32>
}

func.func @named_elementwise(%a: tensor<3x4xf32>, %b: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %e = tensor.empty() : tensor<3x4xf32>
  %s = linalg.sub ins(%a, %b : tensor<3x4xf32>, tensor<3x4xf32>) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %m = linalg.max ins(%s, %a : tensor<3x4xf32>, tensor<3x4xf32>) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %n = linalg.negf ins(%m : tensor<3x4xf32>) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %x = linalg.elementwise kind=#linalg.elementwise_kind<exp> ins(%n : tensor<3x4xf32>) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %t = arith.addf %x, %b : tensor<3x4xf32>
  %u = math.tanh %t : tensor<3x4xf32>
  return %u : tensor<3x4xf32>
}

// Sum of squares over dim 1 into [3]: square (element-wise) + reduce add.
func.func @sum_of_squares(%x: tensor<3x4xf32>, %o: tensor<3xf32>) -> tensor<3xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<3x4xf32>) outs(%o : tensor<3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  return %r : tensor<3xf32>
}

// Mean over dims 0 and 2 of a transposed view, output order (d2, d1)...
// here: out[j] = sum_{i,k} x[k, j, i] * 0.25 (scaled contributions).
func.func @mean_scaled(%x: tensor<2x3x4xf32>, %o: tensor<3xf32>) -> tensor<3xf32> {
  %q = arith.constant 0.25 : f32
  %r = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (k, j, i)>, affine_map<(i, j, k) -> (j)>],
                       iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%x : tensor<2x3x4xf32>) outs(%o : tensor<3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.mulf %a, %q : f32
    %t = arith.addf %s, %acc : f32
    linalg.yield %t : f32
  } -> tensor<3xf32>
  return %r : tensor<3xf32>
}

// Max of |x| into a transposed output: out[j, i] = max_k |x[i, k, j]|.
func.func @max_abs_transposed_out(%x: tensor<2x3x4xf32>, %o: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, k, j) -> (i, k, j)>, affine_map<(i, k, j) -> (j, i)>],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x : tensor<2x3x4xf32>) outs(%o : tensor<4x2xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %b = math.absf %a : f32
    %t = arith.maximumf %acc, %b : f32
    linalg.yield %t : f32
  } -> tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}

// A contraction written as a generic (A^T B) becomes a named matmul.
func.func @generic_contraction(%a: tensor<3x4xf32>, %b: tensor<3x5xf32>, %o: tensor<4x5xf32>) -> tensor<4x5xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<3x4xf32>, tensor<3x5xf32>) outs(%o : tensor<4x5xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x5xf32>
  return %r : tensor<4x5xf32>
}
