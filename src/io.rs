//! Writing files so that a crash, a full disk or Ctrl-C never leaves a
//! partial file behind: write a temporary file beside the destination, flush
//! it to disk, then rename it over the destination in one step.

use crate::{Error, Result};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Temporary files being written right now. A signal handler cannot unwind
/// the thread that is writing, so it removes them from here instead (see
/// [`abandon_pending_writes`]).
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The registry, even if a thread panicked while holding it: a list of
/// paths cannot be left inconsistent by a panic.
fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

fn forget(list: &mut Vec<PathBuf>, path: &Path) {
    if let Some(i) = list.iter().position(|p| p == path) {
        list.swap_remove(i);
    }
}

/// Creates a temporary file and registers it, in one step under the
/// registry's lock, so that an interruption either finds the file to remove
/// or comes before it exists.
fn create_registered(tmp: &Path) -> std::io::Result<File> {
    let mut list = pending();
    let file = File::create(tmp)?;
    list.push(tmp.to_path_buf());
    Ok(file)
}

/// Renames a finished temporary file over its destination and unregisters
/// it, under the registry's lock: an interruption sees either a temporary
/// file to remove or a complete destination, never a half-done rename.
fn rename_registered(tmp: &Path, dest: &Path) -> std::io::Result<()> {
    let mut list = pending();
    let result = fs::rename(tmp, dest);
    forget(&mut list, tmp);
    result
}

/// Removes a temporary file after a failure and unregisters it.
fn remove_registered(tmp: &Path) {
    let mut list = pending();
    let _ = fs::remove_file(tmp);
    forget(&mut list, tmp);
}

/// Held while the process exits after an interruption: no write can be
/// committed while it lives.
pub struct AbandonedWrites {
    _guard: MutexGuard<'static, Vec<PathBuf>>,
    /// The temporary files removed.
    pub removed: Vec<PathBuf>,
}

/// Removes the temporary file of every write in progress ([`write_atomic`],
/// [`AtomicFile`]) and blocks their commits for as long as the returned
/// value lives. Called on Ctrl-C just before the process exits, so that the
/// destinations keep their old content (or stay absent) and no temporary
/// file is left behind.
pub fn abandon_pending_writes() -> AbandonedWrites {
    let mut guard = pending();
    let removed: Vec<PathBuf> = guard.drain(..).collect();
    for path in &removed {
        let _ = fs::remove_file(path);
    }
    AbandonedWrites {
        _guard: guard,
        removed,
    }
}

/// The file a write to `dest` should replace: the target of a symbolic
/// link (followed through chains, relative links resolved from their own
/// folder), so that `--out link` updates the file the link points to and
/// keeps the link, as `>` in a shell does.
pub fn resolve_destination(dest: &Path) -> PathBuf {
    let mut path = dest.to_path_buf();
    // Loops of links end here; the rename then replaces the last one seen.
    for _ in 0..40 {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => match fs::read_link(&path) {
                Ok(target) if target.is_absolute() => path = target,
                Ok(target) => {
                    path = path
                        .parent()
                        .map_or_else(|| target.clone(), |dir| dir.join(&target))
                }
                Err(_) => break,
            },
            _ => break,
        }
    }
    path
}

/// Whether two paths name the same existing file (the same device and
/// inode on Unix), however they are spelled or linked.
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (fs::metadata(a), fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
    }
}

/// Gives a new file the permissions of the file it replaces, so that a
/// private (mode 600) output stays private.
fn keep_permissions(tmp: &Path, dest: &Path) -> std::io::Result<()> {
    match fs::metadata(dest) {
        Ok(meta) if meta.is_file() => fs::set_permissions(tmp, meta.permissions()),
        _ => Ok(()),
    }
}

