// Serializer rules: tensor kinds inferred without trn.kind (written -> output),
// default names arg<i>, constants named after the global, scratch HBM tensors,
// memory-plan names from NameLoc, FP8 constants packed.
module attributes {trn.target = #trn.target<"trn2">} {
  memref.global "private" constant @w : memref<2x4xf8E4M3FN, #trn.mem<hbm>> = dense<[[1.0, 2.0, -0.5, 448.0], [0.0, 1.5, -3.0, 0.25]]>
  func.func @f(%x: memref<2x4xf32, #trn.mem<hbm>>, %y: memref<2x4xf32, #trn.mem<hbm>> {trn.name = "result"}) {
    %w = memref.get_global @w : memref<2x4xf8E4M3FN, #trn.mem<hbm>>
    %s = memref.alloc() : memref<2x4xf32, #trn.mem<hbm>>
    %t = trn.alloc() : memref<2x4xf32, #trn.mem<sbuf>> loc("xtile")
    %q = trn.alloc() : memref<2x4xf8E4M3FN, #trn.mem<sbuf>>
    trn.dma_copy %x -> %s : memref<2x4xf32, #trn.mem<hbm>> -> memref<2x4xf32, #trn.mem<hbm>>
    trn.dma_copy %s -> %t : memref<2x4xf32, #trn.mem<hbm>> -> memref<2x4xf32, #trn.mem<sbuf>>
    trn.dma_copy %w -> %q : memref<2x4xf8E4M3FN, #trn.mem<hbm>> -> memref<2x4xf8E4M3FN, #trn.mem<sbuf>>
    %p = trn.alloc() : memref<2x4xf32, #trn.mem<sbuf>>
    trn.tensor_copy %q -> %p : memref<2x4xf8E4M3FN, #trn.mem<sbuf>> -> memref<2x4xf32, #trn.mem<sbuf>>
    trn.tensor_tensor add %t, %p -> %t : memref<2x4xf32, #trn.mem<sbuf>>, memref<2x4xf32, #trn.mem<sbuf>> -> memref<2x4xf32, #trn.mem<sbuf>>
    trn.dma_copy %t -> %y : memref<2x4xf32, #trn.mem<sbuf>> -> memref<2x4xf32, #trn.mem<hbm>>
    return
  }
}
