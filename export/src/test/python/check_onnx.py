"""Checks ONNX files with the reference checker (full_check: strict shape inference too).

Usage: /usr/bin/python3 check_onnx.py FILE...   (Debian's python3-onnx; exit 1 on the first error)
"""
import sys

import onnx


def main(paths):
    for path in paths:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        opsets = ",".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in model.opset_import)
        print(f"ok {path} ir={model.ir_version} opset={opsets} nodes={len(model.graph.node)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
