//! Media in an S3-compatible bucket (moto, started by `.ci/run`): instances share originals and
//! renditions through it, a rendition is stored once, a delete reaches every instance, an
//! unreachable store answers 503 and nothing else stops, and objects no image holds are swept.

use crate::backend_tests;
use crate::helpers::*;
use crate::images::{get_bytes, jpeg_with_gps, upload, walk};

backend_tests!(
    an_unreachable_store_answers_503_while_the_rest_keeps_serving,
    images_upload_render_and_delete_on_the_bucket,
    objects_no_image_holds_are_swept_after_the_grace_period,
);

/// Uploads a photo (with the metadata the library asks for) and returns its id.
async fn upload_photo(app: &TestApp, token: &str, photo: &[u8]) -> String {
    let res = upload(
        app,
        token,
        &[
            ("file", Some("photo.jpg"), photo),
            ("alt_text", None, b"A street at dusk"),
            ("credit", None, b"Staff photographer"),
        ],
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text);
    res.json()["id"].as_str().unwrap().to_owned()
}

/// A second instance on the same PostgreSQL database, with a data directory of its own.
async fn second_instance(first: &TestApp, overrides: &[(&str, &str)]) -> TestApp {
    let db = TestDb::alias(&first.db);
    let map = settings(&db, overrides);
    start(db, map).await
}

/// Several instances share one PostgreSQL (SQLite has one writer, so one instance) and one
/// bucket: what one stores, the other serves; what one deletes is gone from both.
#[actix_web::test]
async fn two_instances_share_originals_renditions_and_deletes_through_one_bucket() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let Some(bucket) = TestBucket::new().await else {
        return;
    };
    let media = bucket.settings();
    let first = spawn_app_with(&backend, &pairs(&media)).await;
    let second = second_instance(&first, &pairs(&media)).await;
    let token = first.admin_token().await;
    let id = upload_photo(&first, &token, &jpeg_with_gps(1400, 900, 1)).await;

    // The original, uploaded through the first, read through the second.
    let file = format!("/v1/images/{id}/file");
    let (status, through_second, _, _) = get_bytes(&second, &file, Some(&token)).await;
    assert_eq!(status, 200);
    let (_, through_first, _, _) = get_bytes(&first, &file, Some(&token)).await;
    assert_eq!(through_first, through_second);

    // A rendition made by the second is the one the first serves.
    let rendition = format!("/v1/images/{id}/file?w=640");
    let (status, made, how, _) = get_bytes(&second, &rendition, Some(&token)).await;
    assert_eq!((status, how.as_deref()), (200, Some("generated")));
    let (status, reused, how, _) = get_bytes(&first, &rendition, Some(&token)).await;
    assert_eq!((status, how.as_deref()), (200, Some("stored")));
    assert_eq!(made, reused);
    assert_eq!(image::load_from_memory(&reused).unwrap().width(), 640);

    // Deleted through the first: gone through both, bytes included.
    let etag = first.etag(&format!("/v1/images/{id}"), Some(&token)).await;
    let res = first.delete_image(&token, &id, &etag).await;
    assert_eq!(res.status, 204, "{}", res.text);
    for app in [&first, &second] {
        let meta = app.get_as(&token, &format!("/v1/images/{id}")).await;
        assert_problem(&meta, 404, "not-found");
        assert_eq!(get_bytes(app, &file, Some(&token)).await.0, 404);
        assert_eq!(get_bytes(app, &rendition, Some(&token)).await.0, 404);
    }
    // Its objects went with it: the same bytes uploaded again make the rendition anew.
    let again = upload_photo(&second, &token, &jpeg_with_gps(1400, 900, 1)).await;
    let (status, _, how, _) = get_bytes(
        &first,
        &format!("/v1/images/{again}/file?w=640"),
        Some(&token),
    )
    .await;
    assert_eq!((status, how.as_deref()), (200, Some("generated")));
}

/// Cold requests for one rendition through two instances at once: every one is served the same
/// bytes, and exactly one of them stored it (the bucket's create-if-absent write decides).
#[actix_web::test]
async fn a_rendition_is_stored_once_across_two_instances() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let Some(bucket) = TestBucket::new().await else {
        return;
    };
    let media = bucket.settings();
    let first = spawn_app_with(&backend, &pairs(&media)).await;
    let second = second_instance(&first, &pairs(&media)).await;
    let token = first.admin_token().await;
    let id = upload_photo(&first, &token, &jpeg_with_gps(1600, 1000, 1)).await;
    let path = format!("/v1/images/{id}/file?w=1024");
    let requests = (0..6).map(|n| {
        let app = if n % 2 == 0 { &first } else { &second };
        get_bytes(app, &path, Some(&token))
    });
    let results = futures_util::future::join_all(requests).await;
    let generated = results
        .iter()
        .filter(|r| r.2.as_deref() == Some("generated"))
        .count();
    assert_eq!(
        generated,
        1,
        "{:?}",
        results.iter().map(|r| r.2.clone()).collect::<Vec<_>>()
    );
    assert!(results.iter().all(|r| r.0 == 200 && r.1 == results[0].1));
}

