#!/usr/bin/env python3
"""Checks an article's schema.org JSON-LD with independent tools:
`check.py FILE EXPECT` (FILE or `-` for stdin; EXPECT a JSON object of expected values).

The document is expanded and turned into RDF by PyLD, with the schema.org context served from
`schemaorg-context.jsonld` beside this file (no network: any other context is refused). That
file keeps the mechanics of the context schema.org publishes: `@vocab` http://schema.org/, and
the URL-valued properties (`url`, `mainEntityOfPage`, `logo`, `license`, `image`, ...) coerced
to IRIs. The triples are then read with rdflib:

- every predicate and every `rdf:type` is a term of the schema.org vocabulary (one of the names
  rdflib's `SDO` namespace lists), so a misspelt property fails rather than vanishes;
- exactly one `NewsArticle` carries headline (at most 110 characters), description, image,
  author, datePublished, dateModified, publisher, isAccessibleForFree (boolean true),
  mainEntityOfPage, url (an IRI), inLanguage, articleSection, keywords and correction, less
  those EXPECT lists in `absent` (which must then be missing);
- each image is an ImageObject with an IRI url, integer width and height, caption, creditText
  and copyrightNotice; each author a Person with a name and an http(s) url; the publisher an
  Organization with a name and url; each correction a CorrectionComment with text and a
  date-time; dates are ISO 8601 with a zone, and dateModified is not before datePublished;
- the values EXPECT names (headline, description, url, inLanguage, articleSection, keywords,
  authors as name/url/jobTitle, corrections' texts, images' creditText and copyrightNotice,
  publisher name and url) are the ones found.

Exits 0 when the document passes, 1 with the reasons on stderr when not, 2 when a tool is
missing.
"""

import datetime
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
SCHEMA_URLS = {"https://schema.org", "https://schema.org/", "http://schema.org", "http://schema.org/"}

REQUIRED = [
    "headline", "description", "image", "author", "datePublished", "dateModified", "publisher",
    "isAccessibleForFree", "mainEntityOfPage", "url", "inLanguage", "articleSection", "keywords",
    "correction",
]


def fail(reason, code=1):
    print(reason, file=sys.stderr)
    sys.exit(code)


