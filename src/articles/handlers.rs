//! `/v1/articles`: writing, publishing and reading articles.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::model::{self, ArticleIdentity, ArticleRow, ArticleValues, Filter, Position, Scope};
use super::{
    Article, ArticlePage, ArticlePatch, Author, Derived, Fields, NewArticle, Relations, Status,
    article, fields_of, search, summaries, summary,
};
use crate::app::AppState;
use crate::auth::{AuthUser, OptionalAuth};
use crate::db::{self, DbConn, Plans};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::http::base::{absolutize, public_base};
use crate::http::etag::{IfMatch, list_etag, read_response, tagged_json, tagged_response};
use crate::http::json::{ApiJson, MaybeJson};
use crate::http::pagination;
use crate::users::Role;

/// `Cache-Control` of public article reads: fresh for a minute, then revalidated with the ETag.
const PUBLIC_CACHE: &str = "public, max-age=60, stale-while-revalidate=30";
/// `Cache-Control` of public lists.
const PUBLIC_LIST_CACHE: &str = "public, max-age=30, stale-while-revalidate=30";
/// `Cache-Control` of anything a token unlocked.
const PRIVATE_CACHE: &str = "private, no-cache";

fn not_found() -> ApiError {
    ApiError::NotFound("no article has this id or slug".to_owned())
}

/// Filters and paging for the article list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only articles with this tag.
    pub tag: Option<String>,
    /// Only articles in this section.
    pub section: Option<String>,
    /// Only articles by this author (user id).
    pub author: Option<String>,
    /// Only articles in this language (BCP 47).
    pub lang: Option<String>,
    /// Only articles published at or after this time (RFC 3339).
    pub published_after: Option<DateTime<Utc>>,
    /// Only articles published before this time (RFC 3339).
    pub published_before: Option<DateTime<Utc>>,
    /// Full-text search over title, standfirst and body: articles containing every word. The
    /// newest 100 matches come first, those with every word in the headline, then in the
    /// headline or standfirst, then the rest, newest first among equals; older matches follow,
    /// newest first.
    pub q: Option<String>,
    /// With a token: `draft`, `scheduled`, `published` (the default), `archived` or `any`.
    pub status: Option<ListStatus>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Which articles a staff list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListStatus {
    /// Drafts, newest first.
    Draft,
    /// Scheduled articles, soonest last.
    Scheduled,
    /// Published articles (the default, and all the public sees).
    Published,
    /// Archived articles.
    Archived,
    /// Every article, newest first.
    Any,
}

const CURSOR_PUBLISHED: &str = "articles-p";
const CURSOR_CREATED: &str = "articles-c";
const CURSOR_SEARCH: &str = "articles-q";

fn decode_position(scope: Scope, searching: bool, cursor: &str) -> ApiResult<Position> {
    let invalid = || ApiError::BadRequest("the cursor is not valid for this list".to_owned());
    if searching {
        let offset = pagination::decode_cursor(CURSOR_SEARCH, cursor)?;
        return offset
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=1_000_000).contains(n))
            .map(Position::Offset)
            .ok_or_else(invalid);
    }
    if scope.by_publication() {
        let position = pagination::decode_cursor(CURSOR_PUBLISHED, cursor)?;
        let (micros, id) = position.split_once('|').ok_or_else(invalid)?;
        let at = micros
            .parse::<i64>()
            .ok()
            .and_then(DateTime::<Utc>::from_timestamp_micros)
            .filter(|at| crate::http::input::is_storable(*at))
            .ok_or_else(invalid)?;
        Ok(Position::Published(at.naive_utc(), id.to_owned()))
    } else {
        Ok(Position::Created(pagination::decode_cursor(
            CURSOR_CREATED,
            cursor,
        )?))
    }
}

/// List published articles, newest first (with a token and `status`, other articles too).
///
/// Cursor pages never skip or repeat an article while others are being published. With `q`,
/// the newest matches are ranked by where the words are (see `q`).
#[utoipa::path(
    tag = "articles",
    params(ListQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of articles", body = ArticlePage,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/v1/articles")]
