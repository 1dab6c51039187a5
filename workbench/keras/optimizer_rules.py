"""The update rules of Keras 3's optimizers beyond SGD/Adam/RMSprop, as pure functions of
(value, grad, slots, step, hyperparameters) in workbench ops, and the gradient clipping."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.ops import elementwise as ew
from workbench.ops.arrays import clip_by_norm
from workbench.optim import Optimizer, Slots
from workbench.tensor import Tensor, Variable, constant
from workbench.tf_more import clip_by_global_norm


def _step(step: Any, value: Any) -> Any:
    """The step count in ``value``'s dtype (Keras casts it to the variable's dtype)."""
    return ew.cast(step, ew.dtype_of(value))


def adam_amsgrad_rule(value: Any, grad: Any, slots: Slots, step: Any, *, learning_rate: Any,
                      beta_1: float, beta_2: float, epsilon: float) -> tuple[Any, Slots]:
    """Adam with ``v_hat = max(v_hat, v)`` in the denominator (``Adam(amsgrad=True)``).

    >>> import numpy as np
    >>> z = np.zeros(())
    >>> new, _ = adam_amsgrad_rule(np.array(1.0), np.array(2.0), (z, z, z), 1, learning_rate=0.1,
    ...                            beta_1=0.9, beta_2=0.999, epsilon=0.0)
    >>> round(float(new), 6)
    0.9
    """
    m, v, v_hat = slots
    t = _step(step, value)
    alpha = learning_rate * ew.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
    m = m + (grad - m) * (1.0 - beta_1)
    v = v + (grad * grad - v) * (1.0 - beta_2)
    v_hat = ew.maximum(v_hat, v)
    return value - m * alpha / (ew.sqrt(v_hat) + epsilon), (m, v, v_hat)


def adagrad_rule(value: Any, grad: Any, slots: Slots, step: Any, *, learning_rate: Any,
                 epsilon: float) -> tuple[Any, Slots]:
    """``acc += g²``; ``value - lr g / sqrt(acc + epsilon)``.

    >>> import numpy as np
    >>> new, (acc,) = adagrad_rule(np.array(1.0), np.array(1.0), (np.array(0.0),), 1,
    ...                            learning_rate=0.5, epsilon=0.0)
    >>> float(new), float(acc)
    (0.5, 1.0)
    """
    (acc,) = slots
    acc = acc + grad * grad
    return value - learning_rate * grad / ew.sqrt(acc + epsilon), (acc,)


def adamax_rule(value: Any, grad: Any, slots: Slots, step: Any, *, learning_rate: Any,
                beta_1: float, beta_2: float, epsilon: float) -> tuple[Any, Slots]:
    """``m += (1 - beta_1)(g - m)``, ``u = max(beta_2 u, |g|)``,
    ``value - lr m / ((1 - beta_1^t)(u + epsilon))``.

    >>> import numpy as np
    >>> z = np.zeros(())
    >>> new, _ = adamax_rule(np.array(1.0), np.array(-2.0), (z, z), 1, learning_rate=0.1,
    ...                      beta_1=0.9, beta_2=0.999, epsilon=0.0)
    >>> round(float(new), 6)
    1.1
    """
    m, u = slots
    m = m + (grad - m) * (1.0 - beta_1)
    u = ew.maximum(beta_2 * u, ew.abs(grad))
    correction = 1.0 - beta_1 ** _step(step, value)
    return value - learning_rate * m / (correction * (u + epsilon)), (m, u)


def nadam_rule(value: Any, grad: Any, slots: Slots, step: Any, *, learning_rate: Any,
               beta_1: float, beta_2: float, epsilon: float,
               u_product: Any) -> tuple[Any, Slots]:
    """Nadam (Keras 3): momentum schedule ``u_t = beta_1 (1 - 0.5 * 0.96^t)``; ``u_product`` is
    the product of ``u_1 ... u_t`` (the optimizer keeps it, updated once per step).

    ``m_hat = u_{t+1} m / (1 - u_product u_{t+1}) + (1 - u_t) g / (1 - u_product)``,
    ``v_hat = v / (1 - beta_2^t)``, ``value - lr m_hat / (sqrt(v_hat) + epsilon)``.

    >>> import numpy as np
    >>> z = np.zeros(())
    >>> u1 = 0.9 * (1 - 0.5 * 0.96)
    >>> new, _ = nadam_rule(np.array(1.0), np.array(2.0), (z, z), 1, learning_rate=0.1,
    ...                     beta_1=0.9, beta_2=0.999, epsilon=0.0, u_product=u1)
    >>> round(float(new), 6)
    0.893721
    """
    m, v = slots
    t = _step(step, value)
    u_product = ew.cast(u_product, ew.dtype_of(value))
    u_t = beta_1 * (1.0 - 0.5 * 0.96**t)
    u_next = beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1.0))
    m = m + (grad - m) * (1.0 - beta_1)
    v = v + (grad * grad - v) * (1.0 - beta_2)
    m_hat = u_next * m / (1.0 - u_product * u_next) + (1.0 - u_t) * grad / (1.0 - u_product)
    v_hat = v / (1.0 - beta_2**t)
    return value - m_hat * learning_rate / (ew.sqrt(v_hat) + epsilon), (m, v)


def adadelta_rule(value: Any, grad: Any, slots: Slots, step: Any, *, learning_rate: Any,
                  rho: float, epsilon: float) -> tuple[Any, Slots]:
    """``acc_g = rho acc_g + (1 - rho) g²``,
    ``delta = -sqrt(acc_d + eps) g / sqrt(acc_g + eps)``,
    ``acc_d = rho acc_d + (1 - rho) delta²``, ``value + lr delta``.

    >>> import numpy as np
    >>> z = np.zeros(())
    >>> new, _ = adadelta_rule(np.array(1.0), np.array(1.0), (z, z), 1, learning_rate=1.0,
    ...                        rho=0.0, epsilon=1.0)
    >>> round(float(new), 6)  # 1 - sqrt(1) / sqrt(2)
    0.292893
    """
    acc_g, acc_d = slots
    acc_g = rho * acc_g + (1.0 - rho) * (grad * grad)
    delta = -(ew.sqrt(acc_d + epsilon) * grad) / ew.sqrt(acc_g + epsilon)
    acc_d = rho * acc_d + (1.0 - rho) * (delta * delta)
    return value + learning_rate * delta, (acc_g, acc_d)


def apply_rule(opt: Optimizer, rule: Any, grad: Tensor, var: Variable) -> None:
    """One update of ``var`` by ``rule`` with ``opt``'s slots and hyperparameters (in ops)."""
    slots = tuple(opt.get_slot(var, n) for n in opt.slot_names)
    value, new_slots = rule(var, grad, slots, opt.iterations + 1, **opt.hyperparameters())
    for slot, new in zip(slots, new_slots, strict=True):
        slot.assign(new)
    var.assign(value)


def clip_gradients(grads: list[Any], clipnorm: float | None, clipvalue: float | None,
                   global_clipnorm: float | None) -> list[Any]:
    """Keras's gradient clipping: each gradient to L2 norm ``clipnorm``, all of them together
    to ``global_clipnorm``, or each element to ``[-clipvalue, clipvalue]`` (None stays None).

    >>> import workbench as wb
    >>> clip_gradients([wb.constant([3.0, 4.0])], 1.0, None, None)[0].numpy()
    array([0.6, 0.8])
    """
    if clipnorm:
        return [None if g is None else clip_by_norm(g, clipnorm) for g in grads]
    if global_clipnorm:
        if all(g is None for g in grads):
            return grads
        return clip_by_global_norm(grads, global_clipnorm)[0]
    if clipvalue:
        return [None if g is None else ew.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads


def as_tensors(grads: list[Any]) -> list[Any]:
    """Gradients as Tensors (arrays and lists become constants; None stays None)."""
    return [g if g is None or isinstance(g, Tensor) else constant(np.asarray(g)) for g in grads]
