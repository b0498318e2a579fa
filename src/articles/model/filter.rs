//! Which articles a list shows: its scope, filters and position, described once.

use chrono::NaiveDateTime;

use crate::articles::StoredStatus;
use crate::db::Plans;
use crate::ids::{ArticleId, UserId};

/// Which articles a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Published and due: what the public sees.
    Public,
    /// Published with a future time.
    Scheduled,
    /// Drafts.
    Draft,
    /// Archived.
    Archived,
    /// Everything (editors).
    Any,
}

impl Scope {
    /// Whether the list is ordered by publication time (else by creation).
    pub fn by_publication(self) -> bool {
        matches!(self, Self::Public | Self::Scheduled)
    }
}

/// A position in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// After this (published_at, id), newest first.
    Published(NaiveDateTime, ArticleId),
    /// After this id, newest first.
    Created(ArticleId),
    /// After this many search results.
    Offset(i64),
}

impl Position {
    /// How many search results a position is after (0 at the start or for a cursor).
    pub fn offset(after: Option<&Self>) -> i64 {
        match after {
            Some(Self::Offset(n)) => *n,
            _ => 0,
        }
    }

    /// The (published_at, id) a position is after, if it is one.
    pub(super) fn published(after: Option<&Self>) -> Option<(NaiveDateTime, &str)> {
        match after {
            Some(Self::Published(at, id)) => Some((*at, id.as_str())),
            _ => None,
        }
    }
}

/// Filters of a list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub tag: Option<String>,
    pub section: Option<String>,
    pub author: Option<UserId>,
    pub language: Option<String>,
    pub published_after: Option<NaiveDateTime>,
    pub published_before: Option<NaiveDateTime>,
    /// Full-text search terms, already reduced to words.
    pub terms: Option<Vec<String>>,
}

/// One condition of a list on `articles`. [`Filter::conditions`] describes a list as these, once;
/// each kind of statement compiles them: diesel's lists and PostgreSQL's search ([`filtered!`]),
/// SQLite's search text ([`super::matches`]), and the public list's link-table pages
/// ([`OneRange`]). Their `match`es are exhaustive, so a new kind of condition does not compile
/// until each of them states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition<'a> {
    /// `status = 'published'` and the like.
    Status(StoredStatus),
    /// Due by this time: `published_at <= now` (the public list).
    Due(NaiveDateTime),
    /// Still to come at this time: `published_at > now` (the scheduled list).
    NotDue(NaiveDateTime),
    /// Linked by a tag or an author: `id IN (SELECT article_id FROM link WHERE key = ?)`.
    Linked(Link, &'a str),
    /// `column = ?`.
    Equals(Column, &'a str),
    /// `published_at >= t`.
    PublishedAfter(NaiveDateTime),
    /// `published_at < t`.
    PublishedBefore(NaiveDateTime),
}

/// A link table a list filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// `article_tags`, by tag.
    Tag,
    /// `article_authors`, by user id.
    Author,
}

/// A column of `articles` a list filters by equality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `articles.section`.
    Section,
    /// `articles.language`.
    Language,
}

impl Column {
    /// The column as SQL text names it.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Section => "articles.section",
            Self::Language => "articles.language",
        }
    }
}

impl Condition<'_> {
    /// The time a list is due by, if it is (the public list).
    pub fn due(conditions: &[Self]) -> Option<NaiveDateTime> {
        conditions.iter().find_map(|c| match *c {
            Self::Due(now) => Some(now),
            _ => None,
        })
    }

    /// The list's `published_before`, if any.
    pub fn before(conditions: &[Self]) -> Option<NaiveDateTime> {
        conditions.iter().find_map(|c| match *c {
            Self::PublishedBefore(t) => Some(t),
            _ => None,
        })
    }
}

impl Filter {
    /// The list in `scope` at `now` with these filters, as conditions in the order its
    /// statements state them: the one description of a list (without its search terms, which
    /// each backend matches its own way).
    pub fn conditions(&self, scope: Scope, now: NaiveDateTime) -> Vec<Condition<'_>> {
        let mut conditions = Vec::new();
        match scope {
            Scope::Public => conditions.extend([
                Condition::Status(StoredStatus::Published),
                Condition::Due(now),
            ]),
            Scope::Scheduled => {
                conditions.extend([
                    Condition::Status(StoredStatus::Published),
                    Condition::NotDue(now),
                ]);
            }
            Scope::Draft => conditions.push(Condition::Status(StoredStatus::Draft)),
            Scope::Archived => conditions.push(Condition::Status(StoredStatus::Archived)),
            Scope::Any => {}
        }
        if let Some(tag) = &self.tag {
            conditions.push(Condition::Linked(Link::Tag, tag));
        }
        if let Some(author) = &self.author {
            conditions.push(Condition::Linked(Link::Author, author.as_str()));
        }
        if let Some(section) = &self.section {
            conditions.push(Condition::Equals(Column::Section, section));
        }
        if let Some(language) = &self.language {
            conditions.push(Condition::Equals(Column::Language, language));
        }
        if let Some(after) = self.published_after {
            conditions.push(Condition::PublishedAfter(after));
        }
        if let Some(before) = self.published_before {
            conditions.push(Condition::PublishedBefore(before));
        }
        conditions
    }
}

