"""The checkocr HTTP service: FastAPI in front of the reader and the ONNX digit model."""
