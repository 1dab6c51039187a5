"""Function transformations in autograd's style (``grad(f)(x)``, ``jacobian``, ``hessian``...)
built on GradientTape: each call runs ``f`` under a fresh tape, so they nest to any order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.convert import constant
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.tape import GradientTape
from workbench.tensor import Tensor


def _sources(args: tuple, argnum: Any) -> tuple[list, list[int]]:
    nums = list(argnum) if isinstance(argnum, tuple | list) else [argnum]
    args = list(args)
    for i in nums:
        if not isinstance(args[i], Tensor):
            args[i] = constant(args[i])
        if args[i].dtype.kind in "biu":  # its gradient would be a silent 0 (None on a tape)
            raise TypeError(
                f"cannot differentiate with respect to argument {i}: it has dtype "
                f"{args[i].dtype.name}, and gradients need a floating input (JAX refuses "
                f"integers too); pass a float, e.g. 3.0 or np.asarray(x, dtype=float)")
    return args, nums


def _pick(grads: list, argnum: Any) -> Any:
    return tuple(grads) if isinstance(argnum, tuple | list) else grads[0]


def make_vjp(fun: Callable[..., Any], argnum: Any = 0) -> Callable[..., tuple]:
    """``make_vjp(f)(*args)`` gives ``(vjp, f(*args))``; ``vjp(g)`` is the vector-Jacobian
    product with the cotangent ``g`` (shaped like the output).

    >>> import workbench as wb
    >>> vjp, ans = wb.make_vjp(lambda x: x ** 2)(wb.constant([1.0, 2.0]))
    >>> vjp(wb.constant([1.0, 10.0])).numpy()
    array([ 2., 40.])
    """

    def run(*args: Any, **kwargs: Any) -> tuple:
        args, nums = _sources(args, argnum)
        tape = GradientTape(persistent=True)
        with tape:
            tape.watch([args[i] for i in nums])
            ans = fun(*args, **kwargs)
            # a constant output (a Python number) has gradient 0, as in JAX and autograd
            target = ans if isinstance(ans, Tensor) else constant(ans)

        def vjp(g: Any) -> Any:
            grads = tape.gradient(target, [args[i] for i in nums], output_gradients=g,
                                  unconnected_gradients="zero")
            return _pick(grads, argnum)

        return vjp, ans

    return run


def value_and_grad(fun: Callable[..., Any], argnum: Any = 0) -> Callable[..., tuple]:
    """``(f(*args), grad(f)(*args))`` in one evaluation of ``f`` (scalar output).

    >>> import workbench as wb
    >>> value, g = wb.value_and_grad(lambda x: x ** 3)(2.0)
    >>> float(value), float(g)
    (8.0, 12.0)
    """

    def run(*args: Any, **kwargs: Any) -> tuple:
        vjp, ans = make_vjp(fun, argnum)(*args, **kwargs)
        ans_t = constant(ans)
        if ans_t.ndim != 0 and ans_t.size != 1:
            raise TypeError(f"grad: f must return a scalar, got shape {ans_t.shape}; use "
                            "wb.elementwise_grad or wb.jacobian for array outputs")
        return ans, vjp(None)

    return run


def grad(fun: Callable[..., Any], argnum: Any = 0) -> Callable[..., Any]:
    """The gradient of the scalar function ``fun`` with respect to argument ``argnum`` (an int,
    or a tuple of ints for a tuple of gradients). Nests: ``grad(grad(f))`` is the second
    derivative.

    >>> import workbench as wb
    >>> float(wb.grad(wb.sin)(0.0)), float(wb.grad(wb.grad(lambda x: x ** 3))(2.0))
    (1.0, 12.0)
    """

    def run(*args: Any, **kwargs: Any) -> Any:
        return value_and_grad(fun, argnum)(*args, **kwargs)[1]

    return run


def elementwise_grad(fun: Callable[..., Any], argnum: Any = 0) -> Callable[..., Any]:
    """The gradient of ``sum(fun(x))``: for elementwise ``fun``, each element's derivative.

    >>> import workbench as wb
    >>> wb.elementwise_grad(lambda x: x ** 2)(wb.constant([1.0, 3.0])).numpy()
    array([2., 6.])
    """

    def run(*args: Any, **kwargs: Any) -> Any:
        vjp, _ = make_vjp(fun, argnum)(*args, **kwargs)
        return vjp(None)

    return run


def vector_jacobian_product(fun: Callable[..., Any], argnum: Any = 0) -> Callable[..., Any]:
    """``vjp(*args, v)``: the gradient of ``<fun(*args), v>``.

    >>> import workbench as wb
    >>> wb.vector_jacobian_product(lambda x: x ** 2)(wb.constant([1.0, 2.0]), [1.0, 10.0]).numpy()
    array([ 2., 40.])
    """

    def run(*args: Any, **kwargs: Any) -> Any:
        *args, v = args
        vjp, _ = make_vjp(fun, argnum)(*args, **kwargs)
        return vjp(constant(v))

    return run


def jacobian(fun: Callable[..., Any], argnum: int = 0) -> Callable[..., Tensor]:
    """The Jacobian of ``fun`` at ``args``: shape ``out.shape + in.shape``. Nests, so
    ``jacobian(jacobian(f))`` is the Hessian.

    >>> import workbench as wb
    >>> wb.jacobian(lambda x: x ** 2)(wb.constant([1.0, 2.0])).numpy()
    array([[2., 0.],
           [0., 4.]])
    """

    def run(*args: Any, **kwargs: Any) -> Tensor:
        args, nums = _sources(args, argnum)
        x = args[nums[0]]
        with GradientTape() as tape:
            tape.watch(x)
            ans = constant(fun(*args, **kwargs))
        return tape.jacobian(ans, x, unconnected_gradients="zero")

    return run


def hessian(fun: Callable[..., Any], argnum: int = 0) -> Callable[..., Tensor]:
    """The Hessian of the scalar ``fun``: ``jacobian(jacobian(fun))``.

    >>> import workbench as wb
    >>> wb.hessian(lambda x: wb.sum(x ** 3))(wb.constant([1.0, 2.0])).numpy()
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return jacobian(jacobian(fun, argnum), argnum)


