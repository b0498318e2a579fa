//! The spec of sparse fieldsets: `fields`, `formats` and `include` on the reads that take them,
//! and the narrowed shapes they answer with, under their own media type
//! ([`SPARSE_JSON`](crate::http::fields::SPARSE_JSON)).
//!
//! The shapes are the whole representations' (already made exact) with only `id` required, so
//! `application/json` keeps saying exactly what a default read sends, and a generated client's
//! types for it do not change. The names `fields` accepts are the properties of the same schema
//! the server checks them against.

use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{ArrayBuilder, ArrayItems, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Components, Content, OpenApi, Ref, RefOr, Required};

use crate::articles::shape::{ALWAYS, BODY_FORMATS, BODY_MEMBERS, MAX_LIMIT_WITH_BODIES};
use crate::http::fields::SPARSE_JSON;

/// The suffix of a narrowed shape's schema name.
pub const SUFFIX: &str = "Sparse";

/// A read that takes the shaping parameters.
struct Shaped {
    path: &'static str,
    /// The schema of the whole representation (a page's item, for a list).
    item: &'static str,
    /// For a list: the page schema, whose items are `item`.
    page: Option<&'static str>,
    /// The member always sent.
    always: &'static str,
    /// Whether `formats` (and on a list `include=body`) apply: an article's.
    bodies: bool,
}

const SHAPED: &[Shaped] = &[
    Shaped {
        path: "/v1/articles/{id}",
        item: "Article",
        page: None,
        always: ALWAYS,
        bodies: true,
    },
    Shaped {
        path: "/v1/articles",
        item: "ArticleSummary",
        page: Some("ArticlePage"),
        always: ALWAYS,
        bodies: true,
    },
    Shaped {
        path: "/v1/authors/{slug}",
        item: "AuthorProfile",
        page: None,
        always: "id",
        bodies: false,
    },
    Shaped {
        path: "/v1/authors",
        item: "AuthorProfile",
        page: Some("AuthorPage"),
        always: "id",
        bodies: false,
    },
];

/// Adds the parameters and the narrowed shapes to every shaped read.
pub fn describe(doc: &mut OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for shaped in SHAPED {
        let Some(names) = add_shapes(components, shaped) else {
            continue;
        };
        let Some(op) = doc
            .paths
            .paths
            .get_mut(shaped.path)
            .and_then(|item| item.get.as_mut())
        else {
            continue;
        };
        add_parameters(op, &names, shaped);
        // An unknown name is a 422, whether or not the operation had query parameters before.
        op.responses
            .responses
            .entry("422".to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Unprocessable")));
        let whole = shaped.page.unwrap_or(shaped.item);
        if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
            ok.content.insert(
                SPARSE_JSON.to_owned(),
                RefOr::T(Content::new(Some(Ref::from_schema_name(format!(
                    "{whole}{SUFFIX}"
                ))))),
            );
        }
    }
}

/// Adds `{item}Sparse` (and for a list `{page}Sparse`, whose items may carry body members);
/// returns the member names `fields` accepts.
fn add_shapes(components: &mut Components, shaped: &Shaped) -> Option<Vec<String>> {
    let RefOr::T(Schema::Object(mut item)) = components.schemas.get(shaped.item)?.clone() else {
        return None;
    };
    let names: Vec<String> = item.properties.keys().cloned().collect();
    let list_bodies = shaped.bodies && shaped.page.is_some();
    if list_bodies
        && let Some(RefOr::T(Schema::Object(article))) = components.schemas.get("Article")
    {
        for member in BODY_MEMBERS {
            if let Some(property) = article.properties.get(member) {
                item.properties.insert(member.to_owned(), property.clone());
            }
        }
    }
    let mut names_with_bodies = names.clone();
    if list_bodies {
        names_with_bodies.extend(BODY_MEMBERS.map(str::to_owned));
    }
    item.required = vec![shaped.always.to_owned()];
    let note = format!(
        "Only the members asked for with `fields`{} are sent, and `{}`.",
        if shaped.bodies {
            " (and `formats`)"
        } else {
            ""
        },
        shaped.always
    );
    item.description = Some(match item.description.take() {
        Some(d) => format!("{d} {note}"),
        None => note,
    });
    components.schemas.insert(
        format!("{}{SUFFIX}", shaped.item),
        RefOr::T(Schema::Object(item)),
    );
    if let Some(page) = shaped.page {
        let RefOr::T(Schema::Object(mut envelope)) = components.schemas.get(page)?.clone() else {
            return None;
        };
        if let Some(RefOr::T(Schema::Array(items))) = envelope.properties.get_mut("items") {
            items.items = ArrayItems::RefOrSchema(Box::new(RefOr::Ref(Ref::from_schema_name(
                format!("{}{SUFFIX}", shaped.item),
            ))));
        }
        components.schemas.insert(
            format!("{page}{SUFFIX}"),
            RefOr::T(Schema::Object(envelope)),
        );
    }
    Some(names_with_bodies)
}

/// A comma-separated list of names from `names`, in the query.
fn name_list(name: &str, names: &[String], description: String) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .style(Some(ParameterStyle::Form))
        .explode(Some(false))
        .description(Some(description))
        .schema(Some(
            ArrayBuilder::new()
                .items(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(names.iter().cloned())),
                )
                .min_items(Some(1)),
        ))
        .build()
}

fn add_parameters(op: &mut Operation, names: &[String], shaped: &Shaped) {
    let parameters = op.parameters.get_or_insert_with(Vec::new);
    let formats: Vec<String> = BODY_FORMATS.iter().map(|(f, _)| (*f).to_owned()).collect();
    let list = shaped.page.is_some();
    let what = if list { "each item's" } else { "the" };
    parameters.push(RefOr::T(name_list(
        "fields",
        names,
        format!(
            "Only these top-level members of {what} representation, comma-separated; `{}` \
is always sent{}. Unknown or empty names are a 422; a name given twice counts once. The answer \
is `{SPARSE_JSON}`, in which every other member is left out.",
            shaped.always,
            match (list, shaped.bodies) {
                (true, true) =>
                    "; the page's `next_cursor` stays as it is. The body members \
need `include=body`",
                (true, false) => "; the page's `next_cursor` stays as it is",
                _ => "",
            }
        ),
    )));
    if !shaped.bodies {
        return;
    }
    parameters.push(RefOr::T(name_list(
        "formats",
        &formats,
        format!(
            "Which forms of the body to send, comma-separated: `blocks` (`body`), `html` \
(`body_html`), `text` (`body_text`); the others are left out, and with `fields` these are added \
to it (naming in `fields` a form left out here is a 422).{} The answer is `{SPARSE_JSON}`.",
            if list {
                " Only with `include=body`."
            } else {
                ""
            }
        ),
    )));
    if list {
        parameters.push(RefOr::T(name_list(
            "include",
            &["body".to_owned()],
            format!(
                "`body`: each card also carries its article's body (`body`, `body_html`, \
`body_text`, as `formats` chooses) and `images`, as the article read shows them: a site build \
reads every body page by page. `limit` is then at most {MAX_LIMIT_WITH_BODIES}. The answer is \
`{SPARSE_JSON}`."
            ),
        )));
    }
}
