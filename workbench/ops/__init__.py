"""Built-in primitives, one module per family; each primitive's rules sit together in one block."""