/// A due list that is one range of one index: the publication-time index of `articles`, or, by
/// one tag or one author, that link table's `(key, public_at, article_id)` index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneRange<'a> {
    /// The link table and its key, if the range is one.
    pub link: Option<(Link, &'a str)>,
    /// `published_after`.
    pub after: Option<NaiveDateTime>,
}

impl<'a> OneRange<'a> {
    /// The range `conditions` read, if they are one.
    pub fn of(conditions: &[Condition<'a>]) -> Option<Self> {
        let mut range = Self {
            link: None,
            after: None,
        };
        let mut due = false;
        for condition in conditions {
            match *condition {
                Condition::Status(_) | Condition::PublishedBefore(_) => {}
                Condition::Due(_) => due = true,
                Condition::PublishedAfter(t) => range.after = Some(t),
                Condition::Linked(link, key) if range.link.is_none() => {
                    range.link = Some((link, key));
                }
                Condition::Linked(..) | Condition::NotDue(_) | Condition::Equals(..) => {
                    return None;
                }
            }
        }
        due.then_some(range)
    }
}

/// The one upper bound on the publication time of a public list: the tightest of "due by now",
/// `published_before` and the cursor, since each of the others follows from it. With more than
/// one, SQLite's planner may start the index range at the wrong one (`<= now`) and walk the list
/// from its newest end to a deep cursor; with one, the range starts where the page does whatever
/// the planner knows of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upper<'a> {
    /// `at < t`.
    Before(NaiveDateTime),
    /// After a cursor, newest first: `at <= t AND (at < t OR id < i)`.
    After(NaiveDateTime, &'a str),
    /// `at <= t`.
    AtMost(NaiveDateTime),
}

impl<'a> Upper<'a> {
    pub fn tightest(
        now: NaiveDateTime,
        before: Option<NaiveDateTime>,
        cursor: Option<(NaiveDateTime, &'a str)>,
    ) -> Self {
        // At the same time, `< t` excludes more than a cursor at t, which excludes more than `<= t`.
        let key = |u: &Self| match *u {
            Self::Before(t) => (t, 0),
            Self::After(t, _) => (t, 1),
            Self::AtMost(t) => (t, 2),
        };
        [
            before.map(Self::Before),
            cursor.map(|(t, id)| Self::After(t, id)),
        ]
        .into_iter()
        .flatten()
        .fold(Self::AtMost(now), |best, u| {
            if key(&u) < key(&best) { u } else { best }
        })
    }
}

/// Applies an [`Upper`] bound on a (time, id) pair of columns.
macro_rules! below {
    ($query:expr, $upper:expr, $at:expr, $id:expr) => {
        match $upper {
            Upper::Before(t) => $query.filter($at.lt(t)),
            Upper::AtMost(t) => $query.filter($at.le(t)),
            Upper::After(t, id) => {
                $query.filter($at.le(t).and($at.lt(t).or($id.lt(id.to_owned()))))
            }
        }
    };
}

/// Applies a list's [`Condition`]s to a boxed query over `articles` (alone or joined), in
/// order: the diesel compilation of a list's description. A due list (the public one) states one
/// upper bound on the publication time, the tightest of due, `published_before` and `$cursor`
/// (see [`Upper`]), and reads its tag and author links by their `public_at` index ranges.
macro_rules! filtered {
    ($query:expr, $conditions:expr, $cursor:expr) => {{
        use $crate::articles::model::filter::{Column, Condition, Link, Upper};
        let conditions: &[Condition<'_>] = $conditions;
        let due = Condition::due(conditions);
        let mut query = $query;
        for condition in conditions {
            query = match *condition {
                Condition::Status(status) => query.filter(articles::status.eq(status)),
                Condition::Due(now) => below!(
                    query,
                    Upper::tightest(now, Condition::before(conditions), $cursor),
                    articles::published_at,
                    articles::id
                ),
                Condition::NotDue(now) => query.filter(articles::published_at.gt(now)),
                Condition::Linked(Link::Tag, tag) => {
                    let links = article_tags::table.filter(article_tags::tag.eq(tag.to_owned()));
                    match due {
                        Some(now) => query.filter(
                            articles::id.eq_any(
                                links
                                    .filter(article_tags::public_at.le(now))
                                    .select(article_tags::article_id),
                            ),
                        ),
                        None => query
                            .filter(articles::id.eq_any(links.select(article_tags::article_id))),
                    }
                }
                Condition::Linked(Link::Author, author) => {
                    let links = article_authors::table
                        .filter(article_authors::user_id.eq(author.to_owned()));
                    match due {
                        Some(now) => query.filter(
                            articles::id.eq_any(
                                links
                                    .filter(article_authors::public_at.le(now))
                                    .select(article_authors::article_id),
                            ),
                        ),
                        None => query
                            .filter(articles::id.eq_any(links.select(article_authors::article_id))),
                    }
                }
                Condition::Equals(Column::Section, value) => {
                    query.filter(articles::section.eq(value.to_owned()))
                }
                Condition::Equals(Column::Language, value) => {
                    query.filter(articles::language.eq(value.to_owned()))
                }
                Condition::PublishedAfter(t) => query.filter(articles::published_at.ge(t)),
                // A due list has it in its one upper bound.
                Condition::PublishedBefore(_) if due.is_some() => query,
                Condition::PublishedBefore(t) => query.filter(articles::published_at.lt(t)),
            };
        }
        query
    }};
}

/// How PostgreSQL is to plan a list's statements. The public list, whole or by one tag or one
/// author, reads one range of one index whatever the values (see [`super::public_cards`]), so its
/// plans are reused; a search, and every other combination of filters, is planned for its values.
pub fn plans(scope: Scope, filter: &Filter) -> Plans {
    let one_range = scope == Scope::Public
        && filter.terms.is_none()
        && OneRange::of(&filter.conditions(scope, NaiveDateTime::MIN)).is_some();
    if one_range {
        Plans::Reused
    } else {
        Plans::ForValues
    }
}

#[cfg(test)]
mod tests {
    use super::{Filter, Scope, Upper, plans};
    use crate::db::Plans;
    use chrono::NaiveDateTime;

    #[test]
    fn only_the_public_lists_of_one_index_range_reuse_their_plans() {
        let with = |f: fn(&mut Filter)| {
            let mut filter = Filter::default();
            f(&mut filter);
            filter
        };
        let tag = |f: &mut Filter| f.tag = Some("canal".to_owned());
        let author = |f: &mut Filter| f.author = Some("u1".into());
        for filter in [Filter::default(), with(tag), with(author)] {
            assert_eq!(plans(Scope::Public, &filter), Plans::Reused, "{filter:?}");
        }
        let planned_for_values = [
            with(|f| f.terms = Some(vec!["canal".to_owned()])),
            with(|f| f.section = Some("world".to_owned())),
            with(|f| f.language = Some("en".to_owned())),
            with(|f| {
                f.tag = Some("canal".to_owned());
                f.author = Some("u1".into());
            }),
        ];
        for filter in &planned_for_values {
            assert_eq!(plans(Scope::Public, filter), Plans::ForValues, "{filter:?}");
        }
        for scope in [Scope::Scheduled, Scope::Draft, Scope::Archived, Scope::Any] {
            assert_eq!(
                plans(scope, &Filter::default()),
                Plans::ForValues,
                "{scope:?}"
            );
        }
    }

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn the_public_list_has_one_upper_bound_the_tightest() {
        let now = t("2026-11-27 10:00:00");
        assert_eq!(Upper::tightest(now, None, None), Upper::AtMost(now));
        let at = t("2025-01-01 00:00:00");
        // A cursor in the past bounds the page; one in the future (crafted) changes nothing.
        assert_eq!(
            Upper::tightest(now, None, Some((at, "b"))),
            Upper::After(at, "b")
        );
        let future = t("2030-01-01 00:00:00");
        assert_eq!(
            Upper::tightest(now, None, Some((future, "b"))),
            Upper::AtMost(now)
        );
        // `published_before` wins when earlier, and at the same instant (`<` excludes more).
        let before = t("2024-06-01 00:00:00");
        assert_eq!(
            Upper::tightest(now, Some(before), Some((at, "b"))),
            Upper::Before(before)
        );
        assert_eq!(
            Upper::tightest(now, Some(at), Some((at, "b"))),
            Upper::Before(at)
        );
        assert_eq!(Upper::tightest(now, Some(now), None), Upper::Before(now));
        assert_eq!(Upper::tightest(now, Some(future), None), Upper::AtMost(now));
    }
}
