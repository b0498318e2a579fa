//! `/v1/users`: the admin's account management, optimistic concurrency, the last-admin rule.

use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

async fn an_admin_creates_reads_updates_and_deletes_an_account(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;

    let created = app
        .post_json(
            &admin,
            "/v1/users",
            &json!({
                "email": "Mykola@Newsroom.example",
                "display_name": "  Mykola Shevchenko ",
                "password": "twelve chars ok",
                "role": "writer"
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let user = created.json();
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/v1/users/{id}").as_str())
    );
    assert_eq!(user["email"], "Mykola@Newsroom.example");
    assert_eq!(user["display_name"], "Mykola Shevchenko");
    assert_eq!(user["role"], "writer");
    assert_eq!(user["disabled"], false);
    let etag = created.header("etag").unwrap().to_owned();

    let read = app.get_as(&admin, &format!("/v1/users/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), user);
    assert_eq!(read.header("etag"), Some(etag.as_str()));

    // The new account can log in with any casing of its email.
    app.login("mykola@newsroom.example", "twelve chars ok")
        .await;

    let missing = app
        .patch(&format!("/v1/users/{id}"))
        .bearer(&admin)
        .json(&json!({"role": "editor"}))
        .send()
        .await;
    assert_problem(&missing, 428, "precondition-required");

    let updated = app
        .update_user(
            &admin,
            &id,
            &etag,
            &json!({"role": "editor", "display_name": "M. Shevchenko"}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.json()["role"], "editor");
    assert_eq!(updated.json()["display_name"], "M. Shevchenko");
    let new_etag = updated.header("etag").unwrap().to_owned();
    assert_ne!(new_etag, etag);

    // A second editor working from the old version is stopped, and nothing changes.
    let stale = app
        .update_user(&admin, &id, &etag, &json!({"role": "admin"}))
        .await;
    assert_problem(&stale, 412, "precondition-failed");
    let now = app.get_as(&admin, &format!("/v1/users/{id}")).await;
    assert_eq!(now.json()["role"], "editor");

    let stale_delete = app.delete_user(&admin, &id, &etag).await;
    assert_problem(&stale_delete, 412, "precondition-failed");
    let deleted = app.delete_user(&admin, &id, &new_etag).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let gone = app.get_as(&admin, &format!("/v1/users/{id}")).await;
    assert_problem(&gone, 404, "not-found");
    let delete_again = app.delete_user(&admin, &id, &new_etag).await;
    assert_problem(&delete_again, 404, "not-found");
}

async fn the_list_pages_through_every_account_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let role = if i % 2 == 0 { "writer" } else { "editor" };
        ids.push(
            app.create_user(
                &admin,
                &format!("u{i}@newsroom.example"),
                "a long enough passphrase",
                role,
            )
            .await,
        );
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/users?limit=2&cursor={c}"),
            None => "/v1/users?limit=2".to_owned(),
        };
        let page = app.get_as(&admin, &path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let body = page.json();
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
        pages += 1;
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen.len(),
        6,
        "the admin and five more, none twice: {seen:?}"
    );
    for id in &ids {
        assert!(seen.contains(id));
    }

    let writers = app.get_as(&admin, "/v1/users?role=writer").await.json();
    let roles: Vec<&str> = writers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["writer"; 3]);

    assert_problem(
        &app.get_as(&admin, "/v1/users?cursor=garbage").await,
        400,
        "bad-request",
    );
    let zero = assert_problem(
        &app.get_as(&admin, "/v1/users?limit=0").await,
        422,
        "validation",
    );
    assert_eq!(problem_fields(&zero), vec!["limit"]);
    assert_problem(
        &app.get_as(&admin, "/v1/users?limit=many").await,
        400,
        "bad-request",
    );
    assert_problem(
        &app.get_as(&admin, "/v1/users?role=owner").await,
        400,
        "bad-request",
    );
}

async fn emails_are_unique_ignoring_case(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    app.create_user(
        &admin,
        "desk@newsroom.example",
        "a long enough passphrase",
        "writer",
    )
    .await;
    let dup = app
        .post_json(
            &admin,
            "/v1/users",
            &json!({"email": "DESK@newsroom.EXAMPLE", "password": "a long enough passphrase", "role": "editor"}),
        )
        .await;
    assert_problem(&dup, 409, "conflict");
}

async fn invalid_accounts_are_refused_field_by_field(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let res = app
        .post_json(
            &admin,
            "/v1/users",
            &json!({"email": "not-an-email", "password": "short", "role": "writer", "display_name": " "}),
        )
        .await;
    let problem = assert_problem(&res, 422, "validation");
    let mut fields = problem_fields(&problem);
    fields.sort();
    assert_eq!(fields, vec!["display_name", "email", "password"]);

    // A role is its name, nothing else: not a number, not serde's map form of an enum.
    for role in [
        json!("owner"),
        json!(1),
        json!({"admin": null}),
        json!(["admin"]),
    ] {
        let res = app
            .post_json(
                &admin,
                "/v1/users",
                &json!({"email": "a@newsroom.example", "password": "a long enough passphrase", "role": role}),
            )
            .await;
        assert_eq!(
            problem_fields(&assert_problem(&res, 422, "validation")),
            vec!["role"],
            "{role}"
        );
    }

    let extra = app
        .post_json(
            &admin,
            "/v1/users",
            &json!({"email": "a@newsroom.example", "password": "a long enough passphrase", "role": "writer", "is_root": true}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(&extra, 422, "validation")),
        vec!["is_root"]
    );

    // Nothing was written by any of them.
    let list = app.get_as(&admin, "/v1/users").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

async fn the_last_admin_cannot_be_removed(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let me = app.me(&admin).await.json();
    let id = me["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/users/{id}");
    let etag = app
        .get_as(&admin, &path)
        .await
        .header("etag")
        .unwrap()
        .to_owned();

    for change in [json!({"role": "editor"}), json!({"disabled": true})] {
        let res = app.update_user(&admin, &id, &etag, &change).await;
        assert_problem(&res, 409, "conflict");
    }
    let res = app.delete_user(&admin, &id, &etag).await;
    assert_problem(&res, 409, "conflict");
    assert_eq!(app.get_as(&admin, &path).await.json()["role"], "admin");

    // With a second admin, the first may step down.
    let second = app
        .create_user(
            &admin,
            "deputy@newsroom.example",
            "a long enough passphrase",
            "admin",
        )
        .await;
    let res = app
        .update_user(&admin, &id, &etag, &json!({"role": "editor"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    // Now the deputy is the last one.
    let deputy = app
        .login("deputy@newsroom.example", "a long enough passphrase")
        .await
        .access;
    let deputy_path = format!("/v1/users/{second}");
    let deputy_etag = app
        .get_as(&deputy, &deputy_path)
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let res = app.delete_user(&deputy, &second, &deputy_etag).await;
    assert_problem(&res, 409, "conflict");
    // And the demoted first admin has lost admin rights on the very next request.
    assert_problem(&app.get_as(&admin, "/v1/users").await, 403, "forbidden");
}

async fn a_new_password_works_and_signs_out_old_sessions(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let (id, writer) = app.user_with_role("writer").await;
    let path = format!("/v1/users/{id}");
    let read = app.get_as(&admin, &path).await;
    let email = read.json()["email"].as_str().unwrap().to_owned();
    let res = app
        .update_user(
            &admin,
            &id,
            read.header("etag").unwrap(),
            &json!({"password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let old = app.try_login(&email, "a long enough passphrase").await;
    assert_problem(&old, 401, "unauthorized");
    app.login(&email, "a brand new passphrase").await;
    let refresh = app.refresh(&writer.refresh).await;
    assert_problem(&refresh, 401, "unauthorized");
}

/// Someone with work is deleted only by handing it over; bylines never dangle.
async fn an_account_with_work_is_deleted_only_by_handing_it_over(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let (leaver, leaver_tokens) = app.user_with_role("editor").await;
    let (heir, heir_tokens) = app.user_with_role("editor").await;
    // One story by the leaver alone, one bylined to both (the leaver first).
    let solo = app
        .new_article_id(
            &leaver_tokens.access,
            &json!({"title": "Solo", "body": [{"type": "paragraph", "text": "One."}]}),
        )
        .await;
    let shared = app
        .new_article_id(
            &leaver_tokens.access,
            &json!({"title": "Shared", "body": [{"type": "paragraph", "text": "Two."}],
                "authors": [leaver, heir]}),
        )
        .await;
    app.publish_article(&admin, &solo).await;
    app.publish_article(&admin, &shared).await;
    let delete = |query: String| {
        let app = &app;
        let admin = admin.clone();
        let leaver = leaver.clone();
        async move {
            app.remove(&admin, &format!("/v1/users/{leaver}{query}"), "*")
                .await
        }
    };

    let refused = delete(String::new()).await;
    let problem = assert_problem(&refused, 409, "conflict");
    assert!(
        problem["detail"].as_str().unwrap().contains("reassign_to"),
        "{problem}"
    );
    for bad in [
        "?reassign_to=no-such-user".to_owned(),
        format!("?reassign_to={leaver}"),
    ] {
        let res = delete(bad.clone()).await;
        assert_eq!(
            problem_fields(&assert_problem(&res, 422, "validation")),
            vec!["reassign_to"],
            "{bad}"
        );
    }
    // Refused means untouched: the leaver is still there, on both bylines.
    let byline = |id: String| {
        let app = &app;
        async move {
            app.get(&format!("/v1/articles/{id}")).send().await.json()["authors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        byline(shared.clone()).await,
        vec![leaver.clone(), heir.clone()]
    );

    let res = delete(format!("?reassign_to={heir}")).await;
    assert_eq!(res.status, 204, "{}", res.text);
    assert_eq!(byline(solo.clone()).await, vec![heir.clone()]);
    assert_eq!(byline(shared.clone()).await, vec![heir.clone()]);
    let listed = app
        .get(&format!("/v1/articles?author={heir}"))
        .send()
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");
    let gone = app.get_as(&admin, &format!("/v1/users/{leaver}")).await;
    assert_problem(&gone, 404, "not-found");
    // The heir may now edit the solo story as its creator.
    let res = app
        .update_article(
            &heir_tokens.access,
            &solo,
            "*",
            &json!({"standfirst": "Handed over."}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
}

backend_tests!(
    an_account_with_work_is_deleted_only_by_handing_it_over,
    an_admin_creates_reads_updates_and_deletes_an_account,
    the_list_pages_through_every_account_once,
    emails_are_unique_ignoring_case,
    invalid_accounts_are_refused_field_by_field,
    the_last_admin_cannot_be_removed,
    a_new_password_works_and_signs_out_old_sessions,
);
