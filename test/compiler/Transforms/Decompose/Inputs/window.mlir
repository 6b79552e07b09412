func.func @dw_nchw(%x: tensor<2x3x6x6xf32>, %w: tensor<3x3x2xf32>, %o: tensor<2x3x2x4xf32>) -> tensor<2x3x2x4xf32> {
  %r = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>}
       ins(%x, %w : tensor<2x3x6x6xf32>, tensor<3x3x2xf32>) outs(%o : tensor<2x3x2x4xf32>) -> tensor<2x3x2x4xf32>
  return %r : tensor<2x3x2x4xf32>
}

func.func @dw_nhwc(%x: tensor<1x5x5x4xf32>, %w: tensor<3x3x4xf32>, %o: tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32> {
  %r = linalg.depthwise_conv_2d_nhwc_hwc ins(%x, %w : tensor<1x5x5x4xf32>, tensor<3x3x4xf32>) outs(%o : tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
  return %r : tensor<1x3x3x4xf32>
}

func.func @dw_nhwc_mult(%x: tensor<2x5x5x3xf32>, %w: tensor<2x2x3x2xf32>, %o: tensor<2x2x2x3x2xf32>) -> tensor<2x2x2x3x2xf32> {
  %r = linalg.depthwise_conv_2d_nhwc_hwcm {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %w : tensor<2x5x5x3xf32>, tensor<2x2x3x2xf32>) outs(%o : tensor<2x2x2x3x2xf32>) -> tensor<2x2x2x3x2xf32>
  return %r : tensor<2x2x2x3x2xf32>
}

func.func @pool_nchw_max(%x: tensor<1x2x5x5xf32>, %o: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %win = tensor.empty() : tensor<3x3xf32>
  %r = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %win : tensor<1x2x5x5xf32>, tensor<3x3xf32>) outs(%o : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %r : tensor<1x2x2x2xf32>
}

func.func @pool_nchw_sum(%x: tensor<2x2x4x4xf32>, %o: tensor<2x2x2x3xf32>) -> tensor<2x2x2x3xf32> {
  %win = tensor.empty() : tensor<2x2xf32>
  %r = linalg.pooling_nchw_sum {dilations = dense<[2, 1]> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %win : tensor<2x2x4x4xf32>, tensor<2x2xf32>) outs(%o : tensor<2x2x2x3xf32>) -> tensor<2x2x2x3xf32>
  return %r : tensor<2x2x2x3xf32>
}

func.func @pool_nhwc_max(%x: tensor<1x4x4x3xf32>, %o: tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %win = tensor.empty() : tensor<2x2xf32>
  %r = linalg.pooling_nhwc_max ins(%x, %win : tensor<1x4x4x3xf32>, tensor<2x2xf32>) outs(%o : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  return %r : tensor<1x3x3x3xf32>
}

func.func @pool_nhwc_min(%x: tensor<1x4x4x3xf32>, %o: tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32> {
  %win = tensor.empty() : tensor<2x2xf32>
  %r = linalg.pooling_nhwc_min {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %win : tensor<1x4x4x3xf32>, tensor<2x2xf32>) outs(%o : tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  return %r : tensor<1x2x2x3xf32>
}

// Average pooling as frontends emit it (count_include_pad): zero-pad, sum
// pooling from a zero init, multiply by 1/(KH*KW).
func.func @pool_nhwc_avg(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x2xf32> to tensor<1x6x6x2xf32>
  %e = tensor.empty() : tensor<1x4x4x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %win = tensor.empty() : tensor<3x3xf32>
  %s = linalg.pooling_nhwc_sum ins(%p, %win : tensor<1x6x6x2xf32>, tensor<3x3xf32>) outs(%f : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %scale = arith.constant dense<0.111111112> : tensor<1x4x4x2xf32>
  %r = linalg.mul ins(%s, %scale : tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) outs(%e : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  return %r : tensor<1x4x4x2xf32>
}
