//! Posters, storyboards and screenshots (`crate::images`) written and read (migration
//! 0008: `part_images`, `screenshots`).

use crate::store::db::{Db, DbError, Dialect, OptionalExtension, Row, params};

use super::{PART_COLUMNS, part_from_row};
use crate::store::{
    ImagesState, NewScreenshot, PartImages, PictureQuery, Pictures, ReplayRow, Screenshot, StoreError, Storyboard,
};

pub fn save_part_images(c: &Db, m: &PartImages) -> Result<(), StoreError> {
    let attempts: u32 = c
        .prepare_cached("SELECT attempts FROM part_images WHERE replay_id = ?1")?
        .query_row([m.part], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let s = m.storyboard.as_ref();
    c.prepare_cached(
        "INSERT INTO part_images (replay_id, state, error, transient, attempts, poster_width,
             poster_height, tile_width, tile_height, sheet_columns, sheet_rows, interval_ms, tiles, made_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (replay_id) DO UPDATE SET state = excluded.state, error = excluded.error,
             transient = excluded.transient, attempts = excluded.attempts, poster_width = excluded.poster_width,
             poster_height = excluded.poster_height, tile_width = excluded.tile_width,
             tile_height = excluded.tile_height, sheet_columns = excluded.sheet_columns,
             sheet_rows = excluded.sheet_rows, interval_ms = excluded.interval_ms, tiles = excluded.tiles,
             made_at = excluded.made_at",
    )?
    .execute(params![
        m.part,
        m.state.as_str(),
        m.error,
        m.transient,
        attempts + 1,
        m.poster.map(|p| p.0),
        m.poster.map(|p| p.1),
        s.map(|s| s.tile_width),
        s.map(|s| s.tile_height),
        s.map(|s| s.columns),
        s.map(|s| s.rows),
        s.map(|s| s.interval_ms),
        serde_json::to_string(&s.map_or(&[][..], |s| &s.tiles[..])).unwrap_or_else(|_| "[]".into()),
        m.made_at,
    ])?;
    Ok(())
}

pub fn record_screenshot(c: &Db, s: &NewScreenshot, now: i64) -> Result<bool, StoreError> {
    let n = c
        .prepare_cached(
            "INSERT INTO screenshots (streamer_id, create_time, url, pic_url, width, height, file_size,
                 good, raw_payload, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            s.streamer_id,
            s.create_time,
            s.url,
            s.pic_url,
            s.width,
            s.height,
            s.file_size.map(|n| n.min(i64::MAX as u64) as i64),
            s.good(),
            s.raw_payload,
            now,
        ])?;
    Ok(n == 1)
}

const IMAGES_COLUMNS: &str = "replay_id, state, error, transient, attempts, poster_width, poster_height, tile_width,
    tile_height, sheet_columns, sheet_rows, interval_ms, tiles, made_at";

fn images_from_row(row: &Row) -> Result<PartImages, DbError> {
    let state: String = row.get(1)?;
    let poster = match (row.get::<_, Option<u32>>(5)?, row.get::<_, Option<u32>>(6)?) {
        (Some(w), Some(h)) => Some((w, h)),
        _ => None,
    };
    let tiles: String = row.get(12)?;
    let tiles: Vec<i64> = serde_json::from_str(&tiles).map_err(|e| DbError::Other(format!("column 12: {e}")))?;
    let storyboard = match (row.get::<_, Option<u32>>(7)?, row.get::<_, Option<u32>>(8)?) {
        (Some(tile_width), Some(tile_height)) if !tiles.is_empty() => Some(Storyboard {
            tile_width,
            tile_height,
            columns: row.get::<_, Option<u32>>(9)?.unwrap_or(1),
            rows: row.get::<_, Option<u32>>(10)?.unwrap_or(1),
            interval_ms: row.get::<_, Option<i64>>(11)?.unwrap_or(0),
            tiles,
        }),
        _ => None,
    };
    Ok(PartImages {
        part: row.get(0)?,
        state: ImagesState::parse(&state).unwrap_or(ImagesState::Failed),
        error: row.get(2)?,
        transient: row.get(3)?,
        attempts: row.get(4)?,
        poster,
        storyboard,
        made_at: row.get(13)?,
    })
}

