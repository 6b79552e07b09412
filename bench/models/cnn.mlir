// A small bf16 CNN for bench/utilization.py: two 3x3 convolutions with ReLU,
// batch 4 (NCHW). conv1 3 -> 64 channels on 66x66 (-> 64x64), conv2 64 -> 128
// channels (-> 62x62). trnc decomposes each convolution into shifted-window
// matmuls (docs/pipeline.md, stage 2).
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @cnn(%x: tensor<4x3x66x66xbf16>, %w1: tensor<64x3x3x3xbf16>,
               %w2: tensor<128x64x3x3xbf16>) -> tensor<4x128x62x62xbf16> {
  %zero = arith.constant 0.0 : bf16
  %e1 = tensor.empty() : tensor<4x64x64x64xbf16>
  %f1 = linalg.fill ins(%zero : bf16) outs(%e1 : tensor<4x64x64x64xbf16>) -> tensor<4x64x64x64xbf16>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
          ins(%x, %w1 : tensor<4x3x66x66xbf16>, tensor<64x3x3x3xbf16>) outs(%f1 : tensor<4x64x64x64xbf16>) -> tensor<4x64x64x64xbf16>
  %r1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
          ins(%c1 : tensor<4x64x64x64xbf16>) outs(%e1 : tensor<4x64x64x64xbf16>) {
  ^bb0(%a: bf16, %o: bf16):
    %m = arith.maximumf %a, %zero : bf16
    linalg.yield %m : bf16
  } -> tensor<4x64x64x64xbf16>
  %e2 = tensor.empty() : tensor<4x128x62x62xbf16>
  %f2 = linalg.fill ins(%zero : bf16) outs(%e2 : tensor<4x128x62x62xbf16>) -> tensor<4x128x62x62xbf16>
  %c2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
          ins(%r1, %w2 : tensor<4x64x64x64xbf16>, tensor<128x64x3x3xbf16>) outs(%f2 : tensor<4x128x62x62xbf16>) -> tensor<4x128x62x62xbf16>
  %r2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
          ins(%c2 : tensor<4x128x62x62xbf16>) outs(%e2 : tensor<4x128x62x62xbf16>) {
  ^bb0(%a: bf16, %o: bf16):
    %m = arith.maximumf %a, %zero : bf16
    linalg.yield %m : bf16
  } -> tensor<4x128x62x62xbf16>
  return %r2 : tensor<4x128x62x62xbf16>
}
