import os
import sys

import pytest
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # mlir_ref, helpers
# Source tree fallback (scripts/test.sh puts build/python first, which holds the extension).
sys.path.append(os.path.join(os.path.dirname(HERE)))

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