fn ids_json(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

pub fn part_images(c: &Db, parts: &[i64]) -> Result<Vec<PartImages>, DbError> {
    c.prepare_cached(&format!(
        "SELECT {IMAGES_COLUMNS} FROM part_images WHERE replay_id IN {}",
        c.dialect().json_ids("?1")
    ))?
    .query_map([ids_json(parts)], images_from_row)?
    .collect()
}

/// Good screenshots only: the others are never shown.
pub fn screenshots(c: &Db, streamer_id: &str, from: i64, to: i64, limit: u32) -> Result<Vec<Screenshot>, DbError> {
    c.prepare_cached(
        "SELECT create_time, url, width, height FROM screenshots
         WHERE streamer_id = ?1 AND good = 1 AND create_time BETWEEN ?2 AND ?3
         ORDER BY create_time, id LIMIT ?4",
    )?
    .query_map(params![streamer_id, from, to, limit], |r| {
        Ok(Screenshot { create_time: r.get(0)?, url: r.get(1)?, width: r.get(2)?, height: r.get(3)? })
    })?
    .collect()
}

/// Two statements in one read transaction, whatever the number of broadcasts: the
/// parts' images (by primary key), and each broadcast's first good screenshot (one index
/// seek each, `screenshots_by_time`).
pub fn pictures(c: &Db, queries: &[PictureQuery]) -> Result<Vec<(i64, Pictures)>, DbError> {
    if queries.is_empty() {
        return Ok(Vec::new());
    }
    let tx = c.snapshot()?;
    let parts: Vec<i64> = queries.iter().flat_map(|q| q.parts.iter().copied()).collect();
    let made: Vec<(i64, bool, bool)> = tx
        .prepare_cached(&format!(
            "SELECT replay_id, poster_width IS NOT NULL, tiles <> '[]' FROM part_images
             WHERE replay_id IN {} AND state = 'made'",
            tx.dialect().json_ids("?1")
        ))?
        .query_map([ids_json(&parts)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let windows = serde_json::to_string(
        &queries.iter().map(|q| serde_json::json!([q.streamer_id, q.from, q.to])).collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into());
    let mut first: Vec<Option<Screenshot>> = vec![None; queries.len()];
    // Each window [stream, from, to] of the JSON array, by its place in it.
    let mut stmt = tx.prepare_cached(match tx.dialect() {
        Dialect::Sqlite => {
            "SELECT w.key, s.create_time, s.url, s.width, s.height
             FROM json_each(?1) w
             JOIN screenshots s ON s.id = (
                 SELECT id FROM screenshots
                 WHERE streamer_id = json_extract(w.value, '$[0]') AND good = 1
                     AND create_time BETWEEN json_extract(w.value, '$[1]') AND json_extract(w.value, '$[2]')
                 ORDER BY create_time, id LIMIT 1)"
        }
        Dialect::Postgres => {
            "SELECT w.ord - 1, s.create_time, s.url, s.width, s.height
             FROM json_array_elements(?1::json) WITH ORDINALITY AS w(value, ord)
             JOIN screenshots s ON s.id = (
                 SELECT id FROM screenshots
                 WHERE streamer_id = w.value->>0 AND good = 1
                     AND create_time BETWEEN (w.value->>1)::BIGINT AND (w.value->>2)::BIGINT
                 ORDER BY create_time, id LIMIT 1)"
        }
    })?;
    let rows = stmt.query_map([windows], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            Screenshot { create_time: r.get(1)?, url: r.get(2)?, width: r.get(3)?, height: r.get(4)? },
        ))
    })?;
    for row in rows {
        let (i, shot) = row?;
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| first.get_mut(i)) {
            *slot = Some(shot);
        }
    }
    drop(stmt);
    tx.end()?;
    Ok(queries
        .iter()
        .zip(first)
        .map(|(q, first_screenshot)| {
            let mine = |id: &i64| made.iter().find(|(p, _, _)| p == id);
            let posters = q.parts.iter().filter(|id| mine(id).is_some_and(|m| m.1)).copied().collect();
            let tiles = q.parts.iter().any(|id| mine(id).is_some_and(|m| m.2));
            (q.broadcast, Pictures { posters, tiles, first_screenshot })
        })
        .collect())
}

