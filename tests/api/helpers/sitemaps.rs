//! Sitemaps as a crawler reads them, and the official XML schemas they must satisfy
//! (`tests/sitemaps/check.py`: lxml against sitemaps.org's and Google's XSDs).

use std::collections::HashMap;

use std::process::Command;

use super::python::python_accepts;
use super::{Backend, Resp, TestApp, TestDb, auth, settings, start};

/// Which schema a sitemap answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitemapKind {
    /// A sitemap index (`siteindex.xsd`).
    Index,
    /// A sitemap of URLs (`sitemap.xsd`).
    Urlset,
    /// A news sitemap (`sitemap.xsd` with `sitemap-news.xsd`, every URL with `news:news`).
    News,
}

impl SitemapKind {
    fn name(self) -> &'static str {
        match self {
            Self::Index => "index",
            Self::Urlset => "urlset",
            Self::News => "news",
        }
    }
}

/// One `<sitemap>` or `<url>` of a sitemap: its `loc`, `lastmod` and, in a news sitemap, the
/// news fields by element name.
#[derive(Debug, Clone)]
pub struct SitemapEntry {
    pub loc: String,
    pub lastmod: Option<String>,
    pub news: HashMap<String, String>,
}

/// The text of each `<tag>…</tag>` in `text`, in order.
fn elements<'a>(text: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    text.split(&open)
        .skip(1)
        .map(|rest| rest.split(&close).next().unwrap_or(""))
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The entries of a sitemap or index, in order.
pub fn sitemap_entries(text: &str) -> Vec<SitemapEntry> {
    let tag = if text.contains("<sitemapindex") {
        "sitemap"
    } else {
        "url"
    };
    elements(text, tag)
        .into_iter()
        .map(|entry| {
            let one = |name: &str| elements(entry, name).first().map(|t| unescape(t));
            let news = [
                "news:name",
                "news:language",
                "news:publication_date",
                "news:title",
            ]
            .iter()
            .filter_map(|n| one(n).map(|v| ((*n).to_owned(), v)))
            .collect();
            SitemapEntry {
                loc: one("loc").expect("a loc"),
                lastmod: one("lastmod"),
                news,
            }
        })
        .collect()
}

impl TestApp {
    /// `GET` a sitemap by its path (`/v1/sitemaps/index.xml`) or its absolute URL as an index
    /// lists it.
    pub async fn sitemap(&self, path_or_url: &str) -> Resp {
        let path = path_or_url.strip_prefix(&self.base).unwrap_or(path_or_url);
        self.get(path).send().await
    }

    /// The sitemap, asserting a 200 as XML that the schemas of `kind` accept; its entries.
    pub async fn accepted_sitemap(
        &self,
        path_or_url: &str,
        kind: SitemapKind,
    ) -> (Resp, Vec<SitemapEntry>) {
        let res = self.sitemap(path_or_url).await;
        assert_eq!(res.status, 200, "{path_or_url}: {}", res.text);
        assert_eq!(
            res.header("content-type"),
            Some("application/xml; charset=utf-8"),
            "{path_or_url}"
        );
        schemas_accept(kind, &res.text).await;
        let entries = sitemap_entries(&res.text);
        (res, entries)
    }

    /// Every article URL the index's article sitemaps list, each sitemap checked against the
    /// schemas on the way: (sitemap URL, its entries), in the index's order.
    pub async fn article_sitemaps(&self) -> Vec<(SitemapEntry, Vec<SitemapEntry>)> {
        let (_, index) = self
            .accepted_sitemap("/v1/sitemaps/index.xml", SitemapKind::Index)
            .await;
        let mut out = Vec::new();
        for sitemap in index {
            if sitemap.loc.contains("/v1/sitemaps/articles/") {
                let (_, urls) = self
                    .accepted_sitemap(&sitemap.loc, SitemapKind::Urlset)
                    .await;
                out.push((sitemap, urls));
            }
        }
        out
    }
}

impl TestDb {
    /// Moves an article's publication time (written straight to the database, as an import
    /// would: the API publishes now or later, never earlier), and bumps the shared content
    /// version as a write does (wait for it with `app.caught_up()`).
    pub fn backdate(&self, article_id: &str, published_at: chrono::DateTime<chrono::Utc>) {
        use diesel::prelude::*;
        use masthead::db::{Db, schema::articles};
        let database = Db::open(&self.url, 1).expect("opens");
        let at = published_at.naive_utc();
        database
            .write_blocking(|conn| {
                diesel::update(articles::table.filter(articles::id.eq(article_id)))
                    .set(articles::published_at.eq(at))
                    .execute(conn)?;
                masthead::db::bump_content_version(conn)
            })
            .expect("backdate the article");
    }
}

impl TestDb {
    /// Whether every sitemap is stored and current: the index rendered after the last fold,
    /// each day with public articles rendered after its own, and no change waiting to be
    /// folded (then reads are served from the stored sitemaps).
    pub fn sitemaps_stored(&self) -> bool {
        use diesel::prelude::*;
        use diesel::sql_types::BigInt;
        use masthead::db::Db;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let database = Db::open(&self.url, 1).expect("opens");
        let stale = database
            .read_blocking(|conn| {
                let count = |conn: &mut masthead::db::DbConn,
                             sql: &str|
                 -> diesel::QueryResult<i64> {
                    let row: Count = match conn {
                        masthead::db::DbConn::Pg(c) => diesel::sql_query(sql).get_result(c)?,
                        masthead::db::DbConn::Sqlite(c) => diesel::sql_query(sql).get_result(c)?,
                    };
                    Ok(row.n)
                };
                Ok(count(conn, "SELECT COUNT(*) AS n FROM sitemap_changes")?
                    + count(
                        conn,
                        "SELECT COUNT(*) AS n FROM sitemap_state \
                         WHERE index_folds IS NULL OR index_folds <> folds",
                    )?
                    + count(
                        conn,
                        "SELECT COUNT(*) AS n FROM sitemap_days d \
                         LEFT JOIN sitemap_bodies b ON b.day = d.day AND b.part = 1 \
                         WHERE d.articles > 0 AND (b.day IS NULL OR b.version <> d.version)",
                    )?)
            })
            .expect("reads the stored sitemaps");
        stale == 0
    }
}

/// Starts a server on a database seeded with `articles` published articles through the bulk
/// path (the `masthead seed` command: 150 s apart, the newest a minute old).
pub async fn spawn_app_with_archive(
    backend: &Backend,
    overrides: &[(&str, &str)],
    articles: u64,
) -> TestApp {
    let db = TestDb::migrated(backend);
    let map = settings(&db, overrides);
    auth::seed_admin(&map);
    let out = Command::new(env!("CARGO_BIN_EXE_masthead"))
        .args(["seed", "--articles", &articles.to_string()])
        .current_dir(db.dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &db.url)
        .env("MASTHEAD_DATA_DIR", db.dir())
        .output()
        .expect("the seed runs");
    assert!(
        out.status.success(),
        "seed failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    start(db, map).await
}

/// Asserts that the vendored sitemaps.org and Google News schemas accept `body`
/// (`tests/sitemaps/check.py`, lxml).
pub async fn schemas_accept(kind: SitemapKind, body: &str) {
    python_accepts(
        "tests/sitemaps/check.py",
        vec![kind.name().to_owned(), "-".to_owned()],
        body.to_owned(),
        format!("{} sitemap", kind.name()),
    )
    .await;
}
