//! What a feed reads besides its articles: the section, tag or author it follows, and the
//! names, slugs and media types its items show.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::articles::model::Filter;
use crate::corrections::ReportStatus;
use crate::db::keys::InKeys;
use crate::db::{DbConn, schema};
use crate::error::{ApiError, ApiResult};
use crate::ids::UserId;
use crate::site::Links;

/// What a feed follows.
#[derive(Debug, Clone)]
pub enum Subject {
    Site,
    Section(String),
    Tag(String),
    Author(String),
}

/// A subject found: its title, its page on the site and the list it shows.
pub struct Found {
    pub title: String,
    pub description: String,
    pub home: String,
    pub filter: Filter,
}

pub fn find(conn: &mut DbConn, subject: &Subject, links: &Links, site: &str) -> ApiResult<Found> {
    Ok(match subject {
        Subject::Site => Found {
            title: site.to_owned(),
            description: format!("The latest stories from {site}"),
            home: links.home(),
            filter: Filter::default(),
        },
        Subject::Section(slug) => {
            let row = crate::sections::model::find(conn, slug)?
                .ok_or_else(|| ApiError::NotFound("no section has this slug".to_owned()))?;
            Found {
                title: format!("{} – {site}", row.name),
                description: format!("The latest stories in {} from {site}", row.name),
                home: links.section(&row.slug),
                filter: Filter {
                    section: Some(row.name),
                    ..Filter::default()
                },
            }
        }
        Subject::Tag(slug) => {
            let slug = slug.trim().to_lowercase();
            let current = crate::tags::model::current(conn, &slug)?;
            let row = crate::tags::model::find(conn, &current)?;
            if row.is_none() && !crate::tags::model::used(conn, &current)? {
                return Err(ApiError::NotFound("no article has this tag".to_owned()));
            }
            let name = row.and_then(|r| r.name).unwrap_or_else(|| current.clone());
            Found {
                title: format!("{name} – {site}"),
                description: format!("The latest stories tagged {name} from {site}"),
                home: links.tag(&current),
                filter: Filter {
                    tag: Some(current),
                    ..Filter::default()
                },
            }
        }
        Subject::Author(slug) => {
            let not_found = || ApiError::NotFound("no author has this slug".to_owned());
            let (row, name) = crate::authors::model::find(conn, slug)?.ok_or_else(not_found)?;
            Found {
                title: format!("{name} – {site}"),
                description: format!("The latest stories by {name} from {site}"),
                home: links.author(&row.slug),
                filter: Filter {
                    author: Some(UserId::from(row.id.clone())),
                    ..Filter::default()
                },
            }
        }
    })
}

/// `column IN keys`, with the rows loaded as `$row`, written so that each backend prepares the
/// statement once per connection: diesel never caches one with `eq_any` over a list on SQLite,
/// where the keys go in one JSON array instead ([`InKeys`]); PostgreSQL takes them as one
/// array. Further conditions are added by `$more`.
macro_rules! among_keys {
    ($conn:expr, $query:expr, $column:expr, $keys:expr, $row:ty $(, $more:expr)*) => {{
        let keys: &[String] = $keys;
        match $conn {
            DbConn::Pg(pg) => $query$(.filter($more))*.filter($column.eq_any(keys)).load::<$row>(pg)?,
            DbConn::Sqlite(sqlite) => $query$(.filter($more))*
                .filter(InKeys::new($column, keys))
                .load::<$row>(sqlite)?,
        }
    }};
}

/// What a page of items names and a feed must look up: the sections' names, the tags' slugs,
/// the featured images' ids, the bylines' ids and the articles' ids, each sorted without repeats.
#[derive(Default)]
pub struct Keys {
    pub sections: Vec<String>,
    pub tags: Vec<String>,
    pub images: Vec<String>,
    pub bylines: Vec<String>,
    pub articles: Vec<String>,
}

impl Keys {
    /// Sorts each list and drops repeats.
    pub fn dedup(&mut self) {
        for keys in [
            &mut self.sections,
            &mut self.tags,
            &mut self.images,
            &mut self.bylines,
            &mut self.articles,
        ] {
            keys.sort_unstable();
            keys.dedup();
        }
    }
}

/// The section slugs by name, the tag names by slug, the image types by id, the authors' slugs
/// by byline id and the time of each article's last public correction that a page of summaries
/// needs.
pub struct Lookups {
    pub sections: HashMap<String, String>,
    pub tags: HashMap<String, String>,
    pub image_types: HashMap<String, String>,
    /// Each byline's profile slug, for the link to the author's page.
    pub authors: HashMap<String, String>,
    /// A public correction changes an article for its readers: the item's update time.
    pub corrected: HashMap<String, chrono::NaiveDateTime>,
}

pub fn lookups(conn: &mut DbConn, keys: &Keys) -> ApiResult<Lookups> {
    use schema::{authors, correction_reports as reports, images, sections, tags};
    let sections = if keys.sections.is_empty() {
        HashMap::new()
    } else {
        let query = sections::table.select((sections::name, sections::slug));
        among_keys!(
            conn,
            query,
            sections::name,
            &keys.sections,
            (String, String)
        )
        .into_iter()
        .collect()
    };
    let tags = if keys.tags.is_empty() {
        HashMap::new()
    } else {
        let query = tags::table.select((tags::slug, tags::name));
        among_keys!(
            conn,
            query,
            tags::slug,
            &keys.tags,
            (String, Option<String>)
        )
        .into_iter()
        .filter_map(|(slug, name)| name.map(|n| (slug, n)))
        .collect()
    };
    let image_types = if keys.images.is_empty() {
        HashMap::new()
    } else {
        let query = images::table.select((images::id, images::content_type));
        among_keys!(conn, query, images::id, &keys.images, (String, String))
            .into_iter()
            .collect()
    };
    let authors = if keys.bylines.is_empty() {
        HashMap::new()
    } else {
        let query = authors::table.select((authors::id, authors::slug));
        among_keys!(conn, query, authors::id, &keys.bylines, (String, String))
            .into_iter()
            .collect()
    };
    let mut corrected = HashMap::new();
    if !keys.articles.is_empty() {
        // The public corrections log: accepted reports with a public note.
        let query = reports::table.select((reports::article_id, reports::corrected_at));
        let rows = among_keys!(
            conn,
            query,
            reports::article_id,
            &keys.articles,
            (String, Option<chrono::NaiveDateTime>),
            reports::status.eq(ReportStatus::Accepted),
            reports::public_note.is_not_null()
        );
        for (article, at) in rows {
            if let Some(at) = at {
                let entry = corrected.entry(article).or_insert(at);
                *entry = (*entry).max(at);
            }
        }
    }
    Ok(Lookups {
        sections,
        tags,
        image_types,
        authors,
        corrected,
    })
}
