//! An article's editable fields, twice: [`Fields`] as assembled from a request and the stored
//! row (plain strings, compared to find what a patch changed), and [`CheckedFields`], what
//! [`Fields::check`] makes of them once every rule holds. Writes take only the checked form, so
//! a slug, a language tag or a URL reaches the database only as a type that cannot be invalid.

use serde::Serialize;

use super::body::{self, Block};
use super::slug::{self, Slug};
use super::{
    ArticlePatch, FeaturedImage, ImageRef, MAX_AUTHORS, MAX_RELATED, MAX_SOURCES,
    MAX_STANDFIRST_CHARS, MAX_TAGS, MAX_TITLE_CHARS, NewArticle, Source, image_refs,
};
use crate::error::FieldError;
use crate::ids::{ArticleId, UserId};
use crate::validate::{self, HttpUrl, LanguageTag};

/// Everything an editor controls about an article, as one value: created from a
/// [`NewArticle`], or from the stored article with an [`ArticlePatch`] applied, then checked
/// whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fields {
    pub title: String,
    pub slug: String,
    pub standfirst: String,
    pub body: Vec<Block>,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub language: String,
    pub sources: Vec<Source>,
    pub related: Vec<ArticleId>,
    pub canonical_url: Option<String>,
    pub excerpt: Option<String>,
    pub authors: Vec<UserId>,
    pub featured_image: Option<FeaturedImage>,
}

/// [`Fields`] that passed [`Fields::check`]: the same values (serialized alike, so revisions
/// and stored columns are the same bytes), with the slug, language and URLs parsed. Only
/// `check` makes one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckedFields {
    pub title: String,
    pub slug: Slug,
    pub standfirst: String,
    pub body: Vec<Block>,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub language: LanguageTag,
    pub sources: Vec<CheckedSource>,
    pub related: Vec<ArticleId>,
    pub canonical_url: Option<HttpUrl>,
    pub excerpt: Option<String>,
    pub authors: Vec<UserId>,
    pub featured_image: Option<FeaturedImage>,
    /// Keeps struct literals out of other modules.
    #[serde(skip)]
    checked: Checked,
}

/// Proof that [`Fields::check`] made a [`CheckedFields`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checked;

/// A [`Source`] whose name and URL passed the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckedSource {
    pub name: String,
    pub url: Option<HttpUrl>,
}

impl Fields {
    /// A new article's fields; `author` is the default byline.
    pub fn from_new(new: NewArticle, author: &UserId) -> Self {
        let title = new.title.trim().to_owned();
        Self {
            slug: new.slug.unwrap_or_else(|| slug::slugify(&title)),
            title,
            standfirst: new.standfirst.unwrap_or_default().trim().to_owned(),
            body: new.body,
            section: new.section.map(|s| s.trim().to_owned()),
            tags: normalize_tags(new.tags.unwrap_or_default()),
            language: new.language.unwrap_or_else(|| "en".to_owned()),
            sources: new.sources.unwrap_or_default(),
            related: new.related.unwrap_or_default(),
            canonical_url: new.canonical_url,
            excerpt: new.excerpt.map(|e| e.trim().to_owned()),
            authors: new.authors.unwrap_or_else(|| vec![author.clone()]),
            featured_image: new.featured_image,
        }
    }

    /// These fields with `patch` applied.
    pub fn patched(&self, patch: ArticlePatch) -> Self {
        let mut f = self.clone();
        if let Some(v) = patch.title {
            f.title = v.trim().to_owned();
        }
        if let Some(v) = patch.slug {
            f.slug = v;
        }
        if let Some(v) = patch.standfirst {
            f.standfirst = v.trim().to_owned();
        }
        if let Some(v) = patch.body {
            f.body = v;
        }
        if let Some(v) = patch.section {
            f.section = v.map(|s| s.trim().to_owned());
        }
        if let Some(v) = patch.tags {
            f.tags = normalize_tags(v);
        }
        if let Some(v) = patch.language {
            f.language = v;
        }
        if let Some(v) = patch.sources {
            f.sources = v;
        }
        if let Some(v) = patch.related {
            f.related = v;
        }
        if let Some(v) = patch.canonical_url {
            f.canonical_url = v;
        }
        if let Some(v) = patch.excerpt {
            f.excerpt = v.map(|e| e.trim().to_owned());
        }
        if let Some(v) = patch.authors {
            f.authors = v;
        }
        if let Some(v) = patch.featured_image {
            f.featured_image = v;
        }
        f
    }

