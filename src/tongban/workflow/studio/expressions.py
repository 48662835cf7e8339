"""The Python expressions a version from the web may carry, checked on the syntax tree.

SpiffWorkflow evaluates gateway conditions with ``eval``; a release file is reviewed code, an
upload is not. So an upload's conditions must be plain comparisons of known process variables
with constants, joined by and/or/not, ``in`` only with a literal tuple or list: no calls, no
attribute access, no subscripts, no lambdas or comprehensions, no unknown names.
"""

from __future__ import annotations

import ast
from collections.abc import Collection

from django.utils.translation import gettext as _

#: Longer than any sensible condition; a guard against pathological input.
MAX_EXPRESSION_LENGTH = 500

_COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)


def _constant(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
        return isinstance(node, ast.Constant) and type(node.value) in (int, float)
    return isinstance(node, ast.Constant) and type(node.value) in (
        str,
        int,
        float,
        bool,
        type(None),
    )


def _refusal(node: ast.AST, variables: Collection[str]) -> str | None:
    """Why ``node`` is outside the allowed form, or None."""
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            if (why := _refusal(value, variables)) is not None:
                return why
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _refusal(node.operand, variables)
    if _constant(node):
        return None
    if isinstance(node, ast.Name):
        if node.id not in variables:
            return _("未知的流程变量“%(name)s”") % {"name": node.id}
        return None
    if isinstance(node, ast.Compare):
        if (why := _refusal(node.left, variables)) is not None:
            return why
        for op, right in zip(node.ops, node.comparators, strict=True):
            if not isinstance(op, _COMPARISONS):
                return _("不允许的比较运算")
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(right, (ast.Tuple, ast.List)) or not all(
                    _constant(item) for item in right.elts
                ):
                    return _("in 只能用于常量组成的元组或列表")
                continue
            if (why := _refusal(right, variables)) is not None:
                return why
        return None
    if isinstance(node, ast.Call):
        return _("不允许调用函数")
    if isinstance(node, ast.Attribute):
        return _("不允许访问属性")
    if isinstance(node, ast.Subscript):
        return _("不允许下标或切片")
    if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return _("不允许 lambda 或推导式")
    return _("不允许的表达式成分：%(kind)s") % {"kind": type(node).__name__}


def expression_refusal(text: str, *, variables: Collection[str]) -> str | None:
    """Why the condition ``text`` is not in the allowed form (None: allowed)."""
    text = text.strip()
    if not text:
        return _("条件为空")
    if len(text) > MAX_EXPRESSION_LENGTH:
        return _("条件过长（最多%(max)s个字符）") % {"max": MAX_EXPRESSION_LENGTH}
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        return _("不是合法的 Python 表达式")
    return _refusal(tree.body, variables)


def literal_value(text: str) -> tuple[bool, object]:
    """(True, value) when ``text`` is one constant (a DMN output entry), else (False, None)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return False, None
    if not _constant(tree.body):
        return False, None
    return True, ast.literal_eval(tree.body)
