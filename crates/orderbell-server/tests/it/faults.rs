//! Faults on purpose. A PostgreSQL restart under load: a private cluster (initdb in a
//! temporary directory, its own port) is restarted while clients post orders; every answer is
//! 201 or a fast 503 `unavailable`, orders are taken again after, and none answered 201 is lost.
//!
//! A full disk under SQLite: a small tmpfs holds the database, a filler file
//! takes most of it, and orders are posted until the disk is full. Every refusal is 503
//! `unavailable` (never a 500, never a panic), every order answered 201 is still there, and
//! once the filler goes orders are taken again — without a restart.
//!
//! Mounting needs root (as on CI). Without it the test is skipped with a loud message, unless
//! `ORDERBELL_REQUIRE_FAULTS=1` (CI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{As, TestApp};

/// A tmpfs of `megabytes`, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, megabytes: u32) -> Result<SmallDisk, String> {
        std::fs::create_dir_all(at).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if out.status.success() {
            Ok(SmallDisk(at.to_owned()))
        } else {
            Err(format!(
                "cannot mount a tmpfs (needs root): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_loses_nothing_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mount_at = dir.path().join("disk");
    let disk = match SmallDisk::mount(&mount_at, 6) {
        Ok(d) => d,
        Err(problem) => {
            assert!(
                std::env::var("ORDERBELL_REQUIRE_FAULTS").as_deref() != Ok("1"),
                "{problem}"
            );
            eprintln!("SKIPPED: {problem}");
            return;
        }
    };
    let filler = mount_at.join("filler");
    let db = mount_at.join("orderbell.db");
    let mut config = orderbell_server::config::Config::for_database(
        &format!("sqlite://{}", db.display()),
        "http://orderbell.test",
    );
    config.limits.orders_per_phone_per_hour = 1_000_000;
    let app = TestApp::spawn_with(config, None, None).await;
    let (_, key) = app
        .shop_with_key("full", &["orders:write", "orders:read"])
        .await;
    let key = As::Key(key);
    // Most of the disk goes to a file that can be taken away later.
    std::fs::write(&filler, vec![0u8; 4 * 1024 * 1024]).unwrap();

    let order = |i: usize| {
        json!({"items": [{"name": format!("Item {i}"), "quantity": 1, "unit_price": 1000}],
               "customer": {"name": "Kim"},
               "fulfillment": {"type": "pickup"},
               "note": "x".repeat(480)})
    };
    let mut taken = Vec::new();
    let mut refused = None;
    for i in 0..20_000 {
        let res = app.post("/api/v1/shops/full/orders", &key, order(i)).await;
        match res.status {
            StatusCode::CREATED => taken.push(res.body["id"].as_str().unwrap().to_owned()),
            status => {
                refused = Some((status, res.code().to_owned(), res.body.clone()));
                break;
            }
        }
    }
    let (status, code, body) = refused.expect("the disk filled up");
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        "{body}"
    );
    assert!(!taken.is_empty());
    eprintln!("the disk filled after {} orders", taken.len());
    // Still full: still a clear 503, and reads keep working.
    let again = app.post("/api/v1/shops/full/orders", &key, order(0)).await;
    assert_eq!(
        again.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        again.body
    );
    assert_eq!(
        app.get("/healthz", &As::Nobody).await.status,
        StatusCode::OK
    );

    // Space comes back: orders are taken again, and none answered 201 went missing.
    std::fs::remove_file(&filler).unwrap();
    let mut back = false;
    for i in 0..50 {
        let res = app.post("/api/v1/shops/full/orders", &key, order(i)).await;
        if res.status == StatusCode::CREATED {
            taken.push(res.body["id"].as_str().unwrap().to_owned());
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(back, "orders are taken again once there is room");
    for id in &taken {
        let res = app
            .get(&format!("/api/v1/shops/full/orders/{id}"), &key)
            .await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "order {id} answered 201 is there"
        );
    }
    drop(app);
    drop(disk);
}

/// A private PostgreSQL cluster in a temporary directory, run as the `postgres` user.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    fn bin(tool: &str) -> Option<PathBuf> {
        let root = Path::new("/usr/lib/postgresql");
        let mut versions: Vec<PathBuf> = std::fs::read_dir(root)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        versions.sort();
        versions
            .into_iter()
            .rev()
            .map(|v| v.join("bin").join(tool))
            .find(|p| p.exists())
    }

    fn as_postgres(args: &[&str]) -> Result<(), String> {
        let out = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .args(args)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", args[0]))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed: {}{}",
                args[0],
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn pg_ctl(&self, action: &str) -> Result<(), String> {
        let pg_ctl = Self::bin("pg_ctl").ok_or("no pg_ctl")?;
        let data = self.dir.path().join("data");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        Self::as_postgres(&[
            pg_ctl.to_str().unwrap(),
            "-D",
            data.to_str().unwrap(),
            "-o",
            &options,
            "-l",
            self.dir.path().join("log").to_str().unwrap(),
            "-m",
            "fast",
            "-w",
            action,
        ])
    }

    fn start() -> Result<Cluster, String> {
        let initdb = Self::bin("initdb").ok_or("no initdb (Debian's postgresql package)")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir.path())
            .status()
            .map_err(|e| e.to_string())
            .and_then(|s| {
                s.success()
                    .then_some(())
                    .ok_or("cannot chown (needs root)".into())
            })?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let data = dir.path().join("data");
        Self::as_postgres(&[
            initdb.to_str().unwrap(),
            "-D",
            data.to_str().unwrap(),
            "-A",
            "trust",
            "-U",
            "postgres",
        ])?;
        let cluster = Cluster { dir, port };
        cluster.pg_ctl("start")?;
        Ok(cluster)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl("stop");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_restart_fails_fast_and_recovers() {
    let cluster = match Cluster::start() {
        Ok(c) => c,
        Err(problem) => {
            assert!(
                std::env::var("ORDERBELL_REQUIRE_FAULTS").as_deref() != Ok("1"),
                "{problem}"
            );
            eprintln!("SKIPPED: {problem}");
            return;
        }
    };
    let mut config =
        orderbell_server::config::Config::for_database(&cluster.url(), "http://orderbell.test");
    config.limits.orders_per_phone_per_hour = 1_000_000;
    let app = std::sync::Arc::new(TestApp::spawn_with(config, None, None).await);
    let (_, key) = app
        .shop_with_key("pg", &["orders:write", "orders:read"])
        .await;
    let key = As::Key(key);

    // Eight clients post orders for as long as it takes to restart the server under them.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..8 {
        let (app, key, stop) = (app.clone(), key.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut taken = Vec::new();
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            let mut slowest = std::time::Duration::ZERO;
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let started = std::time::Instant::now();
                let res = app
                    .post(
                        "/api/v1/shops/pg/orders",
                        &key,
                        json!({"items": [{"name": format!("c{c} #{i}"), "quantity": 1, "unit_price": 1000}],
                               "fulfillment": {"type": "pickup"}}),
                    )
                    .await;
                slowest = slowest.max(started.elapsed());
                *statuses.entry(res.status.as_u16()).or_default() += 1;
                if res.status == StatusCode::CREATED {
                    taken.push(res.body["id"].as_str().unwrap().to_owned());
                } else {
                    assert_eq!(
                        (res.status, res.code()),
                        (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
                        "{}",
                        res.body
                    );
                }
                i += 1;
            }
            (taken, statuses, slowest)
        }));
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let restarted =
        tokio::task::spawn_blocking(move || cluster.pg_ctl("restart").map(|()| cluster))
            .await
            .unwrap()
            .expect("the cluster restarts");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut taken = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut slowest = std::time::Duration::ZERO;
    for client in clients {
        let (t, s, w) = client.await.unwrap();
        taken.extend(t);
        for (k, v) in s {
            *statuses.entry(k).or_default() += v;
        }
        slowest = slowest.max(w);
    }
    eprintln!("through a restart: {statuses:?}, slowest answer {slowest:?}");
    // After the restart orders are taken again.
    let after = app
        .post(
            "/api/v1/shops/pg/orders",
            &key,
            json!({"items": [{"name": "after", "quantity": 1, "unit_price": 1000}]}),
        )
        .await;
    assert_eq!(after.status, StatusCode::CREATED, "{}", after.body);
    // Nothing answered 201 went missing.
    for id in &taken {
        let res = app
            .get(&format!("/api/v1/shops/pg/orders/{id}"), &key)
            .await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "order {id} answered 201 is there"
        );
    }
    assert!(statuses.get(&201).copied().unwrap_or(0) > 0);
    drop(app);
    drop(restarted);
}