    /// The names of the fields that differ from `other`.
    pub fn changed_from(&self, other: &Self) -> Vec<&'static str> {
        let mut changed = Vec::new();
        macro_rules! compare {
            ($($field:ident),*) => {$(
                if self.$field != other.$field {
                    changed.push(stringify!($field));
                }
            )*};
        }
        compare!(
            title,
            slug,
            standfirst,
            body,
            section,
            tags,
            language,
            sources,
            related,
            canonical_url,
            excerpt,
            authors,
            featured_image
        );
        changed
    }

    /// Every image the fields show: the featured one at position 0, then body blocks.
    pub fn image_refs(&self) -> Vec<ImageRef> {
        image_refs(self.featured_image.as_ref(), &self.body)
    }

    /// Checks everything that needs no database (`id` is the article's own, for `related`) and
    /// turns the fields into their checked form; otherwise every broken rule, in field order.
    pub fn check(self, id: &ArticleId) -> Result<CheckedFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        validate::text(
            "title",
            Some(&self.title),
            true,
            MAX_TITLE_CHARS,
            &mut errors,
        );
        let slug = Slug::parse("slug", &self.slug, &mut errors);
        validate::text(
            "standfirst",
            Some(&self.standfirst),
            false,
            MAX_STANDFIRST_CHARS,
            &mut errors,
        );
        errors.extend(body::validate(&self.body));
        if let Some(section) = &self.section {
            validate::text("section", Some(section), true, 64, &mut errors);
        }
        if self.tags.len() > MAX_TAGS {
            errors.push(FieldError::new("tags", format!("at most {MAX_TAGS} tags")));
        }
        for (i, tag) in self.tags.iter().enumerate() {
            validate::text(&format!("tags[{i}]"), Some(tag), true, 50, &mut errors);
        }
        let language = LanguageTag::parse("language", &self.language, &mut errors);
        if self.sources.len() > MAX_SOURCES {
            errors.push(FieldError::new(
                "sources",
                format!("at most {MAX_SOURCES} sources"),
            ));
        }
        // Each source is checked whole before the next, so their errors come in order.
        let sources: Vec<Option<CheckedSource>> = self
            .sources
            .into_iter()
            .enumerate()
            .map(|(i, source)| {
                validate::text(
                    &format!("sources[{i}].name"),
                    Some(&source.name),
                    true,
                    200,
                    &mut errors,
                );
                let url = optional_url(&format!("sources[{i}].url"), source.url, &mut errors)?;
                Some(CheckedSource {
                    name: source.name,
                    url,
                })
            })
            .collect();
        check_ids(&mut errors, "related", &self.related, MAX_RELATED);
        if self.related.iter().any(|r| r == id) {
            errors.push(FieldError::new(
                "related",
                "an article cannot be related to itself",
            ));
        }
        let canonical_url = optional_url("canonical_url", self.canonical_url, &mut errors);
        if let Some(excerpt) = &self.excerpt {
            body::check_excerpt("excerpt", excerpt, &mut errors);
        }
        if self.authors.is_empty() {
            errors.push(FieldError::new(
                "authors",
                "an article needs at least one author",
            ));
        }
        check_ids(&mut errors, "authors", &self.authors, MAX_AUTHORS);
        let sources: Option<Vec<CheckedSource>> = sources.into_iter().collect();
        match (slug, language, sources, canonical_url) {
            (Some(slug), Some(language), Some(sources), Some(canonical_url))
                if errors.is_empty() =>
            {
                Ok(CheckedFields {
                    title: self.title,
                    slug,
                    standfirst: self.standfirst,
                    body: self.body,
                    section: self.section,
                    tags: self.tags,
                    language,
                    sources,
                    related: self.related,
                    canonical_url,
                    excerpt: self.excerpt,
                    authors: self.authors,
                    featured_image: self.featured_image,
                    checked: Checked,
                })
            }
            _ => Err(errors),
        }
    }
}

