//! `file:` (append) and `usb:` (a printer device file) outputs.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::OutputError;

/// Append to a file (created if missing) and flush it to disk.
pub(super) async fn append(path: &Path, bytes: &[u8], name: &str) -> Result<(), OutputError> {
    let path = path.to_owned();
    let bytes = bytes.to_vec();
    let name = name.to_owned();
    blocking(move || {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| unreachable(&name, source))?;
        file.write_all(&bytes)
            .map_err(|source| write_error(&name, source))?;
        file.sync_data()
            .map_err(|source| write_error(&name, source))
    })
    .await
}

/// Write to an existing device file (never created: a missing `/dev/usb/lp0` means the
/// printer is unplugged or off). Blocks until the printer took everything.
pub(super) async fn write_device(path: &Path, bytes: &[u8], name: &str) -> Result<(), OutputError> {
    let path: PathBuf = path.to_owned();
    let bytes = bytes.to_vec();
    let name = name.to_owned();
    blocking(move || {
        let mut device = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|source| unreachable(&name, source))?;
        device
            .write_all(&bytes)
            .map_err(|source| write_error(&name, source))?;
        device.flush().map_err(|source| write_error(&name, source))
    })
    .await
}

async fn blocking(
    work: impl FnOnce() -> Result<(), OutputError> + Send + 'static,
) -> Result<(), OutputError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(join) => Err(OutputError::Write {
            output: "file".to_owned(),
            source: std::io::Error::other(join.to_string()),
        }),
    }
}

fn unreachable(name: &str, source: std::io::Error) -> OutputError {
    OutputError::Unreachable {
        output: name.to_owned(),
        source,
    }
}

fn write_error(name: &str, source: std::io::Error) -> OutputError {
    OutputError::Write {
        output: name.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_output_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        append(&path, b"one", "file").await.unwrap();
        append(&path, b"two", "file").await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"onetwo");
        let missing = write_device(&dir.path().join("lp9"), b"x", "usb").await;
        assert!(matches!(missing, Err(OutputError::Unreachable { .. })));
    }
}
