"""Training: MNIST -> logistic, CNN and ResNet-50 candidates -> the best, calibrated, as ONNX.

Needs the ``train`` extra (TensorFlow); nothing in the serving path imports this package.
"""
