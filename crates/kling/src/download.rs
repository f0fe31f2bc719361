//! Saving result videos to disk, trusting neither the server nor what is in the directory.
//!
//! - Only `http`/`https` URLs are fetched, without the bearer token (result URLs may point
//!   at a CDN that must not see it).
//! - Each download has a deadline (what is left of `--timeout`), an idle timeout (a server
//!   that stops sending) and a size cap (`--max-size`), checked against `Content-Length`
//!   first and against what arrives as it arrives.
//! - Bytes go to a partial file created new, with a random name, in the target directory
//!   (`O_EXCL`: never through an existing file or symlink); it is removed on any failure.
//! - The finished file is moved to its name only if nothing is there yet (no replacing, not
//!   even a file planted meanwhile); otherwise it takes the next free name, so two URLs with
//!   the same last segment give two files.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mulerouter_kling::error_chain;
use tempfile::NamedTempFile;
use tokio::time::Instant;
use url::Url;
use uuid::Uuid;

/// A file written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Saved {
    pub url: String,
    pub path: PathBuf,
    pub bytes: u64,
}

/// What a download may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// When every download must be done (the command's `--timeout`).
    pub deadline: Instant,
    /// The command's `--timeout`, for messages.
    pub timeout: Duration,
    /// How long the server may send nothing.
    pub idle: Duration,
    /// The largest file accepted.
    pub max_size: u64,
}

/// Why downloading stopped.
#[derive(Debug)]
pub enum Failure {
    /// The deadline passed, or the server sent nothing for the idle timeout.
    TimedOut(String),
    /// Anything else: refused URL, HTTP error, too large, disk.
    Failed(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimedOut(message) | Self::Failed(message) => f.write_str(message),
        }
    }
}

/// Makes sure downloads can be saved in `dir` (created if needed), before a task is created
/// or waited for: a generation is billed, and finding out afterwards that `--download` names
/// a file, a broken link or a folder without write access would waste it.
pub fn prepare(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    if let Ok(meta) = std::fs::symlink_metadata(dir)
        && meta.file_type().is_symlink()
        && std::fs::metadata(dir).is_err()
    {
        return Err(format!("--download {shown} is a symbolic link to nothing"));
    }
    if dir.exists() && !dir.is_dir() {
        return Err(format!("--download {shown} is not a directory"));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("--download {shown}: cannot create the directory: {e}"))?;
    // Writing is what will be asked of it: try it, with the partial file a download makes.
    partial_file()
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| format!("--download {shown}: cannot write into it: {e}"))
}

/// The most result videos saved for one task. A result is one video; a server that lists
/// thousands would otherwise have each of them written, up to `--max-size` apiece.
pub const MAX_VIDEOS: usize = 100;

/// Downloads every video into `dir`, named `<task id>_<file name>` (or the next free name).
/// Stops at the first failure, which comes with the files saved before it (they stay, and
/// are also listed in its message). More than [`MAX_VIDEOS`] are refused before any is
/// fetched.
pub async fn all(
    videos: &[Url],
    dir: &Path,
    task_id: Uuid,
    limits: Limits,
) -> Result<Vec<Saved>, (Failure, Vec<Saved>)> {
    if videos.len() > MAX_VIDEOS {
        let failure = Failure::Failed(format!(
            "refusing to download {} videos: a result is one video, and kling saves at most \
             {MAX_VIDEOS} for a task",
            videos.len()
        ));
        return Err((failure, Vec::new()));
    }
    tokio::fs::create_dir_all(dir).await.map_err(|e| {
        let failure = Failure::Failed(format!("cannot create {}: {e}", dir.display()));
        (failure, Vec::new())
    })?;
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        // Some CDNs refuse requests that do not say who sends them.
        .user_agent(concat!("kling/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            let failure = Failure::Failed(format!("cannot build an HTTP client: {e}"));
            (failure, Vec::new())
        })?;
    let mut saved: Vec<Saved> = Vec::new();
    for (index, url) in videos.iter().enumerate() {
        let result = one(&http, url, dir, &file_name(url, task_id, index), limits).await;
        match result {
            Ok(file) => saved.push(file),
            Err(failure) if saved.is_empty() => return Err((failure, saved)),
            Err(failure) => {
                let kept: Vec<String> =
                    saved.iter().map(|s| s.path.display().to_string()).collect();
                let note = format!(" (already saved: {})", kept.join(", "));
                let failure = match failure {
                    Failure::TimedOut(message) => Failure::TimedOut(message + &note),
                    Failure::Failed(message) => Failure::Failed(message + &note),
                };
                return Err((failure, saved));
            }
        }
    }
    Ok(saved)
}

/// The longest last URL segment kept in a file name: with the task id in front, file systems
/// refuse names over 255 bytes, and a name that long says nothing anyway.
const MAX_NAME_FROM_URL: usize = 100;

fn file_name(url: &Url, task_id: Uuid, index: usize) -> String {
    let last = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .filter(|name| {
            !name.is_empty()
                && name.len() <= MAX_NAME_FROM_URL
                && !name.starts_with('.')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        });
    match last {
        Some(name) => format!("{task_id}_{name}"),
        None => format!("{task_id}_{index:03}.mp4"),
    }
}

/// `name`, then `stem-1.ext`, `stem-2.ext`, … : the names tried for one file.
fn candidates(name: &str) -> impl Iterator<Item = String> + '_ {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, Some(extension)),
        _ => (name, None),
    };
    std::iter::once(name.to_string()).chain((1..1000).map(move |n| match extension {
        Some(extension) => format!("{stem}-{n}.{extension}"),
        None => format!("{stem}-{n}"),
    }))
}

