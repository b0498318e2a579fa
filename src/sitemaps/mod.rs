//! Sitemaps: a sitemap index, the published archive cut into article sitemaps, a sitemap of the
//! site's section and author pages, and a Google News sitemap of the last two days. The sitemap
//! files are served by the API (the index's `<loc>`s point here); the URLs inside them point at
//! the newsroom's site ([`crate::site`]).
//!
//! **Chunking.** An article's sitemap is fixed by its publication day (UTC): `articles/2026-12-05`
//! lists that day's public articles. A day with more than [`MAX_URLS`] is cut into parts of that
//! many in publication order (`2026-12-05`, `2026-12-05-2`, …). An article never moves between
//! days unless its publication time does, so the files are stable, and a day's sitemap changes
//! only when one of its articles does. A newsroom publishes hundreds of stories a day, not tens of
//! thousands, so a day's sitemap is small and quick to read, and the index of a long archive has
//! a few thousand entries (one per day), well under the protocol's 50,000.
//!
//! **Why it is cheap at a million articles.** The index needs, per day, how many articles are
//! public and when that day's sitemap last changed. Grouping a million articles on every request
//! is out of the question, and a per-day counter updated by every save would make concurrent saves
//! on PostgreSQL queue on the row of today. So triggers append each change to a day's sitemap to
//! `sitemap_changes` (migration `sitemaps`), never waiting for another writer, and a background
//! job folds them into `sitemap_days` (one row per day). The index reads the few thousand day rows
//! plus the changes not folded yet, in one statement ([`model::days`]); a change becomes visible
//! at its `effective_at`, so a scheduled story counts from its time on and the response cache's
//! horizon (the next scheduled publication) already invalidates at that moment. A day's sitemap
//! is one range of `articles_public_idx` (status, publication time): that day's rows, nothing
//! else. The news sitemap is the newest range of the same index, at most 1,000 rows.
//!
//! A sitemap's `lastmod` (in the index) is when the file last changed: an article published,
//! edited or corrected while public (its `updated_at`), taken down or deleted. A URL's `lastmod`
//! is its article's last public change (publication, edit, correction), as a feed item's update
//! time.

pub mod handlers;
pub mod model;
mod render;
pub mod stored;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

/// The protocol's limit of URLs in one sitemap (and of sitemaps in one index).
pub const MAX_URLS: usize = 50_000;

/// How far back the news sitemap reaches (Google News: the last two days).
pub const NEWS_WINDOW: TimeDelta = TimeDelta::days(2);

/// The most articles in the news sitemap (Google News' limit).
pub const NEWS_MAX: i64 = 1_000;

/// How often changes are folded into the per-day rows.
pub const FOLD_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// The sitemap index as this instance last served it from the stored one: its bytes with the
/// API's base and its ETag, and the fold count and base they were made for. While the stored
/// index is still the one of that fold count, a request reads only the count, not the index
/// (the longest response of the API at a large archive), and neither puts the base into it nor
/// hashes it again. Any fold, pending change or other base misses it.
#[derive(Default)]
pub struct IndexMemo(std::sync::Mutex<Option<std::sync::Arc<ServedIndex>>>);

/// See [`IndexMemo`].
pub struct ServedIndex {
    pub folds: i64,
    pub base: String,
    pub body: bytes::Bytes,
    pub etag: String,
}

impl IndexMemo {
    /// The index last kept, if any.
    pub fn last(&self) -> Option<std::sync::Arc<ServedIndex>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Keeps `served` in place of the one before.
    pub fn keep(&self, served: std::sync::Arc<ServedIndex>) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(served);
    }
}

/// One article sitemap: a publication day, or the `part`th slice (from 1) of a day with more
/// articles than a sitemap holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub day: NaiveDate,
    pub part: u32,
}

impl Chunk {
    /// The chunk's name in URLs: `2026-12-05`, then `2026-12-05-2`, `2026-12-05-3`, ….
    pub fn name(&self) -> String {
        if self.part <= 1 {
            self.day.format("%Y-%m-%d").to_string()
        } else {
            format!("{}-{}", self.day.format("%Y-%m-%d"), self.part)
        }
    }

    /// Reads a chunk's name; `None` when it is not one.
    pub fn parse(name: &str) -> Option<Self> {
        let (date, part) = match name.get(10..) {
            Some("") => (name, 1),
            Some(rest) => {
                let digits = rest.strip_prefix('-')?;
                if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let part: u32 = digits.parse().ok()?;
                if part < 2 {
                    return None;
                }
                (name.get(..10)?, part)
            }
            None => return None,
        };
        if date.len() != 10 {
            return None;
        }
        let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        // Only the canonical spelling (`2026-1-5` parses too).
        (day.format("%Y-%m-%d").to_string() == date).then_some(Self { day, part })
    }

    /// Where the chunk's articles start in its day's publication order.
    pub fn offset(&self, per_sitemap: usize) -> i64 {
        let skip = (u64::from(self.part.max(1)) - 1).saturating_mul(per_sitemap as u64);
        i64::try_from(skip).unwrap_or(i64::MAX)
    }

