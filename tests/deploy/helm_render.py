"""A small renderer of Helm charts, for checking deploy/helm/signet where
helm cannot be installed (it is in no Debian 12 package).

It implements the part of Go's text/template and of Helm's functions that
the chart uses, and refuses everything else (an unknown function, range,
with, variables), so a template that needs more fails the check loudly
instead of rendering wrongly. Semantics follow Go and Sprig: whitespace
trimming with {{- and -}}, truthiness (false, 0, nil, "" and empty
collections are false), toYaml without the final newline, nindent/indent
padding every line, include rendering a define with the given dot.

render_chart(chart_dir, values_overrides, release_name) returns
{template path: rendered text}; it records every .Values path a template
reads in Renderer.values_read.
"""
import copy
import hashlib
import os
import re

import yaml


class TemplateError(Exception):
    pass


class TemplateFail(TemplateError):
    """The chart's own `fail` or `required`."""


# ---------------------------------------------------------------- lexing

class Text:
    def __init__(self, text):
        self.text = text


class Action:
    def __init__(self, body, where):
        self.body = body
        self.where = where


def lex(source, name):
    """Splits a template into Text and Action items, applying {{- and -}}."""
    items = []
    pos = 0
    trim_next = False
    while True:
        start = source.find("{{", pos)
        text = source[pos:] if start < 0 else source[pos:start]
        if trim_next:
            text = text.lstrip(" \t\r\n")
        if start < 0:
            items.append(Text(text))
            return items
        inner_start = start + 2
        trim_before = source.startswith("-", inner_start) and inner_start + 1 < len(source) and source[inner_start + 1] in " \t\r\n"
        if trim_before:
            text = text.rstrip(" \t\r\n")
            inner_start += 1
        items.append(Text(text))
        # The end of the action: "}}" outside quoted strings and comments.
        i = inner_start
        stripped = source[inner_start:].lstrip()
        if stripped.startswith("/*"):
            end_comment = source.find("*/", inner_start)
            if end_comment < 0:
                raise TemplateError(f"{name}: unterminated comment")
            i = end_comment + 2
        while True:
            if i >= len(source):
                raise TemplateError(f"{name}:{source.count(chr(10), 0, start) + 1}: unterminated action")
            c = source[i]
            if c in "\"`":
                j = i + 1
                while j < len(source) and source[j] != c:
                    j += 2 if (c == '"' and source[j] == "\\") else 1
                i = j + 1
                continue
            if source.startswith("}}", i):
                break
            i += 1
        end = i
        trim_after = end - 1 >= inner_start and source[end - 1] == "-" and source[end - 2] in " \t\r\n"
        body = source[inner_start:end - 1 if trim_after else end].strip()
        line = source.count("\n", 0, start) + 1
        if not (body.startswith("/*") and body.endswith("*/")):
            items.append(Action(body, f"{name}:{line}"))
        trim_next = trim_after
        pos = end + 2


# ---------------------------------------------------------------- parsing

class If:
    def __init__(self):
        self.branches = []  # (pipeline tokens, body)
        self.otherwise = None


class Define:
    def __init__(self, name, body):
        self.name = name
        self.body = body


