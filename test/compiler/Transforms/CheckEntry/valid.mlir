// The supported input subset passes unchanged; the default target is attached.
// RUN: trn-opt %s --trn-check-entry | FileCheck %s
// RUN: trn-opt %s --trn-check-entry=default-target=trn1 | FileCheck %s --check-prefix=TRN1

// CHECK: module attributes {trn.target = #trn.target<"trn2">}
// TRN1: module attributes {trn.target = #trn.target<"trn1">}
// CHECK-LABEL: func.func @mlp
func.func @mlp(%x: tensor<4x8xf32>, %w: tensor<8x16xbf16>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  // CHECK: linalg.matmul
  %m = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xbf16>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<4x16xf32>, tensor<16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %i = linalg.index 1 : index
    %t = arith.maximumf %s, %zero : f32
    linalg.yield %t : f32
  } -> tensor<4x16xf32>
  %p = tensor.pad %r low[1, 0] high[1, 0] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<4x16xf32> to tensor<6x16xf32>
  %s = tensor.extract_slice %p[1, 0] [4, 16] [1, 1] : tensor<6x16xf32> to tensor<4x16xf32>
  %cond = arith.cmpf ogt, %s, %r : tensor<4x16xf32>
  %sel = arith.select %cond, %s, %r : tensor<4x16xi1>, tensor<4x16xf32>
  %ex = math.exp %sel : tensor<4x16xf32>
  return %ex : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @conv
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %o: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) outs(%o : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %s = linalg.softmax dimension(1) ins(%c : tensor<1x4x6x6xf32>) outs(%o : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %s : tensor<1x4x6x6xf32>
}
