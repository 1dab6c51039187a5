"""``keras.datasets``: readers for data already on this machine (nothing is downloaded)."""

from workbench.keras.datasets import digits, fashion_mnist, mnist

__all__ = ["digits", "fashion_mnist", "mnist"]
