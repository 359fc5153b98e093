//! `cups:` output: the bytes go to `lp -d QUEUE -o raw` on stdin.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::OutputError;

pub(super) async fn print(
    lp: &str,
    queue: &str,
    bytes: &[u8],
    name: &str,
) -> Result<(), OutputError> {
    let mut child = Command::new(lp)
        .args(["-d", queue, "-o", "raw"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| OutputError::Unreachable {
            output: name.to_owned(),
            source,
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(bytes)
            .await
            .map_err(|source| OutputError::Write {
                output: name.to_owned(),
                source,
            })?;
        // Dropping stdin closes it: lp reads to the end.
    }
    let finished = child
        .wait_with_output()
        .await
        .map_err(|source| OutputError::Write {
            output: name.to_owned(),
            source,
        })?;
    if finished.status.success() {
        Ok(())
    } else {
        Err(OutputError::Cups {
            output: name.to_owned(),
            detail: format!(
                "{}: {}",
                finished.status,
                String::from_utf8_lossy(&finished.stderr).trim()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lp_gets_the_queue_raw_and_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("lp");
        let out = dir.path().join("got");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$@\" > {0}.args\ncat > {0}\n",
                out.display()
            ),
        )
        .unwrap();
        let mut perms = std::fs::metadata(&script).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&script, perms).unwrap();

        print(
            script.to_str().unwrap(),
            "Kitchen",
            b"\x1b@ticket",
            "cups:Kitchen",
        )
        .await
        .unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"\x1b@ticket");
        let args = std::fs::read_to_string(dir.path().join("got.args")).unwrap();
        assert_eq!(args.trim(), "-d Kitchen -o raw");

        let failing_lp = dir.path().join("lp-fails");
        std::fs::write(
            &failing_lp,
            "#!/bin/sh\ncat > /dev/null\necho 'no such queue' >&2\nexit 1\n",
        )
        .unwrap();
        let mut perms = std::fs::metadata(&failing_lp).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&failing_lp, perms).unwrap();
        let failing = print(
            failing_lp.to_str().unwrap(),
            "Kitchen",
            b"x",
            "cups:Kitchen",
        )
        .await;
        assert!(
            matches!(&failing, Err(OutputError::Cups { detail, .. }) if detail.contains("no such queue")),
            "{failing:?}"
        );
        assert!(matches!(failing, Err(OutputError::Cups { .. })));
    }
}
