//! `stdout` output (logs go to stderr, so stdout carries only ticket bytes).

use tokio::io::AsyncWriteExt;

use super::OutputError;

pub(super) async fn write(bytes: &[u8], name: &str) -> Result<(), OutputError> {
    let mut out = tokio::io::stdout();
    let result = async {
        out.write_all(bytes).await?;
        out.flush().await
    }
    .await;
    result.map_err(|source| OutputError::Write {
        output: name.to_owned(),
        source,
    })
}
