//! The editorial service: the rules of writing, publishing and taking down articles, each
//! change checked whole and written with its revision inside the caller's transaction.
//!
//! Handlers parse and authorize a request, call one function here inside `write_content` (or a
//! read), and answer; nothing here knows HTTP beyond the `If-Match` precondition.

use chrono::{NaiveDateTime, TimeDelta};
use serde_json::json;

use super::model::{self, ArticleIdentity, ArticleRow, ArticleValues, StatusValues};
use super::{
    Article, ArticlePatch, CheckedFields, Derived, Fields, Relations, Status, StoredStatus,
    article, fields_of,
};
use crate::auth::AuthUser;
use crate::db::{self, DbConn};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::etag::IfMatch;
use crate::ids::ArticleId;
use crate::users::Role;

/// The answer when no article has the id or slug (or, for the public, none is published).
pub fn not_found() -> ApiError {
    ApiError::NotFound("no article has this id or slug".to_owned())
}

/// The article `key` (an id, a slug or an earlier slug) names, as the reader may see it: staff
/// see every article, the public only published ones (`None` otherwise).
pub fn read(
    conn: &mut DbConn,
    key: &str,
    staff: bool,
    now: NaiveDateTime,
    base: &str,
) -> ApiResult<Option<Article>> {
    match model::find_by_key(conn, key)? {
        Some(row) if staff || Status::of(&row, now) == Status::Published => {
            Ok(Some(load(conn, row, !staff, now, base)?))
        }
        _ => Ok(None),
    }
}

/// An article's response: its JSON and its version (which its ETag names, beside a hash of the
/// JSON).
pub type Response = (Vec<u8>, i64);

/// The JSON of `article` as a read answers it.
pub fn response_of(article: &Article) -> ApiResult<Response> {
    let body = serde_json::to_vec(article).map_err(ApiError::internal)?;
    Ok((body, article.version))
}

/// What [`read`] answers, as bytes: for the public (`staff` false) from the article's stored
/// document when it is current ([`super::documents`]), otherwise assembled from the tables, the
/// same bytes either way.
pub fn read_response(
    conn: &mut DbConn,
    key: &str,
    staff: bool,
    now: NaiveDateTime,
    base: &str,
) -> ApiResult<Option<Response>> {
    use super::documents::{self, Found};
    if staff || !documents::is_plain(base) {
        return read(conn, key, staff, now, base)?
            .map(|a| response_of(&a))
            .transpose();
    }
    match documents::find(conn, key, now)? {
        Found::Nothing => Ok(None),
        Found::Stored(document) => Ok(Some((document.with_base(base), document.version))),
        Found::Assemble(row) => response_of(&load(conn, *row, true, now, base)?).map(Some),
    }
}

/// Creates the draft `id` from `fields`, with `editor` as its creator.
pub fn create(
    conn: &mut DbConn,
    editor: &AuthUser,
    id: &ArticleId,
    fields: Fields,
    slug_derived: bool,
    now: NaiveDateTime,
    base: &str,
) -> ApiResult<Article> {
    let change = Change {
        editor,
        action: "create",
        changed: Vec::new(),
    };
    let fields = fields.check(id).map_err(ApiError::Validation)?;
    let row = save(conn, id, None, fields, slug_derived, change)?;
    load(conn, row, false, now, base)
}

/// Applies `patch` to the article `id` if `if_match` names its version and `editor` may change
/// it; a patch that changes nothing writes nothing.
pub fn update(
    conn: &mut DbConn,
    editor: &AuthUser,
    id: &ArticleId,
    if_match: &IfMatch,
    patch: ArticlePatch,
    now: NaiveDateTime,
    base: &str,
) -> ApiResult<Article> {
    let (row, before) = current(conn, id)?;
    if_match.check(row.version)?;
    may_edit(editor, &row, &before, now)?;
    let seen = super::announce::before(conn, &row)?;
    let after = before.patched(patch);
    let changed = after.changed_from(&before);
    if changed.is_empty() {
        return load(conn, row, false, now, base);
    }
    let change = Change {
        editor,
        action: "update",
        changed,
    };
    let after = after.check(id).map_err(ApiError::Validation)?;
    let row = save(conn, id, Some((&row, &before)), after, false, change)?;
    super::announce::after(conn, seen)?;
    load(conn, row, false, now, base)
}

