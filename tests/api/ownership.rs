//! Who may change what: every role against images and captions, their own and others', used by a
//! draft or by a published story. Writers change only their own work that readers do not see
//! yet; editors and admins change anything.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;
use crate::images::{jpeg_with_gps, upload};

/// An uploaded image with alt text and a credit; returns its id.
async fn image(app: &TestApp, token: &str, seed: u32) -> String {
    let res = upload(
        app,
        token,
        &[
            ("file", Some("p.jpg"), &jpeg_with_gps(300 + seed, 200, 1)),
            ("alt_text", None, b"A street"),
            ("credit", None, b"Staff"),
        ],
    )
    .await;
    assert!(matches!(res.status, 200 | 201), "{}", res.text);
    res.json()["id"].as_str().unwrap().to_owned()
}

/// A draft by `token`'s holder showing `image` with a caption; returns (article, caption).
async fn story(app: &TestApp, token: &str, image: &str) -> (String, String) {
    let id = app
        .new_article_id(
            token,
            &json!({"title": "Story", "body": [{"type": "image", "image_id": image}]}),
        )
        .await;
    let caption = app
        .post_json(
            token,
            "/v1/captions",
            &json!({"image_id": image, "article_id": id, "text": "A caption."}),
        )
        .await;
    assert_eq!(caption.status, 201, "{}", caption.text);
    (id, caption.json()["id"].as_str().unwrap().to_owned())
}

async fn send(app: &TestApp, method: &str, path: &str, token: &str, body: Option<Value>) -> u16 {
    let mut req = app
        .request(method.parse().unwrap(), path)
        .bearer(token)
        .header("if-match", "*");
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.status
}

/// (who, their token, method, path, body, expected status).
type Case<'a> = (&'a str, &'a str, &'a str, String, Option<Value>, u16);

async fn roles_resources_and_actions(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let (_, editor) = app.user_with_role("editor").await;
    let (_, writer) = app.user_with_role("writer").await;
    let (_, other) = app.user_with_role("writer").await;
    let (writer, editor, other) = (writer.access, editor.access, other.access);

    // The writer's own image in their own draft, and in a story an editor published.
    let own_draft_image = image(&app, &writer, 1).await;
    let (_, own_draft_caption) = story(&app, &writer, &own_draft_image).await;
    let own_published_image = image(&app, &writer, 2).await;
    let (published, published_caption) = story(&app, &writer, &own_published_image).await;
    app.publish_article(&editor, &published).await;
    // Another writer's image, in their draft.
    let others_image = image(&app, &other, 3).await;
    let (_, others_caption) = story(&app, &other, &others_image).await;

    let patch_image = json!({"alt_text": "A street at night"});
    let patch_caption = json!({"text": "Another caption."});
    let image_path = |id: &str| format!("/v1/images/{id}");
    let caption_path = |id: &str| format!("/v1/captions/{id}");
    // (who, their token, method, path, body, expected status), in this order.
    let cases: Vec<Case> = vec![
        (
            "writer",
            &writer,
            "PATCH",
            image_path(&own_draft_image),
            Some(patch_image.clone()),
            200,
        ),
        (
            "writer",
            &writer,
            "PATCH",
            image_path(&own_published_image),
            Some(patch_image.clone()),
            403,
        ),
        (
            "writer",
            &writer,
            "PATCH",
            image_path(&others_image),
            Some(patch_image.clone()),
            403,
        ),
        (
            "writer",
            &writer,
            "PATCH",
            caption_path(&own_draft_caption),
            Some(patch_caption.clone()),
            200,
        ),
        (
            "writer",
            &writer,
            "PATCH",
            caption_path(&published_caption),
            Some(patch_caption.clone()),
            403,
        ),
        (
            "writer",
            &writer,
            "PATCH",
            caption_path(&others_caption),
            Some(patch_caption.clone()),
            403,
        ),
        (
            "writer",
            &writer,
            "DELETE",
            image_path(&others_image),
            None,
            403,
        ),
        (
            "writer",
            &writer,
            "DELETE",
            image_path(&own_published_image),
            None,
            403,
        ),
        (
            "writer",
            &writer,
            "DELETE",
            caption_path(&published_caption),
            None,
            403,
        ),
        (
            "writer",
            &writer,
            "DELETE",
            caption_path(&others_caption),
            None,
            403,
        ),
        (
            "editor",
            &editor,
            "PATCH",
            image_path(&own_published_image),
            Some(patch_image.clone()),
            200,
        ),
        (
            "editor",
            &editor,
            "PATCH",
            image_path(&others_image),
            Some(patch_image.clone()),
            200,
        ),
        (
            "editor",
            &editor,
            "PATCH",
            caption_path(&published_caption),
            Some(patch_caption.clone()),
            200,
        ),
        (
            "editor",
            &editor,
            "PATCH",
            caption_path(&others_caption),
            Some(patch_caption.clone()),
            200,
        ),
        (
            "admin",
            &admin,
            "PATCH",
            image_path(&own_published_image),
            Some(json!({"credit": "Agency"})),
            200,
        ),
        (
            "admin",
            &admin,
            "PATCH",
            caption_path(&published_caption),
            Some(json!({"text": "Admin's."})),
            200,
        ),
        // An image a story shows is deleted by nobody (409), whatever the role; an unused
        // caption by its article's writer or any editor.
        (
            "editor",
            &editor,
            "DELETE",
            image_path(&others_image),
            None,
            409,
        ),
        (
            "admin",
            &admin,
            "DELETE",
            image_path(&own_published_image),
            None,
            409,
        ),
        (
            "editor",
            &editor,
            "DELETE",
            caption_path(&others_caption),
            None,
            204,
        ),
        (
            "writer",
            &writer,
            "DELETE",
            caption_path(&own_draft_caption),
            None,
            204,
        ),
    ];
    for (who, token, method, path, body, expected) in cases {
        let before = app.get_as(&admin, &path).await.text;
        let status = send(&app, method, &path, token, body).await;
        assert_eq!(status, expected, "{who} {method} {path}");
        if status == 403 || status == 409 {
            let after = app.get_as(&admin, &path).await.text;
            assert_eq!(before, after, "{who} {method} {path} changed something");
        }
    }
    // What the editors did shows on the public story.
    let public = app
        .get(&format!("/v1/articles/{published}"))
        .send()
        .await
        .json();
    assert_eq!(
        public["images"][0]["image"]["alt_text"],
        "A street at night"
    );
    assert_eq!(public["images"][0]["image"]["credit"], "Agency");
}

backend_tests!(roles_resources_and_actions);
