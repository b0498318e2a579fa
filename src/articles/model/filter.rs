//! Which articles a list shows: its scope, filters and position, described once.

use chrono::NaiveDateTime;

use crate::db::Plans;

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
    Published(NaiveDateTime, String),
    /// After this id, newest first.
    Created(String),
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
    pub author: Option<String>,
    pub language: Option<String>,
    pub published_after: Option<NaiveDateTime>,
    pub published_before: Option<NaiveDateTime>,
    /// Full-text search terms, already reduced to words.
    pub terms: Option<Vec<String>>,
}

/// The one upper bound on the publication time of a public list: the tightest of "due by now",
/// `published_before` and the cursor, since each of the others follows from it. With more than
/// one, SQLite's planner may start the index range at the wrong one (`<= now`) and walk the list
/// from its newest end to a deep cursor; with one, the range starts where the page does whatever
/// the planner knows of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Upper<'a> {
    /// `at < t`.
    Before(NaiveDateTime),
    /// After a cursor, newest first: `at <= t AND (at < t OR id < i)`.
    After(NaiveDateTime, &'a str),
    /// `at <= t`.
    AtMost(NaiveDateTime),
}

impl<'a> Upper<'a> {
    pub(super) fn tightest(
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

/// Applies a list's scope and filters to a boxed query over `articles` (alone or joined); for
/// the public scope also the cursor (for the others, [`list`] applies it).
macro_rules! filtered {
    ($query:expr, $scope:expr, $filter:expr, $now:expr, $cursor:expr) => {{
        let mut query = $query;
        let (scope, filter, now): (Scope, &Filter, NaiveDateTime) = ($scope, $filter, $now);
        query = match scope {
            Scope::Public => below!(
                query.filter(articles::status.eq("published")),
                Upper::tightest(now, filter.published_before, $cursor),
                articles::published_at,
                articles::id
            ),
            Scope::Scheduled => query
                .filter(articles::status.eq("published"))
                .filter(articles::published_at.gt(now)),
            Scope::Draft => query.filter(articles::status.eq("draft")),
            Scope::Archived => query.filter(articles::status.eq("archived")),
            Scope::Any => query,
        };
        // For the public list these use the (tag | author, public_at) indexes.
        let public = scope == Scope::Public;
        if let Some(tag) = &filter.tag {
            let links = article_tags::table.filter(article_tags::tag.eq(tag.clone()));
            query = if public {
                query.filter(
                    articles::id.eq_any(
                        links
                            .filter(article_tags::public_at.le(now))
                            .select(article_tags::article_id),
                    ),
                )
            } else {
                query.filter(articles::id.eq_any(links.select(article_tags::article_id)))
            };
        }
        if let Some(author) = &filter.author {
            let links = article_authors::table.filter(article_authors::user_id.eq(author.clone()));
            query = if public {
                query.filter(
                    articles::id.eq_any(
                        links
                            .filter(article_authors::public_at.le(now))
                            .select(article_authors::article_id),
                    ),
                )
            } else {
                query.filter(articles::id.eq_any(links.select(article_authors::article_id)))
            };
        }
        if let Some(section) = &filter.section {
            query = query.filter(articles::section.eq(section.clone()));
        }
        if let Some(language) = &filter.language {
            query = query.filter(articles::language.eq(language.clone()));
        }
        if let Some(after) = filter.published_after {
            query = query.filter(articles::published_at.ge(after));
        }
        if !public && let Some(before) = filter.published_before {
            query = query.filter(articles::published_at.lt(before));
        }
        query
    }};
}

/// How PostgreSQL is to plan a list's statements. The public list, whole or by one tag or one
/// author, reads one range of one index whatever the values (see [`public_cards`]), so its plans
/// are reused; a search, and every other combination of filters, is planned for its values.
pub fn plans(scope: Scope, filter: &Filter) -> Plans {
    let one_range = scope == Scope::Public
        && filter.terms.is_none()
        && filter.section.is_none()
        && filter.language.is_none()
        && !(filter.tag.is_some() && filter.author.is_some());
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
        let author = |f: &mut Filter| f.author = Some("u1".to_owned());
        for filter in [Filter::default(), with(tag), with(author)] {
            assert_eq!(plans(Scope::Public, &filter), Plans::Reused, "{filter:?}");
        }
        let planned_for_values = [
            with(|f| f.terms = Some(vec!["canal".to_owned()])),
            with(|f| f.section = Some("world".to_owned())),
            with(|f| f.language = Some("en".to_owned())),
            with(|f| {
                f.tag = Some("canal".to_owned());
                f.author = Some("u1".to_owned());
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
