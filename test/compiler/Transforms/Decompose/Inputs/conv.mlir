func.func @conv_nchw(%x: tensor<2x3x7x7xf32>, %w: tensor<4x3x3x3xf32>, %o: tensor<2x4x3x2xf32>) -> tensor<2x4x3x2xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>}
       ins(%x, %w : tensor<2x3x7x7xf32>, tensor<4x3x3x3xf32>) outs(%o : tensor<2x4x3x2xf32>) -> tensor<2x4x3x2xf32>
  return %r : tensor<2x4x3x2xf32>
}

func.func @conv_nchw_padded(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %o: tensor<1x3x5x5xf32>) -> tensor<1x3x5x5xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x2x5x5xf32> to tensor<1x2x7x7xf32>
  %r = linalg.conv_2d_nchw_fchw ins(%p, %w : tensor<1x2x7x7xf32>, tensor<3x2x3x3xf32>) outs(%o : tensor<1x3x5x5xf32>) -> tensor<1x3x5x5xf32>
  return %r : tensor<1x3x5x5xf32>
}

func.func @conv_nhwc_hwcf(%x: tensor<2x6x7x3xf32>, %w: tensor<2x3x3x4xf32>, %o: tensor<2x2x3x4xf32>) -> tensor<2x2x3x4xf32> {
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<[2, 1]> : tensor<2xi64>, strides = dense<[2, 2]> : tensor<2xi64>}
       ins(%x, %w : tensor<2x6x7x3xf32>, tensor<2x3x3x4xf32>) outs(%o : tensor<2x2x3x4xf32>) -> tensor<2x2x3x4xf32>
  return %r : tensor<2x2x3x4xf32>
}

func.func @conv_nhwc_fhwc(%x: tensor<1x5x5x3xf32>, %w: tensor<4x2x2x3xf32>, %o: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %r = linalg.conv_2d_nhwc_fhwc ins(%x, %w : tensor<1x5x5x3xf32>, tensor<4x2x2x3xf32>) outs(%o : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %r : tensor<1x4x4x4xf32>
}

func.func @conv_ngchw_fgchw(%x: tensor<2x2x3x5x5xf32>, %w: tensor<4x2x3x2x2xf32>, %o: tensor<2x2x4x2x4xf32>) -> tensor<2x2x4x2x4xf32> {
  %r = linalg.conv_2d_ngchw_fgchw {dilations = dense<1> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>}
       ins(%x, %w : tensor<2x2x3x5x5xf32>, tensor<4x2x3x2x2xf32>) outs(%o : tensor<2x2x4x2x4xf32>) -> tensor<2x2x4x2x4xf32>
  return %r : tensor<2x2x4x2x4xf32>
}

func.func @conv_ngchw_gfchw(%x: tensor<1x3x2x4x4xf32>, %w: tensor<3x2x2x3x3xf32>, %o: tensor<1x3x2x2x2xf32>) -> tensor<1x3x2x2x2xf32> {
  %r = linalg.conv_2d_ngchw_gfchw ins(%x, %w : tensor<1x3x2x4x4xf32>, tensor<3x2x2x3x3xf32>) outs(%o : tensor<1x3x2x2x2xf32>) -> tensor<1x3x2x2x2xf32>
  return %r : tensor<1x3x2x2x2xf32>
}

func.func @conv_nhwgc_gfhwc(%x: tensor<2x5x5x2x3xf32>, %w: tensor<2x4x2x2x3xf32>, %o: tensor<2x2x2x2x4xf32>) -> tensor<2x2x2x2x4xf32> {
  %r = linalg.conv_2d_nhwgc_gfhwc {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %w : tensor<2x5x5x2x3xf32>, tensor<2x4x2x2x3xf32>) outs(%o : tensor<2x2x2x2x4xf32>) -> tensor<2x2x2x2x4xf32>
  return %r : tensor<2x2x2x2x4xf32>
}
