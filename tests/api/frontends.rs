//! What a front end on another origin meets: CORS decided per request whatever the cache holds,
//! reads that carry everything a page renders (pictures with absolute URLs and true sizes,
//! complete figures in the body), and the reader's report flow from a browser.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;
use crate::images::{jpeg_with_gps, upload};

const SITE: &str = "https://www.news.example";
const PREVIEW: &str = "https://preview.news.example";

/// A published story with a 900×600 featured photo (captioned, credited by the caption) and a
/// body image credited by the image itself; returns (article, featured image id, caption id).
pub(crate) async fn photo_story(
    app: &TestApp,
    editor: &str,
    title: &str,
) -> (Value, String, String) {
    let image = upload(
        app,
        editor,
        &[
            ("file", Some("harbour.jpg"), &jpeg_with_gps(900, 600, 1)),
            ("alt_text", None, b"Boats moored in a harbour at dusk"),
            ("credit", None, b"Agency photo"),
        ],
    )
    .await;
    assert!(matches!(image.status, 200 | 201), "{}", image.text);
    let image_id = image.json()["id"].as_str().unwrap().to_owned();
    let body_image = upload(
        app,
        editor,
        &[
            ("file", Some("quay.jpg"), &jpeg_with_gps(400, 300, 1)),
            ("alt_text", None, b"A quay with cranes"),
            ("credit", None, b"Staff photographer"),
        ],
    )
    .await;
    assert!(
        matches!(body_image.status, 200 | 201),
        "{}",
        body_image.text
    );
    let body_image_id = body_image.json()["id"].as_str().unwrap().to_owned();
    let id = app.new_article_id(editor,
        &json!({
            "title": title,
            "standfirst": "The harbour reopens.",
            "body": [
                {"type": "paragraph", "text": "Ferries sail again from Monday."},
                {"type": "image", "image_id": body_image_id},
                {"type": "quote", "text": "We waited all winter.", "attribution": "A ferry captain"},
            ],
        }),
    )
    .await;
    let caption = app
        .post_json(
            editor,
            "/v1/captions",
            &json!({"image_id": image_id, "article_id": id,
                      "text": "The harbour at dusk on Sunday.", "credit": "Harbour authority",
                      "illustrative": true}),
        )
        .await;
    assert_eq!(caption.status, 201, "{}", caption.text);
    let caption_id = caption.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .update_article(
            editor,
            &id,
            "*",
            &json!({"featured_image": {"image_id": image_id, "caption_id": caption_id}}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    (app.publish_article(editor, &id).await, image_id, caption_id)
}

/// Reads `path` as a browser on `origin` would (no origin: a server or a crawler).
async fn read_from(app: &TestApp, path: &str, origin: Option<&str>) -> Resp {
    let mut req = app.get(path);
    if let Some(origin) = origin {
        req = req.header("origin", origin);
    }
    req.send().await
}

async fn cors_is_decided_for_each_request_whatever_the_cache_holds(backend: Backend) {
    let app = spawn_app_with(
        &backend,
        &[("MASTHEAD_CORS_ORIGINS", &format!("{SITE},{PREVIEW}"))],
    )
    .await;
    let editor = app.admin_token().await;
    let id = app
        .new_article_id(
            &editor,
            &json!({"title": "Open late", "body": [{"type": "paragraph", "text": "Doors close at ten."}]}),
        )
        .await;
    let article = app.publish_article(&editor, &id).await;
    let path = format!("/v1/articles/{}", article["slug"].as_str().unwrap());

    for path in [path.as_str(), "/v1/articles"] {
        // Server-side rendering reads first, with no Origin: twice, so the response is stored.
        for _ in 0..2 {
            let res = read_from(&app, path, None).await;
            assert_eq!(res.status, 200, "{}", res.text);
            assert_eq!(res.header("access-control-allow-origin"), None);
        }
        for origin in [SITE, PREVIEW, SITE] {
            let res = read_from(&app, path, Some(origin)).await;
            assert_eq!(res.status, 200, "{}", res.text);
            assert_eq!(res.header("x-cache"), Some("hit"), "{path} from {origin}");
            assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
            assert_eq!(
                res.header("content-security-policy"),
                Some("default-src 'none'; frame-ancestors 'none'")
            );
            assert_eq!(res.header("x-frame-options"), Some("DENY"));
            assert_eq!(
                res.header("access-control-allow-origin"),
                Some(origin),
                "{path}"
            );
            assert!(
                res.headers
                    .get_all("vary")
                    .any(|v| v.to_str().unwrap().contains("Origin")),
                "{path}: {:?}",
                res.headers
            );
        }
        let refused = read_from(&app, path, Some("https://elsewhere.example")).await;
        assert_eq!(refused.status, 200);
        assert_eq!(refused.header("access-control-allow-origin"), None);

        // A revalidation from the browser: the 304 carries the origin too.
        let tag = read_from(&app, path, None)
            .await
            .header("etag")
            .unwrap()
            .to_owned();
        let res = app
            .get(path)
            .header("origin", PREVIEW)
            .header("if-none-match", &tag)
            .send()
            .await;
        assert_eq!(res.status, 304);
        assert_eq!(res.header("access-control-allow-origin"), Some(PREVIEW));
    }

    // Errors and problem documents carry it as well, so the page can read the problem.
    let missing = read_from(&app, "/v1/articles/no-such-story", Some(SITE)).await;
    assert_problem(&missing, 404, "not-found");
    assert_eq!(missing.header("access-control-allow-origin"), Some(SITE));
    let refused = app
        .post(&format!("/v1/articles/{id}/corrections"))
        .header("origin", SITE)
        .json(&json!({"quote": ""}))
        .send()
        .await;
    assert_problem(&refused, 422, "validation");
    assert_eq!(refused.header("access-control-allow-origin"), Some(SITE));

    // A preflight asking for the headers browsers and frameworks add.
    let preflight = app
        .request(
            actix_web::http::Method::OPTIONS,
            &format!("/v1/articles/{id}/corrections"),
        )
        .header("origin", PREVIEW)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, x-request-id, cache-control, if-none-match",
        )
        .send()
        .await;
    assert_eq!(preflight.status, 200, "{}", preflight.text);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(PREVIEW)
    );
    let allowed = preflight
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "content-type",
        "x-request-id",
        "cache-control",
        "if-none-match",
    ] {
        assert!(allowed.contains(name), "{allowed}");
    }
    let exposed = read_from(&app, &path, Some(SITE)).await;
    let exposed = exposed
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("x-request-id"),
        "{exposed}"
    );

    // Any origin: each is answered with its own, after another filled the cache.
    let any = spawn_app_with(&backend, &[("MASTHEAD_CORS_ORIGINS", "*")]).await;
    for origin in [SITE, SITE, PREVIEW] {
        let res = read_from(&any, "/v1/articles", Some(origin)).await;
        assert_eq!(res.status, 200);
        let allowed = res.header("access-control-allow-origin").unwrap();
        assert!(
            allowed == origin || allowed == "*",
            "{allowed} for {origin}"
        );
    }
}

