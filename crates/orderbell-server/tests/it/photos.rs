//! Menu item photos: uploaded through the API and the menu editor, resized and re-encoded by
//! the server, served with cache headers, shown on the guest page; bad uploads refused with a
//! clear error and nothing stored.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use image::{ImageEncoder, Rgb, RgbImage};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::pages_support::KO;
use crate::support::{As, TestApp};

/// A photo as a camera app would send it: a JPEG, larger than the server keeps.
fn camera_jpeg(width: u32, height: u32) -> Vec<u8> {
    let picture = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(&picture, width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

async fn put(
    app: &TestApp,
    key: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> crate::support::Response {
    app.send(
        app.http
            .put(format!("{}{path}", app.base))
            .bearer_auth(key)
            .header("content-type", content_type)
            .body(body),
    )
    .await
}

#[tokio::test]
async fn an_items_photo_through_the_api() {
    let app = TestApp::spawn().await;
    let (_, key) = app.shop_with_key("photo", &["manage", "orders:read"]).await;
    let manager = As::Key(key.clone());
    let category = app
        .post(
            "/api/v1/shops/photo/menu/categories",
            &manager,
            json!({"name": "Cakes"}),
        )
        .await;
    let item = app
        .post(
            "/api/v1/shops/photo/menu/items",
            &manager,
            json!({"category_id": category.body["id"], "name": "Cheesecake", "price": 6000}),
        )
        .await;
    assert_eq!(item.status, StatusCode::CREATED, "{}", item.body);
    let id = item.body["id"].as_str().unwrap().to_owned();
    assert!(item.body.get("photo_url").is_none(), "{}", item.body);
    let path = format!("/api/v1/shops/photo/menu/items/{id}/photo");

    // A 3000 × 2000 camera JPEG is kept as a 1024 × 683 JPEG at a new address.
    let res = put(&app, &key, &path, "image/jpeg", camera_jpeg(3000, 2000)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let url = res.body["photo_url"].as_str().unwrap().to_owned();
    let prefix = format!("/media/items/{id}/");
    let digest = url
        .strip_prefix(&prefix)
        .and_then(|f| f.strip_suffix(".jpg"))
        .unwrap();
    assert_eq!(digest.len(), 64, "{url}");
    let served = app
        .http
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(
        served.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = served.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{digest}\""));
    let bytes = served.bytes().await.unwrap();
    let kept = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).unwrap();
    assert_eq!((kept.width(), kept.height()), (1024, 683));
    assert!(bytes.len() < 400_000, "{} bytes", bytes.len());
    let again = app
        .http
        .get(format!("{}{url}", app.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // The public menu and the guest page show it.
    let menu = app.get("/api/v1/shops/photo/menu", &As::Nobody).await;
    assert_eq!(
        menu.body["categories"][0]["items"][0]["photo_url"],
        url.as_str()
    );
    let guest = app.page("/s/photo", &[]).await;
    assert!(
        guest.body.contains(&format!("src=\"{url}\"")),
        "{}",
        guest.body
    );

    // What is not a photo is refused, and the photo stays.
    let res = put(&app, &key, &path, "text/plain", b"hello".to_vec()).await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let res = put(&app, &key, &path, "image/png", b"not a png at all".to_vec()).await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    assert_eq!(res.body["error"]["fields"][0]["field"], "photo");
    let res = put(
        &app,
        &key,
        &path,
        "image/jpeg",
        vec![0xFF; 11 * 1024 * 1024],
    )
    .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let menu = app.get("/api/v1/shops/photo/menu", &As::Nobody).await;
    assert_eq!(
        menu.body["categories"][0]["items"][0]["photo_url"],
        url.as_str()
    );

    // A key without `manage` may not; another shop's key does not find the item.
    let shop = app
        .state
        .store
        .shop_by_slug("photo")
        .await
        .unwrap()
        .unwrap();
    let reader = orderbell_server::api::shops::issue_api_key(
        &app.state,
        &shop.id,
        "reader",
        vec![orderbell_store::Scope::parse("orders:read").unwrap()],
    )
    .await
    .unwrap()
    .key;
    let res = put(&app, &reader, &path, "image/jpeg", camera_jpeg(10, 10)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let (_, other) = app.shop_with_key("other", &["manage"]).await;
    let res = put(
        &app,
        &other,
        &format!("/api/v1/shops/other/menu/items/{id}/photo"),
        "image/jpeg",
        camera_jpeg(10, 10),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);

    // A new photo gets a new address; the old one is gone. Removing it empties the field.
    let res = put(&app, &key, &path, "image/jpeg", camera_jpeg(200, 100)).await;
    let second = res.body["photo_url"].as_str().unwrap().to_owned();
    assert_ne!(second, url);
    let old = app
        .http
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::NOT_FOUND);
    let res = app.call(Method::DELETE, &path, &manager, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.get("photo_url").is_none(), "{}", res.body);
    let gone = app
        .http
        .get(format!("{}{second}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let nonsense = app
        .http
        .get(format!("{}/media/items/not-an-id/x.jpg", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(nonsense.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn owners_upload_a_photo_in_the_menu_editor() {
    let app = TestApp::spawn().await;
    let (latte, _, _) = crate::pages::demo(&app).await;
    let cookie = app
        .member_cookie(
            "demo",
            "owner@photo.example",
            orderbell_core::user::Role::Owner,
        )
        .await;
    let editor = app.page("/dashboard/demo/menu", &[&cookie, KO]).await;
    assert!(editor.body.contains("사진 올리기"), "{}", editor.body);
    let csrf = editor.input("csrf");
    let fields = [
        ("csrf", csrf.as_str()),
        ("id", latte.as_str()),
        ("anchor", "x"),
    ];

    // Not a photo: said on the page in Korean, nothing stored.
    let bad = app
        .upload(
            "/dashboard/demo/menu/photo",
            &[&cookie, KO],
            &fields,
            ("photo", "menu.txt", "text/plain", b"latte 4500"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(
        bad.body.contains("JPEG, PNG, WebP 사진을 고르세요."),
        "{}",
        bad.body
    );

    let ok = app
        .upload(
            "/dashboard/demo/menu/photo",
            &[&cookie],
            &fields,
            ("photo", "latte.jpg", "image/jpeg", &camera_jpeg(1200, 1600)),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let guest = app.page("/s/demo", &[]).await;
    let shown = guest
        .body
        .find("class=\"item-photo\" src=\"/media/items/")
        .expect("a photo on the guest page");
    let src = &guest.body[shown + "class=\"item-photo\" src=\"".len()..];
    let src = &src[..src.find('"').unwrap()];
    let served = app
        .http
        .get(format!("{}{src}", app.base))
        .send()
        .await
        .unwrap();
    let kept = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
    assert_eq!((kept.width(), kept.height()), (768, 1024));

    // Staff may not upload; without the form's token nothing happens.
    let staff = app
        .member_cookie(
            "demo",
            "staff@photo.example",
            orderbell_core::user::Role::Staff,
        )
        .await;
    let staff_csrf = app
        .page("/dashboard/demo/menu", &[&staff])
        .await
        .input("csrf");
    let refused = app
        .upload(
            "/dashboard/demo/menu/photo",
            &[&staff],
            &[("csrf", staff_csrf.as_str()), ("id", latte.as_str())],
            ("photo", "x.jpg", "image/jpeg", &camera_jpeg(10, 10)),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let forged = app
        .upload(
            "/dashboard/demo/menu/photo",
            &[&cookie],
            &[("csrf", "forged"), ("id", latte.as_str())],
            ("photo", "x.jpg", "image/jpeg", &camera_jpeg(10, 10)),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        app.page("/s/demo", &[]).await.body.contains(src),
        "the photo stayed"
    );

    // Removing it takes it off the guest page.
    let removed = app
        .form(
            "/dashboard/demo/menu",
            &[&cookie],
            &[
                ("csrf", csrf.as_str()),
                ("op", "remove_photo"),
                ("id", latte.as_str()),
            ],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert!(!app.page("/s/demo", &[]).await.body.contains("item-photo"));
}