pub async fn list_articles(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    query: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let staff = auth.0.is_some();
    let scope = match (query.status, staff) {
        (None | Some(ListStatus::Published), _) => Scope::Public,
        (Some(_), false) => {
            return Err(ApiError::Unauthorized(
                "only staff with a token can list articles by status".to_owned(),
            ));
        }
        (Some(ListStatus::Draft), true) => Scope::Draft,
        (Some(ListStatus::Scheduled), true) => Scope::Scheduled,
        (Some(ListStatus::Archived), true) => Scope::Archived,
        (Some(ListStatus::Any), true) => Scope::Any,
    };
    let limit = pagination::limit(query.limit)?;
    let terms = match &query.q {
        Some(q) => {
            let terms = search::terms(q);
            if terms.is_empty() {
                return Err(ApiError::field("q", "must contain at least one word"));
            }
            Some(terms)
        }
        None => None,
    };
    let searching = terms.is_some();
    let after = query
        .cursor
        .as_deref()
        .map(|c| decode_position(scope, searching, c))
        .transpose()?;
    for (field, at) in [
        ("published_after", query.published_after),
        ("published_before", query.published_before),
    ] {
        if at.is_some_and(|at| !crate::http::input::is_storable(at)) {
            return Err(ApiError::field(
                field,
                "must be between the years 1 and 9999",
            ));
        }
    }
    if let Some(lang) = &query.lang
        && !super::is_language_tag(lang)
    {
        return Err(ApiError::field(
            "lang",
            "must be a BCP 47 language tag such as en",
        ));
    }
    let filter = Filter {
        tag: query.tag.map(|t| t.trim().to_lowercase()),
        section: query.section,
        author: query.author,
        language: query.lang,
        published_after: query.published_after.map(|t| t.naive_utc()),
        published_before: query.published_before.map(|t| t.naive_utc()),
        terms,
    };
    let offset = Position::offset(after.as_ref());
    let now = db::now();
    let plans = model::plans(scope, &filter);
    let recent = state.recent_search.since();
    let cache = if staff {
        PRIVATE_CACHE
    } else {
        PUBLIC_LIST_CACHE
    };
    if scope == Scope::Public {
        // The stored summaries (see `summaries`): what the other scopes render below, already
        // rendered.
        // Taken before anything is read: the cards known in it are no older than the search.
        let generation = state.cache.generation();
        let known = state.clone();
        let cards = state
            .db
            .read_with(plans, move |conn| {
                if let Some(terms) = &filter.terms {
                    let ids = model::public_search(
                        conn,
                        &filter,
                        terms,
                        after.as_ref(),
                        limit + 1,
                        now,
                        recent,
                    )?;
                    return known.known_cards.cards(conn, generation, &ids, now);
                }
                let mut cards = model::public_cards(conn, &filter, after.as_ref(), limit + 1, now)?;
                summaries::complete(conn, &mut cards, now)?;
                Ok(cards)
            })
            .await?;
        let (cards, next_cursor) = page(cards, limit, offset, searching, true, |c| {
            (c.published_at, &c.id)
        });
        let body = summaries::page_body(&cards, next_cursor.as_deref())?;
        let body = absolutize(body, &public_base(&req, &state.config));
        return Ok(read_response(&req, list_etag(&body), cache, body));
    }
    let (rows, relations) = state
        .db
        .read_with(plans, move |conn| {
            let rows = model::list(conn, scope, &filter, after.as_ref(), limit + 1, now, recent)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let relations =
                Relations::group(model::relations_of(conn, &ids)?).with_pictures(conn, &rows)?;
            Ok((rows, relations))
        })
        .await?;

    let (rows, next_cursor) = page(
        rows,
        limit,
        offset,
        searching,
        scope.by_publication(),
        |r| (r.published_at, &r.id),
    );
    let mut relations = relations;
    let items = rows
        .into_iter()
        .map(|row| summary(row, &mut relations, now))
        .collect::<ApiResult<Vec<_>>>()?;
    let body =
        serde_json::to_vec(&ArticlePage { items, next_cursor }).map_err(ApiError::internal)?;
    let body = absolutize(body, &public_base(&req, &state.config));
    Ok(read_response(&req, list_etag(&body), cache, body))
}

