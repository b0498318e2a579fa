//! What a feed reads besides its articles: the section, tag or author it follows, and the
//! names, slugs and media types its items show.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::articles::ArticleSummary;
use crate::articles::model::Filter;
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

/// The section slugs by name, the tag names by slug, the image types by id, the authors' slugs
/// by byline id and the time of each article's last public correction that a page of summaries
/// needs.
pub struct Lookups {
    pub sections: HashMap<String, String>,
    pub tags: HashMap<String, String>,
    pub image_types: HashMap<String, String>,
    /// Each byline's profile slug (and job title), for the link to the author's page.
    pub authors: HashMap<String, (String, Option<String>)>,
    /// A public correction changes an article for its readers: the item's update time.
    pub corrected: HashMap<String, chrono::NaiveDateTime>,
}

pub fn lookups(conn: &mut DbConn, items: &[ArticleSummary]) -> ApiResult<Lookups> {
    let sections = crate::sections::model::list(conn, true)?
        .into_iter()
        .map(|s| (s.name, s.slug))
        .collect();
    let mut slugs: Vec<String> = items.iter().flat_map(|a| a.tags.clone()).collect();
    slugs.sort();
    slugs.dedup();
    let tags = crate::tags::model::find_many(conn, &slugs)?
        .into_iter()
        .filter_map(|t| t.name.map(|n| (t.slug, n)))
        .collect();
    let images: Vec<String> = items
        .iter()
        .filter_map(|a| a.featured_image.as_ref())
        .map(|p| p.image_id.to_string())
        .collect();
    let image_types = schema::images::table
        .filter(schema::images::id.eq_any(&images))
        .select((schema::images::id, schema::images::content_type))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut bylines: Vec<String> = items
        .iter()
        .flat_map(|a| a.authors.iter().map(|b| b.id.to_string()))
        .collect();
    bylines.sort();
    bylines.dedup();
    let authors = crate::authors::model::slugs_of(conn, &bylines)?;
    let ids: Vec<String> = items.iter().map(|a| a.id.to_string()).collect();
    let corrected = crate::corrections::model::last_public_corrections(conn, &ids)?;
    Ok(Lookups {
        sections,
        tags,
        image_types,
        authors,
        corrected,
    })
}
