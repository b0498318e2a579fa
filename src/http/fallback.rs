//! Answers for requests no route takes: 405 with `Allow` when the path exists under another
//! method, else 404. The route table comes from the OpenAPI document, which lists every route.

use actix_web::{HttpRequest, web};

use crate::error::ApiError;

/// Every documented path, split into segments, with the methods it takes.
#[derive(Debug, Clone, Default)]
pub struct RouteTable(Vec<(Vec<Segment>, Vec<String>)>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    /// Builds the table from the paths of an OpenAPI document.
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = split(path)
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                let mut methods: Vec<String> = Vec::new();
                let ops = [
                    ("GET", &item.get),
                    ("POST", &item.post),
                    ("PUT", &item.put),
                    ("PATCH", &item.patch),
                    ("DELETE", &item.delete),
                ];
                for (name, op) in ops {
                    if op.is_some() {
                        methods.push(name.to_owned());
                        if name == "GET" {
                            methods.push("HEAD".to_owned());
                        }
                    }
                }
                (segments, methods)
            })
            .collect();
        Self(routes)
    }

    /// The methods documented for `path`, if it is a documented path.
    pub fn methods_for(&self, path: &str) -> Option<Vec<String>> {
        let wanted: Vec<&str> = split(path).collect();
        let mut found: Option<Vec<String>> = None;
        for (segments, methods) in &self.0 {
            let matches = segments.len() == wanted.len()
                && segments.iter().zip(&wanted).all(|(s, w)| match s {
                    Segment::Literal(l) => l == w,
                    Segment::Param => !w.is_empty(),
                });
            if matches {
                let all = found.get_or_insert_with(Vec::new);
                for m in methods {
                    if !all.contains(m) {
                        all.push(m.clone());
                    }
                }
            }
        }
        found
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.trim_matches('/').split('/')
}

/// The default service.
pub async fn no_route(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<actix_web::HttpResponse, ApiError> {
    Err(match routes.methods_for(req.path()) {
        Some(allow) if !allow.is_empty() => ApiError::MethodNotAllowed { allow },
        _ => ApiError::NotFound(format!("there is nothing at {}", req.path())),
    })
}
