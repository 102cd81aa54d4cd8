//! Durable file writes: what the server writes under the media folder and then announces
//! (a hook answers 200 on it) is on disk first — data fsynced, renamed into place, and
//! the folder's entry fsynced. Blocking: call from `spawn_blocking`.

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically and durably: a reader sees the old file or the
/// whole new one, and after a crash the new one is there if this returned `Ok`.
pub fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent(path)?;
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(tmp_extension(path));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    sync_dir(dir)
}

/// Writes `bytes` to `path` durably unless `path` exists: `Ok(false)` if it did (the
/// first writer's file stays whole). Create-only by a hard link of the written temporary
/// file, which fails on an existing name where a rename would replace it.
pub fn create_durably(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let dir = parent(path)?;
    std::fs::create_dir_all(dir)?;
    // A temporary name of this writer's own: two writers never share one.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("{}.{}-{n}", tmp_extension(path), std::process::id()));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => sync_dir(dir).map(|()| true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Puts `src` at `dst` (replacing it) durably: a hard link when both lie on one file
/// system (no copy, and the data outlives the recorder deleting its own name), else a
/// copy. The data is fsynced too: recorders write without syncing.
pub fn link_durably(src: &Path, dst: &Path) -> std::io::Result<()> {
    let dir = parent(dst)?;
    std::fs::create_dir_all(dir)?;
    let tmp = dst.with_extension(tmp_extension(dst));
    let _ = std::fs::remove_file(&tmp);
    if std::fs::hard_link(src, &tmp).is_err() {
        std::fs::copy(src, &tmp)?;
    }
    File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, dst)?;
    // When `dst` is already a link to the same file, rename leaves both names (POSIX).
    let _ = std::fs::remove_file(&tmp);
    sync_dir(dir)
}

/// Makes `dir` and its missing parents, each parent's new entry fsynced.
pub fn create_dir_durably(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(up) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir_durably(up)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e),
    }
    match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(up) => sync_dir(up),
        None => Ok(()),
    }
}

/// Fsyncs a folder, so the names created or renamed in it survive a crash.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn parent(path: &Path) -> std::io::Result<&Path> {
    path.parent().ok_or_else(|| std::io::Error::other(format!("{} has no folder", path.display())))
}

fn tmp_extension(path: &Path) -> String {
    match path.extension() {
        Some(e) => format!("{}.part", e.to_string_lossy()),
        None => "part".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_links_replace_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/index.m3u8");
        write_durably(&p, b"one").unwrap();
        write_durably(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let src = dir.path().join("src.ts");
        std::fs::write(&src, b"G...").unwrap();
        let dst = dir.path().join("a/c/1.ts");
        create_dir_durably(dst.parent().unwrap()).unwrap();
        link_durably(&src, &dst).unwrap();
        link_durably(&src, &dst).unwrap();
        // The recorder deleting its own name leaves ours.
        std::fs::remove_file(&src).unwrap();
        assert_eq!(std::fs::read(&dst).unwrap(), b"G...");
        let names: Vec<_> = std::fs::read_dir(dst.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["1.ts"], "no temporary files left");
    }
}