/// Deletes the article `id` if `if_match` names its version and `editor` may change it.
pub fn delete(
    conn: &mut DbConn,
    editor: &AuthUser,
    id: &ArticleId,
    if_match: &IfMatch,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let (row, fields) = current(conn, id)?;
    if_match.check(row.version)?;
    may_edit(editor, &row, &fields, now)?;
    let seen = super::announce::before(conn, &row)?;
    if !model::delete(conn, id, row.version)? {
        return Err(ApiError::PreconditionFailed);
    }
    super::announce::after(conn, seen)
}

/// A change of status: the revision's action, the stored status and the publication time.
pub type Transition = (&'static str, StoredStatus, Option<NaiveDateTime>);

/// Fails unless `at`, a time to publish at, is in the future and within ten years.
pub fn check_publish_at(at: Option<NaiveDateTime>, now: NaiveDateTime) -> ApiResult<()> {
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
    Ok(())
}

/// Publishing: now, or scheduled at `at`; an article that is public already cannot be.
pub fn publish(
    at: Option<NaiveDateTime>,
) -> impl FnOnce(&ArticleRow, NaiveDateTime) -> ApiResult<Transition> {
    move |row, now| {
        if Status::of(row, now) == Status::Published {
            return Err(ApiError::Conflict(
                "the article is already published".to_owned(),
            ));
        }
        Ok(match at {
            Some(at) => ("schedule", StoredStatus::Published, Some(at)),
            None => ("publish", StoredStatus::Published, Some(now)),
        })
    }
}

/// Taking down: archived (kept with its publication time) or back to draft.
pub fn unpublish(
    archive: bool,
) -> impl FnOnce(&ArticleRow, NaiveDateTime) -> ApiResult<Transition> {
    move |row, now| match (Status::of(row, now), archive) {
        (Status::Draft, false) => Err(ApiError::Conflict(
            "the article is a draft already".to_owned(),
        )),
        (Status::Archived, true) => Err(ApiError::Conflict(
            "the article is archived already".to_owned(),
        )),
        (_, true) => Ok(("archive", StoredStatus::Archived, row.published_at)),
        (_, false) => Ok(("unpublish", StoredStatus::Draft, None)),
    }
}

/// Changes an article's status as `transition` decides, with a revision; an article to be
/// published must pass [`check_publishable`]. The handler has checked that `editor` is an
/// editor.
pub fn set_status(
    conn: &mut DbConn,
    editor: &AuthUser,
    id: &ArticleId,
    if_match: Option<&IfMatch>,
    transition: impl FnOnce(&ArticleRow, NaiveDateTime) -> ApiResult<Transition>,
    now: NaiveDateTime,
    base: &str,
) -> ApiResult<Article> {
    let (row, fields) = current(conn, id)?;
    if let Some(if_match) = if_match {
        if_match.check(row.version)?;
    }
    let seen = super::announce::before(conn, &row)?;
    let (action, status, published_at) = transition(&row, now)?;
    if status == StoredStatus::Published {
        check_publishable(conn, &fields)?;
    }
    let values = StatusValues {
        status,
        published_at,
        version: row.version + 1,
        updated_at: now,
    };
    if !model::update_status(conn, id, row.version, &values)? {
        return Err(ApiError::PreconditionFailed);
    }
    let change = Change {
        editor,
        action,
        changed: vec!["status", "published_at"],
    };
    record(
        conn,
        id,
        values.version,
        &change,
        &fields,
        status,
        published_at,
    )?;
    super::announce::after(conn, seen)?;
    let row = model::find(conn, id)?.ok_or_else(not_found)?;
    load(conn, row, false, now, base)
}

/// Loads a whole article for a response.
pub fn load(
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
    let featured = row.featured_image.as_ref().map(|f| &f.0);
    let mut shown = image_uses(conn, featured, &row.body.0, base)?;
    if public {
        for used in &mut shown.0.1 {
            used.image = used.image.clone().for_public();
        }
    }
    let corrections = crate::corrections::log::log_of(conn, &row.id)?;
    let mut article = article(row, authors, tags, related, shown.0, corrections, now);
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
    let refs = super::image_refs(featured, body);
    if refs.is_empty() {
        return Ok(((None, Vec::new()), Vec::new()));
    }
    let (images, captions) = super::image_rows(conn, refs.iter().map(super::ImageRef::ids))?;
    let mut uses = Vec::with_capacity(refs.len());
    let mut featured_picture = None;
    let mut body_pictures = Vec::new();
    for image_ref in refs {
        // Position 0 is the featured image, position n the body's block n - 1.
        let block = usize::try_from(image_ref.position - 1).ok();
        let usage = if block.is_some() { "body" } else { "featured" }.to_owned();
        let (image_id, caption_id) = (image_ref.image_id, image_ref.caption_id);
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
    id: &ArticleId,
    refs: &[super::ImageRef],
) -> ApiResult<Vec<FieldError>> {
    let mut errors = Vec::new();
    if refs.is_empty() {
        return Ok(errors);
    }
    let (images, captions) = super::image_rows(conn, refs.iter().map(super::ImageRef::ids))?;
    for super::ImageRef {
        field,
        image_id,
        caption_id,
        ..
    } in refs
    {
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
                Some(c) if &c.article_id != id => errors.push(FieldError::new(
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
    let (images, captions) = super::image_rows(conn, refs.iter().map(super::ImageRef::ids))?;
    let mut errors = Vec::new();
    for super::ImageRef {
        field,
        image_id,
        caption_id,
        ..
    } in &refs
    {
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

/// How a write came about, for the revision log.
pub struct Change<'a> {
    pub editor: &'a AuthUser,
    pub action: &'static str,
    pub changed: Vec<&'static str>,
}

/// Checks what `fields` name in the database: its authors, images (see [`check_images`]) and
/// related articles.
fn check_references(
    conn: &mut DbConn,
    id: &ArticleId,
    fields: &CheckedFields,
    refs: &[super::ImageRef],
) -> ApiResult<Vec<FieldError>> {
    let mut errors = Vec::new();
    let authors = crate::authors::model::existing(conn, &fields.authors)?;
    for (i, author) in fields.authors.iter().enumerate() {
        if !authors.contains(author) {
            errors.push(FieldError::new(
                format!("authors[{i}]"),
                "no user or guest author has this id",
            ));
        }
    }
    errors.extend(check_images(conn, id, refs)?);
    let articles = model::existing_articles(conn, &fields.related)?;
    for (i, related) in fields.related.iter().enumerate() {
        if !articles.contains(related) {
            errors.push(FieldError::new(
                format!("related[{i}]"),
                "no article has this id",
            ));
        }
    }
    Ok(errors)
}

/// Takes the slug `fields` asks for (409 when another article has it), or, for a slug derived
/// from the title, the first free one of `slug`, `slug-2`, `slug-3`, ….
fn free_slug(
    conn: &mut DbConn,
    id: &ArticleId,
    fields: &mut CheckedFields,
    slug_derived: bool,
) -> ApiResult<()> {
    db::lock_key(conn, &format!("slug:{}", fields.slug))?;
    if model::slug_taken(conn, fields.slug.as_str(), id)? {
        if !slug_derived {
            return Err(ApiError::Conflict(format!(
                "the slug `{}` is taken by another article",
                fields.slug
            )));
        }
        let mut n = 2;
        while model::slug_taken(conn, fields.slug.numbered(n).as_str(), id)? {
            n += 1;
        }
        fields.slug = fields.slug.numbered(n);
    }
    Ok(())
}

/// Checks `fields` (checked alone by [`Fields::check`]) against the database, derives the
/// body's HTML and text, and writes the article (inserting when `current` is `None`), its
/// relations and a revision: all or nothing, inside the caller's transaction.
fn save(
    conn: &mut DbConn,
    id: &ArticleId,
    current: Option<(&ArticleRow, &Fields)>,
    mut fields: CheckedFields,
    slug_derived: bool,
    change: Change<'_>,
) -> ApiResult<ArticleRow> {
    let refs = fields.image_refs();
    let mut errors = check_references(conn, id, &fields, &refs)?;
    // A section named anew (by slug or name) is stored by its name; an unchanged one is kept,
    // even if it has since been retired. Editors may name a new one, which creates it.
    if let Some(section) = &fields.section
        && current.is_none_or(|(_, before)| before.section.as_ref() != Some(section))
    {
        let may_create = change.editor.role.includes(Role::Editor);
        match crate::sections::model::article_section(conn, section, "section", may_create)? {
            Ok(name) => fields.section = Some(name),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // Every byline links to a profile.
    crate::authors::model::ensure(conn, &fields.authors)?;
    // A tag merged into another is written as that one (under the lock a merge takes
    // exclusively, so that no article keeps a tag merged meanwhile; saves share it).
    if current.is_none_or(|(_, before)| before.tags != fields.tags) {
        db::lock_key_shared(conn, "tags")?;
        fields.tags = crate::tags::model::current_all(conn, &fields.tags)?;
    }
    free_slug(conn, id, &mut fields, slug_derived)?;
    let derived = Derived::from(&fields)?;
    let now = db::now();
    let (status, published_at, version) = match current {
        Some((row, _)) => (row.status, row.published_at, row.version + 1),
        None => (StoredStatus::Draft, None, 1),
    };
    let values = ArticleValues {
        slug: fields.slug.as_str().to_owned(),
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
        language: fields.language.as_str().to_owned(),
        canonical_url: fields.canonical_url.as_ref().map(|u| u.as_str().to_owned()),
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
                id: id.clone(),
                created_by: change.editor.id.clone(),
                created_at: now,
            },
            &values,
        )?,
        Some((row, before)) => {
            if !model::update(conn, id, row.version, &values)? {
                return Err(ApiError::PreconditionFailed);
            }
            if before.slug != fields.slug.as_str() {
                model::remember_old_slug(conn, id, &before.slug, fields.slug.as_str())?;
            }
        }
    }
    model::replace_relations(
        conn,
        id,
        &fields.authors,
        &fields.tags,
        &fields.related,
        model::public_at(values.status, values.published_at),
    )?;
    model::replace_images(conn, id, &refs)?;
    record(
        conn,
        id,
        version,
        &change,
        &fields,
        values.status,
        values.published_at,
    )?;
    model::find(conn, id)?.ok_or_else(|| ApiError::internal("a saved article vanished"))
}

/// Records revision `version`, with a snapshot of `fields`: the checked fields of a write, or the
/// stored ones of a status change.
fn record(
    conn: &mut DbConn,
    id: &ArticleId,
    version: i64,
    change: &Change<'_>,
    fields: &impl serde::Serialize,
    status: StoredStatus,
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
fn current(conn: &mut DbConn, id: &ArticleId) -> ApiResult<(ArticleRow, Fields)> {
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
    let fields = fields_of(&row, authors, tags, related);
    Ok((row, fields))
}

/// Fails unless `user` may change the article `id` (and so its captions).
pub fn editable(conn: &mut DbConn, user: &AuthUser, id: &ArticleId) -> ApiResult<()> {
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

/// The revisions of the article `id` older than `before` (a version), newest first.
pub fn revisions(
    conn: &mut DbConn,
    id: &ArticleId,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<model::RevisionRow>> {
    model::find_head(conn, id)?.ok_or_else(not_found)?;
    Ok(model::revisions(conn, id, before, limit)?)
}
