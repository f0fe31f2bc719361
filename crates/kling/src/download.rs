//! Saving result videos to disk.

use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;
use url::Url;
use uuid::Uuid;

/// A file written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Saved {
    pub url: String,
    pub path: PathBuf,
    pub bytes: u64,
}

/// Downloads every video into `dir`, named `<task id>_<file name>`. The bearer token is not
/// sent: result URLs may point at a CDN that must not see it.
pub async fn all(videos: &[Url], dir: &Path, task_id: Uuid) -> Result<Vec<Saved>, String> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let http = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let mut saved = Vec::new();
    for (index, url) in videos.iter().enumerate() {
        let path = dir.join(file_name(url, task_id, index));
        let bytes = one(&http, url, &path).await?;
        saved.push(Saved {
            url: url.to_string(),
            path,
            bytes,
        });
    }
    Ok(saved)
}

fn file_name(url: &Url, task_id: Uuid, index: usize) -> String {
    let last = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .filter(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        });
    match last {
        Some(name) => format!("{task_id}_{name}"),
        None => format!("{task_id}_{index:03}.mp4"),
    }
}

/// Streams one URL to a temporary file, then renames it, so a failed download leaves no
/// half-written video behind.
async fn one(http: &reqwest::Client, url: &Url, path: &Path) -> Result<u64, String> {
    let mut response = http
        .get(url.clone())
        .send()
        .await
        .map_err(|e| format!("download of {url} failed: {e}"))?;
    if !response.status().is_success() {
        return Err(format!(
            "download of {url} failed: the server answered {}",
            response.status()
        ));
    }
    let partial = path.with_extension("part");
    let mut file = tokio::fs::File::create(&partial)
        .await
        .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
    let mut written = 0u64;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("download of {url} broke off: {e}"))?
    {
        file.write_all(&chunk)
            .await
            .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
        written += chunk.len() as u64;
    }
    file.flush()
        .await
        .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
    drop(file);
    tokio::fs::rename(&partial, path)
        .await
        .map_err(|e| format!("cannot move the download to {}: {e}", path.display()))?;
    Ok(written)
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
        assert_eq!(file_name(&named, task, 0), format!("{task}_result_000.mp4"));
        assert_eq!(file_name(&odd, task, 1), format!("{task}_001.mp4"));
        assert_eq!(file_name(&unsafe_name, task, 2), format!("{task}_002.mp4"));
    }
}
