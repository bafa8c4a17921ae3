#!/usr/bin/env python3
"""An ISO Schematron processor for the OOTS EDM business rules.

It reads an ISO Schematron schema (ISO/IEC 19757-3, query binding xslt2/xslt3), compiles it into an
XSLT 3.0 stylesheet whose output is SVRL (the Schematron Validation Report Language), runs that
stylesheet with Saxon (the ``saxonche`` package on PyPI) over XML messages and reports every failed
``assert`` and every successful ``report``.

Usage::

    python3 schematron.py --rules auto FILE...            # pick EDM-REQ/RESP/ERR by the message
    python3 schematron.py --rules EDM-REQ-S,EDM-REQ-C FILE  # bundled rule sets, by name
    python3 schematron.py --rules my.sch --json FILE        # any .sch file, JSON for machines
    python3 schematron.py --rules EDM-REQ-S --print-xslt    # show the generated XSLT
    cat message.xml | python3 schematron.py -               # a message on standard input (UTF-8)

Exit status: 0 when no error-level finding, 1 when there is at least one, 2 on a usage or
processing error (unreadable file, XML not well-formed, unsupported Schematron construct, …).

How each Schematron construct becomes XSLT (see ``XsltWriter``):

- ``sch:schema``: one ``xsl:stylesheet``; its template for ``/`` writes
  ``svrl:schematron-output`` and runs the active patterns one after the other.
- ``sch:ns``: a namespace declaration on ``xsl:stylesheet``, so the prefixes work in every
  expression (contexts, tests, lets, value-of).
- ``sch:let`` in ``sch:schema`` (or in the active ``sch:phase``): a global ``xsl:variable``,
  evaluated with the message's document node as context (the global context item).
- ``sch:pattern``: one XSLT mode. A named template starts it on the document node; the
  pattern's ``sch:let``s are evaluated there (context: the document node) and passed down as
  tunnel parameters. Every node of the message (elements, attributes, text, …) is visited once in
  that mode; two low-priority templates keep the walk going where no rule matches.
- ``sch:rule``: a template in its pattern's mode, ``match`` = the rule's ``context``. Earlier
  rules get higher priorities, so a node fires at most one rule per pattern, the first that
  matches, as ISO Schematron requires. The template writes ``svrl:fired-rule`` and then goes on
  to the node's attributes and children.
- ``sch:let`` in a rule: an ``xsl:variable`` in the rule's template, in document order.
- ``sch:rule abstract="true"`` and ``sch:extends rule="…"``: the abstract rule writes no
  template; its lets, asserts, reports (and nested extends) are copied into every rule of the
  same pattern that extends it, where ``sch:extends`` stood.
- ``sch:assert``: ``xsl:choose``; when the test's effective boolean value is false, an
  ``svrl:failed-assert``. ``sch:report``: ``xsl:if``; when true, an ``svrl:successful-report``.
  Both carry ``id``, ``role``, ``flag``, ``test`` and the location (an XPath with the message's
  own prefixes and positions, e.g. ``/query:QueryRequest[1]/rim:Slot[3]/@name``).
- ``sch:value-of select="X"``: ``xsl:value-of select="X"``; ``sch:name path="P"``:
  ``xsl:value-of select="name(P)"`` (``P`` defaults to ``.``); ``sch:emph``, ``sch:dir``,
  ``sch:span``: their text. Evaluated in the rule's context.
- ``sch:diagnostics``/``sch:diagnostic`` with ``diagnostics="id …"`` on an assert or report:
  ``svrl:diagnostic-reference`` elements with the diagnostic's text, evaluated in the rule's
  context.
- ``sch:phase``/``sch:active``: which patterns run. The phase is ``--phase`` if given, else the
  schema's ``defaultPhase``, else ``#ALL``; a phase's lets are global variables.
- ``sch:title``, ``sch:p`` and documentation attributes (``fpi``, ``icon``, ``see``,
  ``xml:lang``, ``xml:space``, ``schemaVersion``): documentation, no effect on validation.

Anything else (``sch:include``, abstract patterns, ``sch:param``, ``sch:properties``, ``subject``,
foreign elements or attributes, ``xsl:`` elements in the schema, …) is refused with the file and
line, never ignored.

Severity of a finding: its ``role``, else its ``flag``, else ``error``; ``warning``, ``warn``,
``info``, ``information`` and ``caution`` (any letter case) are not errors, every other value is
(``fatal``, ``error`` and anything unknown).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

SCH = "http://purl.oclc.org/dsdl/schematron"
SVRL = "http://purl.oclc.org/dsdl/svrl"
XSL = "http://www.w3.org/1999/XSL/Transform"
XS = "http://www.w3.org/2001/XMLSchema"
XML = "http://www.w3.org/XML/1998/namespace"
# Namespace of the helper functions and modes of the generated stylesheets.
LOCAL = "urn:once:schematron"

QUERY = "urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"
RS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0"

# The Commission's EDM 1.0 rule sets, bundled next to this file.
RULES_DIR = Path(__file__).resolve().parent / "edm-1.0"

# Severities that are not errors. Every other role/flag value counts as an error.
NOT_ERRORS = {"warning": "warning", "warn": "warning", "info": "info",
              "information": "info", "caution": "caution"}
ERRORS = {"fatal": "fatal", "error": "error"}

INSTALL_HINT = "python3 -m pip install saxonche"


class SchematronError(Exception):
    """A usage or processing error: the run stops with exit status 2."""


# --------------------------------------------------------------------------------------------
# Reading a Schematron file: a small element tree with line numbers (expat), then the model.
# --------------------------------------------------------------------------------------------


@dataclass
class Node:
    """An element of the .sch file: namespace, local name, attributes, children, line."""

    ns: str
    name: str
    attrs: dict  # (namespace or "", local name) -> value
    children: list  # Node | str (text)
    line: int


def read_tree(path: Path) -> Node:
    """Parses `path` into `Node`s; comments are dropped, processing instructions refused."""
    root: list = []
    stack: list = []

    def start(name, attrs):
        ns, _, local = name.rpartition(" ")
        parsed = {}
        for key, value in attrs.items():
            ans, _, alocal = key.rpartition(" ")
            parsed[(ans, alocal)] = value
        node = Node(ns, local, parsed, [], parser.CurrentLineNumber)
        (stack[-1].children if stack else root).append(node)
        stack.append(node)

    def end(_name):
        stack.pop()

    def text(data):
        if stack:
            children = stack[-1].children
            if children and isinstance(children[-1], str):
                children[-1] += data
            else:
                children.append(data)

    def pi(target, _data):
        raise SchematronError(f"{path}:{parser.CurrentLineNumber}: processing instruction "
                              f"<?{target}?> is not supported")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.ProcessingInstructionHandler = pi
    try:
        parser.ParseFile(path.open("rb"))
    except OSError as e:
        raise SchematronError(f"{path}: cannot read: {e}") from e
    except expat.ExpatError as e:
        raise SchematronError(f"{path}: not well-formed XML: {e}") from e
    return root[0]


@dataclass
class Let:
    """`sch:let`: a variable."""

    name: str
    value: str


@dataclass
class ValueOf:
    """`sch:value-of select`: the string value of an expression, in a message."""

    select: str


@dataclass
class Name:
    """`sch:name path`: the name of a node (default: the context node), in a message."""

    path: str


# A message: the text of an assert, report or diagnostic.
Message = list  # of str | ValueOf | Name


@dataclass
class Check:
    """`sch:assert` (kind "assert") or `sch:report` (kind "report")."""

    kind: str
    test: str
    id: str | None
    role: str | None
    flag: str | None
    diagnostics: list  # ids of sch:diagnostic
    message: Message
    line: int


@dataclass
class Extends:
    """`sch:extends rule`: the body of an abstract rule, copied in here."""

    rule: str
    line: int


@dataclass
class Rule:
    """`sch:rule`: a context and a body of lets, checks and extends in document order."""

    context: str | None
    id: str | None
    abstract: bool
    body: list  # Let | Check | Extends
    line: int


@dataclass
class Pattern:
    """`sch:pattern`: lets evaluated on the document node, and rules."""

    id: str | None
    lets: list
    rules: list
    line: int
    abstract_rules: dict = field(default_factory=dict)  # id -> Rule


@dataclass
class Phase:
    """`sch:phase`: the ids of its active patterns, and its lets."""

    id: str
    active: list
    lets: list


@dataclass
class Schema:
    """A whole `sch:schema`."""

    path: Path
    query_binding: str | None
    namespaces: list  # (prefix, uri)
    lets: list
    patterns: list
    phases: dict  # id -> Phase
    default_phase: str | None
    diagnostics: dict  # id -> Message


# Attributes that only document: accepted everywhere they are listed, no effect on validation.
DOC_ATTRS = {("", "fpi"), ("", "icon"), ("", "see"), (XML, "lang"), (XML, "space")}

# The query bindings accepted. None: the attribute is absent (ISO would mean XSLT 1.0); two of the
# Commission's files omit it and are written for XPath 2.0, which is a superset for their tests.
QUERY_BINDINGS = {None, "xslt2", "xslt3"}

# Elements of the sch namespace this processor refuses, with the reason given to the user.
UNSUPPORTED = {
    "include": "sch:include is not supported: inline the included file",
    "param": "abstract patterns (sch:param) are not supported",
    "properties": "sch:properties is not supported",
    "property": "sch:properties is not supported",
    "rules": "sch:rules is not supported",
    "library": "sch:library is not supported",
    "group": "sch:group is not supported",
    "extends-href": "sch:extends with href is not supported",
}


class Reader:
    """Turns the `Node` tree of a .sch file into a `Schema`, refusing what it does not support."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, node: Node, message: str):
        raise SchematronError(f"{self.path}:{node.line}: {message}")

    def attrs(self, node: Node, required=(), optional=()) -> dict:
        """The attributes of `node` by local name; any attribute not listed is an error."""
        allowed = {("", a) for a in (*required, *optional)} | DOC_ATTRS
        for key in node.attrs:
            if key not in allowed:
                ns, local = key
                label = f"{{{ns}}}{local}" if ns else local
                self.fail(node, f"attribute '{label}' on sch:{node.name} is not supported")
        for a in required:
            if ("", a) not in node.attrs:
                self.fail(node, f"sch:{node.name} needs the attribute '{a}'")
        return {local: v for (ns, local), v in node.attrs.items() if ns == ""}

    def elements(self, node: Node, allowed) -> list:
        """The child elements of `node`; text other than white space and any element not in
        `allowed` (local names in the sch namespace) is an error."""
        out = []
        for child in node.children:
            if isinstance(child, str):
                if child.strip():
                    self.fail(node, f"text {child.strip()[:40]!r} is not allowed in "
                                    f"sch:{node.name}")
                continue
            if child.ns != SCH:
                self.fail(child, f"foreign element {{{child.ns}}}{child.name} in "
                                 f"sch:{node.name} is not supported")
            if child.name in UNSUPPORTED:
                self.fail(child, UNSUPPORTED[child.name])
            if child.name not in allowed:
                self.fail(child, f"sch:{child.name} is not allowed in sch:{node.name}")
            out.append(child)
        return out

    def documentation(self, node: Node):
        """`sch:title`, `sch:p`: checked for their attributes only; they do not validate."""
        self.attrs(node, optional=("id", "class", "icon"))

    def schema(self, node: Node) -> Schema:
        if node.ns != SCH or node.name != "schema":
            self.fail(node, f"the root element must be sch:schema, not {{{node.ns}}}{node.name}")
        a = self.attrs(node, optional=("id", "queryBinding", "schemaVersion", "defaultPhase"))
        binding = a.get("queryBinding")
        if binding not in QUERY_BINDINGS:
            self.fail(node, f"queryBinding '{binding}' is not supported (xslt2, xslt3)")
        schema = Schema(self.path, binding, [], [], [], {}, a.get("defaultPhase"), {})
        for child in self.elements(node, {"title", "p", "ns", "let", "phase", "pattern",
                                          "diagnostics"}):
            if child.name in ("title", "p"):
                self.documentation(child)
            elif child.name == "ns":
                ns = self.attrs(child, required=("prefix", "uri"))
                self.elements(child, ())
                schema.namespaces.append((ns["prefix"], ns["uri"]))
            elif child.name == "let":
                schema.lets.append(self.let(child))
            elif child.name == "phase":
                phase = self.phase(child)
                if phase.id in schema.phases:
                    self.fail(child, f"two phases with the id '{phase.id}'")
                schema.phases[phase.id] = phase
            elif child.name == "pattern":
                schema.patterns.append(self.pattern(child))
            elif child.name == "diagnostics":
                for d in self.elements(child, {"diagnostic"}):
                    da = self.attrs(d, required=("id",), optional=("role",))
                    if da["id"] in schema.diagnostics:
                        self.fail(d, f"two diagnostics with the id '{da['id']}'")
                    schema.diagnostics[da["id"]] = self.message(d)
        self.check_references(schema)
        return schema

    def check_references(self, schema: Schema):
        """Every extends, diagnostics and active reference must name something that exists."""
        pattern_ids = {p.id for p in schema.patterns if p.id}
        for phase in schema.phases.values():
            for pid in phase.active:
                if pid not in pattern_ids:
                    raise SchematronError(f"{self.path}: phase '{phase.id}' activates the "
                                          f"unknown pattern '{pid}'")
        for pattern in schema.patterns:
            for rule in [*pattern.rules, *pattern.abstract_rules.values()]:
                for item in rule.body:
                    if isinstance(item, Extends) and item.rule not in pattern.abstract_rules:
                        raise SchematronError(f"{self.path}:{item.line}: sch:extends names "
                                              f"'{item.rule}', which is no abstract rule of "
                                              "this pattern")
                    if isinstance(item, Check):
                        for d in item.diagnostics:
                            if d not in schema.diagnostics:
                                raise SchematronError(f"{self.path}:{item.line}: unknown "
                                                      f"diagnostic '{d}'")

    def let(self, node: Node) -> Let:
        a = self.attrs(node, required=("name",), optional=("value",))
        if "value" not in a or any(not isinstance(c, str) or c.strip() for c in node.children):
            self.fail(node, "sch:let without a value attribute (with content) is not supported")
        return Let(a["name"], a["value"])

    def phase(self, node: Node) -> Phase:
        a = self.attrs(node, required=("id",))
        phase = Phase(a["id"], [], [])
        for child in self.elements(node, {"title", "p", "let", "active"}):
            if child.name in ("title", "p"):
                self.documentation(child)
            elif child.name == "let":
                phase.lets.append(self.let(child))
            else:
                phase.active.append(self.attrs(child, required=("pattern",))["pattern"])
                self.message(child)  # documentation, but check its markup
        return phase

    def pattern(self, node: Node) -> Pattern:
        if ("", "abstract") in node.attrs or ("", "is-a") in node.attrs:
            self.fail(node, "abstract patterns (abstract, is-a) are not supported")
        a = self.attrs(node, optional=("id",))
        pattern = Pattern(a.get("id"), [], [], node.line)
        for child in self.elements(node, {"title", "p", "let", "rule"}):
            if child.name in ("title", "p"):
                self.documentation(child)
            elif child.name == "let":
                pattern.lets.append(self.let(child))
            else:
                rule = self.rule(child)
                if rule.abstract:
                    if rule.id in pattern.abstract_rules:
                        self.fail(child, f"two abstract rules with the id '{rule.id}'")
                    pattern.abstract_rules[rule.id] = rule
                else:
                    pattern.rules.append(rule)
        return pattern

    def rule(self, node: Node) -> Rule:
        a = self.attrs(node, optional=("context", "id", "abstract"))
        abstract = a.get("abstract", "false")
        if abstract not in ("true", "false"):
            self.fail(node, f"abstract='{abstract}' must be true or false")
        rule = Rule(a.get("context"), a.get("id"), abstract == "true", [], node.line)
        if rule.abstract and (not rule.id or rule.context):
            self.fail(node, "an abstract rule needs an id and has no context")
        if not rule.abstract and not rule.context:
            self.fail(node, "sch:rule needs a context")
        for child in self.elements(node, {"let", "assert", "report", "extends"}):
            if child.name == "let":
                rule.body.append(self.let(child))
            elif child.name == "extends":
                if ("", "href") in child.attrs:
                    self.fail(child, UNSUPPORTED["extends-href"])
                rule.body.append(Extends(self.attrs(child, required=("rule",))["rule"],
                                         child.line))
            else:
                ca = self.attrs(child, required=("test",),
                                optional=("id", "role", "flag", "diagnostics"))
                rule.body.append(Check(child.name, ca["test"], ca.get("id"), ca.get("role"),
                                       ca.get("flag"), ca.get("diagnostics", "").split(),
                                       self.message(child), child.line))
        return rule

    def message(self, node: Node) -> Message:
        """The mixed content of an assert, report or diagnostic: text, value-of, name and the
        inline markup emph/dir/span (whose text is kept)."""
        out: Message = []
        for child in node.children:
            if isinstance(child, str):
                out.append(child)
                continue
            if child.ns != SCH:
                self.fail(child, f"foreign element {{{child.ns}}}{child.name} in a message "
                                 "is not supported")
            if child.name == "value-of":
                out.append(ValueOf(self.attrs(child, required=("select",))["select"]))
                self.elements(child, ())
            elif child.name == "name":
                out.append(Name(self.attrs(child, optional=("path",)).get("path", ".")))
                self.elements(child, ())
            elif child.name in ("emph", "dir", "span"):
                self.attrs(child, optional=("value", "class"))
                out.extend(self.message(child))
            else:
                self.fail(child, f"sch:{child.name} is not allowed in a message")
        return out


