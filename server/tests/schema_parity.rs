//! The PostgreSQL schema (`migrations/postgres/`, applied by `store::postgres::migrations`)
//! equals SQLite's (`migrations/sqlite/`, applied by the real store): the same tables, the
//! same columns in the same order with matching types and nullability, the same primary
//! keys, unique constraints and foreign keys, and the same indexes (name, table, columns,
//! uniqueness, partial predicate). Both lists end at the same version. Also: N instances
//! migrating one database at once all succeed, and migrating again changes nothing.
//!
//! Needs a PostgreSQL cluster: `scripts/with-postgres.sh cargo test -p relive-server --test
//! schema_parity`. Without `RELIVE_TEST_PG` it prints "skipped" and passes, unless
//! `RELIVE_REQUIRE_PG=1`.

#[path = "../src/store/postgres/migrations.rs"]
mod pg_migrations;

use std::collections::{BTreeMap, BTreeSet};

use relive_server::store::{DbUrl, Store};
use tokio_postgres::{Client, Config, NoTls};

#[derive(Debug, PartialEq)]
struct Column {
    name: String,
    /// SQLite's declared type; PostgreSQL's mapped back (bigint and smallint: INTEGER, ...).
    ty: String,
    nullable: bool,
}

#[derive(Debug, Default, PartialEq)]
struct Table {
    columns: Vec<Column>,
    primary_key: Vec<String>,
    unique: BTreeSet<Vec<String>>,
    /// (columns, referenced table, referenced columns)
    foreign_keys: BTreeSet<(Vec<String>, String, Vec<String>)>,
}

/// An index made by CREATE INDEX (not one backing a primary key or UNIQUE constraint).
#[derive(Debug, PartialEq)]
struct Index {
    table: String,
    /// Every column it holds, in order (in PostgreSQL: the key's, then INCLUDE's).
    columns: Vec<String>,
    unique: bool,
    /// The WHERE of a partial index, lower-cased, without parentheses and casts.
    predicate: Option<String>,
}

#[derive(Debug, Default)]
struct Schema {
    version: u32,
    tables: BTreeMap<String, Table>,
    indexes: BTreeMap<String, Index>,
}

/// Not part of the compared schema: bookkeeping of the migrators and SQLite's own tables.
fn ignored_table(name: &str) -> bool {
    name == "schema_migrations" || name.starts_with("sqlite_")
}

