"""checkocr: reads the handwritten courtesy amount on a check on the CPU, with two ONNX readers fused."""

__version__ = "0.1.0"