impl CheckedFields {
    /// Every image the fields show: the featured one at position 0, then body blocks.
    pub fn image_refs(&self) -> Vec<ImageRef> {
        image_refs(self.featured_image.as_ref(), &self.body)
    }
}

/// An optional URL parsed: `None` when it is broken (recorded in `errors`), `Some(None)` when
/// absent.
#[allow(clippy::option_option)]
fn optional_url(
    field: &str,
    url: Option<String>,
    errors: &mut Vec<FieldError>,
) -> Option<Option<HttpUrl>> {
    match url {
        None => Some(None),
        Some(url) => HttpUrl::parse(field, &url, errors).map(Some),
    }
}

fn normalize_tags(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

fn check_ids<T: PartialEq>(errors: &mut Vec<FieldError>, field: &str, ids: &[T], max: usize) {
    if ids.len() > max {
        errors.push(FieldError::new(field, format!("at most {max} entries")));
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            errors.push(FieldError::new(format!("{field}[{i}]"), "is listed twice"));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        Fields {
            title: "Ferry timetable changes".to_owned(),
            slug: "ferry-timetable-changes".to_owned(),
            standfirst: "From Monday.".to_owned(),
            body: serde_json::from_str(r#"[{"type":"paragraph","text":"Text."}]"#).unwrap(),
            section: Some("local".to_owned()),
            tags: vec!["ferries".to_owned()],
            language: "pt-BR".to_owned(),
            sources: vec![
                Source {
                    name: "Port authority".to_owned(),
                    url: Some("https://port.example/notice".to_owned()),
                },
                Source {
                    name: "A skipper".to_owned(),
                    url: None,
                },
            ],
            related: vec![ArticleId::from("0190a000-0000-7000-8000-000000000002")],
            canonical_url: Some("https://news.example/ferry".to_owned()),
            excerpt: None,
            authors: vec![UserId::from("0190a000-0000-7000-8000-000000000003")],
            featured_image: None,
        }
    }

    fn id() -> ArticleId {
        ArticleId::from("0190a000-0000-7000-8000-000000000001")
    }

    #[test]
    fn checked_fields_serialize_as_the_fields_they_came_from() {
        let fields = fields();
        let unchecked = serde_json::to_string(&fields).unwrap();
        let sources = serde_json::to_string(&fields.sources).unwrap();
        let checked = fields.check(&id()).unwrap();
        assert_eq!(serde_json::to_string(&checked).unwrap(), unchecked);
        assert_eq!(serde_json::to_string(&checked.sources).unwrap(), sources);
        assert_eq!(checked.slug.as_str(), "ferry-timetable-changes");
        assert_eq!(checked.language.as_str(), "pt-BR");
        assert_eq!(
            checked.canonical_url.as_ref().map(HttpUrl::as_str),
            Some("https://news.example/ferry")
        );
    }

    #[test]
    fn every_broken_rule_is_reported_at_once_in_field_order() {
        let mut fields = fields();
        fields.title = String::new();
        fields.slug = "Bad Slug".to_owned();
        fields.language = "english".to_owned();
        fields.sources[0].url = Some("ftp://port.example".to_owned());
        fields.sources[1].name = String::new();
        fields.related.push(id());
        fields.canonical_url = Some("javascript:alert(1)".to_owned());
        fields.authors.clear();
        let errors = fields.check(&id()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "slug",
                "language",
                "sources[0].url",
                "sources[1].name",
                "related",
                "canonical_url",
                "authors",
            ]
        );
    }

    #[test]
    fn a_rule_without_a_parsed_value_still_refuses_the_fields() {
        let mut fields = fields();
        fields.tags = vec![" ".to_owned()];
        let errors = fields.check(&id()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "tags[0]");
    }
}