/// Streams one URL into a new partial file in `dir`, then gives it a free name.
async fn one(
    http: &reqwest::Client,
    url: &Url,
    dir: &Path,
    name: &str,
    limits: Limits,
) -> Result<Saved, Failure> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Failure::Failed(format!(
            "refusing to download {url}: only http and https URLs are fetched"
        )));
    }
    let timed_out = |what: &str| {
        if Instant::now() >= limits.deadline {
            Failure::TimedOut(format!(
                "download of {url} timed out: the command's --timeout of {} ran out {what}",
                crate::args::shown(limits.timeout)
            ))
        } else {
            Failure::TimedOut(format!(
                "download of {url} timed out: the server sent nothing for {} {what}",
                crate::args::shown(limits.idle)
            ))
        }
    };
    let next_deadline = || limits.deadline.min(Instant::now() + limits.idle);
    tracing::debug!(%url, "downloading");

    let mut response = tokio::time::timeout_at(next_deadline(), http.get(url.clone()).send())
        .await
        .map_err(|_| timed_out("waiting for the answer"))?
        .map_err(|e| Failure::Failed(format!("download of {url} failed: {}", error_chain(&e))))?;
    if !response.status().is_success() {
        // A redirect that was not followed says where it pointed (another scheme, a loop).
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(|to| format!(" pointing to {}", crate::terminal::clean(to)))
            .unwrap_or_default();
        return Err(Failure::Failed(format!(
            "download of {url} failed: the server answered {}{location}",
            response.status()
        )));
    }
    let too_large = |size: String| {
        Failure::Failed(format!(
            "download of {url} refused: {size} is over the {} byte limit (--max-size)",
            limits.max_size
        ))
    };
    if let Some(length) = response.content_length()
        && length > limits.max_size
    {
        return Err(too_large(format!("its announced size of {length} bytes")));
    }

    // Created new (O_EXCL) under a random name; deleted when dropped, i.e. on any failure.
    let mut partial = partial_file()
        .tempfile_in(dir)
        .map_err(|e| Failure::Failed(format!("cannot create a file in {}: {e}", dir.display())))?;
    let write_failed =
        |e: std::io::Error| Failure::Failed(format!("cannot write into {}: {e}", dir.display()));
    let mut written = 0u64;
    loop {
        let chunk = tokio::time::timeout_at(next_deadline(), response.chunk())
            .await
            .map_err(|_| timed_out(&format!("after {written} bytes")))?
            .map_err(|e| {
                Failure::Failed(format!("download of {url} broke off: {}", error_chain(&e)))
            })?;
        let Some(chunk) = chunk else { break };
        written += chunk.len() as u64;
        if written > limits.max_size {
            return Err(too_large(format!("more than {written} bytes")));
        }
        partial.write_all(&chunk).map_err(write_failed)?;
    }
    partial.flush().map_err(write_failed)?;
    let path = persist(partial, dir, name)?;
    tracing::debug!(%url, path = %path.display(), bytes = written, "saved");
    Ok(Saved {
        url: url.to_string(),
        path,
        bytes: written,
    })
}

/// How partial files are created: hidden, random name, and (on Unix) the permissions of any
/// new file (0666 less the umask) instead of a temporary file's 0600, since it becomes the
/// saved video.
fn partial_file() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".kling-download-").suffix(".part");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder
}

/// Moves the finished file to the first free name; never replaces anything.
fn persist(mut partial: NamedTempFile, dir: &Path, name: &str) -> Result<PathBuf, Failure> {
    for candidate in candidates(name) {
        let path = dir.join(&candidate);
        match partial.persist_noclobber(&path) {
            Ok(_) => return Ok(path),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => partial = e.file,
            Err(e) => {
                return Err(Failure::Failed(format!(
                    "cannot save the download as {}: {}",
                    path.display(),
                    e.error
                )));
            }
        }
    }
    Err(Failure::Failed(format!(
        "cannot save the download: {} and 999 numbered variants already exist in {}",
        name,
        dir.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_after_the_task_and_the_url() {
        let task = Uuid::nil();
        let named = Url::parse("https://cdn.example/r/result_000.mp4").unwrap();
        let odd = Url::parse("https://cdn.example/r/").unwrap();
        let unsafe_name = Url::parse("https://cdn.example/r/..%2Fetc").unwrap();
        let hidden = Url::parse("https://cdn.example/r/.mp4").unwrap();
        let long = Url::parse(&format!("https://cdn.example/r/{}.mp4", "a".repeat(300))).unwrap();
        assert_eq!(file_name(&named, task, 0), format!("{task}_result_000.mp4"));
        assert_eq!(file_name(&odd, task, 1), format!("{task}_001.mp4"));
        assert_eq!(file_name(&unsafe_name, task, 2), format!("{task}_002.mp4"));
        assert_eq!(file_name(&hidden, task, 3), format!("{task}_003.mp4"));
        assert_eq!(file_name(&long, task, 4), format!("{task}_004.mp4"));
    }

    #[test]
    fn the_next_free_names_are_numbered_before_the_extension() {
        let names: Vec<String> = candidates("t_result.mp4").take(3).collect();
        assert_eq!(names, ["t_result.mp4", "t_result-1.mp4", "t_result-2.mp4"]);
        let bare: Vec<String> = candidates("t_result").take(2).collect();
        assert_eq!(bare, ["t_result", "t_result-1"]);
    }
}
