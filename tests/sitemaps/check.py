#!/usr/bin/env python3
"""Validates a sitemap against the official XML schemas beside this file (see README.md):
`check.py index|urlset|news FILE` (or `-` for stdin).

`index` is checked against siteindex.xsd; `urlset` and `news` against sitemap.xsd together with
Google's sitemap-news.xsd. sitemap.xsd lets a `<url>` carry elements of other namespaces under a
*strict* wildcard, so a `news:` element is validated against the news schema, and an element no
loaded schema declares is an error. Before trusting that, the script proves it on two broken
documents (a news language Google refuses, an undeclared extension element): both must be
refused. `news` also requires every `<url>` to carry a `news:news`.

Exits 0 when the sitemap is accepted, 1 with the reasons on stderr when not, 2 when lxml is
missing or the schemas misbehave.
"""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def fail(reason, code=1):
    print(reason, file=sys.stderr)
    sys.exit(code)


def schema(etree, kind):
    if kind == "index":
        return etree.XMLSchema(etree.parse(str(HERE / "siteindex.xsd")))
    # One schema made of both: the sitemap's namespace and the news extension's.
    wrapper = f"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">
      <xsd:import namespace="{SITEMAP_NS}" schemaLocation="{(HERE / 'sitemap.xsd').as_uri()}"/>
      <xsd:import namespace="{NEWS_NS}" schemaLocation="{(HERE / 'sitemap-news.xsd').as_uri()}"/>
    </xsd:schema>"""
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))


def refuses(etree, xsd, body):
    return not xsd.validate(etree.fromstring(body.encode()))


def prove_strict(etree, xsd):
    """The schema must refuse what a lax or missing news schema would let through."""
    head = f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}"><url><loc>https://example.org/a</loc>'
    bad_language = head + (
        "<news:news><news:publication><news:name>X</news:name>"
        "<news:language>english</news:language></news:publication>"
        "<news:publication_date>2026-01-02</news:publication_date>"
        "<news:title>T</news:title></news:news></url></urlset>"
    )
    undeclared = (
        f'<urlset xmlns="{SITEMAP_NS}" xmlns:x="urn:example:undeclared">'
        "<url><loc>https://example.org/a</loc><x:thing/></url></urlset>"
    )
    if not refuses(etree, xsd, bad_language):
        fail("the news schema is not applied: a bad news:language passed", 2)
    if not refuses(etree, xsd, undeclared):
        fail("the wildcard is not strict: an undeclared element passed", 2)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("index", "urlset", "news"):
        fail("usage: check.py index|urlset|news FILE", 2)
    kind, path = sys.argv[1], sys.argv[2]
    try:
        from lxml import etree
    except ImportError:
        fail("lxml is not installed", 2)
    data = sys.stdin.buffer.read() if path == "-" else pathlib.Path(path).read_bytes()
    xsd = schema(etree, kind)
    if kind != "index":
        prove_strict(etree, xsd)
    try:
        doc = etree.fromstring(data)
    except etree.XMLSyntaxError as e:
        fail(f"not well-formed XML: {e}")
    if not xsd.validate(doc):
        fail("; ".join(f"line {e.line}: {e.message}" for e in list(xsd.error_log)[:5]))
    ns = {"s": SITEMAP_NS, "n": NEWS_NS}
    if kind == "index":
        print(f"index: {len(doc.findall('s:sitemap', ns))} sitemaps")
        return
    urls = doc.findall("s:url", ns)
    if len(urls) > 50000:
        fail(f"{len(urls)} URLs: more than the protocol's 50,000")
    if kind == "news":
        bare = [u.findtext("s:loc", namespaces=ns) for u in urls if u.find("n:news", ns) is None]
        if bare:
            fail(f"URLs without news:news: {bare[:3]}")
    print(f"{kind}: {len(urls)} URLs")


if __name__ == "__main__":
    main()
