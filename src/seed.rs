//! Bulk seeding for benchmarks: many published articles, fast (multi-row inserts in large
//! transactions), with realistic text, tags, sections and publication times spread over years.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::articles::body::{self, Block};
use crate::db::schema::{article_authors, article_tags, articles, users};
use crate::db::{self, Db, DbConn};
use crate::error::{ApiError, ApiResult};

const COMMON: [&str; 24] = [
    "council", "bridge", "harbour", "election", "drone", "school", "budget", "river", "winter",
    "grain", "railway", "hospital", "court", "theatre", "market", "energy", "strike", "museum",
    "border", "ferry", "storm", "vaccine", "pension", "tariff",
];
const SYLLABLES: [&str; 16] = [
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "da", "fe", "gu", "hi", "jo", "ly", "po",
];
const SECTIONS: [&str; 5] = ["world", "local", "economy", "culture", "science"];
/// Rows per multi-row insert (well under both backends' bind-parameter limits).
const BATCH: usize = 500;

#[derive(Insertable)]
#[diesel(table_name = articles)]
struct SeedArticle {
    id: String,
    slug: String,
    title: String,
    standfirst: String,
    body: String,
    body_html: String,
    body_text: String,
    excerpt: String,
    excerpt_is_custom: bool,
    status: String,
    published_at: Option<NaiveDateTime>,
    section: Option<String>,
    language: String,
    canonical_url: Option<String>,
    sources: String,
    featured_image: Option<String>,
    created_by: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = article_authors)]
struct SeedAuthor {
    article_id: String,
    user_id: String,
    position: i32,
    public_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = article_tags)]
struct SeedTag {
    article_id: String,
    tag: String,
    position: i32,
    public_at: Option<NaiveDateTime>,
}

/// A small deterministic generator (xorshift64*), so seeded databases are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
    fn word(&mut self) -> String {
        if self.below(5) == 0 {
            COMMON[self.below(COMMON.len())].to_owned()
        } else {
            (0..3)
                .map(|_| SYLLABLES[self.below(SYLLABLES.len())])
                .collect()
        }
    }
    fn sentence(&mut self, words: usize) -> String {
        let mut s = (0..words)
            .map(|_| self.word())
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(first) = s.get(..1) {
            s = first.to_uppercase() + s.get(1..).unwrap_or_default();
        }
        s + "."
    }
}

