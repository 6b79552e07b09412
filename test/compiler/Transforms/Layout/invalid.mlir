// RUN: trn-opt %s --split-input-file --trn-layout -verify-diagnostics

// A broadcast operand (no m dim on A) has no [K, M] tile.
func.func @broadcast_operand(%a: tensor<5xf32>, %b: tensor<5x4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'linalg.matmul' op cannot be brought to device form by trn-layout: operands with broadcast or batch-permuting indexing maps are not supported}}
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%a, %b : tensor<5xf32>, tensor<5x4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

// A batch operand that broadcasts over the batch dim.
func.func @batch_broadcast(%a: tensor<3x5xf32>, %b: tensor<2x5x4xf32>, %o: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  // expected-error @+1 {{'linalg.batch_matmul' op cannot be brought to device form by trn-layout}}
  %r = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
       ins(%a, %b : tensor<3x5xf32>, tensor<2x5x4xf32>) outs(%o : tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %r : tensor<2x3x4xf32>
}
