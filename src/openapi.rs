//! The OpenAPI 3.1 document: collected from the handlers, then completed with the security
//! scheme, the error responses every operation can give, the headers every response carries,
//! and schemas made exact (see [`schemas`]).

pub mod closed;
mod examples;
pub mod schemas;
pub mod sparse;

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::{
    Content, KnownFormat, Object, ObjectBuilder, Ref, RefOr, Required, Response, ResponseBuilder,
    Schema, SchemaFormat, Type,
};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{FieldError, PROBLEM_JSON, Problem};
use crate::feeds;
use crate::{
    articles, auth, authors, captions, corrections, http, images, sections, tags, users, webhooks,
};

/// The document's fixed parts.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Masthead",
        description = "A headless content API for newsrooms: published journalism as JSON for \
front ends, and an editorial API behind JWT bearer tokens.\n\n\
Errors are RFC 9457 problem documents (`application/problem+json`). Lists take `limit` (1–100) \
and an opaque `cursor`. Changing a resource needs `If-Match` with its current `ETag`; reads \
that carry an `ETag` answer `If-None-Match` with 304.\n\n\
Public reads need no token (`security: []`); a staff token sent with one is checked and shows \
drafts too. Paths are relative to the server this document is served from.",
        license(name = "MIT", identifier = "MIT"),
    ),
    components(schemas(
        Problem,
        FieldError,
        articles::handlers::ListStatus,
        tags::handlers::TagSort,
        feeds::FeedKind,
        images::RenditionWidth,
        webhooks::ArticleEvent,
        webhooks::CorrectionEvent,
        webhooks::ImageEvent,
        webhooks::PingEvent
    )),
    tags(
        (name = "articles", description = "Stories: drafts, publication, public reads"),
        (name = "images", description = "Uploads, the library, renditions"),
        (name = "captions", description = "The words under an image in one article"),
        (name = "corrections", description = "Readers' reports, triage, and the public corrections log"),
        (name = "auth", description = "Log in, refresh and revoke tokens"),
        (name = "users", description = "Accounts and roles (admins only)"),
        (name = "webhooks", description = "Endpoints told of every public change, signed to the Standard Webhooks specification (admins only)"),
        (name = "sections", description = "The site's sections: its navigation"),
        (name = "authors", description = "Public profiles of everyone with a byline"),
        (name = "tags", description = "Tags of published articles: names, descriptions, merges"),
        (name = "feeds", description = "RSS, Atom and JSON Feed of the latest published articles"),
        (name = "sitemaps", description = "Sitemaps of the published archive and the site's pages, and a Google News sitemap"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// Every documented route. The server and [`document`] both use it, so nothing reachable is
/// missing from the document.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(http::health::healthz)
        .service(http::health::readyz)
        .service(http::health::metrics)
        .service(auth::handlers::login)
        .service(auth::handlers::refresh_tokens)
        .service(auth::handlers::logout)
        .service(auth::handlers::me)
        .service(users::handlers::list_users)
        .service(users::handlers::create_user)
        .service(users::handlers::get_user)
        .service(users::handlers::update_user)
        .service(users::handlers::delete_user)
        .service(webhooks::handlers::list_webhooks)
        .service(webhooks::handlers::create_webhook)
        .service(webhooks::handlers::get_webhook)
        .service(webhooks::handlers::update_webhook)
        .service(webhooks::handlers::delete_webhook)
        .service(webhooks::handlers::rotate_secret)
        .service(webhooks::handlers::test_webhook)
        .service(webhooks::handlers::list_deliveries)
        .service(articles::handlers::list_articles)
        .service(articles::handlers::create_article)
        .service(articles::handlers::get_article)
        .service(articles::handlers::update_article)
        .service(articles::handlers::delete_article)
        .service(articles::handlers::publish_article)
        .service(articles::handlers::unpublish_article)
        .service(articles::handlers::list_revisions)
        .service(articles::previews::handlers::create_preview)
        .service(articles::previews::handlers::list_previews)
        .service(articles::previews::handlers::revoke_preview)
        .service(articles::previews::handlers::revoke_previews)
        .service(crate::jsonld::handlers::article_jsonld)
        .service(images::handlers::upload_image)
        .service(images::handlers::list_images)
        .service(images::handlers::get_image)
        .service(images::handlers::image_file)
        .service(images::handlers::update_image)
        .service(images::handlers::delete_image)
        .service(captions::handlers::create_caption)
        .service(captions::handlers::list_captions)
        .service(captions::handlers::get_caption)
        .service(captions::handlers::update_caption)
        .service(captions::handlers::delete_caption)
        .service(corrections::handlers::report_correction)
        .service(corrections::handlers::correction_log)
        .service(corrections::handlers::list_reports)
        .service(corrections::handlers::get_report)
        .service(corrections::handlers::triage_report)
        .service(corrections::handlers::erase_reporter)
        .service(sections::handlers::list_sections)
        .service(sections::handlers::create_section)
        .service(sections::handlers::get_section)
        .service(sections::handlers::update_section)
        .service(sections::handlers::delete_section)
        .service(tags::handlers::list_tags)
        .service(tags::handlers::get_tag)
        .service(tags::handlers::update_tag)
        .service(tags::handlers::merge_tag)
        .service(authors::handlers::list_authors)
        .service(authors::handlers::get_author)
        .service(authors::handlers::update_author)
        .service(authors::handlers::create_author)
        .service(authors::handlers::delete_author)
        .service(feeds::handlers::site_feed)
        .service(feeds::handlers::section_feed)
        .service(feeds::handlers::tag_feed)
        .service(feeds::handlers::author_feed)
        .service(crate::sitemaps::handlers::sitemap_index)
        .service(crate::sitemaps::handlers::article_sitemap)
        .service(crate::sitemaps::handlers::pages_sitemap)
        .service(crate::sitemaps::handlers::news_sitemap);
}

/// The complete document, as served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    complete(&mut doc);
    match webhooks::spec::webhooks() {
        Ok(hooks) => doc.webhooks = Some(hooks),
        Err(e) => tracing::error!(error = %e, "cannot describe the webhooks"),
    }
    doc
}