/// The single-instance life of an image on the bucket: upload, the same bytes again (deduplicated),
/// every rendition width, the public read after publication, and a delete.
async fn images_upload_render_and_delete_on_the_bucket(backend: Backend) {
    let Some(bucket) = TestBucket::new().await else {
        return;
    };
    let app = spawn_app_with(&backend, &pairs(&bucket.settings())).await;
    let token = app.admin_token().await;
    let photo = jpeg_with_gps(1200, 800, 6);
    let id = upload_photo(&app, &token, &photo).await;
    let same = upload(&app, &token, &[("file", Some("again.jpg"), &photo)]).await;
    assert_eq!(same.status, 200, "{}", same.text);
    assert_eq!(same.json()["id"], id.as_str());
    let (status, original, _, _) =
        get_bytes(&app, &format!("/v1/images/{id}/file"), Some(&token)).await;
    assert_eq!(status, 200);
    // Orientation 6: stored as uploaded (metadata stripped), turned upright (800 wide) by the
    // renditions; a rendition wider than that is the original.
    let stored = image::load_from_memory(&original).unwrap();
    assert_eq!((stored.width(), stored.height()), (1200, 800));
    let wide = get_bytes(&app, &format!("/v1/images/{id}/file?w=1024"), Some(&token)).await;
    assert_eq!(
        (wide.0, wide.2.as_deref(), &wide.1),
        (200, Some("stored"), &original)
    );
    for width in [320, 640] {
        let path = format!("/v1/images/{id}/file?w={width}");
        let (status, bytes, how, _) = get_bytes(&app, &path, Some(&token)).await;
        assert_eq!(
            (status, how.as_deref()),
            (200, Some("generated")),
            "{width}"
        );
        assert_eq!(image::load_from_memory(&bytes).unwrap().width(), width);
        let (_, again, how, _) = get_bytes(&app, &path, Some(&token)).await;
        assert_eq!((how.as_deref(), again), (Some("stored"), bytes));
    }
    // Embargoed until an article shows it: then public, with the usual cache headers.
    let file = format!("/v1/images/{id}/file?w=320");
    assert_eq!(get_bytes(&app, &file, None).await.0, 404);
    let article = app
        .new_article_id(
            &token,
            &serde_json::json!({
                "title": "Dusk",
                "body": [{"type": "image", "image_id": id}],
            }),
        )
        .await;
    app.publish_article(&token, &article).await;
    let (status, _, _, cache) = get_bytes(&app, &file, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        cache.as_deref(),
        Some("public, max-age=60, must-revalidate")
    );
    let etag = app
        .etag(&format!("/v1/articles/{article}"), Some(&token))
        .await;
    let res = app.delete_article(&token, &article, &etag).await;
    assert_eq!(res.status, 204, "{}", res.text);
    let etag = app.etag(&format!("/v1/images/{id}"), Some(&token)).await;
    assert_eq!(app.delete_image(&token, &id, &etag).await.status, 204);
    assert_eq!(get_bytes(&app, &file, Some(&token)).await.0, 404);
}

