"""A small CNN in the seed's shape (Conv2D → Conv2D → MaxPooling2D → Dropout → Flatten → Dense →
Dropout → Dense softmax) trained with Adam on scikit-learn's 8×8 digits through
``workbench.keras``: training and validation loss and accuracy per epoch, as ``fit`` returns them
(the training numbers are measured with dropout on, so they trail the validation ones).

Needs scikit-learn (the ``datasets`` extra) for the bundled digits.
Writes keras_training.png.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import workbench as wb
from workbench import keras
from workbench import plot as wbplot

OUT = Path(__file__).parent / "_out"


def seed_cnn() -> keras.Sequential:
    """The seed's CNN, scaled to 8×8 inputs (8 and 16 filters instead of 32 and 64)."""
    return keras.Sequential([
        keras.layers.Conv2D(8, (3, 3), activation="relu", input_shape=(8, 8, 1)),
        keras.layers.Conv2D(16, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Dropout(0.25),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])


def train(epochs: int):
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = x_train[..., None] / 16.0, x_test[..., None] / 16.0
    wb.random.set_seed(0)
    model = seed_cnn()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=64, epochs=epochs,
                        validation_data=(x_test, y_test), verbose=0)
    return history.history, model.count_params()


def main(argv=None) -> list[Path]:
    args = wbplot.script_args(argv, __doc__, OUT)
    curves, params = train(epochs=4 if args.quick else 15)
    epochs = range(1, len(curves["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 4.0))
    left.plot(epochs, curves["loss"], "o-", label="training")
    left.plot(epochs, curves["val_loss"], "s--", label="validation")
    left.set_ylabel("sparse categorical cross-entropy")
    right.plot(epochs, curves["accuracy"], "o-", label="training")
    right.plot(epochs, curves["val_accuracy"], "s--", label="validation")
    right.axhline(0.1, color="0.6", lw=0.8, ls=":", label="chance")
    right.set_ylabel("accuracy")
    right.set_ylim(0.0, 1.0)
    for ax in (left, right):
        ax.set_xlabel("epoch")
        ax.legend()
    fig.suptitle(f"the seed CNN on 8×8 digits ({params:,} parameters, Adam, dropout): "
                 f"validation accuracy {curves['val_accuracy'][-1]:.1%}")
    fig.tight_layout()
    return [wbplot.save(fig, args.out, "keras_training.png", dpi=110)]


if __name__ == "__main__":
    for path in main():
        print(path)
