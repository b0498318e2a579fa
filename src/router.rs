//! Every route and middleware: the `App` each server worker runs. The routes themselves are
//! listed in [`crate::openapi::routes`], which the served document is generated from.

use actix_cors::Cors;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Compress, Condition, Next, from_fn};
use actix_web::{App, Error, HttpResponse, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::app::AppState;
use crate::config::CorsOrigins;
use crate::error::ApiError;
use crate::http::fallback::{RouteTable, no_route};
use crate::http::json::{BodyLimit, BodyTimeout};
use crate::http::middleware::observe;
use crate::openapi;

/// What every worker's `App` is made from.
#[derive(Clone)]
pub struct Router {
    state: web::Data<AppState>,
    doc: utoipa::openapi::OpenApi,
    routes: web::Data<RouteTable>,
    body_limit: BodyLimit,
    body_timeout: BodyTimeout,
    cors_origins: CorsOrigins,
}

impl Router {
    /// The routes over `state`, with the OpenAPI document served at `/openapi.json`.
    pub fn new(state: web::Data<AppState>) -> Self {
        let doc = openapi::document();
        let routes = web::Data::new(RouteTable::from_openapi(&doc));
        let body_limit = BodyLimit(state.config.max_body_bytes);
        let body_timeout = BodyTimeout(state.config.body_timeout);
        let cors_origins = state.config.cors_origins.clone();
        Self {
            state,
            doc,
            routes,
            body_limit,
            body_timeout,
            cors_origins,
        }
    }

    /// A worker's `App`.
    pub fn app(
        self,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = Error,
            InitError = (),
        >,
    > {
        App::new()
            .app_data(self.state)
            .app_data(self.routes)
            .app_data(self.body_limit)
            .app_data(self.body_timeout)
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                ApiError::BadRequest(format!("the query string is not valid: {e}")).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|e, _| {
                ApiError::BadRequest(format!("the path is not valid: {e}")).into()
            }))
            // CORS wraps the cache, so that it is decided for each request: a stored response
            // never carries the headers of the client that filled it.
            .wrap(from_fn(serve_cached))
            .wrap(Condition::new(
                self.cors_origins != CorsOrigins::None,
                cors(&self.cors_origins),
            ))
            .wrap(from_fn(crate::http::docs::docs_headers))
            .wrap(from_fn(observe))
            .wrap(Compress::default())
            .into_utoipa_app()
            .configure(openapi::routes)
            .into_app()
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .url("/openapi.json", self.doc)
                    // A token pasted into "Authorize" survives a reload of the page.
                    .config(utoipa_swagger_ui::Config::default().persist_authorization(true)),
            )
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header((header::LOCATION, "/docs/"))
                        .finish()
                }),
            )
            .default_service(web::to(no_route))
    }
}

/// The response cache ([`crate::cache`]) in front of the public reads.
async fn serve_cached(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    crate::cache::serve(&state.cache, &state.db, &state.config, req, next).await
}

fn cors(origins: &CorsOrigins) -> Cors {
    let cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        // Whatever headers a preflight asks for (browsers and frameworks add their own, such
        // as `x-request-id` or `cache-control`): no cookies are ever read, so none is a risk.
        .allow_any_header()
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600);
    match origins {
        CorsOrigins::Any => cors.allow_any_origin(),
        CorsOrigins::List(list) => list.iter().fold(cors, |c, o| c.allowed_origin(o)),
        CorsOrigins::None => cors,
    }
}
