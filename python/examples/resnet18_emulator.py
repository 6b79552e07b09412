"""Compile a torchvision ResNet-18 (random weights, nothing downloaded) for trn2, run it on the
emulator, compare with PyTorch, print the run statistics and write a Perfetto profile.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/resnet18_emulator.py [--target trn2]
"""
import argparse
import time

import torch
import torchvision

import trnc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", default="trn2", choices=["trn1", "trn2", "trn3"])
    ap.add_argument("--size", type=int, default=64, help="input height/width")
    ap.add_argument("--profile", default="resnet18.trace.json")
    ap.add_argument("--save", default="resnet18.trnx")
    args = ap.parse_args()

    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None, num_classes=10).eval()
    x = torch.randn(1, 3, args.size, args.size)

    imported = trnc.import_model(model, (x,))
    print(f"imported: {len(imported.mlir) / 1e6:.1f} MB of linalg MLIR "
          f"({imported.mlir.count('linalg.conv_2d')} convolutions, batch norms folded)")
    t0 = time.perf_counter()
    try:
        cm = trnc.compile(model, (x,), target=args.target)
    except trnc.CompileError as e:
        print("the compiler rejected the model:\n" + str(e)[:2000])
        return 1
    print(f"compiled for {args.target} in {time.perf_counter() - t0:.1f} s")

    y = cm.run(x, profile=args.profile)
    with torch.no_grad():
        ref = model(x)
    print(f"max |trnc - torch| = {(y - ref).abs().max().item():.3g}")
    print(cm.stats_table)
    print(f"profile written to {args.profile} (open in https://ui.perfetto.dev)")
    cm.save(args.save)
    print(f"program saved to {args.save}; reload with trnc.load({args.save!r})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
