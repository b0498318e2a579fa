//! The client's vocabulary: one method per thing a client does, returning the response (or,
//! where every caller wants it, the checked JSON).

use serde_json::{Value, json};

use super::{Resp, TestApp};

impl TestApp {
    /// `GET path` as `token`'s holder.
    pub async fn get_as(&self, token: &str, path: &str) -> Resp {
        self.get(path).bearer(token).send().await
    }

    /// `POST path` with a JSON body as `token`'s holder.
    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> Resp {
        self.post(path).bearer(token).json(body).send().await
    }

    /// `PATCH path` with `If-Match: etag`.
    pub async fn update(&self, token: &str, path: &str, etag: &str, patch: &Value) -> Resp {
        self.patch(path)
            .bearer(token)
            .header("if-match", etag)
            .json(patch)
            .send()
            .await
    }

    /// `DELETE path` with `If-Match: etag`.
    pub async fn remove(&self, token: &str, path: &str, etag: &str) -> Resp {
        self.delete(path)
            .bearer(token)
            .header("if-match", etag)
            .send()
            .await
    }

    // Authentication.

    /// `POST /v1/auth/login`, whatever the answer.
    pub async fn try_login(&self, email: &str, password: &str) -> Resp {
        self.post("/v1/auth/login")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
    }

    /// `POST /v1/auth/login` from `client` (as a trusted proxy names it), whatever the answer.
    pub async fn try_login_from(&self, client: &str, email: &str, password: &str) -> Resp {
        self.post("/v1/auth/login")
            .header("x-forwarded-for", client)
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
    }