/// The standard error responses, by status: (component name, description).
const STANDARD: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "The request is malformed (JSON syntax, query string, cursor)",
    ),
    (
        "401",
        "Unauthorized",
        "No access token, or one that is not valid",
    ),
    ("404", "NotFound", "No such resource"),
    (
        "408",
        "RequestTimeout",
        "The body did not arrive in full within the deadline (`MASTHEAD_BODY_TIMEOUT`)",
    ),
    (
        "412",
        "PreconditionFailed",
        "If-Match does not match the current ETag",
    ),
    ("413", "PayloadTooLarge", "The body is larger than allowed"),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not application/json",
    ),
    (
        "422",
        "Unprocessable",
        "Fields are not valid; `errors` lists each",
    ),
    ("428", "PreconditionRequired", "If-Match is required"),
    (
        "500",
        "InternalError",
        "Something went wrong on the server; it was logged",
    ),
    (
        "503",
        "Unavailable",
        "The database is not answering: try again after `Retry-After` seconds",
    ),
];

/// The headers every response may carry, as components: (name, description).
const RESPONSE_HEADERS: &[(&str, &str)] = &[
    (
        "X-Request-Id",
        "The request's id: the one the client sent in `X-Request-Id` when acceptable (1–64 \
letters, digits, `-`, `_` or `.`), else a new one. Quote it when reporting a problem.",
    ),
    (
        "ETag",
        "The entity tag of this representation: send it back in `If-None-Match` to revalidate, \
or in `If-Match` to change the resource only if nobody else has.",
    ),
];

