//! The printers page: owners add a printer (its token shown once with the command to run),
//! see its connection and paper state, and revoke it; the board shows printer problems.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use crate::support::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn owners_add_see_and_revoke_printers() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner@p.example", "a long password").await;
    let shop = app.shop("prn", &owner).await;
    let cookie = app.page_login("owner@p.example", "a long password").await;
    let page = app.page("/dashboard/prn/printers", &[&cookie]).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.input("csrf");
    let created = app
        .form(
            "/dashboard/prn/printers",
            &[&cookie],
            &[
                ("csrf", &csrf),
                ("op", "create"),
                ("name", "Kitchen <b>"),
                ("auto_print", "on_accept"),
                ("copies", "2"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let token_start = created.body.find("obd_").unwrap();
    let token: String = created.body[token_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    // The token goes into the client's config file, never onto a command line.
    assert!(
        created.body.contains(&format!("token = \"{token}\"")),
        "pairing instructions carry the token"
    );
    assert!(!created.body.contains("--token"), "{}", created.body);
    let config = &created.body[created.body.find("id=\"printer-config\">").unwrap()..];
    let config = &config[config.find('>').unwrap() + 1..config.find("</code>").unwrap()];
    for line in config.lines().filter(|l| !l.starts_with('#')) {
        let (key, value) = line.split_once(" = ").unwrap();
        // The keys of orderbell-printer's TOML file (`FileConfig`, unknown keys refused).
        assert!(
            ["server", "token", "printer", "profile", "text_mode"].contains(&key),
            "{line}"
        );
        assert!(value.starts_with('"') && value.ends_with('"'), "{line}");
    }
    assert!(
        created
            .body
            .contains("orderbell-printer --config /etc/orderbell-printer.toml")
    );
    assert!(
        created.body.contains("Kitchen &lt;b&gt;") || created.body.contains("Kitchen &#60;b&#62;"),
        "names are escaped"
    );
    let printers = app.state.store.printers(&shop).await.unwrap();
    assert_eq!(printers.len(), 1);
    assert_eq!(
        (printers[0].auto_print.as_str(), printers[0].copies),
        ("on_accept", 2)
    );

    // The list shows it offline and never connected; the token is not shown again.
    let page = app.page("/dashboard/prn/printers", &[&cookie]).await;
    assert!(!page.body.contains(&token));
    assert!(page.body.contains("data-online=\"false\""));

    // A printer problem shows on the board.
    app.state
        .store
        .printer_state(&printers[0].id, "paper_out", None, app.state.now())
        .await
        .unwrap();
    let board = app.page("/dashboard/prn", &[&cookie]).await;
    assert!(
        board.body.contains("data-problem=\"true\""),
        "{}",
        board.body
    );

    // A form without the page's token is refused; with it the printer is revoked.
    let refused = app
        .form(
            "/dashboard/prn/printers",
            &[&cookie],
            &[
                ("csrf", "0000"),
                ("op", "revoke"),
                ("id", printers[0].id.as_str()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let revoked = app
        .form(
            "/dashboard/prn/printers",
            &[&cookie],
            &[
                ("csrf", &csrf),
                ("op", "revoke"),
                ("id", printers[0].id.as_str()),
            ],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert!(
        app.state.store.printers(&shop).await.unwrap()[0]
            .revoked_at
            .is_some()
    );
}