async fn reads_carry_everything_a_page_renders(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let (article, image_id, caption_id) = photo_story(&app, &editor, "Harbour reopens").await;
    let slug = article["slug"].as_str().unwrap();

    let expected_picture = |caption: &str| {
        let base = format!("{}/v1/images/{image_id}/file", app.base);
        json!({
            "image_id": image_id,
            "caption_id": caption_id,
            "url": base,
            "width": 900,
            "height": 600,
            "alt_text": "Boats moored in a harbour at dusk",
            "caption": caption,
            "credit": "Harbour authority",
            "illustrative": true,
            "renditions": [
                {"width": 320, "height": 213, "url": format!("{base}?w=320")},
                {"width": 640, "height": 427, "url": format!("{base}?w=640")},
            ],
        })
    };
    // The article and every list card: one request each has what the page shows.
    let read = app.get(&format!("/v1/articles/{slug}")).send().await.json();
    assert_eq!(
        read["featured_image"],
        expected_picture("The harbour at dusk on Sunday.")
    );
    let list = app.get("/v1/articles").send().await.json();
    assert_eq!(
        list["items"][0]["featured_image"],
        expected_picture("The harbour at dusk on Sunday.")
    );
    let searched = app.get("/v1/articles?q=ferries").send().await.json();
    assert_eq!(
        searched["items"][0]["featured_image"],
        expected_picture("The harbour at dusk on Sunday.")
    );

    // Readers see nothing of the newsroom's storage or staff; editors do.
    for image in [
        read["images"][0]["image"].clone(),
        app.get(&format!("/v1/images/{image_id}"))
            .send()
            .await
            .json(),
    ] {
        for field in ["uploaded_by", "content_hash", "byte_size"] {
            assert_eq!(image[field], Value::Null, "{field}: {image}");
        }
    }
    let staff = app
        .get_as(&editor, &format!("/v1/images/{image_id}"))
        .await
        .json();
    assert!(
        staff["uploaded_by"].is_string() && staff["byte_size"].is_u64(),
        "{staff}"
    );
    let staff = app
        .get_as(&editor, &format!("/v1/articles/{slug}"))
        .await
        .json();
    assert!(
        staff["images"][0]["image"]["content_hash"].is_string(),
        "{staff}"
    );

    // Each rendition is exactly the size the API states.
    for (width, height) in [(320, 213), (640, 427)] {
        // A rendition is made on its first request, which a loaded machine can take longer
        // than awc's default five seconds to do.
        let bytes = awc::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .finish()
            .get(format!("{}/v1/images/{image_id}/file?w={width}", app.base))
            .send()
            .await
            .unwrap()
            .body()
            .await
            .unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (width, height));
    }

    // The body's image is a complete figure, usable by a feed reader or a page without script.
    let html = read["body_html"].as_str().unwrap();
    let body_image = read["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["usage"] == "body")
        .unwrap()["image"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = format!("{}/v1/images/{body_image}/file", app.base);
    let figure = format!(
        "<figure class=\"image\"><img src=\"{file}\" srcset=\"{file}?w=320 320w, {file} 400w\" \
         sizes=\"(max-width: 1024px) 100vw, 1024px\" width=\"400\" height=\"300\" \
         alt=\"A quay with cranes\" loading=\"lazy\"><figcaption><span class=\"credit\">Staff \
         photographer</span></figcaption></figure>"
    );
    assert!(html.contains(&figure), "{html}");
    assert!(!html.contains("data-image-id"), "{html}");

    // A new caption or alt text shows on the cards at once (the stored summaries go stale).
    let tag = app
        .etag(&format!("/v1/captions/{caption_id}"), Some(&editor))
        .await;
    let res = app
        .update_caption(
            &editor,
            &caption_id,
            &tag,
            &json!({"text": "The harbour at dawn on Monday."}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let tag = app
        .etag(&format!("/v1/images/{image_id}"), Some(&editor))
        .await;
    let res = app
        .update_image(
            &editor,
            &image_id,
            &tag,
            &json!({"alt_text": "Boats moored in a harbour at dawn"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let mut expected = expected_picture("The harbour at dawn on Monday.");
    expected["alt_text"] = json!("Boats moored in a harbour at dawn");
    for path in ["/v1/articles", "/v1/articles?q=ferries"] {
        let list = app.get(path).send().await.json();
        assert_eq!(list["items"][0]["featured_image"], expected, "{path}");
    }
    // The staff list shows the same cards.
    let staff = app.get_as(&editor, "/v1/articles").await.json();
    assert_eq!(staff["items"][0]["featured_image"], expected);
}

async fn urls_are_absolute_from_the_configured_base_or_the_request(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let (article, image_id, _) = photo_story(&app, &editor, "Bases").await;
    let path = format!("/v1/articles/{}", article["slug"].as_str().unwrap());
    let url_of = |res: &Resp| {
        res.json()["featured_image"]["url"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let file = format!("/v1/images/{image_id}/file");

    // Forwarded headers from a client that is not a trusted proxy are ignored, cached or not.
    for _ in 0..3 {
        let res = app
            .get(&path)
            .header("x-forwarded-host", "evil.example")
            .header("x-forwarded-proto", "https")
            .send()
            .await;
        assert_eq!(url_of(&res), format!("{}{file}", app.base));
    }
    // Another Host is another response, never one cached for the first.
    let res = app
        .get(&path)
        .header("host", "api.news.example:8443")
        .send()
        .await;
    assert_eq!(url_of(&res), format!("http://api.news.example:8443{file}"));
    let list = app
        .get("/v1/articles")
        .header("host", "api.news.example")
        .send()
        .await;
    assert_eq!(
        list.json()["items"][0]["featured_image"]["renditions"][0]["url"],
        format!("http://api.news.example{file}?w=320")
    );
    // A Host that is no host name falls back to the listening address.
    let res = app.get(&path).header("host", "a\"b").send().await;
    assert!(
        url_of(&res).starts_with("http://127.0.0.1:"),
        "{}",
        url_of(&res)
    );
    drop(app);

    let proxied = spawn_app_with(&backend, &[("MASTHEAD_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let editor = proxied.admin_token().await;
    let (article, image_id, _) = photo_story(&proxied, &editor, "Proxied").await;
    let path = format!("/v1/articles/{}", article["slug"].as_str().unwrap());
    let res = proxied
        .get(&path)
        .header("x-forwarded-host", "api.news.example")
        .header("x-forwarded-proto", "https")
        .send()
        .await;
    assert_eq!(
        url_of(&res),
        format!("https://api.news.example/v1/images/{image_id}/file")
    );
    drop(proxied);

    let configured = spawn_app_with(
        &backend,
        &[("MASTHEAD_PUBLIC_URL", "https://cdn.news.example/api")],
    )
    .await;
    let editor = configured.admin_token().await;
    let (article, image_id, _) = photo_story(&configured, &editor, "Configured").await;
    let path = format!("/v1/articles/{}", article["slug"].as_str().unwrap());
    let res = configured
        .get(&path)
        .header("host", "other.example")
        .send()
        .await;
    assert_eq!(
        url_of(&res),
        format!("https://cdn.news.example/api/v1/images/{image_id}/file")
    );
    let image = configured
        .get(&format!("/v1/images/{image_id}"))
        .send()
        .await
        .json();
    assert_eq!(
        image["url"],
        format!("https://cdn.news.example/api/v1/images/{image_id}/file")
    );
}

async fn readers_can_flag_a_quote_anywhere_the_page_shows_it(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let (article, _, _) = photo_story(&app, &editor, "Flags").await;
    let id = article["id"].as_str().unwrap();
    let report = |quote: &'static str, suggestion: Option<&'static str>| {
        let mut body = json!({"quote": quote});
        if let Some(s) = suggestion {
            body["suggestion"] = json!(s);
        }
        app.post(&format!("/v1/articles/{id}/corrections"))
            .json(&body)
            .send()
    };
    // A "just flag this" report, from a selection in a caption.
    let res = report("harbour at  DUSK on Sunday", None).await;
    assert_eq!(res.status, 202, "{}", res.text);
    assert_eq!(res.json()["quote_found"], true, "{}", res.text);
    assert_eq!(res.json()["quote_location"]["field"], "caption");
    // A selection across a quote and its attribution (a line break on the page).
    let res = report(
        "waited all winter.\nA ferry captain",
        Some("All spring, too."),
    )
    .await;
    assert_eq!(res.status, 202, "{}", res.text);
    assert_eq!(res.json()["quote_found"], true, "{}", res.text);
    assert_eq!(res.json()["quote_location"]["field"], "body");

    let queue = app.get_as(&editor, "/v1/corrections").await.json();
    let items = queue["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{queue}");
    let flagged = items
        .iter()
        .find(|r| r["quote"] == "harbour at  DUSK on Sunday")
        .unwrap();
    assert_eq!(flagged["suggestion"], Value::Null);
    let suggested = items
        .iter()
        .find(|r| r["quote"] == "waited all winter.\nA ferry captain")
        .unwrap();
    assert_eq!(suggested["suggestion"], "All spring, too.");
}

async fn the_api_reference_is_cached_and_locked_down(backend: Backend) {
    let app = spawn_app(&backend).await;
    let page = app.get("/docs/").send().await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    let init = app.get("/docs/swagger-initializer.js").send().await;
    assert!(
        init.text.contains("\"persistAuthorization\": true"),
        "{}",
        init.text
    );

    let asset = app.get("/docs/swagger-ui-bundle.js").send().await;
    assert_eq!(asset.status, 200);
    assert!(asset.text.len() > 100_000);
    assert_eq!(asset.header("cache-control"), Some("public, max-age=86400"));
    let tag = asset.header("etag").unwrap().to_owned();
    let again = app
        .get("/docs/swagger-ui-bundle.js")
        .header("if-none-match", &tag)
        .send()
        .await;
    assert_eq!(again.status, 304);
    assert!(again.text.is_empty());
    assert_eq!(again.header("etag"), Some(tag.as_str()));
}

backend_tests!(
    cors_is_decided_for_each_request_whatever_the_cache_holds,
    reads_carry_everything_a_page_renders,
    urls_are_absolute_from_the_configured_base_or_the_request,
    readers_can_flag_a_quote_anywhere_the_page_shows_it,
    the_api_reference_is_cached_and_locked_down,
);
