"""Compile-time policy: what analysts' Python may contain, and the guard calls woven into it.

RestrictedPython's RestrictingNodeTransformer already refuses names and attributes starting
with '_', frame/code attribute names, exec/eval, async code and ExceptionGroups, and turns
``a.b``, ``a[b]``, ``a[b] = c``, ``for x in y`` into calls of the guard hooks (_getattr_,
_getitem_, _write_, _getiter_). This subclass refuses what analysts never need and what could
not be bounded (imports, classes, generators, argument unpacking, slice assignment, typed
``except``, ``raise X``, print, % formatting widths...) and adds the hooks that bound cost:

- ``_tick_()`` at the top of every ``while`` body and of every function and lambda body
  (``for`` loops and comprehensions tick in ``_getiter_``);
- ``_binop_("*", a, b)`` for every binary operator (sizes are checked before computing);
- ``_small_(x)`` around every non-constant comparison operand, dict/set display key,
  subscript-store key, f-string value and assert message (deep comparisons, hashing and
  str() cost no more than a bounded walk);
- ``_new_(f"...")`` around every f-string (its size is charged).
"""
import ast
import re

from RestrictedPython.transformer import RestrictingNodeTransformer

TICK, BINOP, SMALL, NEW = "_tick_", "_binop_", "_small_", "_new_"

BINOPS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^",
    ast.BitAnd: "&", ast.MatMult: "@",
}
MAX_SPEC_DIGITS = 3     # f"{x:>999}" is fine, f"{x:>99999999}" would allocate 100 MB


def _call(name: str, *args: ast.expr, like: ast.AST) -> ast.Call:
    node = ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])
    ast.copy_location(node, like)
    ast.fix_missing_locations(node)
    return node


def _small(node: ast.expr) -> ast.expr:
    return node if isinstance(node, ast.Constant) else _call(SMALL, node, like=node)


def _tick_stmt(like: ast.AST) -> ast.Expr:
    stmt = ast.Expr(_call(TICK, like=like))
    ast.copy_location(stmt, like)
    return stmt


class EscrowPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, narrowed to analysts' expressions and scripts."""

    def refuse(self, node: ast.AST, message: str) -> ast.AST:
        self.error(node, message)
        return node

    # --- constructs analysts do not need ----------------------------------------------------
    def visit_Import(self, node):
        return self.refuse(node, "import is not allowed")

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node):
        return self.refuse(node, "class definitions are not allowed")

    def visit_Global(self, node):
        return self.refuse(node, "global statements are not allowed")

    def visit_Nonlocal(self, node):
        return self.refuse(node, "nonlocal statements are not allowed")

    def visit_Yield(self, node):
        return self.refuse(node, "generator functions (yield) are not allowed")

    visit_YieldFrom = visit_Yield

    def visit_Raise(self, node):
        if node.exc is not None:
            return self.refuse(node, "raise with an exception is not allowed (use assert condition, 'message')")
        return self.node_contents_visit(node)

    def visit_ExceptHandler(self, node):
        if node.type is not None or node.name is not None:
            return self.refuse(node, "except with an exception type is not allowed (use a bare except:)")
        return self.node_contents_visit(node)

    def visit_Starred(self, node):
        if isinstance(node.ctx, ast.Load):   # f(*xs), [*xs]: unbounded work before any guard
            return self.refuse(node, "argument unpacking (*) is not allowed")
        return self.node_contents_visit(node)

    def visit_keyword(self, node):
        if node.arg is None:
            return self.refuse(node, "keyword unpacking (**) is not allowed")
        return self.node_contents_visit(node)

    def visit_Dict(self, node):
        if any(key is None for key in node.keys):
            return self.refuse(node, "dict unpacking (**) is not allowed")
        node = self.node_contents_visit(node)
        node.keys = [_small(key) for key in node.keys]
        return node

    def visit_Set(self, node):
        node = self.node_contents_visit(node)
        node.elts = [_small(elt) for elt in node.elts]
        return node

    def visit_Name(self, node):
        if node.id in ("print", "printed"):
            return self.refuse(node, "print is not allowed")
        return super().visit_Name(node)

    # --- cost hooks -------------------------------------------------------------------------
    def visit_While(self, node):
        node = self.node_contents_visit(node)
        node.body.insert(0, _tick_stmt(node))
        return node

    def visit_FunctionDef(self, node):
        node = super().visit_FunctionDef(node)
        node.body.insert(0, _tick_stmt(node))
        return node

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        node.body = ast.BoolOp(op=ast.And(), values=[_call(TICK, like=node.body), node.body])
        ast.copy_location(node.body, node)
        return node

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        return _call(BINOP, ast.Constant(BINOPS[type(node.op)]), node.left, node.right, like=node)

    def visit_Compare(self, node):
        node = self.node_contents_visit(node)
        node.left = _small(node.left)
        node.comparators = [_small(c) for c in node.comparators]
        return node

    def visit_SetComp(self, node):
        node = super().visit_SetComp(node)
        node.elt = _small(node.elt)
        return node

    def visit_DictComp(self, node):
        node = super().visit_DictComp(node)
        node.key = _small(node.key)
        return node

    def visit_Subscript(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            if isinstance(node.slice, ast.Slice):
                return self.refuse(node, "slice assignment and deletion are not allowed")
            node = super().visit_Subscript(node)
            node.slice = _small(node.slice)
            return node
        return super().visit_Subscript(node)

    def visit_Assert(self, node):
        node = self.node_contents_visit(node)
        if node.msg is not None:
            node.msg = _small(node.msg)
        return node

    def visit_JoinedStr(self, node):
        node = self.node_contents_visit(node)
        return _call(NEW, node, like=node)

    def visit_FormattedValue(self, node):
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if not all(isinstance(p, ast.Constant) for p in parts):
                return self.refuse(node, "computed format specifications are not allowed")
            text = "".join(str(p.value) for p in parts)
            if any(len(d) > MAX_SPEC_DIGITS for d in re.findall(r"\d+", text)):
                return self.refuse(node, f"format widths over {MAX_SPEC_DIGITS} digits are not allowed")
        node.value = self.visit(node.value)
        node.value = _small(node.value)
        return node
