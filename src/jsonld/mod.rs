//! Structured data: each published article as schema.org `NewsArticle` JSON-LD, ready for a
//! front end to put in a `<script type="application/ld+json">` tag on the article's page. Links
//! point at the newsroom's site ([`crate::site`]); images at the API's files.

pub mod examples;
pub mod handlers;
pub mod model;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::articles::Article;
use crate::site::{ArticlePlace, Links};

/// The most characters of `headline`: Google's guidance for article markup. A longer title is
/// cut on a word boundary (with an ellipsis) and given whole in `name`.
pub const MAX_HEADLINE_CHARS: usize = 110;

/// The `@context` of every document.
pub const CONTEXT: &str = "https://schema.org";

/// The media type of a JSON-LD document.
pub const CONTENT_TYPE: &str = "application/ld+json";

/// An article as schema.org `NewsArticle`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewsArticle {
    /// Always `https://schema.org`.
    #[serde(rename = "@context")]
    #[schema(example = "https://schema.org")]
    pub context: String,
    /// Always `NewsArticle`.
    #[serde(rename = "@type")]
    #[schema(example = "NewsArticle")]
    pub kind: String,
    /// The title, at most 110 characters (cut on a word boundary, with `…`, when longer).
    pub headline: String,
    /// The whole title, only when `headline` had to be cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// The standfirst (the excerpt when there is none).
    pub description: String,
    /// The featured image first, then the body's images, each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image: Vec<ImageObject>,
    /// The byline, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub author: Vec<Person>,
    /// When the article was published.
    pub date_published: DateTime<Utc>,
    /// When it last changed for its readers: an edit or a published correction.
    pub date_modified: DateTime<Utc>,
    /// The publication.
    pub publisher: Organization,
    /// Always `true`: Masthead has no paywall.
    pub is_accessible_for_free: bool,
    /// The article's page on the site.
    pub main_entity_of_page: WebPage,
    /// The article's page on the site: its `canonical_url` when set, else the page that
    /// `MASTHEAD_SITE_URL` and `MASTHEAD_ARTICLE_PATH` give.
    pub url: String,
    /// The language (BCP 47).
    #[schema(example = "en")]
    pub in_language: String,
    /// The section's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub article_section: Option<String>,
    /// The tags' names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// The public corrections log, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub correction: Vec<CorrectionComment>,
}

/// A picture the article shows, as schema.org `ImageObject`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageObject {
    /// Always `ImageObject`.
    #[serde(rename = "@type")]
    #[schema(example = "ImageObject")]
    pub kind: String,
    /// The original file.
    pub url: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The caption in this article, else the image's alt text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub caption: Option<String>,
    /// The credit readers see: the caption's, else the image's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub credit_text: Option<String>,
    /// The image's licence as recorded in the library (its copyright statement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub copyright_notice: Option<String>,
    /// The image's licence, when it is recorded as an http or https URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub license: Option<String>,
}

/// An author on the byline, as schema.org `Person`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// Always `Person`.
    #[serde(rename = "@type")]
    #[schema(example = "Person")]
    pub kind: String,
    /// The name on the byline.
    pub name: String,
    /// The author's page on the site (`MASTHEAD_AUTHOR_PATH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub url: Option<String>,
    /// The job title on the author's profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub job_title: Option<String>,
}

/// The publication, as schema.org `Organization`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Organization {
    /// Always `Organization`.
    #[serde(rename = "@type")]
    #[schema(example = "Organization")]
    pub kind: String,
    /// `MASTHEAD_SITE_NAME` (default: the site's host name).
    pub name: String,
    /// The site's home page.
    pub url: String,
    /// `MASTHEAD_SITE_LOGO`, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub logo: Option<Logo>,
}

/// The publication's logo.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Logo {
    /// Always `ImageObject`.
    #[serde(rename = "@type")]
    #[schema(example = "ImageObject")]
    pub kind: String,
    /// Where the logo is.
    pub url: String,
}

/// The page the article is the main entity of.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebPage {
    /// Always `WebPage`.
    #[serde(rename = "@type")]
    #[schema(example = "WebPage")]
    pub kind: String,
    /// The page's URL (as `url`).
    #[serde(rename = "@id")]
    pub id: String,
}

/// A published correction, as schema.org `CorrectionComment`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CorrectionComment {
    /// Always `CorrectionComment`.
    #[serde(rename = "@type")]
    #[schema(example = "CorrectionComment")]
    pub kind: String,
    /// What was corrected, in the newsroom's words.
    pub text: String,
    /// When the correction was published.
    pub date_published: DateTime<Utc>,
}

/// What a `NewsArticle` shows besides the article: the site, and the names and slugs of its
/// section, tags and authors.
pub struct Site<'a> {
    pub links: &'a Links,
    /// The publication's name.
    pub name: &'a str,
    pub logo: Option<&'a str>,
    /// The section's slug, if the article has a section.
    pub section_slug: Option<&'a str>,
    /// Tag names by slug (a tag without a name shows its slug).
    pub tag_names: &'a HashMap<String, String>,
    /// Each byline's profile slug and job title, by byline id.
    pub authors: &'a HashMap<String, (String, Option<String>)>,
}

