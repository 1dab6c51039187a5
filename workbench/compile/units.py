"""Units of a program made ready to become blocks: a loop of repeated independent computations
split into one loop each (so they share a block), a BLAS product recognised (the runtime's one
compiled product runs it).
"""

from __future__ import annotations

import ast
import re

_MATRIX = r"(\w+)(?:\[(\d+):\d+\])?\.reshape\(\((\d+), (\d+)\)\)(\.T)?"
#: ``np.dot(A, B, C.reshape((m, n)))`` as the matmul emitter writes it; A and B are
#: ``name[start:end].reshape((r, c))``, the slice optional, then ``.T`` if transposed.
_DOT = re.compile(rf"^np\.dot\({_MATRIX}, {_MATRIX}, (\w+)\.reshape\(\((\d+), (\d+)\)\)\)$")


def parts(unit: list[str]) -> list[list[str]]:
    """``unit`` as several units where it is one loop nest over independent computations of
    which some repeat (the k updates of an optimizer step): each repeated computation gets a
    loop of its own (one shared block, called k times), the others stay together. Statements
    that share a value written in the loop stay together, in their order."""
    tree = ast.parse("\n".join(line for line in unit if not line.strip().startswith("#")) or "pass")
    nest = tree.body
    while len(nest) == 1 and isinstance(nest[0], ast.For) and not nest[0].orelse:
        nest = nest[0].body
    if nest is tree.body or not all(isinstance(s, ast.Assign | ast.AugAssign) for s in nest):
        return [unit]
    written = set()
    for stmt in nest:
        for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]):
            base = target.value if isinstance(target, ast.Subscript) else target
            if not isinstance(base, ast.Name):
                return [unit]
            written.add(base.id)
    group = list(range(len(nest)))  # union-find over statements joined by a written name

    def find(k: int) -> int:
        while group[k] != k:
            k = group[k]
        return k

    first: dict[str, int] = {}
    for k, stmt in enumerate(nest):
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and node.id in written:
                group[find(k)] = find(first.setdefault(node.id, k))
    roots = [find(k) for k in range(len(nest))]
    members = {r: [k for k in range(len(nest)) if roots[k] == r] for r in dict.fromkeys(roots)}
    keys = {r: _canonical([nest[k] for k in ks]) for r, ks in members.items()}
    shared = [r for r in members if list(keys.values()).count(keys[r]) > 1]
    if not shared:
        return [unit]
    rest = sorted(k for r, ks in members.items() if r not in shared for k in ks)
    return [_nest_lines(tree, [nest[k] for k in ks]) for ks in [members[r] for r in shared]
            + ([rest] if rest else [])]


def _canonical(stmts: list[ast.stmt]) -> str:
    """The text of ``stmts`` with variables renamed in order of appearance."""
    text = ast.unparse(ast.Module(body=stmts, type_ignores=[]))
    rename: dict[str, str] = {}
    for node in name_nodes(ast.parse(text)):
        rename.setdefault(node.id, f"v{len(rename)}")
    return re.sub(r"\b[A-Za-z_]\w*\b", lambda m: rename.get(m.group(0), m.group(0)), text)


def _nest_lines(tree: ast.Module, stmts: list[ast.stmt]) -> list[str]:
    """The loop nest of ``tree`` holding only ``stmts``, as lines."""
    loops, node = [], tree.body[0]
    while isinstance(node, ast.For):
        loops.append(node)
        node = node.body[0]
    lines = []
    for depth, loop in enumerate(loops):
        lines.append("    " * depth + f"for {ast.unparse(loop.target)} in {ast.unparse(loop.iter)}:")
    pad = "    " * len(loops)
    return lines + [pad + line for s in stmts for line in ast.unparse(s).splitlines()]


def blas_product(unit: list[str], arrays: dict) -> tuple | None:
    """(dtype, [(array, element offset)] of A, B, C, [m, n, k, A transposed, B transposed])
    if ``unit`` is one BLAS product ``np.dot(A, B, C)`` as the matmul emitter writes it."""
    code = [line.strip() for line in unit if not line.strip().startswith("#")]
    m = _DOT.match(code[0]) if len(code) == 1 else None
    if m is None:
        return None
    operands, shapes, flips = [], [], []
    for name, start, rows, cols, flip in (m.group(1, 2, 3, 4, 5), m.group(6, 7, 8, 9, 10)):
        operands.append((name, int(start or 0)))
        r, c = int(rows), int(cols)
        shapes.append((c, r) if flip else (r, c))
        flips.append(1 if flip else 0)
    name, rows, cols = m.group(11, 12, 13)
    operands.append((name, 0))
    (mm, kk), (_, nn) = shapes
    dtypes = {arrays.get(n) for n, _ in operands}
    if (mm, nn) != (int(rows), int(cols)) or len(dtypes) != 1 or dtypes & {None}:
        return None
    dtype = dtypes.pop()
    return (dtype, operands, [mm, nn, kk] + flips) if dtype in ("float64", "float32") else None



def name_nodes(tree: ast.AST) -> list[ast.Name]:
    """The variable names of ``tree`` in source order."""
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Name)]
    return sorted(nodes, key=lambda n: (n.lineno, n.col_offset))