fn normalize_predicate(p: &str) -> String {
    let p = p.to_lowercase().replace("::text", "").replace(['(', ')'], "");
    p.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn sqlite_schema(path: &std::path::Path) -> Schema {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let strings = |sql: &str, arg: &str| -> Vec<String> {
        let mut st = c.prepare(sql).unwrap();
        st.query_map([arg], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let mut schema =
        Schema { version: c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap(), ..Schema::default() };
    let tables = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect::<Vec<String>>();
    for name in tables {
        if ignored_table(&name) {
            continue;
        }
        let mut table = Table::default();
        let mut st = c.prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid").unwrap();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for row in st.query_map([&name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap() {
            let (col, ty, notnull, pk_pos): (String, String, bool, i64) = row.unwrap();
            if pk_pos > 0 {
                pk.push((pk_pos, col.clone()));
            }
            // A primary key's column is never NULL in practice (INTEGER PRIMARY KEY is the
            // rowid; the others are given by every insert), whatever the pragma says.
            table.columns.push(Column { name: col, ty: ty.to_uppercase(), nullable: !notnull && pk_pos == 0 });
        }
        pk.sort();
        table.primary_key = pk.into_iter().map(|(_, c)| c).collect();
        let mut st = c
            .prepare("SELECT name FROM pragma_index_list(?1) WHERE origin = 'u' AND \"unique\" = 1 AND partial = 0")
            .unwrap();
        let uniques: Vec<String> = st.query_map([&name], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        for ix in uniques {
            table.unique.insert(strings("SELECT name FROM pragma_index_info(?1) ORDER BY seqno", &ix));
        }
        let mut st = c
            .prepare("SELECT id, \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?1) ORDER BY id, seq")
            .unwrap();
        let mut fks: BTreeMap<i64, (Vec<String>, String, Vec<String>)> = BTreeMap::new();
        for row in st.query_map([&name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap() {
            let (id, from, to_table, to): (i64, String, String, String) = row.unwrap();
            let fk = fks.entry(id).or_insert_with(|| (Vec::new(), to_table, Vec::new()));
            fk.0.push(from);
            fk.2.push(to);
        }
        table.foreign_keys = fks.into_values().collect();
        schema.tables.insert(name, table);
    }
    let mut st =
        c.prepare("SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL").unwrap();
    let indexes: Vec<(String, String, String)> =
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    for (name, table, sql) in indexes {
        if ignored_table(&table) {
            continue;
        }
        let lower = sql.to_lowercase();
        let predicate = lower.rfind(" where ").map(|at| normalize_predicate(&sql[at + " where ".len()..]));
        let unique = lower.starts_with("create unique index");
        let columns = strings("SELECT name FROM pragma_index_info(?1) ORDER BY seqno", &name);
        schema.indexes.insert(name, Index { table, columns, unique, predicate });
    }
    schema
}

async fn pg_schema(c: &Client) -> Schema {
    let mut schema = Schema {
        version: c.query_one("SELECT max(version) FROM schema_migrations", &[]).await.unwrap().get::<_, i32>(0) as u32,
        ..Schema::default()
    };
    let tables = c
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            &[],
        )
        .await
        .unwrap();
    for row in tables {
        let name: String = row.get(0);
        if ignored_table(&name) {
            continue;
        }
        let mut table = Table::default();
        for col in c
            .query(
                "SELECT column_name::text, data_type::text, is_nullable = 'YES' FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                &[&name],
            )
            .await
            .unwrap()
        {
            let pg_type: String = col.get(1);
            let ty = match pg_type.as_str() {
                "bigint" | "smallint" | "integer" => "INTEGER",
                "text" => "TEXT",
                "double precision" => "REAL",
                "bytea" => "BLOB",
                other => other,
            };
            table.columns.push(Column { name: col.get(0), ty: ty.to_string(), nullable: col.get(2) });
        }
        for con in c
            .query(
                "SELECT c.contype::text,
                        array_agg(a.attname::text ORDER BY k.ord),
                        c.confrelid::regclass::text,
                        array_agg(af.attname::text ORDER BY k.ord)
                 FROM pg_constraint c
                 CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k (attnum, fattnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                 LEFT JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = k.fattnum
                 WHERE c.conrelid = to_regclass($1) AND c.contype IN ('p', 'u', 'f')
                 GROUP BY c.oid, c.contype, c.confrelid",
                &[&format!("public.{name}")],
            )
            .await
            .unwrap()
        {
            let columns: Vec<String> = con.get(1);
            match con.get::<_, String>(0).as_str() {
                "p" => table.primary_key = columns,
                "u" => _ = table.unique.insert(columns),
                _ => {
                    let to: Vec<Option<String>> = con.get(3);
                    table.foreign_keys.insert((columns, con.get(2), to.into_iter().map(Option::unwrap).collect()));
                }
            }
        }
        schema.tables.insert(name, table);
    }
    for row in c
        .query(
            "SELECT i.relname::text, t.relname::text, x.indisunique, pg_get_expr(x.indpred, x.indrelid),
                    ARRAY(SELECT a.attname::text
                          FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord)
                          JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                          ORDER BY k.ord)
             FROM pg_index x
             JOIN pg_class i ON i.oid = x.indexrelid
             JOIN pg_class t ON t.oid = x.indrelid
             WHERE t.relnamespace = 'public'::regnamespace
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                               WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x'))",
            &[],
        )
        .await
        .unwrap()
    {
        let table: String = row.get(1);
        if ignored_table(&table) {
            continue;
        }
        let predicate: Option<String> = row.get(3);
        schema.indexes.insert(
            row.get(0),
            Index {
                table,
                columns: row.get(4),
                unique: row.get(2),
                predicate: predicate.as_deref().map(normalize_predicate),
            },
        );
    }
    schema
}

/// A client, and its connection's task (done once the client is dropped).
async fn connect(config: &Config) -> (Client, tokio::task::JoinHandle<()>) {
    let (client, connection) = config.connect(NoTls).await.expect("connect to RELIVE_TEST_PG");
    let task = tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("postgres connection: {e}");
        }
    });
    (client, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_schema_equals_sqlite() {
    let Ok(url) = std::env::var("RELIVE_TEST_PG") else {
        assert!(
            std::env::var("RELIVE_REQUIRE_PG").as_deref() != Ok("1"),
            "RELIVE_REQUIRE_PG=1 but RELIVE_TEST_PG is unset (run under scripts/with-postgres.sh)"
        );
        println!("skipped: RELIVE_TEST_PG unset");
        return;
    };

    // SQLite, migrated by the real store.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parity.db");
    drop(Store::open(&DbUrl::Sqlite(path.clone())).await.unwrap());
    let sqlite = sqlite_schema(&path);

    // PostgreSQL: a fresh database, migrated by four "instances" at once.
    let admin_config: Config = url.parse().expect("RELIVE_TEST_PG is a PostgreSQL URL");
    let (admin, _) = connect(&admin_config).await;
    let db = format!("parity_{}", std::process::id());
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).await.unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {db}")).await.unwrap();
    let mut config = admin_config.clone();
    config.dbname(&db);
    let (mut clients, mut tasks) = (Vec::new(), Vec::new());
    for _ in 0..4 {
        let (client, task) = connect(&config).await;
        clients.push(client);
        tasks.push(task);
    }
    let versions = futures::future::join_all(clients.iter_mut().map(pg_migrations::migrate)).await;
    for v in versions {
        assert_eq!(v.expect("migrate"), pg_migrations::LATEST);
    }
    // A second migrator finding a version applied would have failed on the primary key;
    // migrating again applies nothing.
    let count =
        async |c: &Client| -> i64 { c.query_one("SELECT count(*) FROM schema_migrations", &[]).await.unwrap().get(0) };
    let applied = count(&clients[0]).await;
    assert_eq!(pg_migrations::migrate(&mut clients[0]).await.unwrap(), pg_migrations::LATEST, "migrating again");
    assert_eq!(count(&clients[0]).await, applied, "migrating again applies nothing");
    let pg = pg_schema(&clients[0]).await;
    drop(clients);
    for task in tasks {
        task.await.unwrap();
    }
    admin.batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)")).await.unwrap();

    assert!(
        sqlite.tables.len() >= 9 && sqlite.indexes.len() >= 13,
        "SQLite's schema read: {:?}, {:?}",
        sqlite.tables.keys(),
        sqlite.indexes.keys()
    );
    println!(
        "comparing {} tables and {} indexes at version {}",
        sqlite.tables.len(),
        sqlite.indexes.len(),
        sqlite.version
    );
    assert_eq!(pg.version, sqlite.version, "both migration lists end at the same version");
    assert_eq!(
        pg.tables.keys().collect::<Vec<_>>(),
        sqlite.tables.keys().collect::<Vec<_>>(),
        "tables (PostgreSQL, then SQLite)"
    );
    for (name, s) in &sqlite.tables {
        let p = &pg.tables[name];
        let names = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(p), names(s), "{name}: columns in order (PostgreSQL, then SQLite)");
        for (pc, sc) in p.columns.iter().zip(&s.columns) {
            assert_eq!(pc, sc, "{name}.{}: type and nullability (PostgreSQL, then SQLite)", sc.name);
        }
        assert_eq!(p.primary_key, s.primary_key, "{name}: primary key");
        assert_eq!(p.unique, s.unique, "{name}: unique constraints");
        assert_eq!(p.foreign_keys, s.foreign_keys, "{name}: foreign keys");
    }
    assert_eq!(
        pg.indexes.keys().collect::<Vec<_>>(),
        sqlite.indexes.keys().collect::<Vec<_>>(),
        "index names (PostgreSQL, then SQLite)"
    );
    for (name, s) in &sqlite.indexes {
        assert_eq!(&pg.indexes[name], s, "index {name} (PostgreSQL, then SQLite)");
    }
}