/// Fills in what the handlers' annotations leave to one place: servers, security, standard
/// errors, headers, and exact schemas.
///
/// Public operations declare `security: []`, including those that also take an optional
/// token (editors see drafts with one); those are annotated `security((), ("bearer" = []))`
/// in the handlers and rewritten here. The spec's own way of saying "optional", `[{}, {bearer:
/// []}]`, is not understood by every generator: openapi-python-client, for one, treats any
/// non-empty list as "needs a token" and makes anonymous clients unable to call the operation.
/// With `[]` every generator lets an anonymous client call it, and a client configured with a
/// token still sends it (generated clients attach it to every request).
fn complete(doc: &mut utoipa::openapi::OpenApi) {
    doc.servers = Some(vec![
        ServerBuilder::new()
            .url("/")
            .description(Some(
                "The server this document was fetched from (paths are relative to its origin)",
            ))
            .build(),
    ]);
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("An access token from `POST /v1/auth/login`"))
                .build(),
        ),
    );
    for (status, name, description) in STANDARD {
        let mut response = problem_response(description);
        if *status == "503" {
            // Every 503 says when to try again (`ApiError::Unavailable`).
            response.headers.insert(
                "Retry-After".to_owned(),
                RefOr::T(
                    HeaderBuilder::new()
                        .schema(Some(Object::with_type(Type::String)))
                        .description(Some("Seconds to wait before trying again"))
                        .build(),
                ),
            );
        }
        components
            .responses
            .insert((*name).to_owned(), RefOr::T(response));
    }
    components.responses.insert(
        "TokenNotValid".to_owned(),
        RefOr::T(problem_response(
            "A token was sent and is not valid (the operation needs none: leave it out)",
        )),
    );
    for (name, description) in RESPONSE_HEADERS {
        components.headers.insert(
            (*name).to_owned(),
            RefOr::T(
                HeaderBuilder::new()
                    .schema(Some(Object::with_type(Type::String)))
                    .description(Some(*description))
                    .build(),
            ),
        );
    }
    components.parameters.insert(
        IF_NONE_MATCH.to_owned(),
        RefOr::T(
            ParameterBuilder::new()
                .name(IF_NONE_MATCH)
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "The ETag of the representation you hold: when it is still current the \
answer is 304 with no body",
                ))
                .schema(Some(Object::with_type(Type::String)))
                .build(),
        ),
    );
    for response in components.responses.values_mut() {
        add_response_headers(response, false);
    }

    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                let access = Access::of(op);
                if access != Access::Token {
                    op.security = Some(Vec::new());
                }
                if access == Access::OptionalToken {
                    let description = op.description.get_or_insert_with(String::new);
                    if !description.is_empty() {
                        description.push_str("\n\n");
                    }
                    description.push_str(OPTIONAL_TOKEN);
                }
                add_standard_responses(path, method, op, access);
                add_conditional_headers(op);
            }
        }
    }
    schemas::unwrap_optional_bodies(doc);
    schemas::make_exact(doc);
    add_examples(doc);
    sparse::describe(doc);
}

/// Gives each schema named in [`examples::all`] its example, unless it declares one.
fn add_examples(doc: &mut utoipa::openapi::OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for (name, example) in examples::all() {
        match components.schemas.get_mut(name) {
            Some(RefOr::T(Schema::Object(object))) if object.example.is_none() => {
                object.example = Some(example);
            }
            Some(RefOr::T(Schema::OneOf(one_of))) if one_of.example.is_none() => {
                one_of.example = Some(example);
            }
            _ => {}
        }
    }
}

const IF_NONE_MATCH: &str = "If-None-Match";

/// Said of every operation that takes a token without needing one, since `security: []`
/// cannot say it.
const OPTIONAL_TOKEN: &str = "No token needed. A staff bearer token, when sent, is checked \
(401 if it is not valid) and shows what only staff may see.";

/// Who may call an operation, from its annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone; a token is not looked at.
    Anyone,
    /// Anyone; a token, when sent, is checked and may show more (drafts).
    OptionalToken,
    /// Only with a token.
    Token,
}

impl Access {
    fn of(op: &Operation) -> Self {
        match op.security.as_deref() {
            None | Some([]) => Access::Anyone,
            Some(requirements) if requirements.iter().any(|r| *r == Default::default()) => {
                Access::OptionalToken
            }
            Some(_) => Access::Token,
        }
    }
}

/// `If-None-Match` on every operation that can answer 304, and the headers of every response.
fn add_conditional_headers(op: &mut Operation) {
    let revalidates = op.responses.responses.contains_key("304");
    if revalidates {
        let parameters = op.parameters.get_or_insert_with(Vec::new);
        let declared = parameters
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if p.name.eq_ignore_ascii_case(IF_NONE_MATCH)));
        if !declared {
            parameters.push(RefOr::Ref(Ref::new(format!(
                "#/components/parameters/{IF_NONE_MATCH}"
            ))));
        }
    }
    for (status, response) in op.responses.responses.iter_mut() {
        add_response_headers(response, status == "304");
        if let RefOr::T(response) = response {
            for (media_type, content) in response.content.iter_mut() {
                if let RefOr::T(content) = content {
                    type_bytes(media_type, content);
                }
            }
        }
    }
}

/// A body that is neither JSON nor a form, and has no schema, is bytes: say so, so that
/// generators give it a binary type rather than `unknown`.
fn type_bytes(media_type: &str, content: &mut Content) {
    let structured = media_type.contains("json") || media_type.starts_with("multipart/");
    if !structured && content.schema.is_none() {
        content.schema = Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                .into(),
        );
    }
}