pub fn parts_needing_images(c: &Db, before: i64, limit: u32, max_attempts: u32) -> Result<Vec<ReplayRow>, DbError> {
    c.prepare_cached(&format!(
        "SELECT {PART_COLUMNS} FROM replays r LEFT JOIN broadcasts b ON b.id = r.broadcast_id
         LEFT JOIN part_images i ON i.replay_id = r.id
         WHERE r.id < ?1 AND r.deleted_at IS NULL AND r.gone_at IS NULL AND r.alternate = 0
             AND r.broadcast_id IS NOT NULL AND r.format IN ('flv', 'mp4', 'hls')
             AND (i.replay_id IS NULL OR (i.state = 'failed' AND i.transient = 1 AND i.attempts < ?3))
         ORDER BY r.id DESC LIMIT ?2"
    ))?
    .query_map(params![before, limit, max_attempts], part_from_row)?
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::migrations;

    fn db() -> rusqlite::Connection {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        migrations::migrate(&mut c).unwrap();
        // Parts are not made here: their rows are not what these tests are about.
        c.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        c
    }

    fn shot(url: &str, t: i64, size: Option<u64>) -> NewScreenshot {
        NewScreenshot {
            streamer_id: "s".into(),
            create_time: t,
            url: url.into(),
            pic_url: None,
            width: 1280,
            height: 720,
            file_size: size,
            raw_payload: None,
        }
    }

    #[test]
    fn screenshots_are_stored_once_and_only_good_ones_are_read() {
        let conn = db();
        let c = Db::Sqlite(&conn);
        assert!(record_screenshot(&c, &shot("http://cos/a.jpg", 100, Some(30_000)), 1).unwrap());
        assert!(!record_screenshot(&c, &shot("http://cos/a.jpg", 100, Some(30_000)), 2).unwrap());
        // A black frame (tiny), and one without a size, are kept but never shown.
        record_screenshot(&c, &shot("http://cos/b.jpg", 90, Some(700)), 1).unwrap();
        record_screenshot(&c, &NewScreenshot { width: 0, ..shot("http://cos/c.jpg", 95, None) }, 1).unwrap();
        record_screenshot(&c, &shot("http://cos/d.jpg", 200, None), 1).unwrap();
        let all = screenshots(&c, "s", 0, 1000, 10).unwrap();
        assert_eq!(all.iter().map(|s| s.url.as_str()).collect::<Vec<_>>(), ["http://cos/a.jpg", "http://cos/d.jpg"]);
        let q = |from, to| PictureQuery { broadcast: 7, streamer_id: "s".into(), from, to, parts: vec![] };
        let p = pictures(&c, &[q(0, 150), q(150, 300), q(300, 400)]).unwrap();
        assert_eq!(p[0].1.first_screenshot.as_ref().unwrap().url, "http://cos/a.jpg");
        assert_eq!(p[1].1.first_screenshot.as_ref().unwrap().url, "http://cos/d.jpg");
        assert_eq!(p[2].1.first_screenshot, None);
    }

    #[test]
    fn part_images_round_trip_and_count_attempts() {
        let conn = db();
        let c = Db::Sqlite(&conn);
        let board = Storyboard {
            tile_width: 160,
            tile_height: 90,
            columns: 10,
            rows: 10,
            interval_ms: 5000,
            tiles: vec![0, 5000],
        };
        let made = PartImages {
            part: 3,
            state: ImagesState::Made,
            error: None,
            transient: false,
            attempts: 0,
            poster: Some((1280, 720)),
            storyboard: Some(board.clone()),
            made_at: 9,
        };
        save_part_images(&c, &PartImages::failed(3, "timed out".into(), true, 5)).unwrap();
        save_part_images(&c, &made).unwrap();
        let read = part_images(&c, &[3, 4]).unwrap();
        assert_eq!(read, [PartImages { attempts: 2, ..made }]);
        let q = PictureQuery { broadcast: 1, streamer_id: "s".into(), from: 0, to: 1, parts: vec![2, 3] };
        let p = pictures(&c, &[q]).unwrap();
        assert_eq!(p[0].1, Pictures { posters: vec![3], tiles: true, first_screenshot: None });
        assert_eq!(board.place(0), (0, [0, 0, 160, 90]));
        assert_eq!(board.place(13), (0, [480, 90, 160, 90]));
        assert_eq!(board.place(100), (1, [0, 0, 160, 90]));
    }

    #[test]
    fn the_first_screenshot_of_a_page_is_an_index_seek() {
        let conn = db();
        let c = Db::Sqlite(&conn);
        let plan: Vec<String> = c
            .prepare(
                "EXPLAIN QUERY PLAN SELECT id FROM screenshots WHERE streamer_id = ?1 AND good = 1
                 AND create_time BETWEEN ?2 AND ?3 ORDER BY create_time, id LIMIT 1",
            )
            .unwrap()
            .query_map(params!["s", 0, 1], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let plan = plan.join("\n");
        assert!(plan.contains("screenshots_by_time"), "{plan}");
    }
}
