# lit configuration for trnc's FileCheck and tool tests.
import os
import lit.formats
from lit.llvm import llvm_config

config.name = "trnc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell if llvm_config else True)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.trn_obj_root, "test")
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "unit", "Inputs", "CMakeLists.txt"]

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()
config.substitutions.append(("%PYTHON", config.python_executable))
config.substitutions.append(("%trn_src_root", config.trn_src_root))
config.substitutions.append(("%trn_bin", config.trn_tools_dir))

# Project tools first, then LLVM's FileCheck/not/count.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.trn_tools_dir, append_path=True)
llvm_config.with_environment("PYTHONPATH", os.path.join(config.trn_obj_root, "python"),
                             append_path=True)

tools = ["trn-opt", "trnc", "trn-run", "trn-objdump", "trnx-testgen"]
for t in tools:
    if os.path.exists(os.path.join(config.trn_tools_dir, t)):
        config.available_features.add(t)
llvm_config.add_tool_substitutions(
    [t for t in tools if os.path.exists(os.path.join(config.trn_tools_dir, t))],
    [config.trn_tools_dir])
