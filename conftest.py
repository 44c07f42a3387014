"""Test-session set-up shared by tests/ and the doctests in skdnn/."""

import importlib.util
import os

# scikit-learn's check_array_api_input runs only when SciPy's array-API support
# is switched on, which must happen before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# The ONNX export's doctests need the onnx extra (skl2onnx, onnxruntime);
# without it, tests/test_onnx.py skips, saying why.
_ONNX_EXTRA = ("skl2onnx", "onnx", "onnxruntime")
if not all(importlib.util.find_spec(name) for name in _ONNX_EXTRA):
    collect_ignore = ["skdnn/onnx.py", "skdnn/_to_onnx.py"]