/// Every response carries `X-Request-Id`; a declared `ETag` (and a 304's) is the shared one.
fn add_response_headers(response: &mut RefOr<Response>, not_modified: bool) {
    let RefOr::T(response) = response else {
        return;
    };
    let shared = |name: &str| RefOr::Ref(Ref::new(format!("#/components/headers/{name}")));
    if not_modified || response.headers.contains_key("ETag") {
        response.headers.insert("ETag".to_owned(), shared("ETag"));
    }
    response
        .headers
        .insert("X-Request-Id".to_owned(), shared("X-Request-Id"));
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build()
}

fn add_standard_responses(path: &str, method: &str, op: &mut Operation, access: Access) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let located = |location: ParameterIn| {
        params
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == location))
    };
    let has_query = located(ParameterIn::Query);
    let has_path = located(ParameterIn::Path);
    let has_body = op.request_body.is_some();
    let changes = matches!(method, "patch" | "delete");
    let liveness = path == "/healthz";

    if access == Access::OptionalToken {
        op.responses
            .responses
            .entry("401".to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name("TokenNotValid")));
    }
    for (status, name, _) in STANDARD {
        let applies = match *status {
            "400" => has_query || has_body || has_path,
            "401" => access == Access::Token,
            "404" => has_path,
            "412" | "428" => changes,
            "408" | "413" | "415" => has_body,
            "422" => has_query || has_body,
            "500" => true,
            "503" => !liveness,
            _ => false,
        };
        if applies {
            op.responses
                .responses
                .entry((*status).to_owned())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn served() -> Value {
        serde_json::to_value(document()).unwrap()
    }

    fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
        &doc["components"]["schemas"][name]
    }

    fn required(doc: &Value, name: &str) -> Vec<String> {
        schema(doc, name)["required"]
            .as_array()
            .map(|r| r.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn responses_require_every_field_they_always_send() {
        let mut doc = document();
        let components = doc.components.as_mut().unwrap();
        let reach = schemas::reach(&mut doc.paths.paths, components);
        // The narrowed shapes of sparse fieldsets leave out what they may (`sparse`).
        let only_responses: Vec<_> = reach
            .responses
            .difference(&reach.requests)
            .filter(|n| !n.ends_with(sparse::SUFFIX))
            .collect();
        assert!(only_responses.iter().any(|n| *n == "Article"));
        for name in only_responses {
            let mut tightened = components.schemas[name].clone();
            schemas::tighten(&mut tightened);
            assert!(
                tightened == components.schemas[name],
                "{name} has a nullable property that is not required"
            );
        }
        // A shared schema never carries the tightened form to a request.
        for name in reach.requests.intersection(&reach.responses) {
            let mut tightened = components.schemas[name].clone();
            schemas::tighten(&mut tightened);
            assert!(
                tightened == components.schemas[name],
                "{name} is used by requests and responses but differs between them"
            );
        }
    }

    #[test]
    fn requests_keep_their_optional_fields_optional() {
        let doc = served();
        assert_eq!(required(&doc, "NewArticle"), ["title", "body"]);
        assert!(required(&doc, "ArticlePatch").is_empty());
        assert_eq!(required(&doc, "SourceInput"), ["name"]);
        assert_eq!(required(&doc, "Source"), ["name", "url"]);
        let sources = &schema(&doc, "NewArticle")["properties"]["sources"];
        assert_eq!(
            sources["items"]["$ref"], "#/components/schemas/SourceInput",
            "{sources}"
        );
        let sources = &schema(&doc, "Article")["properties"]["sources"];
        assert_eq!(sources["items"]["$ref"], "#/components/schemas/Source");
    }

    #[test]
    fn fields_left_out_when_empty_stay_optional_and_are_never_null() {
        let doc = served();
        assert_eq!(required(&doc, "Problem"), ["type", "title", "status"]);
        assert_eq!(
            schema(&doc, "Problem")["properties"]["detail"]["type"],
            "string"
        );
        let quote = &schema(&doc, "Block")["oneOf"][2];
        assert_eq!(quote["title"], "QuoteBlock");
        assert_eq!(quote["properties"]["attribution"]["type"], "string");
        assert!(
            !quote["required"]
                .as_array()
                .unwrap()
                .contains(&"attribution".into())
        );
    }

    #[test]
    fn public_operations_need_no_token_and_revalidation_is_declared() {
        let doc = served();
        assert_eq!(doc["servers"][0]["url"], "/");
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let security = op["security"].as_array();
                assert!(security.is_some(), "{method} {path} declares no security");
                for requirement in security.into_iter().flatten() {
                    assert_ne!(requirement, &serde_json::json!({}), "{method} {path}");
                }
                if op["responses"].get("304").is_some() {
                    let params = op["parameters"].as_array().unwrap();
                    assert!(
                        params
                            .iter()
                            .any(|p| p["$ref"] == "#/components/parameters/If-None-Match"),
                        "{method} {path} answers 304 without If-None-Match"
                    );
                }
                assert!(
                    op["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path} has no description"
                );
            }
        }
        let article = &doc["paths"]["/v1/articles/{id}"]["get"];
        assert_eq!(article["security"], serde_json::json!([]));
        assert_eq!(
            article["responses"]["401"]["$ref"],
            "#/components/responses/TokenNotValid"
        );
    }

    /// The errors of `value` against `schema` (a small JSON Schema subset: what the document
    /// uses), resolving references in `doc`.
    fn check(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        if let Some(target) = schema["$ref"].as_str() {
            let name = target.trim_start_matches("#/components/schemas/");
            return check(doc, &doc["components"]["schemas"][name], value, at, errors);
        }
        if let Some(branches) = schema["oneOf"].as_array() {
            let matching = branches
                .iter()
                .filter(|b| {
                    let mut e = Vec::new();
                    check(doc, b, value, at, &mut e);
                    e.is_empty()
                })
                .count();
            if matching != 1 {
                errors.push(format!("{at}: matches {matching} branches of oneOf"));
            }
            return;
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let kind = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let admitted = types.is_empty()
            || types.contains(&kind)
            || (kind == "integer" && types.contains(&"number"));
        if !admitted {
            errors.push(format!("{at}: a {kind}, not {types:?}"));
            return;
        }
        if let Some(allowed) = schema["enum"].as_array()
            && !allowed.contains(value)
        {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
        if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), value.as_f64())
            && n < min
        {
            errors.push(format!("{at}: below {min}"));
        }
        match value {
            Value::Object(fields) => {
                for name in schema["required"].as_array().into_iter().flatten() {
                    let name = name.as_str().unwrap();
                    if !fields.contains_key(name) {
                        errors.push(format!("{at}: lacks required `{name}`"));
                    }
                }
                let properties = schema["properties"].as_object();
                for (name, field) in fields {
                    match properties.and_then(|p| p.get(name)) {
                        Some(property) => {
                            check(doc, property, field, &format!("{at}.{name}"), errors)
                        }
                        None if properties.is_some() => {
                            errors.push(format!("{at}: `{name}` is not a property"))
                        }
                        None => {}
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    check(doc, &schema["items"], item, &format!("{at}[{i}]"), errors);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_resource_has_an_example_valid_against_its_schema() {
        let doc = served();
        let mut errors = Vec::new();
        for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
            let resource = schema.get("properties").is_some() || schema.get("oneOf").is_some();
            match schema.get("example") {
                Some(example) => check(&doc, schema, example, name, &mut errors),
                None if resource => errors.push(format!("{name} has no example")),
                None => {}
            }
        }
        for (name, _) in examples::all() {
            if doc["components"]["schemas"].get(name).is_none() {
                errors.push(format!(
                    "an example names {name}, which is not in the document"
                ));
            }
        }
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn the_example_check_catches_what_it_should() {
        let doc = served();
        let article = schema(&doc, "Article");
        let mut example = article["example"].clone();
        example.as_object_mut().unwrap().remove("featured_image");
        example["status"] = "lost".into();
        example["tags"] = serde_json::json!([1]);
        example["extra"] = true.into();
        let mut errors = Vec::new();
        check(&doc, article, &example, "Article", &mut errors);
        assert_eq!(errors.len(), 4, "{errors:#?}");
    }

    #[test]
    fn optional_bodies_are_not_nullable() {
        let doc = served();
        for action in ["publish", "unpublish"] {
            let body =
                &doc["paths"][format!("/v1/articles/{{id}}/{action}")]["post"]["requestBody"];
            assert_ne!(body["required"], true);
            let schema = &body["content"]["application/json"]["schema"];
            assert!(schema["$ref"].is_string(), "{action}: {schema}");
        }
    }
}
