//! Images and captions: safe uploads, stripped metadata, renditions, captions per use, embargo.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

const SECRET: &[u8] = b"SECRET-LOCATION-DATA";

/// A JPEG of `width`×`height` whose EXIF holds an orientation and a GPS block with a secret.
pub fn jpeg_with_gps(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
        .encode_image(&img)
        .unwrap();
    // TIFF (big-endian): IFD0 {Orientation, GPSInfo → GPS IFD}, GPS IFD {LatitudeRef "N",
    // ProcessingMethod → 20 bytes of secret}.
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08");
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 38]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x00, 0x01, 0x00, 0x02, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0x00, 0x1b, 0x00, 0x07, 0, 0, 0, 20, 0, 0, 0, 68]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(SECRET);
    let mut app1 = vec![0xff, 0xe1];
    app1.extend_from_slice(&u16::try_from(2 + 6 + tiff.len()).unwrap().to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// The bytes from the start-of-scan marker on: the compressed picture itself.
fn scan_data(jpeg: &[u8]) -> &[u8] {
    let sos = jpeg
        .windows(2)
        .position(|w| w == [0xff, 0xda])
        .expect("SOS");
    &jpeg[sos..]
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A PNG that claims to be 100,000 × 100,000 pixels.
fn png_bomb() -> Vec<u8> {
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &ihdr));
    out.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

/// A multipart body: `(name, filename, bytes)` parts.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "masthead-test-boundary-7d3f";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn upload(app: &TestApp, token: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Resp {
    let (content_type, body) = multipart(parts);
    app.upload_image(token, &content_type, &body).await
}

pub async fn get_bytes(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
) -> (u16, Vec<u8>, Option<String>, Option<String>) {
    // Renditions are made by a debug build, maybe on a busy machine: more than awc's 5 s.
    let client = awc::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .finish();
    let mut req = client.get(format!("{}{}", app.base, path));
    if let Some(t) = token {
        req = req.insert_header(("authorization", format!("Bearer {t}")));
    }
    let mut res = req.send().await.unwrap();
    let body = res.body().limit(64 * 1024 * 1024).await.unwrap().to_vec();
    let header = |n: &str| {
        res.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    (
        res.status().as_u16(),
        body,
        header("x-rendition"),
        header("cache-control"),
    )
}

async fn draft(app: &TestApp, token: &str, title: &str, body: Value) -> Value {
    let res = app
        .post_article(token, &json!({"title": title, "body": body}))
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    res.json()
}

async fn patch_article(app: &TestApp, token: &str, id: &str, change: Value) -> Resp {
    app.update_article(token, id, "*", &change).await
}

async fn location_is_stripped_pixels_kept_and_orientation_applied(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let original = jpeg_with_gps(800, 600, 6);
    let res = upload(
        &app,
        &editor,
        &[
            ("file", Some("holiday.png"), &original),
            ("alt_text", None, b"A test pattern"),
            ("credit", None, b"Photo: Test Desk"),
        ],
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let image = res.json();
    let id = image["id"].as_str().unwrap().to_owned();
    assert_eq!(
        res.header("location"),
        Some(format!("/v1/images/{id}").as_str())
    );
    assert_eq!(
        image["content_type"], "image/jpeg",
        "sniffed, not taken from the file name"
    );
    // Orientation 6 turns the 800×600 sensor image upright: 600 wide, 800 high.
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(600), Some(800))
    );
    assert_eq!(image["credit"], "Photo: Test Desk");

    let (status, stored, _, cache) =
        get_bytes(&app, &format!("/v1/images/{id}/file"), Some(&editor)).await;
    assert_eq!(status, 200);
    assert!(
        !stored.windows(SECRET.len()).any(|w| w == SECRET),
        "GPS data survived"
    );
    assert!(
        !stored.windows(2).any(|w| w == [0x88, 0x25]),
        "a GPS IFD pointer survived"
    );
    assert_eq!(
        scan_data(&stored),
        scan_data(&original),
        "the compressed picture is untouched"
    );
    assert_eq!(stored.len() as u64, image["byte_size"].as_u64().unwrap());
    assert_eq!(
        cache.as_deref(),
        Some("private, no-cache"),
        "embargoed bytes are not cacheable by others"
    );
    let decoded = image::load_from_memory(&stored).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (800, 600));

    let (status, small, made, _) =
        get_bytes(&app, &format!("/v1/images/{id}/file?w=320"), Some(&editor)).await;
    assert_eq!(status, 200);
    assert_eq!(made.as_deref(), Some("generated"));
    assert!(!small.windows(SECRET.len()).any(|w| w == SECRET));
    let small_img = image::load_from_memory(&small).unwrap();
    assert_eq!(small_img.width(), 320, "rendition width, upright");
    assert_eq!(small_img.height(), 427);
    let (_, again, made, _) =
        get_bytes(&app, &format!("/v1/images/{id}/file?w=320"), Some(&editor)).await;
    assert_eq!(made.as_deref(), Some("stored"), "made once, then kept");
    assert_eq!(again, small);
    // Wider than the original: the original.
    let (_, wide, _, _) =
        get_bytes(&app, &format!("/v1/images/{id}/file?w=2048"), Some(&editor)).await;
    assert_eq!(wide, stored);

    // The same bytes again: the same image, stored once.
    let dup = upload(&app, &editor, &[("file", Some("again.jpg"), &original)]).await;
    assert_eq!(dup.status, 200, "{}", dup.text);
    assert_eq!(dup.json()["id"], image["id"]);
    let files: Vec<_> = walk(&app.db.dir().join("media/originals"));
    assert_eq!(files.len(), 1, "{files:?}");
}

pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn a_rendition_is_made_once_under_concurrent_requests(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let res = upload(
        &app,
        &editor,
        &[("file", Some("a.jpg"), &jpeg_with_gps(1400, 900, 1))],
    )
    .await;
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/images/{id}/file?w=640");
    let requests = (0..6).map(|_| get_bytes(&app, &path, Some(&editor)));
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

/// A photo (with alt text and credit) used in two drafts, each use with a caption of its own:
/// featured in the first, in the body of the second.
struct TwoUses {
    editor: String,
    image_id: String,
    articles: [String; 2],
    captions: Vec<Value>,
}

async fn a_photo_in_two_drafts(app: &TestApp) -> TwoUses {
    let editor = app.admin_token().await;
    let photo = upload(
        app,
        &editor,
        &[
            ("file", Some("p.jpg"), &jpeg_with_gps(640, 480, 1)),
            ("alt_text", None, b"Soldiers on a field"),
            ("credit", None, b"Photo via Wikimedia Commons"),
        ],
    )
    .await
    .json();
    let image_id = photo["id"].as_str().unwrap().to_owned();
    let first = draft(
        app,
        &editor,
        "Troops arrive",
        json!([{"type": "paragraph", "text": "Text."}]),
    )
    .await;
    let second = draft(
        app,
        &editor,
        "Analysis of the deployment",
        json!([{"type": "paragraph", "text": "Text."}]),
    )
    .await;
    let (a1, a2) = (
        first["id"].as_str().unwrap(),
        second["id"].as_str().unwrap(),
    );

    let mut captions = Vec::new();
    for (article, text, credit) in [
        (a1, "Soldiers, illustrative image.", None),
        (a2, "The same unit in training.", Some("Archive photo")),
    ] {
        let res = app
            .post_json(
                &editor,
                "/v1/captions",
                &json!({"image_id": image_id, "article_id": article, "text": text, "credit": credit, "illustrative": true}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text);
        captions.push(res.json());
    }
    let featured =
        |c: &Value| json!({"featured_image": {"image_id": image_id, "caption_id": c["id"]}});
    assert_eq!(
        patch_article(app, &editor, a1, featured(&captions[0]))
            .await
            .status,
        200
    );
    let body_use = json!({"body": [{"type": "paragraph", "text": "Text."}, {"type": "image", "image_id": image_id, "caption_id": captions[1]["id"]}]});
    let res = patch_article(app, &editor, a2, body_use).await;
    assert_eq!(res.status, 200, "{}", res.text);
    TwoUses {
        editor,
        image_id,
        articles: [a1.to_owned(), a2.to_owned()],
        captions,
    }
}

async fn each_use_has_its_own_caption_and_credit(backend: Backend) {
    let app = spawn_app(&backend).await;
    let TwoUses {
        editor,
        image_id,
        articles: [a1, _],
        captions,
    } = a_photo_in_two_drafts(&app).await;
    assert_eq!(
        captions[0]["effective_credit"],
        "Photo via Wikimedia Commons"
    );
    assert_eq!(
        captions[1]["effective_credit"], "Archive photo",
        "a caption's credit overrides the image's"
    );

    let featured =
        |c: &Value| json!({"featured_image": {"image_id": image_id, "caption_id": c["id"]}});
    // A caption of the other article cannot be borrowed.
    let borrowed = patch_article(&app, &editor, &a1, featured(&captions[1])).await;
    assert_eq!(
        problem_fields(&assert_problem(&borrowed, 422, "validation")),
        vec!["featured_image.caption_id"]
    );
}

async fn the_embargo_holds_until_publication(backend: Backend) {
    let app = spawn_app(&backend).await;
    let TwoUses {
        editor,
        image_id,
        articles: [a1, a2],
        captions,
    } = a_photo_in_two_drafts(&app).await;
    let (a1, a2) = (a1.as_str(), a2.as_str());

    // Embargo: nothing is public before publication.
    assert_problem(
        &app.get(&format!("/v1/images/{image_id}")).send().await,
        404,
        "not-found",
    );
    let (status, _, _, _) = get_bytes(&app, &format!("/v1/images/{image_id}/file"), None).await;
    assert_eq!(status, 404);
    assert_problem(
        &app.get(&format!(
            "/v1/captions/{}",
            captions[0]["id"].as_str().unwrap()
        ))
        .send()
        .await,
        404,
        "not-found",
    );
    assert_eq!(
        app.get_as(&editor, &format!("/v1/images/{image_id}"))
            .await
            .status,
        200
    );

    for id in [a1, a2] {
        let res = app.publish(&editor, id).await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let one = app.get(&format!("/v1/articles/{a1}")).send().await.json();
    let two = app.get(&format!("/v1/articles/{a2}")).send().await.json();
    assert_eq!(one["images"][0]["usage"], "featured");
    assert_eq!(
        one["images"][0]["caption"]["text"],
        "Soldiers, illustrative image."
    );
    assert_eq!(
        one["images"][0]["caption"]["effective_credit"],
        "Photo via Wikimedia Commons"
    );
    assert_eq!(one["images"][0]["image"]["alt_text"], "Soldiers on a field");
    assert_eq!(one["images"][0]["image"]["width"], 640);
    assert_eq!(two["images"][0]["usage"], "body");
    assert_eq!(two["images"][0]["block"], 1);
    assert_eq!(
        two["images"][0]["caption"]["text"],
        "The same unit in training."
    );
    assert_eq!(
        two["images"][0]["caption"]["effective_credit"],
        "Archive photo"
    );

    // Now public, cached for a minute and then revalidated (see the takedown test).
    assert_eq!(
        app.get(&format!("/v1/images/{image_id}"))
            .send()
            .await
            .status,
        200
    );
    let (status, _, _, cache) =
        get_bytes(&app, &format!("/v1/images/{image_id}/file?w=320"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        cache.as_deref(),
        Some("public, max-age=60, must-revalidate")
    );
    let file = app.get(&format!("/v1/images/{image_id}/file")).send().await;
    let etag = file.header("etag").unwrap().to_owned();
    assert_eq!(
        app.get(&format!("/v1/images/{image_id}/file"))
            .header("if-none-match", &etag)
            .send()
            .await
            .status,
        304
    );
    let listed = app
        .get(&format!("/v1/captions?image_id={image_id}"))
        .send()
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);

    // In use: it cannot be deleted, and the answer names the articles.
    let tag = app
        .get_as(&editor, &format!("/v1/images/{image_id}"))
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let refused = app.delete_image(&editor, &image_id, &tag).await;
    let problem = assert_problem(&refused, 409, "conflict");
    assert!(
        problem["detail"].as_str().unwrap().contains(a1),
        "{problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains(a2),
        "{problem}"
    );
}

async fn no_photo_goes_out_without_alt_text_and_credit(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let bare = upload(
        &app,
        &editor,
        &[("file", Some("b.jpg"), &jpeg_with_gps(300, 200, 1))],
    )
    .await
    .json();
    let id = bare["id"].as_str().unwrap();
    let a = draft(
        &app,
        &editor,
        "Photo story",
        json!([{"type": "image", "image_id": id}]),
    )
    .await;
    let article = a["id"].as_str().unwrap();
    let res = app.publish(&editor, article).await;
    let problem = assert_problem(&res, 422, "validation");
    let messages: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{problem}");
    assert!(messages.iter().any(|m| m.contains("alt text")), "{problem}");
    assert!(messages.iter().any(|m| m.contains("credit")), "{problem}");
    assert_eq!(
        app.get_as(&editor, &format!("/v1/articles/{article}"))
            .await
            .json()["status"],
        "draft"
    );

    let tag = app
        .get_as(&editor, &format!("/v1/images/{id}"))
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let fixed = app
        .update_image(
            &editor,
            id,
            &tag,
            &json!({"alt_text": "A street at night", "credit": "Staff photographer"}),
        )
        .await;
    assert_eq!(fixed.status, 200, "{}", fixed.text);
    let res = app.publish(&editor, article).await;
    assert_eq!(res.status, 200, "{}", res.text);
}

async fn bad_uploads_are_refused_and_store_nothing(backend: Backend) {
    let app = spawn_app_with(&backend, &[("MASTHEAD_MAX_UPLOAD_BYTES", "200000")]).await;
    let editor = app.admin_token().await;
    let good = jpeg_with_gps(200, 100, 1);
    let truncated = &good[..good.len() / 2];
    let bomb = png_bomb();
    type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);
    let cases: Vec<(&str, Vec<Part<'_>>, u16)> = vec![
        (
            "text renamed .jpg",
            vec![("file", Some("photo.jpg"), b"<html>not an image</html>")],
            415,
        ),
        (
            "truncated JPEG",
            vec![("file", Some("t.jpg"), truncated)],
            422,
        ),
        ("PNG bomb", vec![("file", Some("bomb.png"), &bomb)], 422),
        ("empty file", vec![("file", Some("e.jpg"), b"")], 422),
        ("no file part", vec![("alt_text", None, b"alt")], 422),
        (
            "two files",
            vec![
                ("file", Some("a.jpg"), &good),
                ("file", Some("b.jpg"), &good),
            ],
            422,
        ),
        (
            "unknown part",
            vec![
                ("file", Some("a.jpg"), &good),
                ("gps", None, b"50.45,30.52"),
            ],
            422,
        ),
        (
            "bad source URL",
            vec![
                ("file", Some("a.jpg"), &good),
                ("source_url", None, b"javascript:alert(1)"),
            ],
            422,
        ),
    ];
    for (name, parts, status) in cases {
        let res = upload(&app, &editor, &parts).await;
        assert_eq!(res.status, status, "{name}: {}", res.text);
        assert_eq!(
            res.header("content-type"),
            Some("application/problem+json"),
            "{name}"
        );
    }
    let mut huge = good.clone();
    huge.extend(std::iter::repeat_n(0u8, 250_000));
    let res = upload(&app, &editor, &[("file", Some("huge.jpg"), &huge)]).await;
    assert_problem(&res, 413, "payload-too-large");
    let not_multipart = app
        .post_json(&editor, "/v1/images", &json!({"file": "x"}))
        .await;
    assert_problem(&not_multipart, 415, "unsupported-media-type");
    let anonymous = upload(&app, "not-a-token", &[("file", Some("a.jpg"), &good)]).await;
    assert_problem(&anonymous, 401, "unauthorized");

    // Nothing was stored: no row, no file.
    let list = app.get_as(&editor, "/v1/images").await.json();
    assert!(list["items"].as_array().unwrap().is_empty(), "{list}");
    assert!(walk(&app.db.dir().join("media")).is_empty());

    let ok = upload(&app, &editor, &[("file", Some("a.jpg"), &good)])
        .await
        .json();
    let id = ok["id"].as_str().unwrap();
    assert_problem(
        &app.get_as(&editor, &format!("/v1/images/{id}/file?w=500"))
            .await,
        422,
        "validation",
    );
    assert_problem(
        &app.get_as(&editor, &format!("/v1/images/{id}/file?w=wide"))
            .await,
        400,
        "bad-request",
    );

    let article = draft(
        &app,
        &editor,
        "Captioned",
        json!([{"type": "paragraph", "text": "Text."}]),
    )
    .await;
    let aid = article["id"].as_str().unwrap();
    let caption =
        |image: &str, text: String| json!({"image_id": image, "article_id": aid, "text": text});
    let missing_image = app
        .post_json(
            &editor,
            "/v1/captions",
            &caption("01a21bf6-30cb-75a9-98ac-4726716e4db0", "Words.".into()),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(&missing_image, 422, "validation")),
        vec!["image_id"]
    );
    let long = app
        .post_json(&editor, "/v1/captions", &caption(id, "x".repeat(10_000)))
        .await;
    assert_eq!(
        problem_fields(&assert_problem(&long, 422, "validation")),
        vec!["text"]
    );
    let none = app
        .get_as(&editor, &format!("/v1/captions?article_id={aid}"))
        .await
        .json();
    assert!(none["items"].as_array().unwrap().is_empty());
    let ghost = patch_article(
        &app,
        &editor,
        aid,
        json!({"body": [{"type": "image", "image_id": "01a21bf6-30cb-75a9-98ac-4726716e4db0"}]}),
    )
    .await;
    assert_eq!(
        problem_fields(&assert_problem(&ghost, 422, "validation")),
        vec!["body[0].image_id"]
    );
}

async fn an_unused_image_is_deleted_with_its_files(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let img = upload(
        &app,
        &editor,
        &[("file", Some("d.jpg"), &jpeg_with_gps(900, 500, 1))],
    )
    .await
    .json();
    let id = img["id"].as_str().unwrap();
    let (status, _, _, _) =
        get_bytes(&app, &format!("/v1/images/{id}/file?w=320"), Some(&editor)).await;
    assert_eq!(status, 200);
    assert_eq!(walk(&app.db.dir().join("media")).len(), 2);
    let no_match = app
        .delete(&format!("/v1/images/{id}"))
        .bearer(&editor)
        .send()
        .await;
    assert_problem(&no_match, 428, "precondition-required");
    let res = app.delete_image(&editor, id, "\"v1\"").await;
    assert_eq!(res.status, 204, "{}", res.text);
    assert!(walk(&app.db.dir().join("media")).is_empty());
    assert_problem(
        &app.get_as(&editor, &format!("/v1/images/{id}")).await,
        404,
        "not-found",
    );
}

/// An article shows its images' alt text and credit and its captions, and a caption its image's
/// credit; none of them is the article's or the caption's own version. When they change, a
/// conditional read must not answer 304 with the old credit, and an editor's save with the new
/// tag still goes through.
async fn a_new_credit_is_a_new_etag_for_every_page_that_shows_it(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let photo = upload(
        &app,
        &editor,
        &[
            ("file", Some("p.jpg"), &jpeg_with_gps(64, 48, 1)),
            ("alt_text", None, b"A ferry at the quay"),
            ("credit", None, b"Photo: Harbour Desk"),
        ],
    )
    .await
    .json();
    let image_id = photo["id"].as_str().unwrap().to_owned();
    let article = draft(
        &app,
        &editor,
        "Ferry returns",
        json!([{"type": "paragraph", "text": "Text."}]),
    )
    .await;
    let id = article["id"].as_str().unwrap().to_owned();
    let caption = app
        .post_json(
            &editor,
            "/v1/captions",
            &json!({"image_id": image_id, "article_id": id, "text": "The ferry docks."}),
        )
        .await
        .json();
    let caption_path = format!("/v1/captions/{}", caption["id"].as_str().unwrap());
    let featured = json!({"featured_image": {"image_id": image_id, "caption_id": caption["id"]}});
    assert_eq!(
        patch_article(&app, &editor, &id, featured).await.status,
        200
    );
    app.publish_article(&editor, &id).await;
    let article_path = format!("/v1/articles/{id}");

    let before = app.get(&article_path).send().await;
    let article_tag = before.header("etag").unwrap().to_owned();
    let caption_tag = app.etag(&caption_path, None).await;
    for (path, tag) in [(&article_path, &article_tag), (&caption_path, &caption_tag)] {
        let same = app.get(path).header("if-none-match", tag).send().await;
        assert_eq!(same.status, 304, "{path}");
    }

    let image_tag = app.etag(&format!("/v1/images/{image_id}"), None).await;
    let recredited = app
        .update_image(
            &editor,
            &image_id,
            &image_tag,
            &json!({"credit": "Photo: Port Authority"}),
        )
        .await;
    assert_eq!(recredited.status, 200, "{}", recredited.text);

    let after = app
        .get(&article_path)
        .header("if-none-match", &article_tag)
        .send()
        .await;
    assert_eq!(after.status, 200, "the old credit is not current");
    assert_eq!(
        after.json()["images"][0]["caption"]["effective_credit"],
        "Photo: Port Authority"
    );
    let new_tag = after.header("etag").unwrap().to_owned();
    assert_ne!(new_tag, article_tag);
    assert_eq!(after.json()["version"], before.json()["version"]);
    let caption_after = app
        .get(&caption_path)
        .header("if-none-match", &caption_tag)
        .send()
        .await;
    assert_eq!(caption_after.status, 200);
    assert_eq!(
        caption_after.json()["effective_credit"],
        "Photo: Port Authority"
    );

    // Both tags name the article's version: a save with the one read before the new credit goes
    // through (the credit is not the article's own), and then the article has moved on, so the
    // other, of the version before that save, is refused.
    let saved = app
        .update_article(
            &editor,
            &id,
            &article_tag,
            &json!({"standfirst": "Sailings resume on Monday."}),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    let stale = app
        .update_article(
            &editor,
            &id,
            &new_tag,
            &json!({"standfirst": "Sailings resume on Tuesday."}),
        )
        .await;
    assert_problem(&stale, 412, "precondition-failed");
}

/// The longest a cache may serve a public image without asking again, in seconds: as long as a
/// withdrawn picture may go on showing.
const IMAGE_STALENESS: u64 = 60;

/// How long `cache_control` lets any cache serve a response without revalidating it (a
/// `stale-*` extension adds to `max-age`; `immutable` means forever).
fn staleness_allowed(cache_control: &str) -> u64 {
    let mut max_age = None;
    let mut stale = 0;
    let mut must_revalidate = false;
    for directive in cache_control.split(',').map(str::trim) {
        let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
        let seconds = || value.trim_matches('"').parse::<u64>().unwrap();
        match name.to_ascii_lowercase().as_str() {
            "immutable" => return u64::MAX,
            // A shared cache obeys s-maxage over max-age: the larger bounds them all.
            "max-age" | "s-maxage" => max_age = Some(max_age.unwrap_or(0).max(seconds())),
            "stale-while-revalidate" | "stale-if-error" => stale += seconds(),
            "must-revalidate" | "proxy-revalidate" => must_revalidate = true,
            _ => {}
        }
    }
    // Without max-age a cache picks its own freshness (heuristics): unbounded.
    let Some(max_age) = max_age else {
        return u64::MAX;
    };
    // must-revalidate forbids serving stale once expired, whatever the extensions say.
    if must_revalidate {
        max_age
    } else {
        max_age + stale
    }
}

/// A takedown: once the only story that shows a picture is unpublished, its URL is 404 — even
/// to a cache revalidating with the ETag it holds — and no cache was allowed to keep serving it
/// for longer than a minute.
async fn a_withdrawn_image_is_404_and_was_cached_only_briefly(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let photo = upload(
        &app,
        &editor,
        &[
            ("file", Some("p.jpg"), &jpeg_with_gps(900, 600, 1)),
            ("alt_text", None, b"A protester on a car"),
            ("credit", None, b"Staff photographer"),
        ],
    )
    .await
    .json();
    let image_id = photo["id"].as_str().unwrap().to_owned();
    let article = draft(
        &app,
        &editor,
        "Night of protests",
        json!([{"type": "paragraph", "text": "Text."}, {"type": "image", "image_id": image_id}]),
    )
    .await;
    let article_id = article["id"].as_str().unwrap();
    let res = app.publish(&editor, article_id).await;
    assert_eq!(res.status, 200, "{}", res.text);

    let mut etags = Vec::new();
    for path in [
        format!("/v1/images/{image_id}/file"),
        format!("/v1/images/{image_id}/file?w=320"),
    ] {
        let res = app.get(&path).send().await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        let cache = res.header("cache-control").unwrap().to_owned();
        assert!(
            staleness_allowed(&cache) <= IMAGE_STALENESS,
            "{path}: `{cache}` lets caches serve it for longer than {IMAGE_STALENESS} s"
        );
        assert!(cache.starts_with("public"), "{cache}");
        let etag = res.header("etag").unwrap().to_owned();
        // Revalidation is cheap: 304, no bytes, and the same policy.
        let again = app.get(&path).header("if-none-match", &etag).send().await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.text.is_empty());
        assert_eq!(again.header("cache-control"), Some(cache.as_str()));
        etags.push((path, etag));
    }

    // The takedown.
    let res = app.unpublish(&editor, article_id).await;
    assert_eq!(res.status, 200, "{}", res.text);
    for (path, etag) in &etags {
        assert_problem(&app.get(path).send().await, 404, "not-found");
        // A cache revalidating what it holds hears 404, not 304.
        assert_problem(
            &app.get(path).header("if-none-match", etag).send().await,
            404,
            "not-found",
        );
    }
    // Staff still see it, privately.
    let staff = app
        .get_as(&editor, &format!("/v1/images/{image_id}/file"))
        .await;
    assert_eq!(staff.status, 200);
    assert_eq!(staff.header("cache-control"), Some("private, no-cache"));
}

#[test]
fn staleness_is_read_from_cache_control_as_a_cache_would() {
    assert_eq!(
        staleness_allowed("public, max-age=31536000, immutable"),
        u64::MAX
    );
    assert_eq!(staleness_allowed("public, max-age=60, must-revalidate"), 60);
    assert_eq!(
        staleness_allowed("public, max-age=60, stale-while-revalidate=30"),
        90
    );
    assert_eq!(staleness_allowed("public, max-age=10, s-maxage=600"), 600);
    assert_eq!(staleness_allowed("public"), u64::MAX);
}

backend_tests!(
    a_withdrawn_image_is_404_and_was_cached_only_briefly,
    a_new_credit_is_a_new_etag_for_every_page_that_shows_it,
    location_is_stripped_pixels_kept_and_orientation_applied,
    a_rendition_is_made_once_under_concurrent_requests,
    each_use_has_its_own_caption_and_credit,
    the_embargo_holds_until_publication,
    no_photo_goes_out_without_alt_text_and_credit,
    bad_uploads_are_refused_and_store_nothing,
    an_unused_image_is_deleted_with_its_files,
);