/// The first `limit` of a list's `limit + 1` rows, and the cursor of the next page if there is
/// one: a search's offset, or the last row's position (`key`: its publication time and id) by
/// publication or by creation.
fn page<T>(
    rows: Vec<T>,
    limit: i64,
    offset: i64,
    searching: bool,
    by_publication: bool,
    key: impl Fn(&T) -> (Option<NaiveDateTime>, &str),
) -> (Vec<T>, Option<String>) {
    if searching {
        let (rows, more) = pagination::paginate(rows, limit, "", |_| String::new());
        let next =
            more.map(|_| pagination::encode_cursor(CURSOR_SEARCH, &(offset + limit).to_string()));
        (rows, next)
    } else if by_publication {
        pagination::paginate(rows, limit, CURSOR_PUBLISHED, |r| {
            let (at, id) = key(r);
            let micros = at.map_or(0, |t| t.and_utc().timestamp_micros());
            format!("{micros}|{id}")
        })
    } else {
        pagination::paginate(rows, limit, CURSOR_CREATED, |r| key(r).1.to_owned())
    }
}

/// Loads a whole article for a response.
fn load(
    conn: &mut DbConn,
    row: ArticleRow,
    public: bool,
    now: NaiveDateTime,
    base: &str,
) -> ApiResult<Article> {
    let mut relations = Relations::group(model::relations_of(conn, std::slice::from_ref(&row.id))?);
    let authors = relations.authors.remove(&row.id).unwrap_or_default();
    let tags = relations.tags.remove(&row.id).unwrap_or_default();
    let related = model::related_of(conn, &row.id, public.then_some(now))?;
    let fields_body: Vec<super::body::Block> =
        serde_json::from_str(&row.body).map_err(ApiError::internal)?;
    let featured: Option<super::FeaturedImage> = row
        .featured_image
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(ApiError::internal)?;
    let mut shown = image_uses(conn, featured.as_ref(), &fields_body, base)?;
    if public {
        for used in &mut shown.0.1 {
            used.image = used.image.clone().for_public();
        }
    }
    let corrections = crate::corrections::handlers::log_of(conn, &row.id)?;
    let mut article = article(row, authors, tags, related, shown.0, corrections, now)?;
    article.body_html = super::body::with_figures(&article.body_html, &shown.1);
    Ok(article)
}

/// The images an article shows: the featured picture and every use with its metadata and
/// caption, and the pictures of the body's image blocks in order (`None` for a missing image).
type Shown = (
    (Option<crate::images::Picture>, Vec<super::ImageUse>),
    Vec<Option<crate::images::Picture>>,
);

/// See [`Shown`]; URLs start with `base`.
fn image_uses(
    conn: &mut DbConn,
    featured: Option<&super::FeaturedImage>,
    body: &[super::body::Block],
    base: &str,
) -> ApiResult<Shown> {
    let mut refs: Vec<(String, Option<usize>, String, Option<String>)> = Vec::new();
    if let Some(f) = featured {
        refs.push((
            "featured".to_owned(),
            None,
            f.image_id.clone(),
            f.caption_id.clone(),
        ));
    }
    for (i, block) in body.iter().enumerate() {
        if let super::body::Block::Image {
            image_id,
            caption_id,
        } = block
        {
            refs.push((
                "body".to_owned(),
                Some(i),
                image_id.clone(),
                caption_id.clone(),
            ));
        }
    }
    if refs.is_empty() {
        return Ok(((None, Vec::new()), Vec::new()));
    }
    let (images, captions) = super::image_rows(conn, refs.iter().map(|r| (&r.2, r.3.as_ref())))?;
    let mut uses = Vec::with_capacity(refs.len());
    let mut featured_picture = None;
    let mut body_pictures = Vec::new();
    for (usage, block, image_id, caption_id) in refs {
        let Some(image) = images.iter().find(|i| i.id == image_id) else {
            if block.is_some() {
                body_pictures.push(None);
            }
            continue;
        };
        let caption_row = caption_id.and_then(|c| captions.iter().find(|row| row.id == c));
        let picture = crate::images::Picture::new(image, caption_row, base);
        if block.is_some() {
            body_pictures.push(Some(picture));
        } else {
            featured_picture = Some(picture);
        }
        uses.push(super::ImageUse {
            usage,
            block,
            image: crate::images::Image::from_row(image.clone(), Some(base)),
            caption: caption_row
                .map(|row| crate::captions::Caption::from_row(row.clone(), image.credit.clone())),
        });
    }
    Ok(((featured_picture, uses), body_pictures))
}