    /// `POST /v1/auth/refresh` with this refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Resp {
        self.post("/v1/auth/refresh")
            .json(&json!({"refresh_token": refresh_token}))
            .send()
            .await
    }

    /// `POST /v1/auth/logout` with this refresh token.
    pub async fn logout(&self, refresh_token: &str) -> Resp {
        self.post("/v1/auth/logout")
            .json(&json!({"refresh_token": refresh_token}))
            .send()
            .await
    }

    /// `GET /v1/auth/me`.
    pub async fn me(&self, token: &str) -> Resp {
        self.get_as(token, "/v1/auth/me").await
    }

    // Articles.

    /// `POST /v1/articles`, whatever the answer.
    pub async fn post_article(&self, token: &str, body: &Value) -> Resp {
        self.post_json(token, "/v1/articles", body).await
    }

    /// Creates an article (asserting 201 and its `Location`); returns it.
    pub async fn create_article(&self, token: &str, body: &Value) -> Value {
        let res = self.post_article(token, body).await;
        assert_eq!(res.status, 201, "{}", res.text);
        assert_eq!(
            res.header("location"),
            Some(format!("/v1/articles/{}", res.json()["id"].as_str().unwrap()).as_str())
        );
        res.json()
    }

    /// Creates an article (see [`TestApp::create_article`]); returns its id.
    pub async fn new_article_id(&self, token: &str, body: &Value) -> String {
        self.create_article(token, body).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `PATCH /v1/articles/{id}` with `If-Match`.
    pub async fn update_article(&self, token: &str, id: &str, etag: &str, patch: &Value) -> Resp {
        self.update(token, &format!("/v1/articles/{id}"), etag, patch)
            .await
    }

    /// `DELETE /v1/articles/{id}` with `If-Match`.
    pub async fn delete_article(&self, token: &str, id: &str, etag: &str) -> Resp {
        self.remove(token, &format!("/v1/articles/{id}"), etag)
            .await
    }

    /// `POST /v1/articles/{id}/publish` (now), whatever the answer.
    pub async fn publish(&self, token: &str, id: &str) -> Resp {
        self.post(&format!("/v1/articles/{id}/publish"))
            .bearer(token)
            .send()
            .await
    }

    /// `POST /v1/articles/{id}/unpublish` (back to draft), with no body.
    pub async fn unpublish(&self, token: &str, id: &str) -> Resp {
        self.post(&format!("/v1/articles/{id}/unpublish"))
            .bearer(token)
            .send()
            .await
    }

    /// Publishes an article now (asserting 200); returns it.
    pub async fn publish_article(&self, token: &str, id: &str) -> Value {
        let res = self.publish(token, id).await;
        assert_eq!(res.status, 200, "{}", res.text);
        res.json()
    }

    /// `POST /v1/articles/{id}/corrections`: a reader's report, anonymous.
    pub async fn report_correction(&self, article_id: &str, body: &Value) -> Resp {
        self.post(&format!("/v1/articles/{article_id}/corrections"))
            .json(body)
            .send()
            .await
    }

    // Previews.

    /// `POST /v1/articles/{id}/preview` with `body` (none: the defaults), whatever the answer.
    pub async fn request_preview(&self, token: &str, id: &str, body: Option<&Value>) -> Resp {
        let req = self
            .post(&format!("/v1/articles/{id}/preview"))
            .bearer(token);
        match body {
            Some(body) => req.json(body).send().await,
            None => req.send().await,
        }
    }

    /// Makes a preview link for the article (asserting 201); returns it (`id`, `token`, …).
    pub async fn preview_link(&self, token: &str, id: &str) -> Value {
        let res = self.request_preview(token, id, None).await;
        assert_eq!(res.status, 201, "{}", res.text);
        res.json()
    }

    /// Makes a preview link for the article; returns its token.
    pub async fn preview_token(&self, token: &str, id: &str) -> String {
        self.preview_link(token, id).await["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `GET /v1/articles/{key}?preview=…`, as an anonymous front end holding the link.
    pub async fn preview(&self, preview_token: &str, key: &str) -> Resp {
        let token: String =
            url::form_urlencoded::byte_serialize(preview_token.as_bytes()).collect();
        self.get(&format!("/v1/articles/{key}?preview={token}"))
            .send()
            .await
    }

    /// `GET /v1/articles/{key}` with the token in the `Masthead-Preview` header.
    pub async fn preview_by_header(&self, preview_token: &str, key: &str) -> Resp {
        self.get(&format!("/v1/articles/{key}"))
            .header("masthead-preview", preview_token)
            .send()
            .await
    }

    /// `GET /v1/articles/{id}/previews`.
    pub async fn list_previews(&self, token: &str, id: &str) -> Resp {
        self.get_as(token, &format!("/v1/articles/{id}/previews"))
            .await
    }

    /// `DELETE /v1/articles/{id}/previews/{preview_id}`.
    pub async fn revoke_preview(&self, token: &str, id: &str, preview_id: &str) -> Resp {
        self.delete(&format!("/v1/articles/{id}/previews/{preview_id}"))
            .bearer(token)
            .send()
            .await
    }

    /// `DELETE /v1/articles/{id}/previews`: every link of the article.
    pub async fn revoke_previews(&self, token: &str, id: &str) -> Resp {
        self.delete(&format!("/v1/articles/{id}/previews"))
            .bearer(token)
            .send()
            .await
    }

    // Images, captions, corrections, users.

    /// `POST /v1/images` with the file as the body.
    pub async fn upload_image(&self, token: &str, content_type: &str, bytes: &[u8]) -> Resp {
        self.post("/v1/images")
            .bearer(token)
            .raw(content_type, bytes.to_vec())
            .send()
            .await
    }

    /// `PATCH /v1/images/{id}` with `If-Match`.
    pub async fn update_image(&self, token: &str, id: &str, etag: &str, patch: &Value) -> Resp {
        self.update(token, &format!("/v1/images/{id}"), etag, patch)
            .await
    }

    /// `DELETE /v1/images/{id}` with `If-Match`.
    pub async fn delete_image(&self, token: &str, id: &str, etag: &str) -> Resp {
        self.remove(token, &format!("/v1/images/{id}"), etag).await
    }

    /// `PATCH /v1/captions/{id}` with `If-Match`.
    pub async fn update_caption(&self, token: &str, id: &str, etag: &str, patch: &Value) -> Resp {
        self.update(token, &format!("/v1/captions/{id}"), etag, patch)
            .await
    }

    /// `PATCH /v1/corrections/{id}` with `If-Match`.
    pub async fn update_correction(
        &self,
        token: &str,
        id: &str,
        etag: &str,
        patch: &Value,
    ) -> Resp {
        self.update(token, &format!("/v1/corrections/{id}"), etag, patch)
            .await
    }

    /// `PATCH /v1/users/{id}` with `If-Match`.
    pub async fn update_user(&self, token: &str, id: &str, etag: &str, patch: &Value) -> Resp {
        self.update(token, &format!("/v1/users/{id}"), etag, patch)
            .await
    }

    /// `DELETE /v1/users/{id}` with `If-Match`.
    pub async fn delete_user(&self, token: &str, id: &str, etag: &str) -> Resp {
        self.remove(token, &format!("/v1/users/{id}"), etag).await
    }

    // Sections.

    /// `POST /v1/sections`, whatever the answer.
    pub async fn post_section(&self, token: &str, body: &Value) -> Resp {
        self.post_json(token, "/v1/sections", body).await
    }

    /// Creates a section with this name (and the fields in `more`), asserting success; returns
    /// it.
    pub async fn create_section(&self, token: &str, name: &str, more: &Value) -> Value {
        let mut body = json!({"name": name});
        if let (Some(body), Some(more)) = (body.as_object_mut(), more.as_object()) {
            body.extend(more.clone());
        }
        let res = self.post_section(token, &body).await;
        assert_eq!(res.status, 201, "create section failed: {}", res.text);
        res.json()
    }

    /// `PATCH /v1/sections/{slug}` with `If-Match`.
    pub async fn update_section(&self, token: &str, slug: &str, etag: &str, patch: &Value) -> Resp {
        self.update(token, &format!("/v1/sections/{slug}"), etag, patch)
            .await
    }

    /// `PATCH /v1/sections/{slug}` with its current ETag, asserting success; returns it.
    pub async fn change_section(&self, token: &str, slug: &str, patch: &Value) -> Value {
        let etag = self
            .etag(&format!("/v1/sections/{slug}"), Some(token))
            .await;
        let res = self.update_section(token, slug, &etag, patch).await;
        assert_eq!(res.status, 200, "change section failed: {}", res.text);
        res.json()
    }

    /// `DELETE /v1/sections/{slug}` with `If-Match`.
    pub async fn delete_section(&self, token: &str, slug: &str, etag: &str) -> Resp {
        self.remove(token, &format!("/v1/sections/{slug}"), etag)
            .await
    }

    /// The slugs of the public navigation, in order.
    pub async fn navigation(&self) -> Vec<String> {
        let res = self.get("/v1/sections").send().await;
        assert_eq!(res.status, 200, "{}", res.text);
        res.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|s| s["slug"].as_str().expect("slug").to_owned())
            .collect()
    }

    // Tags.

    /// `PATCH /v1/tags/{slug}` with `If-Match`.
    pub async fn update_tag(&self, token: &str, slug: &str, etag: &str, patch: &Value) -> Resp {
        self.update(token, &format!("/v1/tags/{slug}"), etag, patch)
            .await
    }

    /// `POST /v1/tags/{slug}/merge` into `into`.
    pub async fn merge_tag(&self, token: &str, slug: &str, into: &str) -> Resp {
        self.post_json(
            token,
            &format!("/v1/tags/{slug}/merge"),
            &json!({"into": into}),
        )
        .await
    }

    /// Walks the public tag list at `path` (with `limit` and maybe `sort`) to its end: each
    /// tag's slug and count, in order.
    pub async fn all_tags(&self, path: &str) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        let mut next = path.to_owned();
        loop {
            let res = self.get(&next).send().await;
            assert_eq!(res.status, 200, "GET {next}: {}", res.text);
            let page = res.json();
            for tag in page["items"].as_array().expect("items") {
                out.push((
                    tag["slug"].as_str().expect("slug").to_owned(),
                    tag["count"].as_i64().expect("count"),
                ));
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => next = format!("{path}&cursor={cursor}"),
                None => return out,
            }
        }
    }

    // Authors.

    /// The public author profiles, walked to the end of the list.
    pub async fn all_authors(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut next = "/v1/authors?limit=1".to_owned();
        loop {
            let res = self.get(&next).send().await;
            assert_eq!(res.status, 200, "GET {next}: {}", res.text);
            let page = res.json();
            out.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(cursor) => next = format!("/v1/authors?limit=1&cursor={cursor}"),
                None => return out,
            }
        }
    }

    /// `POST /v1/authors`: a guest contributor.
    pub async fn post_author(&self, token: &str, body: &Value) -> Resp {
        self.post_json(token, "/v1/authors", body).await
    }

    /// A new guest contributor named `name`, as the 201 shows it.
    pub async fn create_guest(&self, token: &str, name: &str) -> Value {
        let res = self
            .post_author(token, &serde_json::json!({"display_name": name}))
            .await;
        assert_eq!(res.status, 201, "POST /v1/authors: {}", res.text);
        res.json()
    }

    /// `DELETE /v1/authors/{slug}` with `If-Match`.
    pub async fn delete_author(&self, token: &str, slug: &str, etag: &str) -> Resp {
        self.remove(token, &format!("/v1/authors/{slug}"), etag)
            .await
    }

    /// `PATCH /v1/authors/{slug}` with `If-Match`.
    pub async fn update_author(&self, token: &str, slug: &str, etag: &str, patch: &Value) -> Resp {
        self.update(token, &format!("/v1/authors/{slug}"), etag, patch)
            .await
    }

    /// The shared content version this instance's response cache has caught up with, as its
    /// `/metrics` says (`None` before its watcher's first look).
    pub async fn content_version_seen(&self) -> Option<i64> {
        let res = self.get("/metrics").send().await;
        res.text
            .lines()
            .find_map(|l| l.strip_prefix("masthead_content_version_seen "))
            .and_then(|v| v.trim().parse().ok())
    }

    /// Waits until this instance has caught up with every change committed so far (its cache
    /// watcher has read the shared content version and invalidated for it).
    pub async fn caught_up(&self) {
        let database = masthead::db::Db::open(&self.db.url, 1).unwrap();
        let now = database
            .read_blocking(masthead::db::content_version)
            .unwrap();
        super::eventually(
            "the instance to catch up with the content version",
            || async {
                self.content_version_seen()
                    .await
                    .filter(|seen| *seen >= now)
            },
        )
        .await;
    }
}