/// Temporary path in the destination's folder (rename is only atomic within
/// one file system).
fn temp_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    dest.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// True when `dest` exists and is not a regular file: a device such as
/// `/dev/stdout` or `/dev/full`, or a named pipe. Those are written in place;
/// renaming a temporary file over them would replace the device itself.
fn is_special(dest: &Path) -> bool {
    fs::metadata(dest).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Writes `dest` through `fill`; on any error the destination keeps its old
/// content (or stays absent) and the temporary file is removed.
pub fn write_atomic<F>(dest: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let named = dest;
    let dest = &resolve_destination(dest);
    if is_special(dest) {
        let result = (|| -> std::io::Result<()> {
            let mut writer = BufWriter::new(fs::OpenOptions::new().write(true).open(dest)?);
            fill(&mut writer)?;
            writer.flush()
        })();
        return result.map_err(|e| Error::io(named, e));
    }
    let tmp = temp_path(dest);
    let file = create_registered(&tmp).map_err(|e| Error::io(named, e))?;
    let result = (|| -> std::io::Result<()> {
        let mut writer = BufWriter::new(file);
        fill(&mut writer)?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        keep_permissions(&tmp, dest)?;
        rename_registered(&tmp, dest)
    })();
    if let Err(e) = result {
        remove_registered(&tmp);
        return Err(Error::io(named, e));
    }
    Ok(())
}

/// An output file that becomes visible only when committed. Used for
/// streaming output whose size is not known in advance.
pub struct AtomicFile {
    /// The path as the user gave it, for messages.
    named: PathBuf,
    /// The file replaced (a symbolic link's target).
    dest: PathBuf,
    /// `None` when writing straight into a device or pipe.
    tmp: Option<PathBuf>,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(named: &Path) -> Result<Self> {
        let dest = &resolve_destination(named);
        if is_special(dest) {
            let file = fs::OpenOptions::new()
                .write(true)
                .open(dest)
                .map_err(|e| Error::io(named, e))?;
            return Ok(AtomicFile {
                named: named.to_path_buf(),
                dest: dest.to_path_buf(),
                tmp: None,
                writer: Some(BufWriter::new(file)),
            });
        }
        let tmp = temp_path(dest);
        let file = create_registered(&tmp).map_err(|e| Error::io(named, e))?;
        Ok(AtomicFile {
            named: named.to_path_buf(),
            dest: dest.to_path_buf(),
            tmp: Some(tmp),
            writer: Some(BufWriter::new(file)),
        })
    }

    /// Flushes, syncs and renames over the destination.
    pub fn commit(mut self) -> Result<()> {
        let dest = self.dest.clone();
        let tmp = self.tmp.take();
        let result = (|| -> std::io::Result<()> {
            if let Some(writer) = self.writer.take() {
                let file = writer.into_inner().map_err(|e| e.into_error())?;
                if let Some(tmp) = &tmp {
                    file.sync_all()?;
                    keep_permissions(tmp, &dest)?;
                }
            }
            match &tmp {
                Some(tmp) => rename_registered(tmp, &dest),
                None => Ok(()),
            }
        })();
        if result.is_err() {
            if let Some(tmp) = &tmp {
                remove_registered(tmp);
            }
        }
        result.map_err(|e| Error::io(&self.named, e))
    }

    /// The temporary file's path, for cleanup on interruption.
    pub fn temp_path(&self) -> Option<&Path> {
        self.tmp.as_deref()
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.writer.as_mut() {
            Some(w) => w.write(buf),
            None => Err(std::io::Error::other("file already committed")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.writer.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    /// An uncommitted file is abandoned: the destination is left untouched.
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            if let Some(tmp) = &self.tmp {
                remove_registered(tmp);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registry of pending writes is process-wide: these tests take
    /// turns so that abandoning one test's writes cannot hit another's.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn serial() -> MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[test]
    fn failed_write_keeps_old_content() {
        let _serial = serial();
        let dir = tempfile::tempdir().expect("tempdir");
        let dest = dir.path().join("out.txt");
        fs::write(&dest, "old").expect("write");
        let r = write_atomic(&dest, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read_to_string(&dest).expect("read"), "old");
        assert_eq!(fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    #[test]
    fn uncommitted_atomic_file_leaves_nothing() {
        let _serial = serial();
        let dir = tempfile::tempdir().expect("tempdir");
        let dest = dir.path().join("out.jsonl");
        {
            let mut f = AtomicFile::create(&dest).expect("create");
            f.write_all(b"{}\n").expect("write");
        }
        assert!(!dest.exists());
        assert_eq!(fs::read_dir(dir.path()).expect("ls").count(), 0);
        let mut f = AtomicFile::create(&dest).expect("create");
        f.write_all(b"{}\n").expect("write");
        f.commit().expect("commit");
        assert_eq!(fs::read_to_string(&dest).expect("read"), "{}\n");
    }

    #[cfg(unix)]
    #[test]
    fn writes_go_through_symbolic_links_and_keep_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let _serial = serial();
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real.jsonl");
        fs::write(&real, "old").expect("write");
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).expect("chmod");
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink("real.jsonl", &link).expect("symlink");
        write_atomic(&link, |w| w.write_all(b"new")).expect("write");
        assert!(fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).expect("read"), "new");
        let mode = fs::metadata(&real).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let mut f = AtomicFile::create(&link).expect("create");
        f.write_all(b"streamed").expect("write");
        f.commit().expect("commit");
        assert_eq!(fs::read_to_string(&real).expect("read"), "streamed");
        assert_eq!(
            fs::metadata(&real).expect("meta").permissions().mode() & 0o777,
            0o600
        );
        assert!(same_file(&link, &real));
        assert!(!same_file(&link, dir.path()));
    }

    /// What Ctrl-C does: the temporary files of writes in progress are
    /// removed, and a commit attempted afterwards cannot resurrect them.
    #[test]
    fn abandoning_pending_writes_removes_their_temporary_files() {
        let _serial = serial();
        let dir = tempfile::tempdir().expect("tempdir");
        let streamed = dir.path().join("labels.jsonl");
        let whole = dir.path().join("model.bin");
        fs::write(&whole, "old model").expect("write");
        let mut f = AtomicFile::create(&streamed).expect("create");
        f.write_all(b"{}\n").expect("write");
        let tmp = f.temp_path().expect("regular file").to_path_buf();
        assert!(tmp.exists());
        let r = write_atomic(&whole, |w| {
            w.write_all(b"partial")?;
            let abandoned = abandon_pending_writes();
            assert!(abandoned.removed.contains(&tmp));
            assert_eq!(abandoned.removed.len(), 2, "{:?}", abandoned.removed);
            Ok(())
        });
        // The temporary file is gone, so the rename fails and the old
        // content stays.
        assert!(r.is_err());
        assert!(f.commit().is_err());
        assert!(!streamed.exists());
        assert_eq!(fs::read_to_string(&whole).expect("read"), "old model");
        assert_eq!(fs::read_dir(dir.path()).expect("ls").count(), 1);
    }
}