fn make(i: u64, rng: &mut Rng, author: &str, newest: NaiveDateTime) -> (SeedArticle, Vec<SeedTag>) {
    let id = uuid::Uuid::now_v7().to_string();
    let title = format!("{} {} report {i}", rng.word(), rng.word());
    let blocks = vec![
        Block::Paragraph {
            text: rng.sentence(20),
        },
        Block::Paragraph {
            text: rng.sentence(25),
        },
        Block::Quote {
            text: rng.sentence(8),
            attribution: Some("an official".to_owned()),
        },
        Block::Paragraph {
            text: rng.sentence(20),
        },
    ];
    let body_text = body::render_text(&blocks);
    let standfirst = rng.sentence(14);
    // Spread over about five years, a story every few minutes, newest first by index.
    let published_at = newest - TimeDelta::seconds(i64::try_from(i).unwrap_or(0) * 150);
    let mut tags: Vec<String> = Vec::new();
    while tags.len() < 3 {
        let t = COMMON[rng.below(COMMON.len())].to_owned();
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let article = SeedArticle {
        slug: format!("{}-{i}", crate::articles::slug::slugify(&title)),
        excerpt: body::excerpt(&standfirst, &body_text),
        body_html: body::render_html(&blocks),
        body: serde_json::to_string(&blocks).unwrap_or_else(|_| "[]".to_owned()),
        body_text,
        title,
        standfirst,
        excerpt_is_custom: false,
        status: "published".to_owned(),
        published_at: Some(published_at),
        section: Some(SECTIONS[rng.below(SECTIONS.len())].to_owned()),
        language: "en".to_owned(),
        canonical_url: None,
        sources: r#"[{"name":"Wire service","url":"https://wire.example/story"}]"#.to_owned(),
        featured_image: None,
        created_by: author.to_owned(),
        version: 1,
        created_at: published_at,
        updated_at: published_at,
        id,
    };
    let tags = tags
        .into_iter()
        .enumerate()
        .map(|(p, tag)| SeedTag {
            article_id: article.id.clone(),
            tag,
            position: i32::try_from(p).unwrap_or(0),
            public_at: article.published_at,
        })
        .collect();
    (article, tags)
}

macro_rules! insert_batch {
    ($conn:expr, $articles:expr, $authors:expr, $tags:expr) => {{
        diesel::insert_into(articles::table)
            .values($articles)
            .execute($conn)?;
        diesel::insert_into(article_authors::table)
            .values($authors)
            .execute($conn)?;
        diesel::insert_into(article_tags::table)
            .values($tags)
            .execute($conn)?;
    }};
}

/// Inserts `count` published articles by the first admin; prints progress to stderr.
pub fn run(database: &Db, count: u64) -> ApiResult<()> {
    let mut conn = database.writer_conn()?;
    let conn: &mut DbConn = &mut conn;
    let author: String = users::table
        .filter(users::role.eq(crate::users::Role::Admin))
        .order(users::id)
        .select(users::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::BadRequest("create an admin first (MASTHEAD_ADMIN_EMAIL)".to_owned())
        })?;
    // Bylines name author profiles: the admin needs one, as the API's own writes make.
    crate::authors::model::ensure(conn, &[crate::ids::UserId::from(author.clone())])?;
    // The seeded articles' sections exist as sections, as the API's own writes need.
    for (position, name) in (1..).zip(SECTIONS) {
        if crate::sections::model::resolve(conn, name)?.is_none() {
            let now = db::now();
            crate::sections::model::insert(
                conn,
                &crate::sections::model::SectionRow {
                    slug: name.to_owned(),
                    name: name.to_owned(),
                    description: None,
                    position,
                    retired: false,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                },
            )?;
        }
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let newest = db::now() - TimeDelta::minutes(1);
    let started = std::time::Instant::now();
    let mut done = 0u64;
    while done < count {
        let n = (count - done).min(20 * BATCH as u64);
        conn.transaction::<_, ApiError, _>(|conn| {
            let mut batch: Vec<SeedArticle> = Vec::with_capacity(BATCH);
            let mut authors: Vec<SeedAuthor> = Vec::with_capacity(BATCH);
            let mut tags: Vec<SeedTag> = Vec::with_capacity(BATCH * 3);
            for i in done..done + n {
                // Oldest first, as a newsroom's archive grows: creation order (`seq`, UUIDv7
                // ids) then follows publication order, which search's recency relies on.
                let (article, article_tags) = make(count - 1 - i, &mut rng, &author, newest);
                authors.push(SeedAuthor {
                    article_id: article.id.clone(),
                    user_id: author.clone(),
                    position: 0,
                    public_at: article.published_at,
                });
                tags.extend(article_tags);
                batch.push(article);
                if batch.len() == BATCH || i + 1 == done + n {
                    match conn {
                        DbConn::Pg(c) => insert_batch!(c, &batch, &authors, &tags),
                        DbConn::Sqlite(c) => insert_batch!(c, &batch, &authors, &tags),
                    }
                    batch.clear();
                    authors.clear();
                    tags.clear();
                }
            }
            crate::articles::summaries::refresh_all(conn)?;
            crate::articles::documents::refresh_all(conn)?;
            crate::sitemaps::model::fold_all(conn, db::now())?;
            db::bump_content_version(conn).map(drop)
        })?;
        done += n;
        eprintln!(
            "seeded {done}/{count} articles ({:.0}/s)",
            done as f64 / started.elapsed().as_secs_f64()
        );
    }
    if let DbConn::Sqlite(c) = conn {
        // A bulk load leaves the full-text index in many segments (one per level of FTS5's
        // incremental merging), and every search term walks each of them: merge them into one
        // (`bench/README.md`). Then fresh statistics, so the planner knows the new sizes.
        diesel::connection::SimpleConnection::batch_execute(
            c,
            "INSERT INTO articles_fts(articles_fts) VALUES('optimize'); ANALYZE",
        )?;
    }
    if let DbConn::Pg(c) = conn {
        // VACUUM the loaded tables as well, as after any bulk load: it sets their visibility
        // maps, and it leaves autovacuum nothing to do on the new rows while a benchmark runs
        // (without it, start-up and the first measurements waited on autovacuum).
        // (Each its own statement: PostgreSQL runs several sent at once as one transaction,
        // and VACUUM cannot run in one.)
        for statement in [
            "VACUUM (ANALYZE) articles, article_tags, article_authors, article_summaries, article_documents",
            "ANALYZE",
        ] {
            diesel::connection::SimpleConnection::batch_execute(c, statement)?;
        }
    }
    // The search index of the newest articles (PostgreSQL), built now rather than by the server
    // it is next started with, while that server takes its first requests.
    crate::articles::search::keep_recent_index(conn, db::now().date(), None)?;
    Ok(())
}