def hessian_tensor_product(fun: Callable[..., Any], argnum: int = 0) -> Callable[..., Any]:
    """``hvp(*args, v)``: the Hessian of the scalar ``fun`` times ``v`` (without forming it).

    >>> import workbench as wb
    >>> hvp = wb.hessian_tensor_product(lambda x: wb.sum(x ** 3))
    >>> hvp(wb.constant([1.0, 2.0]), wb.constant([1.0, 1.0])).numpy()
    array([ 6., 12.])
    """

    def run(*args: Any, **kwargs: Any) -> Any:
        *args, v = args
        v = constant(v)

        def inner(*a: Any) -> Tensor:
            g = grad(fun, argnum)(*a, **kwargs)
            return red.sum(sh.reshape(g * v, (-1,)))

        return grad(inner, argnum)(*args)

    return run


def grad_and_aux(fun: Callable[..., Any], argnum: Any = 0) -> Callable[..., tuple]:
    """For ``fun`` returning ``(scalar, aux)``: ``(gradient of the scalar, aux)``.

    >>> import workbench as wb
    >>> g, aux = wb.grad_and_aux(lambda x: (x ** 2, "note"))(3.0)
    >>> float(g), aux
    (6.0, 'note')
    """

    def run(*args: Any, **kwargs: Any) -> tuple:
        box = []

        def value(*a: Any, **k: Any) -> Any:
            out, aux = fun(*a, **k)
            box.append(aux)
            return out

        return grad(value, argnum)(*args, **kwargs), box[0]

    return run


def make_hvp(fun: Callable[..., Any], argnum: int = 0) -> Callable[..., tuple]:
    """``make_hvp(f)(*args)`` gives ``(hvp, grad)``: ``hvp(v)`` is the Hessian of the scalar
    ``f`` times ``v``, reusing one recorded gradient.

    >>> import workbench as wb
    >>> hvp, g = wb.make_hvp(lambda x: wb.sum(x ** 3))(wb.constant([1.0, 2.0]))
    >>> hvp(wb.constant([1.0, 0.0])).numpy(), g.numpy()
    (array([6., 0.]), array([ 3., 12.]))
    """
    return make_vjp(grad(fun, argnum), argnum)


def make_jvp(fun: Callable[..., Any], argnum: int = 0) -> Callable[..., Callable[..., tuple]]:
    """``make_jvp(f)(*args)(v)`` gives ``(f(*args), J v)``, the Jacobian-vector product,
    from two reverse passes (``J v`` is the gradient in ``u`` of ``<u^T J, v>``).

    >>> import workbench as wb
    >>> ans, jv = wb.make_jvp(lambda x: x ** 2)(wb.constant([1.0, 2.0]))(wb.constant([1.0, 1.0]))
    >>> jv.numpy()
    array([2., 4.])
    """

    def at(*args: Any, **kwargs: Any) -> Callable[..., tuple]:
        def jvp(v: Any) -> tuple:
            v = constant(v)
            vjp, ans = make_vjp(fun, argnum)(*args, **kwargs)
            u = constant(ans) * 0.0
            with GradientTape() as tape:
                tape.watch(u)
                inner = red.sum(sh.reshape(vjp(u) * v, (-1,)))
            return ans, tape.gradient(inner, u, unconnected_gradients="zero")

        return jvp

    return at


def multigrad_dict(fun: Callable[..., Any]) -> Callable[..., dict]:
    """The gradients of the scalar ``fun`` with respect to every argument, by name.

    >>> import workbench as wb
    >>> g = wb.multigrad_dict(lambda x, y: x * y)(2.0, y=3.0)
    >>> float(g["x"]), float(g["y"])
    (3.0, 2.0)
    """
    import inspect

    def run(*args: Any, **kwargs: Any) -> dict:
        bound = inspect.signature(fun).bind(*args, **kwargs)
        bound.apply_defaults()
        names = list(bound.arguments)
        values = [bound.arguments[n] for n in names]
        grads = grad(lambda *a: fun(*a), argnum=tuple(range(len(names))))(*values)
        return dict(zip(names, grads, strict=True))

    return run


def grad_named(fun: Callable[..., Any], argname: str) -> Callable[..., Any]:
    """The gradient with respect to the argument called ``argname``.

    >>> import workbench as wb
    >>> float(wb.grad_named(lambda x, y: x * y ** 2, "y")(2.0, 3.0))
    12.0
    """

    def run(*args: Any, **kwargs: Any) -> Any:
        return multigrad_dict(fun)(*args, **kwargs)[argname]

    return run


def checkpoint(fun: Callable[..., Any]) -> Callable[..., Any]:
    """``fun`` itself: the tape keeps every intermediate, so there is nothing to recompute."""
    return fun


deriv = elementwise_grad
hessian_vector_product = hessian_tensor_product
tensor_jacobian_product = vector_jacobian_product