TOKEN = re.compile(r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*") |
    (?P<raw>`[^`]*`) |
    (?P<number>-?\d+(?:\.\d+)?) |
    (?P<field>\$?(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\$|\.) |
    (?P<ident>[A-Za-z_][A-Za-z0-9_]*) |
    (?P<punct>[()|])
)""", re.VERBOSE)


def tokenize(body, where):
    tokens = []
    pos = 0
    while pos < len(body):
        if body[pos:].strip() == "":
            break
        m = TOKEN.match(body, pos)
        if not m or m.end() == pos:
            raise TemplateError(f"{where}: cannot read {body[pos:]!r} (the check's renderer knows a subset of Go templates)")
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "string":
            value = bytes(value[1:-1], "utf-8").decode("unicode_escape")
        elif kind == "raw":
            value, kind = value[1:-1], "string"
        elif kind == "number":
            value = float(value) if "." in value else int(value)
        tokens.append((kind, value))
        pos = m.end()
    if any(k == "ident" and v in ("range", "with", "template", "block", "break", "continue") for k, v in tokens[:1]):
        raise TemplateError(f"{where}: '{tokens[0][1]}' is not supported by the check's renderer")
    if re.search(r"\$\w*\s*:?=", body):
        raise TemplateError(f"{where}: template variables are not supported by the check's renderer")
    return tokens


def parse(items, name):
    """Items to a tree: lists of Text, Action (pipeline), If and Define."""
    pos = 0

    def block(stop):
        nonlocal pos
        out = []
        while pos < len(items):
            item = items[pos]
            if isinstance(item, Text):
                out.append(item)
                pos += 1
                continue
            words = item.body.split(None, 1)
            keyword = words[0] if words else ""
            if keyword in stop:
                return out, item
            pos += 1
            if keyword == "if":
                node = If()
                cond = (tokenize(words[1], item.where), item.where)
                while True:
                    body, end = block({"else", "end"})
                    node.branches.append((cond, body))
                    if end is None:
                        raise TemplateError(f"{item.where}: if without end")
                    pos += 1
                    rest = end.body.split(None, 1)
                    if rest[0] == "end":
                        break
                    if len(rest) > 1 and rest[1].startswith("if "):
                        cond = (tokenize(rest[1][3:], end.where), end.where)
                        continue
                    node.otherwise, end2 = block({"end"})
                    if end2 is None:
                        raise TemplateError(f"{end.where}: else without end")
                    pos += 1
                    break
                out.append(node)
            elif keyword == "define":
                tokens = tokenize(words[1], item.where)
                if len(tokens) != 1 or tokens[0][0] != "string":
                    raise TemplateError(f"{item.where}: define needs one quoted name")
                body, end = block({"end"})
                if end is None:
                    raise TemplateError(f"{item.where}: define without end")
                pos += 1
                out.append(Define(tokens[0][1], body))
            elif keyword in ("else", "end"):
                raise TemplateError(f"{item.where}: unexpected {keyword}")
            else:
                out.append((tokenize(item.body, item.where), item.where))
        return out, None

    tree, end = block(set())
    if end is not None:
        raise TemplateError(f"{end.where}: unexpected {end.body}")
    return tree


# ---------------------------------------------------------------- values

def truthy(v):
    if v is None or v is False:
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v != 0
    if isinstance(v, (str, list, dict, tuple)):
        return len(v) > 0
    return True


def printed(v, where):
    """Go's fmt %v as a template prints it (Helm prints nil as nothing)."""
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e21:
            text = str(int(v))
            if len(text) > 6:  # Go prints float64 1e+06 and up in exponent form, as Helm does for numbers in values
                raise TemplateError(f"{where}: the number {v} would print in exponent form; quote it in values.yaml")
            return text
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    raise TemplateError(f"{where}: printing a {type(v).__name__} ({v!r}); use toYaml")


def to_yaml(v):
    if v is None:
        return "null"
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=True, allow_unicode=True, width=1 << 20).rstrip("\n")


def go_printf(fmt, args, where):
    out = []
    i = 0
    args = list(args)
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        verb = fmt[i + 1] if i + 1 < len(fmt) else ""
        if verb == "%":
            out.append("%")
        elif verb in "sdv":
            if not args:
                raise TemplateError(f"{where}: printf: missing argument")
            out.append(printed(args.pop(0), where))
        elif verb == "q":
            out.append('"' + printed(args.pop(0), where).replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            raise TemplateError(f"{where}: printf verb %{verb} is not supported by the check's renderer")
        i += 2
    return "".join(out)


class Files:
    def __init__(self, root):
        self.root = root

    def Get(self, path):  # noqa: N802 (Helm's name)
        full = os.path.normpath(os.path.join(self.root, path))
        if not full.startswith(self.root + os.sep) or not os.path.isfile(full):
            return ""
        with open(full, encoding="utf-8") as f:
            return f.read()


class Renderer:
    def __init__(self, chart_dir, values, release_name="signet", namespace="default"):
        self.chart_dir = os.path.abspath(chart_dir)
        with open(os.path.join(self.chart_dir, "Chart.yaml"), encoding="utf-8") as f:
            chart = yaml.safe_load(f)
        self.chart = {
            "Name": chart["name"], "Version": str(chart["version"]), "AppVersion": str(chart.get("appVersion", "")),
            "Description": chart.get("description", ""), "Type": chart.get("type", "application"),
        }
        self.values = values
        self.values_read = set()
        self.missing_values = set()
        self.root = {
            "Values": values,
            "Release": {"Name": release_name, "Namespace": namespace, "Service": "Helm", "IsInstall": True,
                        "IsUpgrade": False, "Revision": 1},
            "Chart": self.chart,
            "Files": Files(self.chart_dir),
            "Capabilities": {"KubeVersion": {"Version": "v1.30.0", "Major": "1", "Minor": "30"}},
            "Template": {"BasePath": f"{chart['name']}/templates", "Name": ""},
        }
        self.defines = {}
        self.trees = {}
        tdir = os.path.join(self.chart_dir, "templates")
        for entry in sorted(os.listdir(tdir)):
            path = os.path.join(tdir, entry)
            if not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8") as f:
                tree = parse(lex(f.read(), f"templates/{entry}"), entry)
            self.trees[entry] = tree
            self._collect_defines(tree)

    def _collect_defines(self, tree):
        for node in tree:
            if isinstance(node, Define):
                self.defines[node.name] = node.body

    # -- evaluation
    def field(self, dot, chain, where):
        if chain == ".":
            return dot
        if chain == "$":
            return self.dollar
        base = self.dollar if chain.startswith("$") else dot
        parts = chain.lstrip("$").split(".")[1:]
        value = base
        for part in parts:
            if isinstance(value, dict):
                value = value.get(part)
            elif value is None:
                raise TemplateError(f"{where}: nil pointer evaluating {chain}")
            elif hasattr(value, part):
                value = getattr(value, part)
            else:
                raise TemplateError(f"{where}: no field {part} in {chain}")
        # .Values paths read: for the "every value is used" check.
        if isinstance(base, dict) and base.get("Values") is self.values:
            if parts and parts[0] == "Values":
                vpath = tuple(parts[1:])
                self.values_read.add(vpath)
                node = self.values
                for p in vpath:
                    if not isinstance(node, dict) or p not in node:
                        self.missing_values.add(".".join(vpath))
                        break
                    node = node[p]
        return value

    def call(self, name, args, where):
        def need(n):
            if len(args) != n:
                raise TemplateError(f"{where}: {name} takes {n} arguments, got {len(args)}")

        if name == "include":
            need(2)
            if args[0] not in self.defines:
                raise TemplateError(f"{where}: no template {args[0]!r}")
            saved = self.dollar
            self.dollar = args[1]
            try:
                return self.run(self.defines[args[0]], args[1])
            finally:
                self.dollar = saved
        if name == "toYaml":
            need(1)
            return to_yaml(args[0])
        if name in ("nindent", "indent"):
            need(2)
            pad = " " * int(args[0])
            text = pad + printed(args[1], where).replace("\n", "\n" + pad)
            return "\n" + text if name == "nindent" else text
        if name == "quote":
            return " ".join('"' + printed(a, where).replace("\\", "\\\\").replace('"', '\\"') + '"' for a in args if a is not None)
        if name == "printf":
            if not args:
                raise TemplateError(f"{where}: printf needs a format")
            return go_printf(args[0], args[1:], where)
        if name == "default":
            need(2)
            return args[1] if truthy(args[1]) else args[0]
        if name in ("eq", "ne"):
            if len(args) < 2:
                raise TemplateError(f"{where}: {name} needs two arguments")
            for other in args[1:]:
                if type(args[0]) is not type(other) and not (isinstance(args[0], (int, float)) and isinstance(other, (int, float))):
                    raise TemplateError(f"{where}: {name}: incompatible types for comparison ({args[0]!r}, {other!r})")
            result = any(args[0] == other for other in args[1:])
            return result if name == "eq" else not result
        if name == "not":
            need(1)
            return not truthy(args[0])
        if name == "and":
            for a in args:
                if not truthy(a):
                    return a
            return args[-1]
        if name == "or":
            for a in args:
                if truthy(a):
                    return a
            return args[-1]
        if name == "trunc":
            need(2)
            return printed(args[1], where)[: int(args[0])]
        if name == "trimSuffix":
            need(2)
            text = printed(args[1], where)
            return text[: -len(args[0])] if args[0] and text.endswith(args[0]) else text
        if name == "contains":
            need(2)
            return args[0] in printed(args[1], where)
        if name == "sha256sum":
            need(1)
            return hashlib.sha256(printed(args[0], where).encode()).hexdigest()
        if name == "fail":
            need(1)
            raise TemplateFail(f"{where}: fail: {args[0]}")
        if name == "required":
            need(2)
            if args[1] is None or args[1] == "":
                raise TemplateFail(f"{where}: required: {args[0]}")
            return args[1]
        if name in ("true", "false", "nil"):
            return {"true": True, "false": False, "nil": None}[name]
        raise TemplateError(f"{where}: the function {name!r} is not supported by the check's renderer")

    def pipeline(self, tokens, dot, where):
        # Split on | at depth 0, each command a list of operands.
        commands, current, depth = [], [], 0
        for tok in tokens:
            if tok == ("punct", "("):
                depth += 1
            elif tok == ("punct", ")"):
                depth -= 1
            if tok == ("punct", "|") and depth == 0:
                commands.append(current)
                current = []
            else:
                current.append(tok)
        commands.append(current)
        value, have_value = None, False
        for command in commands:
            if not command:
                raise TemplateError(f"{where}: empty command in pipeline")
            operands = self.operands(command, dot, where)
            head_kind, head = operands[0]
            rest = [v for _, v in operands[1:]]
            if have_value:
                rest.append(value)
            if head_kind == "ident" and head not in ("true", "false", "nil"):
                value = self.call(head, rest, where)
            elif callable(head):
                value = head(*rest)
            else:
                if rest:
                    raise TemplateError(f"{where}: cannot give arguments to a value")
                value = self.call(head, [], where) if head_kind == "ident" else head
            have_value = True
        return value

    def operands(self, command, dot, where):
        out = []
        i = 0
        while i < len(command):
            kind, value = command[i]
            if kind == "punct" and value == "(":
                depth, j = 1, i + 1
                while j < len(command) and depth:
                    if command[j] == ("punct", "("):
                        depth += 1
                    elif command[j] == ("punct", ")"):
                        depth -= 1
                    j += 1
                if depth:
                    raise TemplateError(f"{where}: unbalanced parentheses")
                out.append(("value", self.pipeline(command[i + 1:j - 1], dot, where)))
                i = j
                continue
            if kind == "punct":
                raise TemplateError(f"{where}: unexpected {value}")
            if kind == "field":
                out.append(("value", self.field(dot, value, where)))
            elif kind == "ident":
                out.append(("ident", value))
            else:
                out.append(("value", value))
            i += 1
        return out

    def run(self, tree, dot):
        out = []
        for node in tree:
            if isinstance(node, Text):
                out.append(node.text)
            elif isinstance(node, Define):
                continue
            elif isinstance(node, If):
                for (tokens, where), body in node.branches:
                    if truthy(self.pipeline(tokens, dot, where)):
                        out.append(self.run(body, dot))
                        break
                else:
                    if node.otherwise is not None:
                        out.append(self.run(node.otherwise, dot))
            else:
                tokens, where = node
                out.append(printed(self.pipeline(tokens, dot, where), where))
        return "".join(out)

    def render(self):
        rendered = {}
        for name, tree in self.trees.items():
            if name.startswith("_"):
                continue
            self.dollar = self.root
            self.root["Template"]["Name"] = f"{self.chart['Name']}/templates/{name}"
            rendered[name] = self.run(tree, self.root)
        return rendered


def merge_values(base, overrides):
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_values(out[key], value)
        else:
            out[key] = value
    return out


def render_chart(chart_dir, overrides=None, release_name="signet"):
    """Returns (Renderer, {template file: text})."""
    with open(os.path.join(chart_dir, "values.yaml"), encoding="utf-8") as f:
        values = yaml.safe_load(f) or {}
    renderer = Renderer(chart_dir, merge_values(values, overrides or {}), release_name)
    return renderer, renderer.render()


def objects(rendered):
    """The Kubernetes objects of the rendered .yaml templates."""
    out = []
    for name, text in sorted(rendered.items()):
        if not name.endswith((".yaml", ".yml")):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                out.append(doc)
    return out
