"""The Kubernetes CEL libraries that cel-expr-python lacks, as custom functions (one module).

cel-expr-python (Google's cel-cpp) brings the CEL standard library, `has()`, the strings extension
(`format`, `lowerAscii`, `split`, `join`, `quote`, ...) and optional types. Kubernetes adds its own
libraries on top (k8s.io/apiserver/pkg/cel/library); this module declares the ones admission
policies use on manifests, with the same names and meaning:

- quantity: `quantity(s)`, `isQuantity(s)`, `q.isGreaterThan(q)`, `q.isLessThan(q)`, `q.compareTo(q)`,
  `q.add(q|int)`, `q.sub(q|int)`, `q.sign()`, `q.isInteger()`, `q.asInteger()`, `q.asApproximateFloat()`
- lists: `l.isSorted()`, `l.sum()`, `l.min()`, `l.max()`, `l.indexOf(x)`, `l.lastIndexOf(x)`
- regex: `s.find(re)`, `s.findAll(re)`, `s.findAll(re, n)`
- url: `url(s)`, `isURL(s)`, `u.getScheme()`, `u.getHost()`, `u.getHostname()`, `u.getPort()`,
  `u.getEscapedPath()`, `u.getQuery()`
- format: `format.named(name)` and `format.<name>()` for the named formats; `f.validate(s)` gives
  the list of errors or null (Kubernetes returns an optional: cel-cpp cannot build one from Python)

cel-cpp cannot return opaque Python objects from a function, so a Quantity, URL or Format is carried
as a one-key map (`{"__quantity__": "1Gi"}`); the functions above are declared on that map type, so
type checking still rejects `quantity(x) + 1`. What is not here (ip/cidr, semver, authorizer) stays
undeclared, and using it is a compile error that names it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from policylint.kinds.kubernetes.quantities import parse_quantity

QUANTITY_KEY = "__quantity__"
URL_KEY = "__url__"
FORMAT_KEY = "__format__"

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_C_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_URI_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*$")


def _dns_check(pattern: re.Pattern[str], limit: int, what: str) -> Any:
    def check(value: str) -> list[str]:
        errors = []
        if len(value) > limit:
            errors.append(f"must be no more than {limit} characters")
        if not pattern.match(value):
            errors.append(f"a {what} must consist of lower case alphanumeric characters or '-'")
        return errors

    return check


def _qualified_name(value: str) -> list[str]:
    prefix, _, name = value.rpartition("/")
    errors = []
    if prefix and _dns_check(_DNS1123_SUBDOMAIN, 253, "DNS-1123 subdomain")(prefix):
        errors.append("prefix part must be a DNS-1123 subdomain")
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        errors.append("name part must consist of alphanumeric characters, '-', '_' or '.', at most 63 characters")
    return errors


def _label_value(value: str) -> list[str]:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        return ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'"]
    return []


#: The named formats of the Kubernetes format library (those that apply to manifests).
NAMED_FORMATS: dict[str, Any] = {
    "dns1123Label": _dns_check(_DNS1123_LABEL, 63, "DNS-1123 label"),
    "dns1123Subdomain": _dns_check(_DNS1123_SUBDOMAIN, 253, "DNS-1123 subdomain"),
    "dns1035Label": _dns_check(_DNS1035_LABEL, 63, "DNS-1035 label"),
    "qualifiedName": _qualified_name,
    "labelValue": _label_value,
    "cIdentifier": lambda value: [] if _C_IDENTIFIER.match(value) else ["a valid C identifier must start with a letter or '_'"],
    "uri": lambda value: [] if _URI_SCHEME.match(urlsplit(value).scheme or "") else ["must be a URI with a scheme"],
}


def _quantity(text: str) -> dict[str, str]:
    if parse_quantity(text) is None or not isinstance(text, str):
        raise ValueError(f"quantities must match the regular expression, got {text!r}")
    return {QUANTITY_KEY: text}


def _amount(value: Any) -> Decimal:
    if isinstance(value, dict) and QUANTITY_KEY in value:
        amount = parse_quantity(value[QUANTITY_KEY])
        if amount is not None:
            return amount
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise ValueError(f"not a quantity: {value!r}")


def _from_amount(amount: Decimal) -> dict[str, str]:
    text = format(amount.normalize(), "f")
    return {QUANTITY_KEY: text}


def _compare(left: Any, right: Any) -> int:
    a, b = _amount(left), _amount(right)
    return (a > b) - (a < b)


def _as_integer(value: Any) -> int:
    amount = _amount(value)
    if amount != amount.to_integral_value() or not -(2**63) <= amount < 2**63:
        raise ValueError("cannot convert value to integer")
    return int(amount)


def _url(text: str) -> dict[str, str]:
    parts = urlsplit(text)
    if not parts.scheme and not text.startswith("/"):
        raise ValueError(f"URL must be an absolute URI or an absolute path, got {text!r}")
    return {URL_KEY: text}


def _url_parts(value: Any) -> Any:
    return urlsplit(value[URL_KEY])


def _port(value: Any) -> str:
    netloc = _url_parts(value).netloc.rpartition("@")[2]
    if netloc.startswith("["):
        return netloc.partition("]")[2].lstrip(":")
    return netloc.partition(":")[2]


def _hostname(value: Any) -> str:
    host = _url_parts(value).netloc.rpartition("@")[2]
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.partition(":")[0]


def _comparable(items: list[Any]) -> list[Any]:
    return [_amount(item) if isinstance(item, dict) and QUANTITY_KEY in item else item for item in items]


def _is_sorted(items: list[Any]) -> bool:
    values = _comparable(items)
    return all(values[i] <= values[i + 1] for i in range(len(values) - 1))


def _extreme(items: list[Any], pick: Any) -> Any:
    if not items:
        raise ValueError("min/max called on an empty list")
    return pick(items)


def _find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    found = [match.group(0) for match in re.finditer(_regex(pattern), text)]
    return found if limit < 0 else found[:limit]


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def _regex(pattern: str) -> re.Pattern[str]:
    """RE2 syntax is close enough to Python's for the patterns policies use; compiled once."""
    compiled = _REGEX_CACHE.get(pattern)
    if compiled is None:
        compiled = _REGEX_CACHE[pattern] = re.compile(pattern)
    return compiled


