"""flipbot's trainer: LOSO deep-ensemble training and ONNX export (needs torch)."""
