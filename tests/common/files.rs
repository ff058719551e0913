//! Temporary directories, and the executables the tests write there.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A path under the temp dir that no other test (or run) uses: the tag,
/// this process's pid, a counter and the time.
pub fn unique_temp_path(tag: &str) -> PathBuf {
    unique_path_in(&std::env::temp_dir(), tag)
}

/// Like [`unique_temp_path`], under `parent`.
pub fn unique_path_in(parent: &Path, tag: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    parent.join(format!(
        "clonexec-test-{tag}-{}-{n}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ))
}

/// A unique temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        TempDir::new_in(&std::env::temp_dir(), tag)
    }

    /// A unique directory under `parent` (for one that a sandbox's tmpfs
    /// on /tmp must not hide, say), removed when dropped.
    pub fn new_in(parent: &Path, tag: &str) -> TempDir {
        let path = unique_path_in(parent, tag);
        fs::create_dir(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes a file with the given mode and returns its path. A mode with
    /// an execute bit makes an executable: written as [`write_executable`]
    /// does, never through a write fd of this process.
    pub fn write_file(&self, name: &str, contents: &str, mode: u32) -> PathBuf {
        let path = self.0.join(name);
        if mode & 0o111 != 0 {
            write_through_subprocess(&path, contents.as_bytes(), mode);
        } else {
            fs::write(&path, contents).expect("write temp file");
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod temp file");
        }
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The entries of a directory, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Copies the executable `src` to `dst` (mode 0755) without this process
/// ever holding a write fd on `dst`: `cp` and `chmod` run as a subprocess.
///
/// Why not `fs::copy`: while the test process holds a write fd on the new
/// file, other threads of the same test binary spawn children, and each
/// child holds a copy of every fd of ours (close-on-exec ones included)
/// until it execs. An exec of the new file meanwhile fails with `ETXTBSY`
/// ("text file busy"), so a test that copies a program and runs it fails
/// now and then (about 1 run in 40 for one such test). A subprocess's fds
/// are its own: once it has exited, nobody holds the file open for writing.
/// Every executable the tests make goes through this or
/// [`write_executable`]; files that are never executed may use `fs::write`.
pub fn copy_executable(src: &Path, dst: &Path) {
    let status = std::process::Command::new("sh")
        .args(["-c", r#"cp -- "$1" "$2" && chmod 755 -- "$2""#, "sh"])
        .arg(src)
        .arg(dst)
        .stdin(std::process::Stdio::null())
        .status()
        .expect("running sh to copy an executable");
    assert!(
        status.success(),
        "copying {} to {} failed: {status}",
        src.display(),
        dst.display()
    );
}

/// Writes `bytes` as the executable `path` (mode 0755) without this
/// process ever holding a write fd on it: the bytes go down a pipe to a
/// subprocess that writes the file. See [`copy_executable`] for why.
pub fn write_executable(path: &Path, bytes: &[u8]) {
    write_through_subprocess(path, bytes, 0o755);
}

/// [`write_executable`] at `dir/name`; returns that path.
pub fn install(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    write_executable(&path, bytes);
    path
}

/// `sh -c 'cat > "$1" && chmod MODE "$1"'` with `bytes` on its stdin.
fn write_through_subprocess(path: &Path, bytes: &[u8], mode: u32) {
    use std::io::Write;
    let mut child = std::process::Command::new("sh")
        .args(["-c", r#"cat > "$1" && chmod "$2" -- "$1""#, "sh"])
        .arg(path)
        .arg(format!("{mode:o}"))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("running sh to write an executable");
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(bytes).expect("writing to sh");
    // EOF for cat (our copy of the pipe's write end closes here).
    drop(stdin);
    let status = child.wait().expect("waiting for sh");
    assert!(
        status.success(),
        "writing {} (mode {mode:o}) failed: {status}",
        path.display()
    );
}
