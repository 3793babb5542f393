"""checkocr: reads the handwritten courtesy amount on a check with an ONNX digit model on the CPU."""

__version__ = "0.1.0"