/// Checks that every image an article shows exists, and that its caption describes that image
/// in this article.
fn check_images(
    conn: &mut DbConn,
    id: &str,
    refs: &[super::ImageRef],
) -> ApiResult<Vec<FieldError>> {
    let mut errors = Vec::new();
    if refs.is_empty() {
        return Ok(errors);
    }
    let (images, captions) = super::image_rows(conn, refs.iter().map(|r| (&r.2, r.3.as_ref())))?;
    for (_, field, image_id, caption_id) in refs {
        if !images.iter().any(|i| &i.id == image_id) {
            errors.push(FieldError::new(
                format!("{field}.image_id"),
                "no image has this id",
            ));
        }
        if let Some(caption_id) = caption_id {
            match captions.iter().find(|c| &c.id == caption_id) {
                None => errors.push(FieldError::new(
                    format!("{field}.caption_id"),
                    "no caption has this id",
                )),
                Some(c) if &c.image_id != image_id => errors.push(FieldError::new(
                    format!("{field}.caption_id"),
                    "this caption describes another image",
                )),
                Some(c) if c.article_id != id => errors.push(FieldError::new(
                    format!("{field}.caption_id"),
                    "this caption belongs to another article",
                )),
                Some(_) => {}
            }
        }
    }
    Ok(errors)
}

/// The newsroom's rule: no photo goes out without alt text and a credit. Lists every gap.
fn check_publishable(conn: &mut DbConn, fields: &Fields) -> ApiResult<()> {
    let refs = fields.image_refs();
    if refs.is_empty() {
        return Ok(());
    }
    let (images, captions) = super::image_rows(conn, refs.iter().map(|r| (&r.2, r.3.as_ref())))?;
    let mut errors = Vec::new();
    for (_, field, image_id, caption_id) in &refs {
        let Some(image) = images.iter().find(|i| &i.id == image_id) else {
            errors.push(FieldError::new(
                format!("{field}.image_id"),
                "no image has this id",
            ));
            continue;
        };
        if image.alt_text.as_deref().is_none_or(str::is_empty) {
            errors.push(FieldError::new(
                format!("{field}.image_id"),
                format!("image {image_id} has no alt text"),
            ));
        }
        let caption_credit = caption_id
            .as_ref()
            .and_then(|c| captions.iter().find(|row| &row.id == c))
            .and_then(|c| c.credit.clone());
        if caption_credit.or_else(|| image.credit.clone()).is_none() {
            errors.push(FieldError::new(
                format!("{field}.image_id"),
                format!("image {image_id} has no credit: set the image's credit or the caption's"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Read one article by id or slug.
///
/// An earlier slug answers with the article as it is now (its `slug` is the current one).
/// Without a token, only published articles exist.
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "The article's id or its slug (the current one or an earlier one)")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The article", body = Article,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No such article (or not published)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/articles/{id}")]
pub async fn get_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    key: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = key.into_inner();
    let staff = auth.0.is_some();
    let now = db::now();
    let base = public_base(&req, &state.config);
    let found = state
        .db
        .read_with(Plans::Either, move |conn| {
            match model::find_by_key(conn, &key)? {
                Some(row) if staff || Status::of(&row, now) == Status::Published => {
                    Ok(Some(load(conn, row, !staff, now, &base)?))
                }
                _ => Ok(None),
            }
        })
        .await?;
    let article = found.ok_or_else(not_found)?;
    let (body, tag) = tagged_json(article.version, &article)?;
    let cache = if staff { PRIVATE_CACHE } else { PUBLIC_CACHE };
    Ok(read_response(&req, tag, cache, body))
}

fn article_response(status: StatusCode, article: Article) -> ApiResult<HttpResponse> {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, PRIVATE_CACHE));
    if status == StatusCode::CREATED {
        response.insert_header((header::LOCATION, format!("/v1/articles/{}", article.id)));
    }
    tagged_response(response, article.version, &article)
}

