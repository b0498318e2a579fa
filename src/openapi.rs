//! The OpenAPI 3.1 document: collected from the handlers, then completed with the security
//! scheme and the error responses every operation can give.

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{FieldError, PROBLEM_JSON, Problem};
use crate::{articles, auth, captions, corrections, http, images, users};

/// The document's fixed parts.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Masthead",
        description = "A headless content API for newsrooms: published journalism as JSON for \
front ends, and an editorial API behind JWT bearer tokens.\n\n\
Errors are RFC 9457 problem documents (`application/problem+json`). Lists take `limit` (1–100) \
and an opaque `cursor`. Changing a resource needs `If-Match` with its current `ETag`.",
        license(name = "MIT", identifier = "MIT"),
    ),
    components(schemas(Problem, FieldError, articles::handlers::ListStatus)),
    tags(
        (name = "articles", description = "Stories: drafts, publication, public reads"),
        (name = "images", description = "Uploads, the library, renditions"),
        (name = "captions", description = "The words under an image in one article"),
        (name = "corrections", description = "Readers' reports, triage, and the public corrections log"),
        (name = "auth", description = "Log in, refresh and revoke tokens"),
        (name = "users", description = "Accounts and roles (admins only)"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// Every documented route. The server and [`document`] both use it, so nothing reachable is
/// missing from the document.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(http::health::healthz)
        .service(http::health::readyz)
        .service(auth::handlers::login)
        .service(auth::handlers::refresh_tokens)
        .service(auth::handlers::logout)
        .service(auth::handlers::me)
        .service(users::handlers::list_users)
        .service(users::handlers::create_user)
        .service(users::handlers::get_user)
        .service(users::handlers::update_user)
        .service(users::handlers::delete_user)
        .service(articles::handlers::list_articles)
        .service(articles::handlers::create_article)
        .service(articles::handlers::get_article)
        .service(articles::handlers::update_article)
        .service(articles::handlers::delete_article)
        .service(articles::handlers::publish_article)
        .service(articles::handlers::unpublish_article)
        .service(articles::handlers::list_revisions)
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
        .service(corrections::handlers::erase_reporter);
}

/// The complete document, as served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    complete(&mut doc);
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
    ("503", "Unavailable", "The database is not answering"),
];

fn complete(doc: &mut utoipa::openapi::OpenApi) {
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
    for (_, name, description) in STANDARD {
        components
            .responses
            .insert((*name).to_owned(), RefOr::T(problem_response(description)));
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
                add_standard_responses(path, method, op);
            }
        }
    }
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

fn add_standard_responses(path: &str, method: &str, op: &mut Operation) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let located = |location: ParameterIn| {
        params
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == location))
    };
    let has_query = located(ParameterIn::Query);
    let has_path = located(ParameterIn::Path);
    let has_body = op.request_body.is_some();
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let changes = matches!(method, "patch" | "delete");
    let liveness = path == "/healthz";

    for (status, name, _) in STANDARD {
        let applies = match *status {
            "400" => has_query || has_body || has_path,
            "401" => secured,
            "404" => has_path,
            "412" | "428" => changes,
            "413" | "415" => has_body,
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