def _find(text: str, pattern: str) -> str:
    match = _regex(pattern).search(text)
    return match.group(0) if match else ""


def _validate_format(fmt: Any, value: str) -> Any:
    errors = NAMED_FORMATS[fmt[FORMAT_KEY]](value)
    return errors or None


def _named_format(name: str) -> dict[str, str]:
    if name not in NAMED_FORMATS:
        raise ValueError(f"unknown format {name!r} (known: {', '.join(sorted(NAMED_FORMATS))})")
    return {FORMAT_KEY: name}


def declarations(cel: Any) -> list[Any]:
    """The cel-expr-python FunctionDecls of the libraries above."""
    t = cel.Type
    opaque = t.Map(t.STRING, t.DYN)
    dyn_list = t.List(t.DYN)

    def fn(name: str, *overloads: tuple[str, Any, list[Any], bool, Any]) -> Any:
        return cel.FunctionDecl(
            name, [cel.Overload(oid, ret, params, is_member=member, impl=impl) for oid, ret, params, member, impl in overloads]
        )

    def quantity_fn(name: str, ret: Any, impl: Any, *, arg: bool = True) -> Any:
        if not arg:
            return fn(name, (f"quantity_{name}", ret, [opaque], True, impl))
        return fn(
            name,
            (f"quantity_{name}_quantity", ret, [opaque, opaque], True, impl),
            (f"quantity_{name}_int", ret, [opaque, t.INT], True, impl),
        )

    decls = [
        fn("quantity", ("string_to_quantity", opaque, [t.STRING], False, _quantity)),
        fn("isQuantity", ("is_quantity_string", t.BOOL, [t.STRING], False, lambda s: parse_quantity(s) is not None)),
        quantity_fn("isGreaterThan", t.BOOL, lambda a, b: _compare(a, b) > 0),
        quantity_fn("isLessThan", t.BOOL, lambda a, b: _compare(a, b) < 0),
        quantity_fn("compareTo", t.INT, _compare),
        quantity_fn("add", opaque, lambda a, b: _from_amount(_amount(a) + _amount(b))),
        quantity_fn("sub", opaque, lambda a, b: _from_amount(_amount(a) - _amount(b))),
        quantity_fn("sign", t.INT, lambda a: (_amount(a) > 0) - (_amount(a) < 0), arg=False),
        quantity_fn("isInteger", t.BOOL, lambda a: _amount(a) == _amount(a).to_integral_value(), arg=False),
        quantity_fn("asInteger", t.INT, _as_integer, arg=False),
        quantity_fn("asApproximateFloat", t.DOUBLE, lambda a: float(_amount(a)), arg=False),
        fn("isSorted", ("list_is_sorted", t.BOOL, [dyn_list], True, _is_sorted)),
        fn("sum", ("list_sum", t.DYN, [dyn_list], True, lambda items: sum(items) if items else 0)),
        fn("min", ("list_min", t.DYN, [dyn_list], True, lambda items: _extreme(items, min))),
        fn("max", ("list_max", t.DYN, [dyn_list], True, lambda items: _extreme(items, max))),
        fn("indexOf", ("list_index_of", t.INT, [dyn_list, t.DYN], True,
                       lambda items, item: items.index(item) if item in items else -1)),
        fn("lastIndexOf", ("list_last_index_of", t.INT, [dyn_list, t.DYN], True,
                           lambda items, item: len(items) - 1 - items[::-1].index(item) if item in items else -1)),
        fn("find", ("string_find", t.STRING, [t.STRING, t.STRING], True, _find)),
        fn("findAll",
           ("string_find_all", t.List(t.STRING), [t.STRING, t.STRING], True, _find_all),
           ("string_find_all_n", t.List(t.STRING), [t.STRING, t.STRING, t.INT], True, _find_all)),
        fn("url", ("string_to_url", opaque, [t.STRING], False, _url)),
        fn("isURL", ("is_url_string", t.BOOL, [t.STRING], False, lambda s: bool(urlsplit(s).scheme) or s.startswith("/"))),
        fn("getScheme", ("url_get_scheme", t.STRING, [opaque], True, lambda u: _url_parts(u).scheme)),
        fn("getHost", ("url_get_host", t.STRING, [opaque], True, lambda u: _url_parts(u).netloc.rpartition("@")[2])),
        fn("getHostname", ("url_get_hostname", t.STRING, [opaque], True, _hostname)),
        fn("getPort", ("url_get_port", t.STRING, [opaque], True, _port)),
        fn("getEscapedPath", ("url_get_escaped_path", t.STRING, [opaque], True, lambda u: _url_parts(u).path)),
        fn("getQuery", ("url_get_query", t.Map(t.STRING, t.List(t.STRING)), [opaque], True, _query)),
        fn("format.named", ("format_named", opaque, [t.STRING], False, _named_format)),
        fn("validate", ("format_validate", t.DYN, [opaque, t.STRING], True, _validate_format)),
    ]
    decls.extend(
        fn(f"format.{name}", (f"format_{name}", opaque, [], False, lambda name=name: {FORMAT_KEY: name})) for name in NAMED_FORMATS
    )
    return decls


def _query(value: Any) -> dict[str, list[str]]:
    from urllib.parse import parse_qs

    return {key: list(values) for key, values in parse_qs(_url_parts(value).query, keep_blank_values=True).items()}
