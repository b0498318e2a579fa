//! Sparse fieldsets and lists with bodies, as a front end or a site build asks for them.

use serde_json::Value;

use super::{Resp, TestApp};

/// The media type of a response shaped by `fields`, `formats` or `include`.
pub const SPARSE_JSON: &str = "application/vnd.masthead.sparse+json";

impl TestApp {
    /// `GET /v1/articles/{key}?{shape}`: one article shaped by a query such as
    /// `fields=title,slug&formats=html`.
    pub async fn shaped_article(&self, key: &str, shape: &str) -> Resp {
        self.get(&format!("/v1/articles/{key}?{shape}"))
            .send()
            .await
    }

    /// `GET /v1/articles?{query}`: a list page, shaped by whatever the query says.
    pub async fn shaped_list(&self, query: &str) -> Resp {
        self.get(&format!("/v1/articles?{query}")).send().await
    }

    /// Every page of the list `query` asks for, following `next_cursor` to the end.
    pub async fn shaped_pages(&self, query: &str) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("{query}&cursor={c}"),
                None => query.to_owned(),
            };
            let res = self.shaped_list(&path).await;
            assert_eq!(res.status, 200, "{}", res.text);
            let page = res.json();
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            pages.push(page);
            if cursor.is_none() {
                return pages;
            }
        }
    }
}

/// The member names of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// `names`, sorted, as [`keys`] gives them.
pub fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    names.sort();
    names.dedup();
    names
}