/// The store out of reach mid-run: media operations answer 503 with `Retry-After` and write
/// nothing; everything else keeps serving; once the store is back, so is the media.
async fn an_unreachable_store_answers_503_while_the_rest_keeps_serving(backend: Backend) {
    let Some(bucket) = TestBucket::new().await else {
        return;
    };
    let switch = StoreSwitch::start(&bucket.endpoint);
    let app = spawn_app_with(&backend, &pairs(&bucket.settings_via(&switch.endpoint()))).await;
    let token = app.admin_token().await;
    let id = upload_photo(&app, &token, &jpeg_with_gps(900, 600, 1)).await;
    let file = format!("/v1/images/{id}/file");
    assert_eq!(get_bytes(&app, &file, Some(&token)).await.0, 200);

    switch.cut();
    for path in [file.clone(), format!("{file}?w=320")] {
        let res = app.get(&path).bearer(&token).send().await;
        assert_problem(&res, 503, "media-unavailable");
        assert!(res.header("retry-after").is_some(), "{path}");
    }
    let refused = upload(
        &app,
        &token,
        &[
            ("file", Some("late.jpg"), &jpeg_with_gps(700, 500, 1)),
            ("alt_text", None, b"Late"),
        ],
    )
    .await;
    assert_problem(&refused, 503, "media-unavailable");
    assert!(refused.header("retry-after").is_some());
    // Nothing half-written: the library still holds one image. The rest of the API serves.
    let library = app.get_as(&token, "/v1/images").await;
    assert_eq!(library.status, 200);
    assert_eq!(library.json()["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get_as(&token, &format!("/v1/images/{id}")).await.status,
        200
    );
    let article = app
        .post_article(
            &token,
            &serde_json::json!({
                "title": "Still writing",
                "body": [{"type": "paragraph", "text": "Words."}],
            }),
        )
        .await;
    assert_eq!(article.status, 201, "{}", article.text);
    assert_eq!(app.get("/readyz").send().await.status, 200);

    switch.restore();
    eventually("the original is served again", || async {
        (get_bytes(&app, &file, Some(&token)).await.0 == 200).then_some(())
    })
    .await;
    let late = upload_photo(&app, &token, &jpeg_with_gps(700, 500, 1)).await;
    let (status, _, how, _) =
        get_bytes(&app, &format!("/v1/images/{late}/file?w=320"), Some(&token)).await;
    assert_eq!((status, how.as_deref()), (200, Some("generated")));
}

/// Objects whose row never committed (written here by hand, as a crash between an upload's two
/// writes would leave them) are removed once older than the grace period; an image's own stay.
async fn objects_no_image_holds_are_swept_after_the_grace_period(backend: Backend) {
    let app = spawn_app_with(
        &backend,
        &[
            ("MASTHEAD_MEDIA_SWEEP_INTERVAL", "1s"),
            ("MASTHEAD_MEDIA_ORPHAN_GRACE", "3s"),
        ],
    )
    .await;
    let token = app.admin_token().await;
    let id = upload_photo(&app, &token, &jpeg_with_gps(800, 500, 1)).await;
    let rendition = format!("/v1/images/{id}/file?w=320");
    assert_eq!(get_bytes(&app, &rendition, Some(&token)).await.0, 200);
    let media = app.db.dir().join("media");
    let orphan = format!("ab{}", "f".repeat(62));
    let orphans = [
        media.join(format!("originals/ab/{orphan}.jpg")),
        media.join(format!("renditions/ab/{orphan}-w320.jpg")),
    ];
    for path in &orphans {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"half an upload").unwrap();
    }
    eventually("the orphans are swept", || async {
        orphans.iter().all(|p| !p.exists()).then_some(())
    })
    .await;
    assert_eq!(
        walk(&media).len(),
        2,
        "the image's original and rendition stay"
    );
    let (status, _, how, _) = get_bytes(&app, &rendition, Some(&token)).await;
    assert_eq!((status, how.as_deref()), (200, Some("stored")));
}

/// A small PNG that no other `n` gives.
fn small_png(n: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(8, 6, |x, y| {
        image::Rgb([(n % 256) as u8, (n / 256) as u8, (x * 8 + y) as u8])
    });
    let mut out = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// `masthead media migrate` copies a directory of 301 originals and a rendition into
/// the bucket; a second run copies nothing; a server on the bucket serves every one as before.
#[actix_web::test]
async fn a_media_directory_migrates_into_the_bucket_once() {
    let Some(bucket) = TestBucket::new().await else {
        return;
    };
    let app = spawn_app(&Backend::Sqlite).await;
    let token = app.admin_token().await;
    let mut served = Vec::new();
    for n in 0..300 {
        let res = upload(&app, &token, &[("file", Some("n.png"), &small_png(n))]).await;
        assert_eq!(res.status, 201, "{}", res.text);
        let path = format!("/v1/images/{}/file", res.json()["id"].as_str().unwrap());
        let (status, bytes, _, _) = get_bytes(&app, &path, Some(&token)).await;
        assert_eq!(status, 200);
        served.push((path, bytes));
    }
    let photo = upload_photo(&app, &token, &jpeg_with_gps(900, 600, 1)).await;
    let rendition = format!("/v1/images/{photo}/file?w=320");
    let (status, small, _, _) = get_bytes(&app, &rendition, Some(&token)).await;
    assert_eq!(status, 200);
    let db = app.stop().await;

    let media = db.dir().join("media");
    let aws = bucket.settings();
    let env: Vec<(&str, &str)> = pairs(&aws)
        .into_iter()
        .filter(|(k, _)| k.starts_with("AWS_"))
        .collect();
    let from = media.to_str().unwrap();
    let args = ["media", "migrate", "--to", &bucket.url(), "--from", from];
    let first = crate::cli::masthead(db.dir(), &env, &args, None);
    let said = crate::cli::text(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        crate::cli::text(&first.stderr)
    );
    assert_eq!(said.trim(), "copied 302, skipped 0 already there");
    assert!(crate::cli::text(&first.stderr).contains("302/302 objects"));
    let again = crate::cli::masthead(db.dir(), &env, &args, None);
    assert!(
        again.status.success(),
        "{}",
        crate::cli::text(&again.stderr)
    );
    assert_eq!(
        crate::cli::text(&again.stdout).trim(),
        "copied 0, skipped 302 already there"
    );

    // The directory is no longer read: a server on the bucket serves every image as before.
    std::fs::rename(&media, db.dir().join("media-before-the-move")).unwrap();
    let map = settings(&db, &pairs(&aws));
    let app = start(db, map).await;
    for (path, bytes) in &served {
        let (status, now, _, _) = get_bytes(&app, path, Some(&token)).await;
        assert_eq!((status, &now), (200, bytes), "{path}");
    }
    let (status, now, how, _) = get_bytes(&app, &rendition, Some(&token)).await;
    assert_eq!((status, how.as_deref(), now), (200, Some("stored"), small));
}
