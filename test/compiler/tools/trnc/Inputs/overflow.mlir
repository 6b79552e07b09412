// Two live 120000-byte tiles exceed trn2's SBUF partition.
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @f(%x: memref<128x30000xf32, #trn.mem<hbm>>, %y: memref<128x30000xf32, #trn.mem<hbm>>) {
    %a = trn.alloc() : memref<128x30000xf32, #trn.mem<sbuf>>
    trn.dma_copy %x -> %a : memref<128x30000xf32, #trn.mem<hbm>> -> memref<128x30000xf32, #trn.mem<sbuf>>
    // the second tile
    %b = trn.alloc() : memref<128x30000xf32, #trn.mem<sbuf>>
    trn.dma_copy %x -> %b : memref<128x30000xf32, #trn.mem<hbm>> -> memref<128x30000xf32, #trn.mem<sbuf>>
    trn.tensor_tensor add %a, %b -> %b : memref<128x30000xf32, #trn.mem<sbuf>>, memref<128x30000xf32, #trn.mem<sbuf>> -> memref<128x30000xf32, #trn.mem<sbuf>>
    trn.dma_copy %b -> %y : memref<128x30000xf32, #trn.mem<sbuf>> -> memref<128x30000xf32, #trn.mem<hbm>>
    return
  }
}
