"""Image steps from a check to MNIST-style digit images: locate, clean, split, normalize."""
