"""The local stack: which processes ``spotvortex up`` starts, and how it starts, watches and stops them."""
