// A small CNN: padded NHWC conv (constant weights) + bias + relu, 2x2 max
// pool, flatten, linear layer (constant W[out, in], PyTorch layout).
func.func @cnn(%x: tensor<2x6x6x3xf32>) -> tensor<2x5xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %w = arith.constant dense<[[[[0.5, -0.25, 0.75, 1.0], [0.25, 0.5, -1.0, 0.0], [-0.5, 1.5, 0.25, 0.5]],
                              [[1.0, 0.0, -0.25, 0.5], [0.75, -0.5, 0.5, 0.25], [0.0, 0.25, 1.0, -0.75]]],
                             [[[-1.0, 0.5, 0.0, 0.25], [0.5, 0.75, 0.25, -0.5], [0.25, -0.25, 0.5, 1.0]],
                              [[0.0, 1.0, 0.5, -0.25], [-0.75, 0.25, 0.0, 0.5], [1.0, 0.5, -0.5, 0.0]]]]> : tensor<2x2x3x4xf32>
  %b = arith.constant dense<[0.25, -0.5, 0.0, 0.75]> : tensor<4xf32>
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 0, 0, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<2x6x6x3xf32> to tensor<2x7x7x3xf32>
  %e = tensor.empty() : tensor<2x6x6x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x6x6x4xf32>) -> tensor<2x6x6x4xf32>
  %c = linalg.conv_2d_nhwc_hwcf ins(%p, %w : tensor<2x7x7x3xf32>, tensor<2x2x3x4xf32>) outs(%f : tensor<2x6x6x4xf32>) -> tensor<2x6x6x4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %b : tensor<2x6x6x4xf32>, tensor<4xf32>) outs(%e : tensor<2x6x6x4xf32>) {
  ^bb0(%v: f32, %bb: f32, %o: f32):
    %s = arith.addf %v, %bb : f32
    %t = arith.maximumf %s, %zero : f32
    linalg.yield %t : f32
  } -> tensor<2x6x6x4xf32>
  %pe = tensor.empty() : tensor<2x3x3x4xf32>
  %pf = linalg.fill ins(%ninf : f32) outs(%pe : tensor<2x3x3x4xf32>) -> tensor<2x3x3x4xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %pool = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
          ins(%r, %win : tensor<2x6x6x4xf32>, tensor<2x2xf32>) outs(%pf : tensor<2x3x3x4xf32>) -> tensor<2x3x3x4xf32>
  %flat = tensor.collapse_shape %pool [[0], [1, 2, 3]] : tensor<2x3x3x4xf32> into tensor<2x36xf32>
  %lw = arith.constant dense<0.125> : tensor<5x36xf32>
  %le = tensor.empty() : tensor<2x5xf32>
  %lf = linalg.fill ins(%zero : f32) outs(%le : tensor<2x5xf32>) -> tensor<2x5xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%flat, %lw : tensor<2x36xf32>, tensor<5x36xf32>) outs(%lf : tensor<2x5xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}
