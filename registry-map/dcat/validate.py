#!/usr/bin/env python3
"""Validates a DCAT-AP.de export of the register map with pyshacl, offline.

    python3 validate.py EXPORT.ttl

Shapes (this folder): the DCAT-AP.de 3.0 shapes shacl/dcat-ap-SHACL-DE.ttl,
shacl/dcat-ap-spec-german-additions.ttl, shacl/dcat-ap-de-controlledvocabularies.ttl, and
dcat-ap-3.0-mandatory.ttl (the base DCAT-AP 3.0 rules SHACL-DE refers to; see that file). The
data graph is the export plus vocabularies.ttl (skos:inScheme facts of the concepts used; any
other kind of triple there is refused). No owl:imports are followed, nothing is fetched.

Then the export is checked against shacl/dcat-ap-de-deprecated.ttl: its warnings are listed; the
only deprecated properties allowed are dcatde:politicalGeocodingURI and dcatde:legalBasis, which
the register map exports on purpose (see registry-map/src/export.rs).

Exit status: 0 conforms, 1 does not conform (the report is printed), 2 usage or unreadable input,
3 pyshacl or rdflib missing.
"""

import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHAPES = [
    HERE / "shacl" / "dcat-ap-SHACL-DE.ttl",
    HERE / "shacl" / "dcat-ap-spec-german-additions.ttl",
    HERE / "shacl" / "dcat-ap-de-controlledvocabularies.ttl",
    HERE / "dcat-ap-3.0-mandatory.ttl",
]
DEPRECATED = HERE / "shacl" / "dcat-ap-de-deprecated.ttl"
VOCABULARIES = HERE / "vocabularies.ttl"
ALLOWED_DEPRECATED = {
    "http://dcat-ap.de/def/dcatde/politicalGeocodingURI",
    "http://dcat-ap.de/def/dcatde/legalBasis",
}
# Results printed in full at most; the rest are counted by message.
SHOWN = 40

try:
    import pyshacl
    from rdflib import Graph, Namespace, RDF
except ImportError as missing:
    print(
        f"pyshacl is not installed ({missing}); install it with: python3 -m pip install pyshacl==0.40.1",
        file=sys.stderr,
    )
    sys.exit(3)

SH = Namespace("http://www.w3.org/ns/shacl#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")


def vocabularies():
    graph = Graph().parse(VOCABULARIES, format="turtle")
    allowed = {SKOS.inScheme, SKOS.prefLabel}
    for s, p, o in graph:
        if not (p in allowed or (p == RDF.type and o == SKOS.Concept)):
            sys.exit(f"{VOCABULARIES.name}: only skos facts belong there, not {s} {p} {o}")
    return graph


def results(report):
    """(severity, focus, path, message) of every validation result."""
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        out.append(
            (
                str(severity).rsplit("#", 1)[-1],
                str(report.value(result, SH.focusNode)),
                str(report.value(result, SH.resultPath)),
                str(report.value(result, SH.resultMessage)),
            )
        )
    return sorted(out)


def show(found):
    for severity, focus, path, message in found[:SHOWN]:
        print(f"  {severity}: {focus}\n    path {path}: {message}")
    if len(found) > SHOWN:
        print(f"  … and {len(found) - SHOWN} more; by message:")
        for (severity, message), n in Counter((r[0], r[3]) for r in found).most_common():
            print(f"  {n:>7} × {severity}: {message}")


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        data = Graph().parse(argv[1], format="turtle")
    except Exception as error:  # rdflib raises many kinds; any means the export is not Turtle
        print(f"{argv[1]}: not valid Turtle: {error}", file=sys.stderr)
        return 2
    triples = len(data)
    data += vocabularies()
    shapes = Graph()
    for path in SHAPES:
        shapes.parse(path, format="turtle")
    parsed = time.monotonic()
    conforms, report, _ = pyshacl.validate(
        data,
        shacl_graph=shapes,
        do_owl_imports=False,
        inference="none",
        allow_warnings=False,
    )
    validated = time.monotonic()
    found = results(report)
    print(
        f"{triples} triples, {len(set(data.subjects(RDF.type, Namespace('http://www.w3.org/ns/dcat#').Dataset)))} datasets; "
        f"parsed in {parsed - started:.1f} s, validated in {validated - parsed:.1f} s "
        f"(pyshacl {pyshacl.__version__}, shapes: {', '.join(p.name for p in SHAPES)})"
    )
    print(f"conforms: {conforms} ({len(found)} results)")
    if not conforms:
        show(found)
        return 1

    _, deprecated_report, _ = pyshacl.validate(
        data,
        shacl_graph=Graph().parse(DEPRECATED, format="turtle"),
        do_owl_imports=False,
        inference="none",
    )
    deprecated = results(deprecated_report)
    by_path = Counter(r[2] for r in deprecated)
    print(f"deprecated ({DEPRECATED.name}): {dict(by_path) or 'none'}")
    unexpected = [r for r in deprecated if r[0] != "Warning" or r[2] not in ALLOWED_DEPRECATED]
    if unexpected:
        print("deprecated properties beyond politicalGeocodingURI and legalBasis:")
        show(unexpected)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
