module attributes {trn.target = #trn.target<"trn2">} {
  func.func @f(%x: memref<128x1024xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "x"},
               %y: memref<128x1024xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "y"}) {
    %a0 = trn.alloc() : memref<128x512xf32, #trn.mem<sbuf>>
    %x0 = memref.subview %x[0, 0] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    trn.dma_copy %x0 -> %a0 : memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %b0 = trn.alloc() : memref<128x512xf32, #trn.mem<sbuf>>
    trn.activation relu %a0 -> %b0 scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %y0 = memref.subview %y[0, 0] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    trn.dma_copy %b0 -> %y0 : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    %a1 = trn.alloc() : memref<128x512xf32, #trn.mem<sbuf>>
    %x1 = memref.subview %x[0, 512] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>>
    trn.dma_copy %x1 -> %a1 : memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %b1 = trn.alloc() : memref<128x512xf32, #trn.mem<sbuf>>
    trn.activation relu %a1 -> %b1 scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %y1 = memref.subview %y[0, 512] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>>
    trn.dma_copy %b1 -> %y1 : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>>
    return
  }
}
