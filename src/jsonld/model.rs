//! What a `NewsArticle` reads besides the article: its section's slug, its tags' names and its
//! authors' profiles.

use std::collections::HashMap;

use crate::articles::Article;
use crate::db::DbConn;
use crate::error::ApiResult;

/// The slugs and names an article's structured data links with.
pub struct Lookups {
    pub section_slug: Option<String>,
    pub tag_names: HashMap<String, String>,
    pub authors: HashMap<String, (String, Option<String>)>,
}

/// Three statements at most, whatever the article.
pub fn lookups(conn: &mut DbConn, article: &Article) -> ApiResult<Lookups> {
    let section_slug = match &article.section {
        Some(name) => crate::sections::model::resolve(conn, name)?.map(|s| s.slug),
        None => None,
    };
    let tag_names = crate::tags::model::find_many(conn, &article.tags)?
        .into_iter()
        .filter_map(|t| t.name.map(|n| (t.slug, n)))
        .collect();
    let ids: Vec<String> = article.authors.iter().map(|a| a.id.to_string()).collect();
    let authors = crate::authors::model::slugs_of(conn, &ids)?;
    Ok(Lookups {
        section_slug,
        tag_names,
        authors,
    })
}