def load_schema(path: Path) -> Schema:
    """Reads and checks a Schematron file."""
    return Reader(path).schema(read_tree(path))


# --------------------------------------------------------------------------------------------
# Compiling a Schema into XSLT 3.0 that writes SVRL.
# --------------------------------------------------------------------------------------------


def attr(value: str) -> str:
    """An XML attribute value in double quotes, exact (line breaks and tabs kept)."""
    return '"' + (value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
                  .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")) + '"'


def avt(value: str) -> str:
    """A literal value in an attribute value template (an attribute of a literal result
    element such as `svrl:failed-assert`): braces doubled."""
    return attr(value.replace("{", "{{").replace("}", "}}"))


def text(value: str) -> str:
    """XML character data."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def comment(value: str) -> str:
    """An XML comment (a "--" inside would end it early)."""
    return "<!-- " + value.replace("--", "- -") + " -->"


# The helper functions every generated stylesheet carries.
LOCATION_FUNCTIONS = """
  <!-- The location of a node as an XPath with the message's own prefixes and a position among
       the siblings of the same name, e.g. /query:QueryRequest[1]/rim:Slot[3]/@name. -->
  <xsl:function name="once-sch:location" as="xs:string">
    <xsl:param name="node" as="node()"/>
    <xsl:variable name="steps" select="for $n in $node/ancestor-or-self::node() return once-sch:step($n)"/>
    <xsl:sequence select="if (empty($steps[. ne ''])) then '/' else string-join($steps, '')"/>
  </xsl:function>
  <xsl:function name="once-sch:step" as="xs:string">
    <xsl:param name="n" as="node()"/>
    <xsl:choose>
      <xsl:when test="$n instance of document-node()"><xsl:sequence select="''"/></xsl:when>
      <xsl:when test="$n instance of element()">
        <xsl:sequence select="concat('/', name($n), '[', count($n/preceding-sibling::*[node-name(.) eq node-name($n)]) + 1, ']')"/>
      </xsl:when>
      <xsl:when test="$n instance of attribute()"><xsl:sequence select="concat('/@', name($n))"/></xsl:when>
      <xsl:when test="$n instance of text()">
        <xsl:sequence select="concat('/text()[', count($n/preceding-sibling::text()) + 1, ']')"/>
      </xsl:when>
      <xsl:when test="$n instance of comment()">
        <xsl:sequence select="concat('/comment()[', count($n/preceding-sibling::comment()) + 1, ']')"/>
      </xsl:when>
      <xsl:when test="$n instance of processing-instruction()">
        <xsl:sequence select="concat('/processing-instruction()[', count($n/preceding-sibling::processing-instruction()) + 1, ']')"/>
      </xsl:when>
      <xsl:otherwise><xsl:sequence select="concat('/namespace::', name($n))"/></xsl:otherwise>
    </xsl:choose>
  </xsl:function>
"""

# Prefixes the generated stylesheet uses itself; a schema may declare them only for the same URI.
RESERVED_PREFIXES = {"xsl": XSL, "xs": XS, "svrl": SVRL, "once-sch": LOCAL, "xml": XML}


class XsltWriter:
    """Writes the XSLT 3.0 for one schema and phase (see the module documentation)."""

    def __init__(self, schema: Schema, phase: str | None):
        self.schema = schema
        self.out: list[str] = []
        self.patterns, self.phase_lets = self.active(phase)

    def active(self, phase: str | None):
        """The patterns to run and the phase's lets."""
        s = self.schema
        name = phase or s.default_phase or "#ALL"
        if name == "#ALL":
            return s.patterns, []
        if name not in s.phases:
            known = ", ".join(sorted(s.phases)) or "none"
            raise SchematronError(f"{s.path}: no phase '{name}' (phases: {known}, #ALL)")
        ids = set(s.phases[name].active)
        return [p for p in s.patterns if p.id in ids], s.phases[name].lets

    def write(self) -> str:
        s = self.schema
        namespaces = dict(RESERVED_PREFIXES)
        for prefix, uri in s.namespaces:
            if not re.fullmatch(r"[A-Za-z_][\w.-]*", prefix):
                raise SchematronError(f"{s.path}: sch:ns prefix '{prefix}' is not an NCName")
            if namespaces.get(prefix, uri) != uri:
                raise SchematronError(f"{s.path}: sch:ns binds the prefix '{prefix}' to {uri}, "
                                      f"but it is bound to {namespaces[prefix]}")
            namespaces[prefix] = uri
        decls = "".join(f"\n    xmlns:{p}={attr(u)}" for p, u in namespaces.items() if p != "xml")
        self.line(f"<xsl:stylesheet version=\"3.0\"{decls}\n    exclude-result-prefixes=\"#all\">")
        self.line("  " + comment(f"Generated from {s.path.name} by schematron.py."))
        self.line('  <xsl:output method="xml" indent="no"/>')
        self.line(LOCATION_FUNCTIONS)
        self.line("  <!-- sch:let of the schema and of the phase: global variables; context: the "
                  "document node. -->")
        for let in [*s.lets, *self.phase_lets]:
            self.line(f"  <xsl:variable name={attr(let.name)} select={attr(let.value)}/>")
        self.line('  <xsl:template match="/">')
        self.line(f"    <svrl:schematron-output title={avt(s.path.name)}>")
        for i, _ in enumerate(self.patterns):
            self.line(f'      <xsl:call-template name="once-sch:pattern-{i}"/>')
        self.line("    </svrl:schematron-output>")
        self.line("  </xsl:template>")
        for i, pattern in enumerate(self.patterns):
            self.pattern(i, pattern)
        self.line("</xsl:stylesheet>")
        return "\n".join(self.out)

    def line(self, s: str):
        self.out.append(s)

    def pattern(self, i: int, pattern: Pattern):
        mode = f"once-sch:p{i}"
        label = f"id={pattern.id}, " if pattern.id else ""
        self.line("\n  " + comment(f"sch:pattern {label}line {pattern.line}: mode {mode}"))
        self.line(f'  <xsl:template name="once-sch:pattern-{i}">')
        for let in pattern.lets:
            self.line(f"    <xsl:variable name={attr(let.name)} select={attr(let.value)}/>")
        pid = f" id={avt(pattern.id)}" if pattern.id else ""
        self.line(f"    <svrl:active-pattern{pid}/>")
        if not pattern.lets:
            self.line(f'    <xsl:apply-templates select="." mode="{mode}"/>')
        else:
            self.line(f'    <xsl:apply-templates select="." mode="{mode}">')
            for let in pattern.lets:
                self.line(f"      <xsl:with-param name={attr(let.name)} "
                          f"select=\"${let.name}\" tunnel=\"yes\"/>")
            self.line("    </xsl:apply-templates>")
        self.line("  </xsl:template>")
        for j, rule in enumerate(pattern.rules):
            self.rule(mode, len(pattern.rules) - j, rule, pattern)
        self.line("  <!-- Nodes no rule of this pattern matches: keep walking. -->")
        self.line(f'  <xsl:template match="document-node()|element()" mode="{mode}" '
                  'priority="-1">')
        self.line(f'    <xsl:apply-templates select="@*|node()" mode="{mode}"/>')
        self.line("  </xsl:template>")
        self.line(f'  <xsl:template match="attribute()|text()|comment()|processing-instruction()"'
                  f' mode="{mode}" priority="-1"/>')

    def rule(self, mode: str, priority: int, rule: Rule, pattern: Pattern):
        self.line("  " + comment(f"sch:rule {rule.id or ''} line {rule.line}".replace("  ", " ")))
        self.line(f"  <xsl:template match={attr(rule.context)} mode=\"{mode}\" "
                  f"priority=\"{priority}\">")
        for let in pattern.lets:
            self.line(f"    <xsl:param name={attr(let.name)} tunnel=\"yes\" required=\"yes\"/>")
        rid = f" id={avt(rule.id)}" if rule.id else ""
        self.line(f"    <svrl:fired-rule context={avt(rule.context)}{rid}/>")
        for item in self.expand(pattern, rule.body, []):
            if isinstance(item, Let):
                self.line(f"    <xsl:variable name={attr(item.name)} select={attr(item.value)}/>")
            else:
                self.check(item)
        self.line(f'    <xsl:apply-templates select="@*|node()" mode="{mode}"/>')
        self.line("  </xsl:template>")

    def expand(self, pattern: Pattern, body: list, seen: list) -> list:
        """The rule body with every sch:extends replaced by the body of the abstract rule of
        the same pattern that it names (recursively)."""
        out = []
        for item in body:
            if isinstance(item, Extends):
                if item.rule in seen:
                    raise SchematronError(f"{self.schema.path}:{item.line}: sch:extends "
                                          f"cycle through '{item.rule}'")
                out.extend(self.expand(pattern, pattern.abstract_rules[item.rule].body,
                                       [*seen, item.rule]))
            else:
                out.append(item)
        return out

    def check(self, check: Check):
        element = "svrl:failed-assert" if check.kind == "assert" else "svrl:successful-report"
        attrs = f" test={avt(check.test)}"
        for name in ("id", "role", "flag"):
            value = getattr(check, name)
            if value is not None:
                attrs += f" {name}={avt(value)}"
        attrs += ' location="{once-sch:location(.)}"'
        self.line("    " + comment(f"sch:{check.kind} {check.id or '(no id)'}, line {check.line}"))
        if check.kind == "assert":
            self.line("    <xsl:choose>")
            self.line(f"      <xsl:when test={attr(check.test)}/>")
            self.line("      <xsl:otherwise>")
        else:
            self.line(f"    <xsl:if test={attr(check.test)}>")
        self.line(f"        <{element}{attrs}>")
        self.line(f"          <svrl:text>{self.message(check.message)}</svrl:text>")
        for d in check.diagnostics:
            self.line(f"          <svrl:diagnostic-reference diagnostic={avt(d)}>"
                      f"<svrl:text>{self.message(self.schema.diagnostics[d])}</svrl:text>"
                      "</svrl:diagnostic-reference>")
        self.line(f"        </{element}>")
        if check.kind == "assert":
            self.line("      </xsl:otherwise>")
            self.line("    </xsl:choose>")
        else:
            self.line("    </xsl:if>")

    @staticmethod
    def message(message: Message) -> str:
        parts = []
        for part in message:
            if isinstance(part, str):
                parts.append(f"<xsl:text>{text(part)}</xsl:text>")
            elif isinstance(part, ValueOf):
                parts.append(f"<xsl:value-of select={attr(part.select)}/>")
            else:
                parts.append(f"<xsl:value-of select={attr('name(' + part.path + ')')}/>")
        return "".join(parts)


def compile_schema(schema: Schema, phase: str | None = None) -> str:
    """The XSLT 3.0 stylesheet (text) for `schema` and `phase` (None: default phase)."""
    return XsltWriter(schema, phase).write()


# --------------------------------------------------------------------------------------------
# Running: Saxon, the findings, choosing the rule sets of a message.
# --------------------------------------------------------------------------------------------


@dataclass
class Finding:
    """One failed assert or successful report."""

    rule_set: str
    kind: str  # "assert" | "report"
    id: str | None
    severity: str  # fatal | error | warning | info | caution
    role: str | None
    flag: str | None
    location: str
    test: str
    message: str
    diagnostics: list  # [{"id", "message"}]

    @property
    def is_error(self) -> bool:
        return self.severity in ERRORS.values()


def severity(role: str | None, flag: str | None) -> str:
    """The role, else the flag, else "error"; unknown values count as "error"."""
    raw = (role or flag or "error").strip().lower()
    return NOT_ERRORS.get(raw) or ERRORS.get(raw) or "error"


def normalize(s: str) -> str:
    return " ".join(s.split())


@dataclass
class RuleSet:
    """A compiled Schematron file."""

    name: str
    path: Path
    executable: object  # saxonche PyXsltExecutable


@dataclass
class Result:
    """The findings for one message and rule set, and how many rules fired."""

    rule_set: str
    fired_rules: int
    findings: list


class Checker:
    """Compiles rule sets once per process and runs them over messages."""

    def __init__(self, phase: str | None = None):
        try:
            import saxonche
        except ImportError as e:
            raise SchematronError(f"the Python package saxonche is missing: {INSTALL_HINT}") from e
        self.saxon = saxonche
        self.proc = saxonche.PySaxonProcessor(license=False)
        self.xslt = self.proc.new_xslt30_processor()
        self.phase = phase
        self.cache: dict[Path, RuleSet] = {}

    def rule_set(self, spec: str) -> RuleSet:
        """A bundled rule set by name (EDM-REQ-S) or a .sch file by path, compiled once."""
        path = resolve_rule_set(spec)
        if path not in self.cache:
            xslt = compile_schema(load_schema(path), self.phase)
            try:
                executable = self.xslt.compile_stylesheet(stylesheet_text=xslt)
            except self.saxon.PySaxonApiError as e:
                raise SchematronError(f"{path}: the generated XSLT does not compile (see "
                                      f"--print-xslt): {normalize(str(e))}") from e
            self.cache[path] = RuleSet(path.stem, path, executable)
        return self.cache[path]

    def parse(self, file: str):
        """The message as a Saxon document; "-" reads UTF-8 from standard input."""
        try:
            if file == "-":
                data = sys.stdin.buffer.read().decode("utf-8")
                return self.proc.parse_xml(xml_text=data)
            if not Path(file).is_file():
                raise SchematronError(f"{file}: no such file")
            return self.proc.parse_xml(xml_file_name=str(Path(file).resolve()))
        except UnicodeDecodeError as e:
            raise SchematronError(f"{file}: standard input is not UTF-8: {e}") from e
        except self.saxon.PySaxonApiError as e:
            raise SchematronError(f"{file}: not well-formed XML: {normalize(str(e))}") from e

    def auto(self, doc) -> list[str]:
        """The EDM rule sets for a message, as SOURCES.md says: query:QueryRequest → EDM-REQ;
        query:QueryResponse with an rs:Exception → EDM-ERR; other query:QueryResponse → EDM-RESP."""
        xp = self.proc.new_xpath_processor()
        xp.declare_namespace("query", QUERY)
        xp.declare_namespace("rs", RS)
        xp.set_context(xdm_item=doc)
        kind = xp.evaluate_single(
            "if (/query:QueryRequest) then 'REQ' else if (/query:QueryResponse/rs:Exception) "
            "then 'ERR' else if (/query:QueryResponse) then 'RESP' else "
            "concat('Q{', namespace-uri(/*), '}', local-name(/*))")
        kind = str(kind)
        if kind not in ("REQ", "RESP", "ERR"):
            raise SchematronError(f"--rules auto: no EDM rule set for the root element {kind} "
                                  "(expected query:QueryRequest or query:QueryResponse)")
        return [f"EDM-{kind}-S", f"EDM-{kind}-C"]

    def run(self, rule_set: RuleSet, doc) -> Result:
        executable = rule_set.executable
        executable.set_global_context_item(xdm_item=doc)
        try:
            svrl = executable.transform_to_string(xdm_node=doc)
        except self.saxon.PySaxonApiError as e:
            raise SchematronError(f"{rule_set.path.name}: evaluation failed: "
                                  f"{normalize(str(e))}") from e
        return read_svrl(rule_set.name, svrl)


def read_svrl(rule_set: str, svrl: str) -> Result:
    """The findings of an SVRL report."""
    root = ET.fromstring(svrl)
    fired = len(root.findall(f"{{{SVRL}}}fired-rule"))
    findings = []
    for el in root:
        if el.tag not in (f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
            continue
        role, flag = el.get("role"), el.get("flag")
        diagnostics = [{"id": d.get("diagnostic"),
                        "message": normalize("".join(d.itertext()))}
                       for d in el.findall(f"{{{SVRL}}}diagnostic-reference")]
        message = el.find(f"{{{SVRL}}}text")
        findings.append(Finding(
            rule_set=rule_set,
            kind="assert" if el.tag.endswith("failed-assert") else "report",
            id=el.get("id"), severity=severity(role, flag), role=role, flag=flag,
            location=el.get("location", ""), test=el.get("test", ""),
            message=normalize("".join(message.itertext())) if message is not None else "",
            diagnostics=diagnostics))
    return Result(rule_set, fired, findings)


def resolve_rule_set(spec: str) -> Path:
    """`EDM-REQ-S` → the bundled file; anything with a / or ending in .sch → that file."""
    if spec.endswith(".sch") or "/" in spec:
        path = Path(spec)
    else:
        path = RULES_DIR / f"{spec}.sch"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in RULES_DIR.glob("*.sch")))
            raise SchematronError(f"no bundled rule set '{spec}' (known: {known})")
    if not path.is_file():
        raise SchematronError(f"{spec}: no such rule set file")
    return path.resolve()


