"""xtk expressions and `xtk:queryDef#ExecuteQuery`, as far as the emulator needs.

Expressions: attribute paths (`@email`, `[recipient/@email]`), string literals
in single quotes with backslash escapes (Campaign's `escapeXtk` rules),
numbers, `=`, `<>`, `!=`, `<`, `<=`, `>`, `>=`, `IS [NOT] NULL`, `AND`, `OR`,
`NOT`, parentheses, and the functions `Lower` and `Upper`. A real parser, so an
unescaped quote in a literal really does change the condition, as it would in
Campaign: that is what the client's escaping is tested against.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

Row = Mapping[str, str]
Resolver = Callable[[Row, str], Row | None]  # follow a link ("recipient") from a row
Expr = Callable[[Row, Resolver], object]


class XtkError(Exception):
    """An expression or query the emulator cannot run."""


_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:\\.|[^'\\])*')|(?P<path>@[\w:-]+|\[[^\]]+\])|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op><>|!=|<=|>=|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_]\w*))"
)
_FUNCTIONS: dict[str, Callable[[object], object]] = {
    "lower": lambda value: str(value or "").lower(),
    "upper": lambda value: str(value or "").upper(),
}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokens(text: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise XtkError(f"XTK-170036 Unable to parse expression at {text[position : position + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind)))
        position = match.end()
    return tokens


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def _path_value(path: str, row: Row, resolve: Resolver) -> str | None:
    steps = path.strip("[]").split("/")
    current: Row | None = row
    for link in steps[:-1]:
        current = resolve(current, link) if current is not None else None
    return current.get(steps[-1].removeprefix("@")) if current is not None else None


def _compare(op: str, left: object, right: object) -> bool:
    if left is None or right is None:
        return False
    a, b = str(left), str(right)
    if re.fullmatch(r"-?\d+(\.\d+)?", a) and re.fullmatch(r"-?\d+(\.\d+)?", b):
        x, y = float(a), float(b)
        return {"=": x == y, "<>": x != y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[
            op
        ]
    return {"=": a == b, "<>": a != b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def parse(self) -> Expr:
        expr = self._or()
        if self.at != len(self.tokens):
            raise XtkError(f"XTK-170036 Unexpected {self.tokens[self.at].text!r} in expression")
        return expr

    def _peek_word(self, *words: str) -> bool:
        token = self.tokens[self.at] if self.at < len(self.tokens) else None
        return token is not None and token.kind == "word" and token.text.upper() in words

    def _take(self, kind: str, text: str | None = None) -> _Token:
        token = self.tokens[self.at] if self.at < len(self.tokens) else None
        if token is None or token.kind != kind or (text is not None and token.text != text):
            raise XtkError("XTK-170036 Unable to parse expression")
        self.at += 1
        return token

    def _or(self) -> Expr:
        parts = [self._and()]
        while self._peek_word("OR"):
            self.at += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else lambda row, res: any(p(row, res) for p in parts)

    def _and(self) -> Expr:
        parts = [self._not()]
        while self._peek_word("AND"):
            self.at += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else lambda row, res: all(p(row, res) for p in parts)

    def _not(self) -> Expr:
        if self._peek_word("NOT"):
            self.at += 1
            inner = self._not()
            return lambda row, res: not inner(row, res)
        return self._comparison()

    def _comparison(self) -> Expr:
        left = self._operand()
        if self._peek_word("IS"):
            self.at += 1
            negate = self._peek_word("NOT")
            self.at += 1 if negate else 0
            if not self._peek_word("NULL"):
                raise XtkError("XTK-170036 IS must be followed by [NOT] NULL")
            self.at += 1
            return lambda row, res: (left(row, res) in (None, "")) != negate
        token = self.tokens[self.at] if self.at < len(self.tokens) else None
        if token is not None and token.kind == "op" and token.text not in "(),":
            self.at += 1
            right = self._operand()
            return lambda row, res: _compare(token.text, left(row, res), right(row, res))
        return left

    def _operand(self) -> Expr:
        token = self.tokens[self.at] if self.at < len(self.tokens) else None
        if token is None:
            raise XtkError("XTK-170036 Unexpected end of expression")
        self.at += 1
        if token.kind == "string":
            value = _unquote(token.text)
            return lambda row, res: value
        if token.kind == "number":
            return lambda row, res: token.text
        if token.kind == "path":
            return lambda row, res: _path_value(token.text, row, res)
        if token.kind == "op" and token.text == "(":
            inner = self._or()
            self._take("op", ")")
            return inner
        function = _FUNCTIONS.get(token.text.lower()) if token.kind == "word" else None
        if function is not None:
            self._take("op", "(")
            argument = self._or()
            self._take("op", ")")
            return lambda row, res: function(argument(row, res))
        raise XtkError(f"XTK-170036 Unexpected {token.text!r} in expression")


def compile_expression(text: str) -> Expr:
    return _Parser(text).parse()


def _node_exprs(query: etree._Element, section: str) -> list[etree._Element]:
    return [node for part in query if part.tag == section for node in part if node.tag == "node"]


def _write(row_element: etree._Element, path: str, value: str | None) -> None:
    if value is None:
        return
    steps = path.strip("[]").split("/")
    target = row_element
    for link in steps[:-1]:
        found = target.find(link)
        target = found if found is not None else etree.SubElement(target, link)
    target.set(steps[-1].removeprefix("@"), value)


def execute(query: etree._Element, rows: Sequence[Row], tag: str, resolve: Resolver) -> etree._Element:
    """Run a queryDef (`get`, `getIfExists`, `select`, `count`) over `rows`."""
    operation = query.get("operation", "select")
    conditions = [
        compile_expression(node.get("expr", ""))
        for part in query
        if part.tag == "where"
        for node in part
        if node.tag == "condition" and node.get("expr")
    ]
    found = [row for row in rows if all(condition(row, resolve) for condition in conditions)]
    for node in reversed(_node_exprs(query, "orderBy")):
        key = compile_expression(node.get("expr", ""))

        def sort_key(row: Row, key: Expr = key) -> tuple[int, float, str]:
            return _sort_key(key(row, resolve))

        found.sort(key=sort_key, reverse=node.get("sortDesc") == "true")
    start = int(query.get("startLine", "0") or 0)
    count = query.get("lineCount")
    found = found[start : start + int(count)] if count else found[start:]
    if operation == "count":
        return etree.Element(tag, count=str(len(found)))
    selected = [node.get("expr", "") for node in _node_exprs(query, "select")]

    def render(row: Row) -> etree._Element:
        element = etree.Element(tag)
        for expr in selected:
            _write(element, expr, _path_value(expr, row, resolve))
        return element

    if operation in ("get", "getIfExists"):
        if found:
            return render(found[0])
        if operation == "get":
            raise XtkError("XTK-170006 The requested document was not found")
        return etree.Element(tag)
    if operation != "select":
        raise XtkError(f"XTK-170007 Unknown queryDef operation {operation!r}")
    collection = etree.Element(f"{tag}-collection")
    for row in found:
        collection.append(render(row))
    return collection


def _sort_key(value: object) -> tuple[int, float, str]:
    text = "" if value is None else str(value)
    return (0, float(text), "") if re.fullmatch(r"-?\d+(\.\d+)?", text) else (1, 0.0, text)
