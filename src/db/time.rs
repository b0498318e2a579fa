//! Times read from their stored text by hand. chrono's general parser (and diesel's SQLite
//! `Timestamp` reading, which tries its formats one after another through it) cost a feed or a
//! list page more than the rest of reading its row (`bench/README.md`); the forms Masthead
//! writes are read here directly, and anything else still goes to chrono.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::sql_types::Timestamp;
use diesel::sqlite::{Sqlite, SqliteType};

use super::DbBackend;

/// `YYYY-MM-DD` `separator` `HH:MM:SS`, then `.` and one to nine digits or nothing, at the start
/// of `text`: the time, and the bytes after it. `None` for anything else, or a date or time
/// that does not exist.
pub fn parse_prefix(text: &[u8], separator: u8) -> Option<(NaiveDateTime, &[u8])> {
    fn digits(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    }
    let b = text;
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != separator {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(&b[0..4])?).ok()?,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )?;
    let (nanos, rest) = match &b[19..] {
        [b'.', after @ ..] => {
            let count = after.iter().take_while(|d| d.is_ascii_digit()).count();
            if count == 0 || count > 9 {
                return None;
            }
            let scale = 10u32.pow(9 - u32::try_from(count).ok()?);
            (digits(&after[..count])? * scale, &after[count..])
        }
        rest => (0, rest),
    };
    let time = NaiveTime::from_hms_nano_opt(
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
        nanos,
    )?;
    Some((date.and_time(time), rest))
}

/// A `Timestamp` column read as diesel reads a `NaiveDateTime`, but with diesel's own SQLite
/// form (`2026-12-05 09:30:00.123456`) parsed by [`parse_prefix`]. Other stored forms, and
/// PostgreSQL's binary timestamps, go to diesel's reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub struct StoredTime(pub NaiveDateTime);

impl FromSql<Timestamp, Sqlite> for StoredTime {
    fn from_sql(
        mut value: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        if value.value_type() == Some(SqliteType::Text)
            && let Some((at, [])) = parse_prefix(value.read_text().as_bytes(), b' ')
        {
            return Ok(Self(at));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Self)
    }
}

impl FromSql<Timestamp, Pg> for StoredTime {
    fn from_sql(
        value: <Pg as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Self)
    }
}

impl FromSql<Timestamp, DbBackend> for StoredTime {
    fn from_sql(
        value: <DbBackend as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::{Double, Text};

    use super::*;

    /// Every form diesel writes, and others it reads, come back as diesel's own reading has them.
    #[test]
    fn stored_times_read_as_diesel_reads_them() {
        let mut conn = SqliteConnection::establish(":memory:").expect("an in-memory database");
        let start = NaiveDate::from_ymd_opt(1999, 12, 31)
            .and_then(|d| d.and_hms_opt(23, 59, 58))
            .expect("a time");
        for i in 0..4_000i64 {
            let at = start + chrono::Duration::microseconds(i * 7_919_993_777 + i % 7);
            let (ours, diesels): (StoredTime, NaiveDateTime) =
                diesel::select((at.into_sql::<Timestamp>(), at.into_sql::<Timestamp>()))
                    .get_result(&mut conn)
                    .expect("a row");
            assert_eq!(ours.0, diesels);
            assert_eq!(ours.0, at);
        }
        for text in [
            "2026-12-05 09:30:00",
            "2026-12-05 09:30:00.1",
            "2026-12-05 09:30:00.123456789",
            "2026-12-05T09:30:00Z",
            "2026-12-05 09:30:00.5+02:00",
            "2026-12-05 09:30",
            "2024-02-29 23:59:59.999999",
        ] {
            let sql = diesel::dsl::sql::<Timestamp>("CAST(")
                .bind::<Text, _>(text)
                .sql(" AS TEXT)");
            let ours: StoredTime = diesel::select(sql.clone())
                .get_result(&mut conn)
                .expect(text);
            let diesels: NaiveDateTime = diesel::select(sql).get_result(&mut conn).expect(text);
            assert_eq!(ours.0, diesels, "{text}");
        }
        for bad in ["2026-02-30 09:30:00", "2026-12-05 09:30:00.", "twenty-six"] {
            let sql = diesel::dsl::sql::<Timestamp>("CAST(")
                .bind::<Text, _>(bad)
                .sql(" AS TEXT)");
            assert!(
                diesel::select(sql)
                    .get_result::<StoredTime>(&mut conn)
                    .is_err(),
                "{bad}"
            );
        }
        // A Julian day number, which SQLite's own date functions return.
        let julian = diesel::dsl::sql::<Timestamp>("").bind::<Double, _>(2_461_015.5);
        let ours: StoredTime = diesel::select(julian.clone())
            .get_result(&mut conn)
            .expect("julian");
        let diesels: NaiveDateTime = diesel::select(julian)
            .get_result(&mut conn)
            .expect("julian");
        assert_eq!(ours.0, diesels);
    }
}