    /// The first instant of the chunk's day and of the next (UTC).
    pub fn bounds(&self) -> (NaiveDateTime, NaiveDateTime) {
        let start = self.day.and_time(chrono::NaiveTime::MIN);
        (start, start + TimeDelta::days(1))
    }
}

/// A day's public articles and the newest change to its sitemap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub day: NaiveDate,
    pub articles: i64,
    pub changed_at: NaiveDateTime,
}

/// The article sitemaps of `days` (newest day first, as given), each with its `lastmod`: a day
/// with more than `per_sitemap` articles is cut into parts, all changed when the day is. At most
/// `room` chunks (the index's limit), the newest kept.
pub fn chunks(days: &[Day], per_sitemap: usize, room: usize) -> Vec<(Chunk, NaiveDateTime)> {
    let per = per_sitemap.max(1) as u64;
    let mut out = Vec::new();
    for d in days {
        let count = u64::try_from(d.articles).unwrap_or(0);
        let parts = count.div_ceil(per);
        for part in 1..=parts {
            if out.len() == room {
                return out;
            }
            let part = u32::try_from(part).unwrap_or(u32::MAX);
            out.push((Chunk { day: d.day, part }, d.changed_at));
        }
    }
    out
}

/// An article's language as Google News wants it: the ISO 639 code (`en` for `en-GB`), except
/// Chinese, which is `zh-cn` (Simplified) or `zh-tw` (Traditional: the `Hant` script, or Taiwan,
/// Hong Kong or Macao without a script).
pub fn news_language(tag: &str) -> String {
    let lower = tag.trim().to_ascii_lowercase().replace('_', "-");
    let mut parts = lower.split('-');
    let primary = parts.next().unwrap_or_default();
    if primary != "zh" {
        let ok =
            (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
        return if ok {
            primary.to_owned()
        } else {
            "und".to_owned()
        };
    }
    let rest: Vec<&str> = parts.collect();
    let traditional = if rest.contains(&"hant") {
        true
    } else if rest.contains(&"hans") {
        false
    } else {
        rest.iter().any(|p| matches!(*p, "tw" | "hk" | "mo"))
    };
    if traditional { "zh-tw" } else { "zh-cn" }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("time")
    }

    #[test]
    fn chunk_names_round_trip_and_only_canonical_ones_parse() {
        let first = Chunk {
            day: day("2026-12-05"),
            part: 1,
        };
        assert_eq!(first.name(), "2026-12-05");
        assert_eq!(Chunk::parse("2026-12-05"), Some(first));
        let third = Chunk {
            day: day("2026-12-05"),
            part: 3,
        };
        assert_eq!(third.name(), "2026-12-05-3");
        assert_eq!(Chunk::parse("2026-12-05-3"), Some(third));
        for bad in [
            "",
            "2026-12-5",
            "2026-13-01",
            "2026-02-30",
            "2026-12-05-1",
            "2026-12-05-0",
            "2026-12-05-02",
            "2026-12-05-",
            "2026-12-05-x",
            "2026-12-05x",
            "x",
            "2026-12-05-99999999999",
        ] {
            assert_eq!(Chunk::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_day_over_the_limit_is_cut_into_parts_and_the_index_keeps_to_its_room() {
        let days = [
            Day {
                day: day("2026-12-05"),
                articles: 5,
                changed_at: at("2026-12-05 10:00:00"),
            },
            Day {
                day: day("2026-12-04"),
                articles: 2,
                changed_at: at("2026-12-05 09:00:00"),
            },
        ];
        let names = |list: Vec<(Chunk, NaiveDateTime)>| -> Vec<String> {
            list.iter().map(|(c, _)| c.name()).collect()
        };
        assert_eq!(
            names(chunks(&days, 2, 100)),
            ["2026-12-05", "2026-12-05-2", "2026-12-05-3", "2026-12-04"]
        );
        assert_eq!(names(chunks(&days, 5, 100)), ["2026-12-05", "2026-12-04"]);
        assert_eq!(names(chunks(&days, 2, 2)), ["2026-12-05", "2026-12-05-2"]);
        // Every part of a day changed when the day did.
        assert!(
            chunks(&days, 2, 100)[..3]
                .iter()
                .all(|(_, lastmod)| *lastmod == at("2026-12-05 10:00:00"))
        );
        // The production limit: 120,001 articles make three sitemaps of at most 50,000.
        let big = [Day {
            articles: 120_001,
            ..days[0]
        }];
        let cut = chunks(&big, MAX_URLS, MAX_URLS);
        assert_eq!(cut.len(), 3);
        assert_eq!(cut[2].0.offset(MAX_URLS), 100_000);
        assert_eq!(cut[0].0.offset(MAX_URLS), 0);
    }

    #[test]
    fn languages_take_the_form_google_news_wants() {
        for (tag, want) in [
            ("en", "en"),
            ("en-GB", "en"),
            ("pt-BR", "pt"),
            ("fil", "fil"),
            ("zh", "zh-cn"),
            ("zh-CN", "zh-cn"),
            ("zh-Hans-HK", "zh-cn"),
            ("zh-Hant", "zh-tw"),
            ("zh-TW", "zh-tw"),
            ("zh-HK", "zh-tw"),
            ("x-klingon", "und"),
        ] {
            assert_eq!(news_language(tag), want, "{tag}");
        }
    }
}