/// How a write came about, for the revision log.
struct Change<'a> {
    editor: &'a AuthUser,
    action: &'static str,
    changed: Vec<&'static str>,
}

/// Checks `fields` against the database, derives the body's HTML and text, and writes the
/// article (inserting when `current` is `None`), its relations and a revision: all or nothing,
/// inside the caller's transaction.
fn save(
    conn: &mut DbConn,
    id: &str,
    current: Option<(&ArticleRow, &Fields)>,
    mut fields: Fields,
    slug_derived: bool,
    change: Change<'_>,
) -> ApiResult<ArticleRow> {
    let mut errors = fields.validate(id);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let users = model::existing_users(conn, &fields.authors)?;
    for (i, author) in fields.authors.iter().enumerate() {
        if !users.contains(author) {
            errors.push(FieldError::new(
                format!("authors[{i}]"),
                "no user has this id",
            ));
        }
    }
    let refs = fields.image_refs();
    errors.extend(check_images(conn, id, &refs)?);
    let articles = model::existing_articles(conn, &fields.related)?;
    for (i, related) in fields.related.iter().enumerate() {
        if !articles.contains(related) {
            errors.push(FieldError::new(
                format!("related[{i}]"),
                "no article has this id",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    db::lock_key(conn, &format!("slug:{}", fields.slug))?;
    if model::slug_taken(conn, &fields.slug, id)? {
        if !slug_derived {
            return Err(ApiError::Conflict(format!(
                "the slug `{}` is taken by another article",
                fields.slug
            )));
        }
        let base = fields.slug.clone();
        let mut n = 2;
        while model::slug_taken(conn, &format!("{base}-{n}"), id)? {
            n += 1;
        }
        fields.slug = format!("{base}-{n}");
    }
    let derived = Derived::from(&fields)?;
    let now = db::now();
    let (status, published_at, version) = match current {
        Some((row, _)) => (row.status.clone(), row.published_at, row.version + 1),
        None => ("draft".to_owned(), None, 1),
    };
    let values = ArticleValues {
        slug: fields.slug.clone(),
        title: fields.title.clone(),
        standfirst: fields.standfirst.clone(),
        body: serde_json::to_string(&fields.body).map_err(ApiError::internal)?,
        body_html: derived.body_html,
        body_text: derived.body_text,
        excerpt: derived.excerpt,
        excerpt_is_custom: fields.excerpt.is_some(),
        status,
        published_at,
        section: fields.section.clone(),
        language: fields.language.clone(),
        canonical_url: fields.canonical_url.clone(),
        sources: serde_json::to_string(&fields.sources).map_err(ApiError::internal)?,
        featured_image: fields
            .featured_image
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(ApiError::internal)?,
        version,
        updated_at: now,
    };
    match current {
        None => model::insert(
            conn,
            &ArticleIdentity {
                id: id.to_owned(),
                created_by: change.editor.id.clone(),
                created_at: now,
            },
            &values,
        )?,
        Some((row, before)) => {
            if !model::update(conn, id, row.version, &values)? {
                return Err(ApiError::PreconditionFailed);
            }
            if before.slug != fields.slug {
                model::remember_old_slug(conn, id, &before.slug, &fields.slug)?;
            }
        }
    }
    model::replace_relations(
        conn,
        id,
        &fields.authors,
        &fields.tags,
        &fields.related,
        model::public_at(&values.status, values.published_at),
    )?;
    model::replace_images(conn, id, &refs)?;
    record(
        conn,
        id,
        version,
        &change,
        &fields,
        &values.status,
        values.published_at,
    )?;
    model::find(conn, id)?.ok_or_else(|| ApiError::internal("a saved article vanished"))
}

fn record(
    conn: &mut DbConn,
    id: &str,
    version: i64,
    change: &Change<'_>,
    fields: &Fields,
    status: &str,
    published_at: Option<NaiveDateTime>,
) -> ApiResult<()> {
    let snapshot = json!({
        "fields": fields,
        "status": status,
        "published_at": published_at.map(|t| t.and_utc()),
    });
    model::insert_revision(
        conn,
        &model::NewRevision {
            id: db::new_id(),
            article_id: id,
            version,
            editor_id: Some(&change.editor.id),
            action: change.action,
            changed: serde_json::to_string(&change.changed).map_err(ApiError::internal)?,
            snapshot: snapshot.to_string(),
            created_at: db::now(),
        },
    )?;
    Ok(())
}

/// The stored article and its fields, for a change.
fn current(conn: &mut DbConn, id: &str) -> ApiResult<(ArticleRow, Fields)> {
    // Changes to one article take turns, so a lost race is never a spurious 412.
    db::lock_key(conn, &format!("article:{id}"))?;
    let row = model::find(conn, id)?.ok_or_else(not_found)?;
    let mut relations = Relations::group(model::relations_of(conn, std::slice::from_ref(&row.id))?);
    let authors = relations
        .authors
        .remove(&row.id)
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.id)
        .collect();
    let tags = relations.tags.remove(&row.id).unwrap_or_default();
    let related = model::related_of(conn, id, None)?;
    let fields = fields_of(&row, authors, tags, related)?;
    Ok((row, fields))
}

/// Fails unless `user` may change the article `id` (and so its captions).
pub fn editable(conn: &mut DbConn, user: &AuthUser, id: &str) -> ApiResult<()> {
    let (row, fields) = current(conn, id)?;
    may_edit(user, &row, &fields, db::now())
}

/// Writers may change only drafts they wrote or are an author of; editors anything.
fn may_edit(
    user: &AuthUser,
    row: &ArticleRow,
    fields: &Fields,
    now: NaiveDateTime,
) -> ApiResult<()> {
    if user.role.includes(Role::Editor) {
        return Ok(());
    }
    let theirs = row.created_by == user.id || fields.authors.contains(&user.id);
    if !theirs {
        return Err(ApiError::Forbidden(
            "writers can change only their own drafts".to_owned(),
        ));
    }
    if Status::of(row, now) != Status::Draft {
        return Err(ApiError::Forbidden(
            "this article is no longer a draft; an editor must change it".to_owned(),
        ));
    }
    Ok(())
}

/// Create a draft.
///
/// Any staff account may write; the writer becomes an author unless `authors` says otherwise.
/// The slug is derived from the title unless given (409 when taken). The answer's `ETag` is
/// what a later `PATCH` sends in `If-Match`.
#[utoipa::path(
    tag = "articles",
    request_body = NewArticle,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new draft", body = Article,
            headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/articles")]
pub async fn create_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ApiJson<NewArticle>,
) -> ApiResult<HttpResponse> {
    let new = body.0;
    let slug_derived = new.slug.is_none();
    let fields = Fields::from_new(new, &auth.id);
    let id = db::new_id();
    let now = db::now();
    let base = public_base(&req, &state.config);
    let article = state
        .write_content(move |conn| {
            let change = Change {
                editor: &auth,
                action: "create",
                changed: Vec::new(),
            };
            let row = save(conn, &id, None, fields, slug_derived, change)?;
            load(conn, row, false, now, &base)
        })
        .await?;
    article_response(StatusCode::CREATED, article)
}

/// Change an article.
///
/// Needs `If-Match` with the ETag you last read: 428 without it, 412 when someone changed the
/// article since. Writers may change only their own drafts.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "The article's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    request_body = ArticlePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed article", body = Article, headers(("ETag" = String))),
        (status = 403, description = "Not yours to change", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/articles/{id}")]
pub async fn update_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<ArticlePatch>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let patch = body.0;
    let now = db::now();
    let base = public_base(&req, &state.config);
    let article = state
        .write_content(move |conn| {
            let (row, before) = current(conn, &id)?;
            if_match.check(row.version)?;
            may_edit(&auth, &row, &before, now)?;
            let after = before.patched(patch);
            let changed = after.changed_from(&before);
            if changed.is_empty() {
                return load(conn, row, false, now, &base);
            }
            let change = Change {
                editor: &auth,
                action: "update",
                changed,
            };
            let row = save(conn, &id, Some((&row, &before)), after, false, change)?;
            load(conn, row, false, now, &base)
        })
        .await?;
    article_response(StatusCode::OK, article)
}

/// Delete an article.
///
/// Needs `If-Match`. Writers may delete only their own drafts.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "The article's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not yours to delete", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/articles/{id}")]
pub async fn delete_article(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let now = db::now();
    state
        .write_content(move |conn| {
            let (row, fields) = current(conn, &id)?;
            if_match.check(row.version)?;
            may_edit(&auth, &row, &fields, now)?;
            if !model::delete(conn, &id, row.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// When to publish.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// A future time to publish at (RFC 3339); absent: now.
    pub at: Option<DateTime<Utc>>,
}

/// How to take an article down.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnpublishRequest {
    /// `true` archives it (kept for the record); otherwise it goes back to being a draft.
    #[serde(default)]
    pub archive: bool,
}

/// Changes an article's status in one transaction, with a revision.
async fn set_status(
    req: &HttpRequest,
    state: &AppState,
    auth: AuthUser,
    id: String,
    if_match: Option<IfMatch>,
    transition: impl FnOnce(
        &ArticleRow,
        NaiveDateTime,
    ) -> ApiResult<(&'static str, &'static str, Option<NaiveDateTime>)>
    + Send
    + 'static,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let now = db::now();
    let base = public_base(req, &state.config);
    let article = state
        .write_content(move |conn| {
            let (row, fields) = current(conn, &id)?;
            if let Some(if_match) = &if_match {
                if_match.check(row.version)?;
            }
            let (action, status, published_at) = transition(&row, now)?;
            if status == "published" {
                check_publishable(conn, &fields)?;
            }
            let mut values = model::ArticleValues::from_row(&row);
            values.status = status.to_owned();
            values.published_at = published_at;
            values.version = row.version + 1;
            values.updated_at = now;
            if !model::update(conn, &id, row.version, &values)? {
                return Err(ApiError::PreconditionFailed);
            }
            let change = Change {
                editor: &auth,
                action,
                changed: vec!["status", "published_at"],
            };
            record(
                conn,
                &id,
                values.version,
                &change,
                &fields,
                status,
                published_at,
            )?;
            let row = model::find(conn, &id)?.ok_or_else(not_found)?;
            load(conn, row, false, now, &base)
        })
        .await?;
    article_response(StatusCode::OK, article)
}

/// Publish an article now, or schedule it.
///
/// Editors and admins only. With `{"at": …}` in the future the article is scheduled and becomes
/// public by itself at that time. `If-Match` is honoured when sent.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "The article's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you last read (optional)"),
    ),
    request_body(content = Option<PublishRequest>, description = "Optional; empty to publish now"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Published or scheduled", body = Article, headers(("ETag" = String))),
        (status = 403, description = "Only editors publish", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already published", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/articles/{id}/publish")]
pub async fn publish_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: Option<IfMatch>,
    body: MaybeJson<PublishRequest>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let at = body.0.unwrap_or_default().at.map(|t| t.naive_utc());
    let now = db::now();
    if let Some(at) = at {
        if at <= now {
            return Err(ApiError::field(
                "at",
                "must be in the future; to publish now, leave it out",
            ));
        }
        if at > now + TimeDelta::days(3_650) {
            return Err(ApiError::field("at", "must be within ten years"));
        }
    }
    set_status(
        &req,
        &state,
        auth,
        id.into_inner(),
        if_match,
        move |row, now| {
            if Status::of(row, now) == Status::Published {
                return Err(ApiError::Conflict(
                    "the article is already published".to_owned(),
                ));
            }
            Ok(match at {
                Some(at) => ("schedule", "published", Some(at)),
                None => ("publish", "published", Some(now)),
            })
        },
    )
    .await
}

/// Take an article down: back to draft, or archived.
///
/// Editors and admins only. `If-Match` is honoured when sent.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "The article's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you last read (optional)"),
    ),
    request_body(content = Option<UnpublishRequest>, description = "Optional; empty to go back to draft"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Taken down", body = Article, headers(("ETag" = String))),
        (status = 403, description = "Only editors unpublish", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not published or scheduled", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/articles/{id}/unpublish")]
pub async fn unpublish_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: Option<IfMatch>,
    body: MaybeJson<UnpublishRequest>,
) -> ApiResult<HttpResponse> {
    let archive = body.0.unwrap_or_default().archive;
    set_status(
        &req,
        &state,
        auth,
        id.into_inner(),
        if_match,
        move |row, now| match (Status::of(row, now), archive) {
            (Status::Draft, false) => Err(ApiError::Conflict(
                "the article is a draft already".to_owned(),
            )),
            (Status::Archived, true) => Err(ApiError::Conflict(
                "the article is archived already".to_owned(),
            )),
            (_, true) => Ok(("archive", "archived", row.published_at)),
            (_, false) => Ok(("unpublish", "draft", None)),
        },
    )
    .await
}