# --------------------------------------------------------------------------------------------
# Command line.
# --------------------------------------------------------------------------------------------


def arguments(argv):
    p = argparse.ArgumentParser(
        prog="schematron.py",
        description="Check XML messages against ISO Schematron rules (the Commission's OOTS EDM "
                    "1.0 rules are bundled). Exit status: 0 no error-level finding, 1 error-level "
                    "findings, 2 usage or processing error.")
    p.add_argument("files", nargs="*", metavar="FILE", help="messages to check; - for stdin")
    p.add_argument("--rules", default="auto",
                   help="'auto' (by the message: EDM-REQ, EDM-RESP or EDM-ERR, S and C), or "
                        "comma-separated bundled names (EDM-REQ-S, …) or .sch paths "
                        "(default: auto)")
    p.add_argument("--phase", help="the phase to run (default: the schema's defaultPhase, "
                                   "else #ALL)")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.add_argument("--errors-only", action="store_true",
                   help="list only error-level findings (human output)")
    p.add_argument("--print-xslt", action="store_true",
                   help="print the XSLT generated for --rules (not auto) and exit")
    return p.parse_args(argv)


class UsageError(SchematronError):
    """A command line that makes no sense."""


def main(argv=None) -> int:
    try:
        args = arguments(argv)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2)
        return int(e.code or 0)
    specs = [s.strip() for s in args.rules.split(",") if s.strip()]
    try:
        if args.print_xslt:
            if specs == ["auto"] or len(specs) != 1:
                raise UsageError("--print-xslt needs exactly one rule set in --rules")
            print(compile_schema(load_schema(resolve_rule_set(specs[0])), args.phase))
            return 0
        if not args.files:
            raise UsageError("no FILE given (use - for standard input)")
        if "auto" in specs and len(specs) > 1:
            raise UsageError("--rules auto cannot be combined with other rule sets")
        checker = Checker(args.phase)
        if "auto" not in specs:
            for spec in specs:  # compile before reading any message: a bad schema stops early
                checker.rule_set(spec)
    except SchematronError as e:
        print(f"schematron.py: {e}", file=sys.stderr)
        return 2

    reports = []
    status = 0
    for file in args.files:
        report = {"file": file}
        try:
            doc = checker.parse(file)
            names = checker.auto(doc) if specs == ["auto"] else specs
            results = [checker.run(checker.rule_set(n), doc) for n in names]
        except SchematronError as e:
            report["error"] = str(e)
            reports.append(report)
            status = 2
            if not args.json:
                print(f"schematron.py: {e}", file=sys.stderr)
            continue
        findings = [f for r in results for f in r.findings]
        errors = sum(f.is_error for f in findings)
        report.update({
            "rule_sets": [{"name": r.rule_set, "fired_rules": r.fired_rules} for r in results],
            "errors": errors,
            "non_errors": len(findings) - errors,
            "findings": [finding_json(f) for f in findings],
        })
        reports.append(report)
        if errors and status == 0:
            status = 1
        if not args.json:
            print_human(file, results, findings, errors, args.errors_only)

    if args.json:
        json.dump({"processor": "schematron.py", "saxon": checker.proc.version,
                   "status": status, "files": reports}, sys.stdout, indent=2, ensure_ascii=False)
        print()
    return status


def finding_json(f: Finding) -> dict:
    return {"rule_set": f.rule_set, "kind": f.kind, "id": f.id, "severity": f.severity,
            "is_error": f.is_error, "role": f.role, "flag": f.flag, "location": f.location,
            "test": f.test, "message": f.message, "diagnostics": f.diagnostics}


def print_human(file, results, findings, errors, errors_only):
    for f in findings:
        if errors_only and not f.is_error:
            continue
        print(f"{file}: {f.severity} {f.rule_set} {f.id or '(no id)'} at {f.location}: "
              f"{f.message}")
        for d in f.diagnostics:
            print(f"    diagnostic {d['id']}: {d['message']}")
    sets = ", ".join(f"{r.rule_set} ({r.fired_rules} rules fired)" for r in results)
    verdict = "FAIL" if errors else "PASS"
    print(f"{file}: {verdict}: {errors} error(s), {len(findings) - errors} warning/info; {sets}")


if __name__ == "__main__":
    sys.exit(main())