def main():
    if len(sys.argv) != 3:
        fail("usage: check.py FILE|- EXPECT_JSON", 2)
    try:
        from pyld import jsonld
        import rdflib
        from rdflib.namespace import RDF, SDO, XSD
    except ImportError as e:
        fail(f"a checker is not installed: {e}", 2)
    path, expect = sys.argv[1], json.loads(sys.argv[2])
    data = sys.stdin.buffer.read() if path == "-" else pathlib.Path(path).read_bytes()
    try:
        doc = json.loads(data.decode("utf-8"))
    except ValueError as e:
        fail(f"not JSON: {e}")
    problems = []
    if doc.get("@context") != "https://schema.org":
        problems.append(f"@context is {doc.get('@context')!r}")
    if doc.get("@type") != "NewsArticle":
        problems.append(f"@type is {doc.get('@type')!r}")

    context = json.loads((HERE / "schemaorg-context.jsonld").read_text(encoding="utf-8"))

    def loader(url, options=None):
        if url in SCHEMA_URLS:
            return {"contentType": "application/ld+json", "contextUrl": None,
                    "documentUrl": url, "document": context}
        raise ValueError(f"refusing to load {url}")

    options = {"documentLoader": loader, "format": "application/n-quads"}
    try:
        nquads = jsonld.to_rdf(doc, options)
    except Exception as e:  # PyLD raises its own JsonLdError
        fail(f"PyLD cannot read it: {e}")
    graph = rdflib.Graph()
    graph.parse(data=nquads, format="nt")

    def term(iri):
        """The schema.org name of `iri`, or None when it is not a schema.org term."""
        text = str(iri)
        for prefix in ("http://schema.org/", "https://schema.org/"):
            if text.startswith(prefix):
                name = text[len(prefix):]
                # Membership in the closed namespace (attribute access only warns).
                return name if rdflib.URIRef("https://schema.org/" + name) in SDO else None
        return None

    for s, p, o in graph:
        if p == RDF.type:
            if term(o) is None:
                problems.append(f"unknown type {o}")
        elif term(p) is None:
            problems.append(f"unknown property {p}")

    def S(name):
        return rdflib.URIRef("http://schema.org/" + name)

    articles = list(graph.subjects(RDF.type, S("NewsArticle")))
    if len(articles) != 1:
        fail(f"{len(articles)} NewsArticle nodes; " + "; ".join(problems))
    article = articles[0]

    def values(node, name):
        return list(graph.objects(node, S(name)))

    def one(node, name, where):
        found = values(node, name)
        if len(found) != 1:
            problems.append(f"{where}: {len(found)} values of {name}")
            return None
        return found[0]

    def typed(node, kind):
        return S(kind) in set(graph.objects(node, RDF.type))

    def literal(value, where):
        if not isinstance(value, rdflib.Literal):
            problems.append(f"{where} is not a literal: {value!r}")
            return None
        return str(value)

    def iri(value, where):
        if not isinstance(value, rdflib.URIRef) or not str(value).startswith(("http://", "https://")):
            problems.append(f"{where} is not an http(s) IRI: {value!r}")
            return None
        return str(value)

    def when(value, where):
        if not isinstance(value, rdflib.Literal):
            problems.append(f"{where} is not a literal")
            return None
        if value.datatype not in (S("DateTime"), XSD.dateTime):
            problems.append(f"{where} has datatype {value.datatype}")
        try:
            at = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            problems.append(f"{where} is not ISO 8601: {value}")
            return None
        if at.tzinfo is None:
            problems.append(f"{where} has no time zone: {value}")
        return at

    absent = set(expect.get("absent", []))
    for name in REQUIRED:
        present = bool(values(article, name))
        if name in absent and present:
            problems.append(f"{name} should be absent")
        if name not in absent and not present:
            problems.append(f"{name} is missing")

    headline = literal(one(article, "headline", "article"), "headline")
    if headline is not None and len(headline) > 110:
        problems.append(f"headline has {len(headline)} characters")
    free = one(article, "isAccessibleForFree", "article")
    if not (isinstance(free, rdflib.Literal) and free.datatype == XSD.boolean and free.toPython() is True):
        problems.append(f"isAccessibleForFree is {free!r}, not boolean true")
    url = iri(one(article, "url", "article"), "url")
    page = values(article, "mainEntityOfPage")
    if page and str(page[0]) != url:
        problems.append(f"mainEntityOfPage {page[0]} is not url {url}")
    published = when(one(article, "datePublished", "article"), "datePublished")
    modified = when(one(article, "dateModified", "article"), "dateModified")
    if published and modified and modified < published:
        problems.append("dateModified is before datePublished")

    images = []
    for node in values(article, "image"):
        if not typed(node, "ImageObject"):
            problems.append("an image is not an ImageObject")
        image = {"url": iri(one(node, "url", "image"), "image url")}
        for dim in ("width", "height"):
            v = one(node, dim, "image")
            if not (isinstance(v, rdflib.Literal) and v.datatype == XSD.integer and int(v) > 0):
                problems.append(f"image {dim} is {v!r}, not a positive integer")
        for name in ("caption", "creditText", "copyrightNotice"):
            image[name] = literal(one(node, name, "image"), f"image {name}")
        images.append(image)

    authors = []
    for node in values(article, "author"):
        if not typed(node, "Person"):
            problems.append("an author is not a Person")
        author = {
            "name": literal(one(node, "name", "author"), "author name"),
            "url": iri(one(node, "url", "author"), "author url"),
        }
        jobs = values(node, "jobTitle")
        if jobs:
            author["jobTitle"] = str(jobs[0])
        authors.append(author)

    publisher = one(article, "publisher", "article")
    if publisher is not None:
        if not typed(publisher, "Organization"):
            problems.append("the publisher is not an Organization")
        publisher_name = literal(one(publisher, "name", "publisher"), "publisher name")
        publisher_url = iri(one(publisher, "url", "publisher"), "publisher url")
    else:
        publisher_name = publisher_url = None

    corrections = []
    for node in values(article, "correction"):
        if not typed(node, "CorrectionComment"):
            problems.append("a correction is not a CorrectionComment")
        corrections.append(literal(one(node, "text", "correction"), "correction text"))
        when(one(node, "datePublished", "correction"), "correction datePublished")

    def same(name, found, wanted):
        if name in expect and found != wanted:
            problems.append(f"{name}: found {found!r}, expected {wanted!r}")

    scalar = lambda name: str(values(article, name)[0]) if values(article, name) else None
    same("headline", headline, expect.get("headline"))
    for name in ("description", "inLanguage", "articleSection"):
        same(name, scalar(name), expect.get(name))
    same("url", url, expect.get("url"))
    same("keywords", sorted(str(k) for k in values(article, "keywords")), sorted(expect.get("keywords", [])))
    key = lambda a: json.dumps(a, sort_keys=True)
    same("authors", sorted(authors, key=key), sorted(expect.get("authors", []), key=key))
    same("corrections", sorted(filter(None, corrections)), sorted(expect.get("corrections", [])))
    same("credits", sorted(filter(None, (i["creditText"] for i in images))), sorted(expect.get("credits", [])))
    same("copyright", sorted(filter(None, (i["copyrightNotice"] for i in images))), sorted(expect.get("copyright", [])))
    same("publisher", [publisher_name, publisher_url], expect.get("publisher"))

    if problems:
        fail("; ".join(problems))
    print(f"NewsArticle: {len(graph)} triples, {len(images)} images, {len(authors)} authors, "
          f"{len(corrections)} corrections")


if __name__ == "__main__":
    main()
