// trn-quantize on device-form contractions (the output of trn-layout).
// RUN: trn-opt %s --split-input-file --trn-quantize="mode=fp8-e4m3 weight-scales=per-tensor" | FileCheck %s --check-prefix=TENSOR
// RUN: trn-opt %s --split-input-file --trn-quantize="mode=fp8-e4m3" | FileCheck %s --check-prefix=CHANNEL
// RUN: trn-opt %s --split-input-file --trn-quantize="mode=fp8-e5m2 weight-scales=per-tensor activation-scales=static activation-amax=8.0" | FileCheck %s --check-prefix=STATIC
// RUN: trn-opt %s --split-input-file --trn-quantize="mode=bf16" | FileCheck %s --check-prefix=BF16
// RUN: trn-opt %s --split-input-file --trn-quantize="mode=none debug-outputs=true" | FileCheck %s --check-prefix=NONE

// W[k, m] (columns = output channels) is a constant, x an argument.
// Per tensor: amax 4, s_w = 4/448: codes W/s_w = 112, 224, -448, 56 (exact in E4M3).
// TENSOR-LABEL: func.func @layer
// Device amax of x = max |x|: ONE full reduction (from -inf) into a rank-0 tensor.
// TENSOR: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// TENSOR: %[[INIT:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<f32>)
// TENSOR: %[[AMAX:.*]] = linalg.reduce ins(%arg0 : tensor<2x3xf32>) outs(%[[INIT]] : tensor<f32>) dimensions = [0, 1]
// TENSOR-NEXT: (%[[IN:.*]]: f32, %[[ACC:.*]]: f32) {
// TENSOR-NEXT: %[[ABS:.*]] = math.absf %[[IN]] : f32
// TENSOR-NEXT: %[[M:.*]] = arith.maximumf %[[ABS]], %[[ACC]] : f32
// TENSOR-NEXT: linalg.yield %[[M]] : f32
// TENSOR-NOT: linalg.reduce
// TENSOR: %[[XQ:.*]] = linalg.generic {{.*}} ins(%arg0, %[[AMAX]] : tensor<2x3xf32>, tensor<f32>) outs(%{{.*}} : tensor<2x3xf8E4M3FN>)
// scale = max(amax, tiny) / 448: 448 / max(amax, 1e-30)
// TENSOR-NOT: arith.negf
// TENSOR: arith.constant 1.000000e-30 : f32
// TENSOR: arith.maximumf
// TENSOR: arith.divf %{{.*}}, %{{.*}} : f32
// TENSOR: arith.truncf %{{.*}} : f32 to f8E4M3FN
// TENSOR: %[[W:.*]] = arith.constant dense<{{\[}}[1.120000e+02, 2.240000e+02], [-4.480000e+02, 5.600000e+01]]> : tensor<2x2xf8E4M3FN>
// TENSOR: %[[MM:.*]] = linalg.matmul {{.*}} ins(%[[W]], %[[XQ]] : tensor<2x2xf8E4M3FN>, tensor<2x3xf8E4M3FN>) outs(%{{.*}} : tensor<2x3xf32>)
// TENSOR: %[[D:.*]] = linalg.generic {{.*}} ins(%[[MM]], %[[AMAX]] : tensor<2x3xf32>, tensor<f32>)
// TENSOR: arith.mulf
// s_w / 448 = (4/448)/448
// TENSOR: arith.constant 1.992984{{.*}}E-5 : f32
// TENSOR: %[[R:.*]] = linalg.generic {{.*}} ins(%[[D]] : tensor<2x3xf32>)
// TENSOR: return %[[R]]

// Per channel (default): column amax 4 and 2: codes 112, 448 / -448, 112; the dequant
// multiplies row m of C by s_w[m] (a per-partition scale).
// CHANNEL-LABEL: func.func @layer
// CHANNEL: arith.constant dense<{{\[}}[1.120000e+02, 4.480000e+02], [-4.480000e+02, 1.120000e+02]]> : tensor<2x2xf8E4M3FN>
// CHANNEL: %[[MM:.*]] = linalg.matmul
// CHANNEL: %[[SV:.*]] = arith.constant dense<[0.00892857183, 0.00446428591]> : tensor<2xf32>
// CHANNEL: linalg.generic {{.*}} ins(%[[MM]], %[[SV]], %{{.*}} : tensor<2x3xf32>, tensor<2xf32>, tensor<f32>)

// Static (calibrated amax 8, E5M2 max 57344): x * (57344 / 8), dequant s_w * 8/57344.
// STATIC-LABEL: func.func @layer
// STATIC-NOT: linalg.reduce
// STATIC: arith.constant 7.168000e+03 : f32
// STATIC: arith.truncf %{{.*}} : f32 to f8E5M2
// STATIC: linalg.matmul {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x2xf8E5M2>, tensor<2x3xf8E5M2>)
// STATIC: linalg.generic
// STATIC: arith.mulf

// bf16: constants rounded at compile time, activations cast on the device, no rescale.
// BF16-LABEL: func.func @layer
// BF16: arith.truncf %{{.*}} : f32 to bf16
// BF16: arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [-4.000000e+00, 5.000000e-01]]> : tensor<2x2xbf16>
// BF16: %[[MM:.*]] = linalg.matmul {{.*}} : tensor<2x2xbf16>, tensor<2x3xbf16>)
// BF16-NEXT: linalg.generic {{.*}} ins(%[[MM]] : tensor<2x3xf32>)
// BF16-NEXT: ^bb0
// BF16-NEXT: arith.constant 0.0
// BF16-NEXT: arith.maximumf

// none + debug-outputs: the contraction result becomes an extra result named quant.op0.
// NONE-LABEL: func.func @layer
// NONE-SAME: -> (tensor<2x3xf32>, tensor<2x3xf32> {trn.name = "quant.op0"})
// NONE: %[[MM:.*]] = linalg.matmul
// NONE: return %{{.*}}, %[[MM]]
module attributes {trn.target = #trn.target<"trn2">} {
func.func @layer(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [-4.0, 0.5]]> : tensor<2x2xf32>
  %z = tensor.empty() : tensor<2x3xf32>
  %c0 = arith.constant 0.0 : f32
  %f = linalg.fill ins(%c0 : f32) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w, %x : tensor<2x2xf32>, tensor<2x3xf32>) outs(%f : tensor<2x3xf32>) -> tensor<2x3xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
       ins(%m : tensor<2x3xf32>) outs(%z : tensor<2x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.constant 0.0 : f32
    %v = arith.maximumf %a, %c : f32
    linalg.yield %v : f32
  } -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}
}
