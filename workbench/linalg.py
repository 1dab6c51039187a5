"""``wb.linalg``: matrix functions (NumPy's ``np.linalg`` names, TensorFlow's ``tf.linalg`` ones).

Where the two differ, ``svd`` returns NumPy's ``(U, S, Vh)`` (TensorFlow: ``(s, u, v)``), and
``diag`` is TensorFlow's (a vector to a diagonal matrix; ``wb.diag`` is NumPy's).
"""

from workbench.ops.linalg import cofactor, det, inv, solve, trace
from workbench.ops.matrix_functions import (
    cholesky,
    diag_part,
    eigh,
    eigvalsh,
    logdet,
    lstsq,
    matrix_power,
    matrix_transpose,
    pinv,
    qr,
    slogdet,
    svd,
    svdvals,
)
from workbench.ops.matrix_functions import diag_matrix as diag
from workbench.ops.matrix_functions import matrix_diagonal as diagonal
from workbench.ops.norms import global_norm, norm
from workbench.tf_names import matmul  # TensorFlow's keywords (transpose_b=, adjoint_a=...)

adjoint = matrix_transpose  # real matrices: the conjugate transpose is the transpose

__all__ = [
    "adjoint", "cholesky", "cofactor", "det", "diag", "diag_part", "diagonal", "eigh",
    "eigvalsh", "global_norm", "inv", "logdet", "lstsq", "matmul", "matrix_power",
    "matrix_transpose", "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "trace",
]

from workbench.ops.einsum import einsum
from workbench.ops.losses import l2_normalize
from workbench.ops.products import tensordot
from workbench.tf_more import band_part, matvec

__all__ += ["band_part", "einsum", "l2_normalize", "matvec", "tensordot"]

from workbench.ops.linalg_more import (  # control flow, linalg, nn names
    cholesky_solve,
    expm,
    lu,
    lu_reconstruct,
    lu_solve,
    normalize,
    tensor_diag,
    tensor_diag_part,
    triangular_solve,
)
from workbench.ops.products import cross

__all__ += ["cholesky_solve", "cross", "expm", "lu", "lu_reconstruct", "lu_solve", "normalize",
            "tensor_diag", "tensor_diag_part", "triangular_solve"]