/// One accepted change of an article.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Revision {
    /// The article's version after the change.
    pub version: i64,
    /// `create`, `update`, `publish`, `schedule`, `unpublish` or `archive`.
    #[schema(value_type = crate::openapi::closed::RevisionAction)]
    pub action: String,
    /// The fields it changed.
    pub changed: Vec<String>,
    /// Who made it (`null` if that account is gone).
    pub editor: Option<Author>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A page of revisions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevisionPage {
    /// Newest first.
    pub items: Vec<Revision>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Paging for revisions.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevisionQuery {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List an article's revisions: who changed what, and when.
///
/// Any staff account. Newest first, paged with `limit` and `cursor`; each revision names the
/// fields it changed and the account that made it.
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "The article's id"), RevisionQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "Revisions, newest first", body = RevisionPage))
)]
#[get("/v1/articles/{id}/revisions")]
pub async fn list_revisions(
    state: web::Data<AppState>,
    _auth: AuthUser,
    id: web::Path<String>,
    query: web::Query<RevisionQuery>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let before = query
        .cursor
        .as_deref()
        .map(|c| {
            pagination::decode_cursor("revisions", c)?
                .parse::<i64>()
                .map_err(|_| {
                    ApiError::BadRequest("the cursor is not valid for this list".to_owned())
                })
        })
        .transpose()?;
    let rows = state
        .db
        .read(move |conn| {
            model::find(conn, &id)?.ok_or_else(not_found)?;
            Ok(model::revisions(conn, &id, before, limit + 1)?)
        })
        .await?;
    let (rows, next_cursor) = pagination::paginate(rows, limit, "revisions", |r| r.0.to_string());
    let items = rows
        .into_iter()
        .map(
            |(version, action, changed, created_at, editor_id, editor_name)| {
                Ok(Revision {
                    version,
                    action,
                    changed: serde_json::from_str(&changed).map_err(ApiError::internal)?,
                    editor: editor_id
                        .zip(editor_name)
                        .map(|(id, display_name)| Author { id, display_name }),
                    created_at: created_at.and_utc(),
                })
            },
        )
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, PRIVATE_CACHE))
        .json(RevisionPage { items, next_cursor }))
}
