// RUN: trn-opt %s --split-input-file --trn-decompose -verify-diagnostics

// A conv whose input padding is not a constant cannot become window slices
// of a padded tensor.
func.func @pad_not_constant(%x: tensor<1x2x4x4xf32>, %w: tensor<3x2x3x3xf32>, %o: tensor<1x3x4x4xf32>, %v: f32) -> tensor<1x3x4x4xf32> {
  // expected-note @+2 {{padding op}}
  // expected-error @+1 {{'tensor.pad' op cannot be decomposed by trn-decompose: the padding value must be a constant}}
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    %i = arith.index_cast %c : index to i32
    %f = arith.sitofp %i : i32 to f32
    tensor.yield %f : f32
  } : tensor<1x2x4x4xf32> to tensor<1x2x6x6xf32>
  // expected-error @+1 {{'linalg.conv_2d_nchw_fchw' op cannot be decomposed by trn-decompose: the input is padded by a tensor.pad whose padding value is not a constant; supported: constant padding (e.g. zero)}}
  %r = linalg.conv_2d_nchw_fchw ins(%p, %w : tensor<1x2x6x6xf32>, tensor<3x2x3x3xf32>) outs(%o : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  return %r : tensor<1x3x4x4xf32>
}

// -----

// A padding value computed from a function argument is not a compile-time
// constant either.
func.func @pad_argument_value(%x: tensor<4xf32>, %v: f32) -> tensor<6xf32> {
  // expected-error @+1 {{'tensor.pad' op cannot be decomposed by trn-decompose: the padding value must be a constant}}
  %p = tensor.pad %x low[1] high[1] {
  ^bb0(%a: index):
    tensor.yield %v : f32
  } : tensor<4xf32> to tensor<6xf32>
  return %p : tensor<6xf32>
}

// -----

// A reduction whose body reads the accumulator twice has no plain combiner.
func.func @not_a_combiner(%x: tensor<3x4xf32>, %o: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'linalg.generic' op cannot be decomposed by trn-decompose: reductions must be `out = combine(out, f(inputs))`}}
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<3x4xf32>) outs(%o : tensor<3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    %t = arith.mulf %s, %acc : f32
    linalg.yield %t : f32
  } -> tensor<3xf32>
  return %r : tensor<3xf32>
}

// -----

// Subtraction is not an associative combiner.
func.func @sub_combiner(%x: tensor<3x4xf32>, %o: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'linalg.generic' op cannot be decomposed by trn-decompose}}
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<3x4xf32>) outs(%o : tensor<3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.subf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  return %r : tensor<3xf32>
}

// -----

// Ops outside the supported input set are reported, not silently kept.
func.func @unsupported(%x: tensor<1x4x4x4x1xf32>, %w: tensor<1x1x1x1x1xf32>) -> tensor<1x4x4x4x1xf32> {
  // expected-error @+1 {{'linalg.conv_3d_ndhwc_dhwcf' op cannot be decomposed by trn-decompose: no rewrite to the stage-2 op set applies}}
  %r = linalg.conv_3d_ndhwc_dhwcf ins(%x, %w : tensor<1x4x4x4x1xf32>, tensor<1x1x1x1x1xf32>) outs(%x : tensor<1x4x4x4x1xf32>) -> tensor<1x4x4x4x1xf32>
  return %r : tensor<1x4x4x4x1xf32>
}