/// `title` cut to [`MAX_HEADLINE_CHARS`]: its first words and `…`, or `None` when it fits.
fn cut_headline(title: &str) -> Option<String> {
    if title.chars().count() <= MAX_HEADLINE_CHARS {
        return None;
    }
    let head: String = title.chars().take(MAX_HEADLINE_CHARS - 1).collect();
    // On the last space, unless that leaves too little of the title (one very long word).
    let cut = match head.rfind(char::is_whitespace) {
        Some(at) if at >= head.len() / 2 => &head[..at],
        _ => head.as_str(),
    };
    Some(format!("{}…", cut.trim_end()))
}

/// Whether `text` is an http or https URL (then it can be a `license` link).
fn is_http_url(text: &str) -> bool {
    let mut errors = Vec::new();
    crate::validate::HttpUrl::parse("license", text, &mut errors);
    errors.is_empty()
}

/// The `NewsArticle` of a published `article` as the public reads it.
pub fn news_article(article: &Article, site: &Site<'_>) -> NewsArticle {
    let page = article.canonical_url.clone().unwrap_or_else(|| {
        site.links.article(&ArticlePlace {
            id: article.id.as_str(),
            slug: &article.slug,
            section: site.section_slug,
            published_at: article.published_at,
        })
    });
    let (headline, name) = match cut_headline(&article.title) {
        Some(cut) => (cut, Some(article.title.clone())),
        None => (article.title.clone(), None),
    };
    let description = if article.standfirst.trim().is_empty() {
        article.excerpt.clone()
    } else {
        article.standfirst.clone()
    };
    let mut image: Vec<ImageObject> = Vec::new();
    for used in &article.images {
        if image.iter().any(|i| i.url == used.image.url) {
            continue;
        }
        let caption = used.caption.as_ref();
        let license = used.image.license.clone();
        image.push(ImageObject {
            kind: "ImageObject".to_owned(),
            url: used.image.url.clone(),
            width: used.image.width,
            height: used.image.height,
            caption: caption
                .map(|c| c.text.clone())
                .filter(|t| !t.trim().is_empty())
                .or_else(|| used.image.alt_text.clone()),
            credit_text: caption
                .and_then(|c| c.effective_credit.clone())
                .or_else(|| used.image.credit.clone()),
            license: license.clone().filter(|l| is_http_url(l)),
            copyright_notice: license,
        });
    }
    let author = article
        .authors
        .iter()
        .map(|a| {
            let profile = site.authors.get(a.id.as_str());
            Person {
                kind: "Person".to_owned(),
                name: a.display_name.clone(),
                url: profile.map(|(slug, _)| site.links.author(slug)),
                job_title: profile.and_then(|(_, job)| job.clone()),
            }
        })
        .collect();
    let published = article.published_at.unwrap_or(article.updated_at);
    let modified = article
        .corrected_at
        .map_or(article.updated_at, |c| c.max(article.updated_at))
        .max(published);
    NewsArticle {
        context: CONTEXT.to_owned(),
        kind: "NewsArticle".to_owned(),
        headline,
        name,
        description,
        image,
        author,
        date_published: published,
        date_modified: modified,
        publisher: Organization {
            kind: "Organization".to_owned(),
            name: site.name.to_owned(),
            url: site.links.home(),
            logo: site.logo.map(|url| Logo {
                kind: "ImageObject".to_owned(),
                url: url.to_owned(),
            }),
        },
        is_accessible_for_free: true,
        main_entity_of_page: WebPage {
            kind: "WebPage".to_owned(),
            id: page.clone(),
        },
        url: page,
        in_language: article.language.clone(),
        article_section: article.section.clone(),
        keywords: article
            .tags
            .iter()
            .map(|t| site.tag_names.get(t).cloned().unwrap_or_else(|| t.clone()))
            .collect(),
        correction: article
            .corrections
            .iter()
            .map(|c| CorrectionComment {
                kind: "CorrectionComment".to_owned(),
                text: c.note.clone(),
                date_published: c.corrected_at,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_fit_google_guidance() {
        let short = "Harbour dredged";
        assert_eq!(cut_headline(short), None);
        let exact = "a".repeat(MAX_HEADLINE_CHARS);
        assert_eq!(cut_headline(&exact), None);
        let long = "Ferry ".repeat(30);
        let cut = cut_headline(&long).unwrap();
        assert!(cut.chars().count() <= MAX_HEADLINE_CHARS, "{cut}");
        assert!(cut.ends_with("Ferry…"), "{cut}");
        let word = "é".repeat(200);
        let cut = cut_headline(&word).unwrap();
        assert_eq!(cut.chars().count(), MAX_HEADLINE_CHARS);
    }

    #[test]
    fn only_http_urls_are_license_links() {
        assert!(is_http_url("https://creativecommons.org/licenses/by/4.0/"));
        assert!(!is_http_url("CC BY 4.0"));
        assert!(!is_http_url("All rights reserved"));
    }
}
